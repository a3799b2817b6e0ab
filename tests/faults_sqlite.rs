//! Failures *inside* a `SqliteStore` transaction (injected with SQL triggers that abort) roll
//! the whole step back: no account without its consumed challenge, no consumed challenge
//! without its account, no password set without its reset consumed.

#![allow(clippy::doc_markdown)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sqlite_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::otp::{CodeChallenge, CodeMac, Purpose};
use kenpo_auth::store::{
    ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    BirthDate, Config, EmailAddress, Error, HashParams, IdentityForm, InsuredKey, InsuredRecord,
    PasswordHash, Portal, RecordingMailer, RegistrationForm, SqliteError, SqliteStore, UserId,
};
use rusqlite::Connection;
use sqlite_support::TempDir;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn mac() -> CodeMac {
    CodeMac::from_bytes([7; 32])
}

fn hash(tag: &str) -> PasswordHash {
    PasswordHash::from_phc(format!("$argon2id$v=19$m=64,t=1,p=1$c2FsdA${tag}"))
}

fn code(purpose: Purpose) -> CodeChallenge {
    CodeChallenge {
        id: TicketId::random(),
        purpose,
        code_mac: mac(),
        issued_at: t0(),
        expires_at: t0() + Duration::from_secs(600),
        attempts: 0,
        sends: 1,
    }
}

fn registration() -> ChallengeRecord {
    ChallengeRecord {
        code: code(Purpose::Registration),
        payload: ChallengePayload::Registration(NewAccount {
            user_id: UserId::parse("member01").unwrap(),
            insured_key: InsuredKey::new("06139999", "12", "1").unwrap(),
            email: EmailAddress::parse("member@example.co.jp").unwrap(),
            password_hash: hash("first"),
        }),
    }
}

fn injected(error: &SqliteError) -> bool {
    error.to_string().contains("injected")
}

#[test]
fn an_abort_while_creating_the_account_keeps_the_challenge_live() {
    let dir = TempDir::new("fault-insert");
    let path = dir.db("f.db");
    let store = SqliteStore::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    let record = registration();
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    block_on(store.count_code_attempt(id)).unwrap();

    raw.execute_batch(
        "CREATE TRIGGER fail_account BEFORE INSERT ON accounts
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let error = block_on(store.complete_registration(id, &mac(), t0())).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert_eq!(store.account_count().unwrap(), 0, "half-made account");
    let live = block_on(store.find_challenge(id))
        .unwrap()
        .expect("challenge consumed");
    assert_eq!(live.code.attempts, 1, "the challenge is exactly as it was");
    assert!(live.code.code_mac.ct_eq(&mac()));

    raw.execute_batch("DROP TRIGGER fail_account").unwrap();
    assert_eq!(
        block_on(store.complete_registration(id, &mac(), t0())).unwrap(),
        RegistrationOutcome::Created
    );
    assert!(block_on(store.find_challenge(id)).unwrap().is_none());
}

#[test]
fn an_abort_while_consuming_the_challenge_undoes_the_account() {
    let dir = TempDir::new("fault-consume");
    let path = dir.db("f.db");
    let store = SqliteStore::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    let record = registration();
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();

    // The account row is written first; the abort comes after it, in the same transaction.
    raw.execute_batch(
        "CREATE TRIGGER fail_consume BEFORE DELETE ON challenges
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let error = block_on(store.complete_registration(id, &mac(), t0())).unwrap_err();
    assert!(injected(&error), "{error:?}");
    assert_eq!(
        store.account_count().unwrap(),
        0,
        "account without consumption"
    );
    assert!(block_on(store.find_challenge(id)).unwrap().is_some());

    raw.execute_batch("DROP TRIGGER fail_consume").unwrap();
    assert_eq!(
        block_on(store.complete_registration(id, &mac(), t0())).unwrap(),
        RegistrationOutcome::Created
    );
    assert_eq!(store.account_count().unwrap(), 1);
}

#[test]
fn an_abort_while_consuming_a_reset_keeps_the_old_password() {
    let dir = TempDir::new("fault-reset");
    let path = dir.db("f.db");
    let store = SqliteStore::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    let record = registration();
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    block_on(store.complete_registration(id, &mac(), t0())).unwrap();
    let reset = ChallengeRecord {
        code: code(Purpose::PasswordReset),
        payload: ChallengePayload::PasswordReset {
            user_key: Some("member01".into()),
        },
    };
    let reset_id = reset.code.id;
    block_on(store.insert_challenge(reset)).unwrap();

    raw.execute_batch(
        "CREATE TRIGGER fail_consume BEFORE DELETE ON challenges
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let error =
        block_on(store.complete_password_reset(reset_id, &mac(), hash("second"))).unwrap_err();
    assert!(injected(&error), "{error:?}");
    let account = block_on(store.find_account("member01")).unwrap().unwrap();
    assert_eq!(
        account.password_hash,
        hash("first"),
        "password set without consumption"
    );
    assert!(block_on(store.find_challenge(reset_id)).unwrap().is_some());

    raw.execute_batch("DROP TRIGGER fail_consume").unwrap();
    assert!(block_on(store.complete_password_reset(reset_id, &mac(), hash("second"))).unwrap());
    let account = block_on(store.find_account("member01")).unwrap().unwrap();
    assert_eq!(account.password_hash, hash("second"));
}

#[test]
fn through_the_portal_the_member_sees_a_store_error_and_the_same_code_works_afterwards() {
    let dir = TempDir::new("fault-portal");
    let path = dir.db("f.db");
    let store = SqliteStore::open(&path).unwrap();
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    store
        .add_insured(
            InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap(),
        )
        .unwrap();
    let mailer = RecordingMailer::new();
    let config = Config {
        hash_params: HashParams::insecure_for_tests(),
        ..Config::default()
    };
    let portal = Portal::new(store.clone(), mailer.clone(), config);
    let identity = IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: "567".into(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    };
    let ticket = block_on(portal.authenticate_insured(&identity)).unwrap();
    let form = RegistrationForm {
        user_id: "NGK000123".into(),
        password: "Sakura#2024x".into(),
        email: "shoko@example.co.jp".into(),
    };
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    let body = mailer.last().unwrap().body;
    let code = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap()
        .to_owned();

    let raw = Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER fail_account BEFORE INSERT ON accounts
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    let error = block_on(portal.confirm_registration(&pending, &code)).unwrap_err();
    let Error::Store(source) = &error else {
        panic!("expected Error::Store, got {error:?}");
    };
    assert!(source.downcast_ref::<SqliteError>().is_some());
    assert!(error.message_ja().contains("障害"));
    assert_eq!(store.account_count().unwrap(), 0);
    assert_eq!(store.challenge_count().unwrap(), 1);

    raw.execute_batch("DROP TRIGGER fail_account").unwrap();
    let user_id = block_on(portal.confirm_registration(&pending, &code)).unwrap();
    assert_eq!(user_id.as_str(), "NGK000123");
    assert_eq!(store.account_count().unwrap(), 1);
    assert_eq!(store.challenge_count().unwrap(), 0);
}
