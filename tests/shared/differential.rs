//! What "mirrors `MemoryStore` exactly" means for a store: random sequences of store calls —
//! owners that collide (case-insensitively), decoys, resends, voids and rules that try to
//! change a code's id or purpose, counters under every `CounterKey` and policies with and
//! without locks, ceilings and forgetting, purges at any time with any grace — give the same
//! answers and leave the same state as on `MemoryStore`.
//!
//! Included by `tests/stores/differential.rs` (`SqliteStore`) and
//! `tests/postgres/differential.rs` (`PostgresStore`).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::store::TicketId;
use kenpo_auth::store::horizon;
use kenpo_auth::store::{
    Account, ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge, CodeMac, CounterKey,
    LimitPolicy, LockSchedule, NewAccount, Purpose, ResendRules, SignupRecord,
};
use kenpo_auth::{
    BirthDate, InsuredKey, MemoryStore, PasswordHash, Store, TermsVersion, UserId, UserKey,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::support::{Inspect, block_on, email, insured_key};

/// Three spellings, two user keys: `member01` and `MEMBER01` collide.
const USERS: [&str; 3] = ["member01", "MEMBER01", "other001"];
const SLOTS: u8 = 4;

/// A moment: thirty-second steps over half an hour, so that boundaries (expiry, locks,
/// cooldowns) are often hit exactly; or one of the extremes.
#[derive(Clone, Copy, Debug)]
pub enum When {
    At(u16),
    Epoch,
    Horizon,
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        20 => (0..60_u16).prop_map(When::At),
        1 => Just(When::Epoch),
        1 => Just(When::Horizon),
    ]
}

fn at(step: u16) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_secs(u64::from(step) * 30)
}

fn time(when: When) -> SystemTime {
    match when {
        When::At(step) => at(step),
        When::Epoch => UNIX_EPOCH,
        When::Horizon => horizon(),
    }
}

/// A duration from none to `Duration::MAX`.
fn span() -> impl Strategy<Value = Duration> {
    select(vec![
        Duration::ZERO,
        Duration::from_secs(30),
        Duration::from_secs(60),
        Duration::from_secs(300),
        Duration::from_secs(600),
        Duration::from_secs(3600),
        Duration::MAX,
    ])
}

fn policy() -> impl Strategy<Value = LimitPolicy> {
    let locks = proptest::option::of(
        (1..5_u32, span(), span()).prop_map(|(every, first, max)| LockSchedule {
            every,
            first,
            max,
        }),
    );
    (
        locks,
        proptest::option::of(0..6_u32),
        proptest::option::of(span()),
    )
        .prop_map(|(locks, ceiling, forget_after)| LimitPolicy {
            locks,
            ceiling,
            forget_after,
        })
}

