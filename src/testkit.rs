//! A conformance suite any [`Store`] implementation can run against itself (feature `testkit`).
//!
//! **Outside SemVer**: checks are added as the contract is sharpened, in any release.
//!
//! [`run`] checks every point of the store contract (see [`crate::store`]) on fresh stores,
//! then races real threads against one store: 16 threads consuming one challenge (exactly one
//! wins), 16 threads counting attempts (the counter rises by exactly 16), 16 threads creating
//! `abcdef1`, `ABCDEF1`, … at once (exactly one account), 16 threads acquiring a throttle with a
//! limit of 10 (exactly 10 get through), 16 threads completing one password reset (exactly one
//! succeeds).
//!
//! ```
//! use kenpo_auth::MemoryStore;
//! use kenpo_auth::testkit;
//!
//! testkit::run(MemoryStore::new, |store, record| store.add_insured(record)).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, SystemTime};

use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{BirthDate, InsuredKey, InsuredRecord};
use crate::otp::{CodeChallenge, CodeMac, Purpose};
use crate::store::{
    ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, ResendOutcome, ResendRules,
    SignupRecord, Store,
};
use crate::throttle::{AttemptGate, LimitPolicy};
use crate::ticket::TicketId;
use crate::user_id::UserId;

/// Runs `future` to completion on the current thread, parking while it is pending.
///
/// A minimal executor for tests, examples and synchronous hosts: the portal's futures need no
/// particular runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        thread::park();
    }
}

/// A broken point of the contract: which check, and what went wrong.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What was expected and what happened.
    pub detail: String,
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "store contract broken in `{}`: {}",
            self.check, self.detail
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Failure {}

/// The names of the checks that passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every check that ran, in order.
    pub passed: Vec<&'static str>,
}

type Outcome = Result<(), Failure>;

macro_rules! ensure {
    ($check:expr, $cond:expr, $($detail:tt)+) => {
        if !$cond {
            return Err(Failure { check: $check, detail: format!($($detail)+) });
        }
    };
}

/// Turns a store error into a failure of `check`.
fn ok<T, E: std::error::Error>(check: &'static str, result: Result<T, E>) -> Result<T, Failure> {
    result.map_err(|error| Failure {
        check,
        detail: format!("store error: {error}"),
    })
}

/// Runs every check. `make_store` gives a fresh, empty store for each check; `add_insured` puts
/// a person on that store's roster (the roster is host data outside the trait).
///
/// # Errors
/// The first [`Failure`].
pub fn run<S, F, A>(make_store: F, add_insured: A) -> Result<Report, Failure>
where
    S: Store,
    F: Fn() -> S,
    A: Fn(&S, InsuredRecord),
{
    let mut report = Report::default();
    let mut step = |name: &'static str, outcome: Outcome| -> Outcome {
        outcome?;
        report.passed.push(name);
        Ok(())
    };
    let store = make_store();
    step("roster", block_on(roster(&store, &add_insured)))?;
    step("signups", block_on(signups(&make_store())))?;
    step("challenges", block_on(challenges(&make_store())))?;
    step("code_attempts", block_on(code_attempts(&make_store())))?;
    step("resend", block_on(resend(&make_store())))?;
    step("registration", block_on(registration(&make_store())))?;
    step("user_id_taken", block_on(user_id_taken(&make_store())))?;
    step(
        "insured_has_account",
        block_on(insured_has_account(&make_store())),
    )?;
    step("password_reset", block_on(password_reset(&make_store())))?;
    step(
        "password_hash_cas",
        block_on(password_hash_cas(&make_store())),
    )?;
    step("terms", block_on(terms(&make_store())))?;
    step("throttle", block_on(throttle(&make_store())))?;
    step("purge", block_on(purge(&make_store())))?;
    step("race_consume", race_consume(&make_store()))?;
    step("race_attempts", race_attempts(&make_store()))?;
    step("race_user_ids", race_user_ids(&make_store()))?;
    step("race_throttle", race_throttle(&make_store()))?;
    step("race_reset", race_reset(&make_store()))?;
    Ok(report)
}

