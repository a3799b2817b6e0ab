//! The connections of one [`SqliteStore::open`](crate::SqliteStore::open): how they are
//! opened and configured ([`SqliteOptions`]) and how a call gets one.
//!
//! Several connections, several stores and several processes may share one file. Nothing in
//! this crate serialises them: SQLite does, through WAL and the busy timeout, so the store is
//! correct across processes because it is correct across connections.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::SqliteError;

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

/// How [`SqliteStore::open_with`](crate::SqliteStore::open_with) opens a database.
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

    /// The longest busy timeout: a day. SQLite takes at most `i32::MAX` milliseconds (about
    /// 24 days), and a writer waiting longer than a day for a lock has lost its member anyway.
    pub const MAX_BUSY_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// Wait up to `timeout` for another connection's write lock before failing with
    /// `SQLITE_BUSY`; at most [`MAX_BUSY_TIMEOUT`](Self::MAX_BUSY_TIMEOUT), which a longer
    /// `timeout` becomes.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::sqlite::SqliteOptions;
    ///
    /// let forever = SqliteOptions::default().busy_timeout(Duration::MAX);
    /// assert_eq!(forever, SqliteOptions::default().busy_timeout(SqliteOptions::MAX_BUSY_TIMEOUT));
    /// ```
    #[must_use]
    pub const fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = if timeout.as_secs() < Self::MAX_BUSY_TIMEOUT.as_secs() {
            timeout
        } else {
            Self::MAX_BUSY_TIMEOUT
        };
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
pub(super) struct Pool {
    first: Mutex<Connection>,
    rest: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    path: PathBuf,
}

impl Pool {
    /// Opens `options.connection_count()` connections to `path`, running `migrate` once on the
    /// first (retrying while another process holds the file).
    pub(super) fn open(
        path: &Path,
        options: &SqliteOptions,
        mut migrate: impl FnMut(&mut Connection) -> Result<(), SqliteError>,
    ) -> Result<Pool, SqliteError> {
        let open_one = || -> Result<Connection, SqliteError> {
            let conn = Connection::open(path)?;
            configure(&conn, options)?;
            Ok(conn)
        };
        let mut first = open_one()?;
        let deadline = Instant::now() + options.busy_timeout;
        retry_busy(deadline, || migrate(&mut first))?;
        let rest = (1..options.connections)
            .map(|_| open_one().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pool {
            first: Mutex::new(first),
            rest,
            next: AtomicUsize::new(0),
            path: path.to_owned(),
        })
    }

    /// One connection to a private database in memory.
    pub(super) fn in_memory(
        migrate: impl FnOnce(&mut Connection) -> Result<(), SqliteError>,
    ) -> Result<Pool, SqliteError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn, &SqliteOptions::default())?;
        migrate(&mut conn)?;
        Ok(Pool {
            first: Mutex::new(conn),
            rest: Vec::new(),
            next: AtomicUsize::new(0),
            path: PathBuf::from(":memory:"),
        })
    }

    /// The database file (`:memory:` in memory).
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn len(&self) -> usize {
        1 + self.rest.len()
    }

    fn slot(&self, index: usize) -> &Mutex<Connection> {
        index
            .checked_sub(1)
            .and_then(|i| self.rest.get(i))
            .unwrap_or(&self.first)
    }

    /// Runs `work` on a free connection: the first free one from a round-robin start, or, if all
    /// are busy, the start one once it is free. On a multi-threaded Tokio runtime (feature
    /// `tokio`) it tells Tokio that this thread may block, so that other tasks move to another
    /// worker while it waits for a connection, a lock or the disk.
    pub(super) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        may_block(|| self.with_connection(work))
    }

    fn with_connection<T>(
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

/// Runs `blocking` where it may block: inside `block_in_place` on a multi-threaded Tokio
/// runtime, directly anywhere else (no runtime, another executor, a current-thread runtime,
/// where `block_in_place` is not allowed).
fn may_block<T>(blocking: impl FnOnce() -> T) -> T {
    #[cfg(feature = "tokio")]
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if Handle::try_current()
            .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread)
        {
            return tokio::task::block_in_place(blocking);
        }
    }
    blocking()
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
