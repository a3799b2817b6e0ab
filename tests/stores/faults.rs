//! Fault injection: a store or mailer failure at any point of a flow leaves no half-made
//! account and no consumed-but-unused code, surfaces as a clear `Error::Store` (or, where the
//! member must not learn of it, not at all), and the next call works. Run on `MemoryStore` and
//! `SqliteStore`; and failures *inside* a `SqliteStore` transaction (SQL triggers that abort)
//! roll the whole step back.
//!
//! `FailingStore` fails its Nth call, either *before* the call reaches the store (the request
//! is lost) or *after* it took effect (the answer is lost); `RecordingMailer::set_failing`
//! plays a mail server that is down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kenpo_auth::EmailAddress;
use kenpo_auth::store::TicketId;
use kenpo_auth::store::{
    AttemptGate, ChallengeOwner, ChallengeRecord, CodeChallenge, CounterKey, ImportMode,
    RegistrationOutcome, ResendOutcome, ResendRules, RosterEntry, SignupRecord,
};
use kenpo_auth::{
    Error, InsuredRecord, MailKind, ManualClock, MemoryStore, PasswordResetTicket,
    PendingRegistration, Portal, RecordingMailer, SignupTicket, SqliteError, SqliteStore, Store,
};
use rusqlite::Connection;

use crate::support::{
    EMAIL, Inspect, NEW_PASSWORD, PASSWORD, USER_ID, at, block_on, hash, insured, insured_key,
    lock_policy, mac, on_both_stores, pass_on, portal_config, registration, registration_form,
    reset, shoko, shoko_record, sqlite_file, t0, ticket, user_key,
};

// ---------------------------------------------------------------- the failing store

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The call fails without reaching the store.
    Before,
    /// The call takes effect, then its answer is lost.
    After,
}

#[derive(Debug, thiserror::Error)]
enum FaultError<E> {
    #[error("injected store failure in {0}")]
    Injected(&'static str),
    #[error(transparent)]
    Inner(E),
}

struct Plan {
    calls: AtomicUsize,
    fail_at: AtomicUsize,
    mode: Mutex<Mode>,
}

#[derive(Clone)]
struct FailingStore<S> {
    inner: S,
    plan: Arc<Plan>,
}

impl<S> FailingStore<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            plan: Arc::new(Plan {
                calls: AtomicUsize::new(0),
                fail_at: AtomicUsize::new(usize::MAX),
                mode: Mutex::new(Mode::Before),
            }),
        }
    }

    /// Fails call number `call` (counting from 0 from now on) in `mode`.
    fn arm(&self, call: usize, mode: Mode) {
        *self.plan.mode.lock().unwrap() = mode;
        self.plan.calls.store(0, Ordering::SeqCst);
        self.plan.fail_at.store(call, Ordering::SeqCst);
    }

    fn disarm(&self) {
        self.plan.fail_at.store(usize::MAX, Ordering::SeqCst);
    }

    fn calls(&self) -> usize {
        self.plan.calls.load(Ordering::SeqCst)
    }

    /// Whether this call fails, and how.
    fn fault(&self) -> Option<Mode> {
        let n = self.plan.calls.fetch_add(1, Ordering::SeqCst);
        (n == self.plan.fail_at.load(Ordering::SeqCst)).then(|| *self.plan.mode.lock().unwrap())
    }

    async fn call<T, E>(
        &self,
        name: &'static str,
        op: impl Future<Output = Result<T, E>>,
    ) -> Result<T, FaultError<E>> {
        match self.fault() {
            Some(Mode::Before) => Err(FaultError::Injected(name)),
            Some(Mode::After) => {
                op.await.map_err(FaultError::Inner)?;
                Err(FaultError::Injected(name))
            }
            None => op.await.map_err(FaultError::Inner),
        }
    }
}

/// A store method passed to `inner` through `call`, which may fail it; the fault names the
/// method.
macro_rules! through_call {
    ($s:tt, $method:ident, $($arg:ident),*) => {
        $s.call(stringify!($method), $s.inner.$method($($arg),*)).await
    };
}

impl<S: Store> Store for FailingStore<S> {
    type Error = FaultError<S::Error>;

    pass_on!(through_call: all);
}

// ---------------------------------------------------------------- flows under faults

type TestPortal<S> = Portal<FailingStore<S>, RecordingMailer, ManualClock>;

