//! [`PostgresError`]: why a [`PostgresStore`](crate::PostgresStore) call failed.

#![allow(clippy::doc_markdown)] // PostgreSQL and PgBouncer are names, not code.

use tokio_postgres::error::SqlState;

use crate::ja::{MessageJa, SYSTEM_FAILURE};

/// Why a [`PostgresStore`](crate::PostgresStore) call failed.
///
/// No variant holds the connection URL or its password: `Display` and `Debug` are safe to log.
///
/// ```
/// use kenpo_auth::{MessageJa, PostgresError};
///
/// let error = PostgresError::InvalidSchemaName;
/// assert!(error.to_string().contains("schema"));
/// assert!(error.message_ja().contains("障害"));
/// assert!(!error.is_transient());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// The server (or the client library) reported an error: the connection was lost, a
    /// statement timed out, a constraint failed, authentication was refused.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection could be had from the pool: the server did not answer within the
    /// connect timeout, or every connection stayed busy for the wait timeout.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// The connection URL could not be read. The message never repeats the URL.
    #[error("invalid PostgreSQL connection string: {0}")]
    InvalidUrl(String),
    /// The schema name is not 1 to 63 characters of `a-z`, `0-9` and `_`, starting with a
    /// letter or `_`.
    #[error("invalid schema name: 1 to 63 characters of a-z, 0-9 and _, not starting with a digit")]
    InvalidSchemaName,
    /// The schema was written by a newer release of this crate; this one cannot read it.
    #[error("database schema version {found} is newer than this release supports ({supported})")]
    SchemaTooNew {
        /// The schema's version.
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
    /// A transaction kept losing to concurrent ones (serialization failures or deadlocks) and
    /// was given up after this many tries.
    #[error("gave up after {tries} tries lost to concurrent transactions")]
    Contention {
        /// How many times the transaction ran.
        tries: u32,
    },
    /// The Tokio runtime that runs the store's connections has shut down.
    #[error("the Tokio runtime of the store's connections has shut down")]
    RuntimeGone,
}

impl PostgresError {
    /// Whether retrying later may succeed: a lost or refused connection, a timeout, contention.
    /// Constraint violations, corrupt data and configuration mistakes are not transient.
    ///
    /// ```
    /// use kenpo_auth::PostgresError;
    /// assert!(PostgresError::Contention { tries: 8 }.is_transient());
    /// assert!(!PostgresError::Corrupt { what: "user ID" }.is_transient());
    /// ```
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Postgres(error) => {
                error.is_closed()
                    || error.as_db_error().is_none()
                    || error.code().is_some_and(|code| {
                        let class = code.code().get(..2).unwrap_or_default();
                        // 08: connection exception; 40: transaction rollback; 53: insufficient
                        // resources; 57: operator intervention (shutdown, cancel, timeout).
                        matches!(class, "08" | "40" | "53" | "57")
                    })
            }
            Self::Pool(_) | Self::Contention { .. } | Self::RuntimeGone => true,
            Self::InvalidUrl(_)
            | Self::InvalidSchemaName
            | Self::SchemaTooNew { .. }
            | Self::Corrupt { .. }
            | Self::TimeOutOfRange => false,
        }
    }

    /// Whether the transaction lost to a concurrent one (SQLSTATE `40001` serialization failure
    /// or `40P01` deadlock) and may simply run again; the store does so itself a bounded
    /// number of times before answering [`PostgresError::Contention`].
    #[must_use]
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Postgres(error) if error.code().is_some_and(|code| {
            *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        }))
    }
}

impl From<deadpool_postgres::PoolError> for PostgresError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => Self::Postgres(error),
            other => Self::Pool(other.to_string()),
        }
    }
}

/// A storage failure is never the member's to fix.
impl MessageJa for PostgresError {
    fn message_ja(&self) -> String {
        SYSTEM_FAILURE.to_owned()
    }
}