const T0_SECS: u64 = 1_800_000_000;
const RACERS: usize = 16;

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(T0_SECS)
}

fn key(n: usize) -> InsuredKey {
    // Fixed ASCII digits: always valid.
    fixture(InsuredKey::new("06139999", "12", &format!("{}", 1000 + n)))
}

#[allow(clippy::panic)]
fn fixture<T, E: fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("testkit fixture failed to build: {error:?}"),
    }
}

fn user(id: &str) -> UserId {
    fixture(UserId::parse(id))
}

fn email() -> EmailAddress {
    fixture(EmailAddress::parse("member@example.co.jp"))
}

fn hash(tag: &str) -> PasswordHash {
    PasswordHash::from_phc(format!(
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$testkit{tag}"
    ))
}

fn mac(byte: u8) -> CodeMac {
    CodeMac::from_bytes([byte; 32])
}

fn code(id: TicketId, purpose: Purpose, mac_byte: u8) -> CodeChallenge {
    CodeChallenge {
        id,
        purpose,
        code_mac: mac(mac_byte),
        issued_at: t0(),
        expires_at: t0() + Duration::from_secs(600),
        attempts: 0,
        sends: 1,
    }
}

fn registration_challenge(user_id: &str, insured: usize, mac_byte: u8) -> ChallengeRecord {
    ChallengeRecord {
        code: code(TicketId::random(), Purpose::Registration, mac_byte),
        payload: ChallengePayload::Registration(NewAccount {
            user_id: user(user_id),
            insured_key: key(insured),
            email: email(),
            password_hash: hash("first"),
        }),
    }
}

async fn create_account<S: Store>(store: &S, user_id: &str, insured: usize) -> Result<(), Failure> {
    const CHECK: &str = "create_account (fixture)";
    let record = registration_challenge(user_id, insured, 1);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let outcome = ok(CHECK, store.complete_registration(id, &mac(1), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::Created,
        "expected Created, got {outcome:?}"
    );
    Ok(())
}

async fn roster<S: Store, A: Fn(&S, InsuredRecord)>(store: &S, add_insured: &A) -> Outcome {
    const CHECK: &str = "roster";
    let birth = fixture(BirthDate::new(1980, 4, 1));
    add_insured(
        store,
        fixture(InsuredRecord::new(
            "06139999",
            "12",
            "1001",
            birth,
            "ケンポ タロウ",
        )),
    );
    let found = ok(CHECK, store.find_insured(&key(1)).await)?;
    ensure!(
        CHECK,
        found.as_ref().map(InsuredRecord::key) == Some(&key(1)),
        "added person not found: {found:?}"
    );
    let missing = ok(CHECK, store.find_insured(&key(2)).await)?;
    ensure!(
        CHECK,
        missing.is_none(),
        "unknown person found: {missing:?}"
    );
    Ok(())
}

async fn signups<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "signups";
    let id = TicketId::random();
    let expires_at = t0() + Duration::from_secs(1800);
    ok(
        CHECK,
        store
            .insert_signup(SignupRecord {
                id,
                insured_key: key(1),
                expires_at,
            })
            .await,
    )?;
    let found = ok(CHECK, store.find_signup(id).await)?;
    ensure!(
        CHECK,
        found
            .as_ref()
            .is_some_and(|s| s.insured_key == key(1) && s.expires_at == expires_at),
        "signup did not round-trip: {found:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_signup(TicketId::random()).await)?.is_none(),
        "unknown signup found"
    );
    Ok(())
}

async fn challenges<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "challenges";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let found = ok(CHECK, store.find_challenge(id).await)?;
    ensure!(
        CHECK,
        found
            .as_ref()
            .is_some_and(|r| r.code.code_mac.ct_eq(&mac(7))
                && r.code.attempts == 0
                && r.code.sends == 1
                && r.code.expires_at == t0() + Duration::from_secs(600)),
        "challenge did not round-trip: {found:?}"
    );
    ok(CHECK, store.delete_challenge(id).await)?;
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(id).await)?.is_none(),
        "deleted challenge still found"
    );
    Ok(())
}

