//! Separate OS processes sharing one `SQLite` file: exactly one consumes a challenge, every
//! attempt is counted exactly once, one user ID (case-insensitively) gets one account, and a
//! shared throttle lets exactly its limit through.
//!
//! The test binary re-executes itself: the parent test spawns `CHILDREN` copies running only
//! `process_child`, which does nothing unless `KENPO_SQLITE_CHILD` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod sqlite_support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::otp::{CodeChallenge, CodeMac, Purpose};
use kenpo_auth::store::{
    ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::throttle::{AttemptGate, LimitPolicy};
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{EmailAddress, InsuredKey, PasswordHash, SqliteStore, UserId};
use sqlite_support::TempDir;

const CHILDREN: usize = 6;
const ATTEMPTS_PER_CHILD: u32 = 40;
const THROTTLE_TRIES_PER_CHILD: u32 = 10;
const THROTTLE_LIMIT: u32 = 25;
const ROLE: &str = "KENPO_SQLITE_CHILD";

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn mac() -> CodeMac {
    CodeMac::from_bytes([7; 32])
}

fn policy() -> LimitPolicy {
    LimitPolicy {
        max_failures: THROTTLE_LIMIT,
        window: None,
        lockout: Duration::from_secs(1800),
    }
}

fn registration(user_id: &str, number: usize) -> ChallengeRecord {
    ChallengeRecord {
        code: CodeChallenge {
            id: TicketId::random(),
            purpose: Purpose::Registration,
            code_mac: mac(),
            issued_at: t0(),
            expires_at: t0() + Duration::from_secs(600),
            attempts: 0,
            sends: 1,
        },
        payload: ChallengePayload::Registration(NewAccount {
            user_id: UserId::parse(user_id).unwrap(),
            insured_key: InsuredKey::new("06139999", "12", &number.to_string()).unwrap(),
            email: EmailAddress::parse("member@example.co.jp").unwrap(),
            password_hash: PasswordHash::from_phc("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"),
        }),
    }
}

/// `racer01` with the letters of `i` upper-cased bit by bit: six spellings of one user ID.
fn variant(i: usize) -> String {
    "racer01"
        .chars()
        .enumerate()
        .map(|(bit, ch)| {
            if i >> bit & 1 == 1 {
                ch.to_ascii_uppercase()
            } else {
                ch
            }
        })
        .collect()
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

/// The child's part; a no-op in an ordinary test run.
#[test]
fn process_child() {
    match std::env::var(ROLE).as_deref() {
        Ok("race") => race_child(),
        Ok("create") => create_child(),
        _ => {}
    }
}

fn wait_for_start() {
    let start_ms: u64 = env("KENPO_START_MS").parse().unwrap();
    let start = UNIX_EPOCH + Duration::from_millis(start_ms);
    if let Ok(wait) = start.duration_since(SystemTime::now()) {
        std::thread::sleep(wait);
    }
}

fn start_ms() -> String {
    (SystemTime::now() + Duration::from_millis(1500))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string()
}

/// Opens a database file that does not exist yet, at the same instant as the others, and
/// registers its own account.
fn create_child() {
    wait_for_start();
    let store = SqliteStore::open(env("KENPO_DB")).expect("concurrent creation of the file");
    let index: usize = env("KENPO_INDEX").parse().unwrap();
    let record = registration(&format!("opener{index:02}"), 1000 + index);
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    let outcome = block_on(store.complete_registration(id, &mac(), t0())).unwrap();
    println!("\nRESULT outcome={outcome:?}");
}

fn race_child() {
    let store = SqliteStore::open(env("KENPO_DB")).expect("child opens the database");
    let consume: TicketId = env("KENPO_CONSUME").parse().unwrap();
    let attempts: TicketId = env("KENPO_ATTEMPTS").parse().unwrap();
    let own: TicketId = env("KENPO_OWN").parse().unwrap();
    wait_for_start();
    let consumed = block_on(store.complete_registration(consume, &mac(), t0())).unwrap();
    let own_outcome = block_on(store.complete_registration(own, &mac(), t0())).unwrap();
    let mut counts = Vec::new();
    let mut allowed = 0;
    for i in 0..ATTEMPTS_PER_CHILD {
        let record = block_on(store.count_code_attempt(attempts)).unwrap();
        counts.push(record.expect("the attempts challenge exists").code.attempts);
        if i < THROTTLE_TRIES_PER_CHILD
            && block_on(store.acquire_attempt("login:shared", t0(), policy())).unwrap()
                == AttemptGate::Allowed
        {
            allowed += 1;
        }
    }
    let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
    println!(
        "\nRESULT consumed={consumed:?} own={own_outcome:?} allowed={allowed} counts={}",
        counts.join(",")
    );
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

/// Starts one child per entry of `own`, all released at the same instant, and returns each
/// child's `RESULT` line.
fn race_in_children(
    path: &std::path::Path,
    consume_id: TicketId,
    attempts_id: TicketId,
    own: &[TicketId],
) -> Vec<String> {
    let start_ms = start_ms();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = own
        .iter()
        .map(|own_id| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "process_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(ROLE, "race")
                .env("KENPO_DB", path)
                .env("KENPO_CONSUME", consume_id.to_hex())
                .env("KENPO_ATTEMPTS", attempts_id.to_hex())
                .env("KENPO_OWN", own_id.to_hex())
                .env("KENPO_START_MS", &start_ms)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a child test process")
        })
        .collect();

    let mut results = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child failed: {}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|line| {
                line.split_once("RESULT ")
                    .map(|(_, result)| result.to_owned())
            })
            .unwrap_or_else(|| panic!("child reported nothing:\n{stdout}"));
        results.push(line);
    }
    results
}

