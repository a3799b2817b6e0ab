//! [`SqliteStore`]: a [`Store`] on SQLite (feature `sqlite`; SQLite is bundled, nothing to
//! install).
//!
//! One database file can be shared by several connections, several [`SqliteStore`]s and
//! several processes: the store keeps the contract of [`crate::store`] with SQLite's own
//! guarantees, never with locks held in the process.
//!
//! - **Schema**: created on open, versioned in `PRAGMA user_version`; opening an older file
//!   migrates it in one immediate transaction, opening a newer one fails with
//!   [`SqliteError::SchemaTooNew`]. Unique constraints hold the lower-cased user ID
//!   (`accounts.user_key`, [`UserId::unique_key`](crate::UserId::unique_key)) and the insured
//!   key (`accounts (insurer_code, symbol, number)`).
//! - **Atomic steps**: the attempt counter is one `UPDATE … SET attempts = attempts + 1 …
//!   RETURNING`; consuming a challenge deletes its row only if its live MAC matches, in the same
//!   `BEGIN IMMEDIATE` transaction that inserts the account (or sets the password), after
//!   checking the user ID and the insured person under the write lock, so a refused
//!   registration leaves the challenge as it was. Read-modify-write steps (throttle counters,
//!   resends) run in `BEGIN IMMEDIATE` transactions: the write lock is taken before the read.
//! - **Sharing**: WAL journal mode (readers never wait for the writer) and a busy timeout
//!   (5 s by default) so that a writer waits for another instead of failing.
//!
//! ## Connections
//!
//! Each [`SqliteStore::open`] opens its own pool of connections (four by default, see
//! [`SqliteOptions`]); clones share the pool. A call takes a free connection (or waits for the
//! one it was dealt), so calls from several threads run on several connections at once and
//! SQLite — not a mutex in this crate — decides who writes first. That is the same situation
//! as several processes on one file, which is the point: the store is correct across
//! processes because it is correct across connections.
//!
//! ## Async
//!
//! `rusqlite` is blocking. Every async method of this store runs its statements synchronously
//! when its future is first polled, and the future is then ready: there is no background
//! thread and no runtime dependency. A poll therefore blocks the polling thread for one short
//! statement or transaction (tens of microseconds on a local disk), plus, under write
//! contention, up to the busy timeout, plus the wait for a free connection of the pool. With
//! the feature `tokio`, on a multi-threaded Tokio runtime, each call runs inside
//! `tokio::task::block_in_place`, so that the other tasks of that worker move to another
//! thread while it waits: a Tokio host awaits the portal directly (with `TokioRunner` for
//! argon2). In `examples/tokio_host.rs` (200 members at once on 2 workers) this took the
//! slowest cheap request from 242 ms to 23 ms.
//!
//! ```
//! # fn main() -> Result<(), kenpo_auth::SqliteError> {
//! use kenpo_auth::{BirthDate, InsuredKey, InsuredRecord, SqliteStore, Store};
//! use pollster::block_on;
//!
//! let path = std::env::temp_dir().join(format!("kenpo-doc-{}.db", std::process::id()));
//! let store = SqliteStore::open(&path)?;
//! let birth = BirthDate::new(1980, 4, 1).unwrap();
//! store.add_insured(InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap())?;
//!
//! let key = InsuredKey::new("06139999", "12", "345").unwrap();
//! let again = SqliteStore::open(&path)?; // another pool on the same file
//! assert!(block_on(again.find_insured(&key))?.is_some());
//! # drop((store, again));
//! # for suffix in ["", "-wal", "-shm"] {
//! #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
//! # }
//! # Ok(())
//! # }
//! ```

#![allow(clippy::doc_markdown)] // SQLite and PostgreSQL are names, not code.

mod codec;
mod error;
mod import;
mod pool;
mod schema;

pub use error::SqliteError;
pub use pool::{SqliteOptions, Synchronous};

use self::codec::{
    AccountRow, ChallengeRow, CodeRow, ColumnError, CounterRow, KIND_EMAIL_CHANGE,
    KIND_REGISTRATION, KIND_RESET, RosterRow, SignupRow, email_from_sql, epoch_from_sql,
    kind_to_sql, optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql,
    roster_columns, time_to_sql,
};
use self::pool::Pool;
use self::schema::{SCHEMA_VERSION, migrate};

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rusqlite::{OptionalExtension, TransactionBehavior, params};

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