async fn code_attempts<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "code_attempts";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    for expected in 1..=3 {
        let after = ok(CHECK, store.count_code_attempt(id).await)?;
        let count = after.as_ref().map(|r| r.code.attempts);
        ensure!(
            CHECK,
            count == Some(expected),
            "expected count {expected}, got {count:?}"
        );
    }
    ensure!(
        CHECK,
        ok(CHECK, store.count_code_attempt(TicketId::random()).await)?.is_none(),
        "an unknown challenge was counted"
    );
    let outcome = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::Created,
        "expected Created, got {outcome:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.count_code_attempt(id).await)?.is_none(),
        "a consumed challenge was counted"
    );
    Ok(())
}

async fn resend<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "resend";
    let rules = ResendRules {
        cooldown: Duration::from_secs(60),
        max_sends: 3,
    };
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    ok(CHECK, store.count_code_attempt(id).await)?;
    let at = |secs: u64| t0() + Duration::from_secs(secs);
    let too_soon = ok(
        CHECK,
        store.replace_code(id, mac(8), at(59), at(659), rules).await,
    )?;
    ensure!(
        CHECK,
        too_soon
            == ResendOutcome::TooSoon {
                retry_after: Duration::from_secs(1)
            },
        "resend at 59 s: expected TooSoon(1 s), got {too_soon:?}"
    );
    let replaced = ok(
        CHECK,
        store.replace_code(id, mac(8), at(60), at(660), rules).await,
    )?;
    ensure!(
        CHECK,
        replaced == ResendOutcome::Replaced,
        "resend at 60 s: got {replaced:?}"
    );
    let after = ok(CHECK, store.find_challenge(id).await)?;
    ensure!(
        CHECK,
        after
            .as_ref()
            .is_some_and(|r| r.code.code_mac.ct_eq(&mac(8))
                && r.code.attempts == 1
                && r.code.sends == 2
                && r.code.issued_at == at(60)
                && r.code.expires_at == at(660)),
        "resend must replace the MAC and times, add a send and keep the attempts: {after:?}"
    );
    let old = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        old == RegistrationOutcome::ChallengeGone,
        "the voided code still completed: {old:?}"
    );
    let third = ok(
        CHECK,
        store
            .replace_code(id, mac(9), at(120), at(720), rules)
            .await,
    )?;
    ensure!(
        CHECK,
        third == ResendOutcome::Replaced,
        "third send: got {third:?}"
    );
    let fourth = ok(
        CHECK,
        store
            .replace_code(id, mac(10), at(600), at(1200), rules)
            .await,
    )?;
    ensure!(
        CHECK,
        fourth == ResendOutcome::LimitReached,
        "fourth send of three: got {fourth:?}"
    );
    let gone = ok(
        CHECK,
        store
            .replace_code(TicketId::random(), mac(1), at(600), at(1200), rules)
            .await,
    )?;
    ensure!(
        CHECK,
        gone == ResendOutcome::Gone,
        "unknown challenge: got {gone:?}"
    );
    Ok(())
}

async fn registration<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "registration";
    let record = registration_challenge("NGK0001", 1, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let wrong = ok(CHECK, store.complete_registration(id, &mac(6), t0()).await)?;
    ensure!(
        CHECK,
        wrong == RegistrationOutcome::ChallengeGone,
        "a wrong MAC completed: {wrong:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_account("ngk0001").await)?.is_none(),
        "account made by a wrong MAC"
    );
    let created = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        created == RegistrationOutcome::Created,
        "expected Created, got {created:?}"
    );
    let account = ok(CHECK, store.find_account("ngk0001").await)?;
    ensure!(
        CHECK,
        account
            .as_ref()
            .is_some_and(|a| a.user_id.as_str() == "NGK0001"
                && a.insured_key == key(1)
                && a.password_hash == hash("first")
                && a.terms_accepted.is_none()),
        "account not stored as registered: {account:?}"
    );
    let by_insured = ok(CHECK, store.find_account_by_insured(&key(1)).await)?;
    ensure!(
        CHECK,
        by_insured.is_some_and(|a| a.user_id.as_str() == "NGK0001"),
        "account not found by insured key"
    );
    let again = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        again == RegistrationOutcome::ChallengeGone,
        "a consumed challenge completed again: {again:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(id).await)?.is_none(),
        "consumed challenge still found"
    );
    Ok(())
}

