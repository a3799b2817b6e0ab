//! `SqliteStore` specifics: schema creation, versioning and migration, WAL, persistence across
//! opens, exact round trips, the database's own unique constraints, corrupt rows, the busy
//! timeout.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::store::{AttemptGate, ChallengePayload, CounterKey, SignupRecord};
use kenpo_auth::{
    BirthDate, EmailAddress, InsuredRecord, MessageJa, SqliteError, SqliteStore, Store,
};
use rusqlite::Connection;

use crate::support::{
    TempDir, block_on, insured, insured_key, lock_policy, mac, register, registration_with, reset,
    sqlite_file, t0, ticket, user_key,
};

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn a_new_file_gets_the_current_schema_version_and_wal() {
    let dir = TempDir::new("schema");
    let path = dir.db("new.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.connections(), 4);
    assert_eq!(store.path(), path.as_path());
    assert_eq!(SqliteStore::SCHEMA_VERSION, 5);
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION.into());
    let mode: String = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn data_survives_closing_and_reopening() {
    let dir = TempDir::new("reopen");
    let path = dir.db("kept.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        let birth = BirthDate::new(1975, 3, 2).unwrap();
        store
            .add_insured(
                InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ショウコ").unwrap(),
            )
            .unwrap();
        register(&store, "NGK000123", "345");
        let login = CounterKey::Login(user_key("NGK000123"));
        for _ in 0..3 {
            block_on(store.acquire_attempt(&login, t0(), lock_policy(4, None))).unwrap();
        }
    }
    let store = SqliteStore::open_with(&path, SqliteOptions::default().connections(1)).unwrap();
    let insured = block_on(store.find_insured(&insured_key("345")))
        .unwrap()
        .unwrap();
    assert_eq!(insured.birth_date(), BirthDate::new(1975, 3, 2).unwrap());
    assert_eq!(insured.name().as_str(), "ケンポ ショウコ");
    let account = block_on(store.find_account(&user_key("ngk000123")))
        .unwrap()
        .unwrap();
    assert_eq!(account.user_id.as_str(), "NGK000123");
    assert_eq!(
        account.created_at,
        t0(),
        "times round-trip to the nanosecond"
    );
    assert_eq!(store.account_count().unwrap(), 1);
    assert_eq!(store.insured_count().unwrap(), 1);
    assert_eq!(store.challenge_count().unwrap(), 0);
    // The counter kept its three attempts: the fourth is allowed and locks.
    let login = CounterKey::Login(user_key("ngk000123"));
    let policy = lock_policy(4, None);
    assert_eq!(
        block_on(store.acquire_attempt(&login, t0(), policy)).unwrap(),
        AttemptGate::Allowed
    );
    assert!(matches!(
        block_on(store.acquire_attempt(&login, t0(), policy)).unwrap(),
        AttemptGate::Locked { .. }
    ));
}

#[test]
fn a_file_from_a_newer_release_is_refused_untouched() {
    let dir = TempDir::new("too-new");
    let path = dir.db("future.db");
    drop(SqliteStore::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let error = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            SqliteError::SchemaTooNew {
                found: 99,
                supported: SqliteStore::SCHEMA_VERSION
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("99"));
    assert!(error.message_ja().contains("障害"));
    assert_eq!(user_version(&path), 99);
}

#[test]
fn reopening_does_not_run_the_migration_again() {
    let (store, _, _dir) = sqlite_file("migrate-once");
    let path = store.path().to_owned();
    register(&store, "member01", "1");
    // A second pool on the same file while the first is open, then a third after it closed.
    let second = SqliteStore::open(&path).unwrap();
    drop(store);
    drop(second);
    let third = SqliteStore::open(&path).unwrap();
    assert_eq!(third.account_count().unwrap(), 1);
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION.into());
}

/// An empty database as the release before schema version 2 created it: the file itself rather
/// than a copy of its SQL, which lives only in `src/sqlite/schema.rs` (`V1`, which a migration
/// never edits). It was made by running that release's opening steps, `PRAGMA journal_mode =
/// WAL` and then `V1` and `PRAGMA user_version = 1` in one immediate transaction, with SQLite
/// 3.40 (the release is commit df2f6d1, where `V1` is the only migration).
const V1_DATABASE: &[u8] = include_bytes!("../data/sqlite-schema-v1.db");

/// A time as the SQLite store keeps it: nanoseconds since the epoch.
fn nanos(t: std::time::SystemTime) -> i64 {
    i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

/// A copy of `database`, a file a previous release left at schema version `version`, in a fresh
/// directory (removed when the `TempDir` is dropped).
fn old_database(version: i64, database: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new(&format!("migrate-v{version}"));
    let path = dir.db(&format!("v{version}.db"));
    std::fs::write(&path, database).unwrap();
    assert_eq!(user_version(&path), version);
    (dir, path)
}

/// Writes, as versions 1 and 2 of the schema kept them (the same in both), ケンポ ショウコ on
/// the roster and her account NGK0001, created at `t0()`.
fn insert_old_account(raw: &Connection) {
    raw.execute(
        "INSERT INTO roster VALUES ('06139999', '12', '345', '1975-03-02', 'ケンポ ショウコ')",
        [],
    )
    .unwrap();
    raw.execute(
        "INSERT INTO accounts VALUES ('ngk0001', 'NGK0001', '06139999', '12', '345',
             'member@example.co.jp', '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$first', 1, ?1)",
        [nanos(t0())],
    )
    .unwrap();
}

/// A database left at schema version 1 by the previous release: its login counter carries
/// over (failures must never expire), its windowed throttles and its challenges are dropped, as
/// `src/sqlite/schema.rs` documents; accounts and the roster are untouched.
#[test]
fn a_version_one_database_is_migrated_keeping_login_counters() {
    let (_dir, path) = old_database(1, V1_DATABASE);
    {
        let raw = Connection::open(&path).unwrap();
        insert_old_account(&raw);
        // Nine failed logins, no lock yet (version 1 kept no window for logins).
        raw.execute(
            "INSERT INTO counters VALUES ('login:ngk0001', 9, NULL, NULL)",
            [],
        )
        .unwrap();
        // A windowed identity throttle, locked.
        raw.execute(
            "INSERT INTO counters VALUES ('identity:06139999/12/345', 5, ?1, ?2)",
            [nanos(t0()), nanos(t0() + Duration::from_secs(900))],
        )
        .unwrap();
        // A live reset challenge.
        raw.execute(
            "INSERT INTO challenges (id, purpose, code_mac, issued_at, expires_at, attempts,
                 sends, kind, reset_user_key)
             VALUES (?1, 2, zeroblob(32), ?2, ?3, 0, 1, 2, 'ngk0001')",
            rusqlite::params![
                ticket().as_bytes(),
                nanos(t0()),
                nanos(t0() + Duration::from_secs(600))
            ],
        )
        .unwrap();
    }

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION.into());
    assert_eq!(store.challenge_count().unwrap(), 0, "v1 challenges dropped");
    assert_eq!(
        store.counter_count().unwrap(),
        1,
        "only the login counter kept"
    );
    assert_eq!(store.account_count().unwrap(), 1);
    assert_eq!(store.insured_count().unwrap(), 1);
    let account = block_on(store.find_account(&user_key("ngk0001")))
        .unwrap()
        .unwrap();
    assert_eq!(account.user_id.as_str(), "NGK0001");
    assert_eq!(account.created_at, t0());

    // The nine failures still bound the next attempts, however much later: the tenth is
    // evaluated and locks, the eleventh waits.
    let login = CounterKey::Login(user_key("NGK0001"));
    let later = t0() + Duration::from_secs(365 * 86_400);
    let policy = lock_policy(10, Some(100));
    assert_eq!(
        block_on(store.acquire_attempt(&login, later, policy)).unwrap(),
        AttemptGate::Allowed
    );
    assert_eq!(
        block_on(store.acquire_attempt(&login, later, policy)).unwrap(),
        AttemptGate::Locked {
            retry_after: Duration::from_secs(1800)
        }
    );
    // And a purge does not free them.
    block_on(store.purge_expired(later, Duration::ZERO)).unwrap();
    assert_eq!(store.counter_count().unwrap(), 1);

    // The dropped throttle starts afresh.
    let identity = CounterKey::Identity(insured_key("345"));
    assert_eq!(
        block_on(store.acquire_attempt(&identity, t0(), lock_policy(5, None))).unwrap(),
        AttemptGate::Allowed
    );

    // The migrated file opens again without migrating.
    drop(store);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.counter_count().unwrap(), 2);
}

