//! Fault injection: a store or mailer failure at any point of a flow leaves no half-made
//! account and no consumed-but-unused code, surfaces as `Error::Store` / `Error::Mail`, and a
//! retry after the fault succeeds. Run on `MemoryStore` and `SqliteStore`.
//!
//! `FailingStore` fails its Nth call, either *before* the call reaches the store (the request
//! is lost) or *after* it took effect (the answer is lost). `FailingMailer` fails its Nth send.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use kenpo_auth::otp::CodeMac;
use kenpo_auth::store::{
    Account, ChallengeRecord, RegistrationOutcome, ResendOutcome, ResendRules, SignupRecord, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::throttle::{AttemptGate, LimitPolicy};
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    BirthDate, Config, Error, HashParams, IdentityForm, InsuredKey, InsuredRecord, Mail, Mailer,
    MemoryStore, PasswordHash, Portal, RegistrationForm, SqliteStore, TermsVersion,
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

impl<S: Store> Store for FailingStore<S> {
    type Error = FaultError<S::Error>;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, Self::Error> {
        self.call("find_insured", self.inner.find_insured(key))
            .await
    }
    async fn acquire_attempt(
        &self,
        key: &str,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Self::Error> {
        self.call(
            "acquire_attempt",
            self.inner.acquire_attempt(key, now, policy),
        )
        .await
    }
    async fn clear_attempts(&self, key: &str) -> Result<(), Self::Error> {
        self.call("clear_attempts", self.inner.clear_attempts(key))
            .await
    }
    async fn insert_signup(&self, record: SignupRecord) -> Result<(), Self::Error> {
        self.call("insert_signup", self.inner.insert_signup(record))
            .await
    }
    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, Self::Error> {
        self.call("find_signup", self.inner.find_signup(id)).await
    }
    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), Self::Error> {
        self.call("insert_challenge", self.inner.insert_challenge(record))
            .await
    }
    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, Self::Error> {
        self.call("find_challenge", self.inner.find_challenge(id))
            .await
    }
    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, Self::Error> {
        self.call("count_code_attempt", self.inner.count_code_attempt(id))
            .await
    }
    async fn replace_code(
        &self,
        id: TicketId,
        code_mac: CodeMac,
        now: SystemTime,
        expires_at: SystemTime,
        rules: ResendRules,
    ) -> Result<ResendOutcome, Self::Error> {
        self.call(
            "replace_code",
            self.inner
                .replace_code(id, code_mac, now, expires_at, rules),
        )
        .await
    }
    async fn delete_challenge(&self, id: TicketId) -> Result<(), Self::Error> {
        self.call("delete_challenge", self.inner.delete_challenge(id))
            .await
    }
    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, Self::Error> {
        self.call(
            "complete_registration",
            self.inner.complete_registration(id, code_mac, now),
        )
        .await
    }
    async fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> Result<bool, Self::Error> {
        self.call(
            "complete_password_reset",
            self.inner.complete_password_reset(id, code_mac, new_hash),
        )
        .await
    }
    async fn find_account(&self, user_key: &str) -> Result<Option<Account>, Self::Error> {
        self.call("find_account", self.inner.find_account(user_key))
            .await
    }
    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, Self::Error> {
        self.call(
            "find_account_by_insured",
            self.inner.find_account_by_insured(key),
        )
        .await
    }
    async fn update_password_hash(
        &self,
        user_key: &str,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Self::Error> {
        self.call(
            "update_password_hash",
            self.inner
                .update_password_hash(user_key, expected, new_hash),
        )
        .await
    }
    async fn record_terms_acceptance(
        &self,
        user_key: &str,
        version: TermsVersion,
    ) -> Result<bool, Self::Error> {
        self.call(
            "record_terms_acceptance",
            self.inner.record_terms_acceptance(user_key, version),
        )
        .await
    }
    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, Self::Error> {
        self.call("purge_expired", self.inner.purge_expired(now, grace))
            .await
    }
}

// ---------------------------------------------------------------- the failing mailer

#[derive(Debug, thiserror::Error)]
#[error("injected mail failure")]
struct MailDown;

/// Remembers the last code mailed to each address; fails the sends it is told to.
#[derive(Clone, Default)]
struct FailingMailer {
    codes: Arc<Mutex<HashMap<String, String>>>,
    sends: Arc<AtomicUsize>,
    fail_at: Arc<Mutex<Option<usize>>>,
}

impl FailingMailer {
    fn fail_next(&self) {
        *self.fail_at.lock().unwrap() = Some(self.sends.load(Ordering::SeqCst));
    }

    fn code_for(&self, address: &str) -> Option<String> {
        self.codes.lock().unwrap().get(address).cloned()
    }
}

impl Mailer for FailingMailer {
    type Error = MailDown;

    async fn send(&self, mail: Mail) -> Result<(), MailDown> {
        let n = self.sends.fetch_add(1, Ordering::SeqCst);
        if *self.fail_at.lock().unwrap() == Some(n) {
            return Err(MailDown);
        }
        if let Some(code) = mail
            .body
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
        {
            self.codes
                .lock()
                .unwrap()
                .insert(mail.to.as_str().to_owned(), code.to_owned());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- the stores under test

trait Inspect: Store + Clone {
    fn fresh() -> Self;
    fn add(&self, record: InsuredRecord);
    fn accounts(&self) -> usize;
    fn challenges(&self) -> usize;
}

impl Inspect for MemoryStore {
    fn fresh() -> Self {
        Self::new()
    }
    fn add(&self, record: InsuredRecord) {
        self.add_insured(record);
    }
    fn accounts(&self) -> usize {
        self.account_count()
    }
    fn challenges(&self) -> usize {
        self.challenge_count()
    }
}

impl Inspect for SqliteStore {
    fn fresh() -> Self {
        Self::open_in_memory().unwrap()
    }
    fn add(&self, record: InsuredRecord) {
        self.add_insured(record).unwrap();
    }
    fn accounts(&self) -> usize {
        self.account_count().unwrap()
    }
    fn challenges(&self) -> usize {
        self.challenge_count().unwrap()
    }
}

const USER_ID: &str = "NGK000123";
const PASSWORD: &str = "Sakura#2024x";
const NEW_PASSWORD: &str = "Momiji#2025y";
const EMAIL: &str = "shoko@example.co.jp";

fn identity() -> IdentityForm {
    IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: "567".into(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    }
}

fn form() -> RegistrationForm {
    RegistrationForm {
        user_id: USER_ID.into(),
        password: PASSWORD.into(),
        email: EMAIL.into(),
    }
}

type TestPortal<S> = Portal<FailingStore<S>, FailingMailer>;

fn portal<S: Inspect>() -> (TestPortal<S>, S) {
    let store = S::fresh();
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    store.add(InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap());
    let config = Config {
        hash_params: HashParams::insecure_for_tests(),
        resend_cooldown: Duration::ZERO,
        ..Config::default()
    };
    let portal = Portal::new(
        FailingStore::new(store.clone()),
        FailingMailer::default(),
        config,
    );
    (portal, store)
}

fn assert_injected<E: std::error::Error + 'static>(error: &Error) {
    let Error::Store(source) = error else {
        panic!("a store failure must surface as Error::Store, got {error:?}");
    };
    assert!(
        matches!(
            source.downcast_ref::<FaultError<E>>(),
            Some(FaultError::Injected(_))
        ),
        "{source}"
    );
}

/// The registration flow, step by step: 0 first authentication, 1 registration (code mailed),
/// 2 confirmation. `Ok(())` when done; `Err((step, error))` at the first failure.
struct Registration {
    ticket: Option<kenpo_auth::SignupTicket>,
    pending: Option<kenpo_auth::PendingRegistration>,
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
            self.ticket = Some(block_on(portal.authenticate_insured(&identity()))?);
        }
        if self.pending.is_none() {
            let ticket = self.ticket.as_ref().unwrap();
            self.pending = Some(block_on(portal.begin_registration(ticket, &form()))?);
        }
        if !self.done {
            let code = portal.mailer().code_for(EMAIL).unwrap();
            let pending = self.pending.as_ref().unwrap();
            block_on(portal.confirm_registration(pending, &code))?;
            self.done = true;
        }
        Ok(())
    }
}

/// Invariants that hold after any fault: at most one account; an account exists exactly when
/// its challenge was consumed.
fn check_consistent<S: Inspect>(store: &S, flow: &Registration) {
    let accounts = store.accounts();
    assert!(accounts <= 1, "{accounts} accounts");
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
    assert!(calls >= 8, "only {calls} store calls");

    for mode in [Mode::Before, Mode::After] {
        for fail_at in 0..calls {
            let (portal, store) = portal::<S>();
            portal.store().arm(fail_at, mode);
            let mut flow = Registration::new();
            let error = flow
                .run(&portal)
                .expect_err("the armed call is on the path");
            assert_injected::<<S as Store>::Error>(&error);
            check_consistent(&store, &flow);

            // Retry after the fault: resume the flow where it stopped.
            portal.store().disarm();
            match flow.run(&portal) {
                Ok(()) => {}
                // The answer of the consuming call was lost after it took effect: the account
                // exists, and the challenge is rightly gone.
                Err(Error::ChallengeGone) if mode == Mode::After => {
                    assert_eq!(store.accounts(), 1);
                }
                Err(other) => panic!("retry after fault at call {fail_at} ({mode:?}): {other:?}"),
            }
            check_consistent(&store, &flow);
            assert_eq!(store.accounts(), 1, "fault at call {fail_at} ({mode:?})");
            let login = block_on(portal.login(USER_ID, PASSWORD)).unwrap();
            assert_eq!(login.user_id.as_str(), USER_ID);
        }
    }
}

fn reset_faults<S: Inspect>() {
    let run_reset = |portal: &TestPortal<S>,
                     ticket: &mut Option<kenpo_auth::PasswordResetTicket>|
     -> Result<(), Error> {
        if ticket.is_none() {
            *ticket = Some(block_on(portal.request_password_reset(USER_ID))?);
        }
        let code = portal.mailer().code_for(EMAIL).unwrap();
        block_on(portal.reset_password(ticket.as_ref().unwrap(), &code, NEW_PASSWORD))
    };
    let (clean, _) = portal::<S>();
    Registration::new().run(&clean).unwrap();
    clean.store().arm(usize::MAX, Mode::Before);
    run_reset(&clean, &mut None).unwrap();
    let calls = clean.store().calls();

    for mode in [Mode::Before, Mode::After] {
        for fail_at in 0..calls {
            let (portal, store) = portal::<S>();
            Registration::new().run(&portal).unwrap();
            portal.store().arm(fail_at, mode);
            let mut ticket = None;
            let error = run_reset(&portal, &mut ticket).expect_err("armed call on the path");
            assert_injected::<<S as Store>::Error>(&error);
            // The password is the old one or the new one, and the new one only together with
            // the consumption of the reset challenge.
            let changed = block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok();
            if let Some(ticket) = &ticket {
                let live = block_on(store.find_challenge(ticket.id()))
                    .unwrap()
                    .is_some();
                assert!(
                    !(changed && live),
                    "password changed but reset challenge still live (call {fail_at}, {mode:?})"
                );
            }
            portal.store().disarm();
            if !changed {
                match run_reset(&portal, &mut ticket) {
                    Ok(()) => {}
                    Err(other) => panic!("retry after fault at {fail_at} ({mode:?}): {other:?}"),
                }
            }
            assert!(block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok());
            assert!(matches!(
                block_on(portal.login(USER_ID, PASSWORD)),
                Err(Error::AuthenticationFailed)
            ));
        }
    }
}

#[test]
fn memory_store_faults_in_registration_leave_nothing_half_made() {
    registration_faults::<MemoryStore>();
}

#[test]
fn sqlite_store_faults_in_registration_leave_nothing_half_made() {
    registration_faults::<SqliteStore>();
}

#[test]
fn memory_store_faults_in_password_reset_leave_nothing_half_made() {
    reset_faults::<MemoryStore>();
}

#[test]
fn sqlite_store_faults_in_password_reset_leave_nothing_half_made() {
    reset_faults::<SqliteStore>();
}

fn mail_faults<S: Inspect>() {
    let (portal, store) = portal::<S>();
    let ticket = block_on(portal.authenticate_insured(&identity())).unwrap();

    // The registration mail fails: the code is withdrawn, nothing else changes.
    portal.mailer().fail_next();
    let error = block_on(portal.begin_registration(&ticket, &form())).unwrap_err();
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    assert_eq!(store.challenges(), 0, "an unmailed code stayed live");
    assert_eq!(store.accounts(), 0);

    // Retry: the signup ticket still works.
    let pending = block_on(portal.begin_registration(&ticket, &form())).unwrap();
    let first = portal.mailer().code_for(EMAIL).unwrap();

    // The resend mail fails: the old code is void (replaced), the new one never arrived.
    portal.mailer().fail_next();
    let error = block_on(portal.resend_code(&pending)).unwrap_err();
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    assert_eq!(store.accounts(), 0);
    assert_eq!(store.challenges(), 1);

    // Retry the resend: the newest code creates the account, once.
    block_on(portal.resend_code(&pending)).unwrap();
    let newest = portal.mailer().code_for(EMAIL).unwrap();
    if newest != first {
        assert!(matches!(
            block_on(portal.confirm_registration(&pending, &first)),
            Err(Error::CodeMismatch { .. })
        ));
    }
    block_on(portal.confirm_registration(&pending, &newest)).unwrap();
    assert_eq!(store.accounts(), 1);
    assert_eq!(store.challenges(), 0);
    assert!(matches!(
        block_on(portal.confirm_registration(&pending, &newest)),
        Err(Error::ChallengeGone)
    ));

    // A password-reset mail fails: withdrawn; the retry works.
    portal.mailer().fail_next();
    let error = block_on(portal.request_password_reset(USER_ID)).unwrap_err();
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    assert_eq!(store.challenges(), 0);
    let reset = block_on(portal.request_password_reset(USER_ID)).unwrap();
    let code = portal.mailer().code_for(EMAIL).unwrap();
    block_on(portal.reset_password(&reset, &code, NEW_PASSWORD)).unwrap();
    assert!(block_on(portal.login(USER_ID, NEW_PASSWORD)).is_ok());

    // The user-ID reminder fails: reported, nothing stored.
    portal.mailer().fail_next();
    let error = block_on(portal.remind_user_id(&identity(), EMAIL)).unwrap_err();
    assert!(matches!(error, Error::Mail(_)), "{error:?}");
    block_on(portal.remind_user_id(&identity(), EMAIL)).unwrap();
    assert_eq!(store.accounts(), 1);
}

#[test]
fn memory_store_mail_faults_withdraw_codes_and_retries_succeed() {
    mail_faults::<MemoryStore>();
}

#[test]
fn sqlite_store_mail_faults_withdraw_codes_and_retries_succeed() {
    mail_faults::<SqliteStore>();
}
