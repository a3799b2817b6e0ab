//! The load every store is put under: 8 threads × 10,000 mixed operations — registrations
//! competing for user IDs and insured people, shared consumptions, wrong codes, logins against
//! shared budgets, resends, reset codes for shared owners, purges racing new expired records,
//! and full `Portal` flows (registration with a resend, login, password reset) — then checks
//! that no account is duplicated, no counter lost an update, every success corresponds to
//! exactly one consumed challenge, one reset code stays live per owner, and every expired
//! record was purged exactly once.
//!
//! Included by `tests/stores/stress.rs` (`MemoryStore`, `SqliteStore`) and
//! `tests/postgres/stress.rs` (`PostgresStore`); [`stress`] runs it on any [`Inspect`] store.

use std::collections::HashSet;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use kenpo_auth::store::TicketId;
use kenpo_auth::store::{
    ChallengeOwner, ChallengePayload, CounterKey, LimitPolicy, LockSchedule, RegistrationOutcome,
    ResendOutcome, ResendRules, SignupRecord,
};
use kenpo_auth::{
    BirthDate, Error, IdentityForm, InsuredKey, InsuredRecord, Mail, ManualClock, Portal,
    RecordingMailer, RegistrationForm, Store, UserId, UserKey,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::support::{
    Inspect, NEW_PASSWORD, PASSWORD, block_on, ceiling_policy, insured_key, lock_policy, mac,
    portal_config, registration, reset, t0, ticket, user_key,
};

pub const THREADS: usize = 8;
pub const OPS_PER_THREAD: usize = 10_000;
/// One operation in 200 is a whole portal flow.
const FLOWS_PER_THREAD: usize = OPS_PER_THREAD / 200;
/// Names (in several spellings) and insured people that registrations compete for.
const CONTESTED: usize = 300;
/// Challenges inserted up front that all threads try to consume.
const SHARED: usize = 2_000;
/// Challenges that collect wrong codes from every thread.
const ATTEMPT_POOL: usize = 16;
/// Challenges that every thread resends.
const RESEND_POOL: usize = 16;
/// User IDs every thread requests reset codes for.
const RESET_OWNERS: usize = 8;
/// Login budgets shared by every thread (even ones lock, odd ones have a ceiling), and their
/// limit.
const LOGIN_KEYS: usize = 32;
const LOGIN_LIMIT: u32 = 150;
/// Records each purge operation first adds, already expired or idle.
const JUNK_PER_PURGE: u64 = 3;

type LoadPortal<S> = Portal<S, RecordingMailer, ManualClock>;

/// The code in the last mail to `address` (the threads' flows mail at once, so the last mail of
/// all may be another flow's).
fn code_for(mailer: &RecordingMailer, address: &str) -> String {
    let mails = mailer.sent();
    let last = mails.iter().rev().find(|mail| mail.to.as_str() == address);
    last.and_then(Mail::code)
        .expect("a code mailed to the address")
}

fn portal_person(thread: usize, n: usize) -> (usize, String, String) {
    let number = 500_000 + thread * 10_000 + n;
    (
        number,
        format!("flow{thread}x{n}"),
        format!("t{thread}n{n}@example.co.jp"),
    )
}

/// One full journey of the manual through the portal: first authentication, registration, a
/// wrong code, a resend, the right code, a wrong and a right login, a password reset with the
/// twelve-character code, a login with the new password.
fn portal_flow<S: Store>(portal: &LoadPortal<S>, thread: usize, n: usize) {
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
    let first = code_for(mailer, &email);
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
    let second = code_for(mailer, &email);
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
    let reset = block_on(portal.request_password_reset(&user_id)).unwrap();
    let code = code_for(mailer, &email);
    assert_eq!(code.len(), 14, "XXXX-XXXX-XXXX: {code}");
    block_on(portal.reset_password(&reset, &code, NEW_PASSWORD)).unwrap();
    assert!(block_on(portal.login(&user_id, NEW_PASSWORD)).is_ok());
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    /// (challenge id, user key, insured key) of every `Created`.
    created: Vec<(TicketId, UserKey, InsuredKey)>,
    /// Registrations refused as taken: their challenges must still be there.
    refused: Vec<TicketId>,
    wrong_codes: [u32; ATTEMPT_POOL],
    login_tries: [u32; LOGIN_KEYS],
    login_allowed: [u32; LOGIN_KEYS],
    resends: [u32; RESEND_POOL],
    /// Reset challenges inserted, per owner.
    resets: [Vec<TicketId>; RESET_OWNERS],
    purges: u64,
    purged: u64,
    flows: usize,
}

struct Fixture {
    shared: Vec<(TicketId, UserKey, InsuredKey)>,
    attempts: Vec<TicketId>,
    resend: Vec<TicketId>,
}

fn prepare<S: Inspect>(store: &S) -> Fixture {
    let birth = BirthDate::new(1980, 4, 1).unwrap();
    for thread in 0..THREADS {
        for n in 0..FLOWS_PER_THREAD {
            let (number, _, _) = portal_person(thread, n);
            let record = InsuredRecord::new(
                "06139999",
                "88",
                &number.to_string(),
                birth,
                "ケンポ ハナコ",
            )
            .unwrap();
            store.add(record);
        }
    }
    let insert = |user_id: &str, insured: usize| {
        let record = registration(user_id, &insured.to_string(), 7);
        let id = record.code.id;
        block_on(store.insert_challenge(record)).unwrap();
        id
    };
    let shared = (0..SHARED)
        .map(|i| {
            let user_id = format!("shared{i:05}");
            let insured = 100_000 + i;
            (
                insert(&user_id, insured),
                user_key(&user_id),
                insured_key(&insured.to_string()),
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

fn login_policy(i: usize) -> LimitPolicy {
    if i % 2 == 0 {
        lock_policy(LOGIN_LIMIT, None)
    } else {
        ceiling_policy(LOGIN_LIMIT)
    }
}

/// Adds an expired sign-up, an expired challenge and an idle counter, then purges at `t0()`:
/// the purge may take other threads' junk too, never anything live.
fn purge_with_junk<S: Store>(store: &S, thread: usize, n: usize) -> u64 {
    let day = Duration::from_secs(86_400);
    block_on(store.insert_signup(SignupRecord {
        id: ticket(),
        insured_key: insured_key("999999"),
        birth_date: BirthDate::new(1980, 4, 1).unwrap(),
        expires_at: t0() - Duration::from_secs(1),
    }))
    .unwrap();
    let mut expired = reset(&format!("junk{thread}x{n}"), true, 1);
    expired.code.expires_at = t0();
    block_on(store.insert_challenge(expired)).unwrap();
    let forgetful = LimitPolicy {
        locks: Some(LockSchedule {
            every: 5,
            first: Duration::from_secs(900),
            max: day,
        }),
        ceiling: None,
        forget_after: Some(day),
    };
    let idle = CounterKey::Identity(insured_key(&format!("{}", 900_000 + thread * 10_000 + n)));
    block_on(store.acquire_attempt(&idle, t0() - 2 * day, forgetful)).unwrap();
    block_on(store.purge_expired(t0(), Duration::ZERO)).unwrap()
}

fn worker<S: Store>(store: &S, portal: &LoadPortal<S>, fixture: &Fixture, thread: usize) -> Tally {
    let mut rng = StdRng::seed_from_u64(0x5eed + thread as u64);
    let mut tally = Tally::default();
    let resend_rules = ResendRules {
        cooldown: Duration::ZERO,
        max_sends: u32::MAX,
        validity: Duration::from_secs(600),
    };
    let flow_every = OPS_PER_THREAD / FLOWS_PER_THREAD;
    for op in 0..OPS_PER_THREAD {
        if op % flow_every == 0 && tally.flows < FLOWS_PER_THREAD {
            portal_flow(portal, thread, tally.flows);
            tally.flows += 1;
            continue;
        }
        match rng.random_range(0..100) {
            // A registration competing for contested user IDs and insured people.
            0..28 => {
                let user_id = contested_user(&mut rng);
                let number = rng.random_range(0..CONTESTED).to_string();
                let record = registration(&user_id, &number, 7);
                let id = record.code.id;
                block_on(store.insert_challenge(record)).unwrap();
                match block_on(store.complete_registration(id, &mac(7), t0())).unwrap() {
                    RegistrationOutcome::Created => {
                        tally
                            .created
                            .push((id, user_key(&user_id), insured_key(&number)));
                    }
                    RegistrationOutcome::UserIdTaken | RegistrationOutcome::InsuredHasAccount => {
                        tally.refused.push(id);
                    }
                    RegistrationOutcome::ChallengeGone => panic!("own challenge gone"),
                }
            }
            // Every thread tries to consume the same shared challenges.
            28..46 => {
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
            46..64 => {
                let i = rng.random_range(0..ATTEMPT_POOL);
                let id = fixture.attempts[i];
                assert!(block_on(store.count_code_attempt(id)).unwrap().is_some());
                tally.wrong_codes[i] += 1;
                assert_eq!(
                    block_on(store.complete_registration(id, &mac(8), t0())).unwrap(),
                    RegistrationOutcome::ChallengeGone
                );
            }
            // A login attempt against a shared budget.
            64..78 => {
                let i = rng.random_range(0..LOGIN_KEYS);
                let key = CounterKey::Login(user_key(&format!("load{i:04}")));
                let gate = block_on(store.acquire_attempt(&key, t0(), login_policy(i))).unwrap();
                tally.login_tries[i] += 1;
                if gate == kenpo_auth::store::AttemptGate::Allowed {
                    tally.login_allowed[i] += 1;
                }
            }
            // A resend.
            78..90 => {
                let i = rng.random_range(0..RESEND_POOL);
                let new_mac = mac(rng.random_range(0..=255));
                let outcome = block_on(store.update_code(fixture.resend[i], |code| {
                    code.resend(t0(), new_mac, resend_rules)
                }))
                .unwrap();
                assert_eq!(outcome, Some(ResendOutcome::Replaced));
                tally.resends[i] += 1;
            }
            // A reset code for a shared owner: it voids that owner's older one.
            90..98 => {
                let i = rng.random_range(0..RESET_OWNERS);
                let record = reset(&format!("owner{i:03}"), false, 7);
                tally.resets[i].push(record.code.id);
                block_on(store.insert_challenge(record)).unwrap();
            }
            // A purge racing everything else.
            _ => {
                tally.purged += purge_with_junk(store, thread, op);
                tally.purges += 1;
            }
        }
    }
    tally
}

/// Runs the load on `store` and checks the invariants. Returns the elapsed time.
pub fn stress<S: Inspect>(store: &S) -> Duration {
    let fixture = prepare(store);
    let portal = Portal::new(store.clone(), RecordingMailer::new(), portal_config())
        .with_clock(ManualClock::new(t0()));
    let barrier = Barrier::new(THREADS);
    let started = Instant::now();
    let tallies: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (fixture, portal, barrier) = (&fixture, &portal, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    worker(store, portal, fixture, thread)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    verify(store, &fixture, &tallies);
    elapsed
}

/// The invariants after the load.
fn verify<S: Inspect>(store: &S, fixture: &Fixture, tallies: &[Tally]) {
    // No account is duplicated, and every account comes from exactly one success.
    let accounts = store.accounts();
    let mut user_keys = HashSet::new();
    let mut insured = HashSet::new();
    for account in &accounts {
        assert!(user_keys.insert(account.user_id.key()), "duplicate user ID");
        assert!(
            insured.insert(account.insured_key.clone()),
            "two accounts for one person"
        );
    }
    let created: Vec<_> = tallies.iter().flat_map(|t| t.created.iter()).collect();
    let flows: usize = tallies.iter().map(|t| t.flows).sum();
    assert_eq!(flows, THREADS * FLOWS_PER_THREAD);
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
    for thread in 0..THREADS {
        for n in 0..FLOWS_PER_THREAD {
            let (_, user_id, _) = portal_person(thread, n);
            let account = block_on(store.find_account(&UserId::parse(&user_id).unwrap().key()))
                .unwrap()
                .expect("a flow's account");
            assert_eq!(account.user_id.as_str(), user_id);
        }
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
    // One reset code live per owner that asked, and it is one of the owner's.
    let mut owners_with_resets = 0;
    for i in 0..RESET_OWNERS {
        let ids: Vec<TicketId> = tallies
            .iter()
            .flat_map(|t| t.resets[i].iter().copied())
            .collect();
        if ids.is_empty() {
            continue;
        }
        owners_with_resets += 1;
        let live: Vec<_> = ids
            .iter()
            .filter_map(|id| block_on(store.find_challenge(*id)).unwrap())
            .collect();
        assert_eq!(
            live.len(),
            1,
            "owner{i:03}: {} reset codes live",
            live.len()
        );
        assert_eq!(
            live[0].owner,
            ChallengeOwner::Account(user_key(&format!("owner{i:03}")))
        );
        assert!(matches!(live[0].payload, ChallengePayload::PasswordReset));
    }
    // Every shared challenge was consumed at most once, and the rest are still there; every
    // expired record is gone.
    let purge_ops: u64 = tallies.iter().map(|t| t.purges).sum();
    let purged: u64 = tallies.iter().map(|t| t.purged).sum();
    let last = block_on(store.purge_expired(t0(), Duration::ZERO)).unwrap();
    assert_eq!(
        purged + last,
        JUNK_PER_PURGE * purge_ops,
        "every expired record purged exactly once, nothing live"
    );
    let shared_created = created_ids
        .iter()
        .filter(|id| fixture.shared.iter().any(|(shared, _, _)| shared == *id))
        .count();
    assert_eq!(
        store.challenges(),
        refused.len() + (SHARED - shared_created) + ATTEMPT_POOL + RESEND_POOL + owners_with_resets,
        "unconsumed challenges"
    );
    verify_counters(store, fixture, tallies);
}

/// No counter lost an update.
fn verify_counters<S: Inspect>(store: &S, fixture: &Fixture, tallies: &[Tally]) {
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
            "login budget {i}: {tries} tries"
        );
    }
    // The counters left are the shared login budgets and each flow's sign-up-mail budget (a
    // ceiling that lasts as long as its ticket): the portal cleared the rest, and the purges
    // took the idle ones.
    let flows: usize = tallies.iter().map(|t| t.flows).sum();
    assert_eq!(store.counters(), LOGIN_KEYS + flows);
}
