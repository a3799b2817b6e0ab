//! The [`Store`] trait the host implements, the records it keeps, and the sans-I/O rules it
//! applies.
//!
//! A store is storage, not policy: every rule (when a counter locks, when a code may be
//! resent, when a code is dead) is a pure function in this crate's core, and the store's part
//! is to load a record, apply that function and save the result as one atomic step. The
//! contract is what a relational database gives with unique constraints and conditional
//! updates, so that PostgreSQL, MySQL, SQLite or Redis can implement it and many host
//! processes can share one store:
//!
//! - creating an account is atomic and fails distinctly for a taken user ID (compared through
//!   [`UserKey`], so case-insensitively) and for an insured person who already has an account
//!   ([`RegistrationOutcome`]);
//! - the attempt counter of a challenge increments atomically and returns the new count
//!   ([`Store::count_code_attempt`]) *before* the portal compares the code;
//! - consuming a challenge succeeds for exactly one caller, and only for the code that is live
//!   at that moment ([`Store::complete_registration`], [`Store::complete_password_reset`]);
//! - a new challenge voids the unconsumed challenges of the same [`ChallengeOwner`] and
//!   [`Purpose`] in the same atomic step ([`Store::insert_challenge`]): at most one live
//!   reset code per user ID, one pending registration per sign-up ticket;
//! - counters ([`Store::acquire_attempt`]) and live codes ([`Store::update_code`]) are read,
//!   changed by the given rule and written back as one step;
//! - [`Store::purge_expired`] never deletes a counter that still bounds an attempt
//!   ([`AttemptCounter::is_idle`]), whatever `grace` the host passes;
//! - no operation loses a concurrent update.
//!
//! [`MemoryStore`](crate::MemoryStore) is the reference implementation; the `testkit` feature
//! has a conformance suite that checks all of the above, including under threads, for any store.
//!
//! Every method returns `impl Future + Send`, so the trait needs no runtime and no
//! `async-trait`; an implementation may simply write `async fn`.

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) mod columns;

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{BirthDate, CoverageEnd, InsuredKey, InsuredRecord};
pub use crate::ticket::TicketId;
use crate::user_id::{UserId, UserKey};

pub use crate::clock::{earlier, horizon, later, until};
pub use crate::otp::{
    CodeChallenge, CodeFormatError, CodeMac, OtpCode, Purpose, ResendOutcome, ResendRules,
    TypedCode, Verdict,
};
pub use crate::roster::{
    DuplicateRow, ImportMode, RosterChanges, RosterEntry, RosterTally, RowChange,
};
pub use crate::throttle::{AttemptCounter, AttemptGate, CounterKey, LimitPolicy, LockSchedule};

/// A member's account (ユーザーID).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// The user ID, as the member registered it (logins compare it case-sensitively).
    pub user_id: UserId,
    /// The insured person the account belongs to (one account per insured person).
    pub insured_key: InsuredKey,
    /// The registered, verified mail address.
    pub email: EmailAddress,
    /// The argon2id PHC string.
    pub password_hash: PasswordHash,
    /// The newest terms-of-use version the member accepted, if any.
    pub terms_accepted: Option<TermsVersion>,
    /// When the account was created.
    pub created_at: SystemTime,
    /// When the member last logged in, if ever ([`Store::record_login`]).
    #[serde(default)]
    pub last_login_at: Option<SystemTime>,
    /// How many times the member's sessions were ended all at once, by the help desk or by
    /// the member from another device ([`Store::end_sessions`]). Every
    /// [`SessionStamp`](crate::SessionStamp) binds the count it was issued under, so raising
    /// it ends every session before it, whatever the clocks say.
    #[serde(default)]
    pub session_epoch: u64,
    /// The date of birth of the insured person who registered the account, as the roster
    /// gave it then: an insurer may later give the same 記号・番号 to someone else, and the
    /// account is not theirs ([`Account::is_held_by`]). `None` only for an account made before
    /// the stores kept it whose person was off the roster when the store was upgraded: such an
    /// account is held by no one.
    #[serde(default)]
    pub birth_date: Option<BirthDate>,
}

