//! Every number the rules use, with the design's defaults, and the keys.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::hashing::{HashParams, Pepper};
use crate::password::PasswordPolicy;

/// The portal's settings. Every rule number lives here; [`Config::default`] gives the design's.
///
/// ```
/// use kenpo_auth::{Config, SecretKey, TermsVersion};
///
/// let config = Config {
///     terms_version: TermsVersion::new(2),
///     secret_key: SecretKey::from_bytes([7; 32]),
///     ..Config::default()
/// };
/// assert_eq!(config.max_code_attempts, 5);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// The current version of the terms of use; a member who accepted an older one is asked again.
    pub terms_version: TermsVersion,
    /// Keys the MAC under which one-time codes are stored. Random by default, so processes that
    /// share one store must be given the same key.
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
    /// How long a mailed code stays valid (10 minutes).
    pub code_validity: Duration,
    /// Wrong entries allowed per code challenge before it is dead (5).
    pub max_code_attempts: u32,
    /// Shortest wait between two sends of a registration code (60 s).
    pub resend_cooldown: Duration,
    /// Most sends of a code per pending registration, the first one included (5).
    pub max_code_sends: u32,
    /// Consecutive failed logins that lock an account (10).
    pub login_max_failures: u32,
    /// How long a locked account stays locked (30 minutes).
    pub login_lockout: Duration,
    /// Failed identity checks (first authentication, user-ID reminder) allowed per insured
    /// person within [`identity_window`](Self::identity_window) (5).
    pub identity_max_failures: u32,
    /// The window, and the wait once it is exhausted, for identity checks (15 minutes).
    pub identity_window: Duration,
    /// Password-reset mails allowed per account within
    /// [`identity_window`](Self::identity_window) (5).
    pub max_reset_requests: u32,
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
            code_validity: Duration::from_secs(10 * 60),
            max_code_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_code_sends: 5,
            login_max_failures: 10,
            login_lockout: Duration::from_secs(30 * 60),
            identity_max_failures: 5,
            identity_window: Duration::from_secs(15 * 60),
            max_reset_requests: 5,
            signup_validity: Duration::from_secs(30 * 60),
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

    /// A fresh key from the operating system's CSPRNG.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0_u8; 32];
        rand::fill(&mut bytes);
        Self(bytes)
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
