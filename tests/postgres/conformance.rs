//! `PostgresStore` passes the conformance suite, thread races included: on one pool, on a pool
//! of one connection, with unnamed statements (`PgBouncer`'s mode), and with every call dealt
//! round-robin over several pools (several stores, as several host processes) on one schema.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use kenpo_auth::postgres::{PostgresOptions, StatementMode};
use kenpo_auth::store::TicketId;
use kenpo_auth::store::{CodeMac, RegistrationOutcome};
use kenpo_auth::{PostgresStore, Store, testkit};

use crate::require_server;
use crate::support::{
    CHECKS, FreshSchemas, TestSchema, assert_every_check_passed, block_on, pass_on, to_inner,
};

fn run_suite(tag: &str, options: impl Fn(&TestSchema) -> PostgresOptions) {
    run_suite_at(&crate::support::url(), tag, options);
}

/// The conformance suite on stores connected through `url`, a fresh schema per check.
pub fn run_suite_at(url: &str, tag: &str, options: impl Fn(&TestSchema) -> PostgresOptions) {
    let schemas = FreshSchemas::default();
    let make_store = || schemas.with_new(tag, |schema| schema.store_at(url, options(schema)));
    let report = testkit::run(make_store, |store, record| {
        block_on(store.add_insured(record)).expect("add_insured");
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_every_check_passed(&report);
    assert_eq!(schemas.count(), CHECKS.len(), "one fresh schema per check");
}

#[test]
fn postgres_store_passes_the_conformance_suite_on_one_pool() {
    let _server = require_server!();
    // Sixteen racing threads share eight connections.
    run_suite("conf", TestSchema::options);
}

#[test]
fn postgres_store_passes_the_conformance_suite_on_one_connection() {
    let _server = require_server!();
    run_suite("conf1", |schema| schema.options().pool_size(1));
}

#[test]
fn postgres_store_passes_the_conformance_suite_with_unnamed_statements() {
    let _server = require_server!();
    // What a host behind PgBouncer in transaction mode runs.
    run_suite("confu", |schema| {
        schema
            .options()
            .pool_size(16)
            .statements(StatementMode::Unnamed)
    });
}

/// Several stores (pools) on one schema; each call goes to the next, so racing threads come
/// through different pools, as requests through different host processes.
struct Pools {
    stores: Vec<PostgresStore>,
    next: AtomicUsize,
}

impl Pools {
    fn pick(&self) -> &PostgresStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        &self.stores[n % self.stores.len()]
    }
}

/// A store method dealt to the next pool.
macro_rules! dealt {
    ($s:tt, $method:ident, $($arg:ident),*) => {
        $s.pick().$method($($arg),*).await
    };
}

impl Store for Pools {
    type Error = kenpo_auth::PostgresError;

    pass_on!(dealt: all);
}

#[test]
fn postgres_store_passes_the_conformance_suite_over_four_pools_on_one_schema() {
    let _server = require_server!();
    let schemas = FreshSchemas::default();
    let make_store = || {
        schemas.with_new("confp", |schema| {
            // Four pools of four connections, connected one after another on one schema (the
            // first migrates it, the others find it done).
            let stores = (0..4)
                .map(|_| schema.store_with(schema.options().pool_size(4)))
                .collect();
            Pools {
                stores,
                next: AtomicUsize::new(0),
            }
        })
    };
    let report = testkit::run(make_store, |pools, record| {
        block_on(pools.stores[0].add_insured(record)).expect("add_insured");
    })
    .unwrap_or_else(|failure| panic!("{failure}"));
    assert_every_check_passed(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_stores_connecting_at_once_migrate_one_schema_once() {
    let _server = require_server!();
    let schema = TestSchema::new("migrate");
    let url = crate::support::url();
    let connects = (0..8).map(|_| {
        let (url, options) = (url.clone(), schema.options().pool_size(1));
        tokio::spawn(async move { PostgresStore::connect_with(&url, options).await })
    });
    let mut stores = Vec::new();
    for connect in connects {
        stores.push(connect.await.unwrap().unwrap());
    }
    let version = crate::support::admin_value(&format!(
        "SELECT version FROM \"{}\".schema_version",
        schema.name()
    ));
    let current = PostgresStore::SCHEMA_VERSION.to_string();
    assert_eq!(version.as_deref(), Some(current.as_str()));
    // Inside a multi-threaded runtime the store uses it; awaiting works as usual.
    assert_eq!(stores[3].count_roster("06139999").await.unwrap(), 0);
}

/// A schema at version 1 (the first release: no `session_epoch`) is migrated on connect,
/// keeping its accounts, whose sessions were never ended.
#[test]
fn a_version_one_schema_is_migrated_keeping_its_accounts() {
    let _server = require_server!();
    let schema = TestSchema::new("v1");
    drop(schema.store());
    let name = schema.name();
    crate::support::admin(&format!(
        "ALTER TABLE \"{name}\".accounts DROP COLUMN session_epoch;
         {undo}
         UPDATE \"{name}\".schema_version SET version = 1;
         INSERT INTO \"{name}\".accounts (user_key, user_id, insurer_code, symbol, number,
             email, password_hash, created_at)
         VALUES ('ngk0001', 'NGK0001', '06139999', '1234', '567', 'shoko@example.co.jp',
             '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA', 0);",
        undo = UNDO_V3.replace("{name}", name),
    ))
    .unwrap();
    let store = schema.store();
    let version =
        crate::support::admin_value(&format!("SELECT version FROM \"{name}\".schema_version"));
    let current = PostgresStore::SCHEMA_VERSION.to_string();
    assert_eq!(version.as_deref(), Some(current.as_str()));
    let member = kenpo_auth::UserId::parse("NGK0001").unwrap().key();
    let account = block_on(store.find_account(&member)).unwrap().unwrap();
    assert_eq!(account.session_epoch, 0);
    assert_eq!(block_on(store.end_sessions(&member)).unwrap(), Some(1));
}

/// What version 3 added, taken away again (`{name}` is the schema).
const UNDO_V3: &str = "ALTER TABLE \"{name}\".accounts DROP COLUMN birth_date;
    ALTER TABLE \"{name}\".signups DROP COLUMN birth_date;
    ALTER TABLE \"{name}\".challenges DROP COLUMN birth_date;";

/// Version 3 gives existing accounts and sign-ups the roster's date of birth of their insured
/// key; an account whose person is off the roster keeps none (held by no one), and a sign-up
/// without a roster entry is dropped.
#[test]
fn a_version_two_schema_learns_who_registered_its_accounts() {
    let _server = require_server!();
    let schema = TestSchema::new("v2");
    drop(schema.store());
    let name = schema.name();
    let (kept, lost) = (TicketId::random().unwrap(), TicketId::random().unwrap());
    crate::support::admin(&format!(
        "{undo}
         UPDATE \"{name}\".schema_version SET version = 2;
         INSERT INTO \"{name}\".roster VALUES
             ('06139999', '1234', '567', '1975-03-02', 'ケンポ ショウコ', NULL);
         INSERT INTO \"{name}\".accounts (user_key, user_id, insurer_code, symbol, number,
             email, password_hash, created_at)
         VALUES ('ngk0001', 'NGK0001', '06139999', '1234', '567', 'shoko@example.co.jp',
             '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA', 0),
             ('ngk0002', 'NGK0002', '06139999', '1234', '999', 'left@example.co.jp',
             '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA', 0);
         INSERT INTO \"{name}\".signups VALUES
             ('\\x{kept}', '06139999', '1234', '567', 9000000000000000000),
             ('\\x{lost}', '06139999', '1234', '999', 9000000000000000000);",
        undo = UNDO_V3.replace("{name}", name),
        kept = kept.to_hex(),
        lost = lost.to_hex(),
    ))
    .unwrap();
    let store = schema.store();
    let born = kenpo_auth::BirthDate::new(1975, 3, 2).unwrap();
    let account = |user: &str| {
        let key = kenpo_auth::UserId::parse(user).unwrap().key();
        block_on(store.find_account(&key)).unwrap().unwrap()
    };
    assert_eq!(account("NGK0001").birth_date, Some(born));
    assert_eq!(account("NGK0002").birth_date, None, "held by no one");
    let signup = block_on(store.find_signup(kept)).unwrap().unwrap();
    assert_eq!(signup.birth_date, born);
    assert!(block_on(store.find_signup(lost)).unwrap().is_none());
}

/// A planted bug: `complete_registration` that checks the challenge with a plain read (no row
/// lock), then writes the account and deletes the challenge in separate statements — a
/// non-atomic consume. Everything else is the real store.
struct RacyConsume {
    inner: PostgresStore,
}

/// The first column of every row of `sql`, on a connection of its own.
fn column(sql: &str) -> Vec<Option<String>> {
    crate::support::admin(sql)
        .unwrap()
        .into_iter()
        .filter_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_owned)),
            _ => None,
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

