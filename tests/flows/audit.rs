//! The audit trail: every security-relevant decision is an event with target
//! `kenpo_auth::audit`, with stable field names and never a secret.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::support::*;
use kenpo_auth::{Error, Store, UserId};

type Recorded = BTreeMap<String, String>;

/// Keeps every audit event as field → value.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Recorded>>>);

struct Fields(Recorded);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "kenpo_auth::audit" {
            let mut fields = Fields(Recorded::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

/// Runs `flow` with the recorder installed; returns the events it emitted.
fn recorded(flow: impl FnOnce()) -> Vec<Recorded> {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    tracing::subscriber::with_default(subscriber, flow);
    recorder.0.lock().unwrap().clone()
}

fn names(events: &[Recorded]) -> Vec<&str> {
    events.iter().map(|e| e["event"].as_str()).collect()
}

fn find<'a>(events: &'a [Recorded], name: &str) -> &'a Recorded {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", names(events)))
}

/// Nothing secret anywhere in the events.
fn assert_no_secrets(events: &[Recorded], secrets: &[&str]) {
    for event in events {
        for (field, value) in event {
            for secret in secrets {
                assert!(!value.contains(secret), "{field} = {value} holds {secret}");
            }
        }
    }
}

#[test]
fn registration_and_login_leave_a_trail_without_secrets() {
    let fx = fixture();
    let mut code = String::new();
    let events = recorded(|| {
        let pending = begin(
            &fx,
            &shoko_wrong_birth_then_right(&fx),
            &registration_form(),
        );
        code = last_code(&fx);
        block_on(fx.portal.confirm_registration(&pending, &wrong(&code))).unwrap_err();
        block_on(fx.portal.confirm_registration(&pending, &code)).unwrap();
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
        block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap();
    });
    assert_eq!(
        names(&events),
        [
            "identity_checked",
            "identity_checked",
            "code_issued",
            "code_wrong",
            "code_accepted",
            "registration_completed",
            "login_failed",
            "login_succeeded"
        ]
    );
    let miss = &events[0];
    assert_eq!(miss["matched"], "false");
    assert_eq!(miss["flow"], "first_authentication");
    assert_eq!(miss["insurer"], "06139999");
    assert_eq!(miss["differs"], "differs in: date of birth");
    assert_eq!(events[1]["matched"], "true");
    assert_eq!(find(&events, "code_wrong")["remaining"], "4");
    assert_eq!(find(&events, "registration_completed")["user_id"], USER_ID);
    let failed = find(&events, "login_failed");
    assert_eq!(failed["reason"], "wrong_password");
    let user_id = UserId::parse(USER_ID).unwrap();
    assert_eq!(failed["subject"], fx.portal.audit_subject_of_user(&user_id));
    assert_eq!(find(&events, "login_succeeded")["user_id"], USER_ID);
    assert_no_secrets(
        &events,
        &[
            PASSWORD,
            WRONG_PASSWORD,
            &code,
            "1975-03-0",
            "ケンホ",
            "シヨウコ",
            "1234/567",
        ],
    );
}

/// ケンポ ショウコ's first authentication, once with the wrong birth date first.
fn shoko_wrong_birth_then_right(fx: &Fixture) -> kenpo_auth::IdentityForm {
    block_on(fx.portal.authenticate_insured(&shoko_wrong_birth())).unwrap_err();
    shoko()
}

#[test]
fn locks_ceilings_resets_and_unlocks_are_recorded() {
    let fx = fixture();
    let user_id = register(&fx);
    let mut reset_code = String::new();
    let events = recorded(|| {
        for _ in 0..11 {
            let _ = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD));
        }
        let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
        reset_code = last_code(&fx);
        block_on(fx.portal.reset_password(&ticket, &reset_code, NEW_PASSWORD)).unwrap();
        block_on(fx.portal.request_password_reset("nobody999")).unwrap();
        block_on(fx.portal.unlock_account(&user_id)).unwrap();
    });
    let locked = find(&events, "locked");
    assert_eq!(locked["budget"], "login");
    assert_eq!(locked["retry_after_s"], "1800");
    assert_eq!(find(&events, "code_issued")["purpose"], "password_reset");
    assert_eq!(find(&events, "reset_completed")["user_id"], USER_ID);
    assert_eq!(
        find(&events, "decoy_issued")["subject"],
        fx.portal
            .audit_subject_of_user(&UserId::parse("nobody999").unwrap())
    );
    assert_eq!(find(&events, "account_unlocked")["user_id"], USER_ID);
    assert_no_secrets(
        &events,
        &[&reset_code, &reset_code.replace('-', ""), NEW_PASSWORD],
    );
}

#[test]
fn a_failed_mail_and_a_refused_hash_are_recorded_for_the_host() {
    let fx = fixture();
    register(&fx);
    let account = fx.store.accounts().pop().unwrap();
    let tampered = kenpo_auth::PasswordHash::from_phc(
        "$argon2id$v=19$m=1048576,t=64,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
         AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    block_on(fx.store.update_password_hash(
        &account.user_id.key(),
        &account.password_hash,
        tampered,
    ))
    .unwrap();
    let events = recorded(|| {
        fx.mailer.set_failing(true);
        block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
        let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
        assert!(matches!(error, Error::AuthenticationFailed));
        let huge = "A#1".repeat(1000);
        let error = block_on(fx.portal.login(USER_ID, &huge)).unwrap_err();
        assert!(matches!(error, Error::AuthenticationFailed));
    });
    let failed = find(&events, "mail_failed");
    assert!(failed["error"].contains("down"), "{failed:?}");
    assert!(!names(&events).contains(&"code_issued"));
    let reasons: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "login_failed")
        .map(|e| e["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["cost_too_high", "too_long"]);
}

#[test]
fn expired_and_exhausted_codes_and_ceilings_are_recorded() {
    let fx = fixture();
    let events = recorded(|| {
        let pending = begin(&fx, &shoko(), &registration_form());
        let code = last_code(&fx);
        fx.clock.advance(10 * MINUTE);
        block_on(fx.portal.confirm_registration(&pending, &code)).unwrap_err();
        for _ in 0..6 {
            let _ = block_on(fx.portal.confirm_registration(&pending, &wrong(&code)));
        }
    });
    assert_eq!(find(&events, "code_expired")["purpose"], "registration");
    assert!(
        names(&events).contains(&"code_exhausted"),
        "{:?}",
        names(&events)
    );
}