impl Account {
    /// Whether the roster's `record` is still the insured person who registered this account:
    /// the same insured key and the same date of birth. A record that fails it is someone to
    /// whom the insurer gave the number later (or a correction of the birth date): the account
    /// is then treated as its person's coverage ended, and the new holder's first
    /// authentication retires it.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use kenpo_auth::store::Account;
    /// use kenpo_auth::{BirthDate, EmailAddress, InsuredRecord, PasswordHash, UserId};
    ///
    /// let first = InsuredRecord::new("06139999", "12", "345", BirthDate::new(1960, 1, 2)?, "ケンポ タロウ")?;
    /// let account = Account {
    ///     user_id: UserId::parse("NGK000123")?,
    ///     insured_key: first.key().clone(),
    ///     email: EmailAddress::parse("taro@example.co.jp")?,
    ///     password_hash: PasswordHash::from_phc(String::new()),
    ///     terms_accepted: None,
    ///     created_at: SystemTime::UNIX_EPOCH,
    ///     last_login_at: None,
    ///     session_epoch: 0,
    ///     birth_date: Some(first.birth_date()),
    /// };
    /// assert!(account.is_held_by(&first));
    /// // The insurer gives the number 345 to someone else.
    /// let next = InsuredRecord::new("06139999", "12", "345", BirthDate::new(2001, 5, 6)?, "ヨコ ハナコ")?;
    /// assert!(!account.is_held_by(&next));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_held_by(&self, record: &InsuredRecord) -> bool {
        self.was_registered_by(record.key(), record.birth_date())
    }

    /// The rule behind [`is_held_by`](Self::is_held_by), for an identity the member typed.
    pub(crate) fn was_registered_by(&self, key: &InsuredKey, birth_date: BirthDate) -> bool {
        &self.insured_key == key && self.birth_date == Some(birth_date)
    }

    /// The largest [`Account::session_epoch`]: what a signed 64-bit SQL column holds.
    ///
    /// ```
    /// assert_eq!(kenpo_auth::store::Account::MAX_SESSION_EPOCH, i64::MAX as u64);
    /// ```
    pub const MAX_SESSION_EPOCH: u64 = i64::MAX.unsigned_abs();
}

/// The account a registration challenge creates once its code is entered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewAccount {
    /// The chosen user ID.
    pub user_id: UserId,
    /// The insured person who passed first authentication.
    pub insured_key: InsuredKey,
    /// Their date of birth as they proved it ([`Account::birth_date`]).
    pub birth_date: BirthDate,
    /// The address the code was mailed to.
    pub email: EmailAddress,
    /// The hash of the chosen password (the password itself is never stored).
    pub password_hash: PasswordHash,
}

/// A successful first authentication, named by a [`SignupTicket`](crate::SignupTicket).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignupRecord {
    /// The ticket's id.
    pub id: TicketId,
    /// Who authenticated.
    pub insured_key: InsuredKey,
    /// Their date of birth as they proved it, for the account they register
    /// ([`Account::birth_date`]).
    pub birth_date: BirthDate,
    /// When the ticket stops being usable.
    pub expires_at: SystemTime,
}

/// Whose challenge it is: a new challenge voids the unconsumed ones of the same owner and
/// purpose.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChallengeOwner {
    /// A registration started under this sign-up ticket.
    Signup(TicketId),
    /// A challenge for this user ID (a password reset), whether or not an account holds it.
    Account(UserKey),
}

impl ChallengeOwner {
    /// One string per owner, for a store's column: `signup:<32 hex digits>` or
    /// `account:<user key>`. Stable within a major version.
    ///
    /// ```
    /// use kenpo_auth::{UserId, store::ChallengeOwner};
    /// let owner = ChallengeOwner::Account(UserId::parse("NGK0001").unwrap().key());
    /// assert_eq!(owner.storage_key(), "account:ngk0001");
    /// assert_eq!(ChallengeOwner::from_storage_key("account:ngk0001"), Some(owner));
    /// ```
    #[must_use]
    pub fn storage_key(&self) -> String {
        match self {
            Self::Signup(ticket) => format!("signup:{}", ticket.to_hex()),
            Self::Account(user) => format!("account:{}", user.as_str()),
        }
    }

    /// The owner a [`storage_key`](Self::storage_key) names; `None` for any other string.
    #[must_use]
    pub fn from_storage_key(stored: &str) -> Option<Self> {
        if let Some(hex) = stored.strip_prefix("signup:") {
            return hex.parse().ok().map(Self::Signup);
        }
        let user = stored.strip_prefix("account:")?;
        UserKey::from_stored(user).ok().map(Self::Account)
    }
}

/// A sign-up ticket's id is a bearer secret: `Debug` redacts it.
impl fmt::Debug for ChallengeOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signup(_) => f.write_str("Signup([REDACTED])"),
            Self::Account(user) => write!(f, "Account({user})"),
        }
    }
}

