//! `InsuredIdentity::parse` and `InsuredKey::new`: every bad field reported at once,
//! full-width letters and digits converted, anything else a field error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::{Edit, assert_json_round_trip, edited, form_named};
use kenpo_auth::kana::NameError;
use kenpo_auth::{
    BirthDate, DateError, Field, FieldError, FieldErrorKind, IdentityForm, InsuredIdentity,
    InsuredKey, MessageJa,
};

/// The form typed as the roster spells the name.
fn form() -> IdentityForm {
    form_named("ケンポ ショウコ")
}

/// 2024-10-01 in Japan.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_727_740_800)
}

#[test]
fn a_good_form_parses() {
    let id = InsuredIdentity::parse(&form()).unwrap();
    assert_eq!(id.key().insurer_code(), "06139999");
    assert_eq!(id.key().symbol(), "12-3");
    assert_eq!(id.key().number(), "4567");
    assert_eq!(id.birth_date(), BirthDate::new(1970, 3, 2).unwrap());
    assert_eq!(id.name().folded(), "ケンホシヨウコ");
    assert_eq!(id.name().as_str(), "ケンポ ショウコ");
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let bad = IdentityForm {
        insurer_code: String::new(),
        symbol: "12 3".into(),
        number: "45#67".into(),
        birth_date: "1970-02-30".into(),
        name_kana: "山田".into(),
    };
    let errors = InsuredIdentity::parse(&bad).unwrap_err();
    assert_eq!(
        errors.errors(),
        [
            FieldError {
                field: Field::InsurerCode,
                kind: FieldErrorKind::Empty
            },
            FieldError {
                field: Field::Symbol,
                kind: FieldErrorKind::InvalidChar {
                    ch: ' ',
                    position: 3
                }
            },
            FieldError {
                field: Field::Number,
                kind: FieldErrorKind::InvalidChar {
                    ch: '#',
                    position: 3
                }
            },
            FieldError {
                field: Field::BirthDate,
                kind: FieldErrorKind::Date(DateError::Day {
                    year: 1970,
                    month: 2,
                    day: 30
                })
            },
            FieldError {
                field: Field::NameKana,
                kind: FieldErrorKind::Name(NameError::InvalidChar {
                    ch: '山',
                    position: 1
                })
            },
        ]
    );
    assert_eq!(
        errors.message_ja(),
        "保険者指定コードを入力してください。\n\
         記号は半角英数字とハイフン（-）で入力してください（3文字目の「U+0020」は使用できません）。\n\
         番号は半角英数字で入力してください（3文字目の「#」は使用できません）。\n\
         生年月日の日が正しくありません（1970年2月に30日はありません）。\n\
         氏名はカタカナまたはひらがなで入力してください（1文字目の「山」は使用できません）。"
    );
    assert_eq!(errors.to_string().matches("; ").count(), 4);
    assert_eq!((&errors).into_iter().count(), 5);
}

#[test]
fn one_bad_field_is_the_only_one_reported() {
    let cases: [(Field, Edit); 5] = [
        (Field::InsurerCode, |f| f.insurer_code = "06-13".into()),
        (Field::Symbol, |f| f.symbol = "記号".into()),
        (Field::Number, |f| f.number = String::new()),
        (Field::BirthDate, |f| f.birth_date = "1970/03/02".into()),
        (Field::NameKana, |f| f.name_kana = "  ".into()),
    ];
    for (field, edit) in cases {
        let errors = InsuredIdentity::parse(&edited(form(), edit)).unwrap_err();
        assert_eq!(errors.fields().collect::<Vec<_>>(), [field]);
        assert!(errors.contains(field));
    }
}

#[test]
fn full_width_letters_and_digits_are_converted() {
    let f = IdentityForm {
        insurer_code: "０６１３９９９９".into(),
        symbol: "ＡＢ－１２".into(),
        number: "０４５６７".into(),
        birth_date: "１９７０－０３－０２".into(),
        name_kana: "ｹﾝﾎﾟｼｮｳｺ".into(),
    };
    let id = InsuredIdentity::parse(&f).unwrap();
    assert_eq!(id.key().storage_key(), "06139999/AB-12/04567");
    assert_eq!(
        id.key(),
        &InsuredKey::new("06139999", "AB-12", "04567").unwrap()
    );
    assert_eq!(id.birth_date().to_string(), "1970-03-02");
}