fn portal<S: Inspect>() -> (TestPortal<S>, S) {
    let store = S::fresh();
    store.add(shoko_record());
    let portal = Portal::new(
        FailingStore::new(store.clone()),
        RecordingMailer::new(),
        portal_config(),
    )
    .with_clock(ManualClock::new(t0()));
    (portal, store)
}

/// The store call the injected failure hit; panics unless `error` is that failure, surfaced
/// as `Error::Store`.
fn injected_call<S: Store>(error: &Error) -> &'static str {
    let Error::Store(source) = error else {
        panic!("a store failure must surface as Error::Store, got {error:?}");
    };
    match source.downcast_ref::<FaultError<S::Error>>() {
        Some(FaultError::Injected(call)) => call,
        _ => panic!("not the injected failure: {source}"),
    }
}

/// The registration flow, resumable: first authentication, registration (code mailed),
/// confirmation.
struct Registration {
    ticket: Option<SignupTicket>,
    pending: Option<PendingRegistration>,
    done: bool,
}

impl Registration {
    const fn new() -> Self {
        Self {
            ticket: None,
            pending: None,
            done: false,
        }
    }

    fn run<S: Inspect>(&mut self, portal: &TestPortal<S>) -> Result<(), Error> {
        if self.ticket.is_none() {
            self.ticket = Some(block_on(portal.authenticate_insured(&shoko()))?);
        }
        if self.pending.is_none() {
            let ticket = self.ticket.as_ref().unwrap();
            self.pending = Some(block_on(
                portal.begin_registration(ticket, &registration_form()),
            )?);
        }
        if !self.done {
            let code = portal.mailer().last_code().unwrap();
            let pending = self.pending.as_ref().unwrap();
            block_on(portal.confirm_registration(pending, &code))?;
            self.done = true;
        }
        Ok(())
    }
}

/// Invariants that hold after any fault: at most one account; an account exists exactly when
/// the pending registration's challenge was consumed; at most one code live for the ticket.
fn check_consistent<S: Inspect>(store: &S, flow: &Registration) {
    let accounts = store.accounts().len();
    assert!(accounts <= 1, "{accounts} accounts");
    assert!(store.challenges() <= 1, "{} codes live", store.challenges());
    if let Some(pending) = &flow.pending {
        let live = block_on(store.find_challenge(pending.id()))
            .unwrap()
            .is_some();
        assert_eq!(
            accounts == 1,
            !live,
            "account and consumed challenge must go together"
        );
    }
}

fn registration_faults<S: Inspect>() {
    // A clean run tells how many store calls the flow makes.
    let (clean, _) = portal::<S>();
    Registration::new().run(&clean).unwrap();
    let calls = clean.store().calls();
    assert!(calls >= 15, "only {calls} store calls");

    for mode in [Mode::Before, Mode::After] {
        for fail_at in 0..calls {
            let (portal, store) = portal::<S>();
            portal.store().arm(fail_at, mode);
            let mut flow = Registration::new();
            let error = flow
                .run(&portal)
                .expect_err("the armed call is on the path");
            let call = injected_call::<S>(&error);
            check_consistent(&store, &flow);

            // Retry after the fault: resume the flow where it stopped.
            portal.store().disarm();
            let created_by_the_fault = store.accounts().len() == 1;
            if created_by_the_fault {
                // Only the consuming call itself (its answer lost) or the budget clean-up after
                // it can fail once the account exists.
                assert!(
                    (call == "complete_registration" && mode == Mode::After)
                        || call == "clear_attempts",
                    "account created, then {call} failed ({mode:?})"
                );
            }
            match flow.run(&portal) {
                Ok(()) => {}
                // The account exists and its challenge is rightly gone.
                Err(Error::ChallengeGone) if created_by_the_fault => {}
                Err(other) => {
                    panic!("retry after fault in {call} (call {fail_at}, {mode:?}): {other:?}")
                }
            }
            check_consistent(&store, &flow);
            assert_eq!(store.accounts().len(), 1, "fault in {call} ({mode:?})");
            assert_eq!(store.challenges(), 0, "a code outlived the registration");
            let ticket = flow.ticket.as_ref().unwrap();
            assert!(
                block_on(store.find_signup(ticket.id())).unwrap().is_none(),
                "the sign-up ticket outlived the registration"
            );
            let login = block_on(portal.login(USER_ID, PASSWORD)).unwrap();
            assert_eq!(login.user_id.as_str(), USER_ID);
        }
    }
}

