//! Codes that stay dead, tickets with one spelling, one pending registration per ticket.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::{Error, PendingRegistration, SignupTicket};

#[test]
fn a_code_judged_expired_stays_dead_when_the_clock_steps_back() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    fx.clock.advance(10 * MINUTE);
    let confirm = || fx.confirm_registration(&pending, &code);
    assert_error!(confirm(), Error::CodeExpired);
    fx.clock.set(start() + 5 * MINUTE);
    assert_error!(confirm(), Error::CodeExpired, "revived by a clock step");
    assert_eq!(fx.store.account_count(), 0);
}

#[test]
fn a_code_is_refused_before_its_issue() {
    let fx = fixture();
    let (pending, code) = mailed_registration(&fx);
    fx.clock.set(start() - Duration::from_secs(1));
    assert_error!(fx.confirm_registration(&pending, &code), Error::CodeExpired);
}

#[test]
fn a_resend_after_expiry_gives_a_live_code_again() {
    let fx = fixture();
    let (pending, old) = mailed_registration(&fx);
    fx.clock.advance(11 * MINUTE);
    fx.confirm_registration(&pending, &old).unwrap_err();
    fx.resend_code(&pending).unwrap();
    assert!(fx.confirm_registration(&pending, &last_code(&fx)).is_ok());
}

#[test]
fn a_new_pending_registration_voids_the_tickets_older_one() {
    let fx = fixture();
    let ticket = authenticated(&fx, &shoko());
    let first = fx
        .begin_registration(&ticket, &registration_form())
        .unwrap();
    let first_code = last_code(&fx);
    let other_address = with_email("other@example.co.jp");
    let second = fx.begin_registration(&ticket, &other_address).unwrap();
    assert_error!(
        fx.confirm_registration(&first, &first_code),
        Error::ChallengeGone
    );
    assert!(fx.confirm_registration(&second, &last_code(&fx)).is_ok());
}

#[test]
fn the_ticket_is_used_up_by_its_registration() {
    let fx = fixture();
    let ticket = authenticated(&fx, &shoko());
    register_with(&fx, &ticket);
    let again = fx.begin_registration(&ticket, &with_user_id("free.user.id"));
    assert_error!(again, Error::SignupExpired);
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
