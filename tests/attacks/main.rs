//! Attacker simulations: each budget attacked for 30 (and 365) simulated days by an attacker
//! who never tires, with `purge_expired(now, 0)` every simulated hour. Each counts what the
//! portal actually evaluated, checks it against the documented budget, and shows the member
//! can still get back in by the documented path.
//!
//! Run with `cargo test --test attacks -- --nocapture` to see the per-day figures.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing)]

mod sim;

mod identity;
mod mail_relay;
mod passwords;
mod reset_codes;
mod spraying;
mod user_ids;
