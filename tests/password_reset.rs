//! "Forgot password": a code to the registered address, the same answer for unknown IDs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use kenpo_auth::mail::PASSWORD_RESET_SUBJECT;
use kenpo_auth::{Error, MailKind};

const NEW_PASSWORD: &str = "Momiji(2025)z";

#[test]
fn reset_with_the_mailed_code_sets_the_new_password() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.kind, MailKind::PasswordResetCode);
    assert_eq!(mail.subject, PASSWORD_RESET_SUBJECT);
    assert_eq!(mail.to.as_str(), EMAIL);
    block_on(
        fx.portal
            .reset_password(&ticket, &code_in(&mail), NEW_PASSWORD),
    )
    .unwrap();
    assert!(matches!(
        block_on(fx.portal.login(USER_ID, PASSWORD)),
        Err(Error::AuthenticationFailed)
    ));
    assert!(block_on(fx.portal.login(USER_ID, NEW_PASSWORD)).is_ok());
}

#[test]
fn unknown_ids_get_a_ticket_and_no_mail() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    let ticket = block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    block_on(fx.portal.request_password_reset("x")).unwrap();
    assert_eq!(fx.mailer.sent().len(), before, "no mail for unknown IDs");
    let error = block_on(fx.portal.reset_password(&ticket, "123456", NEW_PASSWORD)).unwrap_err();
    assert!(
        matches!(error, Error::CodeMismatch { remaining: 4 }),
        "a decoy answers like a wrong code: {error:?}"
    );
}

#[test]
fn a_decoy_dies_after_five_entries_like_a_real_challenge() {
    let fx = fixture();
    let ticket = block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    for _ in 0..5 {
        block_on(fx.portal.reset_password(&ticket, "123456", NEW_PASSWORD)).unwrap_err();
    }
    let error = block_on(fx.portal.reset_password(&ticket, "123456", NEW_PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::CodeAttemptsExhausted), "{error:?}");
}

#[test]
fn the_reset_code_expires_after_ten_minutes() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let code = last_code(&fx);
    fx.clock.advance(10 * MINUTE);
    let error = block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::CodeExpired), "{error:?}");
}

#[test]
fn the_new_password_must_follow_the_policy() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let code = last_code(&fx);
    let weak = block_on(fx.portal.reset_password(&ticket, &code, "short")).unwrap_err();
    assert!(matches!(weak, Error::Password(_)), "{weak:?}");
    let with_id = block_on(fx.portal.reset_password(&ticket, &code, "ab#1NGK000123")).unwrap_err();
    assert!(matches!(with_id, Error::Password(_)), "{with_id:?}");
    block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
}

#[test]
fn a_reset_code_works_once_and_not_for_registration() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let code = last_code(&fx);
    block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
    let again = block_on(fx.portal.reset_password(&ticket, &code, "Kaede(2026)z")).unwrap_err();
    assert!(matches!(again, Error::ChallengeGone), "{again:?}");
    let as_pending: kenpo_auth::PendingRegistration = ticket.to_string().parse().unwrap();
    let cross = block_on(fx.portal.confirm_registration(&as_pending, &code)).unwrap_err();
    assert!(matches!(cross, Error::ChallengeGone), "{cross:?}");
}

#[test]
fn a_reset_unlocks_the_login() {
    let fx = fixture();
    register(&fx);
    for _ in 0..10 {
        block_on(fx.portal.login(USER_ID, "Wrong#pass1")).unwrap_err();
    }
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    block_on(
        fx.portal
            .reset_password(&ticket, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
    assert!(block_on(fx.portal.login(USER_ID, NEW_PASSWORD)).is_ok());
}

#[test]
fn reset_mails_are_limited_per_account() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    for _ in 0..7 {
        block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    }
    assert_eq!(
        fx.mailer.sent().len() - before,
        5,
        "at most five reset mails per fifteen minutes"
    );
    fx.clock.advance(15 * MINUTE);
    block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    assert_eq!(fx.mailer.sent().len() - before, 6);
}
