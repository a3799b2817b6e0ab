//! `EmailAddress`: dot-atom or quoted local part, a domain with a TLD, length limits, the
//! legacy-carrier case, serde.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kenpo_auth::email::DotProblem;
use kenpo_auth::{EmailAddress, EmailError};
use proptest::prelude::*;

fn err(input: &str) -> EmailError {
    EmailAddress::parse(input).unwrap_err()
}

#[test]
fn accepts_ordinary_addresses() {
    for ok in [
        "taro@example.jp",
        "taro.kenpo@example.co.jp",
        "TARO+survey@Example.CO.JP",
        "a!#$%&'*+-/=?^_`{|}~z@example.com",
        "x@a-b.example",
        "ngk0001@mail.xn--wgv71a.jp",
        "1@2.example",
    ] {
        let email = EmailAddress::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(email.as_str(), ok);
        assert_eq!(format!("{}@{}", email.local_part(), email.domain()), ok);
    }
}

#[test]
fn accepts_quoted_local_parts() {
    let email = EmailAddress::parse("\"john doe\"@example.jp").unwrap();
    assert_eq!(email.local_part(), "\"john doe\"");
    assert_eq!(email.domain(), "example.jp");
    let email = EmailAddress::parse("\"a@b\\\"c..d\"@example.jp").unwrap();
    assert_eq!(email.domain(), "example.jp");
    assert_eq!(
        EmailAddress::parse("\"abc@example.jp"),
        Err(EmailError::UnterminatedQuote)
    );
    assert_eq!(
        EmailAddress::parse("\"abc\\"),
        Err(EmailError::UnterminatedQuote)
    );
    assert_eq!(
        EmailAddress::parse("\"abc\"x@example.jp"),
        Err(EmailError::TextAfterQuote)
    );
    assert_eq!(
        EmailAddress::parse("\"\"@example.jp"),
        Err(EmailError::EmptyLocalPart)
    );
}

#[test]
fn legacy_carrier_addresses_get_their_own_error() {
    let cases = [
        ("ab..cd@docomo.ne.jp", DotProblem::Consecutive, 3),
        (".abcd@ezweb.ne.jp", DotProblem::Leading, 1),
        ("abcd.@softbank.ne.jp", DotProblem::Trailing, 5),
        ("_ab..cd---@example.co.jp", DotProblem::Consecutive, 4),
    ];
    for (input, problem, position) in cases {
        let e = err(input);
        assert_eq!(e, EmailError::DotAtom { problem, position }, "{input}");
        assert!(e.is_dot_atom_warning());
        assert!(
            e.message_ja().contains("届かない可能性"),
            "{}",
            e.message_ja()
        );
        let accepted = EmailAddress::parse_allowing_legacy_dots(input).unwrap();
        assert!(accepted.has_legacy_dots());
        assert_eq!(accepted.as_str(), input);
    }
    assert!(
        !EmailAddress::parse("a.b@example.jp")
            .unwrap()
            .has_legacy_dots()
    );
}

