//! Load on `MemoryStore` and `SqliteStore`: the 8 threads × 10,000 operations of
//! `tests/shared/stress.rs`, and its invariants.

#[path = "../shared/stress.rs"]
mod load;

use kenpo_auth::MemoryStore;
use kenpo_auth::SqliteStore;
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};

use self::load::{OPS_PER_THREAD, THREADS, stress};
use crate::support::TempDir;

#[test]
fn memory_store_under_eight_threads_of_ten_thousand_operations() {
    let store = MemoryStore::new();
    let elapsed = stress(&store);
    eprintln!("MemoryStore: {THREADS} threads × {OPS_PER_THREAD} operations in {elapsed:?}");
}

#[test]
fn sqlite_store_under_eight_threads_of_ten_thousand_operations() {
    // `Synchronous::Normal`: same atomicity, no fsync per commit, so the test measures locking.
    let dir = TempDir::new("stress");
    let store = SqliteStore::open_with(
        dir.db("stress.db"),
        SqliteOptions::default()
            .connections(THREADS)
            .synchronous(Synchronous::Normal),
    )
    .unwrap();
    let elapsed = stress(&store);
    eprintln!("SqliteStore: {THREADS} threads × {OPS_PER_THREAD} operations in {elapsed:?}");
}