/// Requests a reset (unless `ticket` holds one) and completes it with the mailed code.
fn run_reset<S: Inspect>(
    portal: &TestPortal<S>,
    ticket: &mut Option<PasswordResetTicket>,
) -> Result<(), Error> {
    if ticket.is_none() {
        *ticket = Some(block_on(portal.request_password_reset(USER_ID))?);
    }
    let mail = portal.mailer().last().unwrap();
    assert_eq!(mail.kind, MailKind::PasswordResetCode);
    let code = mail.code().unwrap();
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {code}");
    block_on(portal.reset_password(ticket.as_ref().unwrap(), &code, NEW_PASSWORD))
}

fn reset_faults<S: Inspect>() {
    let (clean, _) = portal::<S>();
    Registration::new().run(&clean).unwrap();
    clean.store().arm(usize::MAX, Mode::Before);
    run_reset(&clean, &mut None).unwrap();
    let calls = clean.store().calls();
    assert!(calls >= 10, "only {calls} store calls");

    for mode in [Mode::Before, Mode::After] {
        for fail_at in 0..calls {
            let (portal, store) = portal::<S>();
            Registration::new().run(&portal).unwrap();
            portal.store().arm(fail_at, mode);
            let mut ticket = None;
            let error = run_reset(&portal, &mut ticket).expect_err("armed call on the path");
            let call = injected_call::<S>(&error);
            // The password is the old one or the new one, and the new one only together with
            // the consumption of every code of the account.
            portal.store().disarm();
            let changed = block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok();
            assert!(
                !changed || store.challenges() == 0,
                "password changed but a reset code still live ({call}, {mode:?})"
            );
            assert!(store.challenges() <= 1, "two reset codes live");
            if !changed {
                run_reset(&portal, &mut ticket).unwrap_or_else(|other| {
                    panic!("retry after fault in {call} (call {fail_at}, {mode:?}): {other:?}")
                });
            }
            assert!(block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok());
            assert!(matches!(
                block_on(portal.login(USER_ID, PASSWORD)),
                Err(Error::AuthenticationFailed)
            ));
            assert_eq!(store.challenges(), 0, "a code outlived the reset");
        }
    }
}

/// A reset request makes as many store calls for a user ID with an account as for one
/// without, so that its time does not tell which exist (the mail aside: a host queues it).
fn reset_request_calls<S: Inspect>() {
    let (portal, _) = portal::<S>();
    Registration::new().run(&portal).unwrap();
    let calls = |user_id| {
        let before = portal.store().calls();
        block_on(portal.request_password_reset(user_id)).unwrap();
        portal.store().calls() - before
    };
    assert_eq!(calls(USER_ID), calls("NOBODY0001"));
}

on_both_stores! {
    reset_request_calls:
        memory_store_reset_requests_cost_the_same_for_known_and_unknown_ids,
        sqlite_store_reset_requests_cost_the_same_for_known_and_unknown_ids;
    registration_faults:
        memory_store_faults_in_registration_leave_nothing_half_made,
        sqlite_store_faults_in_registration_leave_nothing_half_made;
    reset_faults:
        memory_store_faults_in_password_reset_leave_nothing_half_made,
        sqlite_store_faults_in_password_reset_leave_nothing_half_made;
}