#[test]
fn letters_are_case_insensitive_and_leading_zeros_significant() {
    let a = InsuredKey::new("0613", "ab-1", "0045").unwrap();
    let b = InsuredKey::new("0613", "AB-1", "0045").unwrap();
    let c = InsuredKey::new("0613", "ＡＢ－１", "０045").unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.symbol(), "AB-1");
    assert_ne!(a, InsuredKey::new("0613", "AB-1", "45").unwrap());
    assert_ne!(a, InsuredKey::new("613", "AB-1", "0045").unwrap());
}

#[test]
fn only_the_symbol_may_hold_a_hyphen() {
    assert!(InsuredKey::new("1", "-", "1").is_ok());
    let errors = InsuredKey::new("1-2", "1", "3-4").unwrap_err();
    assert_eq!(
        errors.fields().collect::<Vec<_>>(),
        [Field::InsurerCode, Field::Number]
    );
}

#[test]
fn other_characters_are_field_errors() {
    for bad in [
        "ア",
        "１２．３",
        "1_2",
        "1/2",
        "1 ",
        "\u{3000}1",
        "1\u{0}",
        "Ⅻ",
        "ｱ",
        "1ー2",
        "½",
    ] {
        let errors = InsuredKey::new(bad, bad, bad).unwrap_err();
        assert_eq!(errors.errors().len(), 3, "{bad:?}");
        for e in &errors {
            assert!(
                matches!(e.kind, FieldErrorKind::InvalidChar { .. }),
                "{bad:?}: {e}"
            );
        }
    }
}

#[test]
fn fields_are_limited_to_sixteen_characters() {
    let sixteen = "1234567890123456";
    assert!(InsuredKey::new(sixteen, sixteen, sixteen).is_ok());
    let seventeen = "12345678901234567";
    let errors =
        InsuredKey::new(seventeen, "１２３４５６７８９０１２３４５６７", seventeen).unwrap_err();
    for e in &errors {
        assert_eq!(e.kind, FieldErrorKind::TooLong { max: 16 });
    }
    assert_eq!(
        errors.errors()[0].message_ja(),
        "保険者指定コードは16文字以内で入力してください。"
    );
}

#[test]
fn storage_keys_are_unambiguous() {
    let a = InsuredKey::new("1", "2-3", "4").unwrap();
    let b = InsuredKey::new("1", "2", "34").unwrap();
    assert_eq!(a.storage_key(), "1/2-3/4");
    assert_ne!(a.storage_key(), b.storage_key());
    assert_eq!(a.to_string(), a.storage_key());
}

#[test]
fn birth_date_field_errors() {
    let cases = [
        ("", FieldErrorKind::Empty),
        ("1970-3-2", FieldErrorKind::Date(DateError::Format)),
        ("昭和45年3月2日", FieldErrorKind::Date(DateError::Format)),
        (
            "1899-12-31",
            FieldErrorKind::Date(DateError::Year { year: 1899 }),
        ),
        (
            "1970-13-01",
            FieldErrorKind::Date(DateError::Month { month: 13 }),
        ),
        ("2024-10-02", FieldErrorKind::Date(DateError::Future)),
    ];
    for (raw, kind) in cases {
        let mut f = form();
        f.birth_date = raw.into();
        let errors = InsuredIdentity::parse_as_of(&f, now()).unwrap_err();
        assert_eq!(
            errors.errors(),
            [FieldError {
                field: Field::BirthDate,
                kind
            }],
            "{raw:?}"
        );
    }
    let mut f = form();
    f.birth_date = "2024-10-01".into();
    assert!(InsuredIdentity::parse_as_of(&f, now()).is_ok());
    f.birth_date = String::new();
    assert_eq!(
        InsuredIdentity::parse(&f).unwrap_err().message_ja(),
        "生年月日を選択してください。"
    );
}

#[test]
fn the_form_is_serde() {
    assert_json_round_trip(
        &form(),
        r#"{"insurer_code":"06139999","symbol":"12-3","number":"4567","birth_date":"1970-03-02","name_kana":"ケンポ ショウコ"}"#,
    );
    assert_eq!(IdentityForm::default().name_kana, "");
}
