//! Converting the store's records to and from PostgreSQL columns.
//!
//! The columns are those of the SQLite store, with PostgreSQL types: times are `BIGINT`
//! nanoseconds since the Unix epoch (exact round trips of `SystemTime`, ordered like time), ids
//! and MACs `BYTEA`, everything else `TEXT` or `BIGINT`. A row is read column by column; a value
//! that no longer validates becomes [`PostgresError::Corrupt`].

#![allow(clippy::doc_markdown)] // PostgreSQL is a name, not code.

use std::time::{Duration, SystemTime};

use tokio_postgres::Row;

use super::error::PostgresError;
use crate::config::TermsVersion;
use crate::email::{EmailAddress, EmailRules};
use crate::hashing::PasswordHash;
use crate::identity::{InsuredKey, InsuredRecord};
use crate::store::{
    Account, AttemptCounter, ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge,
    CodeMac, NewAccount, Purpose, SignupRecord,
};
use crate::ticket::TicketId;
use crate::user_id::UserId;

const fn corrupt(what: &'static str) -> PostgresError {
    PostgresError::Corrupt { what }
}

/// Column `index` of `row` as `T`; a missing column or a type mismatch is `Corrupt`.
pub(super) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
    what: &'static str,
) -> Result<T, PostgresError> {
    row.try_get(index).map_err(|_| corrupt(what))
}

/// Signed nanoseconds since the Unix epoch: exact for every `SystemTime` from 1678 to 2262.
pub(super) fn time_to_sql(time: SystemTime) -> Result<i64, PostgresError> {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).map_err(|_| PostgresError::TimeOutOfRange),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .map(i64::wrapping_neg)
            .map_err(|_| PostgresError::TimeOutOfRange),
    }
}

/// The inverse of [`time_to_sql`].
pub(super) fn time_from_sql(nanos: i64) -> Result<SystemTime, PostgresError> {
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    }
    .ok_or(corrupt("time"))
}

pub(super) fn optional_time_to_sql(time: Option<SystemTime>) -> Result<Option<i64>, PostgresError> {
    time.map(time_to_sql).transpose()
}

fn optional_time_from_sql(nanos: Option<i64>) -> Result<Option<SystemTime>, PostgresError> {
    nanos.map(time_from_sql).transpose()
}

