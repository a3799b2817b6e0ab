//! Laws of the sans-I/O rules, in proptest: one-time codes and attempt budgets.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod budgets;
mod codes;