/// A [`Store`] on one SQLite database file. Clones share the connections.
///
/// See the [module documentation](self) for the schema, the atomicity and how the async
/// methods run.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.pool.path())
            .field("connections", &self.pool.len())
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The schema version this release reads and writes (`PRAGMA user_version`).
    pub const SCHEMA_VERSION: u32 = SCHEMA_VERSION;

    /// Opens (creating if needed) the database at `path` with [`SqliteOptions::default`].
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the file cannot be opened or configured;
    /// [`SqliteError::SchemaTooNew`] if a newer release wrote it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SqliteError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating if needed) the database at `path` with `options`, and creates or
    /// migrates its schema.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, SqliteError> {
        Pool::open(path.as_ref(), &options, migrate).map(Self::from_pool)
    }

    /// A private database in memory, on one connection, gone when the last clone drops. For
    /// tests and demonstrations; it cannot be shared with another process.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self, SqliteError> {
        Pool::in_memory(migrate).map(Self::from_pool)
    }

    fn from_pool(pool: Pool) -> Self {
        Self {
            pool: Arc::new(pool),
        }
    }

    /// How many connections this store (and its clones) holds.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.pool.len()
    }

    /// The database file (`:memory:` for [`open_in_memory`](Self::open_in_memory)).
    #[must_use]
    pub fn path(&self) -> &Path {
        self.pool.path()
    }

    /// Adds (or replaces) a person on the insurer's roster.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the write fails.
    #[allow(clippy::needless_pass_by_value)] // the same signature as `MemoryStore::add_insured`
    pub fn add_insured(&self, record: InsuredRecord) -> Result<(), SqliteError> {
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.prepare_cached(&format!(
                "INSERT INTO roster ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (insurer_code, symbol, number)
                 DO UPDATE SET birth_date = excluded.birth_date, name_kana = excluded.name_kana,
                     coverage_end = excluded.coverage_end",
                RosterRow::COLUMNS
            ))?
            .execute(roster_columns(&record))?;
            tx.prepare_cached(import::BUMP_VERSION)?
                .execute([record.key().insurer_code()])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn count(&self, table: &'static str) -> Result<usize, SqliteError> {
        self.pool.with(|conn| {
            let count: i64 = conn
                .prepare_cached(&format!("SELECT count(*) FROM {table}"))?
                .query_row([], |row| row.get(0))?;
            Ok(usize::try_from(count).unwrap_or(usize::MAX))
        })
    }

    /// How many people are on the roster.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the read fails.
    pub fn insured_count(&self) -> Result<usize, SqliteError> {
        self.count("roster")
    }

    /// How many accounts exist.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the read fails.
    pub fn account_count(&self) -> Result<usize, SqliteError> {
        self.count("accounts")
    }

    /// How many unconsumed challenges exist (decoys included).
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the read fails.
    pub fn challenge_count(&self) -> Result<usize, SqliteError> {
        self.count("challenges")
    }

    /// How many attempt counters exist.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the read fails.
    pub fn counter_count(&self) -> Result<usize, SqliteError> {
        self.count("counters")
    }

    /// Every account, ordered by user key, for administration and tests.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the read fails; [`SqliteError::Corrupt`] for a row that no
    /// longer validates.
    pub fn accounts(&self) -> Result<Vec<Account>, SqliteError> {
        let rows = self.pool.with(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {} FROM accounts ORDER BY user_key",
                AccountRow::COLUMNS
            ))?;
            let rows = statement
                .query_map([], AccountRow::from_sqlite)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|row| Ok(row.into_account()?))
            .collect()
    }

    /// Runs `sql`, which yields at most one row, reads the row's columns with `read` and
    /// rebuilds the record with `decode` (where a value that no longer validates is `Corrupt`).
    fn one<Row, T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<Row>,
        decode: fn(Row) -> Result<T, ColumnError>,
    ) -> Result<Option<T>, SqliteError> {
        let found = self.pool.with(|conn| {
            Ok(conn
                .prepare_cached(sql)?
                .query_row(params, read)
                .optional()?)
        })?;
        Ok(found.map(decode).transpose()?)
    }
}

/// Writes a code's changeable columns back (`Store::update_code`).
fn write_code(tx: &rusqlite::Transaction<'_>, code: &CodeChallenge) -> Result<(), SqliteError> {
    tx.prepare_cached(
        "UPDATE challenges SET code_mac = ?2, issued_at = ?3, expires_at = ?4, attempts = ?5,
             sends = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        code.id.as_bytes(),
        code.code_mac.as_bytes(),
        time_to_sql(code.issued_at)?,
        time_to_sql(code.expires_at)?,
        i64::from(code.attempts),
        i64::from(code.sends),
    ])?;
    Ok(())
}

