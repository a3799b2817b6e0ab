//! Codes that stay dead, tickets with one spelling, one pending registration per ticket.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::{Error, PendingRegistration, RegistrationForm, SignupTicket};

#[test]
fn a_code_judged_expired_stays_dead_when_the_clock_steps_back() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    fx.clock.advance(10 * MINUTE);
    let error = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(matches!(error, Error::CodeExpired), "{error:?}");
    fx.clock.set(start() + 5 * MINUTE);
    let error = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(
        matches!(error, Error::CodeExpired),
        "revived by a clock step: {error:?}"
    );
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn a_code_is_refused_before_its_issue() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let code = last_code(&fx);
    fx.clock.set(start() - Duration::from_secs(1));
    let error = block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
    assert!(matches!(error, Error::CodeExpired), "{error:?}");
}

#[test]
fn a_resend_after_expiry_gives_a_live_code_again() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let old = last_code(&fx);
    fx.clock.advance(11 * MINUTE);
    block_on(fx.portal.confirm_registration(&pending, &old)).unwrap_err();
    block_on(fx.portal.resend_code(&pending)).unwrap();
    assert!(block_on(fx.portal.confirm_registration(&pending, &last_code(&fx))).is_ok());
}

#[test]
fn a_new_pending_registration_voids_the_tickets_older_one() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let first = block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap();
    let first_code = last_code(&fx);
    let form = RegistrationForm {
        email: "other@example.co.jp".into(),
        ..registration_form()
    };
    let second = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap();
    let error = block_on(fx.portal.confirm_registration(&first, &first_code)).unwrap_err();
    assert!(matches!(error, Error::ChallengeGone), "{error:?}");
    assert!(block_on(fx.portal.confirm_registration(&second, &last_code(&fx))).is_ok());
}

#[test]
fn the_ticket_is_used_up_by_its_registration() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let pending = block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap();
    block_on(fx.portal.confirm_registration(&pending, &last_code(&fx))).unwrap();
    let form = RegistrationForm {
        user_id: "free.user.id".into(),
        ..registration_form()
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    assert!(matches!(error, Error::SignupExpired), "{error:?}");
}

#[test]
fn tickets_have_exactly_one_spelling() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let text = pending.to_string();
    assert_eq!(text.len(), 32);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(text.parse::<PendingRegistration>().unwrap(), pending);
    for other in [
        text.to_uppercase(),
        format!("+{}", &text[1..]),
        format!(" {text}"),
        format!("{}-", &text[..31]),
    ] {
        assert!(other.parse::<PendingRegistration>().is_err(), "{other}");
        assert!(other.parse::<SignupTicket>().is_err(), "{other}");
        assert!(serde_json::from_str::<PendingRegistration>(&format!("\"{other}\"")).is_err());
    }
}
