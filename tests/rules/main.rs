//! The sans-I/O rules: one-time codes, attempt budgets and argon2id hashing, with their laws
//! in proptest.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing)]

mod budgets;
mod codes;
mod hashing;
