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
//!   kana name typed any which way ([`kana`], [`InsuredIdentity`]) against the insurer's roster.
//! - **User-ID registration**: enforces the user-ID, password and e-mail rules ([`UserId`],
//!   [`PasswordPolicy`], [`EmailAddress`]), hashes with argon2id ([`PasswordHasher`]) and mails a
//!   six-digit code valid for ten minutes.
//! - **Login** with lockout, **password reset**, **user-ID reminder**, **terms-of-use consent**.
//!
//! ## What it does not do
//!
//! No HTTP, no sessions or cookies, no SQL of its own, no SMTP: [`Portal`] returns values and
//! typed errors; what to render, where to keep a ticket and how to send a [`Mail`] is the host's.
//!
//! ## Quick start: a Tokio service
//!
//! With the feature `tokio`, argon2 runs on Tokio's blocking pool ([`Runner`], `TokioRunner`),
//! so a handler simply `.await`s the portal; share it behind an `Arc`. An [`Error`] becomes an
//! HTTP answer in one line: [`Error::kind`] gives the status, [`Error::body`] the JSON body
//! (a stable `code`, the member's Japanese `message`, per-field messages), and
//! [`Error::retry_after`] the `Retry-After` header.
//!
//! ```
//! use std::sync::Arc;
//! use kenpo_auth::{
//!     BirthDate, Config, HashParams, IdentityForm, InsuredRecord, MemoryStore, Portal,
//!     RecordingMailer, RegistrationForm, TokioRunner,
//! };
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! // The insurer's roster (a real service uses `SqliteStore` or its own `Store`).
//! let store = MemoryStore::new();
//! let birth = BirthDate::new(1975, 3, 2).unwrap();
//! store.add_insured(InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap());
//!
//! let mailer = RecordingMailer::new();
//! // Small argon2 parameters keep this example fast; a service loads its `Config` from a file
//! // (next section) and keeps the default parameters.
//! let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
//! let portal = Arc::new(Portal::new(store, mailer.clone(), config).with_runner(TokioRunner));
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
//!
//! // A refusal, rendered: status, body, and how long to wait where that applies.
//! let error = portal.login("NGK000123", "wrong").await.unwrap_err();
//! let (status, body) = (error.kind().status(), serde_json::to_string(&error.body()).unwrap());
//! assert_eq!(status, 401);
//! assert!(body.starts_with(r#"{"code":"authentication_failed","message":"#));
//! assert_eq!(error.retry_after(), None);
//!
//! // Housekeeping, from a timer in any one process.
//! tokio::spawn({
//!     let portal = Arc::clone(&portal);
//!     async move {
//!         let mut hourly = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
//!         loop {
//!             hourly.tick().await;
//!             let _ = portal.purge_expired().await;
//!         }
//!     }
//! });
//! # }
//! ```
//!
//! Without a runtime the same calls work on any executor: the default runner, [`Inline`], runs
//! argon2 where the future is polled (`pollster::block_on(portal.login(..))` in a synchronous
//! program or test).
//!
//! ## Configuration from a file and the environment
//!
//! [`Config`] deserialises with serde: settings left out keep the design's defaults, a
//! misspelt one is refused, durations are written `"10m"`, `"1h 30m"`, `"7days"` (or whole
//! seconds), and keys are 32 bytes in hex or base64 ([`SecretKey`], [`Pepper`]). The secret key
//! has no default in a file: every process that shares a store needs the same key, and it must
//! outlive a restart, or pending codes stop working ([`Config::check`] refuses a missing one).
//! Keep it out of the file, in the environment or a secret manager.
//!
//! ```
//! use kenpo_auth::Config;
//!
//! /// Reads the settings file, then lets `KENPO_<SETTING>` variables override any setting,
//! /// written as in the file (`KENPO_LOGIN_LOCKOUT='"1h"'`, `KENPO_MAX_CONCURRENT_HASHES=4`);
//! /// the keys (`KENPO_SECRET_KEY`, `KENPO_PEPPER`) are taken as they are.
//! fn load_config(
//!     file: &str,
//!     env: impl IntoIterator<Item = (String, String)>,
//! ) -> Result<Config, Box<dyn std::error::Error>> {
//!     let mut settings: toml::Table = toml::from_str(file)?;
//!     for (name, value) in env {
//!         let Some(setting) = name.strip_prefix("KENPO_") else { continue };
//!         let setting = setting.to_ascii_lowercase();
//!         let value = match setting.as_str() {
//!             "secret_key" | "pepper" => toml::Value::String(value),
//!             _ => toml::from_str::<toml::Table>(&format!("value = {value}"))?
//!                 .remove("value")
//!                 .ok_or("empty setting")?,
//!         };
//!         settings.insert(setting, value);
//!     }
//!     let config: Config = toml::Value::Table(settings).try_into()?;
//!     config.check()?;
//!     Ok(config)
//! }
//!
//! let file = r#"
//!     terms_version = 2
//!     code_validity = "10m"
//!     login_lockout = "30m"
//!     max_concurrent_hashes = 4
//!
//!     [hash_params]          # OWASP's argon2id: 19 MiB, 2 passes, 1 lane
//!     memory_kib = 19456
//!     iterations = 2
//!     parallelism = 1
//! "#;
//! // In the service: `load_config(&std::fs::read_to_string("kenpo.toml")?, std::env::vars())?`
//! let env = [
//!     ("KENPO_SECRET_KEY", "8f3a5c0e91d24b67a0c3e5f7193b5d7f8a2c4e6f0b1d3f5a7c9e0b2d4f6a8c0e"),
//!     ("KENPO_LOGIN_LOCKOUT", r#""1h""#),
//!     ("PATH", "/usr/bin"),
//! ];
//! let config = load_config(file, env.map(|(k, v)| (k.to_owned(), v.to_owned()))).unwrap();
//! assert_eq!(config.login_lockout, std::time::Duration::from_secs(60 * 60));
//! assert_eq!(config.code_max_attempts, 5); // not in the file: the default
//! assert!(!format!("{config:?}").contains("8f3a5c0e")); // Debug shows no key
//!
//! // Without a key, the check refuses the settings.
//! assert!(load_config(file, []).is_err());
//! ```
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `sqlite` | `SqliteStore`: a [`Store`] on bundled SQLite, shareable by threads and processes (WAL, busy timeout, versioned schema). |
//! | `postgres` | `PostgresStore`: a [`Store`] on PostgreSQL (`tokio-postgres` with a `deadpool-postgres` pool), for host processes on several machines sharing one database; implies `tokio`. |
//! | `testkit` | `testkit`: a conformance suite any [`Store`] can run. Outside SemVer. |
//! | `tokio` | `TokioRunner`: argon2 on Tokio's blocking pool, so that a Tokio host just `.await`s. |
//!
//! ## How the crate is built
//!
//! One crate, whose folders show the architecture. Data flows one way: raw form strings are
//! parsed into validated types, pure rules decide, and the portal persists the outcome through
//! the host's [`Store`] and sends mail through its [`Mailer`]. Modules point down only: the
//! core never imports the portal, the store or the mailer. A child folder either holds its
//! parent's private helpers or extends it (`portal/settings.rs` adds the portal's settings
//! flows, `store/columns.rs` lays the store's records out in columns), and only the latter
//! uses its parent's types.
//!
//! ```text
//! parsers      kana.rs + kana/table.rs          folding: the one grammar of kana names
//!              identity.rs + identity/          BirthDate (+ era), InsuredKey, coverage, the forms' errors
//!              user_id.rs  password.rs + password/common.rs  email.rs  text.rs
//!              client.rs     ClientNetworks: the client a request counts against, for host limits
//! rules        otp.rs        codes: issue, check, resend, void; the MAC and its SecretKey
//!              throttle.rs   budgets: locks that lengthen, ceilings, forgetting
//!              session.rs    SessionStamp: a session bound to the password it was granted for
//!              roster.rs     the tally of a roster import (+ roster/csv.rs, feature `roster-csv`)
//!              hashing.rs + hashing/{permits, pool}.rs   argon2id, bounded in runs and memory
//!              ticket.rs  random.rs  clock.rs  runner.rs  ja.rs (the member's language)
//! portal       config.rs  branding.rs  error.rs  mail.rs  audit.rs
//!              portal.rs + portal/{session, settings, roster, help_desk}.rs   the manual's flows,
//!                            the member's session, the union's side
//! storage      store.rs + store/columns.rs   the trait, its records, the rules a store applies,
//!                            and the column layout both SQL stores share: each row described
//!                            once, from which both drivers' readers are made
//!              memory.rs     MemoryStore, RecordingMailer
//!              sqlite.rs + sqlite/{pool, codec, schema, import, error}.rs   (feature `sqlite`)
//!              postgres.rs + postgres/{pool, options, codec, schema, import, error}.rs
//!                            (feature `postgres`)
//! checking     testkit.rs + testkit/{fixtures, checks, union_side, races}.rs   (feature `testkit`)
//! manuals      security.rs  scaling.rs   documentation only
//! ```
//!
//! The public surface is one curated set of names at the crate root, plus a few namespaces
//! with a purpose: [`kana`] (the folding functions), [`store`] (what a `Store` implementer
//! needs: records, rules, keys), `sqlite` and `postgres` (their options), `testkit`, and the
//! documentation-only [`audit`], [`security`] and [`scaling`] manuals.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

