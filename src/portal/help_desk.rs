//! The help desk that members phone when they are locked out: find an account by the insured
//! person's key, see why it cannot log in, unlock it, delete it. Operators only: the host
//! puts these behind staff authentication. Every operation is an audit event.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::audit::{audit, insured_subject, user_subject};
use crate::clock::Clock;
use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::error::{Error, store_error};
use crate::identity::{CoverageEnd, InsuredKey};
use crate::mail::Mailer;
use crate::store::{Account, AttemptGate, CounterKey, Store};
use crate::user_id::{UserId, UserKey};

use super::Portal;

/// What the help desk sees of a member's account. The address is masked; nothing secret is
/// here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HelpDeskView {
    /// The user ID, as registered.
    pub user_id: UserId,
    /// The registered address with most of its local part hidden (`s****@example.co.jp`), for
    /// the operator to confirm with the member.
    pub masked_email: String,
    /// When the account was created.
    pub created_at: SystemTime,
    /// The last successful login, if any.
    pub last_login_at: Option<SystemTime>,
    /// How many times the member's sessions were ended all at once, by the help desk
    /// ([`Portal::help_desk_end_sessions`]) or by the member
    /// ([`Portal::end_other_sessions`]); the audit trail says when.
    pub session_epoch: u64,
    /// The newest terms of use accepted.
    pub terms_accepted: Option<TermsVersion>,
    /// Whether logins are locked, and why.
    pub login: LockState,
    /// Whether password-reset codes are suspended.
    pub reset_codes: LockState,
    /// Whether the insured person is covered.
    pub coverage: CoverageState,
}

