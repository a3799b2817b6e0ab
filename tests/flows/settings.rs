//! A logged-in member's settings: changing the password (the current one required, counted as
//! a login; pending codes die, reset and e-mail change alike; a notice mailed) and the e-mail address (a code to the new
//! address through the usual code rules and budgets; a notice to the old one).

use std::time::Duration;

use kenpo_auth::{Error, MailKind, PendingEmailChange, UserId};

use crate::support::*;

const NEW_EMAIL: &str = "shoko.new@example.ne.jp";

/// The registered member logs in and asks to change the address to [`NEW_EMAIL`]: the
/// fixture, the user ID, the pending change and the code mailed for it.
fn email_change_begun() -> (Fixture, UserId, PendingEmailChange, String) {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    let pending = fx
        .begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
        .unwrap();
    let code = last_code(&fx);
    (fx, user_id, pending, code)
}

#[test]
fn a_member_changes_the_password_and_is_told_by_mail() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    fx.change_password(&user_id, PASSWORD, NEW_PASSWORD)
        .unwrap();
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AuthenticationFailed);
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
    let notice = fx.mailer.last().unwrap();
    assert_eq!(notice.kind, MailKind::PasswordChanged);
    assert_eq!(notice.to.as_str(), EMAIL);
    assert!(notice.body.contains(USER_ID));
    assert!(!notice.body.contains(NEW_PASSWORD) && !notice.body.contains(PASSWORD));
}

#[test]
fn the_new_password_goes_through_the_policy_before_anything_is_counted() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    for weak in ["short1!", "password123!", "NGK000123#ab"] {
        assert_error!(
            fx.change_password(&user_id, WRONG_PASSWORD, weak),
            Error::Password(_)
        );
    }
    // Nothing was counted: ten wrong current passwords still lock only after ten.
    fail_change(&fx, 9);
    assert!(fx.change_password(&user_id, PASSWORD, NEW_PASSWORD).is_ok());
}

/// `n` password changes with a wrong current password, each refused as a failed login.
fn fail_change(fx: &Fixture, n: usize) {
    let user_id = kenpo_auth::UserId::parse(USER_ID).unwrap();
    for _ in 0..n {
        assert_error!(
            fx.change_password(&user_id, WRONG_PASSWORD, NEW_PASSWORD),
            Error::AuthenticationFailed
        );
    }
}

#[test]
fn a_wrong_current_password_counts_against_the_login_budget() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    fail_logins(&fx, USER_ID, 5);
    fail_change(&fx, 5);
    // Ten in a row, through either door: locked, for both.
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
    assert_error!(
        fx.change_password(&user_id, PASSWORD, NEW_PASSWORD),
        Error::AccountLocked { .. }
    );
    let user_id = kenpo_auth::UserId::parse(USER_ID).unwrap();
    assert_error!(
        fx.begin_email_change(&user_id, PASSWORD, NEW_EMAIL),
        Error::AccountLocked { .. }
    );
}

#[test]
fn a_password_change_kills_outstanding_reset_codes() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    fx.change_password(&user_id, PASSWORD, NEW_PASSWORD)
        .unwrap();
    assert_error!(
        fx.reset_password(&ticket, &code, "Kaede(2026)z"),
        Error::ChallengeGone
    );
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
}

/// An e-mail change begun by someone who had the password (to an address of theirs, so they
/// hold its code) dies when the member changes the password or ends the sessions, the
/// member's answers to a stolen password: it could otherwise still be confirmed, or resent
/// for fresh codes, and the account's mail would be theirs.
#[test]
fn a_pending_address_change_dies_with_a_password_change_or_the_end_of_sessions() {
    type Answer = fn(&Fixture, &UserId);
    let answers: [(&str, Answer); 3] = [
        ("a password change", |fx, user_id| {
            fx.change_password(user_id, PASSWORD, NEW_PASSWORD).unwrap();
        }),
        ("the help desk's end of sessions", |fx, user_id| {
            fx.help_desk_end_sessions(user_id).unwrap();
        }),
        ("the member's end of other sessions", |fx, user_id| {
            fx.end_other_sessions(user_id, PASSWORD).unwrap();
        }),
    ];
    for (answer, respond) in answers {
        let (fx, user_id, pending, code) = email_change_begun();
        respond(&fx, &user_id);
        assert_error!(
            fx.resend_email_change_code(&pending),
            Error::ChallengeGone,
            "resent after {answer}"
        );
        assert_error!(
            fx.confirm_email_change(&pending, &code),
            Error::ChallengeGone,
            "confirmed after {answer}"
        );
    }
}