#[test]
fn signup_times_round_trip_exactly() {
    let store = SqliteStore::open_in_memory().unwrap();
    for expires_at in [
        t0(),
        t0() + Duration::from_nanos(1),
        UNIX_EPOCH - Duration::new(3600, 7),
    ] {
        let id = ticket();
        block_on(store.insert_signup(SignupRecord {
            id,
            insured_key: insured_key("1"),
            birth_date: crate::support::born(),
            expires_at,
        }))
        .unwrap();
        let found = block_on(store.find_signup(id)).unwrap().unwrap();
        assert_eq!(found.expires_at, expires_at);
        assert_eq!(found.insured_key, insured_key("1"));
    }
}

#[test]
fn a_legacy_carrier_address_round_trips() {
    let store = SqliteStore::open_in_memory().unwrap();
    let legacy = EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo.ne.jp").unwrap();
    let record = registration_with("member01", "1", 7, legacy.clone());
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    let found = block_on(store.find_challenge(id)).unwrap().unwrap();
    let ChallengePayload::Registration(account) = found.payload else {
        panic!("payload kind changed");
    };
    assert_eq!(account.email, legacy);
    block_on(store.complete_registration(id, &mac(7), t0())).unwrap();
    let account = block_on(store.find_account(&user_key("member01")))
        .unwrap()
        .unwrap();
    assert_eq!(account.email, legacy);
}

