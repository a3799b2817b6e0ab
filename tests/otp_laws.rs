//! Laws of one-time codes and throttling, in proptest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime};

use kenpo_auth::SecretKey;
use kenpo_auth::otp::{CodeChallenge, Purpose, TypedCode, Verdict};
use kenpo_auth::throttle::{AttemptCounter, AttemptGate, LimitPolicy};
use kenpo_auth::ticket::TicketId;
use proptest::prelude::*;
use rand::SeedableRng;

const VALIDITY: Duration = Duration::from_secs(600);

fn issue(seed: u64) -> (String, CodeChallenge, SecretKey) {
    let key = SecretKey::from_bytes([seed.to_le_bytes()[0]; 32]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (code, challenge) = CodeChallenge::issue(
        &key,
        TicketId::from_bytes([7; 16]),
        Purpose::Registration,
        SystemTime::UNIX_EPOCH,
        VALIDITY,
        &mut rng,
    );
    (code.as_str().to_owned(), challenge, key)
}

proptest! {
    #[test]
    fn codes_are_six_digits(seed in any::<u64>()) {
        let (code, _, _) = issue(seed);
        prop_assert_eq!(code.len(), 6);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn the_right_code_is_accepted_exactly_before_expiry(seed in any::<u64>(), millis in 0_u64..1_200_000, attempts in 1_u32..=5) {
        let (code, mut challenge, key) = issue(seed);
        challenge.attempts = attempts;
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(millis);
        let verdict = challenge.check(&key, &TypedCode::parse(&code).unwrap(), now, 5);
        if millis < 600_000 {
            prop_assert_eq!(verdict, Verdict::Accepted);
        } else {
            prop_assert_eq!(verdict, Verdict::Expired);
        }
    }

    #[test]
    fn every_other_code_is_wrong(seed in any::<u64>(), other in 0_u32..1_000_000) {
        let (code, mut challenge, key) = issue(seed);
        let other = format!("{other:06}");
        prop_assume!(other != code);
        challenge.attempts = 1;
        let verdict = challenge.check(&key, &TypedCode::parse(&other).unwrap(), SystemTime::UNIX_EPOCH, 5);
        prop_assert_eq!(verdict, Verdict::Wrong { remaining: 4 });
    }

    #[test]
    fn past_the_attempt_limit_nothing_is_accepted(seed in any::<u64>(), attempts in 6_u32..1000) {
        let (code, mut challenge, key) = issue(seed);
        challenge.attempts = attempts;
        let verdict = challenge.check(&key, &TypedCode::parse(&code).unwrap(), SystemTime::UNIX_EPOCH, 5);
        prop_assert_eq!(verdict, Verdict::AttemptsExhausted);
    }

    #[test]
    fn another_key_never_accepts(seed in any::<u64>()) {
        let (code, mut challenge, _) = issue(seed);
        challenge.attempts = 1;
        let other_key = SecretKey::from_bytes([key_byte_after(seed); 32]);
        let verdict = challenge.check(&other_key, &TypedCode::parse(&code).unwrap(), SystemTime::UNIX_EPOCH, 5);
        prop_assert_ne!(verdict, Verdict::Accepted);
    }

    #[test]
    fn typed_code_parsing_never_panics(input in any::<String>()) {
        let _ = TypedCode::parse(&input);
    }

    /// At one instant, exactly `max` attempts pass and the next is refused for the whole lockout.
    #[test]
    fn exactly_the_limit_passes_then_the_lock_holds(
        max in 1_u32..20,
        window in proptest::option::of(1_u64..2_000),
        lockout in 1_u64..2_000,
        start in 0_u64..1_000_000,
    ) {
        let policy = LimitPolicy { max_failures: max, window: window.map(Duration::from_secs), lockout: Duration::from_secs(lockout) };
        let mut counter = AttemptCounter::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(start);
        for _ in 0..max {
            prop_assert_eq!(counter.acquire(now, &policy), AttemptGate::Allowed);
        }
        prop_assert_eq!(counter.acquire(now, &policy), AttemptGate::Refused { retry_after: Duration::from_secs(lockout) });
        let almost = now + Duration::from_millis(lockout * 1000 - 1);
        prop_assert_eq!(counter.acquire(almost, &policy), AttemptGate::Refused { retry_after: Duration::from_millis(1) });
        prop_assert_eq!(counter.acquire(now + Duration::from_secs(lockout), &policy), AttemptGate::Allowed);
    }

    /// However attempts are spread in time, a refusal names a wait that is neither zero nor
    /// longer than the lockout, and refusals count nothing (the wait only shrinks).
    #[test]
    fn refusals_are_bounded_and_free(
        max in 1_u32..12,
        window in proptest::option::of(1_u64..2_000),
        lockout in 1_u64..2_000,
        gaps in proptest::collection::vec(0_u64..100, 1..200),
    ) {
        let policy = LimitPolicy { max_failures: max, window: window.map(Duration::from_secs), lockout: Duration::from_secs(lockout) };
        let mut counter = AttemptCounter::default();
        let mut now = SystemTime::UNIX_EPOCH;
        let mut last_wait: Option<Duration> = None;
        for gap in gaps {
            now += Duration::from_secs(gap);
            match counter.acquire(now, &policy) {
                AttemptGate::Allowed => last_wait = None,
                AttemptGate::Refused { retry_after } => {
                    prop_assert!(!retry_after.is_zero());
                    prop_assert!(retry_after <= Duration::from_secs(lockout));
                    if let Some(previous) = last_wait {
                        prop_assert!(retry_after <= previous, "a refusal extended the lock");
                    }
                    last_wait = Some(retry_after);
                }
            }
        }
    }
}

fn key_byte_after(seed: u64) -> u8 {
    seed.to_le_bytes()[0].wrapping_add(1)
}
