//! Time arithmetic never panics: every flow under `Config` durations drawn from zero to
//! `Duration::MAX`, with the clock jumping as far.

use std::time::Duration;

use proptest::prelude::*;

use crate::support::*;
use kenpo_auth::{Clock, Config, RegistrationForm, Store};

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (0_u64..=u64::MAX, 0_u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        (0_u64..100_000).prop_map(Duration::from_secs),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn flows_survive_any_durations(
        durations in proptest::collection::vec(any_duration(), 8),
        jumps in proptest::collection::vec(any_duration(), 6),
    ) {
        let config = Config {
            code_validity: durations[0],
            code_resend_cooldown: durations[1],
            login_lockout: durations[2],
            identity_lockout: durations[3],
            reset_lockout: durations[4],
            max_lockout: durations[5],
            throttle_forget_after: durations[6],
            signup_validity: durations[7],
            ..test_config()
        };
        let fx = fixture_with(config);
        let store = fx.store.clone();
        let purge = |grace: Duration| {
            let _ = block_on(store.purge_expired(fx.clock.now(), grace));
        };
        // Each call may fail (expired, locked); none may panic.
        let ticket = fx.authenticate_insured(&shoko());
        fx.clock.advance(jumps[0]);
        let pending = ticket
            .ok()
            .and_then(|ticket| fx.begin_registration(&ticket, &registration_form()).ok());
        purge(jumps[1]);
        if let Some(pending) = &pending {
            let _ = fx.resend_code(pending);
            let code = fx.mailer.last_code().unwrap_or_default();
            fx.clock.advance(jumps[2]);
            let _ = fx.confirm_registration(pending, &code);
        }
        for _ in 0..12 {
            let _ = fx.login(USER_ID, WRONG_PASSWORD);
        }
        fx.clock.advance(jumps[3]);
        let _ = fx.login(USER_ID, PASSWORD);
        for _ in 0..7 {
            let _ = fx.authenticate_insured(&shoko_wrong_birth());
            let _ = fx.request_password_reset(USER_ID);
        }
        purge(Duration::MAX);
        purge(Duration::ZERO);
        fx.clock.advance(jumps[4]);
        if let Ok(reset) = fx.request_password_reset(USER_ID) {
            let code = fx.mailer.last_code().unwrap_or_default();
            fx.clock.advance(jumps[5]);
            let _ = fx.reset_password(&reset, &code, NEW_PASSWORD);
        }
        let _ = fx.remind_user_id(&shoko(), EMAIL);
        let _ = fx.begin_registration(
            &"00000000000000000000000000000000".parse().unwrap(),
            &RegistrationForm::default(),
        );
        purge(jumps[5]);
    }
}
