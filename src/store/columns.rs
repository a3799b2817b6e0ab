//! The column layout both SQL stores share: `SqliteStore` and `PostgresStore` keep the same
//! tables with the same columns, so what a record looks like in columns, and how a row read
//! back is validated into records, is written here once. Each store only moves values between
//! its driver's rows and the plain row structs below.
//!
//! Times are signed nanoseconds since the Unix epoch (exact round trips of `SystemTime`,
//! ordered like time), ids and MACs bytes, everything else text or integers. A value that no
//! longer validates is [`ColumnError::Corrupt`], which each store turns into its own error.

#![allow(clippy::doc_markdown)] // SQLite and PostgreSQL are names, not code.

use std::time::{Duration, SystemTime};

use crate::config::TermsVersion;
use crate::email::{EmailAddress, EmailRules};
use crate::hashing::PasswordHash;
use crate::identity::{BirthDate, InsuredKey, InsuredRecord};
use crate::store::{
    Account, AttemptCounter, ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge,
    CodeMac, NewAccount, Purpose, SignupRecord,
};
use crate::ticket::TicketId;
use crate::user_id::UserId;

/// Why a value could not go into a column or come out of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColumnError {
    /// A stored value no longer validates; `what` names it (never its content).
    Corrupt(&'static str),
    /// A time outside what the column can hold (1678 to 2262).
    TimeOutOfRange,
}

const fn corrupt(what: &'static str) -> ColumnError {
    ColumnError::Corrupt(what)
}

/// Signed nanoseconds since the Unix epoch: exact for every `SystemTime` from 1678 to 2262.
pub(crate) fn time_to_sql(time: SystemTime) -> Result<i64, ColumnError> {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).map_err(|_| ColumnError::TimeOutOfRange),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .map(i64::wrapping_neg)
            .map_err(|_| ColumnError::TimeOutOfRange),
    }
}

/// The inverse of [`time_to_sql`].
pub(crate) fn time_from_sql(nanos: i64) -> Result<SystemTime, ColumnError> {
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(magnitude)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(magnitude)
    }
    .ok_or(corrupt("time"))
}

pub(crate) fn optional_time_to_sql(time: Option<SystemTime>) -> Result<Option<i64>, ColumnError> {
    time.map(time_to_sql).transpose()
}

fn optional_time_from_sql(nanos: Option<i64>) -> Result<Option<SystemTime>, ColumnError> {
    nanos.map(time_from_sql).transpose()
}

/// An account's [`Account::session_epoch`], never negative.
pub(crate) fn epoch_from_sql(value: i64) -> Result<u64, ColumnError> {
    u64::try_from(value).map_err(|_| corrupt("session epoch"))
}