/// Deletes every challenge of `owner` (its storage key): what a reset, a password change, an
/// end of sessions or a deletion leaves of the account's outstanding codes.
fn void_challenges_of(tx: &rusqlite::Transaction<'_>, owner: &str) -> Result<(), SqliteError> {
    tx.prepare_cached("DELETE FROM challenges WHERE owner = ?1")?
        .execute([owner])?;
    Ok(())
}

impl Store for SqliteStore {
    type Error = SqliteError;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, SqliteError> {
        self.one(
            &format!(
                "SELECT {} FROM roster WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
                RosterRow::COLUMNS
            ),
            [key.insurer_code(), key.symbol(), key.number()],
            RosterRow::from_sqlite,
            RosterRow::into_record,
        )
    }

    async fn acquire_attempt(
        &self,
        key: &CounterKey,
        now: SystemTime,
        policy: LimitPolicy,
    ) -> Result<AttemptGate, SqliteError> {
        let key = key.storage_key();
        self.pool.with(|conn| {
            // The write lock is taken before the read: no other writer can slip in between.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut counter = tx
                .prepare_cached(&format!(
                    "SELECT {} FROM counters WHERE key = ?1",
                    CounterRow::COLUMNS
                ))?
                .query_row([&key], CounterRow::from_sqlite)
                .optional()?
                .map(CounterRow::into_counter)
                .transpose()?
                .unwrap_or_default();
            let before = counter;
            let gate = counter.acquire(now, &policy);
            if counter != before {
                tx.prepare_cached(
                    "INSERT INTO counters (key, attempts, locked_until, last_attempt, forget_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (key) DO UPDATE SET attempts = excluded.attempts,
                         locked_until = excluded.locked_until,
                         last_attempt = excluded.last_attempt,
                         forget_at = excluded.forget_at",
                )?
                .execute(params![
                    key,
                    i64::from(counter.attempts),
                    optional_time_to_sql(counter.locked_until)?,
                    optional_time_to_sql(counter.last_attempt)?,
                    optional_time_to_sql(counter.forget_at)?,
                ])?;
            }
            tx.commit()?;
            Ok(gate)
        })
    }

    async fn clear_attempts(&self, key: &CounterKey) -> Result<(), SqliteError> {
        let key = key.storage_key();
        self.pool.with(|conn| {
            conn.prepare_cached("DELETE FROM counters WHERE key = ?1")?
                .execute([key])?;
            Ok(())
        })
    }