async fn user_id_taken<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "user_id_taken";
    create_account(store, "abcdef1", 1).await?;
    let record = registration_challenge("ABCDEF1", 2, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let outcome = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::UserIdTaken,
        "ABCDEF1 beside abcdef1: got {outcome:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(id).await)?.is_some(),
        "a refused registration consumed its challenge"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_account_by_insured(&key(2)).await)?.is_none(),
        "half-made account"
    );
    Ok(())
}

async fn insured_has_account<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "insured_has_account";
    create_account(store, "member01", 1).await?;
    let record = registration_challenge("member02", 1, 7);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let outcome = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::InsuredHasAccount,
        "second account for one person: {outcome:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_account("member02").await)?.is_none(),
        "half-made account"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(id).await)?.is_some(),
        "refused registration consumed"
    );
    Ok(())
}

fn reset_challenge(user_key: Option<&str>, mac_byte: u8) -> ChallengeRecord {
    ChallengeRecord {
        code: code(TicketId::random(), Purpose::PasswordReset, mac_byte),
        payload: ChallengePayload::PasswordReset {
            user_key: user_key.map(str::to_owned),
        },
    }
}

async fn password_reset<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "password_reset";
    create_account(store, "Member01", 1).await?;
    let decoy = reset_challenge(None, 7);
    let decoy_id = decoy.code.id;
    ok(CHECK, store.insert_challenge(decoy).await)?;
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .complete_password_reset(decoy_id, &mac(7), hash("decoy"))
                .await
        )?,
        "a decoy reset succeeded"
    );
    let real = reset_challenge(Some("member01"), 7);
    let id = real.code.id;
    ok(CHECK, store.insert_challenge(real).await)?;
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .complete_password_reset(id, &mac(6), hash("wrong"))
                .await
        )?,
        "a wrong MAC reset the password"
    );
    ensure!(
        CHECK,
        ok(
            CHECK,
            store
                .complete_password_reset(id, &mac(7), hash("second"))
                .await
        )?,
        "the right MAC did not reset the password"
    );
    let account = ok(CHECK, store.find_account("member01").await)?;
    ensure!(
        CHECK,
        account.is_some_and(|a| a.password_hash == hash("second")),
        "new hash not stored"
    );
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .complete_password_reset(id, &mac(7), hash("third"))
                .await
        )?,
        "a consumed reset succeeded again"
    );
    Ok(())
}

async fn password_hash_cas<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "password_hash_cas";
    create_account(store, "member01", 1).await?;
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .update_password_hash("member01", &hash("stale"), hash("x"))
                .await
        )?,
        "replaced a hash that was not the expected one"
    );
    ensure!(
        CHECK,
        ok(
            CHECK,
            store
                .update_password_hash("member01", &hash("first"), hash("rehashed"))
                .await
        )?,
        "did not replace the expected hash"
    );
    let account = ok(CHECK, store.find_account("member01").await)?;
    ensure!(
        CHECK,
        account.is_some_and(|a| a.password_hash == hash("rehashed")),
        "hash not replaced"
    );
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .update_password_hash("nobody01", &hash("first"), hash("x"))
                .await
        )?,
        "updated an account that does not exist"
    );
    Ok(())
}

