//! Separate OS processes sharing one `SQLite` file: the races of `tests/shared/processes.rs`.

#[path = "../shared/processes.rs"]
mod race;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::SqliteStore;
use kenpo_auth::store::{AttemptCounter, CounterKey, TicketId};
use rusqlite::{Connection, params};

use self::race::RaceStore;
use crate::support::TempDir;

/// A raw connection to the file, for writes the store itself would never make.
fn raw(path: &str) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

fn nanos(time: SystemTime) -> i64 {
    i64::try_from(time.duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

impl RaceStore for SqliteStore {
    type Place = TempDir;
    const ROLE: &'static str = "KENPO_SQLITE_CHILD";

    fn new_place(tag: &str) -> (TempDir, String) {
        let dir = TempDir::new(tag);
        let path = dir.db("shared.db");
        assert!(!path.exists());
        let path = path.display().to_string();
        (dir, path)
    }

    fn open(place: &str) -> Result<Self, String> {
        SqliteStore::open(place).map_err(|e| e.to_string())
    }

    fn write_attempts(place: &str, id: TicketId, attempts: u32) {
        raw(place)
            .execute(
                "UPDATE challenges SET attempts = ?2 WHERE id = ?1",
                params![id.as_bytes(), attempts],
            )
            .unwrap();
    }

    fn write_counter(place: &str, key: &CounterKey, counter: &AttemptCounter) {
        raw(place)
            .execute(
                "INSERT INTO counters (key, attempts, locked_until, last_attempt, forget_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
                     locked_until = excluded.locked_until, last_attempt = excluded.last_attempt,
                     forget_at = excluded.forget_at",
                params![
                    key.storage_key(),
                    counter.attempts,
                    counter.locked_until.map(nanos),
                    counter.last_attempt.map(nanos),
                    counter.forget_at.map(nanos),
                ],
            )
            .unwrap();
    }
}

/// The child's part; a no-op in an ordinary test run.
#[test]
fn process_child() {
    race::child::<SqliteStore>();
}

#[test]
fn separate_processes_consume_once_count_every_attempt_and_keep_one_reset_code() {
    race::races_keep_every_duty::<SqliteStore>();
}

#[test]
fn separate_processes_catch_a_read_then_write_counter() {
    race::races_catch_a_read_then_write_counter::<SqliteStore>();
}

#[test]
fn separate_processes_creating_one_new_file_at_once_all_succeed() {
    race::processes_creating_one_new_store_at_once_all_succeed::<SqliteStore>();
}
