//! Steps 1-3 and 1-4: user-ID registration, the mailed code, its ten minutes, five entries and
//! resends.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::{EmailError, Error, Field, FieldErrorKind, MailKind, RegistrationForm};

#[test]
fn the_whole_registration_creates_the_account() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.to.as_str(), EMAIL);
    assert_eq!(mail.subject, MailKind::RegistrationCode.subject());
    assert_eq!(mail.kind, MailKind::RegistrationCode);
    assert!(
        mail.body.contains("10分"),
        "the mail states the validity: {}",
        mail.body
    );
    let user_id = fx
        .confirm_registration(&pending, &mail.code().unwrap())
        .unwrap();
    assert_eq!(user_id.as_str(), USER_ID);
    assert_eq!(fx.store.account_count(), 1);
    let account = &fx.store.accounts()[0];
    assert!(
        !account.password_hash.as_str().contains(PASSWORD),
        "the password is stored only hashed"
    );
}

#[test]
fn nothing_is_created_before_the_code_is_entered() {
    let fx = fixture();
    begin(&fx, &shoko(), &registration_form());
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn code_is_accepted_at_nine_fifty_nine_point_nine_nine_nine() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    fx.clock.advance(Duration::from_millis(599_999));
    assert!(fx.confirm_registration(&pending, &code).is_ok());
}

#[test]
fn code_is_refused_at_ten_minutes() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    fx.clock.advance(10 * MINUTE);
    assert_error!(fx.confirm_registration(&pending, &code), Error::CodeExpired);
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn fifth_wrong_code_kills_the_challenge() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    for remaining in (0..5).rev() {
        let entry = fx.confirm_registration(&pending, &wrong(&code));
        assert_error!(entry, Error::CodeMismatch { remaining: r } if r == remaining);
    }
    let right_entry = fx.confirm_registration(&pending, &code);
    assert_error!(
        right_entry,
        Error::CodeAttemptsExhausted,
        "the right code after five wrong ones"
    );
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn right_code_after_four_wrong_ones_is_accepted() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    enter_wrong_codes(&fx, &pending, &code, 4);
    assert!(fx.confirm_registration(&pending, &code).is_ok());
}

#[test]
fn a_code_is_accepted_once() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    fx.confirm_registration(&pending, &code).unwrap();
    assert_error!(
        fx.confirm_registration(&pending, &code),
        Error::ChallengeGone
    );
}

#[test]
fn malformed_codes_are_refused_without_counting() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    for _ in 0..10 {
        assert_error!(
            fx.confirm_registration(&pending, "12345"),
            Error::CodeFormat { .. }
        );
    }
    assert!(fx.confirm_registration(&pending, &code).is_ok());
}

#[test]
fn full_width_digits_are_accepted() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    let full_width: String = code
        .chars()
        .map(|c| char::from_u32(u32::from(c) - u32::from('0') + u32::from('０')).unwrap())
        .collect();
    assert!(fx.confirm_registration(&pending, &full_width).is_ok());
}

#[test]
fn resend_waits_sixty_seconds() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    fx.clock.advance(Duration::from_secs(59));
    assert_error!(
        fx.resend_code(&pending),
        Error::ResendTooSoon { retry_after } if retry_after == Duration::from_secs(1)
    );
    assert_eq!(fx.mailer.sent().len(), 1);
    fx.clock.advance(Duration::from_secs(1));
    fx.resend_code(&pending).unwrap();
    assert_eq!(fx.mailer.sent().len(), 2);
}

