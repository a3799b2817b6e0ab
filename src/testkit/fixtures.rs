//! The records the checks store: fixed, always valid, built without `unwrap`.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::BirthDate;
use crate::email::EmailAddress;
use crate::hashing::PasswordHash;
use crate::identity::{InsuredKey, InsuredRecord};
use crate::store::{
    ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge, CodeMac, LimitPolicy,
    LockSchedule, NewAccount, Purpose, RegistrationOutcome, Store,
};
use crate::testkit::{Failure, Outcome, ensure, ok};
use crate::ticket::TicketId;
use crate::user_id::{UserId, UserKey};

pub(super) const RACERS: usize = 16;

pub(super) fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

pub(super) fn at(secs: u64) -> SystemTime {
    t0() + Duration::from_secs(secs)
}

#[allow(clippy::panic)]
pub(super) fn fixture<T, E: fmt::Debug>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("testkit fixture failed to build: {error:?}"),
    }
}

pub(super) fn ticket() -> TicketId {
    fixture(TicketId::random())
}

pub(super) fn key(n: usize) -> InsuredKey {
    fixture(InsuredKey::new("06139999", "12", &format!("{}", 1000 + n)))
}

/// The date of birth of insured person `n`: a different day for each of the first 28.
pub(super) fn born(n: usize) -> BirthDate {
    let day = u8::try_from(n % 28).unwrap_or(0) + 1;
    fixture(BirthDate::new(1980, 4, day))
}

pub(super) fn insured(n: usize) -> InsuredRecord {
    fixture(InsuredRecord::new(
        "06139999",
        "12",
        &format!("{}", 1000 + n),
        born(n),
        "ケンポ タロウ",
    ))
}

pub(super) fn user(id: &str) -> UserId {
    fixture(UserId::parse(id))
}

pub(super) fn user_key(id: &str) -> UserKey {
    user(id).key()
}

pub(super) fn email() -> EmailAddress {
    fixture(EmailAddress::parse("member@example.co.jp"))
}

pub(super) fn hash(tag: &str) -> PasswordHash {
    PasswordHash::from_phc(format!(
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$testkit{tag}"
    ))
}

pub(super) fn mac(byte: u8) -> CodeMac {
    CodeMac::from_bytes([byte; 32])
}

pub(super) fn code(id: TicketId, purpose: Purpose, mac_byte: u8) -> CodeChallenge {
    CodeChallenge {
        id,
        purpose,
        code_mac: mac(mac_byte),
        issued_at: t0(),
        expires_at: at(600),
        attempts: 0,
        sends: 1,
    }
}

/// A registration of `user_id` for insured person `insured`, under a fresh sign-up ticket.
pub(super) fn registration_challenge(
    user_id: &str,
    insured: usize,
    mac_byte: u8,
) -> ChallengeRecord {
    registration_under(ticket(), user_id, insured, mac_byte)
}

pub(super) fn registration_under(
    signup: TicketId,
    user_id: &str,
    insured: usize,
    mac_byte: u8,
) -> ChallengeRecord {
    ChallengeRecord {
        code: code(ticket(), Purpose::Registration, mac_byte),
        owner: ChallengeOwner::Signup(signup),
        payload: ChallengePayload::Registration(NewAccount {
            user_id: user(user_id),
            insured_key: key(insured),
            birth_date: born(insured),
            email: email(),
            password_hash: hash("first"),
        }),
    }
}

/// A password reset (or a decoy) for `user_id`.
pub(super) fn reset_challenge(user_id: &str, decoy: bool, mac_byte: u8) -> ChallengeRecord {
    ChallengeRecord {
        code: code(ticket(), Purpose::PasswordReset, mac_byte),
        owner: ChallengeOwner::Account(user_key(user_id)),
        payload: if decoy {
            ChallengePayload::DecoyReset
        } else {
            ChallengePayload::PasswordReset
        },
    }
}

/// Creates an account through the contract itself; its user key.
pub(super) async fn create_account<S: Store>(
    store: &S,
    user_id: &str,
    insured: usize,
) -> Result<UserKey, Failure> {
    const CHECK: &str = "create_account (fixture)";
    let record = registration_challenge(user_id, insured, 1);
    let id = record.code.id;
    ok(CHECK, store.insert_challenge(record).await)?;
    let outcome = ok(CHECK, store.complete_registration(id, &mac(1), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::Created,
        "expected Created, got {outcome:?}"
    );
    Ok(user_key(user_id))
}

/// Inserts `record`; its id.
pub(super) async fn insert_challenge<S: Store>(
    check: &'static str,
    store: &S,
    record: ChallengeRecord,
) -> Result<TicketId, Failure> {
    let id = record.code.id;
    ok(check, store.insert_challenge(record).await)?;
    Ok(id)
}

/// Fails `check` unless each challenge listed is still stored (`true`) or gone (`false`), with
/// the detail of the first that is not.
pub(super) async fn expect_stored<S: Store>(
    check: &'static str,
    store: &S,
    expected: &[(TicketId, bool, &str)],
) -> Outcome {
    for &(id, stored, detail) in expected {
        let found = ok(check, store.find_challenge(id).await)?;
        ensure!(check, found.is_some() == stored, "{detail}");
    }
    Ok(())
}

/// A login-like budget: a lock of 30 minutes after every `every`, a ceiling, never forgotten.
pub(super) fn lock_policy(every: u32, ceiling: Option<u32>) -> LimitPolicy {
    LimitPolicy {
        locks: Some(LockSchedule {
            every,
            first: Duration::from_secs(1800),
            max: Duration::from_secs(86_400),
        }),
        ceiling,
        forget_after: None,
    }
}

/// A throttle-like budget: a 15-minute lock after every 2, forgotten after a day.
pub(super) fn forgetful_policy() -> LimitPolicy {
    LimitPolicy {
        locks: Some(LockSchedule {
            every: 2,
            first: Duration::from_secs(900),
            max: Duration::from_secs(86_400),
        }),
        ceiling: None,
        forget_after: Some(Duration::from_secs(86_400)),
    }
}