#[test]
fn dot_atom_is_only_reported_when_nothing_else_is_wrong() {
    // Other faults take precedence, so `is_dot_atom_warning` means "only the dots".
    assert!(matches!(
        err("ab..c d@docomo.ne.jp"),
        EmailError::InvalidChar { ch: ' ', .. }
    ));
    assert_eq!(err("ab..cd@docomo"), EmailError::MissingTld);
    assert_eq!(
        err(&format!("{}..@docomo.ne.jp", "a".repeat(63))),
        EmailError::LocalPartTooLong { max: 64 }
    );
    assert!(EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo").is_err());
}

#[test]
fn refuses_malformed_addresses() {
    let cases: &[(&str, EmailError)] = &[
        ("", EmailError::Empty),
        ("Taro <taro@example.jp>", EmailError::DisplayName),
        ("<taro@example.jp>", EmailError::DisplayName),
        ("\"Taro\" <taro@example.jp>", EmailError::DisplayName),
        ("taro.example.jp", EmailError::MissingAt),
        ("@example.jp", EmailError::EmptyLocalPart),
        ("taro@", EmailError::EmptyDomain),
        ("taro@@example.jp", EmailError::MultipleAt),
        ("taro@example@jp", EmailError::MultipleAt),
        ("taro@localhost", EmailError::MissingTld),
        ("user@xn--p1ai", EmailError::MissingTld),
        ("taro@example.", EmailError::EmptyLabel),
        ("taro@.example.jp", EmailError::EmptyLabel),
        ("taro@example..jp", EmailError::EmptyLabel),
        ("taro@-example.jp", EmailError::LabelHyphen),
        ("taro@example-.jp", EmailError::LabelHyphen),
        ("taro@192.0.2.1", EmailError::InvalidTld),
        ("taro@example.j", EmailError::InvalidTld),
    ];
    check_refused(cases);
}

#[test]
fn refuses_characters_out_of_place() {
    let cases: &[(&str, EmailError)] = &[
        (
            "taro@[192.0.2.1]",
            EmailError::InvalidChar {
                ch: '[',
                position: 6,
            },
        ),
        (
            "taro @example.jp",
            EmailError::InvalidChar {
                ch: ' ',
                position: 5,
            },
        ),
        (
            " taro@example.jp",
            EmailError::InvalidChar {
                ch: ' ',
                position: 1,
            },
        ),
        (
            "taro@example.jp ",
            EmailError::InvalidChar {
                ch: ' ',
                position: 16,
            },
        ),
        (
            "taro@exa_mple.jp",
            EmailError::InvalidChar {
                ch: '_',
                position: 9,
            },
        ),
        (
            "ta(ro)@example.jp",
            EmailError::InvalidChar {
                ch: '(',
                position: 3,
            },
        ),
        (
            "taro＠example.jp",
            EmailError::InvalidChar {
                ch: '＠',
                position: 5,
            },
        ),
        (
            "たろう@example.jp",
            EmailError::InvalidChar {
                ch: 'た',
                position: 1,
            },
        ),
        (
            "taro@例え.jp",
            EmailError::InvalidChar {
                ch: '例',
                position: 6,
            },
        ),
        (
            "ta\tro@example.jp",
            EmailError::InvalidChar {
                ch: '\t',
                position: 3,
            },
        ),
        (
            "\"ta\u{7}\"@example.jp",
            EmailError::InvalidChar {
                ch: '\u{7}',
                position: 4,
            },
        ),
    ];
    check_refused(cases);
}

fn check_refused(cases: &[(&str, EmailError)]) {
    for (input, expected) in cases {
        assert_eq!(&err(input), expected, "{input:?}");
        assert!(!expected.is_dot_atom_warning());
    }
}

#[test]
fn length_limits() {
    let local64 = "a".repeat(64);
    assert!(EmailAddress::parse(&format!("{local64}@example.jp")).is_ok());
    assert_eq!(
        err(&format!("a{local64}@example.jp")),
        EmailError::LocalPartTooLong { max: 64 }
    );
    let label63 = "b".repeat(63);
    assert!(EmailAddress::parse(&format!("a@{label63}.jp")).is_ok());
    assert_eq!(
        err(&format!("a@b{label63}.jp")),
        EmailError::LabelTooLong { max: 63 }
    );
    // 254 octets in all: 64 + 1 + 189.
    let domain = format!(
        "{}.{}.{}.jp",
        "c".repeat(63),
        "d".repeat(63),
        "e".repeat(58)
    );
    let exact = format!("{local64}@{domain}");
    assert_eq!(exact.len(), 254);
    assert!(EmailAddress::parse(&exact).is_ok());
    let over = format!("{local64}@f{domain}");
    assert_eq!(err(&over), EmailError::TooLong { max: 254 });
}

#[test]
fn messages_are_japanese() {
    assert!(err("taro＠example.jp").message_ja().contains("全角"));
    assert!(err("taro @example.jp").message_ja().contains("空白"));
    assert!(err("taro@@example.jp").message_ja().contains("2つ以上"));
    assert!(err("").message_ja().contains("入力"));
    assert!(err("Taro <taro@example.jp>").message_ja().contains("名前"));
    assert!(
        err("taro@@example.jp")
            .to_string()
            .contains("more than one @")
    );
}

#[test]
fn serde_goes_through_parse() {
    let email = EmailAddress::parse("taro@example.jp").unwrap();
    let json = serde_json::to_string(&email).unwrap();
    assert_eq!(json, "\"taro@example.jp\"");
    assert_eq!(serde_json::from_str::<EmailAddress>(&json).unwrap(), email);
    assert!(serde_json::from_str::<EmailAddress>("\"taro@@example.jp\"").is_err());
    // An address accepted after the legacy-dots warning can be read back.
    assert!(serde_json::from_str::<EmailAddress>("\"ab..cd@docomo.ne.jp\"").is_ok());
}

proptest! {
    #[test]
    fn never_panics(input in any::<String>()) {
        let _ = EmailAddress::parse(&input);
        let _ = EmailAddress::parse_allowing_legacy_dots(&input);
    }

    #[test]
    fn never_panics_near_the_grammar(input in "[a-z.@\"\\\\ <>-]{0,40}") {
        if let Ok(email) = EmailAddress::parse(&input) {
            prop_assert_eq!(format!("{}@{}", email.local_part(), email.domain()), input);
        }
    }

    #[test]
    fn generated_dot_atoms_pass(
        local in "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[A-Za-z0-9_-]{1,10}){0,3}",
        labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4),
        tld in "[a-z]{2,6}",
    ) {
        let input = format!("{local}@{}.{tld}", labels.join("."));
        let email = EmailAddress::parse(&input).unwrap();
        prop_assert_eq!(email.local_part(), local.as_str());
    }

    #[test]
    fn a_doubled_dot_is_the_dot_atom_error(a in "[a-z0-9]{1,10}", b in "[a-z0-9]{1,10}") {
        let e = EmailAddress::parse(&format!("{a}..{b}@docomo.ne.jp")).unwrap_err();
        prop_assert!(e.is_dot_atom_warning());
    }
}
