//! `UserId`: the manual's rule (6–50 of `A–Z a–z 0–9 @ - _ . +`), the uniqueness key, serde.

use crate::support::{assert_json_refused, assert_json_round_trip};
use kenpo_auth::{MessageJa, UserId, UserIdError};
use proptest::prelude::*;

const ALLOWED: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-_.+";

#[test]
fn limits_are_the_manuals() {
    assert_eq!((UserId::MIN_LEN, UserId::MAX_LEN), (6, 50));
}

#[test]
fn accepts_the_manuals_examples() {
    for ok in [
        "NGK0001",
        "ngk0001",
        "taro.yamada@kenpo",
        "a-b_c.d+e@f",
        "123456",
    ] {
        assert_eq!(UserId::parse(ok).unwrap().as_str(), ok);
    }
}

#[test]
fn length_bounds_are_inclusive() {
    assert!(UserId::parse(&"a".repeat(6)).is_ok());
    assert!(UserId::parse(&"a".repeat(50)).is_ok());
    assert_eq!(
        UserId::parse(&"a".repeat(5)),
        Err(UserIdError::TooShort { len: 5, min: 6 })
    );
    assert_eq!(
        UserId::parse(&"a".repeat(51)),
        Err(UserIdError::TooLong { len: 51, max: 50 })
    );
    assert_eq!(UserId::parse(""), Err(UserIdError::Empty));
}

#[test]
fn names_the_first_offending_character() {
    let cases = [
        ("ＮGK0001", 'Ｎ', 1),              // full-width letter
        ("NGK０001", '０', 4),              // full-width digit
        ("taro＠kenpo", '＠', 5),           // full-width @
        ("NGK 0001", ' ', 4),               // space
        ("NGK\u{3000}0001", '\u{3000}', 4), // ideographic space
        ("NGK\t0001", '\t', 4),             // control
        ("NGK#0001", '#', 4),               // other symbol
        ("NGK0001!?", '!', 8),              // first of two
        ("けんぽ0001", 'け', 1),            // kana
    ];
    for (input, ch, position) in cases {
        assert_eq!(
            UserId::parse(input),
            Err(UserIdError::InvalidChar { ch, position }),
            "{input:?}"
        );
    }
}

#[test]
fn invalid_character_wins_over_length() {
    assert!(matches!(
        UserId::parse("a b"),
        Err(UserIdError::InvalidChar { position: 2, .. })
    ));
}

#[test]
fn messages_are_japanese_and_helpful() {
    let full = UserId::parse("ＮGK0001").unwrap_err();
    assert!(full.message_ja().contains("全角"), "{}", full.message_ja());
    assert!(full.message_ja().contains("半角"));
    let space = UserId::parse("NGK 0001").unwrap_err();
    assert!(space.message_ja().contains("空白"));
    let other = UserId::parse("NGK#0001").unwrap_err();
    assert!(other.message_ja().contains("「#」"));
    assert!(
        UserId::parse("abc")
            .unwrap_err()
            .message_ja()
            .contains("6文字以上")
    );
    assert!(
        UserId::parse(&"a".repeat(51))
            .unwrap_err()
            .message_ja()
            .contains("50文字以内")
    );
    assert!(UserId::parse("").unwrap_err().message_ja().contains("入力"));
    // English Display for logs.
    assert!(
        UserId::parse("abc")
            .unwrap_err()
            .to_string()
            .contains("too short")
    );
}

#[test]
fn unique_key_folds_case_but_equality_does_not() {
    let upper = UserId::parse("NGK0001").unwrap();
    let lower = UserId::parse("ngk0001").unwrap();
    assert_ne!(upper, lower);
    assert_eq!(upper.unique_key(), "ngk0001");
    assert_eq!(upper.unique_key(), lower.unique_key());
    assert_eq!(upper.to_string(), "NGK0001");
}

#[test]
fn serde_goes_through_parse() {
    assert_json_round_trip(&UserId::parse("NGK0001").unwrap(), "\"NGK0001\"");
    assert_json_refused::<UserId>(&["\"NGK 0001\"", "\"abc\""]);
}

proptest! {
    #[test]
    fn never_panics(input in any::<String>()) {
        let _ = UserId::parse(&input);
    }

    #[test]
    fn every_allowed_string_of_allowed_length_passes(
        input in proptest::collection::vec(proptest::sample::select(ALLOWED.chars().collect::<Vec<_>>()), 6..=50)
    ) {
        let input: String = input.into_iter().collect();
        let id = UserId::parse(&input).unwrap();
        prop_assert_eq!(id.as_str(), input.as_str());
        prop_assert_eq!(id.unique_key(), input.to_ascii_lowercase());
    }

    #[test]
    fn one_foreign_character_fails_and_is_named(
        base in "[A-Za-z0-9@._+-]{6,49}",
        ch in any::<char>().prop_filter("outside the alphabet", |c| !ALLOWED.contains(*c)),
        at in any::<proptest::sample::Index>(),
    ) {
        let position = at.index(base.len() + 1);
        let mut input = base.clone();
        input.insert(position, ch);
        prop_assert_eq!(
            UserId::parse(&input),
            Err(UserIdError::InvalidChar { ch, position: position + 1 })
        );
    }

    #[test]
    fn case_variants_share_the_key(input in "[A-Za-z0-9@._+-]{6,50}") {
        let a = UserId::parse(&input).unwrap();
        let b = UserId::parse(&input.to_ascii_uppercase()).unwrap();
        prop_assert_eq!(a.unique_key(), b.unique_key());
    }
}
