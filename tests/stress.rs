//! Load test: 8 threads × 10,000 mixed operations on each store (registrations, shared
//! consumptions, wrong codes, logins against a throttle, resends, and full `Portal` flows),
//! then checks that no account is duplicated, no counter lost an update and every success
//! corresponds to exactly one consumed challenge.
//!
//! Both stores run the full size by default (about 0.6 s for `MemoryStore` and 9 s for
//! `SqliteStore` in a debug build on two cores).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod sqlite_support;

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kenpo_auth::otp::{CodeChallenge, CodeMac, Purpose};
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::store::{
    Account, ChallengePayload, ChallengeRecord, NewAccount, RegistrationOutcome, ResendOutcome,
    ResendRules, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::throttle::{AttemptGate, LimitPolicy};
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    BirthDate, Config, EmailAddress, Error, HashParams, IdentityForm, InsuredKey, InsuredRecord,
    Mail, Mailer, MemoryStore, PasswordHash, Portal, RegistrationForm, SqliteStore, UserId,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlite_support::TempDir;

const THREADS: usize = 8;
/// Names (in several spellings) and insured people that registrations compete for.
const CONTESTED: usize = 300;
/// Challenges inserted up front that all threads try to consume.
const SHARED: usize = 2_000;
/// Challenges that collect wrong codes from every thread.
const ATTEMPT_POOL: usize = 16;
/// Challenges that every thread resends.
const RESEND_POOL: usize = 16;
/// Login counters shared by every thread, and their limit.
const LOGIN_KEYS: usize = 32;
const LOGIN_LIMIT: u32 = 150;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn mac(byte: u8) -> CodeMac {
    CodeMac::from_bytes([byte; 32])
}

fn insured_key(number: usize) -> InsuredKey {
    InsuredKey::new("06139999", "77", &number.to_string()).unwrap()
}

fn challenge(user_id: &str, insured: usize) -> ChallengeRecord {
    ChallengeRecord {
        code: CodeChallenge {
            id: TicketId::random(),
            purpose: Purpose::Registration,
            code_mac: mac(7),
            issued_at: t0(),
            expires_at: t0() + Duration::from_secs(600),
            attempts: 0,
            sends: 1,
        },
        payload: ChallengePayload::Registration(NewAccount {
            user_id: UserId::parse(user_id).unwrap(),
            insured_key: insured_key(insured),
            email: EmailAddress::parse("load@example.co.jp").unwrap(),
            password_hash: PasswordHash::from_phc("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"),
        }),
    }
}

/// A mailer that remembers the last code mailed to each address.
#[derive(Clone, Default)]
struct CodeMailer {
    codes: Arc<Mutex<HashMap<String, String>>>,
}

impl CodeMailer {
    fn code_for(&self, address: &str) -> String {
        self.codes.lock().unwrap()[address].clone()
    }
}

impl Mailer for CodeMailer {
    type Error = Infallible;

    async fn send(&self, mail: Mail) -> Result<(), Infallible> {
        let code = mail
            .body
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .expect("a six-digit code in the mail")
            .to_owned();
        self.codes
            .lock()
            .unwrap()
            .insert(mail.to.as_str().to_owned(), code);
        Ok(())
    }
}

const PASSWORD: &str = "Sakura#2024x";

fn portal_person(thread: usize, n: usize) -> (usize, String, String) {
    let number = 500_000 + thread * 10_000 + n;
    (
        number,
        format!("flow{thread}x{n}"),
        format!("t{thread}n{n}@example.co.jp"),
    )
}

/// One full flow of the manual through the portal: first authentication, registration, a
/// wrong code, a resend, the right code, a wrong and a right login.
fn portal_flow<S: Store>(portal: &Portal<S, CodeMailer>, thread: usize, n: usize) {
    let mailer = portal.mailer();
    let (number, user_id, email) = portal_person(thread, n);
    let identity = IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "88".into(),
        number: number.to_string(),
        birth_date: "1980-04-01".into(),
        name_kana: "ケンポ ハナコ".into(),
    };
    let ticket = block_on(portal.authenticate_insured(&identity)).unwrap();
    let form = RegistrationForm {
        user_id: user_id.clone(),
        password: PASSWORD.into(),
        email: email.clone(),
    };
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    let first = mailer.code_for(&email);
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(matches!(
        block_on(portal.confirm_registration(&pending, wrong)),
        Err(Error::CodeMismatch { .. })
    ));
    block_on(portal.resend_code(&pending)).unwrap();
    let second = mailer.code_for(&email);
    if second != first {
        assert!(matches!(
            block_on(portal.confirm_registration(&pending, &first)),
            Err(Error::CodeMismatch { .. })
        ));
    }
    let created = block_on(portal.confirm_registration(&pending, &second)).unwrap();
    assert_eq!(created.as_str(), user_id);
    assert!(matches!(
        block_on(portal.login(&user_id, "Wrong#2024x")),
        Err(Error::AuthenticationFailed)
    ));
    let login = block_on(portal.login(&user_id, PASSWORD)).unwrap();
    assert_eq!(login.user_id.as_str(), user_id);
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    /// (challenge id, user key, insured key) of every `Created`.
    created: Vec<(TicketId, String, InsuredKey)>,
    /// Registrations refused as taken: their challenges must still be there.
    refused: Vec<TicketId>,
    wrong_codes: [u32; ATTEMPT_POOL],
    login_tries: [u32; LOGIN_KEYS],
    login_allowed: [u32; LOGIN_KEYS],
    resends: [u32; RESEND_POOL],
    flows: usize,
}

