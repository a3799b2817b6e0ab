//! "Forgot password": a 60-bit code to the registered address, the same answer for unknown
//! IDs, one live code per account.

use crate::support::*;
use kenpo_auth::{Error, MailKind, PendingRegistration};

#[test]
fn reset_with_the_mailed_code_sets_the_new_password() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.kind, MailKind::PasswordResetCode);
    assert_eq!(mail.subject, MailKind::PasswordResetCode.subject());
    assert_eq!(mail.to.as_str(), EMAIL);
    fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AuthenticationFailed);
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
}

#[test]
fn the_code_is_twelve_characters_in_three_groups() {
    let (_, code) = mailed_reset(&registered());
    assert_eq!(code.len(), 14, "{code}");
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 3);
    for group in groups {
        assert_eq!(group.len(), 4);
        assert!(
            group
                .bytes()
                .all(|b| b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(&b))
        );
    }
}

#[test]
fn the_code_is_accepted_without_hyphens_and_in_lower_case() {
    for typed in [
        |code: &str| code.replace('-', ""),
        |code: &str| code.to_lowercase(),
        |code: &str| format!(" {} ", code.replace('-', "").to_lowercase()),
    ] {
        let fx = registered();
        let (ticket, code) = mailed_reset(&fx);
        fx.reset_password(&ticket, &typed(&code), NEW_PASSWORD)
            .unwrap();
    }
}

#[test]
fn a_six_digit_code_is_a_format_error_and_not_counted() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    for _ in 0..10 {
        let error = assert_error!(
            fx.reset_password(&ticket, "123456", NEW_PASSWORD),
            Error::CodeFormat { .. }
        );
        assert!(
            error.message_ja().contains("12文字"),
            "{}",
            error.message_ja()
        );
    }
    fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
}

/// One entry of the wrong (but well-formed) code for `ticket`.
fn wrong_reset_code(fx: &Fixture, ticket: &kenpo_auth::PasswordResetTicket) -> Error {
    fx.reset_password(ticket, WRONG_RESET_CODE, NEW_PASSWORD)
        .unwrap_err()
}

#[test]
fn unknown_ids_get_a_ticket_and_no_mail() {
    let fx = registered();
    let before = fx.mailer.sent().len();
    let ticket = fx.request_password_reset("nobody999").unwrap();
    assert_eq!(fx.mailer.sent().len(), before, "no mail for unknown IDs");
    let error = wrong_reset_code(&fx, &ticket);
    assert!(
        matches!(error, Error::CodeMismatch { remaining: 4 }),
        "a decoy answers like a wrong code: {error:?}"
    );
}

#[test]
fn a_string_that_is_not_a_user_id_is_a_field_error_and_stores_nothing() {
    let fx = fixture();
    for typed in ["x", "ngk 0001", "ＮＧＫ０００１", ""] {
        let error = fx.request_password_reset(typed).unwrap_err();
        assert!(matches!(error, Error::UserId(_)), "{typed:?}: {error:?}");
    }
    assert_eq!(fx.store.challenge_count(), 0);
    assert_eq!(fx.store.counter_count(), 0);
}

#[test]
fn a_decoy_dies_after_five_entries_like_a_real_challenge() {
    let fx = fixture();
    let ticket = fx.request_password_reset("nobody999").unwrap();
    for _ in 0..5 {
        wrong_reset_code(&fx, &ticket);
    }
    let error = wrong_reset_code(&fx, &ticket);
    assert!(matches!(error, Error::CodeAttemptsExhausted), "{error:?}");
}

#[test]
fn the_reset_code_expires_after_ten_minutes() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    fx.clock.advance(10 * MINUTE);
    assert_error!(
        fx.reset_password(&ticket, &code, NEW_PASSWORD),
        Error::CodeExpired
    );
}

#[test]
fn the_new_password_must_follow_the_policy() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    for refused in ["short", "ab#1NGK000123"] {
        assert_error!(
            fx.reset_password(&ticket, &code, refused),
            Error::Password(_)
        );
    }
    fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
}

#[test]
fn a_reset_code_works_once_and_not_for_registration() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
    assert_error!(
        fx.reset_password(&ticket, &code, "Kaede(2026)z"),
        Error::ChallengeGone
    );
    let second = fx.request_password_reset(USER_ID).unwrap();
    let as_pending: PendingRegistration = second.to_string().parse().unwrap();
    assert_error!(
        fx.confirm_registration(&as_pending, "123456"),
        Error::ChallengeGone
    );
}

#[test]
fn a_new_request_voids_the_previous_code() {
    let fx = registered();
    let (first, first_code) = mailed_reset(&fx);
    let (second, second_code) = mailed_reset(&fx);
    assert_error!(
        fx.reset_password(&first, &first_code, NEW_PASSWORD),
        Error::ChallengeGone
    );
    fx.reset_password(&second, &second_code, NEW_PASSWORD)
        .unwrap();
}

#[test]
fn repeated_requests_for_an_unknown_id_keep_one_decoy() {
    let fx = fixture();
    for _ in 0..5 {
        fx.request_password_reset("nobody999").unwrap();
    }
    assert_eq!(fx.store.challenge_count(), 1);
}

#[test]
fn a_reset_unlocks_the_login() {
    let fx = registered();
    fail_logins(&fx, USER_ID, 10);
    reset_to_new_password(&fx);
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
}

/// Five reset requests for `user_id`, which are answered, then a sixth: its error.
fn sixth_request(fx: &Fixture, user_id: &str) -> Error {
    for _ in 0..5 {
        fx.request_password_reset(user_id).unwrap();
    }
    fx.request_password_reset(user_id).unwrap_err()
}

#[test]
fn reset_mails_are_limited_per_user_id_with_locks_that_lengthen() {
    let fx = registered();
    let before = fx.mailer.sent().len();
    let error = sixth_request(&fx, USER_ID);
    assert!(
        matches!(error, Error::TooManyAttempts { retry_after } if retry_after == 15 * MINUTE),
        "{error:?}"
    );
    let error = sixth_request(&fx, "nobody999");
    assert!(
        matches!(error, Error::TooManyAttempts { .. }),
        "unknown IDs are limited alike: {error:?}"
    );
    assert_eq!(fx.mailer.sent().len() - before, 5);
    fx.clock.advance(15 * MINUTE);
    let error = sixth_request(&fx, USER_ID);
    assert!(
        matches!(error, Error::TooManyAttempts { retry_after } if retry_after == 30 * MINUTE),
        "the second lock lasts twice as long: {error:?}"
    );
}

#[test]
fn a_completed_reset_is_told_to_the_address_of_record() {
    let fx = registered();
    reset_to_new_password(&fx);
    let notice = fx.mailer.last().unwrap();
    assert_eq!(notice.kind, kenpo_auth::MailKind::PasswordChanged);
    assert_eq!(notice.to.as_str(), EMAIL);
    assert!(notice.body.contains(USER_ID) && !notice.body.contains(NEW_PASSWORD));
}
