//! Attempt budgets, sans I/O: [`AttemptCounter`], [`LimitPolicy`].

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::clock::{later, until};
use crate::identity::InsuredKey;
use crate::ticket::TicketId;
use crate::user_id::UserKey;

/// When a run of attempts locks its key, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockSchedule {
    /// Lock after every this many consecutive attempts (at least 1). The attempt that reaches
    /// a multiple is still evaluated; the ones after it wait.
    pub every: u32,
    /// How long the first lock lasts.
    pub first: Duration,
    /// The longest a lock may last: each lock is twice the one before, up to this.
    pub max: Duration,
}

impl LockSchedule {
    /// How long the `n`-th lock (counting from 1) lasts: `first × 2^(n−1)`, capped at `max`
    /// (but never shorter than `first`). Saturates; never panics.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::store::LockSchedule;
    ///
    /// let s = LockSchedule { every: 10, first: Duration::from_secs(1800), max: Duration::from_secs(86_400) };
    /// assert_eq!(s.lock(1), Duration::from_secs(1800));
    /// assert_eq!(s.lock(3), Duration::from_secs(7200));
    /// assert_eq!(s.lock(40), Duration::from_secs(86_400));
    /// ```
    #[must_use]
    pub fn lock(&self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1);
        let factor = 2_u32.checked_pow(doublings).unwrap_or(u32::MAX);
        self.first
            .saturating_mul(factor)
            .min(self.max.max(self.first))
    }
}

/// The limits on one kind of attempt. See [`AttemptCounter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitPolicy {
    /// Locks that lengthen as attempts go on; `None` for no time locks.
    pub locks: Option<LockSchedule>,
    /// Consecutive attempts after which all are refused until a success; `None` for no ceiling.
    pub ceiling: Option<u32>,
    /// A counter untouched for this long after its last attempt (and lock) starts afresh;
    /// `None` for never.
    pub forget_after: Option<Duration>,
}

/// Attempt budgets: counting attempts, lengthening locks and ceilings, sans I/O.
///
/// One [`AttemptCounter`] per [`CounterKey`] (a user ID's logins, an account's reset codes, an
/// insured person's identity checks, …). The store loads it, calls
/// [`AttemptCounter::acquire`] and saves it back, all in one atomic step, *before* the attempt
/// is evaluated: parallel attempts each count, and the attempt that engages a lock engages it
/// for the ones after it. Only a success clears a counter ([`Store::clear_attempts`]); time
/// alone never does, unless the [`LimitPolicy`] says so with
/// [`forget_after`](LimitPolicy::forget_after).
///
/// A policy combines three limits:
///
/// - **locks** ([`LockSchedule`]): every `every` consecutive attempts, the key is locked; the
///   first lock lasts `first`, each later one twice as long as the one before, up to `max`.
///   The manual's login rule is the first step of this: ten failures lock the account for
///   thirty minutes, after which the right password works.
/// - **a ceiling**: after `ceiling` consecutive attempts, every attempt is refused until a
///   success clears the counter — however long the attacker waits (NIST SP 800-63B rev. 4
///   §3.2.2: at most 100 consecutive failed attempts on one account).
/// - **forgetting**: a counter left alone for `forget_after` after its last attempt and lock
///   counts as fresh again, so that the store may delete it ([`Store::purge_expired`]). Used
///   for throttles whose keys anyone can create (identity checks, reset mails), never for the
///   budgets that protect an account's secrets.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kenpo_auth::store::{AttemptCounter, AttemptGate, LimitPolicy, LockSchedule};
///
/// let minute = Duration::from_secs(60);
/// let policy = LimitPolicy {
///     locks: Some(LockSchedule { every: 3, first: minute, max: 60 * minute }),
///     ceiling: Some(7),
///     forget_after: None,
/// };
/// let mut counter = AttemptCounter::default();
/// let t0 = SystemTime::UNIX_EPOCH;
/// for _ in 0..3 {
///     assert_eq!(counter.acquire(t0, &policy), AttemptGate::Allowed);
/// }
/// assert_eq!(counter.acquire(t0, &policy), AttemptGate::Locked { retry_after: minute });
/// for _ in 0..3 {
///     assert_eq!(counter.acquire(t0 + minute, &policy), AttemptGate::Allowed);
/// }
/// // The second lock lasts twice as long; the attempt after it reaches the ceiling, which holds
/// // for good.
/// assert_eq!(counter.acquire(t0 + minute, &policy), AttemptGate::Locked { retry_after: 2 * minute });
/// assert_eq!(counter.acquire(t0 + 3 * minute, &policy), AttemptGate::Allowed);
/// assert_eq!(counter.acquire(t0 + 1000 * minute, &policy), AttemptGate::AtCeiling);
/// ```
///
/// [`Store::clear_attempts`]: crate::Store::clear_attempts
/// [`Store::purge_expired`]: crate::Store::purge_expired
///
/// The per-key state a store keeps. All fields are public so that a store can persist them;
/// only [`AttemptCounter::acquire`] changes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptCounter {
    /// Attempts counted since the last success (or since the counter was forgotten).
    pub attempts: u32,
    /// Refuse attempts until then.
    pub locked_until: Option<SystemTime>,
    /// The latest attempt counted.
    pub last_attempt: Option<SystemTime>,
    /// From then on the counter is as good as fresh and may be deleted; `None`: never (a
    /// counter that time does not reset).
    pub forget_at: Option<SystemTime>,
}

