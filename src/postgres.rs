//! [`PostgresStore`]: a [`Store`] on PostgreSQL (feature `postgres`), for a portal whose host
//! processes run on several machines and share one database.
//!
//! Built on `tokio-postgres` with a `deadpool-postgres` pool. The store keeps the contract of
//! [`crate::store`] with PostgreSQL's own guarantees — unique constraints, row locks, single
//! statements — never with locks held in the process, so any number of stores in any number of
//! processes may share one schema.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kenpo_auth::PostgresError> {
//! use kenpo_auth::{BirthDate, InsuredKey, InsuredRecord, PostgresStore, Store};
//!
//! let store = PostgresStore::connect("postgres://kenpo@db.internal/portal").await?;
//! let birth = BirthDate::new(1980, 4, 1).unwrap();
//! store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap()).await?;
//! let key = InsuredKey::new("06139999", "12", "345").unwrap();
//! assert!(store.find_insured(&key).await?.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! ## Schema
//!
//! The tables live in one schema (`kenpo_auth` by default; [`PostgresOptions::schema`] picks
//! another per tenant or per test), named in every statement, so that nothing depends on the
//! session's `search_path`. The schema is created and migrated on connect, in one transaction
//! under `pg_advisory_xact_lock`: processes starting together migrate it once. Its version is
//! in `schema_version`; a schema written by a newer release is refused
//! ([`PostgresError::SchemaTooNew`]). Unique constraints hold the lower-cased user ID
//! (`accounts.user_key`, checked equal to `lower(user_id)`), the insured person
//! (`accounts (insurer_code, symbol, number)`), and one unconsumed challenge per owner and
//! purpose (`challenges (owner, purpose)`). Times are `BIGINT` nanoseconds since the Unix
//! epoch, exact to the nanosecond.
//!
//! ## Atomicity and isolation
//!
//! Every method is one statement or one transaction, all at `READ COMMITTED` (PostgreSQL's
//! default): single statements re-check their `WHERE` on the newest row version after waiting
//! for a row lock, and multi-statement steps lock the rows they decide on (`SELECT … FOR
//! UPDATE`) before deciding. No step needs `REPEATABLE READ` or `SERIALIZABLE`.
//!
//! | method | how |
//! | --- | --- |
//! | `count_code_attempt` | one `UPDATE … SET attempts = attempts + 1 … RETURNING` |
//! | `update_password_hash`, `record_terms_acceptance`, `record_login`, `set_coverage_end` | one conditional `UPDATE … RETURNING` (compare-and-set on the hash; `GREATEST` for terms) |
//! | `insert_signup` | one `INSERT … ON CONFLICT (id) DO UPDATE` |
//! | `clear_attempts`, `delete_challenge` | one `DELETE` |
//! | `find_*`, `count_roster` | one `SELECT` |
//! | `insert_challenge` | transaction: delete a row with the same id, then `INSERT … ON CONFLICT (owner, purpose) DO UPDATE`: the unique constraint makes a concurrent insert for the same owner wait and then replace, so one challenge stays live |
//! | `acquire_attempt`, `update_code` | transaction: `SELECT … FOR UPDATE`, the crate's rule, `UPDATE`; a first counter is `INSERT … ON CONFLICT DO NOTHING`, and if another caller created it meanwhile the step re-reads it under the lock |
//! | `complete_registration` | transaction: lock the challenge row (`FOR UPDATE`, only if its MAC matches), check the user ID and the insured person, `INSERT … ON CONFLICT DO NOTHING` the account, delete the challenge and the sign-up, commit. A concurrent registration of the same user ID makes the insert do nothing: the step runs again and answers `UserIdTaken` |
//! | `complete_password_reset`, `complete_email_change` | transaction: lock the challenge row (MAC matched), update the account, delete the owner's challenges |
//! | `change_password`, `delete_account` | transaction: the conditional `UPDATE`/`DELETE` of the account, then its challenges |
//! | `purge_expired` | transaction: three `DELETE`s (sign-ups, challenges, idle counters, re-checked after any row lock) |
//! | `import_roster` | transaction: see [`import`](self#roster-imports) |
//!
//! A step that loses to a concurrent one with a serialization failure (`40001`) or a deadlock
//! (`40P01`) — possible between, say, a purge and a password reset that lock the same rows in
//! another order — is rolled back and run again, up to [`PostgresOptions::max_tries`] times
//! (eight by default), then fails with [`PostgresError::Contention`]. `update_code` runs again
//! only while its rule has not yet been applied; `import_roster` is not run again (its entries
//! are read once) and fails with the server's error.
//!
//! ## Roster imports
//!
//! In one transaction: an advisory lock on the insurer (imports of one insurer run one after
//! another), the entries streamed with binary `COPY` into a `CREATE TEMP TABLE … ON COMMIT
//! DROP`, the comparison streamed in file order through [`RosterTally`](crate::store::RosterTally)
//! (duplicates, then `seen` for each first row joined with the stored one, then `removed`), and
//! the delete and upsert only if the tally allows. Readers see the old roster or the new one.
//!
//! ## Connections, PgBouncer and prepared statements
//!
//! Each [`connect`](PostgresStore::connect) makes its own pool (eight connections by default,
//! opened as needed); clones share it. A connection taken from the pool is first verified with
//! an empty query, so one that the server closed is replaced (off:
//! [`PostgresOptions::verify_connections`]).
//!
//! The store keeps no session state: tables are named with their schema, staging tables die
//! with their transaction, the statement timeout is a startup option, and a roster import's
//! longer one ([`PostgresOptions::import_statement_timeout`]) is `SET LOCAL` in its
//! transaction. Statements are sent
//! in one of two ways ([`StatementMode`]):
//!
//! - [`StatementMode::Cached`] (default): each connection prepares each statement once as a
//!   named prepared statement (deadpool's per-connection cache). Right for a direct connection,
//!   or PgBouncer 1.21+ with `max_prepared_statements` set, which tracks them itself.
//! - [`StatementMode::Unnamed`]: each statement is parsed, bound and run in one round trip as
//!   an unnamed statement with its parameter types (`query_typed`). Named prepared statements
//!   break behind an older PgBouncer in transaction mode (the next transaction may land on a
//!   server connection that never saw them); unnamed ones do not. Choose it there, together
//!   with `statement_timeout(None)` (PgBouncer refuses startup options; set the timeout on the
//!   role). `tests/postgres/pgbouncer.rs` runs the conformance suite through PgBouncer 1.18 in
//!   transaction mode this way.
//!
//! Inside a transaction (the roster import's streaming queries) a statement may be prepared
//! and closed within that transaction, which every pooling mode allows.
//!
//! ## Runtime
//!
//! A `tokio-postgres` connection is a client half, whose futures any executor can poll, and a
//! connection task, which needs a Tokio runtime; so does opening a connection. The store keeps
//! the runtime it was connected on when that is a multi-threaded Tokio runtime, and otherwise
//! (no runtime, `pollster`, a current-thread runtime that a blocking caller could starve)
//! starts its own with one worker thread, shut down when the last clone drops; with
//! [`PostgresOptions::dedicated_runtime`] it always starts its own. Connections are taken from
//! the pool on that runtime (a spawned task whose `JoinHandle` the caller awaits); the
//! statements then run in the caller's future. So the store's futures work on any executor,
//! from plain threads too — the conformance suite drives them with a minimal `block_on` on
//! sixteen OS threads — as long as that runtime is running: a store connected inside a runtime
//! that has since shut down fails with [`PostgresError::RuntimeGone`].
//!
//! ## Failures
//!
//! A lost connection, a server restart or a statement timeout ends the call with
//! [`PostgresError::Postgres`] (the portal's `Error::Store`); an interrupted transaction is
//! rolled back by the server, so no step is left half done. The next call takes a fresh
//! connection. A commit whose answer was lost may or may not have happened, as with any
//! database: every step of the contract may safely be asked again.

