//! In-process reference implementations: [`MemoryStore`] and [`RecordingMailer`].
//!
//! Both are complete and thread-safe (one mutex each), and their clones share state, so a small
//! single-process host can use them as they are; data lives as long as the process.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use crate::clock::earlier;
use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{CoverageEnd, InsuredKey, InsuredRecord};
use crate::mail::{Mail, Mailer};
use crate::store::{
    Account, AttemptCounter, AttemptGate, ChallengeOwner, ChallengePayload, ChallengeRecord,
    CodeChallenge, CodeMac, CounterKey, ImportMode, LimitPolicy, Purpose, RegistrationOutcome,
    RosterChanges, RosterEntry, RosterTally, SignupRecord, Store,
};
use crate::ticket::TicketId;
use crate::user_id::UserKey;

#[derive(Default)]
struct State {
    roster: HashMap<InsuredKey, InsuredRecord>,
    accounts: HashMap<UserKey, Account>,
    /// Insured person → key of their account.
    accounts_by_insured: HashMap<InsuredKey, UserKey>,
    signups: HashMap<TicketId, SignupRecord>,
    /// Unconsumed challenges; consuming one removes it.
    challenges: HashMap<TicketId, ChallengeRecord>,
    /// The live challenge of each owner and purpose (at most one).
    live: HashMap<(ChallengeOwner, Purpose), TicketId>,
    counters: HashMap<CounterKey, AttemptCounter>,
}

impl State {
    fn remove_challenge(&mut self, id: TicketId) -> Option<ChallengeRecord> {
        let record = self.challenges.remove(&id)?;
        let slot = (record.owner.clone(), record.code.purpose);
        if self.live.get(&slot) == Some(&id) {
            self.live.remove(&slot);
        }
        Some(record)
    }

    /// Replaces `user`'s password hash if it is still `expected` (compare-and-set).
    fn replace_hash(&mut self, user: &UserKey, expected: &PasswordHash, new: PasswordHash) -> bool {
        match self.accounts.get_mut(user) {
            Some(account) if account.password_hash == *expected => {
                account.password_hash = new;
                true
            }
            _ => false,
        }
    }

    /// Removes the owner's unconsumed challenges: all of them, or those of one purpose.
    fn remove_owner(&mut self, owner: &ChallengeOwner, only: Option<Purpose>) {
        let ids: Vec<TicketId> = self
            .live
            .iter()
            .filter(|((live_owner, purpose), _)| {
                live_owner == owner && only.is_none_or(|only| only == *purpose)
            })
            .map(|(_, id)| *id)
            .collect();
        for id in ids {
            self.remove_challenge(id);
        }
    }
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
            .field("counters", &state.counters.len())
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

    /// How many unconsumed challenges exist (decoys included).
    #[must_use]
    pub fn challenge_count(&self) -> usize {
        self.lock().challenges.len()
    }

