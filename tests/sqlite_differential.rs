//! `SqliteStore` mirrors `MemoryStore` exactly: random sequences of store calls give the same
//! answers and leave the same state on both (proptest).

#![allow(clippy::doc_markdown)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::too_many_lines)] // one match arm per store call

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kenpo_auth::otp::{CodeChallenge, CodeMac, Purpose};
use kenpo_auth::store::{
    Account, ChallengePayload, ChallengeRecord, NewAccount, ResendRules, SignupRecord, Store,
};
use kenpo_auth::testkit::block_on;
use kenpo_auth::throttle::LimitPolicy;
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    EmailAddress, InsuredKey, MemoryStore, PasswordHash, SqliteStore, TermsVersion, UserId,
};
use proptest::prelude::*;

const USERS: [&str; 3] = ["member01", "MEMBER01", "other001"];

#[derive(Clone, Debug)]
enum Op {
    Acquire {
        key: u8,
        at: u16,
        windowed: bool,
    },
    Clear {
        key: u8,
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
        user: u8,
        insured: u8,
        mac: u8,
        at: u16,
    },
    InsertReset {
        slot: u8,
        user: Option<u8>,
        mac: u8,
        at: u16,
    },
    FindChallenge {
        slot: u8,
    },
    Count {
        slot: u8,
    },
    Replace {
        slot: u8,
        mac: u8,
        at: u16,
        cooldown: u8,
        max_sends: u8,
    },
    Delete {
        slot: u8,
    },
    Complete {
        slot: u8,
        mac: u8,
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
    Purge {
        at: u16,
        grace: u16,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..4_u8;
    // Thirty-second steps over half an hour: boundaries (expiry, windows, locks) are often hit
    // exactly.
    let at = 0..60_u16;
    prop_oneof![
        (0..3_u8, at.clone(), any::<bool>()).prop_map(|(key, at, windowed)| Op::Acquire {
            key,
            at,
            windowed
        }),
        (0..3_u8).prop_map(|key| Op::Clear { key }),
        (slot.clone(), 0..3_u8, at.clone()).prop_map(|(slot, insured, at)| Op::InsertSignup {
            slot,
            insured,
            at
        }),
        slot.clone().prop_map(|slot| Op::FindSignup { slot }),
        (slot.clone(), 0..3_u8, 0..3_u8, 0..2_u8, at.clone()).prop_map(
            |(slot, user, insured, mac, at)| Op::InsertRegistration {
                slot,
                user,
                insured,
                mac,
                at
            }
        ),
        (
            slot.clone(),
            proptest::option::of(0..3_u8),
            0..2_u8,
            at.clone()
        )
            .prop_map(|(slot, user, mac, at)| Op::InsertReset {
                slot,
                user,
                mac,
                at
            }),
        slot.clone().prop_map(|slot| Op::FindChallenge { slot }),
        slot.clone().prop_map(|slot| Op::Count { slot }),
        (slot.clone(), 0..3_u8, at.clone(), 0..3_u8, 1..4_u8).prop_map(
            |(slot, mac, at, cooldown, max_sends)| Op::Replace {
                slot,
                mac,
                at,
                cooldown,
                max_sends
            }
        ),
        slot.clone().prop_map(|slot| Op::Delete { slot }),
        (slot.clone(), 0..3_u8, at.clone()).prop_map(|(slot, mac, at)| Op::Complete {
            slot,
            mac,
            at
        }),
        (slot, 0..3_u8, 0..3_u8).prop_map(|(slot, mac, hash)| Op::CompleteReset {
            slot,
            mac,
            hash
        }),
        (0..3_u8).prop_map(|user| Op::FindAccount { user }),
        (0..3_u8).prop_map(|insured| Op::FindByInsured { insured }),
        (0..3_u8, 0..3_u8, 0..3_u8).prop_map(|(user, expected, new)| Op::UpdateHash {
            user,
            expected,
            new
        }),
        (0..3_u8, 0..4_u8).prop_map(|(user, version)| Op::Terms { user, version }),
        (at.clone(), 0..25_u16).prop_map(|(at, grace)| Op::Purge { at, grace }),
    ]
}

fn time(at: u16) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_secs(u64::from(at) * 30)
}

fn id(slot: u8) -> TicketId {
    TicketId::from_bytes([slot; 16])
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

fn insured(n: u8) -> InsuredKey {
    InsuredKey::new("06139999", "12", &format!("{}", 100 + n)).unwrap()
}

fn challenge(
    slot: u8,
    purpose: Purpose,
    mac_n: u8,
    at: u16,
    payload: ChallengePayload,
) -> ChallengeRecord {
    ChallengeRecord {
        code: CodeChallenge {
            id: id(slot),
            purpose,
            code_mac: mac(mac_n),
            issued_at: time(at),
            expires_at: time(at) + Duration::from_secs(600),
            attempts: 0,
            sends: 1,
        },
        payload,
    }
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
                ChallengePayload::PasswordReset { user_key } => format!("reset {user_key:?}"),
            };
            format!(
                "{:?} {:?} {:?} {:?} {:?} {} {} {payload}",
                r.code.id,
                r.code.purpose,
                r.code.code_mac.as_bytes(),
                r.code.issued_at,
                r.code.expires_at,
                r.code.attempts,
                r.code.sends
            )
        },
    )
}

fn show_account(account: Option<Account>) -> String {
    account.map_or_else(
        || "none".to_owned(),
        |a| {
            format!(
                "{} {:?} {} {} {:?} {:?}",
                a.user_id.as_str(),
                a.insured_key,
                a.email.as_str(),
                a.password_hash.as_str(),
                a.terms_accepted,
                a.created_at
            )
        },
    )
}

