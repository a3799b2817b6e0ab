//! Both stores pass the conformance suite, thread races included; and the suite catches stores
//! that break the contract: mutants of `MemoryStore`, each with one planted bug, each failing
//! the check named for it.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kenpo_auth::identity::{InsuredKey, InsuredRecord};
use kenpo_auth::sqlite::SqliteOptions;
use kenpo_auth::store::{
    Account, AttemptGate, ChallengeOwner, ChallengeRecord, CodeChallenge, CodeMac, CounterKey,
    LimitPolicy, Purpose, RegistrationOutcome, SignupRecord,
};
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{MemoryStore, PasswordHash, SqliteStore, Store, TermsVersion, UserKey, testkit};

use crate::support::TempDir;

/// Every check of `testkit::run`, in the order it runs them (src/testkit.rs).
const CHECKS: [&str; 23] = [
    "roster",
    "signups",
    "challenges",
    "owner_voids",
    "code_attempts",
    "update_code",
    "registration",
    "user_id_taken",
    "insured_has_account",
    "password_reset",
    "password_hash_cas",
    "terms",
    "counters",
    "counters_forget",
    "purge",
    "purge_keeps_budgets",
    "race_consume",
    "race_attempts",
    "race_user_ids",
    "race_lock",
    "race_ceiling",
    "race_reset",
    "race_owner",
];

fn assert_every_check_passed(report: &testkit::Report) {
    assert_eq!(report.passed.len(), CHECKS.len());
    assert_eq!(report.passed, CHECKS);
}

#[test]
fn memory_store_passes_the_conformance_suite() {
    let report = testkit::run(MemoryStore::new, MemoryStore::add_insured)
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert_every_check_passed(&report);
}

fn run_on_files(tag: &str, options: SqliteOptions) {
    let dir = TempDir::new(tag);
    let next = AtomicUsize::new(0);
    let make_store = || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        SqliteStore::open_with(dir.db(&format!("check{n}.db")), options).expect("open")
    };
    let report = testkit::run(make_store, |store, record| {
        store.add_insured(record).expect("add_insured");
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_every_check_passed(&report);
    assert_eq!(
        next.load(Ordering::Relaxed),
        CHECKS.len(),
        "one fresh file per check"
    );
}

#[test]
fn sqlite_store_passes_the_conformance_suite_with_a_pool_of_connections() {
    // Sixteen racing threads share eight connections to one file.
    run_on_files("conformance-pool", SqliteOptions::default().connections(8));
}

#[test]
fn sqlite_store_passes_the_conformance_suite_with_sixteen_connections() {
    // One connection per racing thread: every race is decided by SQLite's locking alone.
    run_on_files(
        "conformance-sixteen",
        SqliteOptions::default().connections(16),
    );
}

#[test]
fn sqlite_store_passes_the_conformance_suite_on_one_connection() {
    run_on_files(
        "conformance-single",
        SqliteOptions::default().connections(1),
    );
}

#[test]
fn in_memory_sqlite_store_passes_the_conformance_suite() {
    let report = testkit::run(
        || SqliteStore::open_in_memory().expect("open"),
        |store, record| store.add_insured(record).expect("add_insured"),
    )
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_every_check_passed(&report);
}

// ------------------------------------------------------------------------- the mutants

/// A deliberate bug planted in an otherwise correct store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bug {
    /// The attempt counter is read but never incremented.
    AttemptsNotCounted,
    /// Completion looks up the live MAC and uses it, so any code completes.
    MacIgnored,
    /// `update_code` applies the rule to a copy and never saves it.
    UpdateOnCopy,
    /// Check-then-act: reports success from a stale read of the challenge.
    StaleConsume,
    /// The counter never refuses.
    NoLock,
    /// Terms acceptance drops versions above 2, as a store with a narrow column might.
    TermsOverwritten,
    /// The purge deletes every counter, budgets that time must not reset included.
    PurgeAllCounters,
    /// A new challenge does not void the owner's older one: the older record stays in a side
    /// map that `find_challenge` still answers from.
    InsertKeepsOlder,
    /// A completed registration leaves its sign-up ticket usable.
    RegistrationKeepsTicket,
}

struct Mutant {
    inner: MemoryStore,
    bug: Bug,
    stale_readers: StaleReaders,
    /// Every challenge inserted, by owner and purpose (for `InsertKeepsOlder`).
    inserted: Mutex<HashMap<(ChallengeOwner, Purpose), Vec<ChallengeRecord>>>,
    /// The challenges a newer one voided, still answered (for `InsertKeepsOlder`).
    voided: Mutex<HashMap<TicketId, ChallengeRecord>>,
    /// Every counter key used (for `PurgeAllCounters`).
    counter_keys: Mutex<HashSet<CounterKey>>,
}