#[derive(Clone, Debug)]
pub enum Op {
    Acquire {
        key: (u8, u8),
        when: When,
        policy: LimitPolicy,
    },
    Clear {
        key: (u8, u8),
    },
    InsertSignup {
        slot: u8,
        insured: u8,
        at: u16,
    },
    FindSignup {
        slot: u8,
    },
    InsertRegistration {
        slot: u8,
        owner: u8,
        user: u8,
        insured: u8,
        mac: u8,
        at: u16,
    },
    InsertReset {
        slot: u8,
        user: u8,
        decoy: bool,
        mac: u8,
        at: u16,
    },
    FindChallenge {
        slot: u8,
    },
    Count {
        slot: u8,
    },
    Resend {
        slot: u8,
        mac: u8,
        when: When,
        cooldown: Duration,
        max_sends: u32,
        validity: Duration,
    },
    Void {
        slot: u8,
        mac: u8,
    },
    /// A rule that rewrites every field, the id and purpose included (which must stay).
    Tamper {
        slot: u8,
        other: u8,
        mac: u8,
        at: u16,
        attempts: u32,
        sends: u32,
    },
    Delete {
        slot: u8,
    },
    Complete {
        slot: u8,
        mac: u8,
        at: u16,
    },
    /// A registration stored and completed at once (so that accounts, and with them successful
    /// resets, are common).
    Register {
        user: u8,
        insured: u8,
        at: u16,
    },
    CompleteReset {
        slot: u8,
        mac: u8,
        hash: u8,
    },
    FindAccount {
        user: u8,
    },
    FindByInsured {
        insured: u8,
    },
    UpdateHash {
        user: u8,
        expected: u8,
        new: u8,
    },
    Terms {
        user: u8,
        version: u8,
    },
    EndSessions {
        user: u8,
    },
    Purge {
        when: When,
        grace: Duration,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let slot = || 0..SLOTS;
    let step = || 0..60_u16;
    // Most attempts hit one key, so that locks and ceilings are reached.
    let key = || prop_oneof![2 => Just((0_u8, 0_u8)), 3 => (0..6_u8, 0..3_u8)];
    prop_oneof![
        6 => (key(), when(), policy()).prop_map(|(key, when, policy)| Op::Acquire { key, when, policy }),
        1 => key().prop_map(|key| Op::Clear { key }),
        2 => (slot(), 0..3_u8, step()).prop_map(|(slot, insured, at)| Op::InsertSignup { slot, insured, at }),
        1 => slot().prop_map(|slot| Op::FindSignup { slot }),
        3 => (slot(), 0..4_u8, 0..3_u8, 0..3_u8, 0..2_u8, step()).prop_map(
            |(slot, owner, user, insured, mac, at)| Op::InsertRegistration { slot, owner, user, insured, mac, at }
        ),
        3 => (slot(), 0..3_u8, any::<bool>(), 0..2_u8, step()).prop_map(
            |(slot, user, decoy, mac, at)| Op::InsertReset { slot, user, decoy, mac, at }
        ),
        1 => slot().prop_map(|slot| Op::FindChallenge { slot }),
        2 => slot().prop_map(|slot| Op::Count { slot }),
        2 => (slot(), 0..3_u8, when(), span(), 0..4_u32, span()).prop_map(
            |(slot, mac, when, cooldown, max_sends, validity)| Op::Resend { slot, mac, when, cooldown, max_sends, validity }
        ),
        1 => (slot(), 0..3_u8).prop_map(|(slot, mac)| Op::Void { slot, mac }),
        1 => (slot(), slot(), 0..3_u8, step(), 0..8_u32, 0..8_u32).prop_map(
            |(slot, other, mac, at, attempts, sends)| Op::Tamper { slot, other, mac, at, attempts, sends }
        ),
        1 => slot().prop_map(|slot| Op::Delete { slot }),
        3 => (slot(), 0..2_u8, step()).prop_map(|(slot, mac, at)| Op::Complete { slot, mac, at }),
        2 => (0..3_u8, 0..3_u8, step()).prop_map(|(user, insured, at)| Op::Register { user, insured, at }),
        3 => (slot(), 0..2_u8, 0..3_u8).prop_map(|(slot, mac, hash)| Op::CompleteReset { slot, mac, hash }),
        1 => (0..3_u8).prop_map(|user| Op::FindAccount { user }),
        1 => (0..3_u8).prop_map(|insured| Op::FindByInsured { insured }),
        1 => (0..3_u8, 0..3_u8, 0..3_u8).prop_map(|(user, expected, new)| Op::UpdateHash { user, expected, new }),
        1 => (0..3_u8, 0..4_u8).prop_map(|(user, version)| Op::Terms { user, version }),
        1 => (0..3_u8).prop_map(|user| Op::EndSessions { user }),
        2 => (when(), span()).prop_map(|(when, grace)| Op::Purge { when, grace }),
    ]
}

fn id(slot: u8) -> TicketId {
    TicketId::from_bytes([slot; 16])
}

fn signup_id(slot: u8) -> TicketId {
    TicketId::from_bytes([100 + slot; 16])
}

fn mac(n: u8) -> CodeMac {
    CodeMac::from_bytes([n; 32])
}

fn hash(n: u8) -> PasswordHash {
    PasswordHash::from_phc(format!("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$h{n}"))
}

fn user(n: u8) -> UserId {
    UserId::parse(USERS[usize::from(n) % USERS.len()]).unwrap()
}

fn key_of(n: u8) -> UserKey {
    user(n).key()
}

fn insured(n: u8) -> InsuredKey {
    insured_key(&format!("{}", 100 + n))
}

fn born(n: u8) -> BirthDate {
    BirthDate::new(1980, 4, 1 + n % 28).unwrap()
}

fn counter_key((kind, who): (u8, u8)) -> CounterKey {
    match kind {
        0 => CounterKey::Login(key_of(who)),
        1 => CounterKey::ResetCode(key_of(who)),
        2 => CounterKey::ResetRequest(key_of(who)),
        3 => CounterKey::Identity(insured(who)),
        4 => CounterKey::RegistrationMail(insured(who)),
        _ => CounterKey::SignupMail(signup_id(who)),
    }
}

fn challenge(
    slot: u8,
    purpose: Purpose,
    mac_n: u8,
    at_step: u16,
    owner: ChallengeOwner,
    payload: ChallengePayload,
) -> ChallengeRecord {
    ChallengeRecord {
        code: CodeChallenge {
            id: id(slot),
            purpose,
            code_mac: mac(mac_n),
            issued_at: at(at_step),
            expires_at: at(at_step) + Duration::from_secs(600),
            attempts: 0,
            sends: 1,
        },
        owner,
        payload,
    }
}

fn show_code(code: &CodeChallenge) -> String {
    format!(
        "{} {:?} {:?} {:?} {:?} {} {}",
        code.id,
        code.purpose,
        code.code_mac.as_bytes(),
        code.issued_at,
        code.expires_at,
        code.attempts,
        code.sends
    )
}

fn show_challenge(record: Option<ChallengeRecord>) -> String {
    record.map_or_else(
        || "none".to_owned(),
        |r| {
            let payload = match &r.payload {
                ChallengePayload::Registration(a) => format!(
                    "reg {} {:?} {} {}",
                    a.user_id.as_str(),
                    a.insured_key,
                    a.email.as_str(),
                    a.password_hash.as_str()
                ),
                ChallengePayload::PasswordReset => "reset".to_owned(),
                ChallengePayload::DecoyReset => "decoy".to_owned(),
                other => format!("{other:?}"),
            };
            format!(
                "{} owner {} {payload}",
                show_code(&r.code),
                r.owner.storage_key()
            )
        },
    )
}

fn show_account(account: Option<Account>) -> String {
    account.map_or_else(
        || "none".to_owned(),
        |a| {
            format!(
                "{} {:?} {} {} {:?} {:?} {} {:?}",
                a.user_id.as_str(),
                a.insured_key,
                a.email.as_str(),
                a.password_hash.as_str(),
                a.terms_accepted,
                a.created_at,
                a.session_epoch,
                a.birth_date
            )
        },
    )
}

/// An answer as the two stores' answers are compared: its `Debug` text.
fn shown(answer: impl std::fmt::Debug) -> String {
    format!("{answer:?}")
}

/// Applies `op` to `store` and describes the answer.
#[allow(clippy::too_many_lines)] // one arm per store call
async fn apply<S: Store>(store: &S, op: &Op) -> String {
    match *op {
        Op::Acquire { key, when, policy } => shown(
            store
                .acquire_attempt(&counter_key(key), time(when), policy)
                .await,
        ),
        Op::Clear { key } => shown(store.clear_attempts(&counter_key(key)).await),
        Op::InsertSignup {
            slot,
            insured: n,
            at: step,
        } => shown(
            store
                .insert_signup(SignupRecord {
                    id: signup_id(slot),
                    insured_key: insured(n),
                    birth_date: born(n),
                    expires_at: at(step),
                })
                .await,
        ),
        Op::FindSignup { slot } => shown(store.find_signup(signup_id(slot)).await),
        Op::InsertRegistration {
            slot,
            owner,
            user: u,
            insured: n,
            mac: m,
            at: step,
        } => {
            let owner = if owner < 3 {
                ChallengeOwner::Signup(signup_id(owner))
            } else {
                ChallengeOwner::Account(key_of(u))
            };
            let payload = ChallengePayload::Registration(NewAccount {
                user_id: user(u),
                insured_key: insured(n),
                birth_date: born(n),
                email: email(),
                password_hash: hash(0),
            });
            let record = challenge(slot, Purpose::Registration, m, step, owner, payload);
            shown(store.insert_challenge(record).await)
        }
        Op::InsertReset {
            slot,
            user: u,
            decoy,
            mac: m,
            at: step,
        } => {
            let payload = if decoy {
                ChallengePayload::DecoyReset
            } else {
                ChallengePayload::PasswordReset
            };
            let owner = ChallengeOwner::Account(key_of(u));
            let record = challenge(slot, Purpose::PasswordReset, m, step, owner, payload);
            shown(store.insert_challenge(record).await)
        }
        Op::FindChallenge { slot } => show_challenge(store.find_challenge(id(slot)).await.unwrap()),
        Op::Count { slot } => show_challenge(store.count_code_attempt(id(slot)).await.unwrap()),
        Op::Resend {
            slot,
            mac: m,
            when,
            cooldown,
            max_sends,
            validity,
        } => {
            let rules = ResendRules {
                cooldown,
                max_sends,
                validity,
            };
            shown(
                store
                    .update_code(id(slot), |code| code.resend(time(when), mac(m), rules))
                    .await,
            )
        }
        Op::Void { slot, mac: m } => {
            shown(store.update_code(id(slot), |code| code.void(&mac(m))).await)
        }
        Op::Tamper {
            slot,
            other,
            mac: m,
            at: step,
            attempts,
            sends,
        } => shown(
            store
                .update_code(id(slot), |code| {
                    let seen = show_code(code);
                    code.id = id(other);
                    code.purpose = match code.purpose {
                        Purpose::Registration => Purpose::PasswordReset,
                        _ => Purpose::Registration,
                    };
                    code.code_mac = mac(m);
                    code.issued_at = at(step);
                    code.expires_at = at(step);
                    code.attempts = attempts;
                    code.sends = sends;
                    seen
                })
                .await,
        ),
        Op::Delete { slot } => shown(store.delete_challenge(id(slot)).await),
        Op::Complete {
            slot,
            mac: m,
            at: step,
        } => shown(
            store
                .complete_registration(id(slot), &mac(m), at(step))
                .await,
        ),
        Op::Register {
            user: u,
            insured: n,
            at: step,
        } => {
            let payload = ChallengePayload::Registration(NewAccount {
                user_id: user(u),
                insured_key: insured(n),
                birth_date: born(n),
                email: email(),
                password_hash: hash(0),
            });
            let owner = ChallengeOwner::Signup(signup_id(9));
            let record = challenge(9, Purpose::Registration, 0, step, owner, payload);
            let inserted = store.insert_challenge(record).await;
            let completed = store.complete_registration(id(9), &mac(0), at(step)).await;
            format!("{inserted:?} {completed:?}")
        }
        Op::CompleteReset {
            slot,
            mac: m,
            hash: h,
        } => shown(
            store
                .complete_password_reset(id(slot), &mac(m), hash(h))
                .await,
        ),
        Op::FindAccount { user: u } => show_account(store.find_account(&key_of(u)).await.unwrap()),
        Op::FindByInsured { insured: n } => {
            show_account(store.find_account_by_insured(&insured(n)).await.unwrap())
        }
        Op::UpdateHash {
            user: u,
            expected,
            new,
        } => shown(
            store
                .update_password_hash(&key_of(u), &hash(expected), hash(new))
                .await,
        ),
        Op::Terms { user: u, version } => shown(
            store
                .record_terms_acceptance(&key_of(u), TermsVersion::new(u32::from(version)))
                .await,
        ),
        Op::Purge { when, grace } => shown(store.purge_expired(time(when), grace).await),
        Op::EndSessions { user: u } => shown(store.end_sessions(&key_of(u)).await),
    }
}

/// Everything readable through the trait without changing anything.
async fn state<S: Store>(store: &S) -> String {
    let mut out = String::new();
    for slot in 0..SLOTS {
        let _ = writeln!(
            out,
            "{}",
            show_challenge(store.find_challenge(id(slot)).await.unwrap())
        );
        let _ = writeln!(
            out,
            "{:?}",
            store.find_signup(signup_id(slot)).await.unwrap()
        );
    }
    for n in 0..3 {
        let _ = writeln!(
            out,
            "{}",
            show_account(store.find_account(&key_of(n)).await.unwrap())
        );
        let _ = writeln!(
            out,
            "{}",
            show_account(store.find_account_by_insured(&insured(n)).await.unwrap())
        );
    }
    out
}

/// Reads every counter through `acquire_attempt` itself: ceilings 0, 1, 2, … answer
/// `AtCeiling` up to the count, without counting; the first that does not tells whether the key
/// is locked at `now` (and for how long). Changes at most one attempt per key, on both stores.
async fn counters<S: Store>(store: &S, now: SystemTime) -> String {
    let mut out = String::new();
    for kind in 0..6 {
        for who in 0..3 {
            let key = counter_key((kind, who));
            for ceiling in 0..=u32::MAX {
                let probe = LimitPolicy {
                    locks: None,
                    ceiling: Some(ceiling),
                    forget_after: None,
                };
                let gate = store.acquire_attempt(&key, now, probe).await.unwrap();
                if gate != kenpo_auth::store::AttemptGate::AtCeiling {
                    let _ = writeln!(out, "{key:?}: {ceiling} attempts, then {gate:?}");
                    break;
                }
            }
        }
    }
    out
}

/// Runs `ops` on `store` (empty) and on a fresh `MemoryStore`: every answer alike, and the
/// same state after (records, counts, and every counter read through `acquire_attempt`).
pub fn mirrors<S: Inspect>(store: &S, ops: &[Op]) -> Result<(), TestCaseError> {
    let memory = MemoryStore::new();
    for (step, op) in ops.iter().enumerate() {
        let expected = block_on(apply(&memory, op));
        let got = block_on(apply(store, op));
        prop_assert_eq!(&got, &expected, "step {} {:?}", step, op);
    }
    prop_assert_eq!(block_on(state(store)), block_on(state(&memory)));
    prop_assert_eq!(store.accounts().len(), memory.account_count());
    prop_assert_eq!(store.challenges(), memory.challenge_count());
    prop_assert_eq!(store.counters(), memory.counter_count());
    for now in [at(0), at(60)] {
        prop_assert_eq!(
            block_on(counters(store, now)),
            block_on(counters(&memory, now))
        );
    }
    Ok(())
}

/// Sequences of up to 80 store calls.
pub fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 1..80)
}

