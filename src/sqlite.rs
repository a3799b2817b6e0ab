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
//! contention, up to the busy timeout, plus the wait for a free connection of the pool. On a
//! multi-threaded async runtime call the [`Portal`](crate::Portal) from a blocking-friendly
//! context (for example Tokio's `spawn_blocking`), which its argon2 hashing needs anyway.
//!
//! ```
//! # fn main() -> Result<(), kenpo_auth::SqliteError> {
//! use kenpo_auth::testkit::block_on;
//! use kenpo_auth::{BirthDate, InsuredKey, InsuredRecord, SqliteStore, Store};
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

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use crate::clock::earlier;
use crate::config::TermsVersion;
use crate::hashing::PasswordHash;
use crate::identity::{InsuredKey, InsuredRecord};
use crate::sqlite_codec::{
    AccountRow, ChallengeRow, CodeRow, CounterRow, KIND_REGISTRATION, KIND_RESET, RosterRow,
    SignupRow, kind_to_sql, optional_time_to_sql, owner_from_sql, purpose_to_sql,
    registration_columns, time_to_sql,
};
use crate::sqlite_schema::{SCHEMA_VERSION, migrate};
use crate::store::{
    Account, AttemptGate, ChallengeOwner, ChallengeRecord, CodeChallenge, CodeMac, CounterKey,
    LimitPolicy, RegistrationOutcome, SignupRecord, Store,
};
use crate::ticket::TicketId;
use crate::user_id::UserKey;

/// Why a [`SqliteStore`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// SQLite (or rusqlite) reported an error: I/O, a full disk, a lock held longer than the
    /// busy timeout, a constraint.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer release of this crate; this one cannot read it.
    #[error("database schema version {found} is newer than this release supports ({supported})")]
    SchemaTooNew {
        /// The file's `PRAGMA user_version`.
        found: i64,
        /// The newest version this release knows.
        supported: u32,
    },
    /// A stored value no longer validates (edited by hand, or written by a buggy host).
    #[error("stored {what} is malformed")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// A time outside the range the store can hold (years 1678 to 2262).
    #[error("time outside the storable range")]
    TimeOutOfRange,
}

impl SqliteError {
    /// The message to show the member, in Japanese (a storage failure is never theirs to fix).
    #[must_use]
    pub fn message_ja(&self) -> String {
        "ただいまシステムで障害が発生しています。しばらく時間をおいてから、もう一度お試しください。"
            .to_owned()
    }

    /// Whether the failure is SQLite's `SQLITE_BUSY` or `SQLITE_LOCKED`: another connection held
    /// the database longer than the busy timeout. Retrying later may succeed.
    #[must_use]
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Self::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
                if matches!(failure.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    }
}

/// How much SQLite waits for the disk before a commit returns (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Synchronous {
    /// Every commit is on disk before it returns (`FULL`, SQLite's default): a power cut loses
    /// nothing that was acknowledged.
    #[default]
    Full,
    /// Commits reach the write-ahead log without waiting for the disk (`NORMAL`): faster; still
    /// consistent after a crash or power cut (each transaction is all or nothing), but a power
    /// cut may undo the last acknowledged transactions (an account, a password change).
    Normal,
}

/// How [`SqliteStore::open_with`] opens a database.
///
/// ```
/// use std::time::Duration;
/// use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
///
/// let options = SqliteOptions::default()
///     .connections(8)
///     .busy_timeout(Duration::from_secs(2))
///     .synchronous(Synchronous::Normal);
/// assert_eq!(options.connection_count(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    connections: usize,
    busy_timeout: Duration,
    synchronous: Synchronous,
}

impl Default for SqliteOptions {
    /// Four connections, a 5 s busy timeout, [`Synchronous::Full`].
    fn default() -> Self {
        Self {
            connections: 4,
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
        }
    }
}

impl SqliteOptions {
    /// Open `count` connections (at least one).
    #[must_use]
    pub fn connections(mut self, count: usize) -> Self {
        self.connections = count.max(1);
        self
    }

    /// Wait up to `timeout` for another connection's write lock before failing with
    /// `SQLITE_BUSY`.
    #[must_use]
    pub const fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The durability of commits.
    #[must_use]
    pub const fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How many connections a store opened with these options holds.
    #[must_use]
    pub const fn connection_count(&self) -> usize {
        self.connections
    }
}

