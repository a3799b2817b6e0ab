//! Attempt budgets: locks that lengthen, ceilings that hold for good, forgetting that frees
//! nothing early, and idle counters that a purge may drop without changing any answer.

use std::time::{Duration, SystemTime};

use kenpo_auth::store::{AttemptCounter, AttemptGate, LimitPolicy, LockSchedule};
use proptest::prelude::*;

fn policy() -> impl Strategy<Value = LimitPolicy> {
    (
        proptest::option::of((1_u32..12, 1_u64..3_000, 1_u64..100_000)),
        proptest::option::of(1_u32..60),
        proptest::option::of(1_u64..200_000),
    )
        .prop_map(|(locks, ceiling, forget)| LimitPolicy {
            locks: locks.map(|(every, first, max)| LockSchedule {
                every,
                first: Duration::from_secs(first),
                max: Duration::from_secs(max),
            }),
            ceiling,
            forget_after: forget.map(Duration::from_secs),
        })
}

/// Seconds between attempts: mostly short, sometimes long.
fn gaps() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(prop_oneof![0_u64..120, 0_u64..400_000], 1..300)
}

proptest! {
    /// At one instant, exactly `every` attempts pass and the next waits the first lock.
    #[test]
    fn exactly_the_round_passes_then_the_first_lock_holds(
        every in 1_u32..20, first in 1_u64..2_000, start in 0_u64..1_000_000,
    ) {
        let policy = LimitPolicy {
            locks: Some(LockSchedule { every, first: Duration::from_secs(first), max: Duration::MAX }),
            ceiling: None,
            forget_after: None,
        };
        let mut counter = AttemptCounter::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(start);
        for _ in 0..every {
            prop_assert_eq!(counter.acquire(now, &policy), AttemptGate::Allowed);
        }
        prop_assert_eq!(counter.acquire(now, &policy), AttemptGate::Locked { retry_after: Duration::from_secs(first) });
        let almost = now + Duration::from_millis(first * 1000 - 1);
        prop_assert_eq!(counter.acquire(almost, &policy), AttemptGate::Locked { retry_after: Duration::from_millis(1) });
        prop_assert_eq!(counter.acquire(now + Duration::from_secs(first), &policy), AttemptGate::Allowed);
    }

    /// However attempts are spread in time: refusals count nothing; without forgetting, no more
    /// than `ceiling` attempts ever pass; locks never shorten until the counter is fresh again.
    #[test]
    fn budgets_hold_over_any_schedule(policy in policy(), gaps in gaps()) {
        let mut counter = AttemptCounter::default();
        let mut now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut allowed = 0_u32;
        let mut longest_lock = Duration::ZERO;
        for gap in gaps {
            now += Duration::from_secs(gap);
            let forgotten = counter.is_forgotten(now);
            if forgotten {
                longest_lock = Duration::ZERO;
            }
            let before = counter;
            match counter.acquire(now, &policy) {
                AttemptGate::Allowed => {
                    allowed += 1;
                    if let Some(until) = counter.locked_until.filter(|_| counter.locked_until != before.locked_until) {
                        let lock = until.duration_since(now).unwrap();
                        prop_assert!(lock >= longest_lock, "a lock shortened: {lock:?} < {longest_lock:?}");
                        longest_lock = lock;
                    }
                }
                AttemptGate::Locked { retry_after } => {
                    prop_assert!(!retry_after.is_zero());
                    prop_assert_eq!(counter, before, "a refusal changed the counter");
                }
                AttemptGate::AtCeiling => {
                    prop_assert!(policy.ceiling.is_some());
                    prop_assert_eq!(counter, before, "a refusal changed the counter");
                }
            }
            if policy.forget_after.is_none() {
                if let Some(ceiling) = policy.ceiling {
                    prop_assert!(allowed <= ceiling, "{allowed} attempts passed a ceiling of {ceiling}");
                }
            }
        }
    }

    /// A counter a store may drop (`is_idle`) answers exactly as a fresh one would, now and
    /// after: purging it frees no one.
    #[test]
    fn idle_counters_are_as_good_as_fresh(policy in policy(), gaps in gaps(), probe in 0_u64..500_000) {
        let mut counter = AttemptCounter::default();
        let mut now = SystemTime::UNIX_EPOCH;
        for gap in gaps {
            now += Duration::from_secs(gap);
            counter.acquire(now, &policy);
        }
        let later = now + Duration::from_secs(probe);
        if counter.is_idle(later) {
            let mut kept = counter;
            let mut fresh = AttemptCounter::default();
            for step in 0..30 {
                let at = later + Duration::from_secs(step * 7);
                prop_assert_eq!(kept.acquire(at, &policy), fresh.acquire(at, &policy));
            }
        }
    }

    /// Extreme policies and times never panic.
    #[test]
    fn extreme_values_never_panic(every in 0_u32..3, first in any::<u64>(), max in any::<u64>(), forget in any::<u64>(), times in proptest::collection::vec(any::<u64>(), 1..20)) {
        let policy = LimitPolicy {
            locks: Some(LockSchedule { every, first: Duration::from_secs(first), max: Duration::from_secs(max) }),
            ceiling: Some(u32::MAX),
            forget_after: Some(Duration::from_secs(forget)),
        };
        let mut counter = AttemptCounter::default();
        for t in times {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(t >> 2);
            let _ = counter.acquire(now, &policy);
            let _ = counter.is_idle(now);
        }
    }
}
