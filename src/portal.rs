//! [`Portal`]: the manual's flows over the host's [`Store`], [`Mailer`] and [`Clock`].
//!
//! | manual step | method |
//! |---|---|
//! | 1-2 first authentication (初回認証) | [`Portal::authenticate_insured`] |
//! | 1-3 user-ID registration, code mailed | [`Portal::begin_registration`], [`Portal::resend_code`] |
//! | 1-4 code entry, account created | [`Portal::confirm_registration`] |
//! | 1-5 login | [`Portal::login`] |
//! | 1-6 terms of use (利用規約) | [`Portal::accept_terms`] |
//! | forgotten password | [`Portal::request_password_reset`], [`Portal::reset_password`] |
//! | forgotten user ID | [`Portal::remind_user_id`] |
//!
//! Argon2id runs inside `begin_registration`, `login` and `reset_password` and takes tens of
//! milliseconds of CPU at the default parameters. On a multi-threaded async runtime, call these
//! from a blocking-friendly context (for example Tokio's `spawn_blocking` or `block_in_place`).

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, TermsVersion};
use crate::email::{EmailAddress, EmailError};
use crate::error::{Error, RegistrationErrors, mail_error, store_error};
use crate::hashing::{HashError, PasswordHasher};
use crate::identity::{IdentityForm, InsuredIdentity, InsuredKey};
use crate::mail::{Mail, Mailer};
use crate::otp::{CodeChallenge, Purpose, TypedCode, Verdict};
use crate::password::NewPassword;
use crate::store::{
    ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, ResendOutcome, ResendRules,
    SignupRecord, Store,
};
use crate::throttle::{AttemptGate, LimitPolicy};
use crate::ticket::{PasswordResetTicket, PendingRegistration, SignupTicket, TicketId};
use crate::user_id::UserId;

/// What the member typed on the user-ID registration screen (ユーザーID登録).
/// `Debug` hides the password. (It is not zeroized on drop, so that struct-update syntax works;
/// the host's request buffers hold the same text anyway.)
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationForm {
    /// The chosen user ID.
    pub user_id: String,
    /// The chosen password.
    pub password: String,
    /// The address the code goes to.
    pub email: String,
}

impl fmt::Debug for RegistrationForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationForm")
            .field("user_id", &self.user_id)
            .field("password", &"[REDACTED]")
            .field("email", &self.email)
            .finish()
    }
}

/// A successful login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSuccess {
    /// Who logged in, as registered.
    pub user_id: UserId,
    /// Whether the member must accept the current terms of use (first login, or revised terms)
    /// before going on; record it with [`Portal::accept_terms`].
    pub terms_consent_required: bool,
}

const LOGIN_COUNTER: &str = "login:";
const IDENTITY_COUNTER: &str = "identity:";
const RESET_COUNTER: &str = "reset:";

fn login_counter(user_id: &UserId) -> String {
    format!("{LOGIN_COUNTER}{}", user_id.unique_key())
}

fn identity_counter(key: &InsuredKey) -> String {
    format!("{IDENTITY_COUNTER}{}", key.storage_key())
}

fn reset_counter(user_id: &UserId) -> String {
    format!("{RESET_COUNTER}{}", user_id.unique_key())
}

/// The sign-up and login flows of the manual. Owns the host's store, mailer and clock.
///
/// ```
/// # use kenpo_auth::testkit::block_on;
/// use kenpo_auth::{BirthDate, Config, HashParams, IdentityForm, InsuredRecord, MemoryStore, Portal, RecordingMailer};
///
/// let store = MemoryStore::new();
/// let birth = BirthDate::new(1980, 4, 1).unwrap();
/// store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap());
/// let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
/// let portal = Portal::new(store, RecordingMailer::new(), config);
///
/// let form = IdentityForm {
///     insurer_code: "06139999".into(),
///     symbol: "12".into(),
///     number: "345".into(),
///     birth_date: "1980-04-01".into(),
///     name_kana: "けんぽはなこ".into(),
/// };
/// assert!(block_on(portal.authenticate_insured(&form)).is_ok());
/// ```
pub struct Portal<S, M, C = SystemClock> {
    store: S,
    mailer: M,
    clock: C,
    config: Config,
    hasher: Result<PasswordHasher, HashError>,
}

