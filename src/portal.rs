//! [`Portal`]: the manual's flows over the host's store, mailer and clock.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use argon2::Block;
use zeroize::Zeroizing;

use serde::{Deserialize, Serialize};

use crate::audit::{audit, insured_subject, user_subject};
use crate::branding::Branding;
use crate::clock::{Clock, SystemClock, horizon, later, until, whole_seconds_up};
use crate::config::{Config, TermsVersion};
use crate::email::{EmailAddress, EmailError, EmailRules};
use crate::error::{Error, mail_error, store_error};
use crate::hashing::{
    HashError, HashPool, PasswordHash, PasswordHasher, PoolError, Reservation, StoredHash,
};
use crate::identity::{
    Field, FieldError, FieldErrorKind, IdentityForm, InsuredIdentity, InsuredKey, join3,
};
use crate::mail::{Mail, Mailer};
use crate::otp::ResendableTicket;
use crate::password::{NewPassword, PasswordPolicy};
use crate::random::{self, RandomError};
use crate::runner::{Inline, Runner};
use crate::session::SessionStamp;
use crate::store::{
    Account, AttemptGate, ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge,
    CounterKey, NewAccount, OtpCode, Purpose, RegistrationOutcome, ResendOutcome, ResendRules,
    SignupRecord, Store, TypedCode, Verdict,
};
use crate::ticket::{PasswordResetTicket, PendingRegistration, SignupTicket, TicketId};
use crate::user_id::{UserId, UserKey};

mod help_desk;
mod insurer_desk;
mod roster;
mod session;
mod settings;

pub use help_desk::{CoverageState, HelpDeskView, LockState};
pub use insurer_desk::InsurerHelpDesk;

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

/// A successful login. Serialises as `{"user_id": …, "terms_consent_required": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginSuccess {
    /// Who logged in, as registered.
    pub user_id: UserId,
    /// Whether the member must accept the current terms of use (first login, or revised terms)
    /// before going on; record it with [`Portal::accept_terms`].
    pub terms_consent_required: bool,
}

/// A refusal of the hash pool, as the member hears it.
fn hashing_refused(error: PoolError) -> Error {
    match error {
        PoolError::Busy { retry_after } => {
            audit!(WARN, "busy", retry_after_s = retry_after.as_secs());
            Error::Busy { retry_after }
        }
        PoolError::TooCostly | PoolError::Panicked => Error::Hashing(HashError::Argon2 {
            reason: "the argon2 run did not finish".to_owned(),
        }),
    }
}

/// The hash a verify runs, and what to answer whatever it finds when it is a stand-in.
struct VerifyTarget {
    hash: StoredHash,
    verdict: Option<Verified>,
}

impl VerifyTarget {
    fn blocks(&self) -> usize {
        self.hash.blocks()
    }
}

/// The entered `code`, if it has the shape of `purpose`'s codes; a malformed entry is refused
/// with [`Error::CodeFormat`] before anything is looked up or counted.
fn parse_code(code: &str, purpose: Purpose) -> Result<TypedCode, Error> {
    let shape = purpose.shape();
    TypedCode::parse(code, shape).map_err(|_| Error::CodeFormat { shape })
}

/// A refused resend as the member's error.
fn resend_outcome(outcome: ResendOutcome) -> Result<(), Error> {
    match outcome {
        ResendOutcome::Replaced => Ok(()),
        ResendOutcome::TooSoon { retry_after } => Err(Error::ResendTooSoon { retry_after }),
        ResendOutcome::LimitReached => Err(Error::ResendLimitReached),
    }
}

/// What a resend spends and mails.
struct Resend<'a> {
    /// The budgets each send counts against.
    budgets: Vec<CounterKey>,
    /// Who the audit trail says it was for.
    subject: String,
    /// The mail carrying the new code, valid for the given time.
    mail: &'a (dyn Fn(&OtpCode, std::time::Duration) -> Mail + Sync),
}

/// A password proven right for a covered account, with the argon2 reservation of its verify
/// for a rehash or a new hash.
struct Proven {
    account: Account,
    password: Zeroizing<String>,
    reservation: Reservation,
}

/// What a verify found.
#[derive(Clone, Copy)]
enum Verified {
    /// The stored hash was run: did the password match?
    Checked(bool),
    /// There was nothing to verify against; the dummy hash was run instead.
    Dummy,
    /// The stored hash may not be run (`cost_too_high`); the dummy hash was run instead.
    Refused(&'static str),
}

/// Which flow checked an identity, for the audit trail.
#[derive(Clone, Copy)]
enum IdentityFlow {
    FirstAuthentication,
    Reminder,
}

impl IdentityFlow {
    const fn name(self) -> &'static str {
        match self {
            Self::FirstAuthentication => "first_authentication",
            Self::Reminder => "reminder",
        }
    }
}

/// What a refused attempt tells the member, by the budget that refused it. Login and
/// reset-code ceilings have their own messages (reset the password; call the union); a
/// ticket's mail ceiling asks for a new first authentication; every other budget asks the
/// member to wait.
fn refusal(key: &CounterKey, gate: AttemptGate, now: SystemTime) -> Error {
    match (key, gate) {
        (CounterKey::Login(_), AttemptGate::Locked { retry_after }) => {
            Error::AccountLocked { retry_after }
        }
        (CounterKey::Login(_), _) => Error::LoginSuspended,
        (CounterKey::ResetCode(_), _) => Error::ResetSuspended,
        (CounterKey::SignupMail(_), _) => Error::ResendLimitReached,
        (_, AttemptGate::Locked { retry_after }) => Error::TooManyAttempts { retry_after },
        (_, _) => Error::TooManyAttempts {
            retry_after: until(now, horizon()),
        },
    }
}

const fn purpose_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Registration => "registration",
        Purpose::PasswordReset => "password_reset",
        Purpose::EmailChange => "email_change",
    }
}