impl Store for RacyConsume {
    type Error = kenpo_auth::PostgresError;

    // The methods the planted bug leaves to the real store.
    pass_on!(to_inner:
        find_insured, acquire_attempt, clear_attempts, insert_signup, find_signup,
        insert_challenge, find_challenge, count_code_attempt, delete_challenge,
        complete_password_reset, find_account, find_account_by_insured, update_password_hash,
        record_terms_acceptance, purge_expired, set_coverage_end, count_roster, change_password,
        complete_email_change, record_login, end_sessions, find_counter, delete_account,
        import_roster, update_code,
    );

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, Self::Error> {
        let s = self.inner.schema();
        let id = hex(id.as_bytes());
        let found = column(&format!(
            "SELECT user_key || ' ' || insurer_code || ' ' || symbol || ' ' || number
             FROM \"{s}\".challenges
             WHERE id = '\\x{id}' AND kind = 1 AND code_mac = '\\x{}'",
            hex(code_mac.as_bytes())
        ));
        let Some(Some(found)) = found.first() else {
            return Ok(RegistrationOutcome::ChallengeGone);
        };
        let parts: Vec<&str> = found.split(' ').collect();
        let taken = |sql: String| !column(&sql).is_empty();
        if taken(format!(
            "SELECT 1 FROM \"{s}\".accounts WHERE user_key = '{}'",
            parts[0]
        )) {
            return Ok(RegistrationOutcome::UserIdTaken);
        }
        if taken(format!(
            "SELECT 1 FROM \"{s}\".accounts
             WHERE insurer_code = '{}' AND symbol = '{}' AND number = '{}'",
            parts[1], parts[2], parts[3]
        )) {
            return Ok(RegistrationOutcome::InsuredHasAccount);
        }
        // The bug: the decision above is stale by the time these run.
        std::thread::sleep(Duration::from_millis(20));
        let created_at = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        crate::support::admin(&format!(
            "INSERT INTO \"{s}\".accounts (user_key, user_id, insurer_code, symbol, number,
                 email, password_hash, created_at, birth_date)
             SELECT user_key, user_id, insurer_code, symbol, number, email, password_hash,
                 {created_at}, birth_date
             FROM \"{s}\".challenges WHERE id = '\\x{id}' ON CONFLICT DO NOTHING;
             DELETE FROM \"{s}\".signups WHERE id = (SELECT decode(substr(owner, 8), 'hex')
                 FROM \"{s}\".challenges WHERE id = '\\x{id}' AND owner LIKE 'signup:%');
             DELETE FROM \"{s}\".challenges WHERE id = '\\x{id}'"
        ))
        .unwrap();
        Ok(RegistrationOutcome::Created)
    }
}

/// The suite is not blind on this server either: a consume that reads, then writes in separate
/// statements passes every sequential check and fails the race.
#[test]
fn the_suite_catches_a_non_atomic_consume_on_postgres() {
    let _server = require_server!();
    let schemas = FreshSchemas::default();
    let make_store = || {
        schemas.with_new("racy", |schema| RacyConsume {
            inner: schema.store(),
        })
    };
    let failure = testkit::run(make_store, |store, record| {
        block_on(store.inner.add_insured(record)).expect("add_insured");
    })
    .expect_err("the planted bug must be caught");
    assert_eq!(failure.check, "race_consume", "{failure}");
    eprintln!("planted non-atomic consume caught: {failure}");
}
