//! `SqliteStore` specifics: schema creation and versioning, WAL, persistence across opens,
//! exact round trips, the database's own unique constraints, corrupt rows, the busy timeout.

#![allow(clippy::doc_markdown)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sqlite_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::otp::{CodeChallenge, CodeMac, Purpose};
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::store::{
    ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, SignupRecord, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    BirthDate, EmailAddress, InsuredKey, InsuredRecord, PasswordHash, SqliteError, SqliteStore,
    UserId,
};
use rusqlite::Connection;
use sqlite_support::TempDir;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_800_000_000, 123_456_789)
}

fn key(number: &str) -> InsuredKey {
    InsuredKey::new("06139999", "12", number).unwrap()
}

fn challenge(user_id: &str, number: &str, email: EmailAddress) -> ChallengeRecord {
    ChallengeRecord {
        code: CodeChallenge {
            id: TicketId::random(),
            purpose: Purpose::Registration,
            code_mac: CodeMac::from_bytes([7; 32]),
            issued_at: t0(),
            expires_at: t0() + Duration::from_secs(600),
            attempts: 0,
            sends: 1,
        },
        payload: ChallengePayload::Registration(NewAccount {
            user_id: UserId::parse(user_id).unwrap(),
            insured_key: key(number),
            email,
            password_hash: PasswordHash::from_phc("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"),
        }),
    }
}

fn register(store: &SqliteStore, user_id: &str, number: &str) -> RegistrationOutcome {
    let record = challenge(
        user_id,
        number,
        EmailAddress::parse("member@example.co.jp").unwrap(),
    );
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    block_on(store.complete_registration(id, &CodeMac::from_bytes([7; 32]), t0())).unwrap()
}

#[test]
fn a_new_file_gets_the_current_schema_version_and_wal() {
    let dir = TempDir::new("schema");
    let path = dir.db("new.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.connections(), 4);
    assert_eq!(store.path(), path.as_path());
    let raw = Connection::open(&path).unwrap();
    let version: u32 = raw
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, SqliteStore::SCHEMA_VERSION);
    assert_eq!(version, 1);
    let mode: String = raw
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
        assert_eq!(
            register(&store, "NGK000123", "345"),
            RegistrationOutcome::Created
        );
    }
    let store = SqliteStore::open_with(&path, SqliteOptions::default().connections(1)).unwrap();
    let insured = block_on(store.find_insured(&key("345"))).unwrap().unwrap();
    assert_eq!(insured.birth_date(), BirthDate::new(1975, 3, 2).unwrap());
    assert_eq!(insured.name().as_str(), "ケンポ ショウコ");
    let account = block_on(store.find_account("ngk000123")).unwrap().unwrap();
    assert_eq!(account.user_id.as_str(), "NGK000123");
    assert_eq!(
        account.created_at,
        t0(),
        "times round-trip to the nanosecond"
    );
    assert_eq!(store.account_count().unwrap(), 1);
    assert_eq!(store.insured_count().unwrap(), 1);
    assert_eq!(store.challenge_count().unwrap(), 0);
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
                supported: 1
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("99"));
    assert!(error.message_ja().contains("障害"));
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn reopening_does_not_run_the_migration_again() {
    let dir = TempDir::new("migrate-once");
    let path = dir.db("once.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        register(&store, "member01", "1"),
        RegistrationOutcome::Created
    );
    // A second pool on the same file while the first is open, then a third after it closed.
    let second = SqliteStore::open(&path).unwrap();
    drop(store);
    drop(second);
    let third = SqliteStore::open(&path).unwrap();
    assert_eq!(third.account_count().unwrap(), 1);
}

