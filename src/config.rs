//! Every number the rules use, with the design's defaults, and the keys.

use std::fmt;
use std::time::Duration;

use rand::Rng as _;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::hashing::{HashParams, Pepper};
use crate::password::PasswordPolicy;
use crate::random::{self, RandomError};
use crate::throttle::{LimitPolicy, LockSchedule};

/// The most consecutive failures any one account may suffer before only a success (a password
/// reset, or the help desk) lets anyone try again: NIST SP 800-63B rev. 4 §3.2.2 allows no
/// more than 100. [`Config::check`] refuses ceilings above it.
pub const NIST_FAILURE_CEILING: u32 = 100;

/// The portal's settings. Every rule number lives here; [`Config::default`] gives the design's.
///
/// The budgets (see the `security` manual for the worst cases they allow):
///
/// | attempts | per lock | first lock | ceiling | forgotten |
/// |---|---|---|---|---|
/// | logins per user ID | [`login_max_failures`](Self::login_max_failures) (10) | [`login_lockout`](Self::login_lockout) (30 min) | [`login_failure_ceiling`](Self::login_failure_ceiling) (100) | never |
/// | reset-code entries per user ID | — | — | [`code_failure_ceiling`](Self::code_failure_ceiling) (100) | never |
/// | identity checks per insured person | [`identity_max_failures`](Self::identity_max_failures) (5) | [`identity_lockout`](Self::identity_lockout) (15 min) | — | [`throttle_forget_after`](Self::throttle_forget_after) (7 days) |
/// | reset mails per user ID | [`reset_max_requests`](Self::reset_max_requests) (5) | [`reset_lockout`](Self::reset_lockout) (15 min) | — | 7 days |
/// | registration mails per insured person | [`code_max_sends`](Self::code_max_sends) (5) | [`identity_lockout`](Self::identity_lockout) | — | 7 days |
/// | registration mails per sign-up ticket | — | — | [`code_max_sends`](Self::code_max_sends) (5) | with the ticket |
///
/// Each later lock lasts twice the one before, up to [`max_lockout`](Self::max_lockout) (24 h).
///
/// ```
/// use kenpo_auth::{Config, SecretKey, TermsVersion};
///
/// let config = Config {
///     terms_version: TermsVersion::new(2),
///     secret_key: SecretKey::from_bytes([7; 32]),
///     ..Config::default()
/// };
/// assert_eq!(config.code_max_attempts, 5);
/// assert!(config.check().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The current version of the terms of use; a member who accepted an older one is asked again.
    pub terms_version: TermsVersion,
    /// Keys the MAC under which one-time codes are stored (and the pseudonyms of the audit
    /// trail). Random by default, so processes that share one store must be given the same key.
    pub secret_key: SecretKey,
    /// The password rule for new passwords (registration and reset).
    pub password_policy: PasswordPolicy,
    /// Argon2id cost parameters for new hashes; older hashes are rehashed at login.
    pub hash_params: HashParams,
    /// Optional argon2 secret ("pepper") kept outside the store.
    pub pepper: Option<Pepper>,
    /// Accept e-mail addresses whose local part breaks RFC 5322 dot-atom (legacy carrier
    /// addresses such as `ab..cd@docomo.ne.jp`). Off by default: the code may never arrive.
    pub accept_dot_atom_violations: bool,
    /// Accept quoted local parts (`"john doe"@example.jp`). Off by default: they are the shape
    /// used to confuse mail software (`"victim@example.com,attacker"@evil.example`).
    pub accept_quoted_local_parts: bool,
    /// How long a mailed code stays valid (10 minutes).
    pub code_validity: Duration,
    /// Wrong entries allowed per code challenge before it is dead (5).
    pub code_max_attempts: u32,
    /// Password-reset code entries allowed per user ID, over all its challenges, before reset
    /// codes stop working until the help desk unlocks the account (100). A completed reset
    /// starts the count afresh.
    pub code_failure_ceiling: u32,
    /// Shortest wait between two sends of a registration code (60 s).
    pub code_resend_cooldown: Duration,
    /// Most sends of a registration code per pending registration, the first one included, and
    /// most registration mails per sign-up ticket and per insured person before a lock (5).
    pub code_max_sends: u32,
    /// Consecutive failed logins that lock a user ID (10).
    pub login_max_failures: u32,
    /// How long the first lock of a user ID lasts (30 minutes); each later one lasts twice the
    /// one before, up to [`max_lockout`](Self::max_lockout).
    pub login_lockout: Duration,
    /// Consecutive failed logins after which only a password reset (or the help desk) lets the
    /// user ID log in again, the right password included (100).
    pub login_failure_ceiling: u32,
    /// Consecutive identity checks (first authentication, user-ID reminder, a taken user ID)
    /// that lock an insured person (5).
    pub identity_max_failures: u32,
    /// How long the first identity lock lasts (15 minutes); later ones double.
    pub identity_lockout: Duration,
    /// Password-reset mails per user ID before a lock (5).
    pub reset_max_requests: u32,
    /// How long the first reset-mail lock lasts (15 minutes); later ones double.
    pub reset_lockout: Duration,
    /// The longest any lock lasts (24 hours).
    pub max_lockout: Duration,
    /// Identity checks and mail counters are forgotten this long after their last attempt and
    /// lock (7 days), so that the store can delete the counters anyone can create. A week
    /// rather than a day: an attacker who waits for the failures to be forgotten then gains
    /// less than one who keeps trying at the 24-hour locks (see the `security` manual). Login
    /// and reset-code counters are never forgotten.
    pub throttle_forget_after: Duration,
    /// How long a successful first authentication may be used to register (30 minutes).
    pub signup_validity: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            terms_version: TermsVersion::default(),
            secret_key: SecretKey::random(),
            password_policy: PasswordPolicy::default(),
            hash_params: HashParams::default(),
            pepper: None,
            accept_dot_atom_violations: false,
            accept_quoted_local_parts: false,
            code_validity: Duration::from_secs(10 * 60),
            code_max_attempts: 5,
            code_failure_ceiling: NIST_FAILURE_CEILING,
            code_resend_cooldown: Duration::from_secs(60),
            code_max_sends: 5,
            login_max_failures: 10,
            login_lockout: Duration::from_secs(30 * 60),
            login_failure_ceiling: NIST_FAILURE_CEILING,
            identity_max_failures: 5,
            identity_lockout: Duration::from_secs(15 * 60),
            reset_max_requests: 5,
            reset_lockout: Duration::from_secs(15 * 60),
            max_lockout: Duration::from_secs(24 * 60 * 60),
            throttle_forget_after: Duration::from_secs(7 * 24 * 60 * 60),
            signup_validity: Duration::from_secs(30 * 60),
        }
    }
}

