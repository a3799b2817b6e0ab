//! "Forgot password": a 60-bit code to the registered address, the same answer for unknown
//! IDs, one live code per account.

use crate::support::*;
use kenpo_auth::mail::PASSWORD_RESET_SUBJECT;
use kenpo_auth::{Error, MailKind, PendingRegistration};

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
            .reset_password(&ticket, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
    assert!(matches!(
        block_on(fx.portal.login(USER_ID, PASSWORD)),
        Err(Error::AuthenticationFailed)
    ));
    assert!(block_on(fx.portal.login(USER_ID, NEW_PASSWORD)).is_ok());
}

#[test]
fn the_code_is_twelve_characters_in_three_groups() {
    let fx = fixture();
    register(&fx);
    block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let code = last_code(&fx);
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
        let fx = fixture();
        register(&fx);
        let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
        let code = typed(&last_code(&fx));
        block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
    }
}

#[test]
fn a_six_digit_code_is_a_format_error_and_not_counted() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    for _ in 0..10 {
        let error =
            block_on(fx.portal.reset_password(&ticket, "123456", NEW_PASSWORD)).unwrap_err();
        assert!(matches!(error, Error::CodeFormat { .. }), "{error:?}");
        assert!(
            error.message_ja().contains("12文字"),
            "{}",
            error.message_ja()
        );
    }
    block_on(
        fx.portal
            .reset_password(&ticket, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
}

#[test]
fn unknown_ids_get_a_ticket_and_no_mail() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    let ticket = block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    assert_eq!(fx.mailer.sent().len(), before, "no mail for unknown IDs");
    let error = block_on(
        fx.portal
            .reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
    )
    .unwrap_err();
    assert!(
        matches!(error, Error::CodeMismatch { remaining: 4 }),
        "a decoy answers like a wrong code: {error:?}"
    );
}

#[test]
fn a_string_that_is_not_a_user_id_is_a_field_error_and_stores_nothing() {
    let fx = fixture();
    for typed in ["x", "ngk 0001", "ＮＧＫ０００１", ""] {
        let error = block_on(fx.portal.request_password_reset(typed)).unwrap_err();
        assert!(matches!(error, Error::UserId(_)), "{typed:?}: {error:?}");
    }
    assert_eq!(fx.store.challenge_count(), 0);
    assert_eq!(fx.store.counter_count(), 0);
}

#[test]
fn a_decoy_dies_after_five_entries_like_a_real_challenge() {
    let fx = fixture();
    let ticket = block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    for _ in 0..5 {
        block_on(
            fx.portal
                .reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
        )
        .unwrap_err();
    }
    let error = block_on(
        fx.portal
            .reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
    )
    .unwrap_err();
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
    let second = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let as_pending: PendingRegistration = second.to_string().parse().unwrap();
    let cross = block_on(fx.portal.confirm_registration(&as_pending, "123456")).unwrap_err();
    assert!(matches!(cross, Error::ChallengeGone), "{cross:?}");
}

#[test]
fn a_new_request_voids_the_previous_code() {
    let fx = fixture();
    register(&fx);
    let first = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let first_code = last_code(&fx);
    let second = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let error = block_on(fx.portal.reset_password(&first, &first_code, NEW_PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::ChallengeGone), "{error:?}");
    block_on(
        fx.portal
            .reset_password(&second, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
}

#[test]
fn repeated_requests_for_an_unknown_id_keep_one_decoy() {
    let fx = fixture();
    for _ in 0..5 {
        block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    }
    assert_eq!(fx.store.challenge_count(), 1);
}

#[test]
fn a_reset_unlocks_the_login() {
    let fx = fixture();
    register(&fx);
    for _ in 0..10 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
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
fn reset_mails_are_limited_per_user_id_with_locks_that_lengthen() {
    let fx = fixture();
    register(&fx);
    let before = fx.mailer.sent().len();
    for _ in 0..5 {
        block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    }
    let error = block_on(fx.portal.request_password_reset(USER_ID)).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { retry_after } if retry_after == 15 * MINUTE),
        "{error:?}"
    );
    let unknown: Vec<_> = (0..6)
        .map(|_| block_on(fx.portal.request_password_reset("nobody999")))
        .collect();
    assert!(
        matches!(unknown[5], Err(Error::TooManyAttempts { .. })),
        "unknown IDs are limited alike: {:?}",
        unknown[5]
    );
    assert_eq!(fx.mailer.sent().len() - before, 5);
    fx.clock.advance(15 * MINUTE);
    for _ in 0..5 {
        block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    }
    let error = block_on(fx.portal.request_password_reset(USER_ID)).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { retry_after } if retry_after == 30 * MINUTE),
        "the second lock lasts twice as long: {error:?}"
    );
}
