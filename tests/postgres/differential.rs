//! `PostgresStore` mirrors `MemoryStore` exactly, as `SqliteStore` does: the random sequences
//! of store calls of `tests/shared/differential.rs` give the same answers and leave the same
//! state on both.

#[path = "../shared/differential.rs"]
mod mirror;

use kenpo_auth::PostgresStore;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use self::mirror::{
    a_refused_attempt_on_a_fresh_key_stores_no_counter_on, mirrors, ops,
    owners_decoys_and_purges_agree_on,
};
use crate::require_server;
use crate::support::{TestSchema, admin};

/// One schema for a whole property run, emptied before each case.
struct Fresh {
    schema: TestSchema,
    store: PostgresStore,
}

impl Fresh {
    fn new(tag: &str) -> Self {
        let schema = TestSchema::new(tag);
        let store = schema.store();
        Self { schema, store }
    }

    fn empty(&self) -> &PostgresStore {
        let s = self.schema.name();
        // DELETE, not TRUNCATE: on a few rows it is much the faster.
        admin(&format!(
            "DELETE FROM \"{s}\".accounts; DELETE FROM \"{s}\".challenges;
             DELETE FROM \"{s}\".counters; DELETE FROM \"{s}\".signups;
             DELETE FROM \"{s}\".roster"
        ))
        .unwrap();
        &self.store
    }
}

#[test]
fn postgres_answers_every_call_like_the_memory_store() {
    let _server = require_server!();
    let fresh = Fresh::new("differential");
    // 96 cases (the SQLite twin runs 256): every call is a round trip and a commit on a real
    // server. PROPTEST_CASES raises it.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(96);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        ..ProptestConfig::default()
    });
    runner
        .run(&ops(), |ops| mirrors(fresh.empty(), &ops))
        .unwrap();
}

#[test]
fn owners_decoys_and_purges_agree() {
    let _server = require_server!();
    owners_decoys_and_purges_agree_on(Fresh::new("owners").empty());
}

#[test]
fn an_attempt_refused_on_a_fresh_key_stores_no_counter() {
    let _server = require_server!();
    a_refused_attempt_on_a_fresh_key_stores_no_counter_on(Fresh::new("zero").empty());
}