/// [`Portal`]: the manual's flows over the host's [`Store`], [`Mailer`] and [`Clock`].
///
/// | manual step | method |
/// |---|---|
/// | 1-2 first authentication (初回認証) | [`Portal::authenticate_insured`] |
/// | 1-3 user-ID registration, code mailed | [`Portal::begin_registration`], [`Portal::resend_code`] |
/// | 1-4 code entry, account created | [`Portal::confirm_registration`] |
/// | 1-5 login | [`Portal::login`] |
/// | 1-6 terms of use (利用規約) | [`Portal::accept_terms`] |
/// | forgotten password | [`Portal::request_password_reset`], [`Portal::reset_password`] |
/// | forgotten user ID | [`Portal::remind_user_id`] |
/// | help desk (operators only) | [`Portal::unlock_account`] |
///
/// Every attempt an attacker could repeat is counted against a budget *before* it is evaluated
/// (see [`Config`] and the `security` manual), and every decision is an event of the audit
/// trail ([`crate::audit`]).
///
/// Argon2id runs inside `begin_registration`, `login` and `reset_password` (and as a decoy
/// for unknown user IDs), taking tens of milliseconds of CPU at the default parameters. It
/// runs on the portal's [`Runner`]: [`Inline`](crate::Inline) by default, which needs no
/// runtime; a Tokio host passes `TokioRunner` to [`Portal::with_runner`] and simply `.await`s
/// every method. At most [`Config::max_concurrent_hashes`] runs hold argon2 memory at once;
/// past [`Config::max_queued_hashes`] waiting callers the answer is [`Error::Busy`].
///
/// Call [`Portal::purge_expired`] every hour or so to delete what has expired.
///
/// ```
/// # pollster::block_on(async {
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
/// assert!(portal.authenticate_insured(&form).await.is_ok());
/// # });
/// ```
pub struct Portal<S, M, C = SystemClock> {
    store: S,
    mailer: M,
    clock: C,
    config: Config,
    hasher: Arc<PasswordHasher>,
    pool: Arc<HashPool>,
    runner: Arc<dyn Runner>,
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
    /// The argon2 parameters are valid by construction ([`HashParams`](crate::HashParams)),
    /// so this cannot fail; check the budgets early with [`Portal::check_config`]. A
    /// configuration that check refuses (no secret key, say, so that every code MAC and
    /// session stamp would be made under a key of zeros) is also reported at once, as the
    /// audit event `config_refused` at level error, for a host that never asks.
    #[must_use]
    pub fn new(store: S, mailer: M, config: Config) -> Self {
        if let Err(error) = config.check() {
            audit!(ERROR, "config_refused", error = %error);
        }
        let hasher = PasswordHasher::new(config.hash_params.clone());
        let hasher = match &config.pepper {
            Some(pepper) => hasher.with_pepper(pepper.clone()),
            None => hasher,
        };
        let pool = HashPool::new(
            config.max_concurrent_hashes,
            config.max_queued_hashes,
            hasher.blocks_per_hash(),
        );
        Self {
            store,
            mailer,
            clock: SystemClock,
            config,
            hasher: Arc::new(hasher),
            pool: Arc::new(pool),
            runner: Arc::new(Inline),
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
            pool: self.pool,
            runner: self.runner,
        }
    }

    /// The same portal running argon2 on `runner` (for example `TokioRunner`, feature
    /// `tokio`) instead of where its futures are polled ([`Inline`], the default).
    #[must_use]
    pub fn with_runner(self, runner: impl Runner + 'static) -> Self {
        Portal {
            runner: Arc::new(runner),
            ..self
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

    /// Whether every budget of the configuration holds ([`Config::check`]).
    ///
    /// # Errors
    /// [`Error::Config`] for a budget that does not hold.
    pub fn check_config(&self) -> Result<(), Error> {
        Ok(self.config.check()?)
    }

    /// The pseudonym under which the audit trail names this user ID (see [`crate::audit`]),
    /// for a help-desk search.
    #[must_use]
    pub fn audit_subject_of_user(&self, user_id: &UserId) -> String {
        user_subject(&self.config.secret_key, &user_id.key())
    }

    /// The pseudonym under which the audit trail names this insured person.
    #[must_use]
    pub fn audit_subject_of_insured(&self, insured: &InsuredKey) -> String {
        insured_subject(&self.config.secret_key, insured)
    }

    fn parse_email(&self, input: &str) -> Result<EmailAddress, EmailError> {
        let rules = EmailRules::new()
            .with_legacy_dots(self.config.accept_dot_atom_violations)
            .with_quoted(self.config.accept_quoted_local_parts);
        EmailAddress::parse_with(input, rules)
    }

    fn parse_registration(
        &self,
        form: &RegistrationForm,
    ) -> Result<(UserId, NewPassword, EmailAddress), Error> {
        let field = |field, kind| FieldError::new(field, kind);
        let user_id = UserId::parse(&form.user_id);
        let password = self
            .config
            .password_policy
            .check(&form.password, user_id.as_ref().ok())
            .map_err(|e| field(Field::Password, FieldErrorKind::Password(e)));
        let user_id = user_id.map_err(|e| field(Field::UserId, FieldErrorKind::UserId(e)));
        let email = self
            .parse_email(&form.email)
            .map_err(|e| field(Field::Email, FieldErrorKind::Email(e)));
        join3(user_id, password, email).map_err(Error::Registration)
    }

    fn resend_rules(&self) -> ResendRules {
        ResendRules {
            cooldown: self.config.code_resend_cooldown,
            max_sends: self.config.code_max_sends,
            validity: self.config.code_validity,
        }
    }
}

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// Spends one attempt from the budget `key` (before the attempt is evaluated), or refuses
    /// with the member's error for that budget. Refusals go to the audit trail.
    async fn spend(&self, key: CounterKey, subject: &str) -> Result<(), Error> {
        let now = self.clock.now();
        let gate = self
            .store
            .acquire_attempt(&key, now, self.config.policy(&key))
            .await
            .map_err(store_error)?;
        let budget = key.budget();
        match gate {
            AttemptGate::Allowed => return Ok(()),
            AttemptGate::Locked { retry_after } => {
                let retry_after_s = retry_after.as_secs();
                audit!(WARN, "locked", budget, subject, retry_after_s);
            }
            AttemptGate::AtCeiling => audit!(WARN, "ceiling_reached", budget, subject),
        }
        Err(refusal(&key, gate, now))
    }

    /// Permits and memory for argon2 runs of up to `blocks` blocks, waited for if need be, or
    /// [`Error::Busy`] at once past the queue. Every flow takes this before it spends a budget,
    /// so that a refusal for lack of capacity costs the member nothing.
    async fn reserve_argon2(&self, blocks: usize) -> Result<Reservation, Error> {
        self.pool.reserve(blocks).await.map_err(hashing_refused)
    }

    /// Runs `job` in the reserved memory on the host's runner; gives the reservation back for
    /// another run.
    async fn argon2<T: Send + 'static>(
        &self,
        reservation: Reservation,
        job: impl FnOnce(&PasswordHasher, &mut [Block]) -> T + Send + 'static,
    ) -> Result<(T, Reservation), Error> {
        let hasher = Arc::clone(&self.hasher);
        reservation
            .run(self.runner.as_ref(), move |memory| job(&hasher, memory))
            .await
            .map_err(hashing_refused)
    }

