//! Step 1-2: first authentication against the roster, with throttling.

use crate::support::*;
use kenpo_auth::{Error, IdentityForm};

#[test]
fn the_manuals_example_spelling_matches() {
    let fx = fixture();
    // The roster says ケンポ ショウコ; the member types ケンホ シヨウコ.
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
}

#[test]
fn hiragana_half_width_and_no_space_match_too() {
    let fx = fixture();
    for name in ["けんぽしょうこ", "ｹﾝﾎﾟ ｼｮｳｺ", "ケンポ　ショウコ"] {
        let form = IdentityForm {
            name_kana: name.into(),
            ..shoko()
        };
        assert!(
            block_on(fx.portal.authenticate_insured(&form)).is_ok(),
            "{name}"
        );
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
    assert!(block_on(fx.portal.authenticate_insured(&form)).is_ok());
}

#[test]
fn each_differing_field_gets_the_same_answer() {
    let fx = fixture();
    let variants = [
        IdentityForm {
            insurer_code: "06139998".into(),
            ..shoko()
        },
        IdentityForm {
            symbol: "1235".into(),
            ..shoko()
        },
        IdentityForm {
            number: "0567".into(),
            ..shoko()
        },
        IdentityForm {
            birth_date: "1975-03-03".into(),
            ..shoko()
        },
        IdentityForm {
            name_kana: "ケンポ ハナコ".into(),
            ..shoko()
        },
    ];
    let messages: Vec<String> = variants
        .iter()
        .map(|form| {
            let error = block_on(fx.portal.authenticate_insured(form)).unwrap_err();
            assert!(matches!(error, Error::IdentityNotConfirmed), "{error:?}");
            error.message_ja()
        })
        .collect();
    assert!(messages.windows(2).all(|pair| pair[0] == pair[1]));
}

#[test]
fn five_failures_per_insured_key_then_a_fifteen_minute_wait() {
    let fx = fixture();
    let wrong = IdentityForm {
        birth_date: "1975-03-03".into(),
        ..shoko()
    };
    for _ in 0..5 {
        let error = block_on(fx.portal.authenticate_insured(&wrong)).unwrap_err();
        assert!(matches!(error, Error::IdentityNotConfirmed), "{error:?}");
    }
    let error = block_on(fx.portal.authenticate_insured(&shoko())).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { .. }),
        "even the right details wait: {error:?}"
    );
    // Another insured person is not affected.
    assert!(block_on(fx.portal.authenticate_insured(&taro())).is_ok());
    fx.clock.advance(15 * MINUTE);
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
}

#[test]
fn a_success_clears_the_failures() {
    let fx = fixture();
    let wrong = IdentityForm {
        birth_date: "1975-03-03".into(),
        ..shoko()
    };
    for _ in 0..4 {
        block_on(fx.portal.authenticate_insured(&wrong)).unwrap_err();
    }
    block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    for _ in 0..4 {
        block_on(fx.portal.authenticate_insured(&wrong)).unwrap_err();
    }
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
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
        let error = block_on(fx.portal.authenticate_insured(&bad)).unwrap_err();
        let Error::Form(errors) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(errors.errors().len(), 4, "{errors:?}");
    }
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
}

#[test]
fn an_insured_person_with_an_account_is_told_so() {
    let fx = fixture();
    register(&fx);
    let error = block_on(fx.portal.authenticate_insured(&shoko())).unwrap_err();
    assert!(matches!(error, Error::AlreadyRegistered), "{error:?}");
}
