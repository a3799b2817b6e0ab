//! One-time codes: shapes, expiry to the millisecond, attempts, resends and voiding.

use std::time::{Duration, SystemTime};

use kenpo_auth::CodeShape;
use kenpo_auth::SecretKey;
use kenpo_auth::store::{
    CodeChallenge, Purpose, ResendOutcome, ResendRules, TicketId, TypedCode, Verdict,
};
use proptest::prelude::*;
use rand::SeedableRng;

const VALIDITY: Duration = Duration::from_secs(600);

fn issue(seed: u64, purpose: Purpose) -> (String, String, CodeChallenge, SecretKey) {
    let key = SecretKey::from_bytes([seed.to_le_bytes()[0]; 32]);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let Ok((code, challenge)) = CodeChallenge::issue(
        &key,
        TicketId::from_bytes([7; 16]),
        purpose,
        SystemTime::UNIX_EPOCH,
        VALIDITY,
        &mut rng,
    );
    (code.as_str().to_owned(), code.display(), challenge, key)
}

fn purpose() -> impl Strategy<Value = Purpose> {
    prop_oneof![Just(Purpose::Registration), Just(Purpose::PasswordReset)]
}

fn typed(code: &str, purpose: Purpose) -> TypedCode {
    TypedCode::parse(code, purpose.shape()).unwrap()
}