#[test]
fn signup_times_round_trip_exactly() {
    let store = SqliteStore::open_in_memory().unwrap();
    for expires_at in [
        t0(),
        t0() + Duration::from_nanos(1),
        UNIX_EPOCH - Duration::new(3600, 7),
    ] {
        let id = TicketId::random();
        block_on(store.insert_signup(SignupRecord {
            id,
            insured_key: key("1"),
            expires_at,
        }))
        .unwrap();
        let found = block_on(store.find_signup(id)).unwrap().unwrap();
        assert_eq!(found.expires_at, expires_at);
        assert_eq!(found.insured_key, key("1"));
    }
}

#[test]
fn a_legacy_carrier_address_round_trips() {
    let store = SqliteStore::open_in_memory().unwrap();
    let legacy = EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo.ne.jp").unwrap();
    let record = challenge("member01", "1", legacy.clone());
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    let found = block_on(store.find_challenge(id)).unwrap().unwrap();
    let ChallengePayload::Registration(account) = found.payload else {
        panic!("payload kind changed");
    };
    assert_eq!(account.email, legacy);
    block_on(store.complete_registration(id, &CodeMac::from_bytes([7; 32]), t0())).unwrap();
    let account = block_on(store.find_account("member01")).unwrap().unwrap();
    assert_eq!(account.email, legacy);
}

#[test]
fn the_database_itself_refuses_duplicate_user_keys_and_insured_keys() {
    let dir = TempDir::new("constraints");
    let path = dir.db("unique.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        register(&store, "Member01", "1"),
        RegistrationOutcome::Created
    );
    let raw = Connection::open(&path).unwrap();
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

#[test]
fn a_row_that_no_longer_validates_is_reported_as_corrupt() {
    let dir = TempDir::new("corrupt");
    let path = dir.db("corrupt.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        register(&store, "member01", "1"),
        RegistrationOutcome::Created
    );
    Connection::open(&path)
        .unwrap()
        .execute("UPDATE accounts SET user_id = 'x'", [])
        .unwrap();
    let error = block_on(store.find_account("member01")).unwrap_err();
    assert!(
        matches!(error, SqliteError::Corrupt { what: "user ID" }),
        "{error:?}"
    );
    let challenge_id = TicketId::random();
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO challenges (id, purpose, code_mac, issued_at, expires_at, attempts, sends,
                 kind, reset_user_key)
             VALUES (?1, 2, zeroblob(32), 0, 0, 0, 1, 2, NULL)",
            [challenge_id.as_bytes()],
        )
        .unwrap();
    let raw = Connection::open(&path).unwrap();
    raw.execute("UPDATE challenges SET sends = -1", [])
        .unwrap_err();
    raw.execute("UPDATE challenges SET attempts = 4294967296", [])
        .unwrap();
    let error = block_on(store.find_challenge(challenge_id)).unwrap_err();
    assert!(
        matches!(
            error,
            SqliteError::Corrupt {
                what: "attempt count"
            }
        ),
        "{error:?}"
    );
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

    let started = std::time::Instant::now();
    let error = block_on(impatient.clear_attempts("login:x")).unwrap_err();
    assert!(error.is_busy(), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(90));

    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| block_on(patient.clear_attempts("login:x")));
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
    let birth = BirthDate::new(1980, 4, 1).unwrap();
    clone
        .add_insured(InsuredRecord::new("06139999", "12", "9", birth, "ケンポ ハナコ").unwrap())
        .unwrap();
    assert_eq!(store.insured_count().unwrap(), 1);
    let debug = format!("{store:?}");
    assert!(
        debug.contains(":memory:") && debug.contains("connections: 1"),
        "{debug}"
    );
    // Replacing a roster entry keeps one row.
    store
        .add_insured(InsuredRecord::new("06139999", "12", "9", birth, "ケンポ ハナヨ").unwrap())
        .unwrap();
    assert_eq!(store.insured_count().unwrap(), 1);
    let found = block_on(store.find_insured(&key("9"))).unwrap().unwrap();
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
    assert_eq!(
        register(&store, "member01", "1"),
        RegistrationOutcome::Created
    );
}
