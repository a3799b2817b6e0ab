//! `PostgresOptions` at their extremes connect and work: no panic in a driver, no startup
//! option the server refuses; a roster import runs under its own statement timeout.

use std::time::Duration;

use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{BirthDate, InsuredRecord, Store};

use crate::require_server;
use crate::support::{TestSchema, block_on};

#[test]
fn the_longest_timeouts_connect_and_work() {
    let _server = require_server!();
    let schema = TestSchema::new("longest");
    let options = schema
        .options()
        .connect_timeout(Duration::MAX)
        .statement_timeout(Some(Duration::MAX));
    let store = schema.store_with(options);
    assert_eq!(block_on(store.count_roster("06139999")).unwrap(), 0);
}

/// Six rows, each of which takes `pause` to read: an import whose staging statement lasts as
/// long as its file takes to read.
fn slow_rows(pause: Duration) -> impl Iterator<Item = RosterEntry> + Send {
    (0..6_u64).map(move |n| {
        std::thread::sleep(pause);
        let birth = BirthDate::new(1980, 4, 1).unwrap();
        let record = InsuredRecord::new("06139999", "12", &n.to_string(), birth, "ケンポ ハナコ");
        RosterEntry::new(n + 2, Some(record.unwrap()))
    })
}

#[test]
fn a_roster_import_has_a_statement_timeout_of_its_own() {
    let _server = require_server!();
    let schema = TestSchema::new("importtimeout");
    let options = schema
        .options()
        .statement_timeout(Some(Duration::from_millis(250)));
    // Its staging statement takes 600 ms: beyond a login's timeout, within an import's.
    let store = schema.store_with(options.clone());
    let pause = Duration::from_millis(100);
    let report = block_on(store.import_roster("06139999", slow_rows(pause), ImportMode::Apply));
    assert!(report.unwrap().applied);

    // The import's own timeout is the one that holds within it; zero is the shortest, not none.
    for strict in [Duration::from_millis(250), Duration::ZERO] {
        let store = schema.store_with(options.clone().import_statement_timeout(Some(strict)));
        let rows = slow_rows(pause);
        let refused = block_on(store.import_roster("06139999", rows, ImportMode::Apply));
        let error = format!("{:?}", refused.unwrap_err());
        assert!(
            error.contains("E57014"),
            "{strict:?}: not a statement timeout: {error}"
        );
    }
}
