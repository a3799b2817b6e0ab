//! Step 1-2: first authentication against the roster, with throttling.

use crate::support::*;
use kenpo_auth::{Error, IdentityForm};

#[test]
fn the_manuals_example_spelling_matches() {
    let fx = fixture();
    // The roster says ケンポ ショウコ; the member types ケンホ シヨウコ.
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

#[test]
fn hiragana_half_width_and_no_space_match_too() {
    let fx = fixture();
    for name in ["けんぽしょうこ", "ｹﾝﾎﾟ ｼｮｳｺ", "ケンポ　ショウコ"] {
        let form = IdentityForm {
            name_kana: name.into(),
            ..shoko()
        };
        assert!(fx.authenticate_insured(&form).is_ok(), "{name}");
    }
}

#[test]
fn full_width_digits_in_the_numbers_are_accepted() {
    let fx = fixture();
    let form = IdentityForm {
        insurer_code: "０６１３９９９９".into(),
        number: "５６７".into(),
        ..shoko()
    };
    assert!(fx.authenticate_insured(&form).is_ok());
}

#[test]
fn each_differing_field_gets_the_same_answer() {
    let fx = fixture();
    let edits: [fn(&mut IdentityForm); 5] = [
        |form| form.insurer_code = "06139998".into(),
        |form| form.symbol = "1235".into(),
        |form| form.number = "0567".into(),
        |form| form.birth_date = "1975-03-03".into(),
        |form| form.name_kana = "ケンポ ハナコ".into(),
    ];
    let messages: Vec<String> = edits
        .iter()
        .map(|edit| {
            let mut form = shoko();
            edit(&mut form);
            assert_error!(fx.authenticate_insured(&form), Error::IdentityNotConfirmed).message_ja()
        })
        .collect();
    assert!(messages.windows(2).all(|pair| pair[0] == pair[1]));
}

#[test]
fn five_failures_per_insured_key_then_a_fifteen_minute_wait() {
    let fx = fixture();
    fail_identity(&fx, 5);
    assert_error!(
        fx.authenticate_insured(&shoko()),
        Error::TooManyAttempts { .. },
        "even the right details wait"
    );
    // Another insured person is not affected.
    assert!(fx.authenticate_insured(&taro()).is_ok());
    fx.clock.advance(15 * MINUTE);
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

#[test]
fn a_success_clears_the_failures() {
    let fx = fixture();
    fail_identity(&fx, 4);
    fx.authenticate_insured(&shoko()).unwrap();
    fail_identity(&fx, 4);
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

#[test]
fn malformed_fields_are_listed_and_not_counted() {
    let fx = fixture();
    let bad = IdentityForm {
        insurer_code: "06-13".into(),
        symbol: String::new(),
        number: "5６7".into(),
        birth_date: "1975-02-30".into(),
        name_kana: "山田".into(),
    };
    for _ in 0..6 {
        let error = fx.authenticate_insured(&bad).unwrap_err();
        let Error::Form(errors) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(errors.errors().len(), 4, "{errors:?}");
    }
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

#[test]
fn an_insured_person_with_an_account_is_told_so() {
    let fx = registered();
    assert_error!(fx.authenticate_insured(&shoko()), Error::AlreadyRegistered);
}