/// The connections of one [`SqliteStore::open`]; never empty.
struct Pool {
    first: Mutex<Connection>,
    rest: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    path: PathBuf,
}

impl Pool {
    fn len(&self) -> usize {
        1 + self.rest.len()
    }

    fn slot(&self, index: usize) -> &Mutex<Connection> {
        index
            .checked_sub(1)
            .and_then(|i| self.rest.get(i))
            .unwrap_or(&self.first)
    }

    /// Runs `work` on a free connection: the first free one from a round-robin start, or, if all
    /// are busy, the start one once it is free.
    fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        let count = self.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
        for offset in 0..count {
            match self.slot((start + offset) % count).try_lock() {
                Ok(mut conn) => return work(&mut conn),
                // A panic mid-call dropped its transaction, which rolled back: usable.
                Err(TryLockError::Poisoned(poisoned)) => return work(&mut poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let mut conn: MutexGuard<'_, Connection> = self
            .slot(start)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        work(&mut conn)
    }
}

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
            .field("path", &self.pool.path)
            .field("connections", &self.pool.len())
            .finish_non_exhaustive()
    }
}

/// Retries `step` while SQLite reports the database busy, until `deadline`. Setting the
/// journal mode can fail with `SQLITE_BUSY` without consulting the busy handler when several
/// processes open a new file at once.
fn retry_busy<T>(
    deadline: Instant,
    mut step: impl FnMut() -> Result<T, SqliteError>,
) -> Result<T, SqliteError> {
    loop {
        match step() {
            Err(error) if error.is_busy() && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            other => return other,
        }
    }
}