struct Fixture {
    shared: Vec<(TicketId, String, InsuredKey)>,
    attempts: Vec<TicketId>,
    resend: Vec<TicketId>,
}

fn prepare<S: Store>(
    store: &S,
    add_insured: &impl Fn(&S, InsuredRecord),
    flows_per_thread: usize,
) -> Fixture {
    let birth = BirthDate::new(1980, 4, 1).unwrap();
    for thread in 0..THREADS {
        for n in 0..flows_per_thread {
            let (number, _, _) = portal_person(thread, n);
            let record = InsuredRecord::new(
                "06139999",
                "88",
                &number.to_string(),
                birth,
                "ケンポ ハナコ",
            )
            .unwrap();
            add_insured(store, record);
        }
    }
    let insert = |user_id: &str, insured: usize| {
        let record = challenge(user_id, insured);
        let id = record.code.id;
        block_on(store.insert_challenge(record)).unwrap();
        id
    };
    let shared = (0..SHARED)
        .map(|i| {
            let user_id = format!("shared{i:05}");
            (
                insert(&user_id, 100_000 + i),
                user_id,
                insured_key(100_000 + i),
            )
        })
        .collect();
    let attempts = (0..ATTEMPT_POOL)
        .map(|i| insert(&format!("attempt{i:03}"), 200_000 + i))
        .collect();
    let resend = (0..RESEND_POOL)
        .map(|i| insert(&format!("resend{i:03}"), 300_000 + i))
        .collect();
    Fixture {
        shared,
        attempts,
        resend,
    }
}

