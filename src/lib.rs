//! kenpo-auth (crate docs are written as the modules land).

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
pub mod clock;
pub mod config;
pub mod error;
pub mod mail;
pub mod memory;
pub mod otp;
pub mod portal;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod ticket;

// --- re-exports: kana & identity ---
pub use identity::{
    BirthDate, DateError, Field, FieldError, FieldErrorKind, FormErrors, IdentityForm,
    InsuredIdentity, InsuredKey, InsuredRecord, MatchDiagnostic,
};
pub use kana::{KanaName, NameError};
// --- re-exports: credentials ---
// --- re-exports: portal ---
