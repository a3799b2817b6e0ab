//! In-process reference implementations: [`MemoryStore`] and [`RecordingMailer`].
//!
//! Both are complete and thread-safe (one mutex each), and their clones share state, so a small
//! single-process host can use them as they are; data lives as long as the process.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::config::TermsVersion;
use crate::hashing::PasswordHash;
use crate::identity::{InsuredKey, InsuredRecord};
use crate::mail::{Mail, Mailer};
use crate::otp::CodeMac;
use crate::store::{
    Account, ChallengePayload, ChallengeRecord, RegistrationOutcome, ResendOutcome, ResendRules,
    SignupRecord, Store,
};
use crate::throttle::{AttemptCounter, AttemptGate, LimitPolicy};
use crate::ticket::TicketId;

#[derive(Default)]
struct State {
    roster: HashMap<InsuredKey, InsuredRecord>,
    /// Keyed by `UserId::unique_key`.
    accounts: HashMap<String, Account>,
    /// Insured person → `UserId::unique_key` of their account.
    accounts_by_insured: HashMap<InsuredKey, String>,
    signups: HashMap<TicketId, SignupRecord>,
    /// Unconsumed challenges; consuming one removes it.
    challenges: HashMap<TicketId, ChallengeRecord>,
    counters: HashMap<String, AttemptCounter>,
}

/// A complete [`Store`] in memory. Thread-safe; clones share the same data.
///
/// ```
/// use kenpo_auth::{BirthDate, InsuredRecord, MemoryStore};
///
/// let store = MemoryStore::new();
/// let birth = BirthDate::new(1980, 4, 1).unwrap();
/// store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap());
/// assert_eq!(store.clone().insured_count(), 1);
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryStore")
            .field("insured", &state.roster.len())
            .field("accounts", &state.accounts.len())
            .field("challenges", &state.challenges.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update below is applied whole before the guard drops, so a poisoned lock still
        // guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds (or replaces) a person on the insurer's roster.
    pub fn add_insured(&self, record: InsuredRecord) {
        self.lock().roster.insert(record.key().clone(), record);
    }

    /// How many people are on the roster.
    #[must_use]
    pub fn insured_count(&self) -> usize {
        self.lock().roster.len()
    }

    /// How many accounts exist.
    #[must_use]
    pub fn account_count(&self) -> usize {
        self.lock().accounts.len()
    }

    /// How many unconsumed challenges exist.
    #[must_use]
    pub fn challenge_count(&self) -> usize {
        self.lock().challenges.len()
    }

    /// Every account (a snapshot), for administration and tests.
    #[must_use]
    pub fn accounts(&self) -> Vec<Account> {
        self.lock().accounts.values().cloned().collect()
    }
}

impl Store for MemoryStore {
    type Error = Infallible;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, Infallible> {
        Ok(self.lock().roster.get(key).cloned())
    }

