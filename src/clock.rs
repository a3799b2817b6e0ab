//! Where "now" comes from.
//!
//! Every rule with a time limit (the code's ten minutes, the lockout's thirty) asks a [`Clock`]
//! instead of reading the system time itself, so tests and hosts can drive time by hand.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A source of the current time.
///
/// Implement it to plug in the host's own time source; [`SystemClock`] is the default and
/// [`ManualClock`] is for tests and demonstrations.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the same time.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kenpo_auth::{Clock, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(599));
/// assert_eq!(shared.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(599));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock standing still at `start`.
    #[must_use]
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock (and every clone of it) forward by `by`, saturating at [`horizon`].
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = later(*now, by);
    }

    /// Sets the clock (and every clone of it) to `to`.
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// The latest time the crate ever computes: 2262-04-11T23:47:16.854775807Z, the last instant
/// that signed 64-bit nanoseconds since the Unix epoch can hold (as SQLite and PostgreSQL
/// stores keep times).
///
/// Adding a duration to a time saturates here instead of overflowing ([`later`]), so a
/// setting such as `login_lockout = Duration::MAX` ("locked until the help desk unlocks")
/// means "locked until the horizon" and never panics.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kenpo_auth::store::{horizon, later};
///
/// assert_eq!(later(SystemTime::UNIX_EPOCH, Duration::MAX), horizon());
/// ```
#[must_use]
pub fn horizon() -> SystemTime {
    const HORIZON_NANOS: u64 = i64::MAX.unsigned_abs();
    SystemTime::UNIX_EPOCH + Duration::from_nanos(HORIZON_NANOS)
}

/// `time + by`, saturating at [`horizon`] (or at `time` itself, if it already lies beyond).
#[must_use]
pub fn later(time: SystemTime, by: Duration) -> SystemTime {
    let limit = horizon().max(time);
    time.checked_add(by).map_or(limit, |sum| sum.min(limit))
}

/// How long from `now` until `until`; zero if `until` has passed.
#[must_use]
pub fn until(now: SystemTime, until: SystemTime) -> Duration {
    until.duration_since(now).unwrap_or(Duration::ZERO)
}

/// `wait` rounded up to whole seconds: waiting that long is never too soon.
pub(crate) fn whole_seconds_up(wait: Duration) -> Duration {
    let part = u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(wait.as_secs().saturating_add(part))
}

/// `time - by`, saturating at the mirror of [`horizon`] before the Unix epoch (1677).
#[must_use]
pub fn earlier(time: SystemTime, by: Duration) -> SystemTime {
    const HORIZON_NANOS: u64 = i64::MAX.unsigned_abs();
    let limit = SystemTime::UNIX_EPOCH
        .checked_sub(Duration::from_nanos(HORIZON_NANOS))
        .unwrap_or(SystemTime::UNIX_EPOCH)
        .min(time);
    time.checked_sub(by)
        .map_or(limit, |difference| difference.max(limit))
}
