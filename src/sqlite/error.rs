//! [`SqliteError`]: why a [`SqliteStore`](crate::SqliteStore) call failed.

use rusqlite::ErrorCode;

use crate::ja::{MessageJa, SYSTEM_FAILURE};

/// Why a [`SqliteStore`](crate::SqliteStore) call failed.
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

/// A storage failure is never the member's to fix.
impl MessageJa for SqliteError {
    fn message_ja(&self) -> String {
        SYSTEM_FAILURE.to_owned()
    }
}