// Parsers: raw strings to validated types.
mod client;
mod email;
mod identity;
pub mod kana;
mod password;
mod user_id;

// Rules, sans I/O.
mod clock;
mod hashing;
mod ja;
mod otp;
mod random;
mod roster;
mod runner;
mod session;
mod text;
mod throttle;
mod ticket;

// The portal.
pub mod audit;
mod branding;
mod config;
mod error;
mod mail;
mod portal;

// Storage.
mod memory;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub mod sqlite;
pub mod store;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;

// Manuals, documentation only.
pub mod scaling;
pub mod security;

pub use branding::{Branding, Brandings};
pub use client::{Client, ClientNetworks};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, ConfigError, TermsVersion};
pub use email::{DotProblem, EmailAddress, EmailError, EmailRules};
pub use error::{BoxError, Error, ErrorBody, ErrorKind};
pub use hashing::{HashError, HashParams, PasswordHash, PasswordHasher, Pepper};
pub use identity::{
    BirthDate, CoverageEnd, DateError, Field, FieldError, FieldErrorKind, FormErrors, IdentityForm,
    InsuredIdentity, InsuredKey, InsuredRecord, MatchDiagnostic,
};
pub use ja::MessageJa;
pub use mail::{Mail, MailKind, Mailer};
pub use memory::{MailerDown, MemoryStore, RecordingMailer};
pub use otp::{CodeShape, ResendableTicket, SecretKey};
pub use password::{
    NewPassword, PasswordCharset, PasswordError, PasswordPolicy, PasswordViolation,
};
pub use portal::{
    CoverageState, HelpDeskView, InsurerHelpDesk, LockState, LoginSuccess, Portal, RegistrationForm,
};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresError, PostgresStore};
pub use random::{RandomError, SecretParseError};
#[cfg(feature = "roster-csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "roster-csv")))]
pub use roster::csv::{
    CsvEncoding, HeaderNames, RosterCsv, RosterFileError, RosterRows, RowProblem, RowReason,
};
#[cfg(feature = "tokio")]
pub use runner::TokioRunner;
pub use runner::{Inline, Job, JobFailed, JobFuture, Runner};
pub use session::SessionStamp;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteError, SqliteStore};
pub use store::Store;
pub use ticket::{
    PasswordResetTicket, PendingEmailChange, PendingRegistration, SignupTicket, TicketFormatError,
};
pub use user_id::{UserId, UserIdError, UserKey};
