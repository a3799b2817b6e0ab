//! Every number the rules use, with the design's defaults, and the keys.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::branding::{Branding, Brandings};
use crate::email::EmailAddress;
use crate::hashing::{HashParams, Pepper};
use crate::identity::InsuredKey;
use crate::ja;
use crate::mail::Mail;
use crate::otp::SecretKey;
use crate::otp::{OtpCode, Purpose};
use crate::password::PasswordPolicy;
use crate::throttle::{CounterKey, LimitPolicy, LockSchedule};

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
/// | e-mail-change codes per user ID | [`code_max_sends`](Self::code_max_sends) (5) | [`reset_lockout`](Self::reset_lockout) (15 min) | — | 7 days |
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
#[derive(Clone, Debug, Deserialize)]
#[serde(default = "Config::unkeyed", deny_unknown_fields)]
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
    #[serde(with = "human_duration")]
    pub code_validity: Duration,
    /// Wrong entries allowed per code challenge before it is dead (5).
    pub code_max_attempts: u32,
    /// Password-reset code entries allowed per user ID, over all its challenges, before reset
    /// codes stop working until the help desk unlocks the account (100). A completed reset
    /// starts the count afresh.
    pub code_failure_ceiling: u32,
    /// Shortest wait between two sends of a registration code (60 s).
    #[serde(with = "human_duration")]
    pub code_resend_cooldown: Duration,
    /// Most sends of a registration code per pending registration, the first one included, and
    /// most registration mails per sign-up ticket and per insured person before a lock (5).
    pub code_max_sends: u32,
    /// Consecutive failed logins that lock a user ID (10).
    pub login_max_failures: u32,
    /// How long the first lock of a user ID lasts (30 minutes); each later one lasts twice the
    /// one before, up to [`max_lockout`](Self::max_lockout).
    #[serde(with = "human_duration")]
    pub login_lockout: Duration,
    /// Consecutive failed logins after which only a password reset (or the help desk) lets the
    /// user ID log in again, the right password included (100).
    pub login_failure_ceiling: u32,
    /// Consecutive identity checks (first authentication, user-ID reminder, a taken user ID)
    /// that lock an insured person (5).
    pub identity_max_failures: u32,
    /// How long the first identity lock lasts (15 minutes); later ones double.
    #[serde(with = "human_duration")]
    pub identity_lockout: Duration,
    /// Password-reset mails per user ID before a lock (5).
    pub reset_max_requests: u32,
    /// How long the first reset-mail lock lasts (15 minutes); later ones double.
    #[serde(with = "human_duration")]
    pub reset_lockout: Duration,
    /// The longest any lock lasts (24 hours).
    #[serde(with = "human_duration")]
    pub max_lockout: Duration,
    /// Identity checks and mail counters are forgotten this long after their last attempt and
    /// lock (7 days), so that the store can delete the counters anyone can create. A week
    /// rather than a day: an attacker who waits for the failures to be forgotten then gains
    /// less than one who keeps trying at the 24-hour locks (see the `security` manual). Login
    /// and reset-code counters are never forgotten.
    #[serde(with = "human_duration")]
    pub throttle_forget_after: Duration,
    /// How long a successful first authentication may be used to register (30 minutes).
    #[serde(with = "human_duration")]
    pub signup_validity: Duration,
    /// How long a logged-in member's session lasts however active it is (12 hours): past it,
    /// [`Portal::check_session`](crate::Portal::check_session) ends the session and the member
    /// logs in again. NIST SP 800-63B rev. 4 §2.2.3 asks for at most 24 hours at AAL2; twelve
    /// is a working day. The host's own idle timeout comes on top.
    #[serde(with = "human_duration")]
    pub session_lifetime: Duration,
    /// How long past their expiry [`Portal::purge_expired`](crate::Portal::purge_expired)
    /// keeps sign-ups and challenges (1 hour), so that a member who just missed the end sees
    /// "expired" rather than "unknown". Counters go when they limit nothing, whatever this is.
    #[serde(with = "human_duration")]
    pub purge_grace: Duration,
    /// How many argon2 runs may hold memory at once (the machine's available parallelism).
    /// Memory for hashing never exceeds this many times the argon2 memory cost.
    pub max_concurrent_hashes: usize,
    /// How many callers may wait for an argon2 run before the next ones are answered
    /// [`Error::Busy`](crate::Error::Busy) at once (64).
    pub max_queued_hashes: usize,
    /// How each union appears in its members' mails, by insurer code (none by default: the
    /// plain text).
    pub branding: Brandings,
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
            code_failure_ceiling: Config::NIST_FAILURE_CEILING,
            code_resend_cooldown: Duration::from_secs(60),
            code_max_sends: 5,
            login_max_failures: 10,
            login_lockout: Duration::from_secs(30 * 60),
            login_failure_ceiling: Config::NIST_FAILURE_CEILING,
            identity_max_failures: 5,
            identity_lockout: Duration::from_secs(15 * 60),
            reset_max_requests: 5,
            reset_lockout: Duration::from_secs(15 * 60),
            max_lockout: Duration::from_secs(24 * 60 * 60),
            throttle_forget_after: Duration::from_secs(7 * 24 * 60 * 60),
            signup_validity: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(12 * 60 * 60),
            max_concurrent_hashes: std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get),
            max_queued_hashes: 64,
            purge_grace: Duration::from_secs(60 * 60),
            branding: Brandings::default(),
        }
    }
}