    /// Hashes a new password with the live parameters.
    async fn hash_password(
        &self,
        password: Zeroizing<String>,
        reservation: Reservation,
    ) -> Result<(PasswordHash, Reservation), Error> {
        let (hash, reservation) = self
            .argon2(reservation, move |hasher, memory| {
                hasher.hash_with(password.as_bytes(), memory)
            })
            .await?;
        Ok((hash?, reservation))
    }

    /// What a verify of `stored` will run against: the stored hash, or — when there is nothing
    /// to verify against (`None`) or the stored hash may not be run — the dummy hash, at the
    /// same cost.
    fn verify_target(&self, stored: Option<&PasswordHash>) -> Result<VerifyTarget, Error> {
        Ok(
            match stored.map(|stored| self.hasher.parse_stored(stored)) {
                // Within the hasher's limit but beyond the pool's memory (the parameters were
                // lowered, or fewer hashes run at once): refused as too costly, like a wrong
                // password, and not with a hashing error at once that tells the account exists.
                Some(Ok(hash)) if !self.pool.can_hold(hash.blocks()) => VerifyTarget {
                    hash: self.dummy()?,
                    verdict: Some(Verified::Refused("cost_too_high")),
                },
                Some(Ok(hash)) => VerifyTarget {
                    hash,
                    verdict: None,
                },
                Some(Err(HashError::CostTooHigh)) => VerifyTarget {
                    hash: self.dummy()?,
                    verdict: Some(Verified::Refused("cost_too_high")),
                },
                Some(Err(error)) => return Err(Error::Hashing(error)),
                None => VerifyTarget {
                    hash: self.dummy()?,
                    verdict: Some(Verified::Dummy),
                },
            },
        )
    }

    /// Verifies `password` against `target` and says whether it matched, or why it was not
    /// run against a real hash.
    async fn verify_password(
        &self,
        password: Zeroizing<String>,
        target: VerifyTarget,
        reservation: Reservation,
    ) -> Result<(Verified, Reservation), Error> {
        let VerifyTarget { hash, verdict } = target;
        let (matched, reservation) = self
            .argon2(reservation, move |hasher, memory| {
                hasher.verify_with(&password, &hash, memory)
            })
            .await?;
        let matched = matched?;
        Ok((verdict.unwrap_or(Verified::Checked(matched)), reservation))
    }

    /// How `insured`'s union brands its mails.
    fn branding_of(&self, insured: &InsuredKey) -> &Branding {
        self.config.branding.for_insurer(insured.insurer_code())
    }

    /// Whether the account's insured person is on the roster, covered now, and still the
    /// person who registered it ([`Account::is_held_by`]).
    async fn is_covered(&self, account: &Account) -> Result<bool, Error> {
        let now = self.clock.now();
        Ok(self
            .store
            .find_insured(&account.insured_key)
            .await
            .map_err(store_error)?
            .is_some_and(|record| account.is_held_by(&record) && record.is_covered_at(now)))
    }

    /// The account, if its insured person is covered: for the flows that must treat an account
    /// whose person left the roster as one that does not exist. The roster is read whether or
    /// not there is an account, so that an unknown user ID costs the store what a known one
    /// does (a reset request answers both alike, in time too).
    async fn covered(&self, account: Option<Account>) -> Result<Option<Account>, Error> {
        let Some(account) = account else {
            self.store
                .find_insured(&InsuredKey::placeholder())
                .await
                .map_err(store_error)?;
            return Ok(None);
        };
        Ok(self.is_covered(&account).await?.then_some(account))
    }

    fn dummy(&self) -> Result<StoredHash, Error> {
        Ok(self.hasher.parse_stored(self.hasher.dummy())?)
    }

    async fn clear(&self, key: CounterKey) -> Result<(), Error> {
        self.store.clear_attempts(&key).await.map_err(store_error)
    }

    /// The account of `user_id` as the member typed it: user IDs are unique case-insensitively,
    /// but a login or reset names the account only with the exact spelling it registered.
    async fn find_account_exactly(&self, user_id: &UserId) -> Result<Option<Account>, Error> {
        Ok(self
            .store
            .find_account(&user_id.key())
            .await
            .map_err(store_error)?
            .filter(|account| account.user_id.as_str() == user_id.as_str()))
    }

    /// Clears what a user ID's member (or the help desk for them) proved: the login and reset
    /// budgets.
    async fn clear_account_budgets(&self, user_key: &UserKey) -> Result<(), Error> {
        for key in [
            CounterKey::Login(user_key.clone()),
            CounterKey::ResetCode(user_key.clone()),
            CounterKey::ResetRequest(user_key.clone()),
        ] {
            self.clear(key).await?;
        }
        Ok(())
    }

    /// Counts an identity check of this insured person (before making it) and makes it:
    /// whether the roster holds someone matching all five fields.
    async fn check_identity(
        &self,
        identity: &InsuredIdentity,
        flow: IdentityFlow,
    ) -> Result<bool, Error> {
        let insured = identity.key();
        let subject = self.audit_subject_of_insured(insured);
        self.spend(CounterKey::Identity(insured.clone()), &subject)
            .await?;
        let record = self
            .store
            .find_insured(insured)
            .await
            .map_err(store_error)?;
        let now = self.clock.now();
        let covered = record
            .as_ref()
            .is_some_and(|record| record.is_covered_at(now));
        let diagnostic = record.map(|record| record.diagnose(identity));
        // Someone whose coverage ended is, to the portal, no longer on the roster.
        let matched = covered && diagnostic.is_some_and(|diagnostic| diagnostic.is_match());
        let differs = match diagnostic {
            None => "not on the roster".to_owned(),
            Some(_) if !covered => "coverage ended".to_owned(),
            Some(diagnostic) => diagnostic.to_string(),
        };
        audit!(
            INFO,
            "identity_checked",
            subject,
            insurer = insured.insurer_code(),
            flow = flow.name(),
            matched,
            differs
        );
        Ok(matched)
    }