#![allow(clippy::doc_markdown)] // PostgreSQL and PgBouncer are names, not code.

mod codec;
mod error;
mod import;
mod options;
mod pool;
mod schema;

pub use error::PostgresError;
pub use options::{PostgresOptions, StatementMode};

use self::codec::{
    ACCOUNT_COLUMNS, CHALLENGE_COLUMNS, CODE_COLUMNS, COUNTER_COLUMNS, KIND_EMAIL_CHANGE,
    KIND_REGISTRATION, KIND_RESET, ROSTER_COLUMNS, SIGNUP_COLUMNS, account_from_row,
    challenge_from_row, code_from_row, counter_from_row, email_from_sql, epoch_from_sql, get,
    kind_to_sql, optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql,
    roster_columns, roster_from_row, signup_from_row, time_to_sql,
};
use self::pool::{Backend, On, Param, Session, SharedBackend, begin, bytea, int8, text};
use self::schema::SCHEMA_VERSION;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use crate::clock::earlier;
use crate::config::TermsVersion;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{CoverageEnd, InsuredKey, InsuredRecord};
use crate::store::{
    Account, AttemptCounter, AttemptGate, ChallengeOwner, ChallengeRecord, CodeChallenge, CodeMac,
    CounterKey, ImportMode, LimitPolicy, Purpose, RegistrationOutcome, RosterChanges, RosterEntry,
    SignupRecord, Store,
};
use crate::ticket::TicketId;
use crate::user_id::UserKey;

/// Runs `$body` — an expression giving `Result<Option<T>, PostgresError>`, where `Ok(None)`
/// means "a concurrent step got in the way, run again" — until it gives a value or a
/// non-conflict error, at most `max_tries` times.
macro_rules! with_tries {
    ($backend:expr, $body:expr) => {{
        let max = $backend.max_tries();
        let mut tries: u32 = 0;
        loop {
            tries = tries.saturating_add(1);
            let outcome: Result<Option<_>, PostgresError> = $body;
            match outcome {
                Ok(Some(value)) => break Ok(value),
                Ok(None) => {}
                Err(error) if error.is_conflict() => {}
                Err(error) => break Err(error),
            }
            if tries >= max {
                break Err(PostgresError::Contention { tries });
            }
        }
    }};
}

