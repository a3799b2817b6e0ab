//! Laws of the password policies, in proptest: no panics; the manual's composition rule
//! accepts exactly what it should.

use kenpo_auth::{MessageJa, PasswordCharset, PasswordPolicy, PasswordViolation, UserId};
use proptest::prelude::*;
use proptest::sample::select;

const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";
const SYMBOLS: &str = "?!@#%&()_+";

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// A password of 8–20 characters from the manual's alphabet with a letter, a digit and a symbol.
fn manual_password() -> impl Strategy<Value = String> {
    let alphabet = chars(&format!("{LETTERS}{DIGITS}{SYMBOLS}"));
    (
        select(chars(LETTERS)),
        select(chars(DIGITS)),
        select(chars(SYMBOLS)),
        proptest::collection::vec(select(alphabet), 5..=17),
    )
        .prop_flat_map(|(l, d, s, mut rest)| {
            rest.extend([l, d, s]);
            Just(rest).prop_shuffle()
        })
        .prop_map(|v| v.into_iter().collect())
}

fn composition_only() -> PasswordPolicy {
    let mut policy = PasswordPolicy::default();
    policy.forbid_common = false;
    policy.forbid_user_id = false;
    policy
}

proptest! {
    #[test]
    fn no_policy_panics(input in any::<String>(), id in "[A-Za-z0-9@._+-]{6,12}") {
        let id = UserId::parse(&id).unwrap();
        for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
            let _ = policy.check(&input, None);
            let _ = policy.check(&input, Some(&id));
        }
    }

    #[test]
    fn allowed_strings_pass_the_composition_rule(password in manual_password()) {
        let accepted = composition_only().check(&password, None).unwrap();
        prop_assert_eq!(accepted.expose(), password.as_str());
        // With the default policy only the blocklist, repetition and sequence rules may still
        // object.
        if let Err(err) = PasswordPolicy::default().check(&password, None) {
            prop_assert!(err.violations().iter().all(|v| matches!(
                v,
                PasswordViolation::Common | PasswordViolation::Repetitive | PasswordViolation::Sequential
            )));
        }
    }

    #[test]
    fn one_foreign_character_fails(
        password in manual_password(),
        ch in any::<char>().prop_filter("outside the alphabet", |c| {
            !c.is_ascii_alphanumeric() && !SYMBOLS.contains(*c)
        }),
        at in any::<proptest::sample::Index>(),
    ) {
        let mut v = chars(&password);
        let position = at.index(v.len());
        v[position] = ch;
        let input: String = v.into_iter().collect();
        let err = composition_only().check(&input, None).unwrap_err();
        let expected = PasswordViolation::InvalidChar {
            position: position + 1,
            count: 1,
            charset: PasswordCharset::Manual,
        };
        prop_assert!(err.has(&expected));
    }

    #[test]
    fn lengths_outside_8_to_20_fail(password in manual_password(), extra in 1usize..10) {
        let long = format!("{password}{}", "a".repeat(21usize.saturating_sub(password.len()) + extra - 1));
        let too_long = PasswordViolation::TooLong { max: 20 };
        prop_assert!(composition_only().check(&long, None).unwrap_err().has(&too_long));
        let short: String = password.chars().take(7).collect();
        let too_short = PasswordViolation::TooShort { min: 8 };
        prop_assert!(composition_only().check(&short, None).unwrap_err().has(&too_short));
    }

    #[test]
    fn embedding_the_user_id_always_fails(
        id in "[A-Za-z0-9@._+-]{6,12}",
        prefix in "[a-z0-9?!]{0,4}",
        upper in any::<bool>(),
    ) {
        let user = UserId::parse(&id).unwrap();
        let shown = if upper { id.to_ascii_uppercase() } else { id.to_ascii_lowercase() };
        let password = format!("{prefix}{shown}1!a");
        for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
            let err = policy.check(&password, Some(&user)).unwrap_err();
            prop_assert!(err.has(&PasswordViolation::ContainsUserId));
        }
    }

    #[test]
    fn a_repeated_unit_is_refused_by_the_nist_preset(unit in "\\PC{1,12}") {
        let mut password = unit.repeat(2);
        while password.chars().count() < 15 {
            password.push_str(&unit);
        }
        let nist = PasswordPolicy::nist_800_63b();
        // After NFKC the password is still a repetition of the unit's normal form, unless the
        // unit's last and first characters compose across the seam: skip those.
        let normal = nist.normalize_for_login(&password);
        prop_assume!(*normal == nist.normalize_for_login(&unit).repeat(password.chars().count() / unit.chars().count()));
        let err = nist.check(&password, None).unwrap_err();
        prop_assert!(err.has(&PasswordViolation::Repetitive));
    }

    #[test]
    fn a_context_word_in_any_case_is_refused(
        word in "[a-z]{3,8}",
        prefix in "[a-z0-9?!]{0,6}",
        suffix in "[a-z0-9?!]{0,6}",
        upper in proptest::collection::vec(any::<bool>(), 8),
    ) {
        let shown: String = word
            .chars()
            .zip(upper)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect();
        let password = format!("{prefix}{shown}{suffix}9!");
        for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
            let policy = policy.with_context_words([word.as_str()]);
            let err = policy.check(&password, None).unwrap_err();
            prop_assert!(err.has(&PasswordViolation::ContainsContextWord));
        }
    }

    #[test]
    fn input_over_the_limit_is_refused_by_length_alone(
        input in "\\PC{1,40}",
        copies in 1usize..200,
    ) {
        let long = input.repeat(copies);
        prop_assume!(long.len() > PasswordPolicy::MAX_INPUT_BYTES);
        for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
            let err = policy.check(&long, None).unwrap_err();
            prop_assert_eq!(err.violations(), &[PasswordViolation::TooLong { max: policy.max_chars }]);
        }
    }

    #[test]
    fn login_normalisation_sees_the_first_1024_bytes(input in "\\PC{0,600}") {
        for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
            let whole = policy.normalize_for_login(&input);
            let mut end = input.len().min(PasswordPolicy::MAX_INPUT_BYTES);
            while !input.is_char_boundary(end) {
                end -= 1;
            }
            prop_assert_eq!(&*whole, &*policy.normalize_for_login(&input[..end]));
            if input.len() <= PasswordPolicy::MAX_INPUT_BYTES {
                prop_assert_eq!(&*whole, &*policy.normalize_for_login(&input));
            }
        }
    }

    #[test]
    fn errors_never_hold_the_password(input in "[^\\x00]{8,30}") {
        if let Err(err) = PasswordPolicy::default().check(&input, None) {
            for shown in [format!("{err:?}"), err.to_string(), err.message_ja()] {
                // Texts of the messages can contain short runs by chance; 8+ random chars cannot.
                prop_assert!(!shown.contains(&input));
            }
        }
    }
}