    /// Spends one registration mail of the sign-up ticket's budget and of the insured
    /// person's, or refuses.
    async fn spend_registration_mail(
        &self,
        ticket: TicketId,
        insured: &InsuredKey,
    ) -> Result<(), Error> {
        let subject = self.audit_subject_of_insured(insured);
        self.spend(CounterKey::SignupMail(ticket), &subject).await?;
        self.spend(CounterKey::RegistrationMail(insured.clone()), &subject)
            .await
    }

    /// Issues a code for a new challenge and stores the challenge, voiding the owner's older
    /// challenge of the same purpose.
    async fn open_challenge(
        &self,
        purpose: Purpose,
        owner: ChallengeOwner,
        payload: ChallengePayload,
        now: SystemTime,
    ) -> Result<(TicketId, OtpCode), Error> {
        let id = TicketId::random()?;
        let (code, challenge) = CodeChallenge::issue(
            &self.config.secret_key,
            id,
            purpose,
            now,
            self.config.code_validity,
            &mut random::os(),
        )
        .map_err(|_| RandomError)?;
        self.store
            .insert_challenge(ChallengeRecord {
                code: challenge,
                owner,
                payload,
            })
            .await
            .map_err(store_error)?;
        Ok((id, code))
    }

    /// Sends `mail`; a failure goes to the audit trail and comes back for the caller to decide
    /// whether the member may learn of it.
    async fn send(&self, mail: Mail) -> Result<(), Error> {
        let kind = mail.kind;
        self.mailer.send(mail).await.map_err(|error| {
            audit!(ERROR, "mail_failed", kind = ?kind, error = %error);
            mail_error(error)
        })
    }

    /// Mails to `to` the code of the challenge just opened for `purpose` (as
    /// [`open_challenge`](Self::open_challenge) answered), audited for `subject`; the
    /// challenge's id. No code that never arrived stays live: if the mail fails, the challenge
    /// is withdrawn. If that fails too, the code expires anyway; the mail error is the one to
    /// report.
    async fn mail_new_code(
        &self,
        purpose: Purpose,
        (id, code): (TicketId, OtpCode),
        to: EmailAddress,
        branding: &Branding,
        subject: String,
    ) -> Result<TicketId, Error> {
        let mail = Mail::code_mail(purpose, to, &code, self.config.code_validity, branding);
        drop(code);
        if let Err(error) = self.send(mail).await {
            let _ = self.store.delete_challenge(id).await;
            return Err(error);
        }
        let purpose = purpose_name(purpose);
        audit!(INFO, "code_issued", purpose, subject);
        Ok(id)
    }

    /// The unconsumed challenge `id`, if it is one of `purpose`: a ticket of another flow is
    /// as gone as a consumed one.
    async fn challenge_for(
        &self,
        id: TicketId,
        purpose: Purpose,
    ) -> Result<ChallengeRecord, Error> {
        self.store
            .find_challenge(id)
            .await
            .map_err(store_error)?
            .filter(|record| record.code.purpose == purpose)
            .ok_or(Error::ChallengeGone)
    }

    /// [`check_code`](Self::check_code) for an entry as typed: one not of the shape of
    /// `purpose`'s codes is refused with [`Error::CodeFormat`] before anything is counted.
    async fn check_entered_code(
        &self,
        id: TicketId,
        code: &str,
        purpose: Purpose,
    ) -> Result<ChallengeRecord, Error> {
        let typed = parse_code(code, purpose)?;
        self.check_code(id, &typed, purpose).await
    }

    /// Counts an entry of `typed` against challenge `id` (before comparing it) and judges it;
    /// a code judged expired is voided for good.
    async fn check_code(
        &self,
        id: TicketId,
        typed: &TypedCode,
        purpose: Purpose,
    ) -> Result<ChallengeRecord, Error> {
        let now = self.clock.now();
        let record = self
            .store
            .count_code_attempt(id)
            .await
            .map_err(store_error)?
            .filter(|record| record.code.purpose == purpose)
            .ok_or(Error::ChallengeGone)?;
        let purpose = purpose_name(purpose);
        match record.code.check(
            &self.config.secret_key,
            typed,
            now,
            self.config.code_max_attempts,
        ) {
            Verdict::Accepted => {
                audit!(INFO, "code_accepted", purpose);
                Ok(record)
            }
            Verdict::Wrong { remaining } => {
                audit!(INFO, "code_wrong", purpose, remaining);
                Err(Error::CodeMismatch { remaining })
            }
            Verdict::Expired => {
                let judged = record.code.code_mac;
                self.store
                    .update_code(id, |code| code.void(&judged))
                    .await
                    .map_err(store_error)?;
                audit!(INFO, "code_expired", purpose);
                Err(Error::CodeExpired)
            }
            Verdict::AttemptsExhausted => {
                audit!(WARN, "code_exhausted", purpose);
                Err(Error::CodeAttemptsExhausted)
            }
        }
    }

    /// Step 1-2, first authentication (初回認証): checks the five fields against the roster.
    ///
    /// Each check counts against the insured person's identity budget before it is made;
    /// a match clears it.
    ///
    /// # Errors
    /// [`Error::Form`] lists every malformed field; [`Error::IdentityNotConfirmed`] when no roster
    /// entry matches all five (never saying which differed); [`Error::TooManyAttempts`] once
    /// [`Config::identity_max_failures`] checks in a row failed, for a lock that lengthens as
    /// failures go on; [`Error::AlreadyRegistered`] when the person already has a user ID.
    /// An account of the same insured key that someone born on another date registered (the
    /// insurer gave the number to this person later: [`Account::is_held_by`]) is deleted
    /// instead, and the person may register.
    pub async fn authenticate_insured(&self, form: &IdentityForm) -> Result<SignupTicket, Error> {
        let now = self.clock.now();
        let identity = InsuredIdentity::parse_as_of(form, now)?;
        if !self
            .check_identity(&identity, IdentityFlow::FirstAuthentication)
            .await?
        {
            return Err(Error::IdentityNotConfirmed);
        }
        self.clear(CounterKey::Identity(identity.key().clone()))
            .await?;
        if let Some(account) = self
            .store
            .find_account_by_insured(identity.key())
            .await
            .map_err(store_error)?
        {
            if account.was_registered_by(identity.key(), identity.birth_date()) {
                return Err(Error::AlreadyRegistered);
            }
            self.retire(&account).await?;
        }
        let id = TicketId::random()?;
        self.store
            .insert_signup(SignupRecord {
                id,
                insured_key: identity.key().clone(),
                birth_date: identity.birth_date(),
                expires_at: later(now, self.config.signup_validity),
            })
            .await
            .map_err(store_error)?;
        Ok(SignupTicket::new(id))
    }