/// The cases that matter most, spelt out: a second insert for one owner voids the first, a
/// decoy never completes, a purge with any grace keeps a budget. `store` must be empty.
pub fn owners_decoys_and_purges_agree_on<S: Inspect>(store: &S) {
    let budget = LimitPolicy {
        locks: None,
        ceiling: Some(2),
        forget_after: None,
    };
    let ops = [
        Op::InsertReset {
            slot: 0,
            user: 0,
            decoy: false,
            mac: 1,
            at: 0,
        },
        Op::InsertReset {
            slot: 1,
            user: 1,
            decoy: true,
            mac: 1,
            at: 1,
        },
        Op::FindChallenge { slot: 0 },
        Op::CompleteReset {
            slot: 1,
            mac: 1,
            hash: 2,
        },
        Op::InsertRegistration {
            slot: 2,
            owner: 0,
            user: 2,
            insured: 0,
            mac: 1,
            at: 0,
        },
        Op::InsertRegistration {
            slot: 3,
            owner: 0,
            user: 2,
            insured: 0,
            mac: 1,
            at: 0,
        },
        Op::FindChallenge { slot: 2 },
        Op::Acquire {
            key: (0, 0),
            when: When::At(0),
            policy: budget,
        },
        Op::Acquire {
            key: (0, 1),
            when: When::At(0),
            policy: budget,
        },
        Op::Purge {
            when: When::Horizon,
            grace: Duration::ZERO,
        },
        Op::Purge {
            when: When::At(59),
            grace: Duration::MAX,
        },
        Op::Acquire {
            key: (0, 0),
            when: When::Horizon,
            policy: budget,
        },
    ];
    mirrors(store, &ops).unwrap();
    let memory = MemoryStore::new();
    for op in &ops {
        block_on(apply(&memory, op));
    }
    assert_eq!(
        memory.challenge_count(),
        0,
        "the purge at the horizon took every challenge"
    );
    assert_eq!(memory.counter_count(), 1, "the budget survived it");
}

/// Found by the proptest: an attempt refused without being counted (a ceiling of zero on a key
/// with no counter) must not leave a counter behind in one store and not in the other, or
/// `purge_expired` would report a record that only one of them had. `store` must be empty.
pub fn a_refused_attempt_on_a_fresh_key_stores_no_counter_on<S: Inspect>(store: &S) {
    let zero = LimitPolicy {
        locks: None,
        ceiling: Some(0),
        forget_after: None,
    };
    let key = counter_key((0, 0));
    let memory = MemoryStore::new();
    for gate in [
        block_on(memory.acquire_attempt(&key, at(0), zero)).unwrap(),
        block_on(store.acquire_attempt(&key, at(0), zero)).unwrap(),
    ] {
        assert_eq!(gate, kenpo_auth::store::AttemptGate::AtCeiling);
    }
    assert_eq!(store.counters(), 0);
    assert_eq!(memory.counter_count(), 0);
    assert_eq!(
        block_on(memory.purge_expired(at(0), Duration::ZERO)).unwrap(),
        0
    );
}