#[test]
fn the_database_itself_refuses_duplicate_user_keys_and_insured_keys() {
    let (store, raw, _dir) = sqlite_file("constraints");
    register(&store, "Member01", "1");
    let insert = "INSERT INTO accounts (user_key, user_id, insurer_code, symbol, number, email,
                      password_hash, terms_accepted, created_at)
                  VALUES (?1, ?2, '06139999', '12', ?3, 'a@example.jp', 'h', NULL, 0)";
    let same_user_key = raw.execute(insert, ["member01", "MEMBER01", "2"]);
    assert!(same_user_key.is_err(), "a second account for member01");
    let same_insured = raw.execute(insert, ["other001", "other001", "1"]);
    assert!(
        same_insured.is_err(),
        "a second account for insured person 1"
    );
    assert_eq!(store.account_count().unwrap(), 1);
}

/// Asserts that `result` failed because a stored `what` no longer validates.
fn assert_corrupt<T: std::fmt::Debug>(result: Result<T, SqliteError>, what: &str) {
    let error = result.unwrap_err();
    assert!(
        matches!(error, SqliteError::Corrupt { what: found } if found == what),
        "{error:?}"
    );
}

#[test]
fn a_row_that_no_longer_validates_is_reported_as_corrupt() {
    let (store, raw, _dir) = sqlite_file("corrupt");
    register(&store, "member01", "1");
    raw.execute("UPDATE accounts SET user_id = 'x'", [])
        .unwrap();
    assert_corrupt(
        block_on(store.find_account(&user_key("member01"))),
        "user ID",
    );

    let record = reset("member01", false, 7);
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    // The table's own checks refuse some values outright …
    raw.execute("UPDATE challenges SET sends = -1", [])
        .unwrap_err();
    raw.execute("UPDATE challenges SET kind = 4", [])
        .unwrap_err();
    // … the others are caught when read.
    raw.execute("UPDATE challenges SET attempts = 4294967296", [])
        .unwrap();
    assert_corrupt(block_on(store.find_challenge(id)), "attempt count");
    raw.execute(
        "UPDATE challenges SET attempts = 0, owner = 'account:NOT A KEY'",
        [],
    )
    .unwrap();
    assert_corrupt(block_on(store.find_challenge(id)), "challenge owner");

    let login = CounterKey::Login(user_key("member01"));
    block_on(store.acquire_attempt(&login, t0(), lock_policy(10, None))).unwrap();
    raw.execute("UPDATE counters SET attempts = 4294967296", [])
        .unwrap();
    assert_corrupt(
        block_on(store.acquire_attempt(&login, t0(), lock_policy(10, None))),
        "attempt count",
    );
}

/// A busy timeout beyond what SQLite can be told (`i32` milliseconds, about 24 days), or
/// beyond what `Instant` can add, opens the store with the longest one it takes: no panic.
#[test]
fn a_busy_timeout_of_any_length_opens_the_store() {
    let dir = TempDir::new("busy-max");
    for timeout in [Duration::MAX, Duration::from_secs(30 * 24 * 3600)] {
        let options = SqliteOptions::default().busy_timeout(timeout);
        assert!(SqliteStore::open_with(dir.db("busy-max.db"), options).is_ok());
    }
}

