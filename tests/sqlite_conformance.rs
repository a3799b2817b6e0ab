//! `SqliteStore` passes the store conformance suite, thread races included, on one database
//! file shared by several connections (and on one connection, and in memory).

#![allow(clippy::doc_markdown)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sqlite_support;

use std::sync::atomic::{AtomicUsize, Ordering};

use kenpo_auth::sqlite::SqliteOptions;
use kenpo_auth::{SqliteStore, testkit};
use sqlite_support::TempDir;

fn run_on_files(dir: &TempDir, options: SqliteOptions) -> testkit::Report {
    let next = AtomicUsize::new(0);
    let make_store = || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        SqliteStore::open_with(dir.db(&format!("check{n}.db")), options).expect("open")
    };
    testkit::run(make_store, |store, record| {
        store.add_insured(record).expect("add_insured");
    })
    .unwrap_or_else(|failure| panic!("{failure}"))
}

#[test]
fn sqlite_store_passes_the_conformance_suite_with_a_pool_of_connections() {
    let dir = TempDir::new("conformance-pool");
    // Sixteen racing threads share eight connections to one file.
    let report = run_on_files(&dir, SqliteOptions::default().connections(8));
    assert_eq!(report.passed.len(), 18);
    assert!(report.passed.contains(&"race_consume"));
}

#[test]
fn sqlite_store_passes_the_conformance_suite_with_sixteen_connections() {
    // One connection per racing thread: every race is decided by SQLite's locking alone.
    let dir = TempDir::new("conformance-sixteen");
    let report = run_on_files(&dir, SqliteOptions::default().connections(16));
    assert_eq!(report.passed.len(), 18);
}

#[test]
fn sqlite_store_passes_the_conformance_suite_on_one_connection() {
    let dir = TempDir::new("conformance-single");
    let report = run_on_files(&dir, SqliteOptions::default().connections(1));
    assert_eq!(report.passed.len(), 18);
}

#[test]
fn in_memory_sqlite_store_passes_the_conformance_suite() {
    let report = testkit::run(
        || SqliteStore::open_in_memory().expect("open"),
        |store, record| store.add_insured(record).expect("add_insured"),
    )
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_eq!(report.passed.len(), 18);
}