impl Mutant {
    fn new(bug: Bug) -> Self {
        Self {
            inner: MemoryStore::new(),
            bug,
            stale_readers: StaleReaders::default(),
            inserted: Mutex::default(),
            voided: Mutex::default(),
            counter_keys: Mutex::default(),
        }
    }
}

/// The window of [`Bug::StaleConsume`]: callers that read a live challenge wait here until a
/// second caller has read the same one (or a lone caller gives up), so that the stale read
/// always overlaps another. A fixed sleep is not enough: on a loaded machine the other racers
/// may be scheduled after the first has finished, and the planted bug would go unseen.
#[derive(Default)]
struct StaleReaders {
    seen: Mutex<Vec<TicketId>>,
    second_reader: Condvar,
}

impl StaleReaders {
    /// Long enough for any scheduler to run a second racer; paid in full only by lone callers.
    const PATIENCE: Duration = Duration::from_millis(200);

    fn wait_for_another_reader(&self, id: TicketId) {
        let deadline = Instant::now() + Self::PATIENCE;
        let mut seen = self.seen.lock().unwrap();
        seen.push(id);
        self.second_reader.notify_all();
        while seen.iter().filter(|&&other| other == id).count() < 2 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            seen = self.second_reader.wait_timeout(seen, left).unwrap().0;
        }
    }
}

impl Store for Mutant {
    type Error = Infallible;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, Infallible> {
        self.inner.find_insured(key).await
    }

