//! `PostgresOptions` at their extremes connect and work: no panic in a driver, no startup
//! option the server refuses.

use std::time::Duration;

use kenpo_auth::Store;

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
