//! Reading SQLite rows into the shared column structs of [`crate::store::columns`], whose
//! conversions validate them; a value that no longer validates becomes
//! [`SqliteError::Corrupt`].
//!
//! The readers run inside rusqlite's row closures, which can only fail with rusqlite errors;
//! the conversions come after.

#![allow(clippy::doc_markdown)] // SQLite is a name, not code.

use rusqlite::Row;

use super::error::SqliteError;
use crate::store::columns::each_row;
pub(crate) use crate::store::columns::{
    AccountRow, ChallengeRow, ChallengeTail, CodeRow, ColumnError, CounterRow, KIND_EMAIL_CHANGE,
    KIND_REGISTRATION, KIND_RESET, RosterRow, SignupRow, email_from_sql, epoch_from_sql,
    kind_to_sql, optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql,
    roster_columns, time_to_sql,
};

impl From<ColumnError> for SqliteError {
    fn from(error: ColumnError) -> Self {
        match error {
            ColumnError::Corrupt(what) => SqliteError::Corrupt { what },
            ColumnError::TimeOutOfRange => SqliteError::TimeOutOfRange,
        }
    }
}

/// Gives each row of [`each_row!`] its SQLite reader.
macro_rules! read_from_sqlite {
    ($($(#[$doc:meta])* $row:ident { $($field:ident: $ty:ty = $what:literal,)* })*) => {$(
        impl $row {
            /// Reads the row's [`COLUMNS`](Self::COLUMNS) starting at column `first` (a join
            /// reads two rows).
            pub(crate) fn from_sqlite_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
                // An open range never ends: `unwrap_or` only spares an `unwrap`.
                let mut columns = first..;
                Ok(Self {
                    $($field: row.get(columns.next().unwrap_or(usize::MAX))?,)*
                })
            }

            /// Reads the row's [`COLUMNS`](Self::COLUMNS).
            #[allow(dead_code, reason = "a row only read after another")]
            pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
                Self::from_sqlite_at(row, 0)
            }
        }
    )*};
}

each_row!(read_from_sqlite);

impl ChallengeRow {
    /// Reads the row's [`ChallengeRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            code: CodeRow::from_sqlite(row)?,
            tail: ChallengeTail::from_sqlite_at(row, CodeRow::WIDTH)?,
        })
    }
}
