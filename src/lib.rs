//! kenpo-auth (crate docs are written as the modules land).

pub mod kana;
// --- identity ---
pub mod identity;
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
// --- re-exports: credentials ---
pub use email::{EmailAddress, EmailError};
pub use hashing::{HashError, HashParams, PasswordHash, PasswordHasher, Pepper};
pub use password::{NewPassword, PasswordError, PasswordPolicy, PasswordViolation};
pub use user_id::{UserId, UserIdError};
// --- re-exports: portal ---
