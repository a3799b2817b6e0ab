//! "Forgot user ID": mailed to the registered address only on a full match; same answer always.

use crate::support::*;
use kenpo_auth::{Error, MailKind};

#[test]
fn a_full_match_mails_the_user_id_to_the_registered_address() {
    let fx = registered();
    let before = fx.mailer.sent().len();
    fx.remind_user_id(&shoko(), EMAIL).unwrap();
    assert_eq!(fx.mailer.sent().len(), before + 1);
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.kind, MailKind::UserIdReminder);
    assert_eq!(mail.subject, MailKind::UserIdReminder.subject());
    assert_eq!(mail.to.as_str(), EMAIL);
    assert!(mail.body.contains(USER_ID));
}

#[test]
fn the_address_match_ignores_ascii_case() {
    let fx = registered();
    fx.remind_user_id(&shoko(), &EMAIL.to_uppercase()).unwrap();
    assert_eq!(
        fx.mailer.last().unwrap().to.as_str(),
        EMAIL,
        "mailed to the registered spelling"
    );
}

#[test]
fn anything_less_than_a_full_match_answers_the_same_and_mails_nothing() {
    let fx = registered();
    let before = fx.mailer.sent().len();
    let wrong_name = shoko_named("ケンポ ハナコ");
    let unknown = unknown_number();
    for form in [shoko_wrong_birth(), wrong_name, unknown] {
        assert!(fx.remind_user_id(&form, EMAIL).is_ok());
    }
    assert!(fx.remind_user_id(&shoko(), "other@example.co.jp").is_ok());
    assert!(
        fx.remind_user_id(&taro(), EMAIL).is_ok(),
        "no account: same answer"
    );
    assert_eq!(fx.mailer.sent().len(), before);
}

#[test]
fn every_request_counts_towards_the_limit_matched_or_not() {
    let fx = registered();
    let remind = || fx.remind_user_id(&shoko(), EMAIL);
    for _ in 0..5 {
        remind().unwrap();
    }
    assert_error!(remind(), Error::TooManyAttempts { .. });
    fx.clock.advance(15 * MINUTE);
    assert!(remind().is_ok());
}

#[test]
fn malformed_input_is_a_field_error() {
    let fx = fixture();
    assert_error!(
        fx.remind_user_id(&shoko(), "not an address"),
        Error::Email(_)
    );
    let bad = shoko_named("山田");
    assert_error!(fx.remind_user_id(&bad, EMAIL), Error::Form(_));
}
