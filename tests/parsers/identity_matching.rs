//! `InsuredRecord::matches`: all five fields must agree, the name by its folded key; the
//! outcome is a bare bool, and the reason is only in the host's `diagnose`.

use crate::support::{Edit, assert_json_refused, assert_json_round_trip, edited, form_named};
use kenpo_auth::{BirthDate, Field, IdentityForm, InsuredIdentity, InsuredRecord};

fn record() -> InsuredRecord {
    InsuredRecord::new(
        "06139999",
        "12-3",
        "4567",
        BirthDate::new(1970, 3, 2).unwrap(),
        "ケンポ ショウコ",
    )
    .unwrap()
}

/// The form typed the way the manual's example does, without voicing marks or small kana.
fn form() -> IdentityForm {
    form_named("ケンホ シヨウコ")
}

fn identity(f: &IdentityForm) -> InsuredIdentity {
    InsuredIdentity::parse(f).unwrap()
}

#[test]
fn the_manuals_example_matches() {
    let id = identity(&form());
    assert!(record().matches(&id));
    assert!(record().diagnose(&id).is_match());
    assert_eq!(record().diagnose(&id).to_string(), "match");
}

#[test]
fn other_spellings_of_the_name_match() {
    for name in [
        "けんぽしょうこ",
        "ｹﾝﾎﾟ ｼｮｳｺ",
        "ケンポ・ショウコ",
        "ケンポ　ショウコ",
        "ｹﾝﾎ\u{309A}ｼﾖｳｺ",
    ] {
        assert!(record().matches(&identity(&form_named(name))), "{name}");
    }
}

#[test]
fn each_field_must_agree() {
    let cases: [(Field, Edit); 5] = [
        (Field::InsurerCode, |f| f.insurer_code = "06139998".into()),
        (Field::Symbol, |f| f.symbol = "123".into()),
        (Field::Number, |f| f.number = "04567".into()),
        (Field::BirthDate, |f| f.birth_date = "1970-03-03".into()),
        (Field::NameKana, |f| {
            f.name_kana = "ケンポ ショウゴロウ".into();
        }),
    ];
    for (field, edit) in cases {
        let id = identity(&edited(form(), edit));
        assert!(!record().matches(&id), "{field:?}");
        let d = record().diagnose(&id);
        assert!(!d.is_match());
        assert_eq!(d.fields().collect::<Vec<_>>(), [field]);
        assert!(d.differs(field));
    }
}

#[test]
fn the_diagnostic_lists_every_differing_field() {
    let f = IdentityForm {
        insurer_code: "1".into(),
        symbol: "12-3".into(),
        number: "2".into(),
        birth_date: "1970-03-02".into(),
        name_kana: "サトー".into(),
    };
    let d = record().diagnose(&identity(&f));
    assert_eq!(
        d.fields().collect::<Vec<_>>(),
        [Field::InsurerCode, Field::Number, Field::NameKana]
    );
    assert_eq!(d.to_string(), "differs in: insurer code, number, kana name");
}

#[test]
fn prolonged_sound_is_not_a_vowel() {
    let r =
        InsuredRecord::new("1", "1", "1", BirthDate::new(1980, 1, 1).unwrap(), "サトウ").unwrap();
    let mut f = IdentityForm {
        insurer_code: "1".into(),
        symbol: "1".into(),
        number: "1".into(),
        birth_date: "1980-01-01".into(),
        name_kana: "サトー".into(),
    };
    assert!(!r.matches(&identity(&f)));
    f.name_kana = "さとう".into();
    assert!(r.matches(&identity(&f)));
}

#[test]
fn record_fields_are_validated() {
    let errors =
        InsuredRecord::new("", "1", "1", BirthDate::new(1980, 1, 1).unwrap(), "Sato").unwrap_err();
    assert_eq!(
        errors.fields().collect::<Vec<_>>(),
        [Field::InsurerCode, Field::NameKana]
    );
}

#[test]
fn records_serialize_flat_and_revalidate() {
    let json = serde_json::to_string(&record()).unwrap();
    assert_eq!(
        json,
        r#"{"insurer_code":"06139999","symbol":"12-3","number":"4567","birth_date":"1970-03-02","name_kana":"ケンポ ショウコ"}"#
    );
    let back: InsuredRecord = serde_json::from_str(&json).unwrap();
    assert!(back.matches(&identity(&form())));
    assert_eq!(back.key(), record().key());
    assert_eq!(back.birth_date(), record().birth_date());
    assert_eq!(back.name().as_str(), "ケンポ ショウコ");

    assert_json_refused::<InsuredRecord>(&[
        &json.replace("ケンポ ショウコ", "Kenpo"),
        &json.replace("1970-03-02", "1970-02-30"),
        &json.replace("12-3", "12/3"),
    ]);
}

#[test]
fn keys_serialize_and_revalidate() {
    let key = record().key().clone();
    assert_json_round_trip(
        &key,
        r#"{"insurer_code":"06139999","symbol":"12-3","number":"4567"}"#,
    );
    let full_width = r#"{"insurer_code":"０６１３９９９９","symbol":"12-3","number":"4567"}"#;
    assert_eq!(
        serde_json::from_str::<kenpo_auth::InsuredKey>(full_width).unwrap(),
        key
    );
    assert_json_refused::<kenpo_auth::InsuredKey>(&[
        r#"{"insurer_code":"","symbol":"12-3","number":"4567"}"#,
    ]);
}

#[test]
fn birth_dates_serialize_as_iso_strings() {
    let d = BirthDate::new(1970, 3, 2).unwrap();
    assert_json_round_trip(&d, r#""1970-03-02""#);
    assert_json_refused::<BirthDate>(&[r#""1970-3-2""#, r#""3000-01-01""#]);
}