/// Applies `op` to `store` and describes the answer.
async fn apply<S: Store>(store: &S, op: &Op) -> String
where
    S::Error: std::fmt::Debug,
{
    let policy = |windowed: bool| LimitPolicy {
        max_failures: 3,
        window: windowed.then_some(Duration::from_secs(300)),
        lockout: Duration::from_secs(600),
    };
    let email = EmailAddress::parse("member@example.co.jp").unwrap();
    match *op {
        Op::Acquire { key, at, windowed } => format!(
            "{:?}",
            store
                .acquire_attempt(&format!("k{key}"), time(at), policy(windowed))
                .await
                .unwrap()
        ),
        Op::Clear { key } => format!(
            "{:?}",
            store.clear_attempts(&format!("k{key}")).await.unwrap()
        ),
        Op::InsertSignup {
            slot,
            insured: n,
            at,
        } => format!(
            "{:?}",
            store
                .insert_signup(SignupRecord {
                    id: id(slot),
                    insured_key: insured(n),
                    expires_at: time(at)
                })
                .await
                .unwrap()
        ),
        Op::FindSignup { slot } => format!("{:?}", store.find_signup(id(slot)).await.unwrap()),
        Op::InsertRegistration {
            slot,
            user: u,
            insured: n,
            mac: m,
            at,
        } => {
            let payload = ChallengePayload::Registration(NewAccount {
                user_id: user(u),
                insured_key: insured(n),
                email,
                password_hash: hash(0),
            });
            let record = challenge(slot, Purpose::Registration, m, at, payload);
            format!("{:?}", store.insert_challenge(record).await.unwrap())
        }
        Op::InsertReset {
            slot,
            user: u,
            mac: m,
            at,
        } => {
            let payload = ChallengePayload::PasswordReset {
                user_key: u.map(|u| user(u).unique_key().to_owned()),
            };
            let record = challenge(slot, Purpose::PasswordReset, m, at, payload);
            format!("{:?}", store.insert_challenge(record).await.unwrap())
        }
        Op::FindChallenge { slot } => show_challenge(store.find_challenge(id(slot)).await.unwrap()),
        Op::Count { slot } => show_challenge(store.count_code_attempt(id(slot)).await.unwrap()),
        Op::Replace {
            slot,
            mac: m,
            at,
            cooldown,
            max_sends,
        } => {
            let rules = ResendRules {
                cooldown: Duration::from_secs(u64::from(cooldown) * 60),
                max_sends: u32::from(max_sends),
            };
            format!(
                "{:?}",
                store
                    .replace_code(
                        id(slot),
                        mac(m),
                        time(at),
                        time(at) + Duration::from_secs(600),
                        rules
                    )
                    .await
                    .unwrap()
            )
        }
        Op::Delete { slot } => format!("{:?}", store.delete_challenge(id(slot)).await.unwrap()),
        Op::Complete { slot, mac: m, at } => format!(
            "{:?}",
            store
                .complete_registration(id(slot), &mac(m), time(at))
                .await
                .unwrap()
        ),
        Op::CompleteReset {
            slot,
            mac: m,
            hash: h,
        } => format!(
            "{:?}",
            store
                .complete_password_reset(id(slot), &mac(m), hash(h))
                .await
                .unwrap()
        ),
        Op::FindAccount { user: u } => {
            show_account(store.find_account(user(u).unique_key()).await.unwrap())
        }
        Op::FindByInsured { insured: n } => {
            show_account(store.find_account_by_insured(&insured(n)).await.unwrap())
        }
        Op::UpdateHash {
            user: u,
            expected,
            new,
        } => format!(
            "{:?}",
            store
                .update_password_hash(user(u).unique_key(), &hash(expected), hash(new))
                .await
                .unwrap()
        ),
        Op::Terms { user: u, version } => format!(
            "{:?}",
            store
                .record_terms_acceptance(
                    user(u).unique_key(),
                    TermsVersion::new(u32::from(version))
                )
                .await
                .unwrap()
        ),
        Op::Purge { at, grace } => format!(
            "{:?}",
            store
                .purge_expired(time(at), Duration::from_secs(u64::from(grace) * 30))
                .await
                .unwrap()
        ),
    }
}

/// Everything observable through the trait.
async fn state<S: Store>(store: &S) -> String
where
    S::Error: std::fmt::Debug,
{
    let mut out = String::new();
    for slot in 0..4 {
        let _ = writeln!(
            out,
            "{}",
            show_challenge(store.find_challenge(id(slot)).await.unwrap())
        );
        let _ = writeln!(out, "{:?}", store.find_signup(id(slot)).await.unwrap());
    }
    for u in 0..3 {
        let _ = writeln!(
            out,
            "{}",
            show_account(store.find_account(user(u).unique_key()).await.unwrap())
        );
        let _ = writeln!(
            out,
            "{}",
            show_account(store.find_account_by_insured(&insured(u)).await.unwrap())
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_answers_every_call_like_the_memory_store(ops in proptest::collection::vec(op(), 1..60)) {
        let memory = MemoryStore::new();
        let sqlite = SqliteStore::open_in_memory().unwrap();
        for (step, op) in ops.iter().enumerate() {
            let expected = block_on(apply(&memory, op));
            let got = block_on(apply(&sqlite, op));
            prop_assert_eq!(&got, &expected, "step {} {:?}", step, op);
        }
        prop_assert_eq!(block_on(state(&sqlite)), block_on(state(&memory)));
        prop_assert_eq!(sqlite.account_count().unwrap(), memory.account_count());
        prop_assert_eq!(sqlite.challenge_count().unwrap(), memory.challenge_count());
    }
}
