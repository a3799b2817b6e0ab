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
    AccountRow, ChallengeRow, CodeRow, ColumnError, CounterRow, RosterRow, SignupRow,
};
pub(super) use crate::store::columns::{
    KIND_EMAIL_CHANGE, KIND_REGISTRATION, KIND_RESET, email_from_sql, key_from_sql, kind_to_sql,
    optional_time_to_sql, owner_from_sql, payload_columns, purpose_to_sql, roster_columns,
    time_to_sql,
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

/// A roster record from the six [`RosterRow::COLUMNS`] of `row` starting at `first` (a join
/// reads two).
pub(super) fn roster_from_row(row: &Row, first: usize) -> Result<InsuredRecord, PostgresError> {
    let column = |offset: usize| first.saturating_add(offset);
    let entry = RosterRow {
        insurer_code: get(row, column(0), "roster entry")?,
        symbol: get(row, column(1), "roster entry")?,
        number: get(row, column(2), "roster entry")?,
        birth_date: get(row, column(3), "birth date")?,
        name_kana: get(row, column(4), "roster entry")?,
        coverage_end: get(row, column(5), "coverage end")?,
    };
    Ok(entry.into_record()?)
}

/// An account from the [`AccountRow::COLUMNS`] of `row`.
pub(super) fn account_from_row(row: &Row) -> Result<Account, PostgresError> {
    let account = AccountRow {
        user_id: get(row, 0, "user ID")?,
        insurer_code: get(row, 1, "insured key")?,
        symbol: get(row, 2, "insured key")?,
        number: get(row, 3, "insured key")?,
        email: get(row, 4, "e-mail address")?,
        password_hash: get(row, 5, "password hash")?,
        terms_accepted: get(row, 6, "terms version")?,
        created_at: get(row, 7, "time")?,
        last_login_at: get(row, 8, "time")?,
    };
    Ok(account.into_account()?)
}

/// A sign-up from the [`SignupRow::COLUMNS`] of `row`.
pub(super) fn signup_from_row(row: &Row) -> Result<SignupRecord, PostgresError> {
    let signup = SignupRow {
        id: get(row, 0, "ticket id")?,
        insurer_code: get(row, 1, "insured key")?,
        symbol: get(row, 2, "insured key")?,
        number: get(row, 3, "insured key")?,
        expires_at: get(row, 4, "time")?,
    };
    Ok(signup.into_record()?)
}

/// A counter from the [`CounterRow::COLUMNS`] of `row`.
pub(super) fn counter_from_row(row: &Row) -> Result<AttemptCounter, PostgresError> {
    let counter = CounterRow {
        attempts: get(row, 0, "attempt count")?,
        locked_until: get(row, 1, "time")?,
        last_attempt: get(row, 2, "time")?,
        forget_at: get(row, 3, "time")?,
    };
    Ok(counter.into_counter()?)
}

fn code_row(row: &Row) -> Result<CodeRow, PostgresError> {
    Ok(CodeRow {
        id: get(row, 0, "ticket id")?,
        purpose: get(row, 1, "challenge purpose")?,
        code_mac: get(row, 2, "code MAC")?,
        issued_at: get(row, 3, "time")?,
        expires_at: get(row, 4, "time")?,
        attempts: get(row, 5, "attempt count")?,
        sends: get(row, 6, "send count")?,
    })
}

/// A code from the [`CodeRow::COLUMNS`] of `row`.
pub(super) fn code_from_row(row: &Row) -> Result<CodeChallenge, PostgresError> {
    Ok(code_row(row)?.into_code()?)
}

/// A challenge from the [`ChallengeRow::COLUMNS`] of `row`.
pub(super) fn challenge_from_row(row: &Row) -> Result<ChallengeRecord, PostgresError> {
    let text = |index: usize| get(row, index, "registration challenge");
    let challenge = ChallengeRow {
        code: code_row(row)?,
        owner: get(row, 7, "challenge owner")?,
        kind: get(row, 8, "challenge kind")?,
        user_id: text(9)?,
        insurer_code: text(10)?,
        symbol: text(11)?,
        number: text(12)?,
        email: text(13)?,
        password_hash: text(14)?,
    };
    Ok(challenge.into_record()?)
}