fn mail_faults<S: Inspect>() {
    let (portal, store) = portal::<S>();
    let mailer = portal.mailer();
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();

    // The registration mail fails: the code is withdrawn, nothing else changes.
    mailer.set_failing(true);
    let error = block_on(portal.begin_registration(&ticket, &registration_form())).unwrap_err();
    mailer.set_failing(false);
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    assert_eq!(store.challenges(), 0, "an unmailed code stayed live");
    assert!(store.accounts().is_empty());

    // Retry: the sign-up ticket still works.
    let pending = block_on(portal.begin_registration(&ticket, &registration_form())).unwrap();
    let first = mailer.last_code().unwrap();

    // The resend mail fails: the old code is void (replaced), the new one never arrived.
    mailer.set_failing(true);
    let error = block_on(portal.resend_code(&pending)).unwrap_err();
    mailer.set_failing(false);
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    assert!(store.accounts().is_empty());
    assert_eq!(store.challenges(), 1);

    // Retry the resend: the newest code creates the account, once.
    block_on(portal.resend_code(&pending)).unwrap();
    let newest = mailer.last_code().unwrap();
    if newest != first {
        assert!(matches!(
            block_on(portal.confirm_registration(&pending, &first)),
            Err(Error::CodeMismatch { .. })
        ));
    }
    block_on(portal.confirm_registration(&pending, &newest)).unwrap();
    assert_eq!(store.accounts().len(), 1);
    assert_eq!(store.challenges(), 0);
    assert!(matches!(
        block_on(portal.confirm_registration(&pending, &newest)),
        Err(Error::ChallengeGone)
    ));

    // A password-reset mail fails: the member gets the same answer as ever (a ticket), and the
    // code that never arrived is kept like a decoy.
    let mails = mailer.sent().len();
    mailer.set_failing(true);
    let lost = block_on(portal.request_password_reset(USER_ID)).unwrap();
    mailer.set_failing(false);
    assert_eq!(mailer.sent().len(), mails, "no mail went out");
    assert_eq!(store.challenges(), 1);
    // The retry mails a code that works, and voids the lost one.
    let reset = block_on(portal.request_password_reset(USER_ID)).unwrap();
    assert_eq!(store.challenges(), 1, "one reset code live per user ID");
    let code = mailer.last_code().unwrap();
    assert!(matches!(
        block_on(portal.reset_password(&lost, &code, NEW_PASSWORD)),
        Err(Error::ChallengeGone)
    ));
    block_on(portal.reset_password(&reset, &code, NEW_PASSWORD)).unwrap();
    assert!(block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok());
    assert_eq!(store.challenges(), 0);

    // The user-ID reminder fails: the same answer, nothing stored; the retry mails it.
    let mails = mailer.sent().len();
    mailer.set_failing(true);
    block_on(portal.remind_user_id(&shoko(), EMAIL)).unwrap();
    mailer.set_failing(false);
    assert_eq!(mailer.sent().len(), mails, "no mail went out");
    block_on(portal.remind_user_id(&shoko(), EMAIL)).unwrap();
    let reminder = mailer.last().unwrap();
    assert_eq!(reminder.kind, MailKind::UserIdReminder);
    assert!(reminder.body.contains(USER_ID));
    assert_eq!(store.accounts().len(), 1);
    assert_eq!(store.challenges(), 0);

    // Failing or not, reset mails count against the user ID's budget: past it, the answer is
    // `TooManyAttempts`, and no code is issued.
    mailer.set_failing(true);
    for _ in 0..portal_config().reset_max_requests {
        block_on(portal.request_password_reset(USER_ID)).unwrap();
    }
    mailer.set_failing(false);
    let error = block_on(portal.request_password_reset(USER_ID)).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { retry_after } if retry_after == portal_config().reset_lockout),
        "{error:?}"
    );
    assert_eq!(mailer.sent().len(), mails + 1, "only the reminder went out");
    assert_eq!(store.challenges(), 1);
}

on_both_stores! {
    mail_faults:
        memory_store_mail_faults_withdraw_codes_and_retries_succeed,
        sqlite_store_mail_faults_withdraw_codes_and_retries_succeed;
}

// ---------------------------------------------------------------- aborts inside SQLite

fn injected(error: &SqliteError) -> bool {
    error.to_string().contains("injected")
}

/// Makes every `event` (`BEFORE INSERT ON accounts`, …) abort until the trigger is dropped.
fn plant(raw: &Connection, name: &str, event: &str) {
    raw.execute_batch(&format!(
        "CREATE TRIGGER {name} {event} BEGIN SELECT RAISE(ABORT, 'injected'); END;"
    ))
    .unwrap();
}

fn unplant(raw: &Connection, name: &str) {
    raw.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
}

/// A registration under a stored sign-up ticket, with one attempt counted.
fn pending_registration(store: &SqliteStore) -> (TicketId, TicketId) {
    let signup = ticket();
    block_on(store.insert_signup(SignupRecord {
        id: signup,
        insured_key: insured_key("1"),
        birth_date: crate::support::born(),
        expires_at: at(1800),
    }))
    .unwrap();
    let mut record = registration("member01", "1", 7);
    record.owner = ChallengeOwner::Signup(signup);
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    block_on(store.count_code_attempt(id)).unwrap();
    (signup, id)
}

