//! `NewPassword` and `PasswordPolicy`: the manual's rule, the context rule, the blocklist,
//! the NIST preset, every violation reported, secrets never shown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kenpo_auth::password::{MANUAL_SYMBOLS, PasswordCharset, common_password_count};
use kenpo_auth::{NewPassword, PasswordError, PasswordPolicy, PasswordViolation, UserId};

fn violations(password: &str) -> Vec<PasswordViolation> {
    NewPassword::parse(password)
        .unwrap_err()
        .violations()
        .to_vec()
}

#[test]
fn the_manuals_rule_accepts_good_passwords() {
    for ok in [
        "Kenpo#2024x",
        "a1?xyzqk",
        "ZZ9(((((",
        "mixed_Case+7qq",
        // "12345678a" is on the list, so the digits here are not a run people type.
        "93751842q!",
        "a1?a1?a1?a1?a1?a1?a1",
    ] {
        let password = NewPassword::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(password.expose(), ok);
    }
}

#[test]
fn every_manual_symbol_counts_as_a_symbol() {
    assert_eq!(MANUAL_SYMBOLS, "?!@#%&()_+");
    for symbol in MANUAL_SYMBOLS.chars() {
        let candidate = format!("kqzvx7{symbol}w");
        assert!(NewPassword::parse(&candidate).is_ok(), "{candidate}");
    }
}

#[test]
fn length_is_8_to_20_inclusive() {
    assert!(NewPassword::parse("kqzvx7!w").is_ok());
    assert_eq!(
        violations("kqzv7!w"),
        [PasswordViolation::TooShort { min: 8 }]
    );
    assert!(NewPassword::parse("kqzvx7!wkqzvx7!wkqzv").is_ok());
    assert_eq!(
        violations("kqzvx7!wkqzvx7!wkqzvx"),
        [PasswordViolation::TooLong { max: 20 }]
    );
}

#[test]
fn composition_requires_letter_digit_symbol() {
    assert_eq!(violations("93751842!"), [PasswordViolation::MissingLetter]);
    // A common number is refused beside the missing letter.
    assert_eq!(
        violations("12345678!"),
        [PasswordViolation::MissingLetter, PasswordViolation::Common]
    );
    assert_eq!(violations("kqzvxw!w"), [PasswordViolation::MissingDigit]);
    assert_eq!(violations("kqzvx7ww"), [PasswordViolation::MissingSymbol]);
    // Upper and lower case need not be mixed.
    assert!(NewPassword::parse("KQZVX7!W").is_ok());
}

#[test]
fn other_symbols_and_full_width_are_invalid_by_position_only() {
    let err = NewPassword::parse("kqzvx7!w$").unwrap_err();
    // The blocklist is reported beside the others.
    assert_eq!(
        violations("password"),
        [
            PasswordViolation::MissingDigit,
            PasswordViolation::MissingSymbol,
            PasswordViolation::Common
        ]
    );
    assert_eq!(
        err.violations(),
        [PasswordViolation::InvalidChar {
            position: 9,
            count: 1,
            charset: PasswordCharset::Manual
        }]
    );
    // Full-width symbol: invalid, and it no longer counts as the required symbol.
    let err = NewPassword::parse("kqzvx7！w").unwrap_err();
    assert_eq!(
        err.violations(),
        [
            PasswordViolation::InvalidChar {
                position: 7,
                count: 1,
                charset: PasswordCharset::Manual
            },
            PasswordViolation::MissingSymbol
        ]
    );
    assert!(err.message_ja().contains("半角"));
    let err = NewPassword::parse("kq zv x7!w").unwrap_err();
    assert_eq!(
        err.violations(),
        [PasswordViolation::InvalidChar {
            position: 3,
            count: 2,
            charset: PasswordCharset::Manual
        }]
    );
}

#[test]
fn every_violation_is_reported_in_order() {
    let id = UserId::parse("qzxvwk").unwrap();
    let err = PasswordPolicy::default()
        .check("QZXVWK$", Some(&id))
        .unwrap_err();
    assert_eq!(
        err.violations(),
        [
            PasswordViolation::TooShort { min: 8 },
            PasswordViolation::InvalidChar {
                position: 7,
                count: 1,
                charset: PasswordCharset::Manual
            },
            PasswordViolation::MissingDigit,
            PasswordViolation::MissingSymbol,
            PasswordViolation::ContainsUserId,
        ]
    );
    assert_eq!(err.message_ja().lines().count(), 5);
    for v in err.violations() {
        assert!(err.message_ja().contains(&v.message_ja()));
    }
}

#[test]
fn a_password_containing_the_user_id_is_refused_ignoring_case() {
    let id = UserId::parse("NGK0001").unwrap();
    let policy = PasswordPolicy::default();
    for bad in ["ngk0001#A", "x!NGK0001", "Ngk0001(("] {
        assert_eq!(
            policy.check(bad, Some(&id)).unwrap_err().violations(),
            [PasswordViolation::ContainsUserId],
            "{bad}"
        );
    }
    assert!(policy.check("ngk0001#A", None).is_ok());
    assert!(policy.check("ngk000#1A", Some(&id)).is_ok());
    let mut relaxed = PasswordPolicy::default();
    relaxed.forbid_user_id = false;
    assert!(relaxed.check("ngk0001#A", Some(&id)).is_ok());
}

