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
pub mod ticket;
#[cfg(feature = "testkit")]
pub mod testkit;

// --- re-exports: kana & identity ---
// --- re-exports: credentials ---
// --- re-exports: portal ---
