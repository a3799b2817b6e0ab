//! `PostgresStore` against a real PostgreSQL server: the conformance suite (one pool, several
//! pools on one schema), races from separate OS processes, the differential property test
//! against `MemoryStore`, the 8 × 10,000-operation stress test, faults (backends terminated,
//! the server restarted), and the conformance suite through `PgBouncer` in transaction mode.
//!
//! The server: `KENPO_PG_URL`, else `postgres://postgres@127.0.0.1:5432/test`. With no server
//! answering, every test prints `PostgreSQL suite skipped: <reason>` and passes, unless
//! `KENPO_REQUIRE_PG=1` (CI), where they fail. Each test works in a schema of its own, dropped
//! at the end.
#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::panic, clippy::indexing_slicing)]

// The records and fixtures the SQLite store tests use, shared.
#[allow(dead_code)]
#[path = "../stores/support.rs"]
mod records;
#[allow(dead_code)]
mod support;

mod conformance;
mod differential;
mod faults;
mod options;
mod pgbouncer;
mod processes;
mod roster_race;
mod search_path;
mod stress;
