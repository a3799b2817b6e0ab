//! Both stores pass the conformance suite, thread races included; and the suite catches stores
//! that break the contract: mutants of `MemoryStore`, each with one planted bug, each failing
//! the check named for it.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kenpo_auth::sqlite::SqliteOptions;
use kenpo_auth::store::TicketId;
use kenpo_auth::store::{
    AttemptGate, ChallengeOwner, ChallengeRecord, CodeChallenge, CodeMac, CounterKey, ImportMode,
    LimitPolicy, Purpose, RegistrationOutcome, RosterChanges, RosterEntry,
};
use kenpo_auth::{InsuredKey, InsuredRecord};
use kenpo_auth::{MemoryStore, PasswordHash, SqliteStore, Store, TermsVersion, UserKey, testkit};

use crate::support::{CHECKS, TempDir, assert_every_check_passed, pass_on, to_inner};

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
    /// A roster import drops refused rows and applies the rest.
    ImportSkipsBadRows,
    /// A roster import adds and updates but never removes anyone.
    ImportNeverRemoves,
    /// A member's password change leaves the outstanding reset codes live.
    ChangeKeepsResetCodes,
    /// Deleting an account leaves its challenges live.
    DeleteKeepsChallenges,
    /// A roster import first removes and changes, then adds in a second step: readers between
    /// the two see a roster that is neither the old one nor the new one.
    ImportInTwoSteps,
    /// Ending an account's sessions answers the next epoch and stores nothing.
    EndSessionsForgotten,
    /// Ending an account's sessions leaves its codes live (a pending e-mail change survives).
    EndSessionsKeepsChallenges,
    /// A password change voids the reset codes only, as the contract once said.
    ChangeKeepsEmailChanges,
    /// A roster import decides by its rows alone, whatever it removes.
    ImportRemovesAnyNumber,
    /// A roster import writes each row's record as it is, even from a file that says nothing
    /// of when coverage ends.
    ImportClearsKeptEnds,
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
    /// Every challenge inserted (for `DeleteKeepsChallenges`).
    all_inserted: Mutex<Vec<ChallengeRecord>>,
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
            all_inserted: Mutex::default(),
        }
    }

    /// Runs `step`, then puts back the challenges of account `user` (of `purpose`, or all)
    /// that were live before it, as they were.
    async fn keeping<T>(
        &self,
        user: &UserKey,
        purpose: Option<Purpose>,
        step: impl Future<Output = Result<T, Infallible>>,
    ) -> Result<T, Infallible> {
        let mut live = Vec::new();
        for record in self.inserted_for(user) {
            let wanted = purpose.is_none_or(|purpose| record.code.purpose == purpose);
            if wanted && self.inner.find_challenge(record.code.id).await?.is_some() {
                live.push(record);
            }
        }
        let answer = step.await?;
        for record in live {
            self.inner.insert_challenge(record).await?;
        }
        Ok(answer)
    }

    /// The challenges ever inserted for account `user`.
    fn inserted_for(&self, user: &UserKey) -> Vec<ChallengeRecord> {
        let owner = ChallengeOwner::Account(user.clone());
        let all = self.all_inserted.lock().unwrap();
        all.iter()
            .filter(|record| record.owner == owner)
            .cloned()
            .collect()
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

    // The methods no planted bug touches.
    pass_on!(to_inner:
        find_insured, clear_attempts, insert_signup, find_signup, delete_challenge,
        complete_password_reset, find_account, find_account_by_insured, update_password_hash,
        set_coverage_end, count_roster, record_login, find_counter, complete_email_change,
    );

    async fn end_sessions(&self, user: &UserKey) -> Result<Option<u64>, Infallible> {
        match self.bug {
            Bug::EndSessionsForgotten => {
                let account = self.inner.find_account(user).await?;
                Ok(account.map(|account| account.session_epoch + 1))
            }
            Bug::EndSessionsKeepsChallenges => {
                let ended = self.inner.end_sessions(user);
                self.keeping(user, None, ended).await
            }
            _ => self.inner.end_sessions(user).await,
        }
    }

    async fn import_roster<I>(
        &self,
        insurer_code: &str,
        entries: I,
        mode: ImportMode,
    ) -> Result<RosterChanges, Infallible>
    where
        I: Iterator<Item = RosterEntry> + Send,
    {
        match self.bug {
            // Applies the good rows and drops the refused ones, as a careless loader does.
            Bug::ImportRemovesAnyNumber => {
                let mode = match mode {
                    ImportMode::Apply => ImportMode::ApplyRemovingMany,
                    other => other,
                };
                self.inner.import_roster(insurer_code, entries, mode).await
            }
            Bug::ImportClearsKeptEnds => {
                let entries = entries.map(|entry| RosterEntry::new(entry.line, entry.record));
                self.inner.import_roster(insurer_code, entries, mode).await
            }
            Bug::ImportSkipsBadRows => {
                let good: Vec<RosterEntry> =
                    entries.filter(|entry| entry.record.is_some()).collect();
                let mut report = self
                    .inner
                    .import_roster(insurer_code, good.into_iter(), mode)
                    .await?;
                report.refused = 0;
                Ok(report)
            }
            // Adds and updates, never removes: the roster only grows.
            Bug::ImportNeverRemoves => {
                let entries: Vec<RosterEntry> = entries.collect();
                let mut kept: Vec<RosterEntry> = Vec::new();
                for n in 0..10_000 {
                    let Ok(key) = InsuredKey::new(insurer_code, "12", &format!("{}", 1000 + n))
                    else {
                        continue;
                    };
                    let named = entries
                        .iter()
                        .any(|entry| entry.record.as_ref().map(InsuredRecord::key) == Some(&key));
                    if !named && let Some(record) = self.inner.find_insured(&key).await? {
                        kept.push(RosterEntry::new(0, Some(record)));
                    }
                }
                let all = entries.into_iter().chain(kept);
                self.inner.import_roster(insurer_code, all, mode).await
            }
            Bug::ImportInTwoSteps if mode != ImportMode::DryRun => {
                let entries: Vec<RosterEntry> = entries.collect();
                // The report is right; only the swap is not atomic.
                let mut report = self
                    .inner
                    .import_roster(
                        insurer_code,
                        entries.clone().into_iter(),
                        ImportMode::DryRun,
                    )
                    .await?;
                report.applied = report.is_clean()
                    && (mode == ImportMode::ApplyRemovingMany || !report.removes_too_many());
                if !report.applied {
                    return Ok(report);
                }
                let mode = ImportMode::ApplyRemovingMany;
                let mut known = Vec::new();
                for entry in &entries {
                    if let Some(record) = &entry.record
                        && self.inner.find_insured(record.key()).await?.is_some()
                    {
                        known.push(entry.clone());
                    }
                }
                self.inner
                    .import_roster(insurer_code, known.into_iter(), mode)
                    .await?;
                std::thread::sleep(Duration::from_millis(20));
                self.inner
                    .import_roster(insurer_code, entries.into_iter(), mode)
                    .await?;
                Ok(report)
            }
            _ => self.inner.import_roster(insurer_code, entries, mode).await,
        }
    }

    async fn change_password(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        let changed = self.inner.change_password(user, expected, new_hash.clone());
        match self.bug {
            Bug::ChangeKeepsResetCodes => {
                self.inner
                    .update_password_hash(user, expected, new_hash)
                    .await
            }
            Bug::ChangeKeepsEmailChanges => {
                let kept = Some(Purpose::EmailChange);
                self.keeping(user, kept, changed).await
            }
            _ => changed.await,
        }
    }

    async fn delete_account(&self, user: &UserKey) -> Result<bool, Infallible> {
        let deleted = self.inner.delete_account(user);
        if self.bug == Bug::DeleteKeepsChallenges {
            return self.keeping(user, None, deleted).await;
        }
        deleted.await
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

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), Infallible> {
        self.all_inserted.lock().unwrap().push(record.clone());
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

/// One test per planted bug: the suite fails in `$check`, with a detail that contains
/// `$detail` where one is given.
macro_rules! caught {
    ($(
        $(#[$doc:meta])* $test:ident: $bug:ident in $check:literal $(saying $detail:literal)?;
    )*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $test() {
                let failure = failure(Bug::$bug);
                assert_eq!(failure.check, $check);
                $(assert!(failure.detail.contains($detail), "{failure}");)?
            }
        )*
    };
}

caught! {
    the_suite_catches_an_attempt_counter_that_does_not_count: AttemptsNotCounted in "code_attempts";
    /// `code_attempts` completes with the right MAC, so the first check to complete a challenge
    /// with a MAC that is no longer the live one is `update_code` (the code a resend replaced).
    the_suite_catches_a_completion_that_ignores_the_code:
        MacIgnored in "update_code" saying "the replaced code still completed";
    the_suite_catches_an_update_that_is_never_saved: UpdateOnCopy in "update_code";
    the_suite_catches_a_check_then_act_consumption_race: StaleConsume in "race_consume";
    the_suite_catches_a_counter_that_never_refuses: NoLock in "counters";
    the_suite_catches_terms_acceptance_that_loses_a_version: TermsOverwritten in "terms";
    the_suite_catches_a_purge_that_deletes_every_counter: PurgeAllCounters in "purge_keeps_budgets";
    the_suite_catches_an_insert_that_leaves_the_older_challenge_live:
        InsertKeepsOlder in "owner_voids";
    the_suite_catches_a_registration_that_leaves_its_ticket_usable:
        RegistrationKeepsTicket in "registration" saying "sign-up ticket";
    the_suite_catches_an_import_that_applies_the_good_rows_of_a_bad_file:
        ImportSkipsBadRows in "roster_refused";
    the_suite_catches_an_import_that_never_removes_anyone: ImportNeverRemoves in "roster_import";
    the_suite_catches_an_import_that_removes_any_number:
        ImportRemovesAnyNumber in "roster_removals" saying "was applied";
    the_suite_catches_an_import_that_clears_the_ends_it_should_keep:
        ImportClearsKeptEnds in "roster_keeps_coverage_ends" saying "did not keep";
    the_suite_catches_a_password_change_that_leaves_reset_codes_live:
        ChangeKeepsResetCodes in "change_password" saying "outlived";
    the_suite_catches_a_deletion_that_leaves_codes_live:
        DeleteKeepsChallenges in "delete_account" saying "still live";
    the_suite_catches_an_import_that_swaps_the_roster_in_two_steps:
        ImportInTwoSteps in "race_import";
    the_suite_catches_an_end_of_sessions_that_is_not_stored:
        EndSessionsForgotten in "end_sessions" saying "read back";
    the_suite_catches_an_end_of_sessions_that_leaves_codes_live:
        EndSessionsKeepsChallenges in "end_sessions" saying "outlived the end of sessions";
    the_suite_catches_a_password_change_that_leaves_an_email_change_live:
        ChangeKeepsEmailChanges in "change_password" saying "e-mail change outlived";
}
