//! What a logged-in member changes: the password, and the e-mail address (through a code
//! mailed to the new address). Not in the manual; standard in every portal.
//!
//! Both ask for the current password, which counts against the user ID's login budget as a
//! login does (OWASP ASVS 5.0 V6.2.3 / V7.5.1: re-authentication before changing the
//! credentials or the address that recovers them), so that a stolen session alone changes
//! nothing and cannot be used to guess the password faster than the login form allows.

use crate::audit::{audit, user_subject};
use crate::clock::Clock;
use crate::email::EmailAddress;
use crate::error::{Error, store_error};
use crate::mail::{Mail, Mailer};
use crate::otp::{OtpCode, Purpose};
use crate::session::SessionStamp;
use crate::store::{ChallengeOwner, ChallengePayload, CounterKey, Store};
use crate::ticket::PendingEmailChange;
use crate::user_id::UserId;

use super::{Portal, Proven, Resend};

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// The member changes their password: `current_password` is checked as a login's is (and
    /// counts against the same budget), `new_password` goes through the policy, and on success
    /// every outstanding code of the account dies — password resets, and e-mail changes that
    /// whoever had the old password may have begun — and a notice goes to the registered
    /// address. Every session of the member ends with the old password (OWASP ASVS
    /// 5.0 V7.4.3); the stamp returned keeps this one going: keep it in place of the old one.
    /// It is made from the hash stored and the session epoch the password was checked under,
    /// so that a reset or an end of sessions landing meanwhile ends this session too, and it
    /// starts a new [`Config::session_lifetime`](crate::Config::session_lifetime): the member
    /// just proved the password.
    ///
    /// `user_id` is the logged-in member's, as [`LoginSuccess::user_id`](crate::LoginSuccess)
    /// gave it.
    ///
    /// ```
    /// # pollster::block_on(async {
    /// # use kenpo_auth::*;
    /// # let store = MemoryStore::new();
    /// # let birth = BirthDate::new(1975, 3, 2).unwrap();
    /// # store.add_insured(InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap());
    /// # let mailer = RecordingMailer::new();
    /// # let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
    /// # let portal = Portal::new(store, mailer.clone(), config);
    /// # let identity = IdentityForm { insurer_code: "06139999".into(), symbol: "1234".into(),
    /// #     number: "567".into(), birth_date: "1975-03-02".into(), name_kana: "ケンポ ショウコ".into() };
    /// # let ticket = portal.authenticate_insured(&identity).await.unwrap();
    /// # let form = RegistrationForm { user_id: "NGK000123".into(), password: "Sakura#2024x".into(),
    /// #     email: "shoko@example.co.jp".into() };
    /// # let pending = portal.begin_registration(&ticket, &form).await.unwrap();
    /// # portal.confirm_registration(&pending, &mailer.last_code().unwrap()).await.unwrap();
    /// // Logged in as NGK000123 with Sakura#2024x:
    /// let user_id = portal.login("NGK000123", "Sakura#2024x").await.unwrap().user_id;
    /// let stamp = portal.change_password(&user_id, "Sakura#2024x", "Momiji(2025)z").await.unwrap();
    /// assert!(portal.check_session(&user_id, &stamp).await.is_ok());
    /// assert!(portal.login("NGK000123", "Momiji(2025)z").await.is_ok());
    /// assert_eq!(mailer.last().unwrap().subject, "【パスワード変更のお知らせ】");
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`Error::Password`] (checked first, nothing counted); [`Error::AuthenticationFailed`]
    /// for a wrong current password; [`Error::AccountLocked`], [`Error::LoginSuspended`],
    /// [`Error::CoverageEnded`], [`Error::Busy`]; [`Error::ChallengeGone`] if the password
    /// changed meanwhile (another device, a reset); [`Error::Store`], [`Error::Hashing`].
    pub async fn change_password(
        &self,
        user_id: &UserId,
        current_password: &str,
        new_password: &str,
    ) -> Result<SessionStamp, Error> {
        let new_password = self
            .config
            .password_policy
            .check(new_password, Some(user_id))?;
        let Proven {
            account,
            reservation,
            ..
        } = self.prove_password(user_id, current_password).await?;
        let (new_hash, _) = self
            .hash_password(new_password.into_secret(), reservation)
            .await?;
        let user_key = user_id.key();
        // This session's new stamp, from the hash stored and the epoch the password was checked
        // under: an end of sessions since then ends this one too.
        let stamp = self.stamp(&user_key, &new_hash, account.session_epoch);
        let changed = self
            .store
            .change_password(&user_key, &account.password_hash, new_hash)
            .await
            .map_err(store_error)?;
        if !changed {
            return Err(Error::ChallengeGone);
        }
        // The member proved the password: a suspended reset is theirs to use again.
        self.clear(CounterKey::ResetCode(user_key.clone())).await?;
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(
            INFO,
            "password_changed",
            subject,
            user_id = user_id.as_str()
        );
        let branding = self.branding_of(&account.insured_key);
        let notice = Mail::password_changed(account.email, &account.user_id, branding);
        // The change is done; a notice that could not be sent is in the audit trail.
        let _ = self.send(notice).await;
        Ok(stamp)
    }

    /// The member asks to change their e-mail address: `current_password` is checked as a
    /// login's is, and a six-digit code goes to `new_email`, valid for
    /// [`Config::code_validity`](crate::Config::code_validity). Each mail counts against the
    /// user ID's e-mail-change budget; a new request voids the previous one.
    ///
    /// # Errors
    /// [`Error::Email`] (checked first, nothing counted); as
    /// [`change_password`](Self::change_password) for the password;
    /// [`Error::TooManyAttempts`]; [`Error::SessionEnded`] if the password changed or the
    /// member's sessions were ended while this ran (the code is withdrawn unmailed);
    /// [`Error::Mail`] (the code is then withdrawn); [`Error::Store`].
    pub async fn begin_email_change(
        &self,
        user_id: &UserId,
        current_password: &str,
        new_email: &str,
    ) -> Result<PendingEmailChange, Error> {
        let new_email = self.parse_email(new_email)?;
        let Proven { account, .. } = self.prove_password(user_id, current_password).await?;
        let user_key = user_id.key();
        let subject = user_subject(&self.config.secret_key, &user_key);
        self.spend(CounterKey::EmailChange(user_key.clone()), &subject)
            .await?;
        let purpose = Purpose::EmailChange;
        let opened = self
            .open_challenge(
                purpose,
                ChallengeOwner::Account(user_key.clone()),
                ChallengePayload::EmailChange(new_email.clone()),
                self.clock.now(),
            )
            .await?;
        // A password change or an end of sessions that landed after the password checked out
        // voided the account's codes before this one was stored: it goes too, unmailed.
        let now = self
            .store
            .find_account(&user_key)
            .await
            .map_err(store_error)?;
        let unchanged = now.is_some_and(|now| {
            now.password_hash == account.password_hash && now.session_epoch == account.session_epoch
        });
        if !unchanged {
            let _ = self.store.delete_challenge(opened.0).await;
            return Err(Error::SessionEnded);
        }
        let branding = self.branding_of(&account.insured_key);
        let id = self
            .mail_new_code(purpose, opened, new_email, branding, subject)
            .await?;
        Ok(PendingEmailChange::new(id))
    }

    /// Mails a new e-mail-change code, voiding the old one, under the same rules as
    /// [`resend_code`](Self::resend_code).
    ///
    /// # Errors
    /// As [`resend_code`](Self::resend_code).
    pub async fn resend_email_change_code(
        &self,
        pending: &PendingEmailChange,
    ) -> Result<(), Error> {
        let record = self
            .challenge_for(pending.id(), Purpose::EmailChange)
            .await?;
        let (ChallengePayload::EmailChange(new_email), ChallengeOwner::Account(user_key)) =
            (&record.payload, &record.owner)
        else {
            return Err(Error::ChallengeGone);
        };
        let account = self
            .store
            .find_account(user_key)
            .await
            .map_err(store_error)?
            .ok_or(Error::ChallengeGone)?;
        let branding = self.branding_of(&account.insured_key);
        let resend = Resend {
            budgets: vec![CounterKey::EmailChange(user_key.clone())],
            subject: user_subject(&self.config.secret_key, user_key),
            mail: &|code: &OtpCode, validity| {
                let to = new_email.clone();
                Mail::code_mail(Purpose::EmailChange, to, code, validity, branding)
            },
        };
        self.resend_challenge(pending.id(), &record, resend).await
    }

    /// The member enters the code mailed to the new address: the account's address becomes
    /// the new one, and a notice goes to the old one. Returns the new address.
    ///
    /// # Errors
    /// [`Error::CodeFormat`] (not counted), [`Error::CodeMismatch`], [`Error::CodeExpired`],
    /// [`Error::CodeAttemptsExhausted`], [`Error::ChallengeGone`]; [`Error::Store`].
    pub async fn confirm_email_change(
        &self,
        pending: &PendingEmailChange,
        code: &str,
    ) -> Result<EmailAddress, Error> {
        let record = self
            .check_entered_code(pending.id(), code, Purpose::EmailChange)
            .await?;
        let (ChallengePayload::EmailChange(new_email), ChallengeOwner::Account(user_key)) =
            (record.payload, record.owner)
        else {
            return Err(Error::ChallengeGone);
        };
        let old_email = self
            .store
            .complete_email_change(pending.id(), &record.code.code_mac)
            .await
            .map_err(store_error)?
            .ok_or(Error::ChallengeGone)?;
        // The e-mail-change budget is not given back: a change finished to an address of the
        // member's own would otherwise reopen it for codes to anyone else's, without end.
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(INFO, "email_changed", subject);
        if let Some(account) = self
            .store
            .find_account(&user_key)
            .await
            .map_err(store_error)?
        {
            let branding = self.branding_of(&account.insured_key);
            let notice = Mail::email_changed(old_email, &account.user_id, branding);
            let _ = self.send(notice).await;
        }
        Ok(new_email)
    }
}