    /// Deletes the account of an insured key that the roster now gives to someone else (the
    /// person who just proved all five fields of it): it can never log in again, and it stands
    /// in the way of the new holder's registration.
    async fn retire(&self, account: &Account) -> Result<(), Error> {
        let user_key = account.user_id.key();
        self.store
            .delete_account(&user_key)
            .await
            .map_err(store_error)?;
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(
            WARN,
            "account_retired",
            subject,
            user_id = account.user_id.as_str(),
            reason = "insured_person_changed"
        );
        Ok(())
    }

    /// Step 1-3, user-ID registration (作成する): validates the form, hashes the password and
    /// mails a six-digit code to the address, voiding any earlier pending registration of the
    /// same ticket.
    ///
    /// "This person already has an account" is checked before "this user ID is taken", so that
    /// a ticket is no oracle for which user IDs exist. Every attempt that gets as far as the
    /// user ID, taken or not, counts against the ticket's and the insured person's
    /// registration-mail budgets ([`Config::code_max_sends`], then locks that lengthen), and a
    /// taken one against the insured person's identity budget as well: one person learns
    /// whether a user ID is taken at most five times per lock, however many tickets they get.
    ///
    /// # Errors
    /// [`Error::SignupExpired`]; [`Error::Registration`] listing every bad field;
    /// [`Error::AlreadyRegistered`]; [`Error::UserIdTaken`]; [`Error::TooManyAttempts`];
    /// [`Error::ResendLimitReached`] once the ticket sent [`Config::code_max_sends`] mails;
    /// [`Error::Mail`] (the code is then withdrawn); [`Error::Store`], [`Error::Hashing`].
    pub async fn begin_registration(
        &self,
        ticket: &SignupTicket,
        form: &RegistrationForm,
    ) -> Result<PendingRegistration, Error> {
        let now = self.clock.now();
        let signup = self.live_signup(ticket.id(), now).await?;
        let (user_id, password, email) = self.parse_registration(form)?;
        if self
            .store
            .find_account_by_insured(&signup.insured_key)
            .await
            .map_err(store_error)?
            .is_some()
        {
            return Err(Error::AlreadyRegistered);
        }
        let reservation = self.reserve_argon2(self.hasher.blocks_per_hash()).await?;
        // Spent before the user ID is looked up, taken or not: a member can always get a new
        // ticket for their own identity (which also clears its identity budget), so only the
        // insured person's mail budget bounds how many user IDs one person can test.
        self.spend_registration_mail(signup.id, &signup.insured_key)
            .await?;
        if self
            .store
            .find_account(&user_id.key())
            .await
            .map_err(store_error)?
            .is_some()
        {
            let subject = self.audit_subject_of_insured(&signup.insured_key);
            self.spend(CounterKey::Identity(signup.insured_key.clone()), &subject)
                .await?;
            return Err(Error::UserIdTaken);
        }
        let (password_hash, _) = self
            .hash_password(password.into_secret(), reservation)
            .await?;
        let subject = self.audit_subject_of_insured(&signup.insured_key);
        let branding = self.branding_of(&signup.insured_key);
        let payload = ChallengePayload::Registration(NewAccount {
            user_id,
            insured_key: signup.insured_key,
            birth_date: signup.birth_date,
            email: email.clone(),
            password_hash,
        });
        let purpose = Purpose::Registration;
        let opened = self
            .open_challenge(purpose, ChallengeOwner::Signup(signup.id), payload, now)
            .await?;
        let id = self
            .mail_new_code(purpose, opened, email, branding, subject)
            .await?;
        Ok(PendingRegistration::new(id))
    }

    /// The sign-up record of ticket `id` while it lasts at `now`; [`Error::SignupExpired`]
    /// once it is over or gone.
    async fn live_signup(&self, id: TicketId, now: SystemTime) -> Result<SignupRecord, Error> {
        self.store
            .find_signup(id)
            .await
            .map_err(store_error)?
            .filter(|signup| now < signup.expires_at)
            .ok_or(Error::SignupExpired)
    }

    /// Mails a new registration code, voiding the old one. Not sooner than
    /// [`Config::code_resend_cooldown`] after the last send, at most [`Config::code_max_sends`]
    /// sends; the wrong-entry count carries over, and every send counts against the ticket's
    /// and the insured person's registration-mail budgets. Only while the sign-up ticket
    /// lasts ([`Config::signup_validity`]): after it, the member starts again.
    ///
    /// # Errors
    /// [`Error::SignupExpired`] once the ticket is over;
    /// [`Error::ResendTooSoon`], [`Error::ResendLimitReached`], [`Error::TooManyAttempts`],
    /// [`Error::CodeAttemptsExhausted`], [`Error::ChallengeGone`], [`Error::Mail`],
    /// [`Error::Store`].
    pub async fn resend_code(&self, pending: &PendingRegistration) -> Result<(), Error> {
        let record = self
            .challenge_for(pending.id(), Purpose::Registration)
            .await?;
        let (ChallengePayload::Registration(new_account), ChallengeOwner::Signup(ticket)) =
            (&record.payload, &record.owner)
        else {
            return Err(Error::ChallengeGone);
        };
        // The ticket's mail ceiling is counted only while the ticket lasts: past it, no more
        // mails for the ticket at all.
        self.live_signup(*ticket, self.clock.now()).await?;
        let insured = &new_account.insured_key;
        let branding = self.branding_of(insured);
        let resend = Resend {
            budgets: [
                CounterKey::SignupMail(*ticket),
                CounterKey::RegistrationMail(insured.clone()),
            ]
            .into(),
            subject: self.audit_subject_of_insured(insured),
            mail: &|code: &OtpCode, validity| {
                let to = new_account.email.clone();
                Mail::code_mail(Purpose::Registration, to, code, validity, branding)
            },
        };
        self.resend_challenge(pending.id(), &record, resend).await
    }

