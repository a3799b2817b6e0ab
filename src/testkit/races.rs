//! Sixteen real threads released together against one store, for every duty that two
//! requests could race on.

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use crate::store::{AttemptGate, ChallengeRecord, CounterKey, RegistrationOutcome, Store};
use crate::testkit::fixtures::{
    RACERS, create_account, hash, insert_challenge, key, lock_policy, mac, registration_challenge,
    reset_challenge, t0, user_key,
};
use crate::testkit::union_side;
use crate::testkit::{Failure, Outcome, block_on, ensure, ok};

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

/// How many racing registrations answered `Created`; fails `check` on a store error or on any
/// other answer than the `loser` every other racer must get.
fn created<E: std::error::Error>(
    check: &'static str,
    outcomes: impl IntoIterator<Item = Result<RegistrationOutcome, E>>,
    loser: RegistrationOutcome,
) -> Result<usize, Failure> {
    let mut created = 0;
    for outcome in outcomes {
        match ok(check, outcome)? {
            RegistrationOutcome::Created => created += 1,
            other if other == loser => {}
            other => ensure!(check, false, "unexpected outcome {other:?}"),
        }
    }
    Ok(created)
}

pub(super) fn consume<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_consume";
    let record = registration_challenge("member01", 1, 7);
    let id = block_on(insert_challenge(CHECK, store, record))?;
    let outcomes = race(store, |store, _| {
        block_on(store.complete_registration(id, &mac(7), t0()))
    });
    let created = created(CHECK, outcomes, RegistrationOutcome::ChallengeGone)?;
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
    let id = block_on(insert_challenge(CHECK, store, record))?;
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

/// Every racing end of sessions counts: each answers its own epoch, and none is lost (a
/// read-then-write store would let a stolen session outlive an end).
pub(super) fn end_sessions<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_end_sessions";
    let member = block_on(create_account(store, "member01", 1))?;
    let mut seen = Vec::new();
    for epoch in race(store, |store, _| block_on(store.end_sessions(&member))) {
        seen.push(ok(CHECK, epoch)?);
    }
    seen.sort_unstable();
    let expected: Vec<Option<u64>> = (1..=16).map(Some).collect();
    ensure!(
        CHECK,
        seen == expected,
        "each end must answer its own epoch 1..=16, saw {seen:?}"
    );
    let after = ok(CHECK, block_on(store.find_account(&member)))?.map(|a| a.session_epoch);
    ensure!(
        CHECK,
        after == Some(16),
        "16 parallel ends left the epoch at {after:?}"
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
    let created = created(
        CHECK,
        outcomes.into_iter().flatten(),
        RegistrationOutcome::UserIdTaken,
    )?;
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
    let id = block_on(insert_challenge(CHECK, store, record))?;
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

/// One thread imports the roster again and again, swapping between two generations that
/// share half their people, while fifteen log people in (read the roster, count an attempt,
/// record the login): every reader sees the whole old roster or the whole new one.
pub(super) fn import<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_import";
    const IMPORTS: usize = 8;
    block_on(union_side::import_generation(CHECK, store, 0))?;
    let member = block_on(create_account(store, "member01", 60))?;
    let done = AtomicBool::new(false);
    let results = race(store, |store, i| -> Outcome {
        if i == 0 {
            let imports = (1..=IMPORTS).try_for_each(|g| {
                let report = block_on(union_side::import_generation(CHECK, store, g))?;
                ensure!(
                    CHECK,
                    report.applied && report.added == 50 && report.removed == 50,
                    "import {g} under load: {report:?}"
                );
                Ok(())
            });
            // Even after a failed import, so that the readers stop.
            done.store(true, Ordering::SeqCst);
            return imports;
        }
        let login = CounterKey::Login(user_key(&format!("racer{i:02}")));
        while !done.load(Ordering::SeqCst) {
            let count = block_on(union_side::race_roster_count(CHECK, store))?;
            ensure!(
                CHECK,
                count == 100,
                "a reader counted {count} people, not 100"
            );
            for n in [50, 60, 75, 99] {
                let found = ok(CHECK, block_on(store.find_insured(&key(n))))?;
                ensure!(
                    CHECK,
                    found.is_some(),
                    "person {n}, on both rosters, was missing during an import"
                );
            }
            ok(
                CHECK,
                block_on(store.acquire_attempt(&login, t0(), lock_policy(1000, None))),
            )?;
            ok(CHECK, block_on(store.record_login(&member, t0())))?;
        }
        Ok(())
    });
    for result in results {
        result?;
    }
    let count = block_on(union_side::race_roster_count(CHECK, store))?;
    ensure!(CHECK, count == 100, "{count} people after the race");
    Ok(())
}

/// Sixteen threads complete one e-mail change: exactly one gets the old address back.
pub(super) fn email_change<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "race_email_change";
    block_on(create_account(store, "member01", 1))?;
    let record = union_side::email_change("member01", 7);
    let id = block_on(insert_challenge(CHECK, store, record))?;
    let results = race(store, |store, _| {
        block_on(store.complete_email_change(id, &mac(7)))
    });
    let mut winners = 0;
    for result in results {
        if ok(CHECK, result)?.is_some() {
            winners += 1;
        }
    }
    ensure!(
        CHECK,
        winners == 1,
        "{winners} of 16 threads completed one e-mail change"
    );
    Ok(())
}
