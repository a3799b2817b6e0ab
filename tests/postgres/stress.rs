//! Load on `PostgresStore`: the 8 threads × 10,000 operations of `tests/shared/stress.rs`
//! (as `tests/stores/stress.rs` puts them on the other stores), and its invariants.

#[path = "../shared/stress.rs"]
mod load;

use self::load::{OPS_PER_THREAD, THREADS, stress};
use crate::require_server;
use crate::support::TestSchema;

#[test]
fn postgres_store_under_eight_threads_of_ten_thousand_operations() {
    let _server = require_server!();
    // One connection per thread; `synchronous_commit = off`: the same atomicity without a
    // disk flush per commit, so that the test measures locking (as the SQLite twin does with
    // `Synchronous::Normal`).
    let schema = TestSchema::new("stress");
    let store = schema.store_with(
        schema
            .options()
            .pool_size(THREADS)
            .synchronous_commit(false),
    );
    let elapsed = stress(&store);
    eprintln!("PostgresStore: {THREADS} threads × {OPS_PER_THREAD} operations in {elapsed:?}");
}
