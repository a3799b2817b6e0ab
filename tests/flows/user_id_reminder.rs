//! "Forgot user ID": mailed to the registered address only on a full match; same answer always.

use crate::support::*;
use kenpo_auth::mail::USER_ID_REMINDER_SUBJECT;
use kenpo_auth::{Error, IdentityForm, MailKind};

#[test]
fn a_full_match_mails_the_user_id_to_the_registered_address() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    block_on(fx.portal.remind_user_id(&shoko(), EMAIL)).unwrap();
    assert_eq!(fx.mailer.sent().len(), before + 1);
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.kind, MailKind::UserIdReminder);
    assert_eq!(mail.subject, USER_ID_REMINDER_SUBJECT);
    assert_eq!(mail.to.as_str(), EMAIL);
    assert!(mail.body.contains(USER_ID));
}

#[test]
fn the_address_match_ignores_ascii_case() {
    let fx = fixture();
    register(&fx);
    block_on(fx.portal.remind_user_id(&shoko(), &EMAIL.to_uppercase())).unwrap();
    assert_eq!(
        fx.mailer.last().unwrap().to.as_str(),
        EMAIL,
        "mailed to the registered spelling"
    );
}

#[test]
fn anything_less_than_a_full_match_answers_the_same_and_mails_nothing() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    let wrong_birth = IdentityForm {
        birth_date: "1975-03-03".into(),
        ..shoko()
    };
    let wrong_name = IdentityForm {
        name_kana: "ケンポ ハナコ".into(),
        ..shoko()
    };
    let unknown = IdentityForm {
        number: "999".into(),
        ..shoko()
    };
    for form in [wrong_birth, wrong_name, unknown] {
        assert!(block_on(fx.portal.remind_user_id(&form, EMAIL)).is_ok());
    }
    assert!(block_on(fx.portal.remind_user_id(&shoko(), "other@example.co.jp")).is_ok());
    assert!(
        block_on(fx.portal.remind_user_id(&taro(), EMAIL)).is_ok(),
        "no account: same answer"
    );
    assert_eq!(fx.mailer.sent().len(), before);
}

#[test]
fn every_request_counts_towards_the_limit_matched_or_not() {
    let fx = fixture();
    register(&fx);
    for _ in 0..5 {
        block_on(fx.portal.remind_user_id(&shoko(), EMAIL)).unwrap();
    }
    let error = block_on(fx.portal.remind_user_id(&shoko(), EMAIL)).unwrap_err();
    assert!(matches!(error, Error::TooManyAttempts { .. }), "{error:?}");
    fx.clock.advance(15 * MINUTE);
    assert!(block_on(fx.portal.remind_user_id(&shoko(), EMAIL)).is_ok());
}

#[test]
fn malformed_input_is_a_field_error() {
    let fx = fixture();
    let error = block_on(fx.portal.remind_user_id(&shoko(), "not an address")).unwrap_err();
    assert!(matches!(error, Error::Email(_)), "{error:?}");
    let bad = IdentityForm {
        name_kana: "山田".into(),
        ..shoko()
    };
    let error = block_on(fx.portal.remind_user_id(&bad, EMAIL)).unwrap_err();
    assert!(matches!(error, Error::Form(_)), "{error:?}");
}