/// Whether an attempt may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptGate {
    /// Go ahead; the attempt has been counted.
    Allowed,
    /// Locked: try again after `retry_after`. Nothing was counted.
    Locked {
        /// Time left on the lock.
        retry_after: Duration,
    },
    /// The ceiling is reached: refused until a success clears the counter (a password reset,
    /// or the help desk). Nothing was counted.
    AtCeiling,
}

impl AttemptCounter {
    /// Counts one attempt at `now` under `policy`, or refuses it while locked or at the
    /// ceiling. At the ceiling the answer is [`AttemptGate::AtCeiling`] even while a lock runs
    /// too, since waiting for the lock would not help. Time arithmetic saturates; a clock that
    /// steps back only lengthens a lock.
    pub fn acquire(&mut self, now: SystemTime, policy: &LimitPolicy) -> AttemptGate {
        if self.is_forgotten(now) {
            *self = Self::default();
        }
        if policy
            .ceiling
            .is_some_and(|ceiling| self.attempts >= ceiling)
        {
            return AttemptGate::AtCeiling;
        }
        if let Some(locked_until) = self.locked_until {
            let retry_after = until(now, locked_until);
            if !retry_after.is_zero() {
                return AttemptGate::Locked { retry_after };
            }
        }
        self.attempts = self.attempts.saturating_add(1);
        let last = self.last_attempt.map_or(now, |last| last.max(now));
        self.last_attempt = Some(last);
        if let Some(schedule) = policy.locks {
            let every = schedule.every.max(1);
            if self.attempts % every == 0 {
                let lock = schedule.lock(self.attempts / every);
                self.locked_until = Some(later(now, lock));
            }
        }
        self.forget_at = policy.forget_after.map(|quiet| {
            let busy_until = self.locked_until.map_or(last, |locked| locked.max(last));
            later(busy_until, quiet)
        });
        AttemptGate::Allowed
    }

    /// What the next attempt would hear at `now` under `policy`, without counting anything
    /// (for the help desk's view of an account).
    #[must_use]
    pub fn peek(&self, now: SystemTime, policy: &LimitPolicy) -> AttemptGate {
        let mut copy = *self;
        copy.acquire(now, policy)
    }

    /// Whether the policy's [`forget_after`](LimitPolicy::forget_after) has run out at `now`.
    #[must_use]
    pub fn is_forgotten(&self, now: SystemTime) -> bool {
        self.forget_at.is_some_and(|at| at <= now)
    }

    /// Whether the counter limits nothing any more at `now`: a store may delete it without
    /// changing any answer. Counters with attempts and no [`forget_at`](Self::forget_at) are
    /// never idle.
    #[must_use]
    pub fn is_idle(&self, now: SystemTime) -> bool {
        let unlocked = self.locked_until.is_none_or(|locked| locked <= now);
        self.is_forgotten(now) || (self.attempts == 0 && unlocked)
    }
}

/// What a counter counts, and whose attempts. The store keeps one [`AttemptCounter`] per key.
///
/// Keys naming a user ID use its [`UserKey`] whether or not an account holds it, so that an
/// unknown user ID locks exactly like a real one and the lock reveals nothing.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CounterKey {
    /// Consecutive logins with this user ID (wrong passwords and unknown IDs alike).
    Login(UserKey),
    /// Password-reset code entries for this user ID, over all its challenges.
    ResetCode(UserKey),
    /// Password-reset requests (mails) for this user ID.
    ResetRequest(UserKey),
    /// Identity checks of this insured person (first authentication, reminders, taken user IDs).
    Identity(InsuredKey),
    /// Registration mails for this insured person.
    RegistrationMail(InsuredKey),
    /// Registration mails sent under one sign-up ticket.
    SignupMail(TicketId),
    /// E-mail-change codes mailed for this user ID.
    EmailChange(UserKey),
}