    async fn acquire_attempt(
        &self,
        key: &CounterKey,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Infallible> {
        self.counter_keys.lock().unwrap().insert(key.clone());
        let gate = self.inner.acquire_attempt(key, now, policy).await?;
        Ok(if self.bug == Bug::NoLock {
            AttemptGate::Allowed
        } else {
            gate
        })
    }

    async fn clear_attempts(&self, key: &CounterKey) -> Result<(), Infallible> {
        self.inner.clear_attempts(key).await
    }

    async fn insert_signup(&self, record: SignupRecord) -> Result<(), Infallible> {
        self.inner.insert_signup(record).await
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, Infallible> {
        self.inner.find_signup(id).await
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), Infallible> {
        if self.bug == Bug::InsertKeepsOlder {
            let slot = (record.owner.clone(), record.code.purpose);
            let older = self
                .inserted
                .lock()
                .unwrap()
                .insert(slot, vec![record.clone()])
                .unwrap_or_default();
            for old in older {
                // The inner store voids it; the mutant keeps answering for it.
                if self.inner.find_challenge(old.code.id).await?.is_some() {
                    self.voided.lock().unwrap().insert(old.code.id, old);
                }
            }
        }
        self.inner.insert_challenge(record).await
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, Infallible> {
        let found = self.inner.find_challenge(id).await?;
        if found.is_none() && self.bug == Bug::InsertKeepsOlder {
            return Ok(self.voided.lock().unwrap().get(&id).cloned());
        }
        Ok(found)
    }

    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, Infallible> {
        if self.bug == Bug::AttemptsNotCounted {
            return self.inner.find_challenge(id).await;
        }
        self.inner.count_code_attempt(id).await
    }

    async fn update_code<F, R>(&self, id: TicketId, change: F) -> Result<Option<R>, Infallible>
    where
        F: FnOnce(&mut CodeChallenge) -> R + Send,
        R: Send,
    {
        if self.bug == Bug::UpdateOnCopy {
            let Some(mut copy) = self.inner.find_challenge(id).await? else {
                return Ok(None);
            };
            return Ok(Some(change(&mut copy.code)));
        }
        self.inner.update_code(id, change).await
    }

    async fn delete_challenge(&self, id: TicketId) -> Result<(), Infallible> {
        self.inner.delete_challenge(id).await
    }

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, Infallible> {
        match self.bug {
            Bug::MacIgnored => {
                let live = self
                    .inner
                    .find_challenge(id)
                    .await?
                    .map(|record| record.code.code_mac);
                let mac = live.unwrap_or_else(|| code_mac.clone());
                self.inner.complete_registration(id, &mac, now).await
            }
            Bug::StaleConsume => {
                let seen = self.inner.find_challenge(id).await?.is_some();
                if seen {
                    self.stale_readers.wait_for_another_reader(id);
                }
                let outcome = self.inner.complete_registration(id, code_mac, now).await?;
                let gone_now = self.inner.find_challenge(id).await?.is_none();
                Ok(
                    if seen && gone_now && outcome == RegistrationOutcome::ChallengeGone {
                        RegistrationOutcome::Created
                    } else {
                        outcome
                    },
                )
            }
            Bug::RegistrationKeepsTicket => {
                let owner = self.inner.find_challenge(id).await?.map(|r| r.owner);
                let signup = match owner {
                    Some(ChallengeOwner::Signup(ticket)) => self.inner.find_signup(ticket).await?,
                    _ => None,
                };
                let outcome = self.inner.complete_registration(id, code_mac, now).await?;
                if let (RegistrationOutcome::Created, Some(signup)) = (outcome, signup) {
                    self.inner.insert_signup(signup).await?;
                }
                Ok(outcome)
            }
            _ => self.inner.complete_registration(id, code_mac, now).await,
        }
    }

    async fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        self.inner
            .complete_password_reset(id, code_mac, new_hash)
            .await
    }

    async fn find_account(&self, user: &UserKey) -> Result<Option<Account>, Infallible> {
        self.inner.find_account(user).await
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, Infallible> {
        self.inner.find_account_by_insured(key).await
    }

    async fn update_password_hash(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        self.inner
            .update_password_hash(user, expected, new_hash)
            .await
    }

    async fn record_terms_acceptance(
        &self,
        user: &UserKey,
        version: TermsVersion,
    ) -> Result<bool, Infallible> {
        let version = if self.bug == Bug::TermsOverwritten {
            version.min(TermsVersion::new(2))
        } else {
            version
        };
        self.inner.record_terms_acceptance(user, version).await
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, Infallible> {
        let mut purged = self.inner.purge_expired(now, grace).await?;
        if self.bug == Bug::PurgeAllCounters {
            let keys: Vec<CounterKey> = self.counter_keys.lock().unwrap().drain().collect();
            for key in keys {
                self.inner.clear_attempts(&key).await?;
                purged += 1;
            }
        }
        Ok(purged)
    }
}

/// Runs the suite on a store with `bug` planted; the failure it reports.
fn failure(bug: Bug) -> testkit::Failure {
    let failure = testkit::run(
        || Mutant::new(bug),
        |store, record| store.inner.add_insured(record),
    )
    .expect_err("the suite must catch the planted bug");
    eprintln!("{bug:?}: {failure}");
    failure
}

#[test]
fn the_suite_catches_an_attempt_counter_that_does_not_count() {
    assert_eq!(failure(Bug::AttemptsNotCounted).check, "code_attempts");
}

/// `code_attempts` completes with the right MAC, so the first check to complete a challenge
/// with a MAC that is no longer the live one is `update_code` (the code a resend replaced).
#[test]
fn the_suite_catches_a_completion_that_ignores_the_code() {
    let failure = failure(Bug::MacIgnored);
    assert_eq!(failure.check, "update_code");
    assert!(
        failure.detail.contains("the replaced code still completed"),
        "{failure}"
    );
}

#[test]
fn the_suite_catches_an_update_that_is_never_saved() {
    assert_eq!(failure(Bug::UpdateOnCopy).check, "update_code");
}

#[test]
fn the_suite_catches_a_check_then_act_consumption_race() {
    assert_eq!(failure(Bug::StaleConsume).check, "race_consume");
}

#[test]
fn the_suite_catches_a_counter_that_never_refuses() {
    assert_eq!(failure(Bug::NoLock).check, "counters");
}

#[test]
fn the_suite_catches_terms_acceptance_that_loses_a_version() {
    assert_eq!(failure(Bug::TermsOverwritten).check, "terms");
}

#[test]
fn the_suite_catches_a_purge_that_deletes_every_counter() {
    assert_eq!(failure(Bug::PurgeAllCounters).check, "purge_keeps_budgets");
}

#[test]
fn the_suite_catches_an_insert_that_leaves_the_older_challenge_live() {
    assert_eq!(failure(Bug::InsertKeepsOlder).check, "owner_voids");
}

#[test]
fn the_suite_catches_a_registration_that_leaves_its_ticket_usable() {
    let failure = failure(Bug::RegistrationKeepsTicket);
    assert_eq!(failure.check, "registration");
    assert!(failure.detail.contains("sign-up ticket"), "{failure}");
}