/// Runs a step in a read-committed transaction on one pooled connection, under `with_tries!`:
/// `$step` sees the transaction as `$tx` and a session on it as `$session`, and answers as a
/// `with_tries!` step does (usually through [`commit`] or [`roll_back`]).
macro_rules! in_transaction {
    ($store:expr, |$tx:ident, $session:ident| $step:block) => {{
        let mut client = $store.backend.get().await?;
        with_tries!(
            $store.backend,
            async {
                let $tx = begin(&mut client).await?;
                let $session = $store.session(On::Tx(&$tx));
                $step
            }
            .await
        )
    }};
}

/// A [`Store`] on a PostgreSQL database. Clones share the connection pool.
///
/// See the [module documentation](self) for the schema, the isolation of each step, PgBouncer
/// and the runtime. `Debug` shows hosts, database, user and schema, never the password.
///
/// ```no_run
/// # async fn demo() -> Result<(), kenpo_auth::PostgresError> {
/// use kenpo_auth::PostgresStore;
/// let store = PostgresStore::connect("postgres://kenpo:secret@127.0.0.1/portal").await?;
/// assert!(!format!("{store:?}").contains("secret"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PostgresStore {
    backend: SharedBackend,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.backend, f)
    }
}

fn count_from(row: Option<&Row>) -> Result<u64, PostgresError> {
    let count: i64 = row.map_or(Ok(0), |row| get(row, 0, "count"))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Rolls `tx` back and ends a `with_tries!` step with `answer`: the step is not run again.
async fn roll_back<T>(tx: Transaction<'_>, answer: T) -> Result<Option<T>, PostgresError> {
    tx.rollback().await?;
    Ok(Some(answer))
}

/// Commits `tx` and ends a `with_tries!` step with `answer`.
async fn commit<T>(tx: Transaction<'_>, answer: T) -> Result<Option<T>, PostgresError> {
    tx.commit().await?;
    Ok(Some(answer))
}

/// Deletes every challenge of owner `$1` (its storage key): what a reset, a password change or
/// a deletion leaves of the account's outstanding codes.
const VOID_CHALLENGES_OF_OWNER: &str = "DELETE FROM @.challenges WHERE owner = $1";

/// Locks the challenge `id` of `kind` (`FOR UPDATE`) with a statement from
/// [`PostgresStore::lock_challenge_sql`], only if its code MAC is `code_mac`. Every completion
/// starts here: a parallel caller waits on the lock, then finds the challenge gone; a wrong
/// code, another kind and a consumed challenge all read as no row.
async fn lock_challenge(
    session: &Session<'_>,
    sql: &str,
    id: &[u8],
    kind: i64,
    code_mac: &[u8],
) -> Result<Option<Row>, PostgresError> {
    session
        .query_opt(sql, &[bytea(&id), int8(&kind), bytea(&code_mac)])
        .await
}

impl PostgresStore {
    /// The schema version this release reads and writes.
    pub const SCHEMA_VERSION: u32 = SCHEMA_VERSION;

    /// Connects to `url` (`postgres://user:password@host:port/database?…`, or the key=value
    /// form) with [`PostgresOptions::default`], and creates or migrates the schema.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), kenpo_auth::PostgresError> {
    /// let store = kenpo_auth::PostgresStore::connect("postgres://postgres@127.0.0.1/test").await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`PostgresError::InvalidUrl`]; [`PostgresError::Postgres`] or [`PostgresError::Pool`] if
    /// the server cannot be reached or refuses the login; [`PostgresError::SchemaTooNew`].
    pub async fn connect(url: &str) -> Result<Self, PostgresError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to `url` with `options`, and creates or migrates the schema.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), kenpo_auth::PostgresError> {
    /// use kenpo_auth::postgres::{PostgresOptions, PostgresStore, StatementMode};
    /// let options = PostgresOptions::default()
    ///     .pool_size(16)
    ///     .schema("union_06139999")
    ///     .statements(StatementMode::Unnamed) // behind PgBouncer in transaction mode
    ///     .statement_timeout(None);
    /// let store = PostgresStore::connect_with("postgres://kenpo@pgbouncer/portal", options).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`connect`](Self::connect); [`PostgresError::InvalidSchemaName`].
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, PostgresError> {
        let backend = Backend::new(url, &options)?;
        schema::migrate(&backend).await?;
        Ok(Self {
            backend: Arc::new(backend),
        })
    }

    /// The schema that holds this store's tables.
    #[must_use]
    pub fn schema(&self) -> &str {
        self.backend.schema()
    }

    /// The most connections this store (and its clones) opens.
    #[must_use]
    pub fn pool_size(&self) -> usize {
        self.backend.max_size()
    }

    fn session<'a>(&self, on: On<'a>) -> Session<'a> {
        Session {
            on,
            mode: self.backend.mode(),
        }
    }

    /// Runs one statement (retried if it lost to a concurrent transaction) and returns its rows.
    async fn statement(
        &self,
        template: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, PostgresError> {
        let sql = self.backend.sql(template);
        with_tries!(
            self.backend,
            async {
                let client = self.backend.get().await?;
                self.session(On::Client(&client))
                    .query(&sql, params)
                    .await
                    .map(Some)
            }
            .await
        )
    }

    /// The statement for [`lock_challenge`], reading `columns` of the locked challenge.
    fn lock_challenge_sql(&self, columns: &str) -> String {
        self.backend.sql(&format!(
            "SELECT {columns} FROM @.challenges WHERE id = $1 AND kind = $2 AND code_mac = $3
             FOR UPDATE"
        ))
    }

    /// Runs one statement and decodes its first row, if it returned one.
    async fn first_row<T>(
        &self,
        template: &str,
        params: &[Param<'_>],
        decode: impl FnOnce(&Row) -> Result<T, PostgresError>,
    ) -> Result<Option<T>, PostgresError> {
        self.statement(template, params)
            .await?
            .first()
            .map(decode)
            .transpose()
    }

    /// Runs one statement and says whether it returned a row.
    async fn changed(&self, template: &str, params: &[Param<'_>]) -> Result<bool, PostgresError> {
        Ok(!self.statement(template, params).await?.is_empty())
    }

    /// Adds (or replaces) a person on the insurer's roster.
    ///
    /// ```no_run
    /// # async fn demo(store: kenpo_auth::PostgresStore) -> Result<(), kenpo_auth::PostgresError> {
    /// use kenpo_auth::{BirthDate, InsuredRecord};
    /// let birth = BirthDate::new(1980, 4, 1).unwrap();
    /// store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the write fails.
    #[allow(clippy::needless_pass_by_value)] // the same signature as `MemoryStore::add_insured`
    pub async fn add_insured(&self, record: InsuredRecord) -> Result<(), PostgresError> {
        let [c0, c1, c2, c3, c4, c5] = roster_columns(&record);
        self.statement(
            &format!(
                "INSERT INTO @.roster ({ROSTER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (insurer_code, symbol, number) DO UPDATE SET
                     birth_date = excluded.birth_date, name_kana = excluded.name_kana,
                     coverage_end = excluded.coverage_end"
            ),
            &[
                text(&c0),
                text(&c1),
                text(&c2),
                text(&c3),
                text(&c4),
                text(&c5),
            ],
        )
        .await?;
        Ok(())
    }

    async fn count(&self, table: &'static str) -> Result<u64, PostgresError> {
        let rows = self
            .statement(&format!("SELECT count(*) FROM @.{table}"), &[])
            .await?;
        count_from(rows.first())
    }

    /// How many people are on the roster (every insurer).
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails.
    pub async fn insured_count(&self) -> Result<u64, PostgresError> {
        self.count("roster").await
    }

    /// How many accounts exist.
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails.
    pub async fn account_count(&self) -> Result<u64, PostgresError> {
        self.count("accounts").await
    }

    /// How many unconsumed challenges exist (decoys included).
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails.
    pub async fn challenge_count(&self) -> Result<u64, PostgresError> {
        self.count("challenges").await
    }

    /// How many attempt counters exist.
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails.
    pub async fn counter_count(&self) -> Result<u64, PostgresError> {
        self.count("counters").await
    }

    /// How many first authentications are stored.
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails.
    pub async fn signup_count(&self) -> Result<u64, PostgresError> {
        self.count("signups").await
    }

    /// Every account, ordered by user key (byte order), for administration and tests.
    ///
    /// # Errors
    /// [`PostgresError::Postgres`] if the read fails; [`PostgresError::Corrupt`] for a row
    /// that no longer validates.
    pub async fn accounts(&self) -> Result<Vec<Account>, PostgresError> {
        self.statement(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM @.accounts ORDER BY user_key COLLATE \"C\""),
            &[],
        )
        .await?
        .iter()
        .map(account_from_row)
        .collect()
    }
}

impl Store for PostgresStore {
    type Error = PostgresError;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, PostgresError> {
        let (insurer_code, symbol, number) = (key.insurer_code(), key.symbol(), key.number());
        let sql = format!(
            "SELECT {ROSTER_COLUMNS} FROM @.roster
             WHERE insurer_code = $1 AND symbol = $2 AND number = $3"
        );
        self.first_row(
            &sql,
            &[text(&insurer_code), text(&symbol), text(&number)],
            |row| roster_from_row(row, 0),
        )
        .await
    }

    async fn acquire_attempt(
        &self,
        key: &CounterKey,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, PostgresError> {
        let key = key.storage_key();
        let select = self.backend.sql(&format!(
            "SELECT {COUNTER_COLUMNS} FROM @.counters WHERE key = $1 FOR UPDATE"
        ));
        let update = self.backend.sql(
            "UPDATE @.counters SET attempts = $2, locked_until = $3, last_attempt = $4,
                 forget_at = $5
             WHERE key = $1 RETURNING 1",
        );
        let insert = self.backend.sql(
            "INSERT INTO @.counters (key, attempts, locked_until, last_attempt, forget_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING 1",
        );
        in_transaction!(self, |tx, session| {
            // The row lock is taken before the rule runs: no other caller can slip in between.
            let found = session.query_opt(&select, &[text(&key)]).await?;
            let existed = found.is_some();
            let mut counter = found
                .as_ref()
                .map(counter_from_row)
                .transpose()?
                .unwrap_or_default();
            let before = counter;
            let gate = counter.acquire(now, &policy);
            if counter == before {
                return commit(tx, gate).await;
            }
            let attempts = i64::from(counter.attempts);
            let locked_until = optional_time_to_sql(counter.locked_until)?;
            let last_attempt = optional_time_to_sql(counter.last_attempt)?;
            let forget_at = optional_time_to_sql(counter.forget_at)?;
            let params = [
                text(&key),
                int8(&attempts),
                int8(&locked_until),
                int8(&last_attempt),
                int8(&forget_at),
            ];
            let written = session
                .count(if existed { &update } else { &insert }, &params)
                .await?;
            if written != 1 {
                // Another caller stored the first counter meanwhile: read it again, locked.
                tx.rollback().await?;
                return Ok(None);
            }
            commit(tx, gate).await
        })
    }

    async fn clear_attempts(&self, key: &CounterKey) -> Result<(), PostgresError> {
        let key = key.storage_key();
        self.statement("DELETE FROM @.counters WHERE key = $1", &[text(&key)])
            .await?;
        Ok(())
    }

    async fn insert_signup(&self, record: SignupRecord) -> Result<(), PostgresError> {
        let expires_at = time_to_sql(record.expires_at)?;
        let key = &record.insured_key;
        let (insurer_code, symbol, number) = (key.insurer_code(), key.symbol(), key.number());
        let id = record.id.as_bytes().as_slice();
        let birth_date = record.birth_date.to_string();
        self.statement(
            "INSERT INTO @.signups (id, insurer_code, symbol, number, birth_date, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET insurer_code = excluded.insurer_code,
                 symbol = excluded.symbol, number = excluded.number,
                 birth_date = excluded.birth_date, expires_at = excluded.expires_at",
            &[
                bytea(&id),
                text(&insurer_code),
                text(&symbol),
                text(&number),
                text(&birth_date),
                int8(&expires_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, PostgresError> {
        let id = id.as_bytes().as_slice();
        let sql = format!("SELECT {SIGNUP_COLUMNS} FROM @.signups WHERE id = $1");
        self.first_row(&sql, &[bytea(&id)], signup_from_row).await
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), PostgresError> {
        let code = &record.code;
        let id = code.id.as_bytes().as_slice();
        let purpose = purpose_to_sql(code.purpose);
        let code_mac = code.code_mac.as_bytes().as_slice();
        let issued_at = time_to_sql(code.issued_at)?;
        let expires_at = time_to_sql(code.expires_at)?;
        let attempts = i64::from(code.attempts);
        let sends = i64::from(code.sends);
        let owner = record.owner.storage_key();
        let kind = kind_to_sql(&record.payload);
        // The payload's columns: user_key, user_id, insurer_code, symbol, number, email,
        // password_hash, birth_date.
        let [key, user, insurer, symbol, number, email, hash, born] =
            payload_columns(&record.payload);
        let delete = self.backend.sql("DELETE FROM @.challenges WHERE id = $1");
        // The unique (owner, purpose) makes a concurrent insert for the same owner wait for
        // this one, then replace it: one challenge stays live.
        let insert = self.backend.sql(
            "INSERT INTO @.challenges (id, purpose, code_mac, issued_at, expires_at, attempts,
                 sends, owner, kind, user_key, user_id, insurer_code, symbol, number, email,
                 password_hash, birth_date)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 $17)
             ON CONFLICT (owner, purpose) DO UPDATE SET id = excluded.id,
                 code_mac = excluded.code_mac, issued_at = excluded.issued_at,
                 expires_at = excluded.expires_at, attempts = excluded.attempts,
                 sends = excluded.sends, kind = excluded.kind, user_key = excluded.user_key,
                 user_id = excluded.user_id, insurer_code = excluded.insurer_code,
                 symbol = excluded.symbol, number = excluded.number, email = excluded.email,
                 password_hash = excluded.password_hash, birth_date = excluded.birth_date",
        );
        let params = [
            bytea(&id),
            int8(&purpose),
            bytea(&code_mac),
            int8(&issued_at),
            int8(&expires_at),
            int8(&attempts),
            int8(&sends),
            text(&owner),
            int8(&kind),
            text(&key),
            text(&user),
            text(&insurer),
            text(&symbol),
            text(&number),
            text(&email),
            text(&hash),
            text(&born),
        ];
        in_transaction!(self, |tx, session| {
            session.query(&delete, &[bytea(&id)]).await?;
            session.query(&insert, &params).await?;
            commit(tx, ()).await
        })
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, PostgresError> {
        let id = id.as_bytes().as_slice();
        let sql = format!("SELECT {CHALLENGE_COLUMNS} FROM @.challenges WHERE id = $1");
        self.first_row(&sql, &[bytea(&id)], challenge_from_row)
            .await
    }

    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, PostgresError> {
        let id = id.as_bytes().as_slice();
        // One statement: the increment and the read of its result are atomic.
        let sql = format!(
            "UPDATE @.challenges SET attempts = LEAST(attempts + 1, 4294967295)
             WHERE id = $1 RETURNING {CHALLENGE_COLUMNS}"
        );
        self.first_row(&sql, &[bytea(&id)], challenge_from_row)
            .await
    }

    async fn update_code<F, R>(&self, id: TicketId, change: F) -> Result<Option<R>, PostgresError>
    where
        F: FnOnce(&mut CodeChallenge) -> R + Send,
        R: Send,
    {
        let id = id.as_bytes().as_slice();
        let select = self.backend.sql(&format!(
            "SELECT {CODE_COLUMNS} FROM @.challenges WHERE id = $1 FOR UPDATE"
        ));
        let update = self.backend.sql(
            "UPDATE @.challenges SET code_mac = $2, issued_at = $3, expires_at = $4,
                 attempts = $5, sends = $6
             WHERE id = $1",
        );
        // The rule runs once: the step is run again only while it has not been applied.
        let mut change = Some(change);
        in_transaction!(self, |tx, session| {
            let Some(row) = session.query_opt(&select, &[bytea(&id)]).await? else {
                return roll_back(tx, None).await;
            };
            let mut code = code_from_row(&row)?;
            let Some(change) = change.take() else {
                return Err(PostgresError::Contention { tries: 1 });
            };
            let answer = code.apply(change);
            let code_mac = code.code_mac.as_bytes().as_slice();
            let issued_at = time_to_sql(code.issued_at)?;
            let expires_at = time_to_sql(code.expires_at)?;
            let attempts = i64::from(code.attempts);
            let sends = i64::from(code.sends);
            session
                .query(
                    &update,
                    &[
                        bytea(&id),
                        bytea(&code_mac),
                        int8(&issued_at),
                        int8(&expires_at),
                        int8(&attempts),
                        int8(&sends),
                    ],
                )
                .await?;
            commit(tx, Some(answer)).await
        })
    }

    async fn delete_challenge(&self, id: TicketId) -> Result<(), PostgresError> {
        let id = id.as_bytes().as_slice();
        self.statement("DELETE FROM @.challenges WHERE id = $1", &[bytea(&id)])
            .await?;
        Ok(())
    }

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, PostgresError> {
        let now = time_to_sql(now)?;
        let id = id.as_bytes().as_slice();
        let code_mac = code_mac.as_bytes().as_slice();
        let select = self.lock_challenge_sql("user_key, insurer_code, symbol, number, owner");
        let user_taken = self
            .backend
            .sql("SELECT 1 FROM @.accounts WHERE user_key = $1");
        let insured_taken = self.backend.sql(
            "SELECT 1 FROM @.accounts WHERE insurer_code = $1 AND symbol = $2 AND number = $3",
        );
        let insert = self.backend.sql(
            "INSERT INTO @.accounts (user_key, user_id, insurer_code, symbol, number, email,
                 password_hash, terms_accepted, created_at, birth_date)
             SELECT user_key, user_id, insurer_code, symbol, number, email, password_hash,
                 NULL, $2, birth_date
             FROM @.challenges WHERE id = $1
             ON CONFLICT DO NOTHING RETURNING 1",
        );
        let consume = self.backend.sql("DELETE FROM @.challenges WHERE id = $1");
        let used_up = self.backend.sql("DELETE FROM @.signups WHERE id = $1");
        in_transaction!(self, |tx, session| {
            let lock = lock_challenge(&session, &select, id, KIND_REGISTRATION, code_mac);
            let Some(row) = lock.await? else {
                return roll_back(tx, RegistrationOutcome::ChallengeGone).await;
            };
            let user_key: &str = get(&row, 0, "user key")?;
            let insurer_code: &str = get(&row, 1, "insured key")?;
            let symbol: &str = get(&row, 2, "insured key")?;
            let number: &str = get(&row, 3, "insured key")?;
            let owner: &str = get(&row, 4, "challenge owner")?;
            if session
                .query_opt(&user_taken, &[text(&user_key)])
                .await?
                .is_some()
            {
                return roll_back(tx, RegistrationOutcome::UserIdTaken).await;
            }
            if session
                .query_opt(
                    &insured_taken,
                    &[text(&insurer_code), text(&symbol), text(&number)],
                )
                .await?
                .is_some()
            {
                return roll_back(tx, RegistrationOutcome::InsuredHasAccount).await;
            }
            if session.count(&insert, &[bytea(&id), int8(&now)]).await? != 1 {
                // A concurrent registration took the user ID or the person after the checks
                // above: run again, and its account answers which.
                tx.rollback().await?;
                return Ok(None);
            }
            session.query(&consume, &[bytea(&id)]).await?;
            // The sign-up ticket is used up with its registration.
            if let ChallengeOwner::Signup(ticket) = owner_from_sql(owner)? {
                let ticket = ticket.as_bytes().as_slice();
                session.query(&used_up, &[bytea(&ticket)]).await?;
            }
            commit(tx, RegistrationOutcome::Created).await
        })
    }

    async fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> Result<bool, PostgresError> {
        let id = id.as_bytes().as_slice();
        let code_mac = code_mac.as_bytes().as_slice();
        let new_hash = new_hash.as_str();
        let select = self.lock_challenge_sql("owner");
        let update = self
            .backend
            .sql("UPDATE @.accounts SET password_hash = $2 WHERE user_key = $1 RETURNING 1");
        let void = self.backend.sql(VOID_CHALLENGES_OF_OWNER);
        in_transaction!(self, |tx, session| {
            let lock = lock_challenge(&session, &select, id, KIND_RESET, code_mac);
            let Some(row) = lock.await? else {
                return roll_back(tx, false).await;
            };
            let owner: &str = get(&row, 0, "challenge owner")?;
            let ChallengeOwner::Account(user) = owner_from_sql(owner)? else {
                return roll_back(tx, false).await;
            };
            let user = user.as_str();
            if session
                .count(&update, &[text(&user), text(&new_hash)])
                .await?
                != 1
            {
                return roll_back(tx, false).await;
            }
            // A completed reset voids every code the account has outstanding.
            session.query(&void, &[text(&owner)]).await?;
            commit(tx, true).await
        })
    }

    async fn find_account(&self, user: &UserKey) -> Result<Option<Account>, PostgresError> {
        let user = user.as_str();
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM @.accounts WHERE user_key = $1");
        self.first_row(&sql, &[text(&user)], account_from_row).await
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, PostgresError> {
        let (insurer_code, symbol, number) = (key.insurer_code(), key.symbol(), key.number());
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM @.accounts
             WHERE insurer_code = $1 AND symbol = $2 AND number = $3"
        );
        self.first_row(
            &sql,
            &[text(&insurer_code), text(&symbol), text(&number)],
            account_from_row,
        )
        .await
    }

    async fn update_password_hash(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, PostgresError> {
        let (user, expected, new_hash) = (user.as_str(), expected.as_str(), new_hash.as_str());
        self.changed(
            "UPDATE @.accounts SET password_hash = $3
             WHERE user_key = $1 AND password_hash = $2 RETURNING 1",
            &[text(&user), text(&expected), text(&new_hash)],
        )
        .await
    }

    async fn record_terms_acceptance(
        &self,
        user: &UserKey,
        version: TermsVersion,
    ) -> Result<bool, PostgresError> {
        let user = user.as_str();
        let version = i64::from(version.get());
        // GREATEST ignores NULL: the newest version accepted is kept.
        self.changed(
            "UPDATE @.accounts SET terms_accepted = GREATEST(terms_accepted, $2)
             WHERE user_key = $1 RETURNING 1",
            &[text(&user), int8(&version)],
        )
        .await
    }

    async fn import_roster<I>(
        &self,
        insurer_code: &str,
        entries: I,
        mode: ImportMode,
    ) -> Result<RosterChanges, PostgresError>
    where
        I: Iterator<Item = RosterEntry> + Send,
    {
        import::run(&self.backend, insurer_code, entries, mode).await
    }

    async fn set_coverage_end(
        &self,
        key: &InsuredKey,
        end: Option<CoverageEnd>,
    ) -> Result<bool, PostgresError> {
        let (insurer_code, symbol, number) = (key.insurer_code(), key.symbol(), key.number());
        let end = end.map(|end| end.to_string());
        self.changed(
            "UPDATE @.roster SET coverage_end = $4
             WHERE insurer_code = $1 AND symbol = $2 AND number = $3 RETURNING 1",
            &[
                text(&insurer_code),
                text(&symbol),
                text(&number),
                text(&end),
            ],
        )
        .await
    }

    async fn count_roster(&self, insurer_code: &str) -> Result<u64, PostgresError> {
        let rows = self
            .statement(
                "SELECT count(*) FROM @.roster WHERE insurer_code = $1",
                &[text(&insurer_code)],
            )
            .await?;
        count_from(rows.first())
    }

    async fn change_password(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, PostgresError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        let (user, expected, new_hash) = (user.as_str(), expected.as_str(), new_hash.as_str());
        let update = self.backend.sql(
            "UPDATE @.accounts SET password_hash = $3
             WHERE user_key = $1 AND password_hash = $2 RETURNING 1",
        );
        let void = self.backend.sql(VOID_CHALLENGES_OF_OWNER);
        in_transaction!(self, |tx, session| {
            let updated = session
                .count(&update, &[text(&user), text(&expected), text(&new_hash)])
                .await?;
            if updated != 1 {
                return roll_back(tx, false).await;
            }
            // Outstanding codes (resets, e-mail changes) die with the old password.
            session.query(&void, &[text(&owner)]).await?;
            commit(tx, true).await
        })
    }

    async fn complete_email_change(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
    ) -> Result<Option<EmailAddress>, PostgresError> {
        let id = id.as_bytes().as_slice();
        let code_mac = code_mac.as_bytes().as_slice();
        let select = self.lock_challenge_sql("owner, email");
        let old = self
            .backend
            .sql("SELECT email FROM @.accounts WHERE user_key = $1 FOR UPDATE");
        let update = self
            .backend
            .sql("UPDATE @.accounts SET email = $2 WHERE user_key = $1");
        let consume = self.backend.sql("DELETE FROM @.challenges WHERE id = $1");
        let void = self
            .backend
            .sql("DELETE FROM @.challenges WHERE owner = $1 AND purpose = $2");
        let reset = purpose_to_sql(Purpose::PasswordReset);
        let replaced: Option<String> = in_transaction!(self, |tx, session| {
            let lock = lock_challenge(&session, &select, id, KIND_EMAIL_CHANGE, code_mac);
            let Some(row) = lock.await? else {
                return roll_back(tx, None).await;
            };
            let owner: &str = get(&row, 0, "challenge owner")?;
            let new_email: Option<&str> = get(&row, 1, "e-mail address")?;
            let (ChallengeOwner::Account(user), Some(new_email)) =
                (owner_from_sql(owner)?, new_email)
            else {
                return roll_back(tx, None).await;
            };
            let user = user.as_str();
            // Under the row lock the address read is the one replaced.
            let Some(old_row) = session.query_opt(&old, &[text(&user)]).await? else {
                return roll_back(tx, None).await;
            };
            let old_email: String = get(&old_row, 0, "e-mail address")?;
            session
                .query(&update, &[text(&user), text(&new_email)])
                .await?;
            session.query(&consume, &[bytea(&id)]).await?;
            // Reset codes went to the old address: they die with it.
            session.query(&void, &[text(&owner), int8(&reset)]).await?;
            commit(tx, Some(old_email)).await
        })?;
        Ok(replaced.map(|old| email_from_sql(&old)).transpose()?)
    }

    async fn record_login(&self, user: &UserKey, at: SystemTime) -> Result<bool, PostgresError> {
        let user = user.as_str();
        let at = time_to_sql(at)?;
        self.changed(
            "UPDATE @.accounts SET last_login_at = $2 WHERE user_key = $1 RETURNING 1",
            &[text(&user), int8(&at)],
        )
        .await
    }

    async fn end_sessions(&self, user: &UserKey) -> Result<Option<u64>, PostgresError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        let user = user.as_str();
        // One statement, so one atomic step: the challenges go only if the epoch went up.
        self.first_row(
            "WITH ended AS (
                 UPDATE @.accounts SET session_epoch = session_epoch + 1
                 WHERE user_key = $1 AND session_epoch < 9223372036854775807
                 RETURNING session_epoch
             ), voided AS (
                 DELETE FROM @.challenges WHERE owner = $2 AND EXISTS (SELECT 1 FROM ended)
             )
             SELECT session_epoch FROM ended",
            &[text(&user), text(&owner)],
            |row| Ok(epoch_from_sql(row.try_get(0)?)?),
        )
        .await
    }

    async fn find_counter(
        &self,
        key: &CounterKey,
    ) -> Result<Option<AttemptCounter>, PostgresError> {
        let key = key.storage_key();
        let sql = format!("SELECT {COUNTER_COLUMNS} FROM @.counters WHERE key = $1");
        self.first_row(&sql, &[text(&key)], counter_from_row).await
    }

    async fn delete_account(&self, user: &UserKey) -> Result<bool, PostgresError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        let user = user.as_str();
        let delete = self
            .backend
            .sql("DELETE FROM @.accounts WHERE user_key = $1 RETURNING 1");
        let void = self.backend.sql(VOID_CHALLENGES_OF_OWNER);
        in_transaction!(self, |tx, session| {
            if session.count(&delete, &[text(&user)]).await? != 1 {
                return roll_back(tx, false).await;
            }
            session.query(&void, &[text(&owner)]).await?;
            commit(tx, true).await
        })
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, PostgresError> {
        let cutoff = time_to_sql(earlier(now, grace))?;
        let statements = [
            "WITH gone AS (DELETE FROM @.signups WHERE expires_at <= $1 RETURNING 1)
             SELECT count(*) FROM gone",
            "WITH gone AS (DELETE FROM @.challenges WHERE expires_at <= $1 RETURNING 1)
             SELECT count(*) FROM gone",
            // `AttemptCounter::is_idle` at the cutoff: forgotten, or nothing counted and no
            // lock. A counter that time does not reset (`forget_at` NULL) with attempts never
            // goes.
            "WITH gone AS (DELETE FROM @.counters
                 WHERE (forget_at IS NOT NULL AND forget_at <= $1)
                    OR (attempts = 0 AND (locked_until IS NULL OR locked_until <= $1))
                 RETURNING 1)
             SELECT count(*) FROM gone",
        ]
        .map(|template| self.backend.sql(template));
        in_transaction!(self, |tx, session| {
            let mut purged: u64 = 0;
            for sql in &statements {
                let rows = session.query(sql, &[int8(&cutoff)]).await?;
                purged = purged.saturating_add(count_from(rows.first())?);
            }
            commit(tx, purged).await
        })
    }
}