/// The wait a code screen shows is the one a resend would answer, from the last send, until
/// the registration is done.
#[test]
fn the_resend_wait_counts_down_from_the_last_send() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    assert_eq!(fx.resend_wait(&pending).unwrap(), MINUTE);
    fx.clock.advance(Duration::from_secs(45));
    let wait = fx.resend_wait(&pending).unwrap();
    assert_eq!(wait, Duration::from_secs(15));
    assert_error!(
        fx.resend_code(&pending),
        Error::ResendTooSoon { retry_after } if retry_after == wait
    );
    fx.clock.advance(wait);
    assert_eq!(fx.resend_wait(&pending).unwrap(), Duration::ZERO);
    fx.resend_code(&pending).unwrap();
    assert_eq!(fx.resend_wait(&pending).unwrap(), MINUTE);
    assert_eq!(
        fx.mailer.sent().len(),
        2,
        "asking for the wait sends nothing"
    );
    assert!(fx.confirm_registration(&pending, &last_code(&fx)).is_ok());
    assert_error!(fx.resend_wait(&pending), Error::ChallengeGone);
}

#[test]
fn resend_voids_the_old_code_and_issues_a_new_one() {
    let fx = fixture();
    let (pending, old) = mailed_registration(&fx);
    resend_minutely(&fx, &pending, 1);
    let new = last_code(&fx);
    if old != new {
        let with_old = fx.confirm_registration(&pending, &old);
        assert_error!(
            with_old,
            Error::CodeMismatch { .. },
            "the old code must be void"
        );
    }
    assert!(fx.confirm_registration(&pending, &new).is_ok());
}

#[test]
fn resend_restarts_the_ten_minutes() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    fx.clock.advance(9 * MINUTE);
    fx.resend_code(&pending).unwrap();
    let code = last_code(&fx);
    fx.clock.advance(9 * MINUTE);
    assert!(fx.confirm_registration(&pending, &code).is_ok());
}

#[test]
fn resend_keeps_the_wrong_entry_count() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    enter_wrong_codes(&fx, &pending, &code, 3);
    resend_minutely(&fx, &pending, 1);
    let new = last_code(&fx);
    assert_error!(
        fx.confirm_registration(&pending, &wrong(&new)),
        Error::CodeMismatch { remaining: 1 }
    );
}

#[test]
fn at_most_five_sends() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    resend_minutely(&fx, &pending, 4);
    fx.clock.advance(MINUTE);
    assert_error!(fx.resend_code(&pending), Error::ResendLimitReached);
    assert_eq!(fx.mailer.sent().len(), 5);
}

#[test]
fn no_resend_for_a_dead_challenge() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    enter_wrong_codes(&fx, &pending, &code, 5);
    fx.clock.advance(MINUTE);
    assert_error!(fx.resend_code(&pending), Error::CodeAttemptsExhausted);
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let fx = fixture();
    let form = RegistrationForm {
        user_id: "ab".into(),
        password: "short".into(),
        email: "not an address".into(),
    };
    let error = refused_registration(&fx, &form);
    let Error::Registration(errors) = &error else {
        panic!("{error:?}")
    };
    assert!(
        errors.fields().collect::<Vec<_>>() == [Field::UserId, Field::Password, Field::Email],
        "{errors:?}"
    );
    let message = error.message_ja();
    for field in ["ユーザーID", "パスワード", "メールアドレス"] {
        assert!(
            message.lines().any(|line| line.starts_with(field)),
            "{field} missing: {message}"
        );
    }
    assert!(fx.mailer.sent().is_empty());
}

#[test]
fn a_password_containing_the_user_id_is_refused() {
    let fx = fixture();
    let error = refused_registration(&fx, &with_password("x#1ngk000123"));
    assert!(
        matches!(&error, Error::Registration(e) if e.fields().collect::<Vec<_>>() == [Field::Password]),
        "{error:?}"
    );
}

/// The registration error about the e-mail address, when that is what was refused.
fn email_error(error: &Error) -> Option<&EmailError> {
    match error {
        Error::Registration(errors) => match errors.get(Field::Email) {
            Some(FieldErrorKind::Email(email)) => Some(email),
            _ => None,
        },
        _ => None,
    }
}

