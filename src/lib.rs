//! # kenpo-auth
//!
//! The sign-up and login rules of a Japanese health-insurance union's portal for insured
//! persons (被保険者), as a library with no I/O of its own. The host service owns HTTP,
//! sessions, the database and the mail server, and plugs them in through three traits:
//! [`Store`], [`Mailer`] and [`Clock`].
//!
//! ## What it does
//!
//! - **First authentication (初回認証)**: matches insurer code, symbol, number, birth date and a
//!   kana name typed any which way ([`kana`], [`identity`]) against the insurer's roster.
//! - **User-ID registration**: enforces the user-ID, password and e-mail rules ([`UserId`],
//!   [`PasswordPolicy`], [`EmailAddress`]), hashes with argon2id ([`PasswordHasher`]) and mails a
//!   six-digit code valid for ten minutes ([`otp`]).
//! - **Login** with lockout, **password reset**, **user-ID reminder**, **terms-of-use consent**.
//!
//! ## What it does not do
//!
//! No HTTP, no sessions or cookies, no SQL of its own, no SMTP: [`Portal`] returns values and
//! typed errors; what to render, where to keep a ticket and how to send a [`Mail`] is the host's.
//!
//! ## Quick start
//!
//! ```
//! # pollster::block_on(async {
//! use kenpo_auth::{
//!     BirthDate, Config, HashParams, IdentityForm, InsuredRecord, MemoryStore, Portal, RecordingMailer,
//!     RegistrationForm,
//! };
//!
//! // The insurer's roster.
//! let store = MemoryStore::new();
//! let birth = BirthDate::new(1975, 3, 2).unwrap();
//! store.add_insured(InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap());
//!
//! let mailer = RecordingMailer::new();
//! // Small argon2 parameters keep this example fast; production keeps the defaults.
//! let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
//! let portal = Portal::new(store, mailer.clone(), config);
//!
//! // 1-2: the name may be typed in hiragana, without voicing marks, without a space.
//! let identity = IdentityForm {
//!     insurer_code: "06139999".into(),
//!     symbol: "1234".into(),
//!     number: "567".into(),
//!     birth_date: "1975-03-02".into(),
//!     name_kana: "けんほしようこ".into(),
//! };
//! let ticket = portal.authenticate_insured(&identity).await.unwrap();
//!
//! // 1-3: choose credentials; a code is mailed.
//! let form = RegistrationForm {
//!     user_id: "NGK000123".into(),
//!     password: "Sakura#2024x".into(),
//!     email: "shoko@example.co.jp".into(),
//! };
//! let pending = portal.begin_registration(&ticket, &form).await.unwrap();
//! let code = mailer.last_code().unwrap(); // what the member reads in the mail
//!
//! // 1-4: enter the code; 1-5: log in; 1-6: accept the terms.
//! let user_id = portal.confirm_registration(&pending, &code).await.unwrap();
//! let login = portal.login("NGK000123", "Sakura#2024x").await.unwrap();
//! assert!(login.terms_consent_required);
//! portal.accept_terms(&user_id, portal.config().terms_version).await.unwrap();
//! # });
//! ```
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `sqlite` | `SqliteStore`: a [`Store`] on bundled SQLite, shareable by threads and processes (WAL, busy timeout, versioned schema). |
//! | `testkit` | `testkit`: a conformance suite any [`Store`] can run, and a tiny `block_on`. Outside SemVer. |
//!
//! ## Security notes
//!
//! The [`security`] manual has the threat model, the budgets with their worst cases measured
//! over simulated years, and what the host must add. In short:
//!
//! - Every attempt an attacker could repeat is counted atomically *before* it is evaluated,
//!   against budgets that time never resets: at most 100 wrong passwords and 100 wrong reset
//!   codes are ever evaluated against one account without a success by its member
//!   (NIST SP 800-63B rev. 4 §3.2.2).
//! - Codes are stored only as a keyed BLAKE2s MAC ([`Config::secret_key`]), compared in constant
//!   time, valid for ten minutes, accepted once; reset codes carry 60 bits.
//! - Unknown user IDs, mail failures and decoys answer exactly like the real thing.
//! - Every decision is a `tracing` event of the [`audit`] trail, never carrying a secret.
//! - Passwords, codes, keys and tickets print as `[REDACTED]` in `Debug`; the secret ones are
//!   zeroized on drop. Secrets come straight from the operating system's generator.

#![forbid(unsafe_code)]

pub mod kana;
// --- identity ---
mod birth_date;
mod era;
mod form_error;
pub mod identity;
mod kana_table;
// --- credentials ---
pub mod email;
pub mod hashing;
pub mod password;
pub mod user_id;
// --- portal ---
pub mod audit;
pub mod clock;
pub mod config;
pub mod error;
pub mod mail;
pub mod memory;
pub mod otp;
pub mod portal;
mod random;
pub mod scaling;
pub mod security;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_codec;
#[cfg(feature = "sqlite")]
mod sqlite_schema;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod throttle;
pub mod ticket;

// --- re-exports: kana & identity ---
pub use identity::{
    BirthDate, DateError, Field, FieldError, FieldErrorKind, FormErrors, IdentityForm,
    InsuredIdentity, InsuredKey, InsuredRecord, MatchDiagnostic,
};
pub use kana::{KanaName, NameError};
// --- re-exports: credentials ---
pub use email::{EmailAddress, EmailError, EmailRules};
pub use hashing::{HashError, HashParams, PasswordHash, PasswordHasher, Pepper};
pub use password::{NewPassword, PasswordError, PasswordPolicy, PasswordViolation};
pub use user_id::{UserId, UserIdError, UserKey};
// --- re-exports: portal ---
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError, SecretKey, TermsVersion};
pub use error::{Error, RegistrationErrors};
pub use mail::{Mail, MailKind, Mailer};
pub use memory::{MailerDown, MemoryStore, RecordingMailer};
pub use portal::{LoginSuccess, Portal, RegistrationForm};
pub use random::RandomError;
pub use store::Store;
// --- re-exports: sqlite ---
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteError, SqliteStore};
pub use ticket::{PasswordResetTicket, PendingRegistration, SignupTicket};
