//! Reading PostgreSQL rows into the shared column structs of [`crate::store::columns`], whose
//! conversions validate them; a value that no longer validates, or a column of another type,
//! becomes [`PostgresError::Corrupt`].
//!
//! The tables have the SQLite store's columns with PostgreSQL types: times `BIGINT`
//! nanoseconds since the Unix epoch, ids and MACs `BYTEA`, everything else `TEXT` or `BIGINT`.

#![allow(clippy::doc_markdown)] // PostgreSQL is a name, not code.

use tokio_postgres::Row;

use super::error::PostgresError;
use crate::identity::InsuredRecord;
use crate::store::columns::{
    AccountRow, ChallengeRow, ChallengeTail, CodeRow, ColumnError, CounterRow, RosterRow,
    SignupRow, each_row,
};
pub(super) use crate::store::columns::{
    KIND_EMAIL_CHANGE, KIND_REGISTRATION, KIND_RESET, email_from_sql, epoch_from_sql, key_from_sql,
    kind_to_sql, optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql,
    roster_columns, time_to_sql,
};
use crate::store::{Account, AttemptCounter, ChallengeRecord, CodeChallenge, SignupRecord};

// The shared column lists, as constants that format strings can name.
pub(super) const ROSTER_COLUMNS: &str = RosterRow::COLUMNS;
pub(super) const ACCOUNT_COLUMNS: &str = AccountRow::COLUMNS;
pub(super) const SIGNUP_COLUMNS: &str = SignupRow::COLUMNS;
pub(super) const COUNTER_COLUMNS: &str = CounterRow::COLUMNS;
pub(super) const CODE_COLUMNS: &str = CodeRow::COLUMNS;
pub(super) const CHALLENGE_COLUMNS: &str = ChallengeRow::COLUMNS;

impl From<ColumnError> for PostgresError {
    fn from(error: ColumnError) -> Self {
        match error {
            ColumnError::Corrupt(what) => PostgresError::Corrupt { what },
            ColumnError::TimeOutOfRange => PostgresError::TimeOutOfRange,
        }
    }
}

/// Column `index` of `row` as `T`; a missing column or a type mismatch is `Corrupt`.
pub(super) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    what: &'static str,
) -> Result<T, PostgresError> {
    row.try_get(index)
        .map_err(|_| PostgresError::Corrupt { what })
}

/// Gives each row of [`each_row!`] its PostgreSQL reader, which names a bad column by what
/// it holds.
macro_rules! read_from_postgres {
    ($($(#[$doc:meta])* $row:ident { $($field:ident: $ty:ty = $what:literal,)* })*) => {$(
        impl $row {
            /// Reads the row's [`COLUMNS`](Self::COLUMNS) starting at column `first` (a join
            /// reads two rows).
            fn from_postgres(row: &Row, first: usize) -> Result<Self, PostgresError> {
                // An open range never ends: `unwrap_or` only spares an `unwrap`.
                let mut columns = first..;
                Ok(Self {
                    $($field: get(row, columns.next().unwrap_or(usize::MAX), $what)?,)*
                })
            }
        }
    )*};
}

each_row!(read_from_postgres);

/// A roster record from the [`RosterRow::COLUMNS`] of `row` starting at `first` (a join reads
/// two).
pub(super) fn roster_from_row(row: &Row, first: usize) -> Result<InsuredRecord, PostgresError> {
    Ok(RosterRow::from_postgres(row, first)?.into_record()?)
}

/// An account from the [`AccountRow::COLUMNS`] of `row`.
pub(super) fn account_from_row(row: &Row) -> Result<Account, PostgresError> {
    Ok(AccountRow::from_postgres(row, 0)?.into_account()?)
}

/// A sign-up from the [`SignupRow::COLUMNS`] of `row`.
pub(super) fn signup_from_row(row: &Row) -> Result<SignupRecord, PostgresError> {
    Ok(SignupRow::from_postgres(row, 0)?.into_record()?)
}

/// A counter from the [`CounterRow::COLUMNS`] of `row`.
pub(super) fn counter_from_row(row: &Row) -> Result<AttemptCounter, PostgresError> {
    Ok(CounterRow::from_postgres(row, 0)?.into_counter()?)
}

/// A code from the [`CodeRow::COLUMNS`] of `row`.
pub(super) fn code_from_row(row: &Row) -> Result<CodeChallenge, PostgresError> {
    Ok(CodeRow::from_postgres(row, 0)?.into_code()?)
}

/// A challenge from the [`ChallengeRow::COLUMNS`] of `row`.
pub(super) fn challenge_from_row(row: &Row) -> Result<ChallengeRecord, PostgresError> {
    let challenge = ChallengeRow {
        code: CodeRow::from_postgres(row, 0)?,
        tail: ChallengeTail::from_postgres(row, CodeRow::WIDTH)?,
    };
    Ok(challenge.into_record()?)
}
