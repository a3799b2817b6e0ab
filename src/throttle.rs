//! Counting failures and locking: the arithmetic of lockout and throttling, sans I/O.
//!
//! One [`AttemptCounter`] per key (a user ID's login, an insured person's identity checks, an
//! account's reset mails). The store loads it, calls [`AttemptCounter::acquire`] and saves it
//! back, all in one atomic step, *before* the attempt is evaluated: parallel attempts each
//! count, and the attempt that reaches the limit engages the lock for the ones after it.
//! A success clears the counter.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use kenpo_auth::throttle::{AttemptCounter, AttemptGate, LimitPolicy};
//!
//! let policy = LimitPolicy { max_failures: 3, window: None, lockout: Duration::from_secs(60) };
//! let mut counter = AttemptCounter::default();
//! let now = SystemTime::UNIX_EPOCH;
//! for _ in 0..3 {
//!     assert_eq!(counter.acquire(now, &policy), AttemptGate::Allowed);
//! }
//! assert_eq!(counter.acquire(now, &policy), AttemptGate::Refused { retry_after: Duration::from_secs(60) });
//! assert_eq!(counter.acquire(now + Duration::from_secs(60), &policy), AttemptGate::Allowed);
//! ```

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// How many attempts a key may make, and what happens after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitPolicy {
    /// Attempts allowed before the lock engages (at least 1). The attempt that reaches this
    /// number is still evaluated; the ones after it are refused.
    pub max_failures: u32,
    /// `Some(w)`: attempts are counted within a window of `w` from the first one (throttling).
    /// `None`: consecutive attempts count until a success clears them (lockout).
    pub window: Option<Duration>,
    /// How long the lock lasts, from the attempt that engaged it.
    pub lockout: Duration,
}

/// The per-key state a store keeps. All fields are public so a store can persist them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptCounter {
    /// Attempts counted since the last success, lock or window start.
    pub failures: u32,
    /// When the current window began (the first counted attempt in it).
    pub window_start: Option<SystemTime>,
    /// Refuse attempts until then.
    pub locked_until: Option<SystemTime>,
}

/// Whether an attempt may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptGate {
    /// Go ahead; the attempt has been counted.
    Allowed,
    /// Locked: try again after `retry_after`. Nothing was counted.
    Refused {
        /// Time left on the lock.
        retry_after: Duration,
    },
}

impl AttemptCounter {
    /// Counts one attempt at `now` under `policy`, or refuses it while locked.
    pub fn acquire(&mut self, now: SystemTime, policy: &LimitPolicy) -> AttemptGate {
        if let Some(until) = self.locked_until {
            if let Ok(retry_after) = until.duration_since(now) {
                if !retry_after.is_zero() {
                    return AttemptGate::Refused { retry_after };
                }
            }
            *self = Self::default();
        }
        if let (Some(window), Some(start)) = (policy.window, self.window_start) {
            let elapsed = now.duration_since(start).unwrap_or(Duration::ZERO);
            if elapsed >= window {
                *self = Self::default();
            }
        }
        if self.failures == 0 {
            self.window_start = Some(now);
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= policy.max_failures {
            *self = Self {
                failures: 0,
                window_start: None,
                locked_until: Some(now + policy.lockout),
            };
        }
        AttemptGate::Allowed
    }

    /// Whether the counter holds nothing worth keeping at `now` (a store may delete it).
    #[must_use]
    pub fn is_idle(&self, now: SystemTime, policy_window: Option<Duration>) -> bool {
        let unlocked = self.locked_until.is_none_or(|until| until <= now);
        let window_over = match (policy_window, self.window_start) {
            (_, None) => true,
            (Some(window), Some(start)) => start + window <= now,
            (None, Some(_)) => false,
        };
        unlocked && (self.failures == 0 || window_over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn login() -> LimitPolicy {
        LimitPolicy {
            max_failures: 10,
            window: None,
            lockout: MIN * 30,
        }
    }

    fn identity() -> LimitPolicy {
        LimitPolicy {
            max_failures: 5,
            window: Some(MIN * 15),
            lockout: MIN * 15,
        }
    }

    #[test]
    fn tenth_attempt_is_evaluated_eleventh_is_refused_for_thirty_minutes() {
        let mut c = AttemptCounter::default();
        let t0 = SystemTime::UNIX_EPOCH;
        for _ in 0..10 {
            assert_eq!(c.acquire(t0, &login()), AttemptGate::Allowed);
        }
        assert_eq!(
            c.acquire(t0, &login()),
            AttemptGate::Refused {
                retry_after: MIN * 30
            }
        );
        let almost = t0 + MIN * 30 - Duration::from_secs(1);
        assert_eq!(
            c.acquire(almost, &login()),
            AttemptGate::Refused {
                retry_after: Duration::from_secs(1)
            }
        );
        assert_eq!(c.acquire(t0 + MIN * 30, &login()), AttemptGate::Allowed);
        assert_eq!(c.failures, 1, "the count starts afresh after the lock");
    }

    #[test]
    fn lockout_counts_do_not_expire_by_themselves() {
        let mut c = AttemptCounter::default();
        let t0 = SystemTime::UNIX_EPOCH;
        for i in 0..9 {
            assert_eq!(c.acquire(t0 + MIN * 60 * i, &login()), AttemptGate::Allowed);
        }
        assert_eq!(c.acquire(t0 + MIN * 60 * 9, &login()), AttemptGate::Allowed);
        assert!(matches!(
            c.acquire(t0 + MIN * 60 * 9, &login()),
            AttemptGate::Refused { .. }
        ));
    }

    #[test]
    fn throttle_window_forgets_old_attempts() {
        let mut c = AttemptCounter::default();
        let t0 = SystemTime::UNIX_EPOCH;
        for _ in 0..4 {
            assert_eq!(c.acquire(t0, &identity()), AttemptGate::Allowed);
        }
        // The window has passed: four old failures no longer count.
        for _ in 0..4 {
            assert_eq!(c.acquire(t0 + MIN * 15, &identity()), AttemptGate::Allowed);
        }
        assert_eq!(c.acquire(t0 + MIN * 15, &identity()), AttemptGate::Allowed);
        assert!(matches!(
            c.acquire(t0 + MIN * 15, &identity()),
            AttemptGate::Refused { .. }
        ));
    }

    #[test]
    fn idle_counters_can_be_dropped() {
        let t0 = SystemTime::UNIX_EPOCH;
        let mut c = AttemptCounter::default();
        assert!(c.is_idle(t0, None));
        c.acquire(t0, &identity());
        assert!(!c.is_idle(t0, Some(MIN * 15)));
        assert!(c.is_idle(t0 + MIN * 15, Some(MIN * 15)));
        assert!(!c.is_idle(t0 + MIN * 15, None));
    }
}