    /// How many attempt counters exist.
    #[must_use]
    pub fn counter_count(&self) -> usize {
        self.lock().counters.len()
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
        key: &CounterKey,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Infallible> {
        let mut state = self.lock();
        let mut counter = state.counters.get(key).copied().unwrap_or_default();
        let before = counter;
        let gate = counter.acquire(now, &policy);
        // Saved only if the rule changed it, as `SqliteStore` does: an attempt refused without
        // being counted leaves no counter behind.
        if counter != before {
            state.counters.insert(key.clone(), counter);
        }
        Ok(gate)
    }

    async fn clear_attempts(&self, key: &CounterKey) -> Result<(), Infallible> {
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
        let mut state = self.lock();
        let id = record.code.id;
        let slot = (record.owner.clone(), record.code.purpose);
        if let Some(previous) = state.live.get(&slot).copied() {
            state.remove_challenge(previous);
        }
        state.remove_challenge(id);
        state.live.insert(slot, id);
        state.challenges.insert(id, record);
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

    async fn update_code<F, R>(&self, id: TicketId, change: F) -> Result<Option<R>, Infallible>
    where
        F: FnOnce(&mut CodeChallenge) -> R + Send,
        R: Send,
    {
        let mut state = self.lock();
        Ok(state
            .challenges
            .get_mut(&id)
            .map(|record| record.code.apply(change)))
    }

    async fn delete_challenge(&self, id: TicketId) -> Result<(), Infallible> {
        self.lock().remove_challenge(id);
        Ok(())
    }

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, Infallible> {
        let mut state = self.lock();
        let (new_account, owner) = match state.challenges.get(&id) {
            Some(ChallengeRecord {
                code,
                owner,
                payload: ChallengePayload::Registration(new_account),
            }) if code.code_mac.ct_eq(code_mac) => (new_account.clone(), owner.clone()),
            _ => return Ok(RegistrationOutcome::ChallengeGone),
        };
        let user_key = new_account.user_id.key();
        if state.accounts.contains_key(&user_key) {
            return Ok(RegistrationOutcome::UserIdTaken);
        }
        if state
            .accounts_by_insured
            .contains_key(&new_account.insured_key)
        {
            return Ok(RegistrationOutcome::InsuredHasAccount);
        }
        state.remove_challenge(id);
        if let ChallengeOwner::Signup(ticket) = owner {
            state.signups.remove(&ticket);
        }
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
                last_login_at: None,
                session_epoch: 0,
                birth_date: Some(new_account.birth_date),
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
        let owner = match state.challenges.get(&id) {
            Some(ChallengeRecord {
                code,
                owner,
                payload: ChallengePayload::PasswordReset,
            }) if code.code_mac.ct_eq(code_mac) => owner.clone(),
            _ => return Ok(false),
        };
        let ChallengeOwner::Account(user_key) = &owner else {
            return Ok(false);
        };
        let Some(account) = state.accounts.get_mut(user_key) else {
            return Ok(false);
        };
        account.password_hash = new_hash;
        state.remove_owner(&owner, None);
        Ok(true)
    }

    async fn find_account(&self, user: &UserKey) -> Result<Option<Account>, Infallible> {
        Ok(self.lock().accounts.get(user).cloned())
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, Infallible> {
        let state = self.lock();
        Ok(state
            .accounts_by_insured
            .get(key)
            .and_then(|user| state.accounts.get(user))
            .cloned())
    }

    async fn update_password_hash(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        Ok(self.lock().replace_hash(user, expected, new_hash))
    }

    async fn record_terms_acceptance(
        &self,
        user: &UserKey,
        version: TermsVersion,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let Some(account) = state.accounts.get_mut(user) else {
            return Ok(false);
        };
        account.terms_accepted = account.terms_accepted.max(Some(version));
        Ok(true)
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
        // The rows are read without the lock (a file may take seconds), then compared with the
        // roster and swapped in under it, so that a login sees the old roster or the new one.
        let mut tally = RosterTally::new(insurer_code, mode);
        // Keyed in order: reports list people in key order, as every store does.
        let mut rows: BTreeMap<InsuredKey, RosterEntry> = BTreeMap::new();
        for entry in entries {
            let Some(record) = tally.admit(&entry) else {
                continue;
            };
            let key = record.key().clone();
            if let Some(first) = rows.get(&key) {
                tally.duplicate(entry.line, first.line, &key);
                continue;
            }
            rows.insert(key, entry);
        }
        let mut state = self.lock();
        let mut removed: Vec<InsuredKey> = state
            .roster
            .keys()
            .filter(|key| key.insurer_code() == insurer_code && !rows.contains_key(*key))
            .cloned()
            .collect();
        removed.sort();
        // Each row becomes, in place, the record it writes: the file is held once, not twice.
        let mut added = 0;
        for (key, entry) in &mut rows {
            let stored = state.roster.get(key);
            added += usize::from(stored.is_none());
            entry.record = entry.record_over(stored);
            if let Some(record) = &entry.record {
                tally.seen(record, stored);
            }
        }
        for key in &removed {
            tally.removed(key);
        }
        let apply = tally.may_apply();
        if apply {
            for key in &removed {
                state.roster.remove(key);
            }
            // Reserved first: `filter_map` tells `extend` nothing of its length, and a roster
            // grown step by step would hold two tables at once (measured: +240 MiB for a
            // million people added).
            state.roster.reserve(added);
            let writes = rows.into_iter();
            state
                .roster
                .extend(writes.filter_map(|(key, entry)| Some((key, entry.record?))));
        }
        Ok(tally.finish(apply))
    }

    async fn set_coverage_end(
        &self,
        key: &InsuredKey,
        end: Option<CoverageEnd>,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let Some(record) = state.roster.get_mut(key) else {
            return Ok(false);
        };
        *record = record.clone().with_coverage_end(end);
        Ok(true)
    }

    async fn count_roster(&self, insurer_code: &str) -> Result<u64, Infallible> {
        let state = self.lock();
        let count = state
            .roster
            .keys()
            .filter(|key| key.insurer_code() == insurer_code)
            .count();
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }

    async fn change_password(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, Infallible> {
        let mut state = self.lock();
        if !state.replace_hash(user, expected, new_hash) {
            return Ok(false);
        }
        state.remove_owner(&ChallengeOwner::Account(user.clone()), None);
        Ok(true)
    }

    async fn complete_email_change(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
    ) -> Result<Option<EmailAddress>, Infallible> {
        let mut state = self.lock();
        let (new_email, user_key) = match state.challenges.get(&id) {
            Some(ChallengeRecord {
                code,
                owner: ChallengeOwner::Account(user_key),
                payload: ChallengePayload::EmailChange(new_email),
            }) if code.code_mac.ct_eq(code_mac) => (new_email.clone(), user_key.clone()),
            _ => return Ok(None),
        };
        let Some(account) = state.accounts.get_mut(&user_key) else {
            return Ok(None);
        };
        let old = std::mem::replace(&mut account.email, new_email);
        state.remove_challenge(id);
        // Reset codes went to the old address: they die with it.
        let owner = ChallengeOwner::Account(user_key);
        state.remove_owner(&owner, Some(Purpose::PasswordReset));
        Ok(Some(old))
    }

    async fn record_login(&self, user: &UserKey, at: SystemTime) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let Some(account) = state.accounts.get_mut(user) else {
            return Ok(false);
        };
        account.last_login_at = Some(at);
        Ok(true)
    }

    async fn end_sessions(&self, user: &UserKey) -> Result<Option<u64>, Infallible> {
        let mut state = self.lock();
        let epoch = state.accounts.get_mut(user).and_then(|account| {
            if account.session_epoch >= Account::MAX_SESSION_EPOCH {
                return None;
            }
            account.session_epoch += 1;
            Some(account.session_epoch)
        });
        if epoch.is_some() {
            state.remove_owner(&ChallengeOwner::Account(user.clone()), None);
        }
        Ok(epoch)
    }

    async fn find_counter(&self, key: &CounterKey) -> Result<Option<AttemptCounter>, Infallible> {
        Ok(self.lock().counters.get(key).copied())
    }

    async fn delete_account(&self, user: &UserKey) -> Result<bool, Infallible> {
        let mut state = self.lock();
        let Some(account) = state.accounts.remove(user) else {
            return Ok(false);
        };
        state.accounts_by_insured.remove(&account.insured_key);
        state.remove_owner(&ChallengeOwner::Account(user.clone()), None);
        Ok(true)
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, Infallible> {
        let cutoff = earlier(now, grace);
        let mut state = self.lock();
        let before = state.signups.len() + state.challenges.len() + state.counters.len();
        state.signups.retain(|_, signup| signup.expires_at > cutoff);
        let expired: Vec<TicketId> = state
            .challenges
            .iter()
            .filter(|(_, record)| record.code.expires_at <= cutoff)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            state.remove_challenge(id);
        }
        state.counters.retain(|_, counter| !counter.is_idle(cutoff));
        let after = state.signups.len() + state.challenges.len() + state.counters.len();
        Ok(u64::try_from(before.saturating_sub(after)).unwrap_or(u64::MAX))
    }
}

/// A [`RecordingMailer`] told to fail: no mail server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the mail server is down (RecordingMailer::set_failing)")]
pub struct MailerDown;

/// A [`Mailer`] that keeps every mail in memory instead of sending it. Clones share the list.
///
/// For tests, demonstrations, and hosts that drain [`take`](Self::take) into their own outbox.
/// [`set_failing`](Self::set_failing) makes it refuse every mail, as a mail server that is down
/// would (lettre's stub transport offers the same).
///
/// ```
/// # pollster::block_on(async {
/// use kenpo_auth::{Mailer, RecordingMailer};
/// let mailer = RecordingMailer::new();
/// mailer.set_failing(true);
/// assert_eq!(mailer.sent().len(), 0);
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
    failing: Arc<AtomicBool>,
}

impl RecordingMailer {
    /// A mailer with an empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A mailer that refuses every mail until [`set_failing(false)`](Self::set_failing).
    #[must_use]
    pub fn failing() -> Self {
        let mailer = Self::default();
        mailer.set_failing(true);
        mailer
    }

    /// Makes this mailer (and its clones) refuse every mail with [`MailerDown`], or accept
    /// them again.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn list(&self) -> MutexGuard<'_, Vec<Mail>> {
        self.sent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every mail sent so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<Mail> {
        self.list().clone()
    }

    /// Removes and returns every mail sent so far.
    #[must_use]
    pub fn take(&self) -> Vec<Mail> {
        std::mem::take(&mut *self.list())
    }

    /// The most recent mail, if any.
    #[must_use]
    pub fn last(&self) -> Option<Mail> {
        self.list().last().cloned()
    }

    /// The code in the most recent mail, as the member would type it
    /// ([`Mail::code`]); `None` if there is no mail or it carries no code.
    #[must_use]
    pub fn last_code(&self) -> Option<String> {
        self.list().last().and_then(Mail::code)
    }
}

impl Mailer for RecordingMailer {
    type Error = MailerDown;

    async fn send(&self, mail: Mail) -> Result<(), MailerDown> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(MailerDown);
        }
        self.list().push(mail);
        Ok(())
    }
}