/// A reset code mailed to the old address dies when the address changes: whoever still reads
/// the old mailbox (the reason for the change, often) cannot take the account with it.
#[test]
fn an_address_change_kills_reset_codes_mailed_to_the_old_address() {
    let fx = registered();
    let (ticket, reset_code) = mailed_reset(&fx);
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    let pending = fx
        .begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
        .unwrap();
    fx.confirm_email_change(&pending, &last_code(&fx)).unwrap();
    assert_error!(
        fx.reset_password(&ticket, &reset_code, NEW_PASSWORD),
        Error::ChallengeGone
    );
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

#[test]
fn a_member_changes_the_address_with_a_code_mailed_to_the_new_one() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    let pending = fx
        .begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
        .unwrap();
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.kind, MailKind::EmailChangeCode);
    assert_eq!(mail.to.as_str(), NEW_EMAIL);
    let code = mail.code().unwrap();
    assert_eq!(code.len(), 6);
    let new = fx.confirm_email_change(&pending, &code).unwrap();
    assert_eq!(new.as_str(), NEW_EMAIL);
    let notice = fx.mailer.last().unwrap();
    assert_eq!(notice.kind, MailKind::EmailChanged);
    assert_eq!(
        notice.to.as_str(),
        EMAIL,
        "the notice goes to the old address"
    );
    // The account now reminds and resets through the new address.
    fx.request_password_reset(USER_ID).unwrap();
    assert_eq!(fx.mailer.last().unwrap().to.as_str(), NEW_EMAIL);
    // The code is used up.
    assert_error!(
        fx.confirm_email_change(&pending, &code),
        Error::ChallengeGone
    );
}

#[test]
fn the_address_change_follows_the_code_rules() {
    let (fx, user_id, pending, code) = email_change_begun();
    // Five entries per code; the wrong ones are counted before the comparison.
    for remaining in (1..5).rev() {
        assert_error!(
            fx.confirm_email_change(&pending, &wrong(&code)),
            Error::CodeMismatch { remaining: r } if r == remaining
        );
    }
    assert_error!(
        fx.confirm_email_change(&pending, "12345"),
        Error::CodeFormat { .. },
        "not counted"
    );
    // Resends wait a minute and carry the count over.
    assert_error!(
        fx.resend_email_change_code(&pending),
        Error::ResendTooSoon { .. }
    );
    fx.clock.advance(MINUTE);
    fx.resend_email_change_code(&pending).unwrap();
    let second = last_code(&fx);
    assert_error!(
        fx.confirm_email_change(&pending, &code),
        Error::CodeMismatch { remaining: 0 } | Error::CodeAttemptsExhausted
    );
    assert_error!(
        fx.confirm_email_change(&pending, &second),
        Error::CodeAttemptsExhausted,
        "the count carried over"
    );
    // Ten minutes, then the code is dead.
    let pending = fx
        .begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
        .unwrap();
    let code = last_code(&fx);
    fx.clock.advance(MINUTE * 10);
    assert_error!(fx.confirm_email_change(&pending, &code), Error::CodeExpired);
}

#[test]
fn a_new_request_voids_the_previous_one_and_mails_are_budgeted() {
    let (fx, user_id, first, first_code) = email_change_begun();
    let _second = fx
        .begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
        .unwrap();
    assert_error!(
        fx.confirm_email_change(&first, &first_code),
        Error::ChallengeGone
    );
    for _ in 2..5 {
        fx.begin_email_change(&user_id, PASSWORD, NEW_EMAIL)
            .unwrap();
    }
    let sent = fx.mailer.sent().len();
    assert_error!(
        fx.begin_email_change(&user_id, PASSWORD, NEW_EMAIL),
        Error::TooManyAttempts { .. },
        "five mails, then a lock"
    );
    assert_eq!(fx.mailer.sent().len(), sent);
}

#[test]
fn the_address_change_needs_the_password_and_a_real_address() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    let sent = fx.mailer.sent().len();
    assert_error!(
        fx.begin_email_change(&user_id, WRONG_PASSWORD, NEW_EMAIL),
        Error::AuthenticationFailed
    );
    assert_error!(
        fx.begin_email_change(&user_id, PASSWORD, "not an address"),
        Error::Email(_)
    );
    assert_eq!(fx.mailer.sent().len(), sent, "nothing mailed");
}

#[test]
fn a_member_who_left_cannot_change_settings() {
    let fx = registered();
    let user_id = fx.login(USER_ID, PASSWORD).unwrap().user_id;
    assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap());
    assert_error!(
        fx.change_password(&user_id, PASSWORD, NEW_PASSWORD),
        Error::CoverageEnded
    );
    assert_error!(
        fx.begin_email_change(&user_id, PASSWORD, NEW_EMAIL),
        Error::CoverageEnded
    );
}

/// The e-mail change's code screen reads its wait like registration's; a registration's
/// ticket, respelt as an e-mail change's, names no e-mail change.
#[test]
fn the_email_change_resend_wait_is_its_own_challenges() {
    let (fx, _, pending, _) = email_change_begun();
    fx.clock.advance(Duration::from_secs(20));
    let wait = block_on(fx.portal.resend_wait(&pending)).unwrap();
    assert_eq!(wait, Duration::from_secs(40));
    // In whole seconds, rounded up: 39.6 s read 40, so a resend then is never too soon.
    fx.clock.advance(Duration::from_millis(400));
    let wait = block_on(fx.portal.resend_wait(&pending)).unwrap();
    assert_eq!(wait, Duration::from_secs(40));
    let registration = begin(&fx, &taro(), &with_user_id("NGK000456"));
    let respelt: PendingEmailChange = registration.to_string().parse().unwrap();
    let wait = block_on(fx.portal.resend_wait(&respelt));
    assert_error!(wait, Error::ChallengeGone);
}
