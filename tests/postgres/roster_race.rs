//! An end of coverage restored by hand while an import of a file without 資格喪失日 runs stays
//! restored: for rows that keep the end on record, the import's apply leaves the end as it
//! finds it then, rather than writing back the value its comparison read earlier.

use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{CoverageEnd, PostgresStore, Store};

use crate::require_server;
use crate::support::{TestSchema, hold, holder, shoko_record, url, wait_until_blocked};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_lands_during_an_import_keeping_ends_stays() {
    let _server = require_server!();
    let schema = TestSchema::new("keeps_race");
    let store = PostgresStore::connect_with(&url(), schema.options())
        .await
        .unwrap();
    let shoko = shoko_record();
    let end = CoverageEnd::new(2026, 10, 1).unwrap();
    let ended = RosterEntry::new(2, Some(shoko.clone().with_coverage_end(Some(end))));
    let first = store.import_roster("06139999", [ended].into_iter(), ImportMode::Apply);
    assert!(first.await.unwrap().applied);

    // The help desk's restore, on another connection, holds her row until it commits.
    let key = shoko.key().clone();
    let restore = format!(
        "UPDATE \"{}\".roster SET coverage_end = NULL
         WHERE insurer_code = '{}' AND symbol = '{}' AND number = '{}'",
        schema.name(),
        key.insurer_code(),
        key.symbol(),
        key.number()
    );
    let mut desk = holder().await;
    let restoring = hold(&mut desk, &restore).await;
    let import = {
        let store = store.clone();
        let row = RosterEntry::keeping_coverage_end(2, Some(shoko.clone()));
        tokio::spawn(async move {
            let rows = [row].into_iter();
            store
                .import_roster("06139999", rows, ImportMode::Apply)
                .await
        })
    };
    // The import has compared (reading the end as it was) and waits to write her row.
    wait_until_blocked(&schema).await;
    restoring.commit().await.unwrap();

    assert!(import.await.unwrap().unwrap().applied);
    let stored = store.find_insured(&key).await.unwrap().unwrap();
    assert_eq!(stored.coverage_end(), None, "the import undid the restore");
}
