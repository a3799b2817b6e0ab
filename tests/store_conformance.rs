//! `MemoryStore` passes the store conformance suite, thread races included; and the suite
//! catches stores that break the contract (mutants of `MemoryStore`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use kenpo_auth::identity::{InsuredKey, InsuredRecord};
use kenpo_auth::otp::CodeMac;
use kenpo_auth::store::{
    Account, ChallengeRecord, RegistrationOutcome, ResendOutcome, ResendRules, SignupRecord,
};
use kenpo_auth::throttle::{AttemptGate, LimitPolicy};
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{MemoryStore, PasswordHash, Store, TermsVersion, testkit};

#[test]
fn memory_store_passes_the_conformance_suite() {
    let report = testkit::run(MemoryStore::new, MemoryStore::add_insured)
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(report.passed.contains(&"race_consume"));
    assert_eq!(report.passed.len(), 18);
}

/// A deliberate bug planted in an otherwise correct store.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bug {
    /// The attempt counter is read but never incremented.
    AttemptsNotCounted,
    /// Completion looks up the live MAC and uses it, so any code completes.
    MacIgnored,
    /// Resends ignore the cooldown.
    NoCooldown,
    /// Check-then-act: reports success from a stale read of the challenge.
    StaleConsume,
    /// The throttle never refuses.
    NoLock,
    /// Terms acceptance drops versions above 2, as a store with a narrow column might.
    TermsOverwritten,
}

struct Mutant {
    inner: MemoryStore,
    bug: Bug,
    stale_readers: StaleReaders,
}

/// The window of [`Bug::StaleConsume`]: callers that read a live challenge wait here until a
/// second caller has read the same one (or a lone caller gives up), so that the stale read
/// always overlaps another. A fixed 2 ms sleep was not enough: on a loaded machine the other
/// racers were scheduled after the first had finished, and the planted bug went unseen.
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
        key: &str,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Infallible> {
        let gate = self.inner.acquire_attempt(key, now, policy).await?;
        Ok(if self.bug == Bug::NoLock {
            AttemptGate::Allowed
        } else {
            gate
        })
    }

    async fn clear_attempts(&self, key: &str) -> Result<(), Infallible> {
        self.inner.clear_attempts(key).await
    }

    async fn insert_signup(&self, record: SignupRecord) -> Result<(), Infallible> {
        self.inner.insert_signup(record).await
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, Infallible> {
        self.inner.find_signup(id).await
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), Infallible> {
        self.inner.insert_challenge(record).await
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, Infallible> {
        self.inner.find_challenge(id).await
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

    async fn replace_code(
        &self,
        id: TicketId,
        code_mac: CodeMac,
        now: SystemTime,
        expires_at: SystemTime,
        rules: ResendRules,
    ) -> Result<ResendOutcome, Infallible> {
        let rules = if self.bug == Bug::NoCooldown {
            ResendRules {
                cooldown: Duration::ZERO,
                ..rules
            }
        } else {
            rules
        };
        self.inner
            .replace_code(id, code_mac, now, expires_at, rules)
            .await
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

    async fn find_account(&self, user_key: &str) -> Result<Option<Account>, Infallible> {
        self.inner.find_account(user_key).await
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, Infallible> {
        self.inner.find_account_by_insured(key).await
    }

    async fn update_password_hash(
        &self,
        user_key: &str,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        self.inner
            .update_password_hash(user_key, expected, new_hash)
            .await
    }

    async fn record_terms_acceptance(
        &self,
        user_key: &str,
        version: TermsVersion,
    ) -> Result<bool, Infallible> {
        let version = if self.bug == Bug::TermsOverwritten {
            version.min(TermsVersion::new(2))
        } else {
            version
        };
        self.inner.record_terms_acceptance(user_key, version).await
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, Infallible> {
        self.inner.purge_expired(now, grace).await
    }
}

fn failing_check(bug: Bug) -> &'static str {
    let failure = testkit::run(
        || Mutant {
            inner: MemoryStore::new(),
            bug,
            stale_readers: StaleReaders::default(),
        },
        |store, record| store.inner.add_insured(record),
    )
    .expect_err("the suite must catch the planted bug");
    failure.check
}

#[test]
fn the_suite_catches_an_attempt_counter_that_does_not_count() {
    assert_eq!(failing_check(Bug::AttemptsNotCounted), "code_attempts");
}

#[test]
fn the_suite_catches_a_completion_that_ignores_the_code() {
    assert_eq!(failing_check(Bug::MacIgnored), "resend");
}

#[test]
fn the_suite_catches_resends_without_cooldown() {
    assert_eq!(failing_check(Bug::NoCooldown), "resend");
}

#[test]
fn the_suite_catches_a_check_then_act_consumption_race() {
    assert_eq!(failing_check(Bug::StaleConsume), "race_consume");
}

#[test]
fn the_suite_catches_a_throttle_that_never_locks() {
    assert_eq!(failing_check(Bug::NoLock), "throttle");
}

#[test]
fn the_suite_catches_terms_acceptance_that_loses_a_version() {
    assert_eq!(failing_check(Bug::TermsOverwritten), "terms");
}