    async fn acquire_attempt(
        &self,
        key: &str,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Infallible> {
        let mut state = self.lock();
        let counter = state.counters.entry(key.to_owned()).or_default();
        Ok(counter.acquire(now, &policy))
    }

    async fn clear_attempts(&self, key: &str) -> Result<(), Infallible> {
        self.lock().counters.remove(key);
        Ok(())
    }

    async fn insert_signup(&self, record: SignupRecord) -> Result<(), Infallible> {
        self.lock().signups.insert(record.id, record);
        Ok(())
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, Infallible> {
        Ok(self.lock().signups.get(&id).cloned())
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), Infallible> {
        self.lock().challenges.insert(record.code.id, record);
        Ok(())
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, Infallible> {
        Ok(self.lock().challenges.get(&id).cloned())
    }

    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, Infallible> {
        let mut state = self.lock();
        Ok(state.challenges.get_mut(&id).map(|record| {
            record.code.attempts = record.code.attempts.saturating_add(1);
            record.clone()
        }))
    }

    async fn replace_code(
        &self,
        id: TicketId,
        code_mac: CodeMac,
        now: SystemTime,
        expires_at: SystemTime,
        rules: ResendRules,
    ) -> Result<ResendOutcome, Infallible> {
        let mut state = self.lock();
        let Some(record) = state.challenges.get_mut(&id) else {
            return Ok(ResendOutcome::Gone);
        };
        let code = &mut record.code;
        let since_last = now.duration_since(code.issued_at).unwrap_or(Duration::ZERO);
        if since_last < rules.cooldown {
            return Ok(ResendOutcome::TooSoon {
                retry_after: rules.cooldown.saturating_sub(since_last),
            });
        }
        if code.sends >= rules.max_sends {
            return Ok(ResendOutcome::LimitReached);
        }
        code.code_mac = code_mac;
        code.issued_at = now;
        code.expires_at = expires_at;
        code.sends += 1;
        Ok(ResendOutcome::Replaced)
    }

    async fn delete_challenge(&self, id: TicketId) -> Result<(), Infallible> {
        self.lock().challenges.remove(&id);
        Ok(())
    }

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, Infallible> {
        let mut state = self.lock();
        let new_account = match state.challenges.get(&id) {
            Some(ChallengeRecord {
                code,
                payload: ChallengePayload::Registration(new_account),
            }) if code.code_mac.ct_eq(code_mac) => new_account.clone(),
            _ => return Ok(RegistrationOutcome::ChallengeGone),
        };
        let user_key = new_account.user_id.unique_key().to_owned();
        if state.accounts.contains_key(&user_key) {
            return Ok(RegistrationOutcome::UserIdTaken);
        }
        if state
            .accounts_by_insured
            .contains_key(&new_account.insured_key)
        {
            return Ok(RegistrationOutcome::InsuredHasAccount);
        }
        state.challenges.remove(&id);
        state
            .accounts_by_insured
            .insert(new_account.insured_key.clone(), user_key.clone());
        state.accounts.insert(
            user_key,
            Account {
                user_id: new_account.user_id,
                insured_key: new_account.insured_key,
                email: new_account.email,
                password_hash: new_account.password_hash,
                terms_accepted: None,
                created_at: now,
            },
        );
        Ok(RegistrationOutcome::Created)
    }

    async fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let user_key = match state.challenges.get(&id) {
            Some(ChallengeRecord {
                code,
                payload:
                    ChallengePayload::PasswordReset {
                        user_key: Some(user_key),
                    },
            }) if code.code_mac.ct_eq(code_mac) => user_key.clone(),
            _ => return Ok(false),
        };
        let Some(account) = state.accounts.get_mut(&user_key) else {
            return Ok(false);
        };
        account.password_hash = new_hash;
        state.challenges.remove(&id);
        Ok(true)
    }

    async fn find_account(&self, user_key: &str) -> Result<Option<Account>, Infallible> {
        Ok(self.lock().accounts.get(user_key).cloned())
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, Infallible> {
        let state = self.lock();
        Ok(state
            .accounts_by_insured
            .get(key)
            .and_then(|user_key| state.accounts.get(user_key))
            .cloned())
    }

    async fn update_password_hash(
        &self,
        user_key: &str,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        match state.accounts.get_mut(user_key) {
            Some(account) if account.password_hash == *expected => {
                account.password_hash = new_hash;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn record_terms_acceptance(
        &self,
        user_key: &str,
        version: TermsVersion,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let Some(account) = state.accounts.get_mut(user_key) else {
            return Ok(false);
        };
        account.terms_accepted = account.terms_accepted.max(Some(version));
        Ok(true)
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, Infallible> {
        let mut state = self.lock();
        let before = state.signups.len() + state.challenges.len() + state.counters.len();
        state
            .signups
            .retain(|_, signup| signup.expires_at + grace > now);
        state
            .challenges
            .retain(|_, challenge| challenge.code.expires_at + grace > now);
        state
            .counters
            .retain(|_, counter| !counter_is_stale(counter, now, grace));
        let after = state.signups.len() + state.challenges.len() + state.counters.len();
        Ok(u64::try_from(before - after).unwrap_or(u64::MAX))
    }
}

/// A counter may go once it is unlocked and its last window began more than `grace` ago.
pub(crate) fn counter_is_stale(counter: &AttemptCounter, now: SystemTime, grace: Duration) -> bool {
    let unlocked = counter.locked_until.is_none_or(|until| until <= now);
    let old = counter
        .window_start
        .is_none_or(|start| start + grace <= now);
    unlocked && old
}

/// A [`Mailer`] that keeps every mail in memory instead of sending it. Clones share the list.
///
/// For tests, demonstrations, and hosts that drain [`take`](Self::take) into their own outbox.
#[derive(Clone, Debug, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
}

impl RecordingMailer {
    /// A mailer with an empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail sent so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<Mail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns every mail sent so far.
    #[must_use]
    pub fn take(&self) -> Vec<Mail> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The most recent mail, if any.
    #[must_use]
    pub fn last(&self) -> Option<Mail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .cloned()
    }
}

impl Mailer for RecordingMailer {
    type Error = Infallible;

    async fn send(&self, mail: Mail) -> Result<(), Infallible> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(mail);
        Ok(())
    }
}