fn u32_from_sql(value: i64, what: &'static str) -> Result<u32, PostgresError> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

fn ticket_from_sql(bytes: &[u8]) -> Result<TicketId, PostgresError> {
    <[u8; TicketId::BYTES]>::try_from(bytes)
        .map(TicketId::from_bytes)
        .map_err(|_| corrupt("ticket id"))
}

fn mac_from_sql(bytes: &[u8]) -> Result<CodeMac, PostgresError> {
    <[u8; 32]>::try_from(bytes)
        .map(CodeMac::from_bytes)
        .map_err(|_| corrupt("code MAC"))
}

pub(super) const fn purpose_to_sql(purpose: Purpose) -> i64 {
    match purpose {
        Purpose::Registration => 1,
        Purpose::PasswordReset => 2,
        Purpose::EmailChange => 3,
    }
}

fn purpose_from_sql(value: i64) -> Result<Purpose, PostgresError> {
    match value {
        1 => Ok(Purpose::Registration),
        2 => Ok(Purpose::PasswordReset),
        3 => Ok(Purpose::EmailChange),
        _ => Err(corrupt("challenge purpose")),
    }
}

/// `kind` column: a registration, which creates its account.
pub(super) const KIND_REGISTRATION: i64 = 1;
/// `kind` column: a password reset.
pub(super) const KIND_RESET: i64 = 2;
/// `kind` column: a decoy password reset, which can never succeed.
pub(super) const KIND_DECOY: i64 = 3;
/// `kind` column: an e-mail change, whose new address is in the `email` column.
pub(super) const KIND_EMAIL_CHANGE: i64 = 4;

/// The `kind` column of a payload.
pub(super) const fn kind_to_sql(payload: &ChallengePayload) -> i64 {
    match payload {
        ChallengePayload::Registration(_) => KIND_REGISTRATION,
        ChallengePayload::PasswordReset => KIND_RESET,
        ChallengePayload::DecoyReset => KIND_DECOY,
        ChallengePayload::EmailChange(_) => KIND_EMAIL_CHANGE,
    }
}

/// The payload columns of a challenge (`user_key` … `password_hash`): all of them for a
/// registration, the new address in `email` for an e-mail change, none for a reset.
pub(super) fn payload_columns(payload: &ChallengePayload) -> [Option<&str>; 7] {
    match payload {
        ChallengePayload::Registration(account) => [
            Some(account.user_id.unique_key()),
            Some(account.user_id.as_str()),
            Some(account.insured_key.insurer_code()),
            Some(account.insured_key.symbol()),
            Some(account.insured_key.number()),
            Some(account.email.as_str()),
            Some(account.password_hash.as_str()),
        ],
        ChallengePayload::PasswordReset | ChallengePayload::DecoyReset => [None; 7],
        ChallengePayload::EmailChange(email) => {
            [None, None, None, None, None, Some(email.as_str()), None]
        }
    }
}

/// The owner column read back.
pub(super) fn owner_from_sql(value: &str) -> Result<ChallengeOwner, PostgresError> {
    ChallengeOwner::from_storage_key(value).ok_or(corrupt("challenge owner"))
}

fn user_id_from_sql(value: &str) -> Result<UserId, PostgresError> {
    UserId::parse(value).map_err(|_| corrupt("user ID"))
}

/// An address as validated at registration, read with every relaxation a host may have
/// chosen then (legacy carrier dots, quoted local parts), as serde reads it.
pub(super) fn email_from_sql(value: &str) -> Result<EmailAddress, PostgresError> {
    EmailAddress::parse_with(value, EmailRules::STORED).map_err(|_| corrupt("e-mail address"))
}

pub(super) fn key_from_sql(
    insurer_code: &str,
    symbol: &str,
    number: &str,
) -> Result<InsuredKey, PostgresError> {
    InsuredKey::new(insurer_code, symbol, number).map_err(|_| corrupt("insured key"))
}

/// The roster columns, in the order [`roster_from_row`] reads them.
pub(super) const ROSTER_COLUMNS: &str =
    "insurer_code, symbol, number, birth_date, name_kana, coverage_end";

/// A roster record from six columns of `row` starting at `first` (a join reads two).
pub(super) fn roster_from_row(row: &Row, first: usize) -> Result<InsuredRecord, PostgresError> {
    let column = |offset: usize| first.saturating_add(offset);
    let insurer_code: &str = get(row, column(0), "roster entry")?;
    let symbol: &str = get(row, column(1), "roster entry")?;
    let number: &str = get(row, column(2), "roster entry")?;
    let birth_date: &str = get(row, column(3), "birth date")?;
    let name_kana: &str = get(row, column(4), "roster entry")?;
    let coverage_end: Option<&str> = get(row, column(5), "coverage end")?;
    let birth_date = birth_date.parse().map_err(|_| corrupt("birth date"))?;
    let coverage_end = coverage_end
        .map(|end| end.parse().map_err(|_| corrupt("coverage end")))
        .transpose()?;
    Ok(
        InsuredRecord::new(insurer_code, symbol, number, birth_date, name_kana)
            .map_err(|_| corrupt("roster entry"))?
            .with_coverage_end(coverage_end),
    )
}

/// The roster columns of `record`, in [`ROSTER_COLUMNS`] order.
pub(super) fn roster_columns(record: &InsuredRecord) -> [Option<String>; 6] {
    let key = record.key();
    [
        Some(key.insurer_code().to_owned()),
        Some(key.symbol().to_owned()),
        Some(key.number().to_owned()),
        Some(record.birth_date().to_string()),
        Some(record.name().as_str().to_owned()),
        record.coverage_end().map(|end| end.to_string()),
    ]
}

/// The account columns, in the order [`account_from_row`] reads them.
pub(super) const ACCOUNT_COLUMNS: &str = "user_id, insurer_code, symbol, number, email, \
     password_hash, terms_accepted, created_at, last_login_at";

pub(super) fn account_from_row(row: &Row) -> Result<Account, PostgresError> {
    let user_id: &str = get(row, 0, "user ID")?;
    let insurer_code: &str = get(row, 1, "insured key")?;
    let symbol: &str = get(row, 2, "insured key")?;
    let number: &str = get(row, 3, "insured key")?;
    let email: &str = get(row, 4, "e-mail address")?;
    let password_hash: String = get(row, 5, "password hash")?;
    let terms_accepted: Option<i64> = get(row, 6, "terms version")?;
    let created_at: i64 = get(row, 7, "time")?;
    let last_login_at: Option<i64> = get(row, 8, "time")?;
    Ok(Account {
        user_id: user_id_from_sql(user_id)?,
        insured_key: key_from_sql(insurer_code, symbol, number)?,
        email: email_from_sql(email)?,
        password_hash: PasswordHash::from_phc(password_hash),
        terms_accepted: terms_accepted
            .map(|version| u32_from_sql(version, "terms version").map(TermsVersion::new))
            .transpose()?,
        created_at: time_from_sql(created_at)?,
        last_login_at: optional_time_from_sql(last_login_at)?,
    })
}

/// The sign-up columns, in the order [`signup_from_row`] reads them.
pub(super) const SIGNUP_COLUMNS: &str = "id, insurer_code, symbol, number, expires_at";

pub(super) fn signup_from_row(row: &Row) -> Result<SignupRecord, PostgresError> {
    let id: &[u8] = get(row, 0, "ticket id")?;
    let insurer_code: &str = get(row, 1, "insured key")?;
    let symbol: &str = get(row, 2, "insured key")?;
    let number: &str = get(row, 3, "insured key")?;
    let expires_at: i64 = get(row, 4, "time")?;
    Ok(SignupRecord {
        id: ticket_from_sql(id)?,
        insured_key: key_from_sql(insurer_code, symbol, number)?,
        expires_at: time_from_sql(expires_at)?,
    })
}

/// The counter columns, in the order [`counter_from_row`] reads them.
pub(super) const COUNTER_COLUMNS: &str = "attempts, locked_until, last_attempt, forget_at";

pub(super) fn counter_from_row(row: &Row) -> Result<AttemptCounter, PostgresError> {
    let attempts: i64 = get(row, 0, "attempt count")?;
    let locked_until: Option<i64> = get(row, 1, "time")?;
    let last_attempt: Option<i64> = get(row, 2, "time")?;
    let forget_at: Option<i64> = get(row, 3, "time")?;
    Ok(AttemptCounter {
        attempts: u32_from_sql(attempts, "attempt count")?,
        locked_until: optional_time_from_sql(locked_until)?,
        last_attempt: optional_time_from_sql(last_attempt)?,
        forget_at: optional_time_from_sql(forget_at)?,
    })
}

/// The code columns of a challenge, in the order [`code_from_row`] reads them.
pub(super) const CODE_COLUMNS: &str =
    "id, purpose, code_mac, issued_at, expires_at, attempts, sends";

pub(super) fn code_from_row(row: &Row) -> Result<CodeChallenge, PostgresError> {
    let id: &[u8] = get(row, 0, "ticket id")?;
    let purpose: i64 = get(row, 1, "challenge purpose")?;
    let code_mac: &[u8] = get(row, 2, "code MAC")?;
    let issued_at: i64 = get(row, 3, "time")?;
    let expires_at: i64 = get(row, 4, "time")?;
    let attempts: i64 = get(row, 5, "attempt count")?;
    let sends: i64 = get(row, 6, "send count")?;
    Ok(CodeChallenge {
        id: ticket_from_sql(id)?,
        purpose: purpose_from_sql(purpose)?,
        code_mac: mac_from_sql(code_mac)?,
        issued_at: time_from_sql(issued_at)?,
        expires_at: time_from_sql(expires_at)?,
        attempts: u32_from_sql(attempts, "attempt count")?,
        sends: u32_from_sql(sends, "send count")?,
    })
}

/// Every challenge column, in the order [`challenge_from_row`] reads them.
pub(super) const CHALLENGE_COLUMNS: &str = "id, purpose, code_mac, issued_at, expires_at, \
     attempts, sends, owner, kind, user_id, insurer_code, symbol, number, email, password_hash";

pub(super) fn challenge_from_row(row: &Row) -> Result<ChallengeRecord, PostgresError> {
    let code = code_from_row(row)?;
    let owner: &str = get(row, 7, "challenge owner")?;
    let kind: i64 = get(row, 8, "challenge kind")?;
    let text = |index: usize| -> Result<Option<String>, PostgresError> {
        get(row, index, "registration challenge")
    };
    let payload = match kind {
        KIND_REGISTRATION => {
            let (
                Some(user_id),
                Some(insurer_code),
                Some(symbol),
                Some(number),
                Some(email),
                Some(password_hash),
            ) = (
                text(9)?,
                text(10)?,
                text(11)?,
                text(12)?,
                text(13)?,
                text(14)?,
            )
            else {
                return Err(corrupt("registration challenge"));
            };
            ChallengePayload::Registration(NewAccount {
                user_id: user_id_from_sql(&user_id)?,
                insured_key: key_from_sql(&insurer_code, &symbol, &number)?,
                email: email_from_sql(&email)?,
                password_hash: PasswordHash::from_phc(password_hash),
            })
        }
        KIND_RESET => ChallengePayload::PasswordReset,
        KIND_DECOY => ChallengePayload::DecoyReset,
        KIND_EMAIL_CHANGE => {
            let email = text(13)?.ok_or(corrupt("e-mail change challenge"))?;
            ChallengePayload::EmailChange(email_from_sql(&email)?)
        }
        _ => return Err(corrupt("challenge kind")),
    };
    Ok(ChallengeRecord {
        code,
        owner: owner_from_sql(owner)?,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_nanosecond_and_keep_their_order() {
        let cases = [
            SystemTime::UNIX_EPOCH - Duration::new(86_400 * 365, 1),
            SystemTime::UNIX_EPOCH,
            SystemTime::UNIX_EPOCH + Duration::new(1_800_000_000, 123_456_789),
        ];
        let mut last = i64::MIN;
        for time in cases {
            let stored = time_to_sql(time).unwrap();
            assert!(stored > last);
            last = stored;
            assert_eq!(time_from_sql(stored).unwrap(), time);
        }
        let far = SystemTime::UNIX_EPOCH + Duration::from_nanos(i64::MAX.unsigned_abs() + 1);
        assert!(matches!(
            time_to_sql(far),
            Err(PostgresError::TimeOutOfRange)
        ));
    }

    #[test]
    fn malformed_values_are_corrupt() {
        assert!(ticket_from_sql(&[0; 15]).is_err());
        assert!(mac_from_sql(&[0; 33]).is_err());
        assert!(purpose_from_sql(4).is_err());
        assert!(u32_from_sql(-1, "x").is_err());
        assert!(owner_from_sql("nobody").is_err());
    }
}
