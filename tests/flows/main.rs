//! The manual's flows on `MemoryStore`, one behaviour per module.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

mod audit;
mod budgets;
mod codes;
mod durations;
mod enumeration;
mod first_authentication;
mod login;
mod mail;
mod password_reset;
mod registration;
mod user_id_reminder;