impl Config {
    /// The defaults with no key: what a configuration file fills in for the settings it leaves
    /// out. The key must be given ([`Config::check`] refuses one of zeros), so that every
    /// process of a deployment shares it and a restart keeps pending codes valid.
    fn unkeyed() -> Config {
        Config {
            secret_key: SecretKey::from_bytes([0; 32]),
            ..Config::default()
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
    /// No secret key: a configuration file without `secret_key`, or a key of zeros.
    #[error("Config::secret_key is not set; give every process the same key (64 hex digits)")]
    SecretKeyUnset,
    /// A union's branding would break its mails: a control character (a line break in the
    /// sender forges headers), an address that is not `http(s)://`, an insurer code that is
    /// not normalised, or text that puts a second code-like number into a code mail (six
    /// digits in a row, as a phone number or a date may have).
    #[error("Config::branding of {insurer}: {field} {problem}")]
    Branding {
        /// The insurer code, or `default`.
        insurer: String,
        /// The field's name.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A ceiling above the 100 consecutive failures NIST SP 800-63B allows.
    #[error(
        "Config::{field} is {value}; NIST SP 800-63B allows at most {}",
        Config::NIST_FAILURE_CEILING
    )]
    CeilingTooHigh {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: u32,
    },
    /// A session lifetime longer than the 24 hours NIST SP 800-63B rev. 4 §2.2.3 allows at
    /// AAL2 between authentications.
    #[error(
        "Config::session_lifetime is {seconds} s; NIST SP 800-63B allows at most 86400 s (24 h)"
    )]
    SessionTooLong {
        /// The lifetime set, in whole seconds.
        seconds: u64,
    },
}

impl Config {
    /// How long a mailed code stays valid, in whole minutes rounded up: the figure the code
    /// mails give (「発行から10分間」), for a code screen to say the same.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::Config;
    /// assert_eq!(Config::default().code_validity_minutes(), 10);
    /// let config = Config { code_validity: Duration::from_secs(90), ..Config::default() };
    /// assert_eq!(config.code_validity_minutes(), 2);
    /// ```
    #[must_use]
    pub fn code_validity_minutes(&self) -> u64 {
        ja::minutes(self.code_validity)
    }

    /// The most consecutive failures any one account may suffer before only a success (a
    /// password reset, or the help desk) lets anyone try again: NIST SP 800-63B rev. 4 §3.2.2
    /// allows no more than 100. [`Config::check`] refuses ceilings above it.
    pub const NIST_FAILURE_CEILING: u32 = 100;

    /// The longest [`Config::session_lifetime`] [`Config::check`] accepts: NIST SP 800-63B
    /// rev. 4 §2.2.3 asks a member at AAL2 to authenticate again at least every 24 hours,
    /// however active the session.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::{Config, ConfigError};
    /// let config = Config { session_lifetime: Duration::from_secs(48 * 3600), ..Config::default() };
    /// assert_eq!(config.check(), Err(ConfigError::SessionTooLong { seconds: 48 * 3600 }));
    /// ```
    pub const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

