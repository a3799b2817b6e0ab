//! Reading SQLite rows into the shared column structs of [`crate::store::columns`], whose
//! conversions validate them; a value that no longer validates becomes
//! [`SqliteError::Corrupt`].
//!
//! The readers run inside rusqlite's row closures, which can only fail with rusqlite errors;
//! the conversions come after.

#![allow(clippy::doc_markdown)] // SQLite is a name, not code.

use rusqlite::Row;

use super::error::SqliteError;
pub(crate) use crate::store::columns::{
    AccountRow, ChallengeRow, CodeRow, ColumnError, CounterRow, KIND_EMAIL_CHANGE,
    KIND_REGISTRATION, KIND_RESET, RosterRow, SignupRow, email_from_sql, kind_to_sql,
    optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql, roster_columns,
    time_to_sql,
};

impl From<ColumnError> for SqliteError {
    fn from(error: ColumnError) -> Self {
        match error {
            ColumnError::Corrupt(what) => SqliteError::Corrupt { what },
            ColumnError::TimeOutOfRange => SqliteError::TimeOutOfRange,
        }
    }
}

impl RosterRow {
    /// Reads the row's [`RosterRow::COLUMNS`] starting at column `first` (a join reads two).
    pub(crate) fn from_sqlite_at(row: &Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            insurer_code: row.get(first)?,
            symbol: row.get(first + 1)?,
            number: row.get(first + 2)?,
            birth_date: row.get(first + 3)?,
            name_kana: row.get(first + 4)?,
            coverage_end: row.get(first + 5)?,
        })
    }

    /// Reads the row's [`RosterRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Self::from_sqlite_at(row, 0)
    }
}

impl AccountRow {
    /// Reads the row's [`AccountRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            user_id: row.get(0)?,
            insurer_code: row.get(1)?,
            symbol: row.get(2)?,
            number: row.get(3)?,
            email: row.get(4)?,
            password_hash: row.get(5)?,
            terms_accepted: row.get(6)?,
            created_at: row.get(7)?,
            last_login_at: row.get(8)?,
        })
    }
}

impl SignupRow {
    /// Reads the row's [`SignupRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            insurer_code: row.get(1)?,
            symbol: row.get(2)?,
            number: row.get(3)?,
            expires_at: row.get(4)?,
        })
    }
}

impl CounterRow {
    /// Reads the row's [`CounterRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            attempts: row.get(0)?,
            locked_until: row.get(1)?,
            last_attempt: row.get(2)?,
            forget_at: row.get(3)?,
        })
    }
}

impl CodeRow {
    /// Reads the row's [`CodeRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            purpose: row.get(1)?,
            code_mac: row.get(2)?,
            issued_at: row.get(3)?,
            expires_at: row.get(4)?,
            attempts: row.get(5)?,
            sends: row.get(6)?,
        })
    }
}

impl ChallengeRow {
    /// Reads the row's [`ChallengeRow::COLUMNS`].
    pub(crate) fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            code: CodeRow::from_sqlite(row)?,
            owner: row.get(7)?,
            kind: row.get(8)?,
            user_id: row.get(9)?,
            insurer_code: row.get(10)?,
            symbol: row.get(11)?,
            number: row.get(12)?,
            email: row.get(13)?,
            password_hash: row.get(14)?,
        })
    }
}
