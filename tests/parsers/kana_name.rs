//! `KanaName`: equality and hashing by folded key, Display as typed, serde as the original
//! string and validated on the way in.

use std::collections::HashSet;

use kenpo_auth::kana::{KanaName, NameError};

#[test]
fn equal_and_hashed_by_folded_key() {
    let names = [
        "ケンポ ショウコ",
        "けんほしようこ",
        "ｹﾝﾎﾟ ｼｮｳｺ",
        "ケンポ・ショウコ",
    ];
    let set: HashSet<KanaName> = names.iter().map(|n| KanaName::parse(n).unwrap()).collect();
    assert_eq!(set.len(), 1);
    assert_ne!(
        KanaName::parse("サトー").unwrap(),
        KanaName::parse("サトウ").unwrap()
    );
}

#[test]
fn display_and_as_str_keep_the_original() {
    let n: KanaName = "ｹﾝﾎﾟ ｼｮｳｺ".parse().unwrap();
    assert_eq!(n.to_string(), "ｹﾝﾎﾟ ｼｮｳｺ");
    assert_eq!(n.as_str(), "ｹﾝﾎﾟ ｼｮｳｺ");
    assert_eq!(n.folded(), "ケンホシヨウコ");
    assert!(format!("{n:?}").contains("ケンホシヨウコ"));
}

#[test]
fn serde_is_the_original_string() {
    let n = KanaName::parse("ケンポ ショウコ").unwrap();
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, r#""ケンポ ショウコ""#);
    let back: KanaName = serde_json::from_str(&json).unwrap();
    assert_eq!(back.as_str(), "ケンポ ショウコ");
    assert_eq!(back, n);
    let err = serde_json::from_str::<KanaName>(r#""山田""#).unwrap_err();
    assert!(err.to_string().contains("position 1"), "{err}");
    assert!(serde_json::from_str::<KanaName>(r#""""#).is_err());
}

#[test]
fn parse_reports_the_same_errors_as_fold() {
    assert_eq!(KanaName::parse("").unwrap_err(), NameError::Empty);
    assert!(matches!(
        KanaName::try_from("ゝア"),
        Err(NameError::IterationMarkAtStart)
    ));
}