fn u32_from_sql(value: i64, what: &'static str) -> Result<u32, ColumnError> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

fn ticket_from_sql(bytes: &[u8]) -> Result<TicketId, ColumnError> {
    <[u8; TicketId::BYTES]>::try_from(bytes)
        .map(TicketId::from_bytes)
        .map_err(|_| corrupt("ticket id"))
}

fn mac_from_sql(bytes: &[u8]) -> Result<CodeMac, ColumnError> {
    <[u8; 32]>::try_from(bytes)
        .map(CodeMac::from_bytes)
        .map_err(|_| corrupt("code MAC"))
}

/// The `purpose` column.
pub(crate) const fn purpose_to_sql(purpose: Purpose) -> i64 {
    match purpose {
        Purpose::Registration => 1,
        Purpose::PasswordReset => 2,
        Purpose::EmailChange => 3,
    }
}

fn purpose_from_sql(value: i64) -> Result<Purpose, ColumnError> {
    match value {
        1 => Ok(Purpose::Registration),
        2 => Ok(Purpose::PasswordReset),
        3 => Ok(Purpose::EmailChange),
        _ => Err(corrupt("challenge purpose")),
    }
}

/// `kind` column: a registration, which creates its account.
pub(crate) const KIND_REGISTRATION: i64 = 1;
/// `kind` column: a password reset.
pub(crate) const KIND_RESET: i64 = 2;
/// `kind` column: a decoy password reset, which can never succeed.
pub(crate) const KIND_DECOY: i64 = 3;
/// `kind` column: an e-mail change, whose new address is in the `email` column.
pub(crate) const KIND_EMAIL_CHANGE: i64 = 4;

/// The `kind` column of a payload.
pub(crate) const fn kind_to_sql(payload: &ChallengePayload) -> i64 {
    match payload {
        ChallengePayload::Registration(_) => KIND_REGISTRATION,
        ChallengePayload::PasswordReset => KIND_RESET,
        ChallengePayload::DecoyReset => KIND_DECOY,
        ChallengePayload::EmailChange(_) => KIND_EMAIL_CHANGE,
    }
}

/// The payload columns of a challenge (`user_key` … `password_hash`, `birth_date`): all of
/// them for a registration, the new address in `email` for an e-mail change, none for a reset.
pub(crate) fn payload_columns(payload: &ChallengePayload) -> [Option<String>; 8] {
    match payload {
        ChallengePayload::Registration(account) => [
            account.user_id.unique_key(),
            account.user_id.as_str(),
            account.insured_key.insurer_code(),
            account.insured_key.symbol(),
            account.insured_key.number(),
            account.email.as_str(),
            account.password_hash.as_str(),
            &account.birth_date.to_string(),
        ]
        .map(|value| Some(value.to_owned())),
        ChallengePayload::PasswordReset | ChallengePayload::DecoyReset => Default::default(),
        ChallengePayload::EmailChange(email) => {
            let email = Some(email.as_str().to_owned());
            [None, None, None, None, None, email, None, None]
        }
    }
}

/// The `owner` column read back.
pub(crate) fn owner_from_sql(value: &str) -> Result<ChallengeOwner, ColumnError> {
    ChallengeOwner::from_storage_key(value).ok_or(corrupt("challenge owner"))
}

fn user_id_from_sql(value: &str) -> Result<UserId, ColumnError> {
    UserId::parse(value).map_err(|_| corrupt("user ID"))
}

/// An address as validated at registration, read with every relaxation a host may have
/// chosen then (legacy carrier dots, quoted local parts), as serde reads it.
pub(crate) fn email_from_sql(value: &str) -> Result<EmailAddress, ColumnError> {
    EmailAddress::parse_with(value, EmailRules::STORED).map_err(|_| corrupt("e-mail address"))
}

/// A `birth_date` column (`YYYY-MM-DD`).
pub(crate) fn birth_date_from_sql(value: &str) -> Result<BirthDate, ColumnError> {
    value.parse().map_err(|_| corrupt("birth date"))
}

/// An insured person's key from its three columns.
pub(crate) fn key_from_sql(
    insurer_code: &str,
    symbol: &str,
    number: &str,
) -> Result<InsuredKey, ColumnError> {
    InsuredKey::new(insurer_code, symbol, number).map_err(|_| corrupt("insured key"))
}

/// Every row the SQL stores read, described once: its fields are its columns in column order,
/// each with the name PostgreSQL's reader reports a value of the wrong type under (SQLite's
/// reports rusqlite's error). `define_rows!` below makes the structs and their `COLUMNS` from
/// it; each driver's codec hands the same list to its own reader, so a column cannot be
/// selected in one position and read from another. What is written (`roster_columns`,
/// `payload_columns`, the `INSERT` statements) still names its columns one by one.
macro_rules! each_row {
    ($then:ident) => {
        $then! {
            /// A `roster` row.
            RosterRow {
                insurer_code: String = "roster entry",
                symbol: String = "roster entry",
                number: String = "roster entry",
                birth_date: String = "birth date",
                name_kana: String = "roster entry",
                coverage_end: Option<String> = "coverage end",
            }
            /// An `accounts` row.
            AccountRow {
                user_id: String = "user ID",
                insurer_code: String = "insured key",
                symbol: String = "insured key",
                number: String = "insured key",
                email: String = "e-mail address",
                password_hash: String = "password hash",
                terms_accepted: Option<i64> = "terms version",
                created_at: i64 = "time",
                last_login_at: Option<i64> = "time",
                session_epoch: i64 = "session epoch",
                birth_date: Option<String> = "birth date",
            }
            /// A `signups` row.
            SignupRow {
                id: Vec<u8> = "ticket id",
                insurer_code: String = "insured key",
                symbol: String = "insured key",
                number: String = "insured key",
                birth_date: Option<String> = "birth date",
                expires_at: i64 = "time",
            }
            /// A `counters` row.
            CounterRow {
                attempts: i64 = "attempt count",
                locked_until: Option<i64> = "time",
                last_attempt: Option<i64> = "time",
                forget_at: Option<i64> = "time",
            }
            /// The code columns of a challenge, for `Store::update_code`.
            CodeRow {
                id: Vec<u8> = "ticket id",
                purpose: i64 = "challenge purpose",
                code_mac: Vec<u8> = "code MAC",
                issued_at: i64 = "time",
                expires_at: i64 = "time",
                attempts: i64 = "attempt count",
                sends: i64 = "send count",
            }
            /// The columns of a `challenges` row after its [`CodeRow`]: the owner, the kind and
            /// the payload.
            ChallengeTail {
                owner: String = "challenge owner",
                kind: i64 = "challenge kind",
                user_id: Option<String> = "registration challenge",
                insurer_code: Option<String> = "registration challenge",
                symbol: Option<String> = "registration challenge",
                number: Option<String> = "registration challenge",
                email: Option<String> = "registration challenge",
                password_hash: Option<String> = "registration challenge",
                birth_date: Option<String> = "registration challenge",
            }
        }
    };
}
pub(crate) use each_row;

/// The structs of [`each_row!`], with their column lists.
macro_rules! define_rows {
    ($($(#[$doc:meta])* $row:ident { $first:ident: $first_ty:ty = $first_what:literal,
        $($field:ident: $ty:ty = $what:literal,)* })*) => {$(
        $(#[$doc])*
        pub(crate) struct $row {
            pub(crate) $first: $first_ty,
            $(pub(crate) $field: $ty,)*
        }

        #[allow(dead_code, reason = "a row a store never lists or counts")]
        impl $row {
            /// The columns, in the order the fields are read.
            pub(crate) const COLUMNS: &'static str =
                concat!(stringify!($first) $(, ", ", stringify!($field))*);
            /// How many columns the row has.
            pub(crate) const WIDTH: usize = [stringify!($first) $(, stringify!($field))*].len();
        }
    )*};
}

each_row!(define_rows);

impl RosterRow {
    pub(crate) fn into_record(self) -> Result<InsuredRecord, ColumnError> {
        let birth_date = birth_date_from_sql(&self.birth_date)?;
        let coverage_end = self
            .coverage_end
            .map(|end| end.parse().map_err(|_| corrupt("coverage end")))
            .transpose()?;
        Ok(InsuredRecord::new(
            &self.insurer_code,
            &self.symbol,
            &self.number,
            birth_date,
            &self.name_kana,
        )
        .map_err(|_| corrupt("roster entry"))?
        .with_coverage_end(coverage_end))
    }
}

/// The roster columns of `record`, in [`RosterRow::COLUMNS`] order.
pub(crate) fn roster_columns(record: &InsuredRecord) -> [Option<String>; 6] {
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

impl AccountRow {
    pub(crate) fn into_account(self) -> Result<Account, ColumnError> {
        Ok(Account {
            user_id: user_id_from_sql(&self.user_id)?,
            insured_key: key_from_sql(&self.insurer_code, &self.symbol, &self.number)?,
            email: email_from_sql(&self.email)?,
            password_hash: PasswordHash::from_phc(self.password_hash),
            terms_accepted: self
                .terms_accepted
                .map(|version| u32_from_sql(version, "terms version").map(TermsVersion::new))
                .transpose()?,
            created_at: time_from_sql(self.created_at)?,
            last_login_at: optional_time_from_sql(self.last_login_at)?,
            session_epoch: epoch_from_sql(self.session_epoch)?,
            birth_date: self
                .birth_date
                .as_deref()
                .map(birth_date_from_sql)
                .transpose()?,
        })
    }
}

impl SignupRow {
    pub(crate) fn into_record(self) -> Result<SignupRecord, ColumnError> {
        Ok(SignupRecord {
            id: ticket_from_sql(&self.id)?,
            insured_key: key_from_sql(&self.insurer_code, &self.symbol, &self.number)?,
            birth_date: birth_date_from_sql(
                self.birth_date.as_deref().ok_or(corrupt("birth date"))?,
            )?,
            expires_at: time_from_sql(self.expires_at)?,
        })
    }
}

impl CounterRow {
    pub(crate) fn into_counter(self) -> Result<AttemptCounter, ColumnError> {
        Ok(AttemptCounter {
            attempts: u32_from_sql(self.attempts, "attempt count")?,
            locked_until: optional_time_from_sql(self.locked_until)?,
            last_attempt: optional_time_from_sql(self.last_attempt)?,
            forget_at: optional_time_from_sql(self.forget_at)?,
        })
    }
}

impl CodeRow {
    pub(crate) fn into_code(self) -> Result<CodeChallenge, ColumnError> {
        Ok(CodeChallenge {
            id: ticket_from_sql(&self.id)?,
            purpose: purpose_from_sql(self.purpose)?,
            code_mac: mac_from_sql(&self.code_mac)?,
            issued_at: time_from_sql(self.issued_at)?,
            expires_at: time_from_sql(self.expires_at)?,
            attempts: u32_from_sql(self.attempts, "attempt count")?,
            sends: u32_from_sql(self.sends, "send count")?,
        })
    }
}

/// A `challenges` row: the code columns, then the rest.
pub(crate) struct ChallengeRow {
    pub(crate) code: CodeRow,
    pub(crate) tail: ChallengeTail,
}

impl ChallengeRow {
    /// The columns, in the order the fields are read: [`CodeRow::COLUMNS`], then
    /// [`ChallengeTail::COLUMNS`] (a test holds the two to this list).
    pub(crate) const COLUMNS: &'static str = "id, purpose, code_mac, issued_at, expires_at, \
         attempts, sends, owner, kind, user_id, insurer_code, symbol, number, email, \
         password_hash, birth_date";

    pub(crate) fn into_record(self) -> Result<ChallengeRecord, ColumnError> {
        let code = self.code.into_code()?;
        let tail = self.tail;
        let owner = owner_from_sql(&tail.owner)?;
        let payload = match tail.kind {
            KIND_REGISTRATION => {
                let (
                    Some(user_id),
                    Some(insurer_code),
                    Some(symbol),
                    Some(number),
                    Some(email),
                    Some(password_hash),
                    Some(birth_date),
                ) = (
                    tail.user_id,
                    tail.insurer_code,
                    tail.symbol,
                    tail.number,
                    tail.email,
                    tail.password_hash,
                    tail.birth_date,
                )
                else {
                    return Err(corrupt("registration challenge"));
                };
                ChallengePayload::Registration(NewAccount {
                    user_id: user_id_from_sql(&user_id)?,
                    insured_key: key_from_sql(&insurer_code, &symbol, &number)?,
                    birth_date: birth_date_from_sql(&birth_date)?,
                    email: email_from_sql(&email)?,
                    password_hash: PasswordHash::from_phc(password_hash),
                })
            }
            KIND_RESET => ChallengePayload::PasswordReset,
            KIND_DECOY => ChallengePayload::DecoyReset,
            KIND_EMAIL_CHANGE => {
                let email = tail.email.ok_or(corrupt("e-mail change challenge"))?;
                ChallengePayload::EmailChange(email_from_sql(&email)?)
            }
            _ => return Err(corrupt("challenge kind")),
        };
        Ok(ChallengeRecord {
            code,
            owner,
            payload,
        })
    }
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
            SystemTime::UNIX_EPOCH + Duration::from_nanos(i64::MAX.unsigned_abs()),
        ];
        let mut last = None;
        for time in cases {
            let stored = time_to_sql(time).unwrap();
            assert!(
                last < Some(stored),
                "SQL comparisons must follow time order"
            );
            last = Some(stored);
            assert_eq!(time_from_sql(stored).unwrap(), time);
        }
    }

    #[test]
    fn times_beyond_the_range_are_refused_not_wrapped() {
        let far = SystemTime::UNIX_EPOCH + Duration::from_nanos(i64::MAX.unsigned_abs() + 1);
        assert_eq!(time_to_sql(far), Err(ColumnError::TimeOutOfRange));
    }

    #[test]
    fn a_challenge_row_is_its_code_columns_then_its_tail() {
        let joined = format!("{}, {}", CodeRow::COLUMNS, ChallengeTail::COLUMNS);
        assert_eq!(ChallengeRow::COLUMNS, joined);
        assert_eq!(AccountRow::WIDTH, AccountRow::COLUMNS.split(", ").count());
    }

    #[test]
    fn malformed_values_are_corrupt() {
        assert_eq!(
            ticket_from_sql(&[0; 15]),
            Err(ColumnError::Corrupt("ticket id"))
        );
        assert!(matches!(
            mac_from_sql(&[0; 33]),
            Err(ColumnError::Corrupt("code MAC"))
        ));
        assert!(purpose_from_sql(4).is_err());
        assert!(u32_from_sql(-1, "x").is_err());
        assert!(u32_from_sql(i64::from(u32::MAX) + 1, "x").is_err());
        assert!(owner_from_sql("nobody").is_err());
    }
}
