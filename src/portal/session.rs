//! Checking a logged-in member's session again on every request, so that it ends with the
//! credentials it was granted for ([`SessionStamp`] says why).

use crate::audit::{audit, user_subject};
use crate::clock::Clock;
use crate::error::{Error, store_error};
use crate::hashing::PasswordHash;
use crate::mail::Mailer;
use crate::session::{SessionStamp, Stamped};
use crate::store::Store;
use crate::user_id::{UserId, UserKey};

use super::{LoginSuccess, Portal, Proven};

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// [`login`](Self::login), and the stamp of the session it starts: keep it in the session
    /// beside the user ID and pass it to [`check_session`](Self::check_session) on every
    /// request. The stamp is made from the account exactly as the password was checked against
    /// it (the upgraded hash, if the login rehashed it), so that a password reset or an end of
    /// sessions that lands while the member logs in ends this session too. The other stamps
    /// that give a session a new one: [`change_password`](Self::change_password) and
    /// [`end_other_sessions`](Self::end_other_sessions).
    ///
    /// A login that rehashes a hash made with outdated argon2 parameters stores a new hash,
    /// and the member's other sessions end with the old one: once per member, at their first
    /// login after the parameters were raised.
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
    /// assert!(portal.check_session(&user_id, &stamp).await.is_ok());
    ///
    /// // A password change in another session ends this one; that session goes on under the
    /// // stamp the change returns, for twelve hours however busy.
    /// let (_, other) = portal.login_with_stamp("NGK000123", "Sakura#2024x").await.unwrap();
    /// let other = portal.change_password(&user_id, "Sakura#2024x", "Momiji(2025)z").await.unwrap();
    /// assert!(matches!(portal.check_session(&user_id, &stamp).await, Err(Error::SessionEnded)));
    /// assert!(portal.check_session(&user_id, &other).await.is_ok());
    /// clock.advance(Duration::from_secs(12 * 60 * 60));
    /// assert!(matches!(portal.check_session(&user_id, &other).await, Err(Error::SessionEnded)));
    /// # });
    /// ```
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub async fn login_with_stamp(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<(LoginSuccess, SessionStamp), Error> {
        self.log_in(user_id, password).await
    }

    /// The stamp of a session of the account with these credentials, issued now.
    pub(super) fn stamp(
        &self,
        user_key: &UserKey,
        password_hash: &PasswordHash,
        session_epoch: u64,
    ) -> SessionStamp {
        let stamped = Stamped {
            user_key,
            password_hash,
            session_epoch,
        };
        SessionStamp::issue(&self.config.secret_key, &stamped, self.clock.now())
    }

    /// Whether the session of `user_id` that holds `stamp` may go on: the account still
    /// exists with the password it had when the stamp was issued, its sessions were not ended
    /// since (its session epoch is the same), the stamp is younger than
    /// [`Config::session_lifetime`](crate::Config::session_lifetime), and the insured person is
    /// still covered. Call it on every request of a logged-in member (one or two store reads)
    /// and, on an error, end the session and show the error's message (ASVS 5.0 V7.4.1-2,
    /// V7.3.2). An example is at [`login_with_stamp`](Self::login_with_stamp).
    ///
    /// # Errors
    /// [`Error::SessionEnded`] if the password changed or was reset, the account is gone, the
    /// lifetime is over, or the help desk or the member ended the member's sessions
    /// ([`help_desk_end_sessions`](Self::help_desk_end_sessions),
    /// [`end_other_sessions`](Self::end_other_sessions)); [`Error::CoverageEnded`];
    /// [`Error::Store`].
    pub async fn check_session(&self, user_id: &UserId, stamp: &SessionStamp) -> Result<(), Error> {
        let account = self.find_account_exactly(user_id).await?;
        let now = self.clock.now();
        let user_key = user_id.key();
        let holds = account.as_ref().is_some_and(|account| {
            let stamped = Stamped {
                user_key: &user_key,
                password_hash: &account.password_hash,
                session_epoch: account.session_epoch,
            };
            let lifetime = self.config.session_lifetime;
            stamp.holds(&self.config.secret_key, &stamped, now, lifetime)
        });
        let Some(account) = account.filter(|_| holds) else {
            let subject = user_subject(&self.config.secret_key, &user_key);
            audit!(INFO, "session_ended", subject);
            return Err(Error::SessionEnded);
        };
        if !self.is_covered(&account).await? {
            return Err(Error::CoverageEnded);
        }
        Ok(())
    }

    /// The member ends every other session of theirs — a phone lost, a shared computer left
    /// logged in — after proving the password again (OWASP ASVS 5.0 V7.5.2, in part: listing
    /// the sessions one by one is for the host, which holds them). The password is checked as
    /// a login's is and counts against the same budget, so this gives no extra guesses, and
    /// without it nothing ends. Every session of the member ends, this one included: keep the
    /// stamp returned in this session instead of the old one, under a new session id (the
    /// session being ended may be a copy of this one). Every outstanding code of the account (a
    /// password reset, an e-mail change) is void, since an ended session may have begun it.
    /// The password stays as it is (change it too if it may be known).
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
    /// let (success, phone) = portal.login_with_stamp("NGK000123", "Sakura#2024x").await.unwrap();
    /// let user_id = success.user_id;
    /// // On the laptop, which keeps the stamp it is given:
    /// let laptop = portal.end_other_sessions(&user_id, "Sakura#2024x").await.unwrap();
    /// assert!(portal.check_session(&user_id, &laptop).await.is_ok());
    /// assert!(matches!(portal.check_session(&user_id, &phone).await, Err(Error::SessionEnded)));
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`] for a wrong password (and nothing ends);
    /// [`Error::AccountLocked`], [`Error::LoginSuspended`], [`Error::CoverageEnded`],
    /// [`Error::Busy`]; [`Error::SessionEnded`] if the account went meanwhile;
    /// [`Error::Store`], [`Error::Hashing`].
    pub async fn end_other_sessions(
        &self,
        user_id: &UserId,
        current_password: &str,
    ) -> Result<SessionStamp, Error> {
        let Proven { account, .. } = self.prove_password(user_id, current_password).await?;
        let user_key = user_id.key();
        let session_epoch = self
            .store
            .end_sessions(&user_key)
            .await
            .map_err(store_error)?
            .ok_or(Error::SessionEnded)?;
        let subject = user_subject(&self.config.secret_key, &user_key);
        audit!(INFO, "other_sessions_ended", subject);
        // The new epoch's stamp: should the password have changed meanwhile, it binds the old
        // hash and holds nowhere, which is the safe side.
        Ok(self.stamp(&user_key, &account.password_hash, session_epoch))
    }
}