#[test]
fn separate_processes_consume_once_and_count_every_attempt() {
    let dir = TempDir::new("processes");
    let path = dir.db("shared.db");
    let store = SqliteStore::open(&path).unwrap();
    let consume = registration("winner01", 1);
    let attempts = registration("counted01", 2);
    let (consume_id, attempts_id) = (consume.code.id, attempts.code.id);
    block_on(store.insert_challenge(consume)).unwrap();
    block_on(store.insert_challenge(attempts)).unwrap();
    let own: Vec<TicketId> = (0..CHILDREN)
        .map(|i| {
            let record = registration(&variant(i), 100 + i);
            let id = record.code.id;
            block_on(store.insert_challenge(record)).unwrap();
            id
        })
        .collect();

    let results = race_in_children(&path, consume_id, attempts_id, &own);
    assert_eq!(results.len(), CHILDREN);

    // Exactly one process consumed the shared challenge.
    let mut consumed: HashMap<String, usize> = HashMap::new();
    for line in &results {
        *consumed
            .entry(field(line, "consumed").to_owned())
            .or_default() += 1;
    }
    assert_eq!(consumed.get("Created"), Some(&1), "{results:#?}");
    assert_eq!(
        consumed.get("ChallengeGone"),
        Some(&(CHILDREN - 1)),
        "{results:#?}"
    );
    assert!(
        block_on(store.find_challenge(consume_id))
            .unwrap()
            .is_none()
    );

    // Six spellings of one user ID, one per process: one account.
    let own_created = results
        .iter()
        .filter(|line| field(line, "own") == "Created")
        .count();
    assert_eq!(own_created, 1, "{results:#?}");
    assert!(
        results
            .iter()
            .all(|line| matches!(field(line, "own"), "Created" | "UserIdTaken")),
        "{results:#?}"
    );
    assert_eq!(
        store.account_count().unwrap(),
        2,
        "winner01 and one racer01"
    );
    assert!(block_on(store.find_account("racer01")).unwrap().is_some());

    // Every attempt counted once: the counts seen are exactly 1..=total.
    let total = ATTEMPTS_PER_CHILD * u32::try_from(CHILDREN).unwrap();
    let mut seen: Vec<u32> = results
        .iter()
        .flat_map(|line| field(line, "counts").split(',').map(|n| n.parse().unwrap()))
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=total).collect::<Vec<_>>());
    let after = block_on(store.find_challenge(attempts_id))
        .unwrap()
        .unwrap();
    assert_eq!(after.code.attempts, total);

    // The shared throttle let exactly its limit through.
    let allowed: u32 = results
        .iter()
        .map(|line| field(line, "allowed").parse::<u32>().unwrap())
        .sum();
    assert_eq!(allowed, THROTTLE_LIMIT);
    let registered = RegistrationOutcome::Created;
    assert_eq!(
        block_on(store.complete_registration(consume_id, &mac(), t0())).unwrap(),
        RegistrationOutcome::ChallengeGone,
        "after {registered:?} the challenge is gone for good"
    );
}

#[test]
fn separate_processes_creating_one_new_file_at_once_all_succeed() {
    let dir = TempDir::new("create");
    let path = dir.db("fresh.db");
    let start = start_ms();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|index| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "process_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(ROLE, "create")
                .env("KENPO_DB", &path)
                .env("KENPO_INDEX", index.to_string())
                .env("KENPO_START_MS", &start)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("RESULT outcome=Created"),
            "{}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.account_count().unwrap(), CHILDREN);
}