impl<S, M, C> fmt::Debug for Portal<S, M, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portal")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: Store, M: Mailer> Portal<S, M, SystemClock> {
    /// A portal over `store` and `mailer` with `config`, on the system clock.
    ///
    /// Bad argon2 parameters in `config` do not fail here; the flows that hash report
    /// [`Error::Hashing`] (check early with [`Portal::check_config`]).
    #[must_use]
    pub fn new(store: S, mailer: M, config: Config) -> Self {
        let hasher = PasswordHasher::new(config.hash_params).map(|hasher| match &config.pepper {
            Some(pepper) => hasher.with_pepper(pepper.clone()),
            None => hasher,
        });
        Self {
            store,
            mailer,
            clock: SystemClock,
            config,
            hasher,
        }
    }
}

impl<S, M, C> Portal<S, M, C> {
    /// The same portal reading time from `clock`.
    #[must_use]
    pub fn with_clock<C2: Clock>(self, clock: C2) -> Portal<S, M, C2> {
        Portal {
            store: self.store,
            mailer: self.mailer,
            clock,
            config: self.config,
            hasher: self.hasher,
        }
    }

    /// The store.
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// The mailer.
    pub const fn mailer(&self) -> &M {
        &self.mailer
    }

    /// The clock.
    pub const fn clock(&self) -> &C {
        &self.clock
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the configuration is usable (today: whether the argon2 parameters are valid).
    ///
    /// # Errors
    /// [`Error::Hashing`] for invalid argon2 parameters.
    pub fn check_config(&self) -> Result<(), Error> {
        self.hasher().map(|_| ())
    }

    fn hasher(&self) -> Result<&PasswordHasher, Error> {
        self.hasher
            .as_ref()
            .map_err(|error| Error::Hashing(error.clone()))
    }

    fn identity_policy(&self) -> LimitPolicy {
        LimitPolicy {
            max_failures: self.config.identity_max_failures,
            window: Some(self.config.identity_window),
            lockout: self.config.identity_window,
        }
    }

    fn login_policy(&self) -> LimitPolicy {
        LimitPolicy {
            max_failures: self.config.login_max_failures,
            window: None,
            lockout: self.config.login_lockout,
        }
    }

    fn reset_policy(&self) -> LimitPolicy {
        LimitPolicy {
            max_failures: self.config.max_reset_requests,
            window: Some(self.config.identity_window),
            lockout: self.config.identity_window,
        }
    }

    fn parse_email(&self, input: &str) -> Result<EmailAddress, EmailError> {
        match EmailAddress::parse(input) {
            Err(error) if error.is_dot_atom_warning() && self.config.accept_dot_atom_violations => {
                EmailAddress::parse_allowing_legacy_dots(input)
            }
            other => other,
        }
    }

    fn parse_registration(
        &self,
        form: &RegistrationForm,
    ) -> Result<(UserId, NewPassword, EmailAddress), Error> {
        let user_id = UserId::parse(&form.user_id);
        let password = self
            .config
            .password_policy
            .check(&form.password, user_id.as_ref().ok());
        let email = self.parse_email(&form.email);
        match (user_id, password, email) {
            (Ok(user_id), Ok(password), Ok(email)) => Ok((user_id, password, email)),
            (user_id, password, email) => Err(Error::Registration(RegistrationErrors {
                user_id: user_id.err(),
                password: password.err(),
                email: email.err(),
            })),
        }
    }

    /// Maps the verdict on a typed code to the member's error.
    fn judge(verdict: Verdict) -> Result<(), Error> {
        match verdict {
            Verdict::Accepted => Ok(()),
            Verdict::Wrong { remaining } => Err(Error::CodeMismatch { remaining }),
            Verdict::Expired => Err(Error::CodeExpired),
            Verdict::AttemptsExhausted => Err(Error::CodeAttemptsExhausted),
        }
    }
}

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    async fn gate(
        &self,
        counter: &str,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, Error> {
        self.store
            .acquire_attempt(counter, now, policy)
            .await
            .map_err(store_error)
    }

    /// Counts an identity check of this insured person (before making it) and makes it:
    /// whether the roster holds someone matching all five fields. Returns the counter's key
    /// with the answer, so that a success can clear it.
    async fn check_identity(&self, identity: &InsuredIdentity) -> Result<(String, bool), Error> {
        let counter = identity_counter(identity.key());
        let now = self.clock.now();
        if let AttemptGate::Refused { retry_after } =
            self.gate(&counter, now, self.identity_policy()).await?
        {
            return Err(Error::TooManyAttempts { retry_after });
        }
        let record = self
            .store
            .find_insured(identity.key())
            .await
            .map_err(store_error)?;
        let matched = record.is_some_and(|record| record.matches(identity));
        Ok((counter, matched))
    }

    /// Issues a code for a new challenge and stores the challenge.
    async fn open_challenge(
        &self,
        purpose: Purpose,
        payload: ChallengePayload,
        now: SystemTime,
    ) -> Result<(TicketId, crate::otp::OtpCode), Error> {
        let id = TicketId::random();
        let (code, challenge) = CodeChallenge::issue(
            &self.config.secret_key,
            id,
            purpose,
            now,
            self.config.code_validity,
            &mut rand::rng(),
        );
        self.store
            .insert_challenge(ChallengeRecord {
                code: challenge,
                payload,
            })
            .await
            .map_err(store_error)?;
        Ok((id, code))
    }

    /// Sends `mail` for challenge `id`; if sending fails, removes the challenge so that no code
    /// that never arrived stays live.
    async fn mail_or_withdraw(&self, id: TicketId, mail: Mail) -> Result<(), Error> {
        if let Err(error) = self.mailer.send(mail).await {
            // The challenge expires anyway if this fails too; the mail error is the one to report.
            let _ = self.store.delete_challenge(id).await;
            return Err(mail_error(error));
        }
        Ok(())
    }

    /// Counts an entry of `code` against challenge `id` (before comparing it) and checks it.
    async fn check_code(
        &self,
        id: TicketId,
        code: &str,
        purpose: Purpose,
    ) -> Result<ChallengeRecord, Error> {
        let typed = TypedCode::parse(code).map_err(|_| Error::CodeFormat)?;
        let now = self.clock.now();
        let record = self
            .store
            .count_code_attempt(id)
            .await
            .map_err(store_error)?
            .filter(|record| record.code.purpose == purpose)
            .ok_or(Error::ChallengeGone)?;
        Self::judge(record.code.check(
            &self.config.secret_key,
            &typed,
            now,
            self.config.max_code_attempts,
        ))?;
        Ok(record)
    }

    /// Step 1-2, first authentication (初回認証): checks the five fields against the roster.
    ///
    /// # Errors
    /// [`Error::Form`] lists every malformed field; [`Error::IdentityNotConfirmed`] when no roster
    /// entry matches all five (never saying which differed); [`Error::TooManyAttempts`] after
    /// [`Config::identity_max_failures`] tries within [`Config::identity_window`];
    /// [`Error::AlreadyRegistered`] when the person already has a user ID.
    pub async fn authenticate_insured(&self, form: &IdentityForm) -> Result<SignupTicket, Error> {
        let identity = InsuredIdentity::parse(form)?;
        let (counter, matched) = self.check_identity(&identity).await?;
        if !matched {
            return Err(Error::IdentityNotConfirmed);
        }
        let now = self.clock.now();
        self.store
            .clear_attempts(&counter)
            .await
            .map_err(store_error)?;
        if self
            .store
            .find_account_by_insured(identity.key())
            .await
            .map_err(store_error)?
            .is_some()
        {
            return Err(Error::AlreadyRegistered);
        }
        let id = TicketId::random();
        self.store
            .insert_signup(SignupRecord {
                id,
                insured_key: identity.key().clone(),
                expires_at: now + self.config.signup_validity,
            })
            .await
            .map_err(store_error)?;
        Ok(SignupTicket::new(id))
    }

    /// Step 1-3, user-ID registration (作成する): validates the form, hashes the password and
    /// mails a six-digit code to the address.
    ///
    /// # Errors
    /// [`Error::SignupExpired`]; [`Error::Registration`] listing every bad field;
    /// [`Error::UserIdTaken`]; [`Error::AlreadyRegistered`]; [`Error::Mail`] (the code is then
    /// withdrawn); [`Error::Store`], [`Error::Hashing`].
    pub async fn begin_registration(
        &self,
        ticket: &SignupTicket,
        form: &RegistrationForm,
    ) -> Result<PendingRegistration, Error> {
        let now = self.clock.now();
        let signup = self
            .store
            .find_signup(ticket.id())
            .await
            .map_err(store_error)?
            .filter(|signup| now < signup.expires_at)
            .ok_or(Error::SignupExpired)?;
        let (user_id, password, email) = self.parse_registration(form)?;
        if self
            .store
            .find_account(user_id.unique_key())
            .await
            .map_err(store_error)?
            .is_some()
        {
            return Err(Error::UserIdTaken);
        }
        if self
            .store
            .find_account_by_insured(&signup.insured_key)
            .await
            .map_err(store_error)?
            .is_some()
        {
            return Err(Error::AlreadyRegistered);
        }
        let password_hash = self.hasher()?.hash(&password)?;
        drop(password);
        let payload = ChallengePayload::Registration(NewAccount {
            user_id,
            insured_key: signup.insured_key,
            email: email.clone(),
            password_hash,
        });
        let (id, code) = self
            .open_challenge(Purpose::Registration, payload, now)
            .await?;
        let mail = Mail::registration_code(email, &code, self.config.code_validity);
        drop(code);
        self.mail_or_withdraw(id, mail).await?;
        Ok(PendingRegistration::new(id))
    }

    /// Mails a new registration code, voiding the old one. Not sooner than
    /// [`Config::resend_cooldown`] after the last send, at most [`Config::max_code_sends`] sends;
    /// the wrong-entry count carries over.
    ///
    /// # Errors
    /// [`Error::ResendTooSoon`], [`Error::ResendLimitReached`], [`Error::CodeAttemptsExhausted`],
    /// [`Error::ChallengeGone`], [`Error::Mail`], [`Error::Store`].
    pub async fn resend_code(&self, pending: &PendingRegistration) -> Result<(), Error> {
        let now = self.clock.now();
        let record = self
            .store
            .find_challenge(pending.id())
            .await
            .map_err(store_error)?
            .filter(|record| record.code.purpose == Purpose::Registration)
            .ok_or(Error::ChallengeGone)?;
        let ChallengePayload::Registration(new_account) = record.payload else {
            return Err(Error::ChallengeGone);
        };
        if record.code.attempts >= self.config.max_code_attempts {
            return Err(Error::CodeAttemptsExhausted);
        }
        let (code, code_mac) = record
            .code
            .reissue(&self.config.secret_key, &mut rand::rng());
        let rules = ResendRules {
            cooldown: self.config.resend_cooldown,
            max_sends: self.config.max_code_sends,
        };
        let outcome = self
            .store
            .replace_code(
                pending.id(),
                code_mac,
                now,
                now + self.config.code_validity,
                rules,
            )
            .await
            .map_err(store_error)?;
        match outcome {
            ResendOutcome::Replaced => {}
            ResendOutcome::TooSoon { retry_after } => {
                return Err(Error::ResendTooSoon { retry_after });
            }
            ResendOutcome::LimitReached => return Err(Error::ResendLimitReached),
            ResendOutcome::Gone => return Err(Error::ChallengeGone),
        }
        let mail = Mail::registration_code(new_account.email, &code, self.config.code_validity);
        drop(code);
        self.mailer.send(mail).await.map_err(mail_error)
    }

    /// Step 1-4: the member enters the mailed code; the account is created.
    ///
    /// The entry is counted before the code is compared. A code is accepted once, within
    /// [`Config::code_validity`] of its issue, and only while fewer than
    /// [`Config::max_code_attempts`] wrong entries came before it.
    ///
    /// # Errors
    /// [`Error::CodeFormat`] (not counted), [`Error::CodeMismatch`], [`Error::CodeExpired`],
    /// [`Error::CodeAttemptsExhausted`], [`Error::ChallengeGone`], [`Error::UserIdTaken`],
    /// [`Error::AlreadyRegistered`], [`Error::Store`].
    pub async fn confirm_registration(
        &self,
        pending: &PendingRegistration,
        code: &str,
    ) -> Result<UserId, Error> {
        let record = self
            .check_code(pending.id(), code, Purpose::Registration)
            .await?;
        let ChallengePayload::Registration(new_account) = record.payload else {
            return Err(Error::ChallengeGone);
        };
        let outcome = self
            .store
            .complete_registration(pending.id(), &record.code.code_mac, self.clock.now())
            .await
            .map_err(store_error)?;
        match outcome {
            RegistrationOutcome::Created => Ok(new_account.user_id),
            RegistrationOutcome::UserIdTaken => Err(Error::UserIdTaken),
            RegistrationOutcome::InsuredHasAccount => Err(Error::AlreadyRegistered),
            RegistrationOutcome::ChallengeGone => Err(Error::ChallengeGone),
        }
    }

    /// Step 1-5, login with user ID and password.
    ///
    /// An unknown user ID is verified against a dummy hash and answers exactly like a wrong
    /// password; both count towards the lock of that user ID. After
    /// [`Config::login_max_failures`] consecutive failures the user ID is locked for
    /// [`Config::login_lockout`], and even the right password fails. A success clears the count
    /// and rehashes a hash made with outdated parameters.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`], [`Error::AccountLocked`], [`Error::Store`],
    /// [`Error::Hashing`].
    pub async fn login(&self, user_id: &str, password: &str) -> Result<LoginSuccess, Error> {
        let hasher = self.hasher()?;
        // The NIST preset stores passwords after NFKC; the manual's policy leaves them as typed.
        let password = self.config.password_policy.normalize_for_login(password);
        let password = password.as_str();
        let Ok(user_id) = UserId::parse(user_id) else {
            hasher.verify_dummy(password);
            return Err(Error::AuthenticationFailed);
        };
        let now = self.clock.now();
        let counter = login_counter(&user_id);
        if let AttemptGate::Refused { retry_after } =
            self.gate(&counter, now, self.login_policy()).await?
        {
            return Err(Error::AccountLocked { retry_after });
        }
        let account = self
            .store
            .find_account(user_id.unique_key())
            .await
            .map_err(store_error)?
            .filter(|account| account.user_id.as_str() == user_id.as_str());
        let Some(account) = account else {
            hasher.verify_dummy(password);
            return Err(Error::AuthenticationFailed);
        };
        if !hasher.verify(password, &account.password_hash)? {
            return Err(Error::AuthenticationFailed);
        }
        self.store
            .clear_attempts(&counter)
            .await
            .map_err(store_error)?;
        if hasher.needs_rehash(&account.password_hash) {
            let upgraded = hasher.rehash(password)?;
            self.store
                .update_password_hash(user_id.unique_key(), &account.password_hash, upgraded)
                .await
                .map_err(store_error)?;
        }
        Ok(LoginSuccess {
            terms_consent_required: account
                .terms_accepted
                .is_none_or(|accepted| accepted < self.config.terms_version),
            user_id: account.user_id,
        })
    }

    /// Step 1-6: records that the member ticked 同意する for terms `version`.
    ///
    /// # Errors
    /// [`Error::UnknownTermsVersion`] for a version newer than [`Config::terms_version`];
    /// [`Error::AccountNotFound`]; [`Error::Store`].
    pub async fn accept_terms(&self, user_id: &UserId, version: TermsVersion) -> Result<(), Error> {
        if version > self.config.terms_version {
            return Err(Error::UnknownTermsVersion);
        }
        let recorded = self
            .store
            .record_terms_acceptance(user_id.unique_key(), version)
            .await
            .map_err(store_error)?;
        if recorded {
            Ok(())
        } else {
            Err(Error::AccountNotFound)
        }
    }

    /// "Forgot password": mails a reset code to the registered address.
    ///
    /// The answer is the same whether or not the user ID exists: a ticket. For an unknown user ID
    /// (or one past [`Config::max_reset_requests`] mails in [`Config::identity_window`]) a decoy
    /// challenge is stored that no code can ever complete, and nothing is mailed.
    ///
    /// # Errors
    /// Only [`Error::Store`] and [`Error::Mail`].
    pub async fn request_password_reset(
        &self,
        user_id: &str,
    ) -> Result<PasswordResetTicket, Error> {
        let now = self.clock.now();
        let mut account = None;
        if let Ok(user_id) = UserId::parse(user_id) {
            let gate = self
                .gate(&reset_counter(&user_id), now, self.reset_policy())
                .await?;
            let found = self
                .store
                .find_account(user_id.unique_key())
                .await
                .map_err(store_error)?
                .filter(|account| account.user_id.as_str() == user_id.as_str());
            if gate == AttemptGate::Allowed {
                account = found;
            }
        }
        let payload = ChallengePayload::PasswordReset {
            user_key: account
                .as_ref()
                .map(|account| account.user_id.unique_key().to_owned()),
        };
        let (id, code) = self
            .open_challenge(Purpose::PasswordReset, payload, now)
            .await?;
        if let Some(account) = account {
            let mail = Mail::password_reset_code(account.email, &code, self.config.code_validity);
            drop(code);
            self.mail_or_withdraw(id, mail).await?;
        }
        Ok(PasswordResetTicket::new(id))
    }

    /// Sets a new password with the mailed reset code. Clears the login lock of the account.
    ///
    /// # Errors
    /// [`Error::Password`] (checked before the code is counted, and again against the user ID
    /// after it is accepted); [`Error::CodeFormat`], [`Error::CodeMismatch`],
    /// [`Error::CodeExpired`], [`Error::CodeAttemptsExhausted`], [`Error::ChallengeGone`];
    /// [`Error::Store`], [`Error::Hashing`].
    pub async fn reset_password(
        &self,
        ticket: &PasswordResetTicket,
        code: &str,
        new_password: &str,
    ) -> Result<(), Error> {
        let policy = &self.config.password_policy;
        policy.check(new_password, None)?;
        let record = self
            .check_code(ticket.id(), code, Purpose::PasswordReset)
            .await?;
        let ChallengePayload::PasswordReset { user_key } = record.payload else {
            return Err(Error::ChallengeGone);
        };
        let remaining = self
            .config
            .max_code_attempts
            .saturating_sub(record.code.attempts);
        let Some(user_key) = user_key else {
            // A decoy: behave exactly like a wrong code.
            return Err(Error::CodeMismatch { remaining });
        };
        let account = self
            .store
            .find_account(&user_key)
            .await
            .map_err(store_error)?
            .ok_or(Error::ChallengeGone)?;
        let password = policy.check(new_password, Some(&account.user_id))?;
        let new_hash = self.hasher()?.hash(&password)?;
        drop(password);
        if !self
            .store
            .complete_password_reset(ticket.id(), &record.code.code_mac, new_hash)
            .await
            .map_err(store_error)?
        {
            return Err(Error::ChallengeGone);
        }
        self.store
            .clear_attempts(&login_counter(&account.user_id))
            .await
            .map_err(store_error)
    }

    /// "Forgot user ID": mails the user ID to the registered address when the five identity
    /// fields match and `email` is the registered address (ignoring ASCII case).
    ///
    /// The answer is the same whether or not anything matched. Every request counts towards
    /// the insured person's identity limit, matched or not, so the limit reveals nothing either.
    ///
    /// # Errors
    /// [`Error::Form`], [`Error::Email`] for malformed input; [`Error::TooManyAttempts`];
    /// [`Error::Store`], [`Error::Mail`].
    pub async fn remind_user_id(&self, form: &IdentityForm, email: &str) -> Result<(), Error> {
        let identity = InsuredIdentity::parse(form)?;
        let email = self.parse_email(email)?;
        let (_, matched) = self.check_identity(&identity).await?;
        let account = self
            .store
            .find_account_by_insured(identity.key())
            .await
            .map_err(store_error)?;
        if let Some(account) = account.filter(|account| {
            matched && account.email.as_str().eq_ignore_ascii_case(email.as_str())
        }) {
            let mail = Mail::user_id_reminder(account.email, &account.user_id);
            self.mailer.send(mail).await.map_err(mail_error)?;
        }
        Ok(())
    }
}