/// What a challenge does once its code is entered.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ChallengePayload {
    /// Create this account.
    Registration(NewAccount),
    /// Set a new password for the owner's account.
    PasswordReset,
    /// A password reset that can never succeed: issued for a user ID with no account, so that
    /// the answer does not reveal which IDs exist. No code was mailed.
    DecoyReset,
    /// Replace the owner's e-mail address with this one, to which the code was mailed.
    EmailChange(EmailAddress),
}

/// A challenge: the code's record, whose it is, and what it unlocks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// The code's MAC, times, attempt and send counts.
    pub code: CodeChallenge,
    /// Whose challenge it is.
    pub owner: ChallengeOwner,
    /// What entering the code does.
    pub payload: ChallengePayload,
}

/// The answer to [`Store::complete_registration`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// The account exists, the challenge is consumed and its sign-up ticket is used up.
    Created,
    /// Another account holds the same user ID (case-insensitively). Nothing changed.
    UserIdTaken,
    /// The insured person already has an account. Nothing changed.
    InsuredHasAccount,
    /// No such challenge, it was consumed already, or its code changed (a resend). Nothing
    /// changed.
    ChallengeGone,
}

/// Storage for accounts, challenges and counters, implemented by the host.
///
/// See the [module documentation](self) for the atomicity every method must give.
pub trait Store: Send + Sync {
    /// The host's storage failure.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The roster entry (被保険者) for `key`, if the insurer has one.
    fn find_insured(
        &self,
        key: &InsuredKey,
    ) -> impl Future<Output = Result<Option<InsuredRecord>, Self::Error>> + Send;

