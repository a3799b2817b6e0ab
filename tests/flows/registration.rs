//! Steps 1-3 and 1-4: user-ID registration, the mailed code, its ten minutes, five entries and
//! resends.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::mail::REGISTRATION_SUBJECT;
use kenpo_auth::{Error, MailKind, RegistrationForm};

#[test]
fn the_whole_registration_creates_the_account() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let mail = fx.mailer.last().unwrap();
    assert_eq!(mail.to.as_str(), EMAIL);
    assert_eq!(mail.subject, REGISTRATION_SUBJECT);
    assert_eq!(mail.kind, MailKind::RegistrationCode);
    assert!(
        mail.body.contains("10分"),
        "the mail states the validity: {}",
        mail.body
    );
    let user_id = block_on(
        fx.portal
            .confirm_registration(&pending, &mail.code().unwrap()),
    )
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
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    fx.clock.advance(Duration::from_millis(599_999));
    assert!(block_on(fx.portal.confirm_registration(&pending, &code)).is_ok());
}

#[test]
fn code_is_refused_at_ten_minutes() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    fx.clock.advance(10 * MINUTE);
    let error = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(matches!(error, Error::CodeExpired), "{error:?}");
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn fifth_wrong_code_kills_the_challenge() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    for remaining in (0..5).rev() {
        let error = block_on(fx.portal.confirm_registration(&pending, &wrong(&code))).unwrap_err();
        assert!(
            matches!(error, Error::CodeMismatch { remaining: r } if r == remaining),
            "{error:?}"
        );
    }
    let error = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(
        matches!(error, Error::CodeAttemptsExhausted),
        "the right code after five wrong ones: {error:?}"
    );
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn right_code_after_four_wrong_ones_is_accepted() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    for _ in 0..4 {
        block_on(fx.portal.confirm_registration(&pending, &wrong(&code))).unwrap_err();
    }
    assert!(block_on(fx.portal.confirm_registration(&pending, &code)).is_ok());
}

#[test]
fn a_code_is_accepted_once() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    block_on(fx.portal.confirm_registration(&pending, &code)).unwrap();
    let again = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(matches!(again, Error::ChallengeGone), "{again:?}");
}

#[test]
fn malformed_codes_are_refused_without_counting() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    for _ in 0..10 {
        let error = block_on(fx.portal.confirm_registration(&pending, "12345")).unwrap_err();
        assert!(matches!(error, Error::CodeFormat { .. }), "{error:?}");
    }
    let code = last_code(&fx);
    assert!(block_on(fx.portal.confirm_registration(&pending, &code)).is_ok());
}

#[test]
fn full_width_digits_are_accepted() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let full_width: String = last_code(&fx)
        .chars()
        .map(|c| char::from_u32(u32::from(c) - u32::from('0') + u32::from('０')).unwrap())
        .collect();
    assert!(block_on(fx.portal.confirm_registration(&pending, &full_width)).is_ok());
}

#[test]
fn resend_waits_sixty_seconds() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    fx.clock.advance(Duration::from_secs(59));
    let error = block_on(fx.portal.resend_code(&pending)).unwrap_err();
    assert!(
        matches!(error, Error::ResendTooSoon { retry_after } if retry_after == Duration::from_secs(1)),
        "{error:?}"
    );
    assert_eq!(fx.mailer.sent().len(), 1);
    fx.clock.advance(Duration::from_secs(1));
    block_on(fx.portal.resend_code(&pending)).unwrap();
    assert_eq!(fx.mailer.sent().len(), 2);
}

#[test]
fn resend_voids_the_old_code_and_issues_a_new_one() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let old = last_code(&fx);
    fx.clock.advance(MINUTE);
    block_on(fx.portal.resend_code(&pending)).unwrap();
    let new = last_code(&fx);
    if old != new {
        let error = block_on(fx.portal.confirm_registration(&pending, &old)).unwrap_err();
        assert!(
            matches!(error, Error::CodeMismatch { .. }),
            "the old code must be void: {error:?}"
        );
    }
    assert!(block_on(fx.portal.confirm_registration(&pending, &new)).is_ok());
}

#[test]
fn resend_restarts_the_ten_minutes() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    fx.clock.advance(9 * MINUTE);
    block_on(fx.portal.resend_code(&pending)).unwrap();
    let code = last_code(&fx);
    fx.clock.advance(9 * MINUTE);
    assert!(block_on(fx.portal.confirm_registration(&pending, &code)).is_ok());
}

#[test]
fn resend_keeps_the_wrong_entry_count() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    for _ in 0..3 {
        block_on(fx.portal.confirm_registration(&pending, &wrong(&code))).unwrap_err();
    }
    fx.clock.advance(MINUTE);
    block_on(fx.portal.resend_code(&pending)).unwrap();
    let new = last_code(&fx);
    let error = block_on(fx.portal.confirm_registration(&pending, &wrong(&new))).unwrap_err();
    assert!(
        matches!(error, Error::CodeMismatch { remaining: 1 }),
        "{error:?}"
    );
}