/// Each statement of `complete_registration` aborted in turn: no account, the challenge
/// exactly as it was, the sign-up ticket still there; the next call creates the account.
#[test]
fn an_abort_anywhere_in_a_registration_rolls_all_of_it_back() {
    for (trigger, event) in [
        ("fail_account", "BEFORE INSERT ON accounts"),
        ("fail_consume", "BEFORE DELETE ON challenges"),
        ("fail_signup", "BEFORE DELETE ON signups"),
    ] {
        let (store, raw, _dir) = sqlite_file(trigger);
        let (signup, id) = pending_registration(&store);
        plant(&raw, trigger, event);
        let error = block_on(store.complete_registration(id, &mac(7), t0())).unwrap_err();
        assert!(injected(&error), "{trigger}: {error:?}");
        assert_eq!(
            store.account_count().unwrap(),
            0,
            "{trigger}: half-made account"
        );
        let live = block_on(store.find_challenge(id))
            .unwrap()
            .unwrap_or_else(|| panic!("{trigger}: challenge consumed"));
        assert_eq!(live.code.attempts, 1, "the challenge is exactly as it was");
        assert!(live.code.code_mac.ct_eq(&mac(7)));
        assert!(block_on(store.find_signup(signup)).unwrap().is_some());

        unplant(&raw, trigger);
        assert_eq!(
            block_on(store.complete_registration(id, &mac(7), t0())).unwrap(),
            RegistrationOutcome::Created
        );
        assert!(block_on(store.find_challenge(id)).unwrap().is_none());
        assert!(block_on(store.find_signup(signup)).unwrap().is_none());
        assert_eq!(store.account_count().unwrap(), 1);
    }
}

#[test]
fn an_abort_anywhere_in_a_reset_keeps_the_old_password_and_every_code() {
    for (trigger, event) in [
        ("fail_password", "BEFORE UPDATE ON accounts"),
        ("fail_consume", "BEFORE DELETE ON challenges"),
    ] {
        let (store, raw, _dir) = sqlite_file(trigger);
        let (_, id) = pending_registration(&store);
        block_on(store.complete_registration(id, &mac(7), t0())).unwrap();
        let record = reset("member01", false, 7);
        let reset_id = record.code.id;
        block_on(store.insert_challenge(record)).unwrap();
        // Another code of the same account, which a completed reset voids too.
        let mut other = registration("member09", "9", 9);
        other.owner = ChallengeOwner::Account(user_key("member01"));
        let other_id = other.code.id;
        block_on(store.insert_challenge(other)).unwrap();

        plant(&raw, trigger, event);
        let error =
            block_on(store.complete_password_reset(reset_id, &mac(7), hash("second"))).unwrap_err();
        assert!(injected(&error), "{trigger}: {error:?}");
        let account = block_on(store.find_account(&user_key("member01")))
            .unwrap()
            .unwrap();
        assert_eq!(
            account.password_hash,
            hash("first"),
            "{trigger}: password set without consumption"
        );
        assert!(block_on(store.find_challenge(reset_id)).unwrap().is_some());
        assert!(block_on(store.find_challenge(other_id)).unwrap().is_some());

        unplant(&raw, trigger);
        assert!(
            block_on(store.complete_password_reset(reset_id, &mac(7), hash("second"))).unwrap()
        );
        let account = block_on(store.find_account(&user_key("member01")))
            .unwrap()
            .unwrap();
        assert_eq!(account.password_hash, hash("second"));
        assert_eq!(store.challenge_count().unwrap(), 0);
    }
}

/// A new challenge that cannot be written leaves the owner's older one live: the void and the
/// insert are one step.
#[test]
fn an_abort_while_inserting_a_challenge_keeps_the_older_one() {
    let (store, raw, _dir) = sqlite_file("fault-insert-challenge");
    let older = reset("member01", false, 1);
    let older_id = older.code.id;
    block_on(store.insert_challenge(older)).unwrap();
    plant(&raw, "fail_insert", "BEFORE INSERT ON challenges");
    let newer = reset("MEMBER01", false, 2);
    let newer_id = newer.code.id;
    let error = block_on(store.insert_challenge(newer.clone())).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert!(block_on(store.find_challenge(older_id)).unwrap().is_some());
    assert!(block_on(store.find_challenge(newer_id)).unwrap().is_none());

    unplant(&raw, "fail_insert");
    block_on(store.insert_challenge(newer)).unwrap();
    assert!(block_on(store.find_challenge(older_id)).unwrap().is_none());
    assert!(block_on(store.find_challenge(newer_id)).unwrap().is_some());
}