/// A host that allows what the default refuses: `form` is accepted under `config`, and its
/// code is mailed to the address as typed.
fn accepted_when_allowed(config: kenpo_auth::Config, form: &RegistrationForm) {
    let fx = fixture_with(config);
    let ticket = authenticated(&fx, &shoko());
    fx.begin_registration(&ticket, form).unwrap();
    assert_eq!(fx.mailer.last().unwrap().to.as_str(), form.email);
}

#[test]
fn legacy_carrier_address_is_refused_with_the_manuals_warning() {
    let fx = fixture();
    let error = refused_registration(&fx, &with_email("_ab..cd---@docomo.ne.jp"));
    assert!(
        email_error(&error).is_some_and(EmailError::is_dot_atom_warning),
        "{error:?}"
    );
}

#[test]
fn legacy_carrier_address_can_be_allowed_by_the_host() {
    let form = with_email("ab..cd@docomo.ne.jp");
    let config = kenpo_auth::Config {
        accept_dot_atom_violations: true,
        ..test_config()
    };
    accepted_when_allowed(config, &form);
}

#[test]
fn a_taken_user_id_is_refused_case_insensitively() {
    let fx = registered();
    let ticket = authenticated(&fx, &taro());
    let form = with_user_id(&USER_ID.to_lowercase());
    assert_error!(fx.begin_registration(&ticket, &form), Error::UserIdTaken);
}

#[test]
fn a_user_id_taken_between_mail_and_code_is_refused_at_the_code() {
    let fx = fixture();
    let (shoko_pending, shoko_code) = mailed_registration(&fx);
    let taro_pending = begin(&fx, &taro(), &with_user_id(&USER_ID.to_lowercase()));
    let taro_code = last_code(&fx);
    fx.confirm_registration(&taro_pending, &taro_code).unwrap();
    assert_error!(
        fx.confirm_registration(&shoko_pending, &shoko_code),
        Error::UserIdTaken
    );
    assert_eq!(fx.store.account_count(), 1);
}

#[test]
fn the_signup_ticket_expires() {
    let fx = fixture();
    let ticket = authenticated(&fx, &shoko());
    fx.clock.advance(30 * MINUTE);
    assert_error!(
        fx.begin_registration(&ticket, &registration_form()),
        Error::SignupExpired
    );
}

#[test]
fn forged_tickets_name_nothing() {
    let fx = fixture();
    let forged: kenpo_auth::PendingRegistration =
        "00000000000000000000000000000000".parse().unwrap();
    assert_error!(
        fx.confirm_registration(&forged, "123456"),
        Error::ChallengeGone
    );
    let forged: kenpo_auth::SignupTicket = "0123456789abcdef0123456789abcdef".parse().unwrap();
    assert_error!(
        fx.begin_registration(&forged, &registration_form()),
        Error::SignupExpired
    );
}

#[test]
fn tickets_round_trip_through_serde_and_hide_in_debug() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let json = serde_json::to_string(&pending).unwrap();
    assert_eq!(json.len(), 34, "32 hex digits in quotes: {json}");
    let back: kenpo_auth::PendingRegistration = serde_json::from_str(&json).unwrap();
    assert_eq!(back, pending);
    assert!(!format!("{pending:?}").contains(&json[1..33]));
    assert!(fx.confirm_registration(&back, &last_code(&fx)).is_ok());
}

#[test]
fn registration_form_debug_hides_the_password() {
    let form = registration_form();
    let debug = format!("{form:?}");
    assert!(
        !debug.contains(PASSWORD) && debug.contains("[REDACTED]"),
        "{debug}"
    );
}

#[test]
fn quoted_local_parts_are_refused_unless_the_host_allows_them() {
    let form = with_email("\"taro kenpo\"@example.co.jp");
    let error = refused_registration(&fixture(), &form);
    assert_eq!(
        email_error(&error),
        Some(&EmailError::QuotedLocalPart),
        "{error:?}"
    );
    let config = kenpo_auth::Config {
        accept_quoted_local_parts: true,
        ..test_config()
    };
    accepted_when_allowed(config, &form);
}
