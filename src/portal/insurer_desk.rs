//! The help desk of one union: the same operations as the portal's help desk, refused for
//! accounts of other insurers. In a portal run for many unions, each union's staff get only
//! their own union's desk, so that one union's compromised or careless staff account cannot
//! unlock, log out or delete another union's members.

use std::fmt;

use crate::audit::{audit, user_subject};
use crate::clock::Clock;
use crate::error::{Error, store_error};
use crate::identity::{FormErrors, InsuredKey};
use crate::mail::Mailer;
use crate::store::Store;
use crate::user_id::UserId;

use super::{HelpDeskView, Portal};

/// The help desk of one insurer ([`Portal::help_desk_of`]): what
/// [`Portal::help_desk_find`], [`Portal::unlock_account`],
/// [`Portal::help_desk_end_sessions`] and [`Portal::help_desk_delete_account`] do, for the
/// accounts of that insurer's members only. An account of another insurer answers
/// [`Error::AccountNotFound`], as an account that does not exist, and is an audit event
/// (`help_desk_refused`).
///
/// The design's union-side rule (rosters, branding and the help desk are per insurer) is kept
/// here; the portal's own methods stay for the vendor's staff, who serve every union.
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
/// let member = UserId::parse("NGK000123").unwrap();
/// let own = portal.help_desk_of("06139999").unwrap();
/// assert!(own.unlock_account(&member).await.is_ok());
/// let other = portal.help_desk_of("06130001").unwrap();
/// assert!(matches!(other.unlock_account(&member).await, Err(Error::AccountNotFound)));
/// assert!(other.find("1234", "567").await.unwrap().is_none());
/// # });
/// ```
pub struct InsurerHelpDesk<'portal, S, M, C> {
    portal: &'portal Portal<S, M, C>,
    insurer_code: String,
}

impl<S, M, C> fmt::Debug for InsurerHelpDesk<'_, S, M, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsurerHelpDesk")
            .field("insurer_code", &self.insurer_code)
            .finish_non_exhaustive()
    }
}

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// The help desk of the insurer `insurer_code` (保険者番号, normalised as the form
    /// normalises it): the desk to hand a union's staff.
    ///
    /// # Errors
    /// [`Error::Form`] for an insurer code that is not one.
    pub fn help_desk_of(&self, insurer_code: &str) -> Result<InsurerHelpDesk<'_, S, M, C>, Error> {
        let insurer_code = InsuredKey::insurer_code_of(insurer_code)
            .map_err(|error| Error::Form(FormErrors::from(error)))?;
        Ok(InsurerHelpDesk {
            portal: self,
            insurer_code,
        })
    }
}

impl<S: Store, M: Mailer, C: Clock> InsurerHelpDesk<'_, S, M, C> {
    /// The insurer this desk serves.
    #[must_use]
    pub fn insurer_code(&self) -> &str {
        &self.insurer_code
    }

    /// [`Portal::help_desk_find`] within this insurer.
    ///
    /// # Errors
    /// [`Error::Form`] for fields that are not a key; [`Error::Store`].
    pub async fn find(&self, symbol: &str, number: &str) -> Result<Option<HelpDeskView>, Error> {
        self.portal
            .help_desk_find(&self.insurer_code, symbol, number)
            .await
    }

    /// [`Portal::unlock_account`], for an account of this insurer's members.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`] (also for another insurer's account); [`Error::Store`].
    pub async fn unlock_account(&self, user_id: &UserId) -> Result<(), Error> {
        self.serves(user_id, "unlock").await?;
        self.portal.unlock_account(user_id).await
    }

    /// [`Portal::help_desk_end_sessions`], for an account of this insurer's members.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`] (also for another insurer's account); [`Error::Store`].
    pub async fn end_sessions(&self, user_id: &UserId) -> Result<(), Error> {
        self.serves(user_id, "end_sessions").await?;
        self.portal.help_desk_end_sessions(user_id).await
    }

    /// [`Portal::help_desk_delete_account`], for an account of this insurer's members.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`] (also for another insurer's account); [`Error::Store`].
    pub async fn delete_account(&self, user_id: &UserId) -> Result<(), Error> {
        self.serves(user_id, "delete_account").await?;
        self.portal.help_desk_delete_account(user_id).await
    }

    /// Whether `user_id` is the account of one of this insurer's members; refused (and
    /// recorded) otherwise. An account's insurer never changes (its insured key is fixed at
    /// registration), so the check holds for the operation that follows it, unless within
    /// those milliseconds the account is deleted and its user ID registered anew by another
    /// insurer's member.
    async fn serves(&self, user_id: &UserId, operation: &'static str) -> Result<(), Error> {
        let user_key = user_id.key();
        let account = self
            .portal
            .store
            .find_account(&user_key)
            .await
            .map_err(store_error)?;
        match account {
            Some(account) if account.insured_key.insurer_code() == self.insurer_code => Ok(()),
            Some(_) => {
                let subject = user_subject(&self.portal.config.secret_key, &user_key);
                let insurer = self.insurer_code.as_str();
                audit!(WARN, "help_desk_refused", subject, insurer, operation);
                Err(Error::AccountNotFound)
            }
            None => Err(Error::AccountNotFound),
        }
    }
}
