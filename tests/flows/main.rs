//! The manual's flows on `MemoryStore`, one behaviour per module.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing)]

mod support;

mod answers;
mod audit;
mod branding;
mod budgets;
mod codes;
mod coverage;
mod durations;
mod enumeration;
mod first_authentication;
mod hashing;
mod help_desk;
mod login;
mod mail;
mod password_reset;
mod registration;
mod reissued_number;
mod sessions;
mod settings;
mod user_id_reminder;