/// `contested{n}` with some letters upper-cased: several spellings of one user ID.
fn contested_user(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..CONTESTED);
    format!("contested{n:04}")
        .chars()
        .map(|c| {
            if rng.random_bool(0.3) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn worker<S: Store>(
    store: &S,
    portal: &Portal<S, CodeMailer>,
    fixture: &Fixture,
    thread: usize,
    ops: usize,
    flows: usize,
) -> Tally {
    let mut rng = StdRng::seed_from_u64(0x5eed + thread as u64);
    let mut tally = Tally::default();
    let login_policy = LimitPolicy {
        max_failures: LOGIN_LIMIT,
        window: None,
        lockout: Duration::from_secs(1800),
    };
    let resend_rules = ResendRules {
        cooldown: Duration::ZERO,
        max_sends: u32::MAX,
    };
    let flow_every = ops / flows.max(1);
    for op in 0..ops {
        if flows > 0 && op % flow_every == 0 && tally.flows < flows {
            portal_flow(portal, thread, tally.flows);
            tally.flows += 1;
            continue;
        }
        match rng.random_range(0..100) {
            // A registration competing for contested user IDs and insured people.
            0..30 => {
                let user_id = contested_user(&mut rng);
                let record = challenge(&user_id, rng.random_range(0..CONTESTED));
                let id = record.code.id;
                let key = record_insured(&record);
                block_on(store.insert_challenge(record)).unwrap();
                match block_on(store.complete_registration(id, &mac(7), t0())).unwrap() {
                    RegistrationOutcome::Created => tally.created.push((
                        id,
                        UserId::parse(&user_id).unwrap().unique_key().to_owned(),
                        key,
                    )),
                    RegistrationOutcome::UserIdTaken | RegistrationOutcome::InsuredHasAccount => {
                        tally.refused.push(id);
                    }
                    RegistrationOutcome::ChallengeGone => panic!("own challenge gone"),
                }
            }
            // Every thread tries to consume the same shared challenges.
            30..50 => {
                let (id, user_key, key) = &fixture.shared[rng.random_range(0..SHARED)];
                match block_on(store.complete_registration(*id, &mac(7), t0())).unwrap() {
                    RegistrationOutcome::Created => {
                        tally.created.push((*id, user_key.clone(), key.clone()));
                    }
                    RegistrationOutcome::ChallengeGone => {}
                    other => panic!("shared challenge: {other:?}"),
                }
            }
            // A wrong code: counted first, then refused.
            50..70 => {
                let i = rng.random_range(0..ATTEMPT_POOL);
                let id = fixture.attempts[i];
                assert!(block_on(store.count_code_attempt(id)).unwrap().is_some());
                tally.wrong_codes[i] += 1;
                assert_eq!(
                    block_on(store.complete_registration(id, &mac(8), t0())).unwrap(),
                    RegistrationOutcome::ChallengeGone
                );
            }
            // A login attempt against a shared lockout counter.
            70..85 => {
                let i = rng.random_range(0..LOGIN_KEYS);
                let gate =
                    block_on(store.acquire_attempt(&format!("login:load{i}"), t0(), login_policy))
                        .unwrap();
                tally.login_tries[i] += 1;
                if gate == AttemptGate::Allowed {
                    tally.login_allowed[i] += 1;
                }
            }
            // A resend.
            _ => {
                let i = rng.random_range(0..RESEND_POOL);
                let outcome = block_on(store.replace_code(
                    fixture.resend[i],
                    mac(rng.random_range(0..=255)),
                    t0(),
                    t0() + Duration::from_secs(600),
                    resend_rules,
                ))
                .unwrap();
                assert_eq!(outcome, ResendOutcome::Replaced);
                tally.resends[i] += 1;
            }
        }
    }
    tally
}

fn record_insured(record: &ChallengeRecord) -> InsuredKey {
    match &record.payload {
        ChallengePayload::Registration(account) => account.insured_key.clone(),
        ChallengePayload::PasswordReset { .. } => unreachable!(),
    }
}

/// Runs the load on `store` and checks the invariants. Returns the elapsed time.
fn stress<S: Store + Clone>(
    store: &S,
    add_insured: impl Fn(&S, InsuredRecord),
    accounts: impl Fn(&S) -> Vec<Account>,
    challenge_count: impl Fn(&S) -> usize,
    ops_per_thread: usize,
) -> Duration {
    let flows_per_thread = ops_per_thread / 200; // 0.5 % of the operations are whole flows
    let fixture = prepare(store, &add_insured, flows_per_thread);
    let config = Config {
        hash_params: HashParams::insecure_for_tests(),
        resend_cooldown: Duration::ZERO,
        ..Config::default()
    };
    let portal = Portal::new(store.clone(), CodeMailer::default(), config);
    let barrier = Barrier::new(THREADS);
    let started = Instant::now();
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (fixture, portal, barrier) = (&fixture, &portal, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    worker(
                        store,
                        portal,
                        fixture,
                        thread,
                        ops_per_thread,
                        flows_per_thread,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    verify(
        store,
        &fixture,
        &tallies,
        &accounts(store),
        challenge_count(store),
    );
    elapsed
}

/// The invariants after the load.
fn verify<S: Store>(
    store: &S,
    fixture: &Fixture,
    tallies: &[Tally],
    accounts: &[Account],
    challenge_count: usize,
) {
    // No account is duplicated, and every account comes from exactly one success.
    let mut user_keys = HashSet::new();
    let mut insured = HashSet::new();
    for account in accounts {
        assert!(
            user_keys.insert(account.user_id.unique_key().to_owned()),
            "duplicate user ID"
        );
        assert!(
            insured.insert(account.insured_key.clone()),
            "two accounts for one person"
        );
    }
    let created: Vec<_> = tallies.iter().flat_map(|t| t.created.iter()).collect();
    let flows: usize = tallies.iter().map(|t| t.flows).sum();
    assert_eq!(
        accounts.len(),
        created.len() + flows,
        "accounts vs successes"
    );
    let created_ids: HashSet<TicketId> = created.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(
        created_ids.len(),
        created.len(),
        "a challenge succeeded twice"
    );
    for (id, user_key, key) in &created {
        assert!(
            block_on(store.find_challenge(*id)).unwrap().is_none(),
            "success without consumption"
        );
        let account = block_on(store.find_account(user_key))
            .unwrap()
            .expect("success without account");
        assert_eq!(&account.insured_key, key);
    }
    // Refused registrations consumed nothing.
    let refused: Vec<TicketId> = tallies
        .iter()
        .flat_map(|t| t.refused.iter().copied())
        .collect();
    for id in &refused {
        assert!(
            block_on(store.find_challenge(*id)).unwrap().is_some(),
            "refused but consumed"
        );
    }
    // Every shared challenge was consumed at most once, and the rest are still there.
    let shared_created = created_ids
        .iter()
        .filter(|id| fixture.shared.iter().any(|(shared, _, _)| shared == *id))
        .count();
    assert_eq!(
        challenge_count,
        refused.len() + (SHARED - shared_created) + ATTEMPT_POOL + RESEND_POOL,
        "unconsumed challenges"
    );
    // No counter lost an update.
    for (i, id) in fixture.attempts.iter().enumerate() {
        let expected: u32 = tallies.iter().map(|t| t.wrong_codes[i]).sum();
        let record = block_on(store.find_challenge(*id)).unwrap().unwrap();
        assert_eq!(record.code.attempts, expected, "attempt counter {i}");
    }
    for (i, id) in fixture.resend.iter().enumerate() {
        let expected: u32 = tallies.iter().map(|t| t.resends[i]).sum();
        let record = block_on(store.find_challenge(*id)).unwrap().unwrap();
        assert_eq!(record.code.sends, 1 + expected, "send counter {i}");
    }
    for i in 0..LOGIN_KEYS {
        let tries: u32 = tallies.iter().map(|t| t.login_tries[i]).sum();
        let allowed: u32 = tallies.iter().map(|t| t.login_allowed[i]).sum();
        assert_eq!(
            allowed,
            tries.min(LOGIN_LIMIT),
            "login counter {i}: {tries} tries"
        );
    }
}

fn sqlite_store(dir: &TempDir) -> SqliteStore {
    // `Synchronous::Normal`: same atomicity, no fsync per commit, so the test measures locking.
    SqliteStore::open_with(
        dir.db("stress.db"),
        SqliteOptions::default()
            .connections(THREADS)
            .synchronous(Synchronous::Normal),
    )
    .unwrap()
}

fn run_sqlite(ops_per_thread: usize) {
    let dir = TempDir::new("stress");
    let store = sqlite_store(&dir);
    let elapsed = stress(
        &store,
        |store, record| store.add_insured(record).unwrap(),
        |store| store.accounts().unwrap(),
        |store| store.challenge_count().unwrap(),
        ops_per_thread,
    );
    eprintln!("SqliteStore: {THREADS} threads × {ops_per_thread} operations in {elapsed:?}");
}

#[test]
fn memory_store_under_eight_threads_of_ten_thousand_operations() {
    let store = MemoryStore::new();
    let elapsed = stress(
        &store,
        MemoryStore::add_insured,
        MemoryStore::accounts,
        MemoryStore::challenge_count,
        10_000,
    );
    eprintln!("MemoryStore: {THREADS} threads × 10000 operations in {elapsed:?}");
}

#[test]
fn sqlite_store_under_eight_threads_of_ten_thousand_operations() {
    run_sqlite(10_000);
}
