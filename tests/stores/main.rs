//! The stores: `MemoryStore` and `SqliteStore` keep the store contract (the conformance suite,
//! which catches planted bugs), across threads and OS processes, under faults and load, and
//! answer every call alike; `SqliteStore`'s own schema, migrations and limits.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing)]

mod support;

mod conformance;
mod differential;
mod faults;
mod mid_login;
mod processes;
mod sqlite_store;
mod stress;
mod union_side;
