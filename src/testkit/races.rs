//! Sixteen real threads released together against one store, for every duty that two
//! requests could race on.

use std::sync::Barrier;
use std::thread;

use crate::store::{AttemptGate, ChallengeRecord, CounterKey, RegistrationOutcome, Store};
use crate::testkit::fixtures::{
    RACERS, create_account, hash, key, lock_policy, mac, registration_challenge, reset_challenge,
    t0, user_key,
};
use crate::testkit::{Outcome, block_on, ensure, ok};

/// Runs `work(i)` on `RACERS` threads released together; returns their results in order.
fn race<S: Store, T: Send>(store: &S, work: impl Fn(&S, usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(RACERS);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..RACERS)
            .map(|i| {
                let barrier = &barrier;
                let work = &work;
                scope.spawn(move || {
                    barrier.wait();
                    work(store, i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

pub(super) fn consume<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_consume";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let outcomes = race(store, |store, _| {
        block_on(store.complete_registration(id, &mac(7), t0()))
    });
    let mut created = 0;
    for outcome in outcomes {
        match ok(CHECK, outcome)? {
            RegistrationOutcome::Created => created += 1,
            RegistrationOutcome::ChallengeGone => {}
            other => ensure!(CHECK, false, "unexpected outcome {other:?}"),
        }
    }
    ensure!(
        CHECK,
        created == 1,
        "{created} of {RACERS} threads consumed one challenge"
    );
    Ok(())
}

pub(super) fn attempts<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_attempts";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let counts = race(store, |store, _| block_on(store.count_code_attempt(id)));
    let mut seen = Vec::new();
    for count in counts {
        let count = ok(CHECK, count)?.map(|r| r.code.attempts);
        ensure!(
            CHECK,
            count.is_some(),
            "a racing attempt found no challenge"
        );
        seen.extend(count);
    }
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=16).collect();
    ensure!(
        CHECK,
        seen == expected,
        "each attempt must see its own count 1..=16, saw {seen:?}"
    );
    let after = ok(CHECK, block_on(store.find_challenge(id)))?.map(|r| r.code.attempts);
    ensure!(
        CHECK,
        after == Some(16),
        "16 parallel attempts left the counter at {after:?}"
    );
    Ok(())
}

/// `abcdef1` with the letters whose bits in `mask` are set upper-cased.
fn case_variant(mask: usize) -> String {
    "abcdef1"
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if mask >> i & 1 == 1 {
                ch.to_ascii_uppercase()
            } else {
                ch
            }
        })
        .collect()
}

pub(super) fn user_ids<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_user_ids";
    let records: Vec<ChallengeRecord> = (0..RACERS)
        .map(|i| registration_challenge(&case_variant(i), 100 + i, 7))
        .collect();
    for record in &records {
        ok(CHECK, block_on(store.insert_challenge(record.clone())))?;
    }
    let outcomes = race(store, |store, i| {
        records
            .get(i)
            .map(|record| block_on(store.complete_registration(record.code.id, &mac(7), t0())))
    });
    let mut created = 0;
    for outcome in outcomes.into_iter().flatten() {
        match ok(CHECK, outcome)? {
            RegistrationOutcome::Created => created += 1,
            RegistrationOutcome::UserIdTaken => {}
            other => ensure!(CHECK, false, "unexpected outcome {other:?}"),
        }
    }
    ensure!(
        CHECK,
        created == 1,
        "{created} accounts for 16 case variants of one user ID"
    );
    let mut accounts = 0;
    for i in 0..RACERS {
        if ok(
            CHECK,
            block_on(store.find_account_by_insured(&key(100 + i))),
        )?
        .is_some()
        {
            accounts += 1;
        }
    }
    ensure!(CHECK, accounts == 1, "{accounts} accounts stored");
    Ok(())
}

/// Sixteen attempts against a budget that allows ten: exactly ten get through.
fn budget<S: Store>(store: &S, check: &'static str, every: u32, ceiling: Option<u32>) -> Outcome {
    let key = CounterKey::Login(user_key("racer01"));
    let policy = lock_policy(every, ceiling);
    let gates = race(store, |store, _| {
        block_on(store.acquire_attempt(&key, t0(), policy))
    });
    let mut allowed = 0;
    for gate in gates {
        if ok(check, gate)? == AttemptGate::Allowed {
            allowed += 1;
        }
    }
    ensure!(
        check,
        allowed == 10,
        "{allowed} of 16 parallel attempts passed a budget of 10"
    );
    Ok(())
}

pub(super) fn lock<S: Store>(store: &S) -> Outcome {
    budget(store, "race_lock", 10, None)
}

pub(super) fn ceiling<S: Store>(store: &S) -> Outcome {
    budget(store, "race_ceiling", u32::MAX, Some(10))
}

pub(super) fn reset<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_reset";
    block_on(create_account(store, "member01", 1))?;
    let record = reset_challenge("member01", false, 7);
    let id = record.code.id;
    ok(CHECK, block_on(store.insert_challenge(record)))?;
    let results = race(store, |store, i| {
        block_on(store.complete_password_reset(id, &mac(7), hash(&format!("racer{i}"))))
    });
    let mut winners = 0;
    for result in results {
        if ok(CHECK, result)? {
            winners += 1;
        }
    }
    ensure!(
        CHECK,
        winners == 1,
        "{winners} of 16 threads completed one reset"
    );
    Ok(())
}

/// Sixteen reset requests for one user ID at once: exactly one code stays live.
pub(super) fn owner<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_owner";
    let records: Vec<ChallengeRecord> = (0..RACERS)
        .map(|_| reset_challenge("member01", false, 7))
        .collect();
    let results = race(store, |store, i| {
        records
            .get(i)
            .map(|record| block_on(store.insert_challenge(record.clone())))
    });
    for result in results.into_iter().flatten() {
        ok(CHECK, result)?;
    }
    let mut live = 0;
    for record in &records {
        if ok(CHECK, block_on(store.find_challenge(record.code.id)))?.is_some() {
            live += 1;
        }
    }
    ensure!(
        CHECK,
        live == 1,
        "{live} reset codes live for one user ID after 16 parallel requests"
    );
    Ok(())
}