#[test]
fn a_writer_waits_for_the_busy_timeout_and_then_fails_with_busy() {
    let dir = TempDir::new("busy");
    let path = dir.db("busy.db");
    let impatient = SqliteStore::open_with(
        &path,
        SqliteOptions::default()
            .busy_timeout(Duration::from_millis(100))
            .synchronous(Synchronous::Normal),
    )
    .unwrap();
    let patient = SqliteStore::open_with(&path, SqliteOptions::default()).unwrap();
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let key = CounterKey::Login(user_key("member01"));

    let started = std::time::Instant::now();
    let error = block_on(impatient.clear_attempts(&key)).unwrap_err();
    assert!(error.is_busy(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(90));

    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| block_on(patient.clear_attempts(&key)));
        std::thread::sleep(Duration::from_millis(200));
        holder.execute_batch("COMMIT").unwrap();
        waiter
            .join()
            .unwrap()
            .expect("the patient writer got the lock once it was free");
    });
}

#[test]
fn debug_names_the_file_and_clones_share_the_pool() {
    let store = SqliteStore::open_in_memory().unwrap();
    let clone = store.clone();
    clone.add_insured(insured("9")).unwrap();
    assert_eq!(store.insured_count().unwrap(), 1);
    let debug = format!("{store:?}");
    assert!(
        debug.contains(":memory:") && debug.contains("connections: 1"),
        "{debug}"
    );
    // Replacing a roster entry keeps one row.
    let birth = BirthDate::new(1980, 4, 1).unwrap();
    store
        .add_insured(InsuredRecord::new("06139999", "12", "9", birth, "ケンポ ハナヨ").unwrap())
        .unwrap();
    assert_eq!(store.insured_count().unwrap(), 1);
    let found = block_on(store.find_insured(&insured_key("9")))
        .unwrap()
        .unwrap();
    assert_eq!(found.name().as_str(), "ケンポ ハナヨ");
}

#[test]
fn options_never_open_zero_connections() {
    assert_eq!(
        SqliteOptions::default().connections(0).connection_count(),
        1
    );
    let dir = TempDir::new("zero");
    let store =
        SqliteStore::open_with(dir.db("z.db"), SqliteOptions::default().connections(0)).unwrap();
    assert_eq!(store.connections(), 1);
    register(&store, "member01", "1");
}

/// An empty database as the release before schema version 3 created it (issue 9's release,
/// whose last migration is `V2`), made the way [`V1_DATABASE`] was: `PRAGMA journal_mode =
/// WAL`, then `V1`, `V2` and `PRAGMA user_version = 2` in one immediate transaction, with
/// SQLite 3.40.
const V2_DATABASE: &[u8] = include_bytes!("../data/sqlite-schema-v2.db");

/// A database at schema version 2 keeps everything: its roster (covered), its accounts (never
/// logged in), its counters and its live challenges, which still complete.
#[test]
fn a_version_two_database_is_migrated_keeping_everything() {
    let (_dir, path) = old_database(2, V2_DATABASE);
    let reset_id = ticket();
    {
        let raw = Connection::open(&path).unwrap();
        insert_old_account(&raw);
        raw.execute(
            "INSERT INTO counters VALUES ('login:ngk0001', 9, NULL, ?1, NULL)",
            [nanos(t0())],
        )
        .unwrap();
        raw.execute(
            "INSERT INTO challenges (id, purpose, code_mac, issued_at, expires_at, attempts,
                 sends, owner, kind)
             VALUES (?1, 2, ?2, ?3, ?4, 1, 1, 'account:ngk0001', 2)",
            rusqlite::params![
                reset_id.as_bytes(),
                mac(7).as_bytes(),
                nanos(t0()),
                nanos(t0() + Duration::from_secs(600))
            ],
        )
        .unwrap();
    }

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), SqliteStore::SCHEMA_VERSION.into());
    let person = block_on(store.find_insured(&insured_key("345")))
        .unwrap()
        .unwrap();
    assert_eq!(
        person.coverage_end(),
        None,
        "everyone on a v2 roster is covered"
    );
    let member = user_key("ngk0001");
    let account = block_on(store.find_account(&member)).unwrap().unwrap();
    assert_eq!(account.last_login_at, None);
    assert_eq!(account.session_epoch, 0);
    let counter = block_on(store.find_counter(&CounterKey::Login(member.clone())))
        .unwrap()
        .unwrap();
    assert_eq!(counter.attempts, 9);
    let live = block_on(store.find_challenge(reset_id)).unwrap().unwrap();
    assert_eq!(live.code.attempts, 1);
    assert!(
        block_on(store.complete_password_reset(reset_id, &mac(7), crate::support::hash("new")))
            .unwrap()
    );
    assert!(block_on(store.record_login(&member, t0())).unwrap());
}

