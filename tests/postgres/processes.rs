//! Separate OS processes sharing one PostgreSQL schema, each with a pool of its own: the races
//! of `tests/shared/processes.rs`.

#[path = "../shared/processes.rs"]
mod race;

use std::time::{SystemTime, UNIX_EPOCH};

use kenpo_auth::PostgresStore;
use kenpo_auth::postgres::PostgresOptions;
use kenpo_auth::store::{AttemptCounter, CounterKey, TicketId};

use self::race::RaceStore;
use crate::require_server;
use crate::support::{TestSchema, admin, block_on, url};

fn nanos(time: Option<SystemTime>) -> String {
    time.map_or_else(
        || "NULL".to_owned(),
        |time| {
            time.duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                .to_string()
        },
    )
}

impl RaceStore for PostgresStore {
    type Place = TestSchema;
    const ROLE: &'static str = "KENPO_PG_CHILD";

    fn new_place(tag: &str) -> (TestSchema, String) {
        let schema = TestSchema::new(tag);
        let name = schema.name().to_owned();
        (schema, name)
    }

    /// A store of the process's own on `schema`, as a separate host process would have.
    fn open(schema: &str) -> Result<Self, String> {
        let options = PostgresOptions::default().schema(schema).pool_size(2);
        block_on(PostgresStore::connect_with(&url(), options)).map_err(|e| e.to_string())
    }

    fn write_attempts(schema: &str, id: TicketId, attempts: u32) {
        admin(&format!(
            "UPDATE \"{schema}\".challenges SET attempts = {attempts} WHERE id = '\\x{}'",
            id.to_hex()
        ))
        .unwrap();
    }

    fn write_counter(schema: &str, key: &CounterKey, counter: &AttemptCounter) {
        admin(&format!(
            "INSERT INTO \"{schema}\".counters (key, attempts, locked_until, last_attempt, forget_at)
             VALUES ('{key}', {attempts}, {locked}, {last}, {forget})
             ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
                 locked_until = excluded.locked_until, last_attempt = excluded.last_attempt,
                 forget_at = excluded.forget_at",
            key = key.storage_key(),
            attempts = counter.attempts,
            locked = nanos(counter.locked_until),
            last = nanos(counter.last_attempt),
            forget = nanos(counter.forget_at),
        ))
        .unwrap();
    }
}

/// The child's part; a no-op in an ordinary test run.
#[test]
fn process_child() {
    race::child::<PostgresStore>();
}

#[test]
fn separate_processes_consume_once_count_every_attempt_and_keep_one_reset_code() {
    let _server = require_server!();
    race::races_keep_every_duty::<PostgresStore>();
}

#[test]
fn separate_processes_catch_a_read_then_write_counter() {
    let _server = require_server!();
    race::races_catch_a_read_then_write_counter::<PostgresStore>();
}

#[test]
fn separate_processes_creating_one_new_schema_at_once_all_succeed() {
    let _server = require_server!();
    race::processes_creating_one_new_store_at_once_all_succeed::<PostgresStore>();
}