#[test]
fn the_issue_examples_are_common() {
    for bad in [
        "p@ssw0rd",
        "Password1!",
        "Passw0rd!",
        "qwerty123!",
        "1qaz@wsx",
    ] {
        assert_eq!(violations(bad), [PasswordViolation::Common], "{bad}");
    }
}

#[test]
fn substitutions_are_undone_after_stripping() {
    // dragon, monkey, sunshine, iloveyou, letmein are on the list.
    for bad in [
        "Dr4g0n!!22",
        "#m0nk3y99",
        "Sun5h1ne+1",
        "I10v3y0u#",
        "!l3tm31n7",
        "Sunshine2024!",
    ] {
        assert!(
            NewPassword::parse(bad)
                .unwrap_err()
                .has(&PasswordViolation::Common),
            "{bad}"
        );
    }
}

#[test]
fn blocklist_can_be_switched_off() {
    let mut policy = PasswordPolicy::default();
    policy.forbid_common = false;
    assert!(policy.check("Password1!", None).is_ok());
}

#[test]
fn the_list_is_bundled() {
    assert_eq!(common_password_count(), 19_640);
}

#[test]
fn nist_preset() {
    let nist = PasswordPolicy::nist_800_63b();
    assert_eq!((nist.min_chars, nist.max_chars), (15, 128));
    // No composition rules, any Unicode.
    assert!(nist.check("correct horse battery", None).is_ok());
    assert!(
        nist.check("けんぽのぱすわーどはながいほうがよい", None)
            .is_ok()
    );
    assert_eq!(
        nist.check("短いパスワード", None).unwrap_err().violations(),
        [PasswordViolation::TooShort { min: 15 }]
    );
    assert!(nist.check(&"x".repeat(64), None).is_ok());
    assert!(nist.check(&"x".repeat(128), None).is_ok());
    assert_eq!(
        nist.check(&"x".repeat(129), None).unwrap_err().violations(),
        [PasswordViolation::TooLong { max: 128 }]
    );
    // Control characters are refused.
    assert!(matches!(
        nist.check("correct horse\u{7}battery", None)
            .unwrap_err()
            .violations(),
        [PasswordViolation::InvalidChar {
            position: 14,
            count: 1,
            charset: PasswordCharset::Unicode
        }]
    ));
    // Blocklist and context rule apply.
    assert!(
        nist.check("password12345678", None)
            .unwrap_err()
            .has(&PasswordViolation::Common)
    );
    let id = UserId::parse("NGK0001").unwrap();
    assert!(
        nist.check("my id is ngk0001 ok", Some(&id))
            .unwrap_err()
            .has(&PasswordViolation::ContainsUserId)
    );
}

#[test]
fn nist_normalises_with_nfkc() {
    let nist = PasswordPolicy::nist_800_63b();
    // Half-width katakana and full-width Latin become their NFKC forms.
    let p = nist.check("ｶﾝﾎﾟ ＡＢＣ correct horse", None).unwrap();
    assert_eq!(p.expose(), "カンポ ABC correct horse");
    assert_eq!(
        &*nist.normalize_for_login("ｶﾝﾎﾟ ＡＢＣ correct horse"),
        p.expose()
    );
    // Length counts after normalisation: "ﾎﾟ" is two characters, "ポ" one.
    assert!(nist.check("ｶﾝﾎﾟｶﾝﾎﾟｶﾝﾎﾟｶﾝﾎﾟ", None).is_err());
}

#[test]
fn secrets_never_show() {
    let secret = "Kenpo#2024x";
    let password = NewPassword::parse(secret).unwrap();
    assert_eq!(format!("{password:?}"), "NewPassword([REDACTED])");
    assert!(!format!("{:?}", password.clone()).contains(secret));
    for bad in ["Zq$Zq$Zq$", "Zqzqzqzq", "ＺＱ!９ｚｑｚｑ", "Password1!"] {
        let err: PasswordError = NewPassword::parse(bad).unwrap_err();
        for shown in [format!("{err:?}"), err.to_string(), err.message_ja()] {
            assert!(!shown.contains(bad), "{shown}");
            // Not even the offending character.
            assert!(!shown.contains('$') && !shown.contains('Ｚ'), "{shown}");
        }
    }
}

#[test]
fn messages_are_japanese() {
    assert!(violations("kqzv7!w")[0].message_ja().contains("8文字以上"));
    assert!(
        violations("kqzvx7!wkqzvx7!wkqzvx")[0]
            .message_ja()
            .contains("20文字以内")
    );
    assert!(violations("12345678!")[0].message_ja().contains("英字"));
    assert!(violations("kqzvxw!w")[0].message_ja().contains("数字"));
    assert!(violations("kqzvx7ww")[0].message_ja().contains("記号"));
    assert!(violations("Password1!")[0].message_ja().contains("推測"));
    assert!(
        PasswordViolation::ContainsUserId
            .message_ja()
            .contains("ユーザーID")
    );
}