/// A budget as the help desk sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LockState {
    /// The next attempt may go ahead; `failures` since the last success.
    Open {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Locked for `retry_after` more after `failures` consecutive failures; waiting (or an
    /// unlock) opens it.
    Locked {
        /// Consecutive failures.
        failures: u32,
        /// Time left on the lock.
        retry_after: Duration,
    },
    /// At the ceiling: only a password reset (for logins) or an unlock opens it.
    Suspended {
        /// Consecutive failures.
        failures: u32,
    },
}

/// Whether the insured person behind an account is covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "on", rename_all = "snake_case")]
pub enum CoverageState {
    /// On the roster, covered.
    Covered,
    /// Covered until this date (資格喪失日 still to come).
    Ends(CoverageEnd),
    /// Coverage ended on this date: the account cannot log in.
    Ended(CoverageEnd),
    /// No longer on the roster: the account cannot log in.
    OffRoster,
    /// The roster gives the insured key to someone born on another date than the member who
    /// registered ([`Account::is_held_by`](crate::store::Account::is_held_by)): the account
    /// cannot log in, and the new holder's first authentication deletes it. A correction of
    /// the birth date on the roster looks the same: the member then registers again.
    PersonChanged,
}

/// `s****@example.co.jp`: the first character of the local part and the domain.
fn mask(email: &EmailAddress) -> String {
    let address = email.as_str();
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    let first: String = local.chars().take(1).collect();
    format!("{first}****@{domain}")
}

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// The account of the insured person with this insurer code, symbol and number (as the
    /// member reads them off their card), or `None` if they have none.
    ///
    /// # Errors
    /// [`Error::Form`] for fields that are not a key; [`Error::Store`].
    pub async fn help_desk_find(
        &self,
        insurer_code: &str,
        symbol: &str,
        number: &str,
    ) -> Result<Option<HelpDeskView>, Error> {
        let key = InsuredKey::new(insurer_code, symbol, number)?;
        let subject = insured_subject(&self.config.secret_key, &key);
        let account = self
            .store
            .find_account_by_insured(&key)
            .await
            .map_err(store_error)?;
        audit!(WARN, "help_desk_lookup", subject, found = account.is_some());
        let Some(account) = account else {
            return Ok(None);
        };
        let user_key = account.user_id.key();
        let login = self.lock_state(CounterKey::Login(user_key.clone())).await?;
        let reset_codes = self.lock_state(CounterKey::ResetCode(user_key)).await?;
        let coverage = self.coverage_state(&account).await?;
        Ok(Some(HelpDeskView {
            masked_email: mask(&account.email),
            user_id: account.user_id,
            created_at: account.created_at,
            last_login_at: account.last_login_at,
            session_epoch: account.session_epoch,
            terms_accepted: account.terms_accepted,
            login,
            reset_codes,
            coverage,
        }))
    }

    /// Help desk, operators only (put it behind staff authentication): clears the account's
    /// login and reset budgets, after the member proved who they are by other means. The
    /// member can then log in (or reset the password) at once.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::Store`].
    pub async fn unlock_account(&self, user_id: &UserId) -> Result<(), Error> {
        let user_key = user_id.key();
        if self
            .store
            .find_account(&user_key)
            .await
            .map_err(store_error)?
            .is_none()
        {
            return Err(Error::AccountNotFound);
        }
        self.clear_account_budgets(&user_key).await?;
        audit!(WARN, "account_unlocked", user_id = user_id.as_str());
        Ok(())
    }

    /// Ends every session of `user_id` logged in until now, on every device: from the next
    /// request, [`check_session`](Self::check_session) answers [`Error::SessionEnded`] for
    /// each, and the member logs in again (OWASP ASVS 5.0 V7.4.5). For a member who reports a
    /// lost phone or a shared computer left logged in. The password stays as it is: if it may
    /// be known to someone else, the member resets it too, which also ends every session.
    /// What the ended sessions may have begun goes with them: every outstanding code of the
    /// account (a password reset, an e-mail change) is void. Sessions are ended by a count,
    /// not a time: a login after this call holds, whatever the host processes' clocks say. A
    /// member can do the same for themselves:
    /// [`end_other_sessions`](Self::end_other_sessions).
    ///
    /// ```
    /// # pollster::block_on(async {
    /// # use kenpo_auth::*;
    /// # use std::time::{Duration, SystemTime};
    /// # let store = MemoryStore::new();
    /// # let birth = BirthDate::new(1975, 3, 2).unwrap();
    /// # store.add_insured(InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap());
    /// # let mailer = RecordingMailer::new();
    /// # let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000));
    /// # let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
    /// # let portal = Portal::new(store, mailer.clone(), config).with_clock(clock.clone());
    /// # let identity = IdentityForm { insurer_code: "06139999".into(), symbol: "1234".into(),
    /// #     number: "567".into(), birth_date: "1975-03-02".into(), name_kana: "ケンポ ショウコ".into() };
    /// # let ticket = portal.authenticate_insured(&identity).await.unwrap();
    /// # let form = RegistrationForm { user_id: "NGK000123".into(), password: "Sakura#2024x".into(),
    /// #     email: "shoko@example.co.jp".into() };
    /// # let pending = portal.begin_registration(&ticket, &form).await.unwrap();
    /// # portal.confirm_registration(&pending, &mailer.last_code().unwrap()).await.unwrap();
    /// let (success, stamp) = portal.login_with_stamp("NGK000123", "Sakura#2024x").await.unwrap();
    /// let user_id = success.user_id;
    /// portal.help_desk_end_sessions(&user_id).await.unwrap();
    /// assert!(matches!(portal.check_session(&user_id, &stamp).await, Err(Error::SessionEnded)));
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::Store`].
    pub async fn help_desk_end_sessions(&self, user_id: &UserId) -> Result<(), Error> {
        let user_key = user_id.key();
        self.store
            .end_sessions(&user_key)
            .await
            .map_err(store_error)?
            .ok_or(Error::AccountNotFound)?;
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(WARN, "sessions_ended", subject, user_id = user_id.as_str());
        Ok(())
    }

    /// Deletes the account of `user_id` and its pending codes, at the member's request once
    /// the help desk confirmed who they are. The insured person can register again; the user
    /// ID's budgets stay.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::Store`].
    pub async fn help_desk_delete_account(&self, user_id: &UserId) -> Result<(), Error> {
        let user_key: UserKey = user_id.key();
        let deleted = self
            .store
            .delete_account(&user_key)
            .await
            .map_err(store_error)?;
        if !deleted {
            return Err(Error::AccountNotFound);
        }
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(WARN, "account_deleted", subject, user_id = user_id.as_str());
        Ok(())
    }

    async fn lock_state(&self, key: CounterKey) -> Result<LockState, Error> {
        let counter = self
            .store
            .find_counter(&key)
            .await
            .map_err(store_error)?
            .unwrap_or_default();
        let failures = counter.attempts;
        Ok(
            match counter.peek(self.clock.now(), &self.config.policy(&key)) {
                AttemptGate::Allowed => LockState::Open { failures },
                AttemptGate::Locked { retry_after } => LockState::Locked {
                    failures,
                    retry_after,
                },
                AttemptGate::AtCeiling => LockState::Suspended { failures },
            },
        )
    }

    async fn coverage_state(&self, account: &Account) -> Result<CoverageState, Error> {
        let now = self.clock.now();
        let record = self
            .store
            .find_insured(&account.insured_key)
            .await
            .map_err(store_error)?;
        Ok(match record {
            None => CoverageState::OffRoster,
            Some(record) if !account.is_held_by(&record) => CoverageState::PersonChanged,
            Some(record) => match record.coverage_end() {
                None => CoverageState::Covered,
                Some(end) if end.has_begun(now) => CoverageState::Ended(end),
                Some(end) => CoverageState::Ends(end),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_first_character_of_the_local_part() {
        let email = EmailAddress::parse("shoko@example.co.jp").unwrap();
        assert_eq!(mask(&email), "s****@example.co.jp");
        let short = EmailAddress::parse("a@example.jp").unwrap();
        assert_eq!(mask(&short), "a****@example.jp");
    }
}