    async fn insert_signup(&self, record: SignupRecord) -> Result<(), SqliteError> {
        let expires_at = time_to_sql(record.expires_at)?;
        let key = &record.insured_key;
        self.pool.with(|conn| {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO signups (id, insurer_code, symbol, number, birth_date,
                     expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                record.id.as_bytes(),
                key.insurer_code(),
                key.symbol(),
                key.number(),
                record.birth_date.to_string(),
                expires_at,
            ])?;
            Ok(())
        })
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, SqliteError> {
        self.one(
            &format!("SELECT {} FROM signups WHERE id = ?1", SignupRow::COLUMNS),
            [id.as_bytes()],
            SignupRow::from_sqlite,
            SignupRow::into_record,
        )
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), SqliteError> {
        let code = &record.code;
        let issued_at = time_to_sql(code.issued_at)?;
        let expires_at = time_to_sql(code.expires_at)?;
        let owner = record.owner.storage_key();
        let purpose = purpose_to_sql(code.purpose);
        // The payload's columns: user_key, user_id, insurer_code, symbol, number, email,
        // password_hash, birth_date.
        let [key, user, insurer, symbol, number, email, hash, born] =
            payload_columns(&record.payload);
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // The owner's older challenge of this purpose dies in the same transaction.
            tx.prepare_cached("DELETE FROM challenges WHERE owner = ?1 AND purpose = ?2")?
                .execute(params![owner, purpose])?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO challenges (id, purpose, code_mac, issued_at, expires_at,
                     attempts, sends, owner, kind, user_key, user_id, insurer_code, symbol,
                     number, email, password_hash, birth_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17)",
            )?
            .execute(params![
                code.id.as_bytes(),
                purpose,
                code.code_mac.as_bytes(),
                issued_at,
                expires_at,
                i64::from(code.attempts),
                i64::from(code.sends),
                owner,
                kind_to_sql(&record.payload),
                key,
                user,
                insurer,
                symbol,
                number,
                email,
                hash,
                born,
            ])?;
            tx.commit()?;
            Ok(())
        })
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, SqliteError> {
        self.one(
            &format!(
                "SELECT {} FROM challenges WHERE id = ?1",
                ChallengeRow::COLUMNS
            ),
            [id.as_bytes()],
            ChallengeRow::from_sqlite,
            ChallengeRow::into_record,
        )
    }

    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, SqliteError> {
        // One statement: the increment and the read of its result are atomic.
        self.one(
            &format!(
                "UPDATE challenges SET attempts = min(attempts + 1, 4294967295)
                 WHERE id = ?1 RETURNING {}",
                ChallengeRow::COLUMNS
            ),
            [id.as_bytes()],
            ChallengeRow::from_sqlite,
            ChallengeRow::into_record,
        )
    }

    async fn update_code<F, R>(&self, id: TicketId, change: F) -> Result<Option<R>, SqliteError>
    where
        F: FnOnce(&mut CodeChallenge) -> R + Send,
        R: Send,
    {
        self.pool.with(|conn| {
            // Load, apply, save under the write lock.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(row) = tx
                .prepare_cached(&format!(
                    "SELECT {} FROM challenges WHERE id = ?1",
                    CodeRow::COLUMNS
                ))?
                .query_row([id.as_bytes()], CodeRow::from_sqlite)
                .optional()?
            else {
                return Ok(None);
            };
            let mut code = row.into_code()?;
            let answer = code.apply(change);
            write_code(&tx, &code)?;
            tx.commit()?;
            Ok(Some(answer))
        })
    }

    async fn delete_challenge(&self, id: TicketId) -> Result<(), SqliteError> {
        self.pool.with(|conn| {
            conn.prepare_cached("DELETE FROM challenges WHERE id = ?1")?
                .execute([id.as_bytes()])?;
            Ok(())
        })
    }

    async fn complete_registration(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        now: SystemTime,
    ) -> Result<RegistrationOutcome, SqliteError> {
        let now = time_to_sql(now)?;
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some((user_key, insurer_code, symbol, number, owner)) = tx
                .prepare_cached(
                    "SELECT user_key, insurer_code, symbol, number, owner FROM challenges
                     WHERE id = ?1 AND kind = ?2 AND code_mac = ?3",
                )?
                .query_row(
                    params![id.as_bytes(), KIND_REGISTRATION, code_mac.as_bytes()],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?
            else {
                return Ok(RegistrationOutcome::ChallengeGone);
            };
            // Under the write lock these answers cannot change before the commit; the unique
            // constraints stand behind them all the same.
            let user_id_taken: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM accounts WHERE user_key = ?1)")?
                .query_row([&user_key], |row| row.get(0))?;
            if user_id_taken {
                return Ok(RegistrationOutcome::UserIdTaken);
            }
            let insured_taken: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM accounts
                     WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3)",
                )?
                .query_row([&insurer_code, &symbol, &number], |row| row.get(0))?;
            if insured_taken {
                return Ok(RegistrationOutcome::InsuredHasAccount);
            }
            tx.prepare_cached(
                "INSERT INTO accounts (user_key, user_id, insurer_code, symbol, number, email,
                     password_hash, terms_accepted, created_at, birth_date)
                 SELECT user_key, user_id, insurer_code, symbol, number, email, password_hash,
                     NULL, ?2, birth_date
                 FROM challenges WHERE id = ?1",
            )?
            .execute(params![id.as_bytes(), now])?;
            let consumed = tx
                .prepare_cached("DELETE FROM challenges WHERE id = ?1 AND code_mac = ?2")?
                .execute(params![id.as_bytes(), code_mac.as_bytes()])?;
            if consumed != 1 {
                // Unreachable under the write lock; dropping `tx` rolls the insert back.
                return Ok(RegistrationOutcome::ChallengeGone);
            }
            // The sign-up ticket is used up with its registration.
            if let ChallengeOwner::Signup(ticket) = owner_from_sql(&owner)? {
                tx.prepare_cached("DELETE FROM signups WHERE id = ?1")?
                    .execute([ticket.as_bytes()])?;
            }
            tx.commit()?;
            Ok(RegistrationOutcome::Created)
        })
    }

    async fn complete_password_reset(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
        new_hash: PasswordHash,
    ) -> Result<bool, SqliteError> {
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let owner: Option<String> = tx
                .prepare_cached(
                    "SELECT owner FROM challenges WHERE id = ?1 AND kind = ?2 AND code_mac = ?3",
                )?
                .query_row(
                    params![id.as_bytes(), KIND_RESET, code_mac.as_bytes()],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(owner) = owner else {
                return Ok(false);
            };
            let ChallengeOwner::Account(user_key) = owner_from_sql(&owner)? else {
                return Ok(false);
            };
            let updated = tx
                .prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE user_key = ?1")?
                .execute(params![user_key.as_str(), new_hash.as_str()])?;
            if updated != 1 {
                return Ok(false);
            }
            // A completed reset voids every code the account has outstanding.
            void_challenges_of(&tx, &owner)?;
            tx.commit()?;
            Ok(true)
        })
    }

    async fn find_account(&self, user: &UserKey) -> Result<Option<Account>, SqliteError> {
        self.one(
            &format!(
                "SELECT {} FROM accounts WHERE user_key = ?1",
                AccountRow::COLUMNS
            ),
            [user.as_str()],
            AccountRow::from_sqlite,
            AccountRow::into_account,
        )
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, SqliteError> {
        self.one(
            &format!(
                "SELECT {} FROM accounts WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
                AccountRow::COLUMNS
            ),
            [key.insurer_code(), key.symbol(), key.number()],
            AccountRow::from_sqlite,
            AccountRow::into_account,
        )
    }

    async fn update_password_hash(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, SqliteError> {
        self.pool.with(|conn| {
            let updated = conn
                .prepare_cached(
                    "UPDATE accounts SET password_hash = ?3
                     WHERE user_key = ?1 AND password_hash = ?2",
                )?
                .execute(params![user.as_str(), expected.as_str(), new_hash.as_str()])?;
            Ok(updated == 1)
        })
    }

    async fn record_terms_acceptance(
        &self,
        user: &UserKey,
        version: TermsVersion,
    ) -> Result<bool, SqliteError> {
        self.pool.with(|conn| {
            let updated = conn
                .prepare_cached(
                    "UPDATE accounts SET terms_accepted = CASE
                         WHEN terms_accepted IS NULL OR terms_accepted < ?2 THEN ?2
                         ELSE terms_accepted END
                     WHERE user_key = ?1",
                )?
                .execute(params![user.as_str(), i64::from(version.get())])?;
            Ok(updated == 1)
        })
    }

    async fn import_roster<I>(
        &self,
        insurer_code: &str,
        entries: I,
        mode: ImportMode,
    ) -> Result<RosterChanges, SqliteError>
    where
        I: Iterator<Item = RosterEntry> + Send,
    {
        self.pool.with(|conn| {
            let outcome = import::run(conn, insurer_code, entries, mode);
            // The staging table dies with the import, whatever happened to it.
            import::clean_up(conn)?;
            outcome
        })
    }

    async fn set_coverage_end(
        &self,
        key: &InsuredKey,
        end: Option<CoverageEnd>,
    ) -> Result<bool, SqliteError> {
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let updated = tx
                .prepare_cached(
                    "UPDATE roster SET coverage_end = ?4
                     WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
                )?
                .execute(params![
                    key.insurer_code(),
                    key.symbol(),
                    key.number(),
                    end.map(|end| end.to_string()),
                ])?;
            if updated != 1 {
                return Ok(false);
            }
            tx.prepare_cached(import::BUMP_VERSION)?
                .execute([key.insurer_code()])?;
            tx.commit()?;
            Ok(true)
        })
    }

    async fn count_roster(&self, insurer_code: &str) -> Result<u64, SqliteError> {
        self.pool.with(|conn| {
            let count: i64 = conn
                .prepare_cached("SELECT count(*) FROM roster WHERE insurer_code = ?1")?
                .query_row([insurer_code], |row| row.get(0))?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
    }

    async fn change_password(
        &self,
        user: &UserKey,
        expected: &PasswordHash,
        new_hash: PasswordHash,
    ) -> Result<bool, SqliteError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let updated = tx
                .prepare_cached(
                    "UPDATE accounts SET password_hash = ?3
                     WHERE user_key = ?1 AND password_hash = ?2",
                )?
                .execute(params![user.as_str(), expected.as_str(), new_hash.as_str()])?;
            if updated != 1 {
                return Ok(false);
            }
            // Outstanding codes (resets, e-mail changes) die with the old password.
            void_challenges_of(&tx, &owner)?;
            tx.commit()?;
            Ok(true)
        })
    }

    async fn complete_email_change(
        &self,
        id: TicketId,
        code_mac: &CodeMac,
    ) -> Result<Option<EmailAddress>, SqliteError> {
        let found = self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some((owner, new_email)) = tx
                .prepare_cached(
                    "SELECT owner, email FROM challenges
                     WHERE id = ?1 AND kind = ?2 AND code_mac = ?3",
                )?
                .query_row(
                    params![id.as_bytes(), KIND_EMAIL_CHANGE, code_mac.as_bytes()],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()?
            else {
                return Ok(None);
            };
            let ChallengeOwner::Account(user_key) = owner_from_sql(&owner)? else {
                return Ok(None);
            };
            // Under the write lock the address read is the one replaced.
            let Some(old_email) = tx
                .prepare_cached("SELECT email FROM accounts WHERE user_key = ?1")?
                .query_row([user_key.as_str()], |row| row.get::<_, String>(0))
                .optional()?
            else {
                return Ok(None);
            };
            tx.prepare_cached("UPDATE accounts SET email = ?2 WHERE user_key = ?1")?
                .execute(params![user_key.as_str(), new_email])?;
            tx.prepare_cached("DELETE FROM challenges WHERE id = ?1")?
                .execute([id.as_bytes()])?;
            // Reset codes went to the old address: they die with it.
            tx.prepare_cached("DELETE FROM challenges WHERE owner = ?1 AND purpose = ?2")?
                .execute(params![owner, purpose_to_sql(Purpose::PasswordReset)])?;
            tx.commit()?;
            Ok(Some(old_email))
        })?;
        Ok(found.map(|old| email_from_sql(&old)).transpose()?)
    }

    async fn record_login(&self, user: &UserKey, at: SystemTime) -> Result<bool, SqliteError> {
        let at = time_to_sql(at)?;
        self.pool.with(|conn| {
            let updated = conn
                .prepare_cached("UPDATE accounts SET last_login_at = ?2 WHERE user_key = ?1")?
                .execute(params![user.as_str(), at])?;
            Ok(updated == 1)
        })
    }

    async fn end_sessions(&self, user: &UserKey) -> Result<Option<u64>, SqliteError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        let epoch: Option<i64> = self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let epoch = tx
                .prepare_cached(
                    "UPDATE accounts SET session_epoch = session_epoch + 1
                     WHERE user_key = ?1 AND session_epoch < 9223372036854775807
                     RETURNING session_epoch",
                )?
                .query_row([user.as_str()], |row| row.get(0))
                .optional()?;
            if epoch.is_some() {
                void_challenges_of(&tx, &owner)?;
            }
            tx.commit()?;
            Ok(epoch)
        })?;
        Ok(epoch.map(epoch_from_sql).transpose()?)
    }

    async fn find_counter(&self, key: &CounterKey) -> Result<Option<AttemptCounter>, SqliteError> {
        self.one(
            &format!(
                "SELECT {} FROM counters WHERE key = ?1",
                CounterRow::COLUMNS
            ),
            [key.storage_key()],
            CounterRow::from_sqlite,
            CounterRow::into_counter,
        )
    }

    async fn delete_account(&self, user: &UserKey) -> Result<bool, SqliteError> {
        let owner = ChallengeOwner::Account(user.clone()).storage_key();
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let deleted = tx
                .prepare_cached("DELETE FROM accounts WHERE user_key = ?1")?
                .execute([user.as_str()])?;
            if deleted != 1 {
                return Ok(false);
            }
            void_challenges_of(&tx, &owner)?;
            tx.commit()?;
            Ok(true)
        })
    }

    async fn purge_expired(&self, now: SystemTime, grace: Duration) -> Result<u64, SqliteError> {
        let cutoff = time_to_sql(earlier(now, grace))?;
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut purged = tx
                .prepare_cached("DELETE FROM signups WHERE expires_at <= ?1")?
                .execute([cutoff])?;
            purged += tx
                .prepare_cached("DELETE FROM challenges WHERE expires_at <= ?1")?
                .execute([cutoff])?;
            // `AttemptCounter::is_idle` at the cutoff: forgotten, or nothing counted and no lock.
            // A counter that time does not reset (`forget_at` NULL) with attempts never goes.
            purged += tx
                .prepare_cached(
                    "DELETE FROM counters
                     WHERE (forget_at IS NOT NULL AND forget_at <= ?1)
                        OR (attempts = 0 AND (locked_until IS NULL OR locked_until <= ?1))",
                )?
                .execute([cutoff])?;
            tx.commit()?;
            Ok(u64::try_from(purged).unwrap_or(u64::MAX))
        })
    }
}
