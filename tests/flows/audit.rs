//! The audit trail: every security-relevant decision is an event with target
//! `kenpo_auth::audit`, with stable field names and never a secret.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::support::*;
use kenpo_auth::{Error, UserId};

type Recorded = BTreeMap<String, String>;

/// Every audit event of one test, as field → value.
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

thread_local! {
    /// The recorder of the test running on this thread, if it records.
    static RECORDING: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// One subscriber for the whole test binary, handing each event to the recorder of the thread
/// that emitted it. A subscriber per test (`with_default`) raced: a callsite first reached on
/// another thread while no recorder existed could be cached as uninteresting for good, and
/// its events went missing (3 runs in 30).
struct ToThreadRecorder;

impl<S: Subscriber> Layer<S> for ToThreadRecorder {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "kenpo_auth::audit" {
            return;
        }
        RECORDING.with(|recording| {
            if let Some(recorder) = &*recording.borrow() {
                let mut fields = Fields(Recorded::new());
                event.record(&mut fields);
                recorder.0.lock().unwrap().push(fields.0);
            }
        });
    }
}

/// Runs `flow` with a recorder on this thread; returns the events it emitted.
fn recorded(flow: impl FnOnce()) -> Vec<Recorded> {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(ToThreadRecorder),
        )
        .expect("no other global subscriber in this binary");
    });
    let recorder = Recorder::default();
    RECORDING.with(|recording| *recording.borrow_mut() = Some(recorder.clone()));
    flow();
    RECORDING.with(|recording| *recording.borrow_mut() = None);
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
        fx.confirm_registration(&pending, &wrong(&code))
            .unwrap_err();
        fx.confirm_registration(&pending, &code).unwrap();
        fx.login(USER_ID, WRONG_PASSWORD).unwrap_err();
        fx.login(USER_ID, PASSWORD).unwrap();
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
    fx.authenticate_insured(&shoko_wrong_birth()).unwrap_err();
    shoko()
}

#[test]
fn locks_ceilings_resets_and_unlocks_are_recorded() {
    let fx = fixture();
    let user_id = register(&fx);
    let mut reset_code = String::new();
    let events = recorded(|| {
        fail_logins(&fx, USER_ID, 10);
        let _ = fx.login(USER_ID, WRONG_PASSWORD);
        let (ticket, code) = mailed_reset(&fx);
        fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
        reset_code = code;
        fx.request_password_reset("nobody999").unwrap();
        fx.unlock_account(&user_id).unwrap();
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
    let fx = registered();
    store_too_costly_hash(&fx);
    let events = recorded(|| {
        fx.mailer.set_failing(true);
        fx.request_password_reset(USER_ID).unwrap();
        assert_error!(fx.login(USER_ID, PASSWORD), Error::AuthenticationFailed);
        let huge = "A#1".repeat(1000);
        assert_error!(fx.login(USER_ID, &huge), Error::AuthenticationFailed);
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
        let (pending, code) = mailed_registration(&fx);
        fx.clock.advance(10 * MINUTE);
        fx.confirm_registration(&pending, &code).unwrap_err();
        for _ in 0..6 {
            let _ = fx.confirm_registration(&pending, &wrong(&code));
        }
    });
    assert_eq!(find(&events, "code_expired")["purpose"], "registration");
    assert!(
        names(&events).contains(&"code_exhausted"),
        "{:?}",
        names(&events)
    );
}

/// A portal built on a configuration `Config::check` refuses — here one read from a file
/// without a secret key, so that every code MAC and session stamp would be made under a key
/// of zeros — says so in the audit trail at once, for a host that never called
/// `check_config`; a valid one says nothing.
#[test]
fn a_portal_on_a_refused_configuration_says_so() {
    let unkeyed: kenpo_auth::Config = toml::from_str("").unwrap();
    let events = recorded(|| drop(fixture_with(unkeyed)));
    let refused = find(&events, "config_refused");
    assert!(
        refused["error"].contains("secret_key is not set"),
        "{refused:?}"
    );
    assert!(recorded(|| drop(fixture())).is_empty());
}

#[test]
fn an_account_retired_for_a_new_holder_of_its_number_is_recorded() {
    let fx = registered();
    fx.store.add_insured(yoko_record());
    let events = recorded(|| {
        fx.authenticate_insured(&yoko()).unwrap();
    });
    let retired = find(&events, "account_retired");
    assert_eq!(retired["user_id"], USER_ID);
    assert_eq!(retired["reason"], "insured_person_changed");
}

#[test]
fn a_unions_desk_refusing_another_unions_member_is_recorded() {
    let fx = registered();
    let member = UserId::parse(USER_ID).unwrap();
    let desk = fx.portal.help_desk_of("06130001").unwrap();
    let events = recorded(|| {
        assert!(block_on(desk.delete_account(&member)).is_err());
    });
    let refused = find(&events, "help_desk_refused");
    assert_eq!(refused["insurer"], "06130001");
    assert_eq!(refused["operation"], "delete_account");
    assert!(!names(&events).contains(&"account_deleted"));
}