    /// How long until the code `pending` waits for may be sent again (zero if it may be now), in
    /// whole seconds rounded up: what a code screen shows beside its resend button, in
    /// `as_secs()`, read from the store by the same rule
    /// [`resend_code`](Self::resend_code) and
    /// [`resend_email_change_code`](Self::resend_email_change_code) apply. It changes nothing
    /// and spends no budget; whether a resend is still within [`Config::code_max_sends`] is
    /// the resend's answer.
    ///
    /// ```
    /// # pollster::block_on(async {
    /// use std::time::Duration;
    /// use kenpo_auth::{BirthDate, Config, HashParams, IdentityForm, InsuredRecord, ManualClock};
    /// use kenpo_auth::{MemoryStore, Portal, RecordingMailer, RegistrationForm};
    ///
    /// let store = MemoryStore::new();
    /// let birth = BirthDate::new(1980, 4, 1)?;
    /// store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ")?);
    /// let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
    /// let clock = ManualClock::new(std::time::SystemTime::now());
    /// let portal = Portal::new(store, RecordingMailer::new(), config).with_clock(clock.clone());
    /// # let form = IdentityForm {
    /// #     insurer_code: "06139999".into(), symbol: "12".into(), number: "345".into(),
    /// #     birth_date: "1980-04-01".into(), name_kana: "ケンポ ハナコ".into(),
    /// # };
    /// # let ticket = portal.authenticate_insured(&form).await?;
    /// # let form = RegistrationForm {
    /// #     user_id: "NGK000123".into(), password: "Sakura#2024x".into(),
    /// #     email: "hanako@example.co.jp".into(),
    /// # };
    /// let pending = portal.begin_registration(&ticket, &form).await?;
    /// clock.advance(Duration::from_secs(45));
    /// assert_eq!(portal.resend_wait(&pending).await?, Duration::from_secs(15));
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::ChallengeGone`] (confirmed, cancelled, purged or replaced), [`Error::Store`].
    pub async fn resend_wait(&self, pending: &impl ResendableTicket) -> Result<Duration, Error> {
        let (id, purpose) = pending.challenge();
        let record = self.challenge_for(id, purpose).await?;
        let cooldown = self.config.code_resend_cooldown;
        let wait = record.code.resend_wait(self.clock.now(), cooldown);
        Ok(whole_seconds_up(wait))
    }

    /// Mails a new code for challenge `id` (whose `record` was just read), voiding the old one:
    /// not sooner than [`Config::code_resend_cooldown`] after the last send, at most
    /// [`Config::code_max_sends`] sends, the wrong-entry count carried over, and every send
    /// spending the resend's budgets.
    async fn resend_challenge(
        &self,
        id: TicketId,
        record: &ChallengeRecord,
        resend: Resend<'_>,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        if record.code.attempts >= self.config.code_max_attempts {
            return Err(Error::CodeAttemptsExhausted);
        }
        // The rule is applied once here to spend no mail budget on a refused resend, and again
        // inside the store's atomic update, which is what counts.
        let rules = self.resend_rules();
        let mut preview = record.code.clone();
        resend_outcome(preview.resend(now, record.code.code_mac.clone(), rules))?;
        for budget in resend.budgets {
            self.spend(budget, &resend.subject).await?;
        }
        let (code, code_mac) = record
            .code
            .reissue(&self.config.secret_key, &mut random::os())
            .map_err(|_| RandomError)?;
        let outcome = self
            .store
            .update_code(id, |code| code.resend(now, code_mac, rules))
            .await
            .map_err(store_error)?
            .ok_or(Error::ChallengeGone)?;
        resend_outcome(outcome)?;
        let mail = (resend.mail)(&code, self.config.code_validity);
        drop(code);
        self.send(mail).await?;
        let subject = resend.subject;
        let purpose = purpose_name(record.code.purpose);
        audit!(INFO, "code_issued", purpose, subject, resend = true);
        Ok(())
    }

    /// Step 1-4: the member enters the mailed code; the account is created and the sign-up
    /// ticket is used up.
    ///
    /// The entry is counted before the code is compared. A code is accepted once, within
    /// [`Config::code_validity`] of its issue, and only while no more than
    /// [`Config::code_max_attempts`] entries came before it; a code judged expired stays dead.
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
            .check_entered_code(pending.id(), code, Purpose::Registration)
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
            RegistrationOutcome::Created => {
                self.clear(CounterKey::Identity(new_account.insured_key.clone()))
                    .await?;
                self.clear(CounterKey::RegistrationMail(new_account.insured_key))
                    .await?;
                audit!(
                    INFO,
                    "registration_completed",
                    user_id = new_account.user_id.as_str()
                );
                Ok(new_account.user_id)
            }
            RegistrationOutcome::UserIdTaken => Err(Error::UserIdTaken),
            RegistrationOutcome::InsuredHasAccount => Err(Error::AlreadyRegistered),
            RegistrationOutcome::ChallengeGone => Err(Error::ChallengeGone),
        }
    }

    /// Step 1-5, login with user ID and password.
    ///
    /// Every login with a well-formed user ID counts against that user ID's budget before the
    /// password is checked, whether or not an account holds it: after
    /// [`Config::login_max_failures`] consecutive failures the user ID is locked for
    /// [`Config::login_lockout`], each later lock twice as long (up to [`Config::max_lockout`]);
    /// after [`Config::login_failure_ceiling`] only a password reset or the help desk
    /// ([`Portal::unlock_account`]) lets it in again. Time never resets the count; a success
    /// does. An unknown user ID, a password over 1,024 bytes and a stored hash too costly to
    /// run all spend one argon2 run against a dummy hash and answer exactly like a wrong
    /// password. A success rehashes a hash made with outdated parameters and records the time
    /// of the login ([`Account::last_login_at`]). An account whose insured person is no longer
    /// covered fails with [`Error::CoverageEnded`], told only once the password checked out.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`], [`Error::AccountLocked`], [`Error::LoginSuspended`],
    /// [`Error::CoverageEnded`], [`Error::Busy`], [`Error::Store`], [`Error::Hashing`].
    pub async fn login(&self, user_id: &str, password: &str) -> Result<LoginSuccess, Error> {
        Ok(self.log_in(user_id, password).await?.0)
    }

    /// [`login`](Self::login), and the stamp of the session it starts, made from the account
    /// as the password was checked against it (see [`Portal::login_with_stamp`]).
    async fn log_in(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<(LoginSuccess, SessionStamp), Error> {
        let Ok(user_id) = UserId::parse(user_id) else {
            let password = self.config.password_policy.normalize_for_login(password);
            let target = self.verify_target(None)?;
            let reservation = self.reserve_argon2(target.blocks()).await?;
            self.verify_password(password, target, reservation).await?;
            audit!(INFO, "login_failed", reason = "malformed_user_id");
            return Err(Error::AuthenticationFailed);
        };
        let Proven {
            account,
            password,
            reservation,
        } = self.prove_password(&user_id, password).await?;
        let user_key = user_id.key();
        let mut current_hash = account.password_hash.clone();
        if self.hasher.needs_rehash(&account.password_hash) {
            // The same permits and memory: a login that succeeded is never answered `Busy`.
            let (upgraded, _) = self.hash_password(password, reservation).await?;
            let stored = self
                .store
                .update_password_hash(&user_key, &account.password_hash, upgraded.clone())
                .await
                .map_err(store_error)?;
            if stored {
                current_hash = upgraded;
            }
        }
        let stamp = self.stamp(&user_key, &current_hash, account.session_epoch);
        self.store
            .record_login(&user_key, self.clock.now())
            .await
            .map_err(store_error)?;
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(
            INFO,
            "login_succeeded",
            subject,
            user_id = account.user_id.as_str()
        );
        let success = LoginSuccess {
            terms_consent_required: account
                .terms_accepted
                .is_none_or(|accepted| accepted < self.config.terms_version),
            user_id: account.user_id,
        };
        Ok((success, stamp))
    }

    /// The password check of a login, and of the settings that ask for the current password:
    /// counted against the user ID's login budget before argon2 runs, the budget cleared once
    /// the password is right, and then the coverage of the account's person checked. An
    /// unknown user ID, a password over 1,024 bytes and a stored hash too costly to run all
    /// spend one argon2 run against a dummy hash and fail like a wrong password.
    async fn prove_password(&self, user_id: &UserId, password: &str) -> Result<Proven, Error> {
        // No policy accepts a password this long, so it can never match; it is cut before any
        // per-character work and still costs one (dummy) verify, as a wrong password does.
        let too_long = password.len() > PasswordPolicy::MAX_INPUT_BYTES;
        // The NIST preset stores passwords after NFKC; the manual's policy leaves them as typed.
        let password = self.config.password_policy.normalize_for_login(password);
        let user_key = user_id.key();
        let subject = user_subject(&self.config.secret_key, &user_key);
        let account = self.find_account_exactly(user_id).await?;
        let stored = account
            .as_ref()
            .filter(|_| !too_long)
            .map(|account| &account.password_hash);
        let target = self.verify_target(stored)?;
        // Capacity first: an attempt answered `Busy` is not a failed attempt.
        let reservation = self.reserve_argon2(target.blocks()).await?;
        self.spend(CounterKey::Login(user_key.clone()), &subject)
            .await?;
        let (verified, reservation) = self
            .verify_password(password.clone(), target, reservation)
            .await?;
        let reason = match (&account, verified) {
            (Some(_), Verified::Checked(true)) => None,
            (Some(_), Verified::Checked(false)) => Some("wrong_password"),
            (Some(_), Verified::Refused(reason)) => Some(reason),
            (Some(_), Verified::Dummy) => Some("too_long"),
            (None, _) => Some("unknown_user_id"),
        };
        let (None, Some(account)) = (reason, account) else {
            audit!(WARN, "login_failed", subject, reason);
            return Err(Error::AuthenticationFailed);
        };
        // The password is right: the budget is the member's again, whatever comes next.
        self.clear(CounterKey::Login(user_key)).await?;
        if !self.is_covered(&account).await? {
            audit!(WARN, "login_failed", subject, reason = "coverage_ended");
            return Err(Error::CoverageEnded);
        }
        Ok(Proven {
            account,
            password,
            reservation,
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
            .record_terms_acceptance(&user_id.key(), version)
            .await
            .map_err(store_error)?;
        if recorded {
            Ok(())
        } else {
            Err(Error::AccountNotFound)
        }
    }

    /// "Forgot password": mails a reset code (`XXXX-XXXX-XXXX`) to the registered address,
    /// voiding any earlier reset code of the user ID.
    ///
    /// The answer is the same whether or not the user ID exists, and whether or not the mail
    /// could be sent: a ticket. For a user ID without an account a decoy challenge is stored
    /// (at most one per user ID) that no code can ever complete, and nothing is mailed; a mail
    /// failure goes to the audit trail only. Requests count against the user ID's reset-mail
    /// budget ([`Config::reset_max_requests`]) before anything else.
    ///
    /// # Errors
    /// [`Error::UserId`] for a string that is not a user ID (nothing is stored);
    /// [`Error::TooManyAttempts`]; [`Error::Store`].
    pub async fn request_password_reset(
        &self,
        user_id: &str,
    ) -> Result<PasswordResetTicket, Error> {
        let user_id = UserId::parse(user_id)?;
        let user_key = user_id.key();
        let subject = user_subject(&self.config.secret_key, &user_key);
        let now = self.clock.now();
        self.spend(CounterKey::ResetRequest(user_key.clone()), &subject)
            .await?;
        // An account whose person is no longer covered gets a decoy, as an unknown ID does.
        let account = self
            .covered(self.find_account_exactly(&user_id).await?)
            .await?;
        let payload = if account.is_some() {
            ChallengePayload::PasswordReset
        } else {
            ChallengePayload::DecoyReset
        };
        let (id, code) = self
            .open_challenge(
                Purpose::PasswordReset,
                ChallengeOwner::Account(user_key),
                payload,
                now,
            )
            .await?;
        if let Some(account) = account {
            let branding = self.branding_of(&account.insured_key);
            let mail = Mail::code_mail(
                Purpose::PasswordReset,
                account.email,
                &code,
                self.config.code_validity,
                branding,
            );
            drop(code);
            // A code that never arrived is as good as a decoy: keep it, and answer as if it had
            // been sent, so that a mail failure does not tell which IDs exist.
            if self.send(mail).await.is_ok() {
                audit!(INFO, "code_issued", purpose = "password_reset", subject);
            }
        } else {
            audit!(INFO, "decoy_issued", purpose = "password_reset", subject);
        }
        Ok(PasswordResetTicket::new(id))
    }

    /// Sets a new password with the mailed reset code. Voids every other code of the account,
    /// and clears its login and reset budgets.
    ///
    /// Each entry counts against the user ID's reset-code budget
    /// ([`Config::code_failure_ceiling`], summed over all its challenges) before the code is
    /// compared; past it even the right code fails until the help desk unlocks the account.
    ///
    /// # Errors
    /// [`Error::Password`] (checked before the code is counted, and again against the user ID
    /// after it is accepted); [`Error::CodeFormat`], [`Error::CodeMismatch`],
    /// [`Error::CodeExpired`], [`Error::CodeAttemptsExhausted`], [`Error::ChallengeGone`],
    /// [`Error::ResetSuspended`]; [`Error::Store`], [`Error::Hashing`].
    pub async fn reset_password(
        &self,
        ticket: &PasswordResetTicket,
        code: &str,
        new_password: &str,
    ) -> Result<(), Error> {
        let policy = &self.config.password_policy;
        policy.check(new_password, None)?;
        let typed = parse_code(code, Purpose::PasswordReset)?;
        let owner = self
            .challenge_for(ticket.id(), Purpose::PasswordReset)
            .await?
            .owner;
        let ChallengeOwner::Account(user_key) = owner else {
            return Err(Error::ChallengeGone);
        };
        let subject = user_subject(&self.config.secret_key, &user_key);
        // Capacity first: an entry answered `Busy` costs no attempt.
        let reservation = self.reserve_argon2(self.hasher.blocks_per_hash()).await?;
        self.spend(CounterKey::ResetCode(user_key.clone()), &subject)
            .await?;
        let record = self
            .check_code(ticket.id(), &typed, Purpose::PasswordReset)
            .await?;
        let live_account = match record.payload {
            ChallengePayload::PasswordReset => {
                self.covered(
                    self.store
                        .find_account(&user_key)
                        .await
                        .map_err(store_error)?,
                )
                .await?
            }
            _ => None,
        };
        if live_account.is_none() {
            // A decoy (no code was ever mailed), or an account whose person left the roster
            // since: behave exactly like a wrong code.
            let remaining = self
                .config
                .code_max_attempts
                .saturating_sub(record.code.attempts);
            return Err(Error::CodeMismatch { remaining });
        }
        self.finish_reset(ticket.id(), &record, &user_key, new_password, reservation)
            .await
    }

    /// The end of a reset whose code was accepted: the policy with the user ID, the new hash,
    /// the atomic consumption, the budgets cleared.
    async fn finish_reset(
        &self,
        id: TicketId,
        record: &ChallengeRecord,
        user_key: &UserKey,
        new_password: &str,
        reservation: Reservation,
    ) -> Result<(), Error> {
        let account = self
            .store
            .find_account(user_key)
            .await
            .map_err(store_error)?
            .ok_or(Error::ChallengeGone)?;
        let password = self
            .config
            .password_policy
            .check(new_password, Some(&account.user_id))?;
        let (new_hash, _) = self
            .hash_password(password.into_secret(), reservation)
            .await?;
        if !self
            .store
            .complete_password_reset(id, &record.code.code_mac, new_hash)
            .await
            .map_err(store_error)?
        {
            return Err(Error::ChallengeGone);
        }
        self.clear_account_budgets(user_key).await?;
        audit!(INFO, "reset_completed", user_id = account.user_id.as_str());
        // The member is told, at the address of record, that the password changed (OWASP ASVS
        // 5.0 V6.3.7); a notice that could not be sent is in the audit trail.
        let branding = self.branding_of(&account.insured_key);
        let notice = Mail::password_changed(account.email, &account.user_id, branding);
        let _ = self.send(notice).await;
        Ok(())
    }

    /// "Forgot user ID": mails the user ID to the registered address when the five identity
    /// fields match and `email` is the registered address (ignoring ASCII case).
    ///
    /// The answer is the same whether or not anything matched, and whether or not the mail
    /// could be sent (a failure goes to the audit trail). Every request counts towards the
    /// insured person's identity budget, matched or not, so the budget reveals nothing either.
    ///
    /// # Errors
    /// [`Error::Form`], [`Error::Email`] for malformed input; [`Error::TooManyAttempts`];
    /// [`Error::Store`].
    pub async fn remind_user_id(&self, form: &IdentityForm, email: &str) -> Result<(), Error> {
        let identity = InsuredIdentity::parse_as_of(form, self.clock.now())?;
        let email = self.parse_email(email)?;
        let matched = self
            .check_identity(&identity, IdentityFlow::Reminder)
            .await?;
        let account = self
            .store
            .find_account_by_insured(identity.key())
            .await
            .map_err(store_error)?;
        if let Some(account) = account.filter(|account| {
            matched
                && account.was_registered_by(identity.key(), identity.birth_date())
                && account.email.as_str().eq_ignore_ascii_case(email.as_str())
        }) {
            let branding = self.branding_of(&account.insured_key);
            let mail = Mail::user_id_reminder(account.email, &account.user_id, branding);
            // The failure is in the audit trail; the member's answer must not differ.
            let _ = self.send(mail).await;
        }
        Ok(())
    }

    /// Housekeeping: deletes sign-ups and challenges that expired more than
    /// [`Config::purge_grace`] ago, and counters that limit nothing any more
    /// ([`Store::purge_expired`]), on the portal's own clock. Returns how many records went.
    ///
    /// Call it every hour or so from a timer in any one process (running it in several at
    /// once is harmless). Between calls the store only grows by the expired records of that
    /// hour; no budget ever depends on it.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        self.store
            .purge_expired(self.clock.now(), self.config.purge_grace)
            .await
            .map_err(store_error)
    }
}