impl CounterKey {
    /// The budget's name in the audit trail: `login`, `reset_code`, `reset_request`,
    /// `identity`, `registration_mail`, `signup_mail`, `email_change`.
    #[must_use]
    pub const fn budget(&self) -> &'static str {
        match self {
            Self::Login(_) => "login",
            Self::ResetCode(_) => "reset_code",
            Self::ResetRequest(_) => "reset_request",
            Self::Identity(_) => "identity",
            Self::RegistrationMail(_) => "registration_mail",
            Self::SignupMail(_) => "signup_mail",
            Self::EmailChange(_) => "email_change",
        }
    }

    /// One string per key, for a store's key column: `login:ngk0001`,
    /// `reset-code:ngk0001`, `reset:ngk0001`, `identity:06139999/1234/567`,
    /// `registration-mail:06139999/1234/567`, `signup-mail:<32 hex digits>`,
    /// `email-change:ngk0001`. Stable within a
    /// major version.
    ///
    /// ```
    /// use kenpo_auth::{UserId, store::CounterKey};
    /// let key = CounterKey::Login(UserId::parse("NGK0001").unwrap().key());
    /// assert_eq!(key.storage_key(), "login:ngk0001");
    /// ```
    #[must_use]
    pub fn storage_key(&self) -> String {
        match self {
            Self::Login(user) => format!("login:{}", user.as_str()),
            Self::ResetCode(user) => format!("reset-code:{}", user.as_str()),
            Self::ResetRequest(user) => format!("reset:{}", user.as_str()),
            Self::Identity(insured) => format!("identity:{}", insured.storage_key()),
            Self::RegistrationMail(insured) => {
                format!("registration-mail:{}", insured.storage_key())
            }
            Self::SignupMail(ticket) => format!("signup-mail:{}", ticket.to_hex()),
            Self::EmailChange(user) => format!("email-change:{}", user.as_str()),
        }
    }
}

/// Shows the kind and user ID or insured key; a sign-up ticket's id is a bearer secret and is
/// redacted.
impl fmt::Debug for CounterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SignupMail(_) => f.write_str("SignupMail([REDACTED])"),
            other => write!(f, "CounterKey({})", other.storage_key()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn login() -> LimitPolicy {
        LimitPolicy {
            locks: Some(LockSchedule {
                every: 10,
                first: MIN * 30,
                max: MIN * 60 * 24,
            }),
            ceiling: Some(100),
            forget_after: None,
        }
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn tenth_attempt_is_evaluated_eleventh_waits_thirty_minutes() {
        let mut c = AttemptCounter::default();
        for _ in 0..10 {
            assert_eq!(c.acquire(t0(), &login()), AttemptGate::Allowed);
        }
        assert_eq!(
            c.acquire(t0(), &login()),
            AttemptGate::Locked {
                retry_after: MIN * 30
            }
        );
        assert_eq!(c.acquire(t0() + MIN * 30, &login()), AttemptGate::Allowed);
        assert_eq!(c.attempts, 11, "time never resets the count");
    }

    #[test]
    fn locks_double_up_to_the_cap() {
        let mut c = AttemptCounter::default();
        let mut now = t0();
        let mut locks = Vec::new();
        loop {
            match c.acquire(now, &login()) {
                AttemptGate::Allowed => {}
                AttemptGate::Locked { retry_after } => {
                    locks.push(retry_after.as_secs() / 60);
                    now += retry_after;
                }
                AttemptGate::AtCeiling => break,
            }
        }
        assert_eq!(c.attempts, 100);
        assert_eq!(locks, [30, 60, 120, 240, 480, 960, 1440, 1440, 1440]);
    }

    #[test]
    fn forgetting_starts_after_the_lock_ends() {
        let policy = LimitPolicy {
            locks: Some(LockSchedule {
                every: 5,
                first: MIN * 15,
                max: MIN * 60,
            }),
            ceiling: None,
            forget_after: Some(MIN * 60 * 24),
        };
        let mut c = AttemptCounter::default();
        for _ in 0..5 {
            c.acquire(t0(), &policy);
        }
        assert_eq!(c.forget_at, Some(t0() + MIN * 15 + MIN * 60 * 24));
        assert!(!c.is_idle(t0() + MIN * 60 * 24));
        assert!(c.is_idle(t0() + MIN * 15 + MIN * 60 * 24));
        c.acquire(t0() + MIN * 15 + MIN * 60 * 24, &policy);
        assert_eq!(c.attempts, 1, "a forgotten counter starts afresh");
    }

    #[test]
    fn extreme_durations_saturate() {
        let policy = LimitPolicy {
            locks: Some(LockSchedule {
                every: 1,
                first: Duration::MAX,
                max: Duration::MAX,
            }),
            ceiling: None,
            forget_after: Some(Duration::MAX),
        };
        let mut c = AttemptCounter::default();
        assert_eq!(c.acquire(t0(), &policy), AttemptGate::Allowed);
        assert!(matches!(
            c.acquire(t0(), &policy),
            AttemptGate::Locked { .. }
        ));
        assert!(!c.is_idle(t0()));
    }

    #[test]
    fn a_clock_stepping_back_does_not_unlock() {
        let mut c = AttemptCounter::default();
        for _ in 0..10 {
            c.acquire(t0(), &login());
        }
        let earlier = t0() - MIN * 60;
        assert_eq!(
            c.acquire(earlier, &login()),
            AttemptGate::Locked {
                retry_after: MIN * 90
            }
        );
    }
}