async fn terms<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "terms";
    create_account(store, "member01", 1).await?;
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .record_terms_acceptance("nobody01", TermsVersion::new(1))
                .await
        )?,
        "recorded consent for an account that does not exist"
    );
    ok(
        CHECK,
        store
            .record_terms_acceptance("member01", TermsVersion::new(3))
            .await,
    )?;
    ok(
        CHECK,
        store
            .record_terms_acceptance("member01", TermsVersion::new(2))
            .await,
    )?;
    let accepted = ok(CHECK, store.find_account("member01").await)?.and_then(|a| a.terms_accepted);
    ensure!(
        CHECK,
        accepted == Some(TermsVersion::new(3)),
        "the newest version must stay: {accepted:?}"
    );
    Ok(())
}

async fn throttle<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "throttle";
    let lockout = LimitPolicy {
        max_failures: 3,
        window: None,
        lockout: Duration::from_secs(1800),
    };
    for _ in 0..3 {
        let gate = ok(CHECK, store.acquire_attempt("login:a", t0(), lockout).await)?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "attempt within the limit refused: {gate:?}"
        );
    }
    let refused = ok(
        CHECK,
        store
            .acquire_attempt("login:a", t0() + Duration::from_secs(1), lockout)
            .await,
    )?;
    ensure!(
        CHECK,
        refused
            == AttemptGate::Refused {
                retry_after: Duration::from_secs(1799)
            },
        "attempt past the limit: {refused:?}"
    );
    let other = ok(CHECK, store.acquire_attempt("login:b", t0(), lockout).await)?;
    ensure!(
        CHECK,
        other == AttemptGate::Allowed,
        "counters must be per key: {other:?}"
    );
    let later = ok(
        CHECK,
        store
            .acquire_attempt("login:a", t0() + Duration::from_secs(1800), lockout)
            .await,
    )?;
    ensure!(
        CHECK,
        later == AttemptGate::Allowed,
        "lock must end after its time: {later:?}"
    );
    for _ in 0..2 {
        ok(CHECK, store.acquire_attempt("login:c", t0(), lockout).await)?;
    }
    ok(CHECK, store.clear_attempts("login:c").await)?;
    for _ in 0..3 {
        let gate = ok(CHECK, store.acquire_attempt("login:c", t0(), lockout).await)?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "clearing must reset the count: {gate:?}"
        );
    }
    let window = LimitPolicy {
        max_failures: 2,
        window: Some(Duration::from_secs(900)),
        lockout: Duration::from_secs(900),
    };
    ok(
        CHECK,
        store.acquire_attempt("identity:x", t0(), window).await,
    )?;
    let fresh = ok(
        CHECK,
        store
            .acquire_attempt("identity:x", t0() + Duration::from_secs(900), window)
            .await,
    )?;
    ensure!(
        CHECK,
        fresh == AttemptGate::Allowed,
        "window must forget old attempts: {fresh:?}"
    );
    Ok(())
}

async fn purge<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "purge";
    let live = registration_challenge("member01", 1, 7);
    let live_id = live.code.id;
    let mut dead = registration_challenge("member02", 2, 7);
    dead.code.expires_at = t0();
    let dead_id = dead.code.id;
    ok(CHECK, store.insert_challenge(live).await)?;
    ok(CHECK, store.insert_challenge(dead).await)?;
    let old_signup = TicketId::random();
    ok(
        CHECK,
        store
            .insert_signup(SignupRecord {
                id: old_signup,
                insured_key: key(1),
                expires_at: t0(),
            })
            .await,
    )?;
    let now = t0() + Duration::from_secs(60);
    let purged = ok(CHECK, store.purge_expired(now, Duration::ZERO).await)?;
    ensure!(
        CHECK,
        purged >= 2,
        "expected at least the expired challenge and signup to go, got {purged}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(live_id).await)?.is_some(),
        "a live challenge was purged"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(dead_id).await)?.is_none(),
        "an expired challenge stayed"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_signup(old_signup).await)?.is_none(),
        "an expired signup stayed"
    );
    Ok(())
}