    /// Whether the settings keep every budget: counts of at least 1, ceilings of at most
    /// [`Config::NIST_FAILURE_CEILING`], a session lifetime of at most
    /// [`Config::MAX_SESSION_LIFETIME`]. Other durations may be anything from zero to
    /// `Duration::MAX`: time arithmetic saturates.
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
        if self.secret_key.is_unset() {
            return Err(ConfigError::SecretKeyUnset);
        }
        for (field, value) in [
            ("code_max_attempts", self.code_max_attempts),
            ("code_failure_ceiling", self.code_failure_ceiling),
            ("code_max_sends", self.code_max_sends),
            ("login_max_failures", self.login_max_failures),
            ("login_failure_ceiling", self.login_failure_ceiling),
            ("identity_max_failures", self.identity_max_failures),
            ("reset_max_requests", self.reset_max_requests),
            (
                "max_concurrent_hashes",
                u32::try_from(self.max_concurrent_hashes).unwrap_or(u32::MAX),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero { field });
            }
        }
        for (field, value) in [
            ("login_failure_ceiling", self.login_failure_ceiling),
            ("code_failure_ceiling", self.code_failure_ceiling),
        ] {
            if value > Config::NIST_FAILURE_CEILING {
                return Err(ConfigError::CeilingTooHigh { field, value });
            }
        }
        if self.session_lifetime > Config::MAX_SESSION_LIFETIME {
            let seconds = self.session_lifetime.as_secs();
            return Err(ConfigError::SessionTooLong { seconds });
        }
        for (insurer, branding) in self.branding.all() {
            check_branding(insurer, branding).map_err(|(field, problem)| {
                ConfigError::Branding {
                    insurer: insurer.unwrap_or("default").to_owned(),
                    field,
                    problem,
                }
            })?;
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

    /// The limits of the budget `key` counts against: the numbers of this configuration, in
    /// the shape of the table above.
    pub(crate) fn policy(&self, key: &CounterKey) -> LimitPolicy {
        let throttle = |every, first| LimitPolicy {
            locks: Some(self.schedule(every, first)),
            ceiling: None,
            forget_after: Some(self.throttle_forget_after),
        };
        match key {
            // Locks that lengthen, a ceiling, never forgotten.
            CounterKey::Login(_) => LimitPolicy {
                locks: Some(self.schedule(self.login_max_failures, self.login_lockout)),
                ceiling: Some(self.login_failure_ceiling),
                forget_after: None,
            },
            // A ceiling, never forgotten.
            CounterKey::ResetCode(_) => LimitPolicy {
                locks: None,
                ceiling: Some(self.code_failure_ceiling),
                forget_after: None,
            },
            CounterKey::Identity(_) => throttle(self.identity_max_failures, self.identity_lockout),
            CounterKey::ResetRequest(_) => throttle(self.reset_max_requests, self.reset_lockout),
            CounterKey::RegistrationMail(_) => throttle(self.code_max_sends, self.identity_lockout),
            CounterKey::EmailChange(_) => throttle(self.code_max_sends, self.reset_lockout),
            // A ceiling that lasts as long as the ticket.
            CounterKey::SignupMail(_) => LimitPolicy {
                locks: None,
                ceiling: Some(self.code_max_sends),
                forget_after: Some(self.signup_validity),
            },
        }
    }
}

/// Whether `branding` (of `insurer`, or the default) keeps every mail intact; otherwise the
/// field and what is wrong with it.
fn check_branding(
    insurer: Option<&str>,
    branding: &Branding,
) -> Result<(), (&'static str, &'static str)> {
    if let Some(code) = insurer {
        if InsuredKey::insurer_code_of(code).ok().as_deref() != Some(code) {
            return Err((
                "insurer code",
                "is not a normalised insurer code (half-width, upper-case)",
            ));
        }
    }
    for (field, value) in branding.fields() {
        let Some(value) = value else { continue };
        if value.chars().any(char::is_control) {
            return Err((field, "holds a control character (a line break?)"));
        }
        if field.ends_with("_url")
            && !(value.starts_with("https://") || value.starts_with("http://"))
        {
            return Err((field, "is not an http(s) address"));
        }
    }
    // The rule that matters is the mail's: exactly one code in a code mail. Compose each code
    // mail with a sample code and read it back, so that whatever the mail rule is, this
    // check is that rule.
    let to = EmailAddress::parse("member@example.jp").map_err(|_| ("email", "sample"))?;
    let validity = Duration::from_secs(600);
    for purpose in [
        Purpose::Registration,
        Purpose::PasswordReset,
        Purpose::EmailChange,
    ] {
        let code = OtpCode::sample(purpose.shape());
        let composed = Mail::code_mail(purpose, to.clone(), &code, validity, branding);
        if composed.code().as_deref() != Some(code.display().as_str()) {
            return Err((
                "text",
                "puts a second code-like number into code mails (six digits in a row?)",
            ));
        }
        // Full-width digits read as a code to a member (and to some mail clients) too.
        if has_six_full_width_digits(&composed.body) {
            return Err(("text", "holds six full-width digits in a row"));
        }
    }
    Ok(())
}

fn has_six_full_width_digits(text: &str) -> bool {
    let mut run = 0;
    for ch in text.chars() {
        run = if ('０'..='９').contains(&ch) {
            run + 1
        } else {
            0
        };
        if run >= 6 {
            return true;
        }
    }
    false
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

/// Durations in configuration files, in humantime's words: `"10m"`, `"30m"`, `"1h 30m"`,
/// `"24h"`, `"7days"`, `"60s"` — or a whole number of seconds.
mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Seconds(u64),
        Words(String),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        match Written::deserialize(deserializer)? {
            Written::Seconds(secs) => Ok(Duration::from_secs(secs)),
            Written::Words(words) => {
                humantime::parse_duration(&words).map_err(serde::de::Error::custom)
            }
        }
    }
}
