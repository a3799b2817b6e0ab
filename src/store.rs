//! The [`Store`] trait the host implements, and the records it keeps.
//!
//! The contract is what a relational database gives with unique constraints and conditional
//! updates, so that PostgreSQL, MySQL, SQLite or Redis can implement it and many host
//! processes can share one store:
//!
//! - creating an account is atomic and fails distinctly for a taken user ID (compared through
//!   [`UserId::unique_key`], so case-insensitively) and for an insured person who already has
//!   an account ([`RegistrationOutcome`]);
//! - the attempt counter of a challenge increments atomically and returns the new count
//!   ([`Store::count_code_attempt`]) *before* the portal compares the code;
//! - consuming a challenge succeeds for exactly one caller, and only for the code that is live
//!   at that moment ([`Store::complete_registration`], [`Store::complete_password_reset`]);
//! - throttle counters are read, updated and written back as one step
//!   ([`Store::acquire_attempt`]);
//! - no operation loses a concurrent update.
//!
//! [`MemoryStore`](crate::MemoryStore) is the reference implementation; the `testkit` feature
//! has a conformance suite that checks all of the above, including under threads, for any store.
//!
//! Every method returns `impl Future + Send`, so the trait needs no runtime and no
//! `async-trait`; an implementation may simply write `async fn`.

use std::future::Future;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{InsuredKey, InsuredRecord};
use crate::otp::{CodeChallenge, CodeMac};
use crate::throttle::{AttemptGate, LimitPolicy};
use crate::ticket::TicketId;
use crate::user_id::UserId;

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
}

/// The account a registration challenge creates once its code is entered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewAccount {
    /// The chosen user ID.
    pub user_id: UserId,
    /// The insured person who passed first authentication.
    pub insured_key: InsuredKey,
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
    /// When the ticket stops being usable.
    pub expires_at: SystemTime,
}

/// What a challenge does once its code is entered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ChallengePayload {
    /// Create this account.
    Registration(NewAccount),
    /// Set a new password for this account. `None` for a decoy challenge issued to a user ID
    /// that does not exist: it can never succeed.
    PasswordReset {
        /// The account's uniqueness key ([`UserId::unique_key`]), if it exists.
        user_key: Option<String>,
    },
}

/// A challenge: the code's record and what it unlocks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// The code's MAC, times, attempt and send counts.
    pub code: CodeChallenge,
    /// What entering the code does.
    pub payload: ChallengePayload,
}

/// Limits on resending a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResendRules {
    /// Shortest time between two sends.
    pub cooldown: Duration,
    /// Most sends per challenge, the first included.
    pub max_sends: u32,
}

/// The answer to [`Store::replace_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The new code replaced the old one; the send count went up by one.
    Replaced,
    /// The last send was too recent.
    TooSoon {
        /// Wait this long.
        retry_after: Duration,
    },
    /// The challenge has been sent the most codes it may.
    LimitReached,
    /// No such challenge, or it was consumed.
    Gone,
}

/// The answer to [`Store::complete_registration`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// The account exists and the challenge is consumed.
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
    /// [`AttemptCounter::acquire`](crate::throttle::AttemptCounter::acquire) and saves it.
    fn acquire_attempt(
        &self,
        key: &str,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> impl Future<Output = Result<AttemptGate, Self::Error>> + Send;

    /// Forgets the counter under `key` (after a success).
    fn clear_attempts(&self, key: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Saves a successful first authentication.
    fn insert_signup(
        &self,
        record: SignupRecord,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The first authentication named `id`, expired or not.
    fn find_signup(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<Option<SignupRecord>, Self::Error>> + Send;

    /// Saves a new challenge. Ids are random; an existing id may be overwritten.
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

    /// Atomically replaces the code of the unconsumed challenge `id` (its MAC, `issued_at = now`,
    /// `expires_at`) and adds one send, keeping the attempt count, if the last send was at least
    /// `rules.cooldown` ago and fewer than `rules.max_sends` codes were sent.
    fn replace_code(
        &self,
        id: TicketId,
        code_mac: CodeMac,
        now: SystemTime,
        expires_at: SystemTime,
        rules: ResendRules,
    ) -> impl Future<Output = Result<ResendOutcome, Self::Error>> + Send;

    /// Removes challenge `id` (a code that could not be mailed).
    fn delete_challenge(
        &self,
        id: TicketId,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// In one atomic step: if challenge `id` is an unconsumed registration whose live code has
    /// MAC `code_mac`, create its account (unless the user ID, case-insensitively, or the insured
    /// person is taken) and mark the challenge consumed. Exactly one of many parallel callers
    /// can get [`RegistrationOutcome::Created`].
    fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> impl Future<Output = Result<RegistrationOutcome, Self::Error>> + Send;

    /// In one atomic step: if challenge `id` is an unconsumed password reset for an existing
    /// account whose live code has MAC `code_mac`, set that account's password hash and mark the
    /// challenge consumed. `true` for exactly one of many parallel callers.
    fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// The account whose [`UserId::unique_key`] is `user_key`.
    fn find_account(
        &self,
        user_key: &str,
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
        user_key: &str,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Records that the account accepted terms `version`, keeping the newest version accepted.
    /// `false` if there is no such account.
    fn record_terms_acceptance(
        &self,
        user_key: &str,
        version: TermsVersion,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Deletes signups and challenges that expired before `now` minus `grace` and idle counters.
    /// Returns how many records went. Hosts call it from time to time.
    fn purge_expired(
        &self,
        now: SystemTime,
        grace: Duration,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;
}