/// Runs `work(i)` on `RACERS` threads released together; returns their results in order.
fn race<S: Store, T: Send>(store: &S, work: impl Fn(&S, usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(RACERS);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let barrier = &barrier;
                let work = &work;
                scope.spawn(move || {
                    barrier.wait();
                    work(store, i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

fn race_consume<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_consume";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let outcomes = race(store, |store, _| {
        block_on(store.complete_registration(id, &mac(7), t0()))
    });
    let mut created = 0;
    for outcome in outcomes {
        match ok(CHECK, outcome)? {
            RegistrationOutcome::Created => created += 1,
            RegistrationOutcome::ChallengeGone => {}
            other => ensure!(CHECK, false, "unexpected outcome {other:?}"),
        }
    }
    ensure!(
        CHECK,
        created == 1,
        "{created} of {RACERS} threads consumed one challenge"
    );
    Ok(())
}

fn race_attempts<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_attempts";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let counts = race(store, |store, _| block_on(store.count_code_attempt(id)));
    let mut seen = Vec::new();
    for count in counts {
        let count = ok(CHECK, count)?.map(|r| r.code.attempts);
        ensure!(
            CHECK,
            count.is_some(),
            "a racing attempt found no challenge"
        );
        seen.extend(count);
    }
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=16).collect();
    ensure!(
        CHECK,
        seen == expected,
        "each attempt must see its own count 1..=16, saw {seen:?}"
    );
    let after = ok(CHECK, block_on(store.find_challenge(id)))?.map(|r| r.code.attempts);
    ensure!(
        CHECK,
        after == Some(16),
        "16 parallel attempts left the counter at {after:?}"
    );
    Ok(())
}

/// `abcdef1` with the letters whose bits in `mask` are set upper-cased.
fn case_variant(mask: usize) -> String {
    "abcdef1"
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if mask >> i & 1 == 1 {
                ch.to_ascii_uppercase()
            } else {
                ch
            }
        })
        .collect()
}

fn race_user_ids<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_user_ids";
    let records: Vec<ChallengeRecord> = (0..RACERS)
        .map(|i| registration_challenge(&case_variant(i), 100 + i, 7))
        .collect();
    for record in &records {
        ok(CHECK, block_on(store.insert_challenge(record.clone())))?;
    }
    let outcomes = race(store, |store, i| {
        records
            .get(i)
            .map(|record| block_on(store.complete_registration(record.code.id, &mac(7), t0())))
    });
    let mut created = 0;
    for outcome in outcomes.into_iter().flatten() {
        match ok(CHECK, outcome)? {
            RegistrationOutcome::Created => created += 1,
            RegistrationOutcome::UserIdTaken => {}
            other => ensure!(CHECK, false, "unexpected outcome {other:?}"),
        }
    }
    ensure!(
        CHECK,
        created == 1,
        "{created} accounts for 16 case variants of one user ID"
    );
    let mut accounts = 0;
    for i in 0..RACERS {
        if ok(
            CHECK,
            block_on(store.find_account_by_insured(&key(100 + i))),
        )?
        .is_some()
        {
            accounts += 1;
        }
    }
    ensure!(CHECK, accounts == 1, "{accounts} accounts stored");
    Ok(())
}

fn race_throttle<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_throttle";
    let policy = LimitPolicy {
        max_failures: 10,
        window: None,
        lockout: Duration::from_secs(1800),
    };
    let gates = race(store, |store, _| {
        block_on(store.acquire_attempt("login:race", t0(), policy))
    });
    let mut allowed = 0;
    for gate in gates {
        if ok(CHECK, gate)? == AttemptGate::Allowed {
            allowed += 1;
        }
    }
    ensure!(
        CHECK,
        allowed == 10,
        "{allowed} of 16 parallel attempts passed a limit of 10"
    );
    Ok(())
}

fn race_reset<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_reset";
    block_on(create_account(store, "member01", 1))?;
    let record = reset_challenge(Some("member01"), 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let results = race(store, |store, i| {
        block_on(store.complete_password_reset(id, &mac(7), hash(&format!("racer{i}"))))
    });
    let mut winners = 0;
    for result in results {
        if ok(CHECK, result)? {
            winners += 1;
        }
    }
    ensure!(
        CHECK,
        winners == 1,
        "{winners} of 16 threads completed one reset"
    );
    Ok(())
}