/// A setting [`Config::check`] refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A count that must be at least 1 is 0.
    #[error("Config::{field} must be at least 1")]
    Zero {
        /// The field's name.
        field: &'static str,
    },
    /// A ceiling above the 100 consecutive failures NIST SP 800-63B allows.
    #[error("Config::{field} is {value}; NIST SP 800-63B allows at most {NIST_FAILURE_CEILING}")]
    CeilingTooHigh {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: u32,
    },
}

impl Config {
    /// Whether the settings keep every budget: counts of at least 1, ceilings of at most
    /// [`NIST_FAILURE_CEILING`]. Durations may be anything from zero to `Duration::MAX`: time
    /// arithmetic saturates.
    ///
    /// # Errors
    /// The first [`ConfigError`].
    ///
    /// ```
    /// use kenpo_auth::{Config, ConfigError};
    /// let config = Config { login_failure_ceiling: 1_000, ..Config::default() };
    /// assert!(matches!(config.check(), Err(ConfigError::CeilingTooHigh { .. })));
    /// ```
    pub fn check(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("code_max_attempts", self.code_max_attempts),
            ("code_failure_ceiling", self.code_failure_ceiling),
            ("code_max_sends", self.code_max_sends),
            ("login_max_failures", self.login_max_failures),
            ("login_failure_ceiling", self.login_failure_ceiling),
            ("identity_max_failures", self.identity_max_failures),
            ("reset_max_requests", self.reset_max_requests),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero { field });
            }
        }
        for (field, value) in [
            ("login_failure_ceiling", self.login_failure_ceiling),
            ("code_failure_ceiling", self.code_failure_ceiling),
        ] {
            if value > NIST_FAILURE_CEILING {
                return Err(ConfigError::CeilingTooHigh { field, value });
            }
        }
        Ok(())
    }

    fn schedule(&self, every: u32, first: Duration) -> LockSchedule {
        LockSchedule {
            every,
            first,
            max: self.max_lockout,
        }
    }

    /// Logins per user ID: locks that lengthen, a ceiling, never forgotten.
    pub(crate) fn login_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: Some(self.schedule(self.login_max_failures, self.login_lockout)),
            ceiling: Some(self.login_failure_ceiling),
            forget_after: None,
        }
    }

    /// Reset-code entries per user ID: a ceiling, never forgotten.
    pub(crate) fn reset_code_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: None,
            ceiling: Some(self.code_failure_ceiling),
            forget_after: None,
        }
    }

    /// Identity checks per insured person.
    pub(crate) fn identity_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: Some(self.schedule(self.identity_max_failures, self.identity_lockout)),
            ceiling: None,
            forget_after: Some(self.throttle_forget_after),
        }
    }

    /// Reset mails per user ID.
    pub(crate) fn reset_request_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: Some(self.schedule(self.reset_max_requests, self.reset_lockout)),
            ceiling: None,
            forget_after: Some(self.throttle_forget_after),
        }
    }

    /// Registration mails per insured person.
    pub(crate) fn registration_mail_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: Some(self.schedule(self.code_max_sends, self.identity_lockout)),
            ceiling: None,
            forget_after: Some(self.throttle_forget_after),
        }
    }

    /// Registration mails per sign-up ticket: a ceiling that lasts as long as the ticket.
    pub(crate) fn signup_mail_policy(&self) -> LimitPolicy {
        LimitPolicy {
            locks: None,
            ceiling: Some(self.code_max_sends),
            forget_after: Some(self.signup_validity),
        }
    }
}

/// A version of the terms of use (利用規約). Versions are ordered; the default is 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TermsVersion(u32);

impl TermsVersion {
    /// The version numbered `version`.
    #[must_use]
    pub const fn new(version: u32) -> Self {
        Self(version)
    }

    /// The version number.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for TermsVersion {
    fn default() -> Self {
        Self(1)
    }
}

impl fmt::Display for TermsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The 32-byte key of the one-time-code MAC. Zeroized on drop; `Debug` prints `[REDACTED]`.
///
/// ```
/// use kenpo_auth::SecretKey;
///
/// let key = SecretKey::from_bytes([1; 32]);
/// assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A key from its bytes (for example read from the host's secret manager).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh key from the operating system's generator.
    ///
    /// # Panics
    /// Only if the operating system's generator fails, which it does not on supported
    /// platforms; [`try_random`](Self::try_random) reports that as an error instead.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0_u8; 32];
        UnwrapErr(SysRng).fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A fresh key from the operating system's generator.
    ///
    /// # Errors
    /// [`RandomError`] if the generator fails.
    pub fn try_random() -> Result<Self, RandomError> {
        let mut bytes = [0_u8; 32];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}