fn configure(conn: &Connection, options: &SqliteOptions) -> Result<(), SqliteError> {
    conn.busy_timeout(options.busy_timeout)?;
    let deadline = Instant::now() + options.busy_timeout;
    retry_busy(deadline, || {
        // Answers the mode now in force ("wal", or "memory" for an in-memory database).
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        Ok(())
    })?;
    let synchronous = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
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
        let path = path.as_ref();
        let open_one = || -> Result<Connection, SqliteError> {
            let conn = Connection::open(path)?;
            configure(&conn, &options)?;
            Ok(conn)
        };
        let mut first = open_one()?;
        let deadline = Instant::now() + options.busy_timeout;
        retry_busy(deadline, || migrate(&mut first))?;
        let rest = (1..options.connections)
            .map(|_| open_one().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_pool(Pool {
            first: Mutex::new(first),
            rest,
            next: AtomicUsize::new(0),
            path: path.to_owned(),
        }))
    }

    /// A private database in memory, on one connection, gone when the last clone drops. For
    /// tests and demonstrations; it cannot be shared with another process.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self, SqliteError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn, &SqliteOptions::default())?;
        migrate(&mut conn)?;
        Ok(Self::from_pool(Pool {
            first: Mutex::new(conn),
            rest: Vec::new(),
            next: AtomicUsize::new(0),
            path: PathBuf::from(":memory:"),
        }))
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
        &self.pool.path
    }

    /// Adds (or replaces) a person on the insurer's roster.
    ///
    /// # Errors
    /// [`SqliteError::Sqlite`] if the write fails.
    #[allow(clippy::needless_pass_by_value)] // the same signature as `MemoryStore::add_insured`
    pub fn add_insured(&self, record: InsuredRecord) -> Result<(), SqliteError> {
        let key = record.key();
        self.pool.with(|conn| {
            conn.prepare_cached(
                "INSERT INTO roster (insurer_code, symbol, number, birth_date, name_kana)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (insurer_code, symbol, number)
                 DO UPDATE SET birth_date = excluded.birth_date, name_kana = excluded.name_kana",
            )?
            .execute(params![
                key.insurer_code(),
                key.symbol(),
                key.number(),
                record.birth_date().to_string(),
                record.name().as_str(),
            ])?;
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
                .query_map([], AccountRow::read)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    fn read_account(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<Account>, SqliteError> {
        self.pool
            .with(|conn| {
                Ok(conn
                    .prepare_cached(sql)?
                    .query_row(params, AccountRow::read)
                    .optional()?)
            })?
            .map(AccountRow::into_account)
            .transpose()
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

impl Store for SqliteStore {
    type Error = SqliteError;

    async fn find_insured(&self, key: &InsuredKey) -> Result<Option<InsuredRecord>, SqliteError> {
        self.pool
            .with(|conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {} FROM roster
                         WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
                        RosterRow::COLUMNS
                    ))?
                    .query_row(
                        params![key.insurer_code(), key.symbol(), key.number()],
                        RosterRow::read,
                    )
                    .optional()?)
            })?
            .map(RosterRow::into_record)
            .transpose()
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
                .query_row([&key], CounterRow::read)
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
                "INSERT OR REPLACE INTO signups (id, insurer_code, symbol, number, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                record.id.as_bytes(),
                key.insurer_code(),
                key.symbol(),
                key.number(),
                expires_at,
            ])?;
            Ok(())
        })
    }

    async fn find_signup(&self, id: TicketId) -> Result<Option<SignupRecord>, SqliteError> {
        self.pool
            .with(|conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {} FROM signups WHERE id = ?1",
                        SignupRow::COLUMNS
                    ))?
                    .query_row([id.as_bytes()], SignupRow::read)
                    .optional()?)
            })?
            .map(SignupRow::into_record)
            .transpose()
    }

    async fn insert_challenge(&self, record: ChallengeRecord) -> Result<(), SqliteError> {
        let code = &record.code;
        let issued_at = time_to_sql(code.issued_at)?;
        let expires_at = time_to_sql(code.expires_at)?;
        let owner = record.owner.storage_key();
        let purpose = purpose_to_sql(code.purpose);
        let [user_key, user_id, insurer_code, symbol, number, email, hash] =
            registration_columns(&record.payload);
        self.pool.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // The owner's older challenge of this purpose dies in the same transaction.
            tx.prepare_cached("DELETE FROM challenges WHERE owner = ?1 AND purpose = ?2")?
                .execute(params![owner, purpose])?;
            tx.prepare_cached(
                "INSERT OR REPLACE INTO challenges (id, purpose, code_mac, issued_at, expires_at,
                     attempts, sends, owner, kind, user_key, user_id, insurer_code, symbol,
                     number, email, password_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
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
                user_key,
                user_id,
                insurer_code,
                symbol,
                number,
                email,
                hash,
            ])?;
            tx.commit()?;
            Ok(())
        })
    }

    async fn find_challenge(&self, id: TicketId) -> Result<Option<ChallengeRecord>, SqliteError> {
        self.pool
            .with(|conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {} FROM challenges WHERE id = ?1",
                        ChallengeRow::COLUMNS
                    ))?
                    .query_row([id.as_bytes()], ChallengeRow::read)
                    .optional()?)
            })?
            .map(ChallengeRow::into_record)
            .transpose()
    }

    async fn count_code_attempt(
        &self,
        id: TicketId,
    ) -> Result<Option<ChallengeRecord>, SqliteError> {
        self.pool
            .with(|conn| {
                // One statement: the increment and the read of its result are atomic.
                Ok(conn
                    .prepare_cached(&format!(
                        "UPDATE challenges SET attempts = min(attempts + 1, 4294967295)
                         WHERE id = ?1 RETURNING {}",
                        ChallengeRow::COLUMNS
                    ))?
                    .query_row([id.as_bytes()], ChallengeRow::read)
                    .optional()?)
            })?
            .map(ChallengeRow::into_record)
            .transpose()
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
                .query_row([id.as_bytes()], CodeRow::read)
                .optional()?
            else {
                return Ok(None);
            };
            let mut code = row.into_code()?;
            let answer = change(&mut code);
            // The rule may change the code, not whose challenge it is.
            code.id = id;
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
                     password_hash, terms_accepted, created_at)
                 SELECT user_key, user_id, insurer_code, symbol, number, email, password_hash,
                     NULL, ?2
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
            tx.prepare_cached("DELETE FROM challenges WHERE owner = ?1")?
                .execute([&owner])?;
            tx.commit()?;
            Ok(true)
        })
    }

    async fn find_account(&self, user: &UserKey) -> Result<Option<Account>, SqliteError> {
        self.read_account(
            &format!(
                "SELECT {} FROM accounts WHERE user_key = ?1",
                AccountRow::COLUMNS
            ),
            [user.as_str()],
        )
    }

    async fn find_account_by_insured(
        &self,
        key: &InsuredKey,
    ) -> Result<Option<Account>, SqliteError> {
        self.read_account(
            &format!(
                "SELECT {} FROM accounts WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
                AccountRow::COLUMNS
            ),
            [key.insurer_code(), key.symbol(), key.number()],
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