proptest! {
    #[test]
    fn codes_have_their_purposes_shape(seed in any::<u64>()) {
        let (code, shown, _, _) = issue(seed, Purpose::Registration);
        prop_assert_eq!(code.len(), 6);
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        prop_assert_eq!(&shown, &code);
        let (code, shown, _, _) = issue(seed, Purpose::PasswordReset);
        prop_assert_eq!(code.len(), 12);
        prop_assert!(code.bytes().all(|b| b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(&b)));
        prop_assert_eq!(shown.replace('-', ""), code);
        prop_assert_eq!(shown.matches('-').count(), 2);
    }

    /// Every spelling a member may type (groups or not, either case, full-width, surrounding
    /// spaces) is the same code.
    #[test]
    fn every_spelling_of_a_reset_code_is_accepted(seed in any::<u64>(), lower in any::<bool>(), hyphens in any::<bool>(), wide in any::<bool>()) {
        let (_, shown, mut challenge, key) = issue(seed, Purpose::PasswordReset);
        challenge.attempts = 1;
        let mut spelled = if hyphens { shown.clone() } else { shown.replace('-', "") };
        if lower {
            spelled = spelled.to_lowercase();
        }
        if wide {
            spelled = spelled
                .chars()
                .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
                .collect();
        }
        let spelled = format!("  {spelled} ");
        let verdict = challenge.check(&key, &typed(&spelled, Purpose::PasswordReset), SystemTime::UNIX_EPOCH, 5);
        prop_assert_eq!(verdict, Verdict::Accepted);
    }

    #[test]
    fn the_right_code_is_accepted_exactly_before_expiry(seed in any::<u64>(), purpose in purpose(), millis in 0_u64..1_200_000, attempts in 1_u32..=5) {
        let (code, _, mut challenge, key) = issue(seed, purpose);
        challenge.attempts = attempts;
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(millis);
        let verdict = challenge.check(&key, &typed(&code, purpose), now, 5);
        if millis < 600_000 {
            prop_assert_eq!(verdict, Verdict::Accepted);
        } else {
            prop_assert_eq!(verdict, Verdict::Expired);
        }
    }

    #[test]
    fn a_clock_before_the_issue_is_refused(seed in any::<u64>(), purpose in purpose(), millis in 1_u64..10_000_000) {
        let (code, _, mut challenge, key) = issue(seed, purpose);
        challenge.attempts = 1;
        let now = SystemTime::UNIX_EPOCH - Duration::from_millis(millis);
        prop_assert_eq!(challenge.check(&key, &typed(&code, purpose), now, 5), Verdict::Expired);
    }

    #[test]
    fn every_other_six_digit_code_is_wrong(seed in any::<u64>(), other in 0_u32..1_000_000) {
        let (code, _, mut challenge, key) = issue(seed, Purpose::Registration);
        let other = format!("{other:06}");
        prop_assume!(other != code);
        challenge.attempts = 1;
        let verdict = challenge.check(&key, &typed(&other, Purpose::Registration), SystemTime::UNIX_EPOCH, 5);
        prop_assert_eq!(verdict, Verdict::Wrong { remaining: 4 });
    }

    #[test]
    fn a_code_of_the_other_shape_is_never_accepted(seed in any::<u64>()) {
        let (six, _, mut reset, key) = issue(seed, Purpose::PasswordReset);
        reset.attempts = 1;
        prop_assert!(TypedCode::parse(&six, CodeShape::SixDigits).is_err());
        let digits = TypedCode::parse("234567", CodeShape::SixDigits).unwrap();
        prop_assert_ne!(reset.check(&key, &digits, SystemTime::UNIX_EPOCH, 5), Verdict::Accepted);
    }

    #[test]
    fn past_the_attempt_limit_nothing_is_accepted(seed in any::<u64>(), purpose in purpose(), attempts in 6_u32..1000) {
        let (code, _, mut challenge, key) = issue(seed, purpose);
        challenge.attempts = attempts;
        let verdict = challenge.check(&key, &typed(&code, purpose), SystemTime::UNIX_EPOCH, 5);
        prop_assert_eq!(verdict, Verdict::AttemptsExhausted);
    }

    #[test]
    fn another_key_never_accepts(seed in any::<u64>(), purpose in purpose()) {
        let (code, _, mut challenge, _) = issue(seed, purpose);
        challenge.attempts = 1;
        let other_key = SecretKey::from_bytes([seed.to_le_bytes()[0].wrapping_add(1); 32]);
        let verdict = challenge.check(&other_key, &typed(&code, purpose), SystemTime::UNIX_EPOCH, 5);
        prop_assert_ne!(verdict, Verdict::Accepted);
    }

    #[test]
    fn typed_code_parsing_never_panics(input in any::<String>()) {
        let _ = TypedCode::parse(&input, CodeShape::SixDigits);
        let _ = TypedCode::parse(&input, CodeShape::TwelveChars);
    }

    /// A voided code is dead at every instant, before its issue or long after.
    #[test]
    fn a_voided_code_is_dead_for_good(seed in any::<u64>(), purpose in purpose(), secs in 0_u64..100_000, back in any::<bool>()) {
        let (code, _, mut challenge, key) = issue(seed, purpose);
        let judged = challenge.code_mac.clone();
        prop_assert!(challenge.void(&judged));
        challenge.attempts = 1;
        let offset = Duration::from_secs(secs);
        let now = if back { SystemTime::UNIX_EPOCH - offset } else { SystemTime::UNIX_EPOCH + offset };
        prop_assert_eq!(challenge.check(&key, &typed(&code, purpose), now, 5), Verdict::Expired);
    }

    /// A resend keeps the entries, adds a send, restarts the validity, and voids the old code;
    /// it is refused inside the cooldown and past the limit.
    #[test]
    fn resend_rule(seed in any::<u64>(), attempts in 0_u32..5, at in 0_u64..200, sends in 1_u32..7) {
        let (old, _, mut challenge, key) = issue(seed, Purpose::Registration);
        challenge.attempts = attempts;
        challenge.sends = sends;
        let rules = ResendRules { cooldown: Duration::from_secs(60), max_sends: 5, validity: VALIDITY };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(at);
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 1);
        let Ok((new, mac)) = challenge.reissue(&key, &mut rng);
        let before = challenge.clone();
        let outcome = challenge.resend(now, mac, rules);
        if at < 60 {
            prop_assert_eq!(outcome, ResendOutcome::TooSoon { retry_after: Duration::from_secs(60 - at) });
        } else if sends >= 5 {
            prop_assert_eq!(outcome, ResendOutcome::LimitReached);
        } else {
            prop_assert_eq!(outcome, ResendOutcome::Replaced);
            prop_assert_eq!(challenge.attempts, attempts);
            prop_assert_eq!(challenge.sends, sends + 1);
            prop_assert_eq!(challenge.expires_at, now + VALIDITY);
            challenge.attempts = 1;
            prop_assert_eq!(challenge.check(&key, &typed(new.as_str(), Purpose::Registration), now, 5), Verdict::Accepted);
            if new.as_str() != old {
                prop_assert_ne!(challenge.check(&key, &typed(&old, Purpose::Registration), now, 5), Verdict::Accepted);
            }
            return Ok(());
        }
        prop_assert!(challenge.code_mac.ct_eq(&before.code_mac), "a refused resend changed the code");
        prop_assert_eq!(challenge.sends, before.sends);
    }
}