/// Schema version 5 gives existing accounts, sign-ups and registration codes the roster's date
/// of birth of their insured key; an account whose person is off the roster keeps none (held by
/// no one), and a sign-up or registration code without a roster entry is dropped.
#[test]
fn a_version_two_database_learns_who_registered_its_accounts() {
    let (_dir, path) = old_database(2, V2_DATABASE);
    let (kept_signup, lost_signup) = (ticket(), ticket());
    let (kept_code, lost_code) = (ticket(), ticket());
    {
        let raw = Connection::open(&path).unwrap();
        insert_old_account(&raw);
        raw.execute(
            "INSERT INTO accounts VALUES ('ngk0002', 'NGK0002', '06139999', '12', '999',
                 'left@example.co.jp', '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$first', 1, ?1)",
            [nanos(t0())],
        )
        .unwrap();
        let expires = nanos(t0() + Duration::from_secs(1800));
        for (id, number) in [(kept_signup, "345"), (lost_signup, "999")] {
            raw.execute(
                "INSERT INTO signups VALUES (?1, '06139999', '12', ?2, ?3)",
                rusqlite::params![id.as_bytes(), number, expires],
            )
            .unwrap();
        }
        for (id, number, user) in [
            (kept_code, "345", "newmember01"),
            (lost_code, "999", "newmember02"),
        ] {
            raw.execute(
                "INSERT INTO challenges VALUES (?1, 1, ?2, ?3, ?4, 0, 1, ?5, 1, ?6, ?6,
                     '06139999', '12', ?7, 'new@example.co.jp',
                     '$argon2id$v=19$m=64,t=1,p=1$c2FsdA$first')",
                rusqlite::params![
                    id.as_bytes(),
                    mac(7).as_bytes(),
                    nanos(t0()),
                    nanos(t0() + Duration::from_secs(600)),
                    format!("signup:{}", id.to_hex()),
                    user,
                    number
                ],
            )
            .unwrap();
        }
    }

    let store = SqliteStore::open(&path).unwrap();
    let born = BirthDate::new(1975, 3, 2).unwrap();
    let on_roster = block_on(store.find_account(&user_key("ngk0001")))
        .unwrap()
        .unwrap();
    assert_eq!(on_roster.birth_date, Some(born));
    let person = block_on(store.find_insured(&insured_key("345")))
        .unwrap()
        .unwrap();
    assert!(on_roster.is_held_by(&person));
    let off_roster = block_on(store.find_account(&user_key("ngk0002")))
        .unwrap()
        .unwrap();
    assert_eq!(off_roster.birth_date, None, "held by no one");
    let signup = block_on(store.find_signup(kept_signup)).unwrap().unwrap();
    assert_eq!(signup.birth_date, born);
    assert!(block_on(store.find_signup(lost_signup)).unwrap().is_none());
    let code = block_on(store.find_challenge(kept_code)).unwrap().unwrap();
    assert!(
        matches!(&code.payload, ChallengePayload::Registration(new) if new.birth_date == born),
        "{code:?}"
    );
    assert!(block_on(store.find_challenge(lost_code)).unwrap().is_none());
}

/// A session epoch at the column's largest value is left there, answered `None`, and the
/// account stays readable (SQLite would otherwise turn the sum into a REAL).
#[test]
fn a_session_epoch_at_its_largest_is_not_raised_past_it() {
    let (store, raw, _dir) = sqlite_file("epoch-max");
    register(&store, "member01", "1");
    let member = user_key("member01");
    assert_eq!(block_on(store.end_sessions(&member)).unwrap(), Some(1));
    raw.execute("UPDATE accounts SET session_epoch = ?1", [i64::MAX])
        .unwrap();
    assert_eq!(block_on(store.end_sessions(&member)).unwrap(), None);
    let account = block_on(store.find_account(&member)).unwrap().unwrap();
    assert_eq!(
        account.session_epoch,
        kenpo_auth::store::Account::MAX_SESSION_EPOCH
    );
}
