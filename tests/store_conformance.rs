//! `MemoryStore` passes the store conformance suite, thread races included.

use kenpo_auth::{MemoryStore, testkit};

#[test]
fn memory_store_passes_the_conformance_suite() {
    let report = testkit::run(MemoryStore::new, |store, record| store.add_insured(record))
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(report.passed.contains(&"race_consume"));
    assert_eq!(report.passed.len(), 18);
}
