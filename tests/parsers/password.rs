//! `NewPassword` and `PasswordPolicy`: the manual's rule, the context rule, the blocklist,
//! the NIST preset, every violation reported, secrets never shown.

use kenpo_auth::{
    MessageJa, NewPassword, PasswordCharset, PasswordError, PasswordPolicy, PasswordViolation,
    UserId,
};

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
        // Twenty characters (a repeated unit such as `a1?a1?…` is refused: see below).
        "a1?b2!c3@d4#e5%f6&g7",
    ] {
        let password = NewPassword::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(password.expose(), ok);
    }
}

#[test]
fn every_manual_symbol_counts_as_a_symbol() {
    assert_eq!(PasswordPolicy::MANUAL_SYMBOLS, "?!@#%&()_+");
    for symbol in PasswordPolicy::MANUAL_SYMBOLS.chars() {
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
    assert!(NewPassword::parse("kqzvx7!wbmtrp3?yhjcd").is_ok());
    assert_eq!(
        violations("kqzvx7!wbmtrp3?yhjcdn"),
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
    assert_eq!(PasswordPolicy::common_password_count(), 19_640);
}

/// The first `chars` characters of a long passphrase that repeats nothing.
fn passphrase(chars: usize) -> &'static str {
    const TEXT: &str = "members of the health insurance union keep long passphrases in a safe \
        place and never write them on a sticky note beside the screen or read them out over \
        the telephone to somebody who says they are calling from the union office today";
    assert!(TEXT.len() >= chars && TEXT.is_ascii());
    &TEXT[..chars]
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
    assert!(nist.check(passphrase(64), None).is_ok());
    assert!(nist.check(passphrase(128), None).is_ok());
    assert_eq!(
        nist.check(passphrase(129), None).unwrap_err().violations(),
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

/// Each password is refused by `policy`, for (among others) the violation beside it.
fn assert_refused_for(policy: &PasswordPolicy, cases: &[(&str, PasswordViolation)]) {
    for (bad, expected) in cases {
        let err = policy.check(bad, None).unwrap_err();
        assert!(err.has(expected), "{bad}: {err}");
    }
}

#[test]
fn the_issue_examples_are_refused_by_the_nist_preset() {
    let nist = PasswordPolicy::nist_800_63b();
    assert_refused_for(
        &nist,
        &[
            ("passwordpassword", PasswordViolation::Repetitive),
            ("Password!1Password!1", PasswordViolation::Repetitive),
            ("aaaaaaaaaaaaaaa", PasswordViolation::Repetitive),
            ("123456789012345", PasswordViolation::Sequential),
            ("abcdefghijklmnop", PasswordViolation::Sequential),
            ("zyxwvutsrqponmlk", PasswordViolation::Sequential),
            ("098765432109876", PasswordViolation::Sequential),
            ("ABCDEFGHIJKLMNOP!!", PasswordViolation::Sequential),
        ],
    );
    // Common passwords padded past fifteen characters.
    for bad in ["password123456789", "dragon!!!!!!!!!", "123456123456789"] {
        assert!(
            nist.check(bad, None)
                .unwrap_err()
                .has(&PasswordViolation::Common),
            "{bad}"
        );
    }
}

#[test]
fn repetition_and_sequences_under_the_manuals_policy() {
    assert_refused_for(
        &PasswordPolicy::default(),
        &[
            ("Ab1!Ab1!", PasswordViolation::Repetitive),
            ("a1?a1?a1?a1?a1?a1?a1", PasswordViolation::Repetitive),
            ("1!Xoxoxoxo", PasswordViolation::Repetitive),
            ("Lmnopqrs1!", PasswordViolation::Sequential),
            ("#9Zyxwvut", PasswordViolation::Sequential),
        ],
    );
    // Short runs inside a password, and short cores, are not what the rules mean.
    for ok in [
        "Sakura#2024x",
        "Kenpo#2024x",
        "ZZ9(((((",
        "Xyz!93751842",
        "Qrs7#mZ2!pL",
    ] {
        assert!(NewPassword::parse(ok).is_ok(), "{ok}");
    }
    let mut relaxed = PasswordPolicy::default();
    relaxed.forbid_repetition = false;
    relaxed.forbid_sequences = false;
    relaxed.forbid_common = false;
    assert!(relaxed.check("Ab1!Ab1!", None).is_ok());
    assert!(relaxed.check("Lmnopqrs1!", None).is_ok());
}

#[test]
fn context_words_are_refused_as_typed_and_with_substitutions_undone() {
    let policy = PasswordPolicy::default().with_context_words(["Kenpo", "ibss", "NGK"]);
    assert_eq!(policy.context_words, ["Kenpo", "ibss", "NGK"]);
    for bad in [
        "Kenpo#2024x",
        "myKENPO!77",
        "K3np0#2024x",
        "x!b55#2024q",
        "(ngk)2024qq",
        "#9N6K+zzzzq",
    ] {
        let err = policy.check(bad, None);
        if bad == "#9N6K+zzzzq" {
            // `6` does not stand for `g`: only the blocklist's readings count.
            assert!(err.is_ok(), "{bad}");
            continue;
        }
        assert_eq!(
            err.unwrap_err().violations(),
            [PasswordViolation::ContainsContextWord],
            "{bad}"
        );
    }
    assert!(policy.check("Sakura#2024x", None).is_ok());
    // The field works as well as the builder; empty words are ignored; words are NFKC'd.
    let mut nist = PasswordPolicy::nist_800_63b();
    nist.context_words = vec![String::new(), "ｹﾝﾎﾟ".to_owned()];
    assert!(nist.check("correct horse battery", None).is_ok());
    assert_eq!(
        nist.check("けんぽ ケンポ correct horse", None)
            .unwrap_err()
            .violations(),
        [PasswordViolation::ContainsContextWord]
    );
    // Both presets start without any.
    assert!(PasswordPolicy::default().context_words.is_empty());
    assert!(PasswordPolicy::nist_800_63b().context_words.is_empty());
}

#[test]
fn the_new_violations_have_messages() {
    for (violation, japanese, english) in [
        (
            PasswordViolation::ContainsContextWord,
            "健康保険組合の名前",
            "context word",
        ),
        (PasswordViolation::Repetitive, "繰り返し", "repeated"),
        (PasswordViolation::Sequential, "連続", "consecutive"),
    ] {
        assert!(violation.message_ja().contains(japanese), "{violation:?}");
        assert!(violation.to_string().contains(english), "{violation:?}");
    }
}

#[test]
fn input_over_1024_bytes_is_refused_before_anything_else() {
    assert_eq!(PasswordPolicy::MAX_INPUT_BYTES, 1_024);
    let id = UserId::parse("NGK0001").unwrap();
    for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
        let max = policy.max_chars;
        // 1,024 bytes are still looked at: every violation is reported.
        let at_limit = format!("ngk0001{}", "\u{7}".repeat(1_017));
        assert_eq!(at_limit.len(), 1_024);
        let err = policy.check(&at_limit, Some(&id)).unwrap_err();
        assert!(err.violations().len() > 1, "{err}");
        // One byte more, and only the length is reported.
        for over in [
            format!("{at_limit}x"),
            "ｶ".repeat(342),
            "Password1!".repeat(1 << 20),
        ] {
            assert!(over.len() > 1_024);
            assert_eq!(
                policy.check(&over, Some(&id)).unwrap_err().violations(),
                [PasswordViolation::TooLong { max }]
            );
        }
    }
}

#[test]
fn normalize_for_login_looks_at_1024_bytes_at_most() {
    let nist = PasswordPolicy::nist_800_63b();
    let manual = PasswordPolicy::default();
    // Within the limit: unchanged behaviour.
    let fits = "ｶ".repeat(341);
    assert_eq!(fits.len(), 1_023);
    assert_eq!(*nist.normalize_for_login(&fits), "カ".repeat(341));
    assert_eq!(*manual.normalize_for_login(&fits), fits);
    // Over it: cut at the last whole character within 1,024 bytes, then normalised.
    let huge = "ｶ".repeat(16 << 20);
    assert_eq!(*nist.normalize_for_login(&huge), "カ".repeat(341));
    assert_eq!(*manual.normalize_for_login(&huge), fits);
    let ascii = "x".repeat(5_000);
    assert_eq!(manual.normalize_for_login(&ascii).len(), 1_024);
    assert_eq!(nist.normalize_for_login(&ascii).len(), 1_024);
}
