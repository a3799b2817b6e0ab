//! `SqliteStore` mirrors `MemoryStore` exactly: the random sequences of store calls of
//! `tests/shared/differential.rs` give the same answers and leave the same state on both
//! (proptest, 256 cases).

#[path = "../shared/differential.rs"]
mod mirror;

use kenpo_auth::SqliteStore;
use proptest::prelude::*;

use self::mirror::{
    a_refused_attempt_on_a_fresh_key_stores_no_counter_on, mirrors, ops,
    owners_decoys_and_purges_agree_on,
};

fn fresh() -> SqliteStore {
    SqliteStore::open_in_memory().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_answers_every_call_like_the_memory_store(ops in ops()) {
        mirrors(&fresh(), &ops)?;
    }
}

#[test]
fn owners_decoys_and_purges_agree() {
    owners_decoys_and_purges_agree_on(&fresh());
}

#[test]
fn an_attempt_refused_on_a_fresh_key_stores_no_counter() {
    a_refused_attempt_on_a_fresh_key_stores_no_counter_on(&fresh());
}