    /// Atomically loads the counter stored under `key` (a fresh one if none), applies
    /// [`AttemptCounter::acquire`] with `policy` and saves it.
    fn acquire_attempt(
        &self,
        key: &CounterKey,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> impl Future<Output = Result<AttemptGate, Self::Error>> + Send;

    /// Forgets the counter under `key` (after a success).
    fn clear_attempts(
        &self,
        key: &CounterKey,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Saves a successful first authentication.
    fn insert_signup(
        &self,
        record: SignupRecord,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The first authentication named `id`, expired or not; `None` once used up.
    fn find_signup(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<Option<SignupRecord>, Self::Error>> + Send;

    /// Saves a new challenge, and in the same atomic step deletes every unconsumed challenge
    /// with the same owner and purpose. Ids are random; an existing id may be overwritten.
    fn insert_challenge(
        &self,
        record: ChallengeRecord,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The unconsumed challenge named `id`.
    fn find_challenge(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<Option<ChallengeRecord>, Self::Error>> + Send;

    /// Atomically adds one to the attempt count of the unconsumed challenge `id` and returns the
    /// record as it is after the increment; `None` if there is no such unconsumed challenge.
    fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<Option<ChallengeRecord>, Self::Error>> + Send;

    /// Atomically loads the code of the unconsumed challenge `id`, applies `change` (one of the
    /// rules of [`CodeChallenge`]: [`resend`](CodeChallenge::resend),
    /// [`void`](CodeChallenge::void)) through [`CodeChallenge::apply`] and saves it; returns
    /// what `change` returned, or `None` if there is no such challenge.
    fn update_code<F, R>(
        &self,
        id: TicketId,
        change: F,
    ) -> impl Future<Output = Result<Option<R>, Self::Error>> + Send
    where
        F: FnOnce(&mut CodeChallenge) -> R + Send,
        R: Send;

    /// Removes challenge `id` (a code that could not be mailed).
    fn delete_challenge(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// In one atomic step: if challenge `id` is an unconsumed registration whose live code has
    /// MAC `code_mac`, create its account (unless the user ID, case-insensitively, or the insured
    /// person is taken), mark the challenge consumed and delete its owner's sign-up record.
    /// Exactly one of many parallel callers can get [`RegistrationOutcome::Created`].
    fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> impl Future<Output = Result<RegistrationOutcome, Self::Error>> + Send;

    /// In one atomic step: if challenge `id` is an unconsumed [`ChallengePayload::PasswordReset`]
    /// whose live code has MAC `code_mac` and whose owner's account exists, set that account's
    /// password hash and delete every unconsumed challenge of that owner (this one included).
    /// `true` for exactly one of many parallel callers.
    fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The account whose user ID has key `user`.
    fn find_account(
        &self,
        user: &UserKey,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send;

    /// The account of the insured person `key`.
    fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> impl Future<Output = Result<Option<Account>, Self::Error>> + Send;

    /// Replaces the account's password hash if it is still `expected` (compare-and-set, so a
    /// rehash at login never undoes a concurrent password reset). `true` if replaced.
    fn update_password_hash(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Records that the account accepted terms `version`, keeping the newest version accepted.
    /// `false` if there is no such account.
    fn record_terms_acceptance(
        &self,
        user: &UserKey,
        version: TermsVersion,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The roster of one insurer, replaced as one atomic step: every entry is handed to a
    /// [`RosterTally`] (through [`RosterTally::admit`], then [`RosterTally::duplicate`] for a
    /// key seen earlier in this import, or [`RosterTally::seen`] with the record it writes,
    /// [`RosterEntry::record_over`] the record held before, and that record), and every person
    /// of `insurer_code` whom no entry named to [`RosterTally::removed`].
    /// Only if [`RosterTally::may_apply`] once every entry was seen does the store write the
    /// new roster of `insurer_code` — added, changed, removed — in the same transaction;
    /// otherwise nothing changes. Another insurer's people are never touched. Accounts stay
    /// whatever happens to their person. Returns [`RosterTally::finish`].
    ///
    /// `entries` is walked once, and may be read from a file as it goes, so a store should not
    /// collect it in memory: it may stage the entries in the database first (`SqliteStore`
    /// copies them into a temporary table before it takes the write lock; `PostgresStore`
    /// streams them into one inside its transaction) and decide from there.
    fn import_roster<I>(
        &self,
        insurer_code: &str,
        entries: I,
        mode: ImportMode,
    ) -> impl Future<Output = Result<RosterChanges, Self::Error>> + Send
    where
        I: Iterator<Item = RosterEntry> + Send;

    /// Sets when the coverage of insured person `key` ends (資格喪失日), or clears it (`None`).
    /// `false` if the person is not on the roster.
    fn set_coverage_end(
        &self,
        key: &InsuredKey,
        end: Option<CoverageEnd>,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// How many people the roster of `insurer_code` holds, covered or not.
    fn count_roster(
        &self,
        insurer_code: &str,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// A member's own password change: replaces the account's password hash if it is still
    /// `expected` (compare-and-set) and, in the same atomic step, deletes every challenge of
    /// [`ChallengeOwner::Account`] `user` — password resets and e-mail changes, which may have
    /// been begun by whoever had the old password. `true` if replaced.
    fn change_password(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// In one atomic step: if challenge `id` is an unconsumed
    /// [`ChallengePayload::EmailChange`] whose live code has MAC `code_mac` and whose owner's
    /// account exists, set that account's address to the challenge's, consume the challenge and
    /// delete the unconsumed password-reset challenges of [`ChallengeOwner::Account`] of that
    /// account (their codes went to the address being replaced). Returns the address it
    /// replaced, for exactly one of many parallel callers; `None` otherwise.
    fn complete_email_change(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
    ) -> impl Future<Output = Result<Option<EmailAddress>, Self::Error>> + Send;

    /// Records that the account logged in at `at` ([`Account::last_login_at`]). `false` if
    /// there is no such account.
    fn record_login(
        &self,
        user: &UserKey,
        at: SystemTime,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Adds one to the account's [`Account::session_epoch`] and, in the same atomic step,
    /// deletes every challenge of [`ChallengeOwner::Account`] `user` (what an ended session
    /// began must not outlive it); two parallel calls make two increments. Returns the new
    /// count; `None` if there is no such account, or if the count is at
    /// [`Account::MAX_SESSION_EPOCH`] (where it is left, so that the SQL stores' signed 64-bit
    /// column never overflows; no portal gets there).
    fn end_sessions(
        &self,
        user: &UserKey,
    ) -> impl Future<Output = Result<Option<u64>, Self::Error>> + Send;

    /// The counter under `key` as stored, without changing it (for the help desk).
    fn find_counter(
        &self,
        key: &CounterKey,
    ) -> impl Future<Output = Result<Option<AttemptCounter>, Self::Error>> + Send;

    /// Deletes the account of `user` and, in the same atomic step, every unconsumed challenge
    /// it owns. Counters stay (they still bound attempts on the user ID). `false` if there was
    /// no such account. The user ID may then be registered again.
    fn delete_account(
        &self,
        user: &UserKey,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Deletes sign-ups and challenges that expired at or before `now` minus `grace`, and
    /// counters that are [idle](AttemptCounter::is_idle) at `now` minus `grace` — never one
    /// that still bounds an attempt, whatever `grace` is. Returns how many records went. Time
    /// arithmetic saturates. Hosts call it from time to time.
    fn purge_expired(
        &self,
        now: SystemTime,
        grace: Duration,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;
}