/// A resend or a count that cannot be saved changes nothing; the next one starts from the
/// stored state.
#[test]
fn an_abort_while_updating_a_code_or_a_counter_changes_nothing() {
    let (store, raw, _dir) = sqlite_file("fault-update");
    let (_, id) = pending_registration(&store);
    let rules = ResendRules {
        cooldown: Duration::from_secs(60),
        max_sends: 5,
        validity: Duration::from_secs(600),
    };
    plant(&raw, "fail_update", "BEFORE UPDATE ON challenges");
    let error =
        block_on(store.update_code(id, |code| code.resend(at(60), mac(8), rules))).unwrap_err();
    assert!(injected(&error), "{error:?}");
    let error = block_on(store.count_code_attempt(id)).unwrap_err();
    assert!(injected(&error), "{error:?}");
    let live = block_on(store.find_challenge(id)).unwrap().unwrap();
    assert!(live.code.code_mac.ct_eq(&mac(7)));
    assert_eq!((live.code.sends, live.code.attempts), (1, 1));
    unplant(&raw, "fail_update");
    assert_eq!(
        block_on(store.update_code(id, |code| code.resend(at(60), mac(8), rules))).unwrap(),
        Some(ResendOutcome::Replaced)
    );
    let live = block_on(store.find_challenge(id)).unwrap().unwrap();
    assert!(live.code.code_mac.ct_eq(&mac(8)));
    assert_eq!((live.code.sends, live.code.attempts), (2, 1));

    let login = CounterKey::Login(user_key("member01"));
    let policy = lock_policy(3, None);
    for _ in 0..2 {
        block_on(store.acquire_attempt(&login, t0(), policy)).unwrap();
    }
    plant(&raw, "fail_counter", "BEFORE UPDATE ON counters");
    let error = block_on(store.acquire_attempt(&login, t0(), policy)).unwrap_err();
    assert!(injected(&error), "{error:?}");
    unplant(&raw, "fail_counter");
    assert_eq!(
        block_on(store.acquire_attempt(&login, t0(), policy)).unwrap(),
        AttemptGate::Allowed,
        "the aborted attempt was not counted"
    );
    assert!(matches!(
        block_on(store.acquire_attempt(&login, t0(), policy)).unwrap(),
        AttemptGate::Locked { .. }
    ));
}

#[test]
fn through_the_portal_the_member_sees_a_store_error_and_the_same_code_works_afterwards() {
    let (store, raw, _dir) = sqlite_file("fault-portal");
    store.add_insured(shoko_record()).unwrap();
    let mailer = RecordingMailer::new();
    let portal = Portal::new(store.clone(), mailer.clone(), portal_config());
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();
    let pending = block_on(portal.begin_registration(&ticket, &registration_form())).unwrap();
    let code = mailer.last_code().unwrap();

    plant(&raw, "fail_account", "BEFORE INSERT ON accounts");
    let error = block_on(portal.confirm_registration(&pending, &code)).unwrap_err();
    let Error::Store(source) = &error else {
        panic!("expected Error::Store, got {error:?}");
    };
    assert!(source.downcast_ref::<SqliteError>().is_some_and(injected));
    assert!(error.message_ja().contains("障害"));
    assert_eq!(store.account_count().unwrap(), 0);
    assert_eq!(store.challenge_count().unwrap(), 1);

    unplant(&raw, "fail_account");
    let user_id = block_on(portal.confirm_registration(&pending, &code)).unwrap();
    assert_eq!(user_id.as_str(), USER_ID);
    assert_eq!(store.account_count().unwrap(), 1);
    assert_eq!(store.challenge_count().unwrap(), 0);
    assert!(block_on(store.find_signup(ticket.id())).unwrap().is_none());
}

fn roster_entries(records: Vec<InsuredRecord>) -> impl Iterator<Item = RosterEntry> + Send {
    records
        .into_iter()
        .zip(2..)
        .map(|(record, line)| RosterEntry::new(line, Some(record)))
}