#[test]
fn at_most_five_sends() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    for _ in 0..4 {
        fx.clock.advance(MINUTE);
        block_on(fx.portal.resend_code(&pending)).unwrap();
    }
    fx.clock.advance(MINUTE);
    let error = block_on(fx.portal.resend_code(&pending)).unwrap_err();
    assert!(matches!(error, Error::ResendLimitReached), "{error:?}");
    assert_eq!(fx.mailer.sent().len(), 5);
}

#[test]
fn no_resend_for_a_dead_challenge() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    for _ in 0..5 {
        block_on(fx.portal.confirm_registration(&pending, &wrong(&code))).unwrap_err();
    }
    fx.clock.advance(MINUTE);
    let error = block_on(fx.portal.resend_code(&pending)).unwrap_err();
    assert!(matches!(error, Error::CodeAttemptsExhausted), "{error:?}");
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let form = RegistrationForm {
        user_id: "ab".into(),
        password: "short".into(),
        email: "not an address".into(),
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    let Error::Registration(errors) = &error else {
        panic!("{error:?}")
    };
    assert!(
        errors.user_id.is_some() && errors.password.is_some() && errors.email.is_some(),
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
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let form = RegistrationForm {
        password: "x#1ngk000123".into(),
        ..registration_form()
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    assert!(
        matches!(&error, Error::Registration(e) if e.password.is_some() && e.user_id.is_none()),
        "{error:?}"
    );
}

#[test]
fn legacy_carrier_address_is_refused_with_the_manuals_warning() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let form = RegistrationForm {
        email: "_ab..cd---@docomo.ne.jp".into(),
        ..registration_form()
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    let Error::Registration(errors) = &error else {
        panic!("{error:?}")
    };
    assert!(
        errors
            .email
            .as_ref()
            .is_some_and(kenpo_auth::EmailError::is_dot_atom_warning),
        "{errors:?}"
    );
}

#[test]
fn legacy_carrier_address_can_be_allowed_by_the_host() {
    let fx = fixture_with(kenpo_auth::Config {
        accept_dot_atom_violations: true,
        ..test_config()
    });
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let form = RegistrationForm {
        email: "ab..cd@docomo.ne.jp".into(),
        ..registration_form()
    };
    block_on(fx.portal.begin_registration(&ticket, &form)).unwrap();
    assert_eq!(fx.mailer.last().unwrap().to.as_str(), "ab..cd@docomo.ne.jp");
}

#[test]
fn a_taken_user_id_is_refused_case_insensitively() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.authenticate_insured(&taro())).unwrap();
    let form = RegistrationForm {
        user_id: USER_ID.to_lowercase(),
        ..registration_form()
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    assert!(matches!(error, Error::UserIdTaken), "{error:?}");
}

#[test]
fn a_user_id_taken_between_mail_and_code_is_refused_at_the_code() {
    let fx = fixture();
    let shoko_pending = begin(&fx, &shoko(), &registration_form());
    let shoko_code = last_code(&fx);
    let taro_pending = begin(
        &fx,
        &taro(),
        &RegistrationForm {
            user_id: USER_ID.to_lowercase(),
            ..registration_form()
        },
    );
    let taro_code = last_code(&fx);
    block_on(fx.portal.confirm_registration(&taro_pending, &taro_code)).unwrap();
    let error = block_on(fx.portal.confirm_registration(&shoko_pending, &shoko_code)).unwrap_err();
    assert!(matches!(error, Error::UserIdTaken), "{error:?}");
    assert_eq!(fx.store.account_count(), 1);
}

#[test]
fn the_signup_ticket_expires() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    fx.clock.advance(30 * MINUTE);
    let error = block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap_err();
    assert!(matches!(error, Error::SignupExpired), "{error:?}");
}

#[test]
fn forged_tickets_name_nothing() {
    let fx = fixture();
    let forged: kenpo_auth::PendingRegistration =
        "00000000000000000000000000000000".parse().unwrap();
    let error = block_on(fx.portal.confirm_registration(&forged, "123456")).unwrap_err();
    assert!(matches!(error, Error::ChallengeGone), "{error:?}");
    let forged: kenpo_auth::SignupTicket = "0123456789abcdef0123456789abcdef".parse().unwrap();
    let error = block_on(fx.portal.begin_registration(&forged, &registration_form())).unwrap_err();
    assert!(matches!(error, Error::SignupExpired), "{error:?}");
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
    assert!(block_on(fx.portal.confirm_registration(&back, &last_code(&fx))).is_ok());
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
    let form = RegistrationForm {
        email: "\"taro kenpo\"@example.co.jp".into(),
        ..registration_form()
    };
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    assert!(
        matches!(&error, Error::Registration(e) if matches!(e.email, Some(kenpo_auth::EmailError::QuotedLocalPart))),
        "{error:?}"
    );
    let fx = fixture_with(kenpo_auth::Config {
        accept_quoted_local_parts: true,
        ..test_config()
    });
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    block_on(fx.portal.begin_registration(&ticket, &form)).unwrap();
    assert_eq!(
        fx.mailer.last().unwrap().to.as_str(),
        "\"taro kenpo\"@example.co.jp"
    );
}