fn roster_of(store: &SqliteStore, numbers: &[&str]) -> Vec<Option<InsuredRecord>> {
    numbers
        .iter()
        .map(|number| block_on(store.find_insured(&insured_key(number))).unwrap())
        .collect()
}

/// An import whose delete, insert or update aborts leaves the whole roster as it was (the
/// staging table goes too), and the next import applies.
#[test]
fn an_abort_anywhere_in_a_roster_import_changes_nothing() {
    let (store, raw, _dir) = sqlite_file("fault-import");
    let old = vec![insured("1"), insured("2")];
    block_on(store.import_roster("06139999", roster_entries(old), ImportMode::Apply)).unwrap();
    let numbers = ["1", "2", "3"];
    let before = roster_of(&store, &numbers);
    let renamed = || {
        let birth = kenpo_auth::BirthDate::new(1980, 4, 1).unwrap();
        InsuredRecord::new("06139999", "12", "2", birth, "ケンポ ジロウ").unwrap()
    };
    let new = || vec![renamed(), insured("3")];
    for event in [
        "BEFORE DELETE ON roster",
        "BEFORE INSERT ON roster",
        "BEFORE UPDATE ON roster",
    ] {
        plant(&raw, "fail_import", event);
        let error =
            block_on(store.import_roster("06139999", roster_entries(new()), ImportMode::Apply))
                .unwrap_err();
        assert!(injected(&error), "{event}: {error:?}");
        assert_eq!(
            roster_of(&store, &numbers),
            before,
            "{event} left a half import"
        );
        unplant(&raw, "fail_import");
    }
    let report =
        block_on(store.import_roster("06139999", roster_entries(new()), ImportMode::Apply))
            .unwrap();
    assert!(report.applied);
    assert_eq!((report.added, report.changed, report.removed), (1, 1, 1));
    assert_eq!(
        roster_of(&store, &numbers),
        vec![None, Some(renamed()), Some(insured("3"))]
    );
}

/// A password change, an e-mail change or a deletion whose second statement aborts keeps the
/// first undone too.
#[test]
fn an_abort_in_a_settings_or_help_desk_step_rolls_all_of_it_back() {
    let (store, raw, _dir) = sqlite_file("fault-settings");
    let (_, id) = pending_registration(&store);
    assert_eq!(
        block_on(store.complete_registration(id, &mac(7), t0())).unwrap(),
        RegistrationOutcome::Created
    );
    let member = user_key("member01");
    let reset_code = reset("member01", false, 5);
    let reset_id = reset_code.code.id;
    block_on(store.insert_challenge(reset_code)).unwrap();
    let account = || block_on(store.find_account(&member)).unwrap().unwrap();
    let before = account();

    // change_password: the update, then the reset codes' delete.
    plant(&raw, "fail_delete", "BEFORE DELETE ON challenges");
    let error =
        block_on(store.change_password(&member, &before.password_hash, hash("new"))).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert_eq!(account().password_hash, before.password_hash);
    assert!(block_on(store.find_challenge(reset_id)).unwrap().is_some());

    // delete_account: the account, then its challenges.
    let error = block_on(store.delete_account(&member)).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert!(block_on(store.find_account(&member)).unwrap().is_some());
    unplant(&raw, "fail_delete");

    // complete_email_change: the address, then the challenge.
    let change = ChallengeRecord {
        code: CodeChallenge {
            purpose: kenpo_auth::store::Purpose::EmailChange,
            ..reset("member01", false, 6).code
        },
        owner: ChallengeOwner::Account(member.clone()),
        payload: kenpo_auth::store::ChallengePayload::EmailChange(
            EmailAddress::parse("new@example.co.jp").unwrap(),
        ),
    };
    let change_id = change.code.id;
    block_on(store.insert_challenge(change)).unwrap();
    plant(&raw, "fail_delete", "BEFORE DELETE ON challenges");
    let error = block_on(store.complete_email_change(change_id, &mac(6))).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert_eq!(account().email, before.email);
    unplant(&raw, "fail_delete");
    let old = block_on(store.complete_email_change(change_id, &mac(6))).unwrap();
    assert_eq!(old, Some(before.email));
    // The reset code went to the old address and died with it.
    assert!(block_on(store.find_challenge(reset_id)).unwrap().is_none());
    assert!(block_on(store.change_password(&member, &before.password_hash, hash("new"))).unwrap());
    assert!(block_on(store.delete_account(&member)).unwrap());
}
