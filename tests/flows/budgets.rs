//! Budgets that hold however long an attacker keeps going: locks that lengthen, ceilings that
//! only a success lifts, and the ways back for the member.

use crate::support::*;
use kenpo_auth::{Clock, Config, ConfigError, Error, RegistrationForm, Store, UserId};

/// Fails `n` logins with the wrong password, waiting out every lock on the way.
fn fail_logins(fx: &Fixture, n: usize) {
    let mut done = 0;
    while done < n {
        match block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)) {
            Err(Error::AuthenticationFailed) => done += 1,
            Err(Error::AccountLocked { retry_after }) => fx.clock.advance(retry_after),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn login_locks_lengthen_as_failures_go_on() {
    let fx = fixture();
    register(&fx);
    let mut locks = Vec::new();
    for _ in 0..4 {
        for _ in 0..10 {
            let error = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
            assert!(matches!(error, Error::AuthenticationFailed), "{error:?}");
        }
        let Err(Error::AccountLocked { retry_after }) =
            block_on(fx.portal.login(USER_ID, PASSWORD))
        else {
            panic!("locked after ten more failures");
        };
        locks.push(retry_after.as_secs() / 60);
        fx.clock.advance(retry_after);
    }
    assert_eq!(locks, [30, 60, 120, 240]);
    assert!(
        block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok(),
        "after each lock the right password works"
    );
}

#[test]
fn time_never_resets_the_login_count() {
    let fx = fixture();
    register(&fx);
    for _ in 0..9 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
        fx.clock.advance(30 * DAY);
        block_on(
            fx.portal
                .store()
                .purge_expired(fx.clock.now(), std::time::Duration::ZERO),
        )
        .unwrap();
    }
    block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::AccountLocked { .. }), "{error:?}");
}

#[test]
fn at_the_ceiling_even_the_right_password_fails_until_a_reset() {
    let fx = fixture();
    register(&fx);
    fail_logins(&fx, 100);
    fx.clock.advance(365 * DAY);
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::LoginSuspended), "{error:?}");
    assert!(
        error.message_ja().contains("パスワードを再設定"),
        "{}",
        error.message_ja()
    );
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    block_on(
        fx.portal
            .reset_password(&ticket, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
    assert!(block_on(fx.portal.login(USER_ID, NEW_PASSWORD)).is_ok());
}

#[test]
fn the_help_desk_unlocks_a_suspended_login() {
    let fx = fixture();
    let user_id = register(&fx);
    fail_logins(&fx, 100);
    block_on(fx.portal.unlock_account(&user_id)).unwrap();
    assert!(block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok());
    let nobody = UserId::parse("nobody999").unwrap();
    let error = block_on(fx.portal.unlock_account(&nobody)).unwrap_err();
    assert!(matches!(error, Error::AccountNotFound), "{error:?}");
}

#[test]
fn unknown_ids_reach_the_ceiling_like_known_ones() {
    let fx = fixture();
    let mut done = 0;
    while done < 100 {
        match block_on(fx.portal.login("nobody999", WRONG_PASSWORD)) {
            Err(Error::AuthenticationFailed) => done += 1,
            Err(Error::AccountLocked { retry_after }) => fx.clock.advance(retry_after),
            other => panic!("{other:?}"),
        }
    }
    let error = block_on(fx.portal.login("nobody999", WRONG_PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::LoginSuspended), "{error:?}");
}

/// Enters `n` wrong reset codes for `user_id`, asking for new codes as needed.
fn wrong_reset_codes(fx: &Fixture, user_id: &str, n: usize) {
    let mut done = 0;
    let mut ticket = None;
    while done < n {
        let current = match ticket.take() {
            Some(ticket) => ticket,
            None => match block_on(fx.portal.request_password_reset(user_id)) {
                Ok(ticket) => ticket,
                Err(Error::TooManyAttempts { retry_after }) => {
                    fx.clock.advance(retry_after);
                    continue;
                }
                Err(other) => panic!("{other:?}"),
            },
        };
        match block_on(
            fx.portal
                .reset_password(&current, WRONG_RESET_CODE, NEW_PASSWORD),
        ) {
            Err(Error::CodeMismatch { remaining }) => {
                done += 1;
                if remaining > 0 {
                    ticket = Some(current);
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_hundred_wrong_reset_codes_suspend_resets_until_the_help_desk() {
    let fx = fixture();
    let user_id = register(&fx);
    wrong_reset_codes(&fx, USER_ID, 100);
    fx.clock.advance(DAY);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let code = last_code(&fx);
    let error = block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap_err();
    assert!(
        matches!(error, Error::ResetSuspended),
        "even the right code: {error:?}"
    );
    assert!(
        error.message_ja().contains("健康保険組合"),
        "{}",
        error.message_ja()
    );
    block_on(fx.portal.unlock_account(&user_id)).unwrap();
    block_on(fx.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
    assert!(block_on(fx.portal.login(USER_ID, NEW_PASSWORD)).is_ok());
}

#[test]
fn unknown_ids_reach_the_reset_ceiling_alike() {
    let fx = fixture();
    wrong_reset_codes(&fx, "nobody999", 100);
    fx.clock.advance(DAY);
    let ticket = block_on(fx.portal.request_password_reset("nobody999")).unwrap();
    let error = block_on(
        fx.portal
            .reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
    )
    .unwrap_err();
    assert!(matches!(error, Error::ResetSuspended), "{error:?}");
}

#[test]
fn a_completed_reset_starts_the_code_count_afresh() {
    let fx = fixture();
    register(&fx);
    wrong_reset_codes(&fx, USER_ID, 99);
    fx.clock.advance(DAY);
    let ticket = block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    block_on(
        fx.portal
            .reset_password(&ticket, &last_code(&fx), NEW_PASSWORD),
    )
    .unwrap();
    wrong_reset_codes(&fx, USER_ID, 99);
}

#[test]
fn identity_locks_lengthen_too() {
    let fx = fixture();
    let mut locks = Vec::new();
    for _ in 0..3 {
        for _ in 0..5 {
            block_on(fx.portal.authenticate_insured(&shoko_wrong_birth())).unwrap_err();
        }
        let Err(Error::TooManyAttempts { retry_after }) =
            block_on(fx.portal.authenticate_insured(&shoko()))
        else {
            panic!("locked");
        };
        locks.push(retry_after.as_secs() / 60);
        fx.clock.advance(retry_after);
    }
    assert_eq!(locks, [15, 30, 60]);
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
}

#[test]
fn identity_failures_are_forgotten_after_a_quiet_week() {
    let fx = fixture();
    for _ in 0..4 {
        block_on(fx.portal.authenticate_insured(&shoko_wrong_birth())).unwrap_err();
    }
    fx.clock.advance(6 * DAY);
    block_on(fx.portal.authenticate_insured(&shoko_wrong_birth())).unwrap_err();
    let error = block_on(fx.portal.authenticate_insured(&shoko())).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { .. }),
        "six quiet days are not enough: {error:?}"
    );
    fx.clock.advance(7 * DAY + 15 * MINUTE);
    for _ in 0..4 {
        block_on(fx.portal.authenticate_insured(&shoko_wrong_birth())).unwrap_err();
    }
    assert!(block_on(fx.portal.authenticate_insured(&shoko())).is_ok());
}

#[test]
fn taken_user_ids_count_against_the_identity_budget() {
    let fx = fixture();
    register(&fx);
    let ticket = block_on(fx.portal.authenticate_insured(&taro())).unwrap();
    for _ in 0..5 {
        let form = RegistrationForm {
            user_id: USER_ID.to_lowercase(),
            ..registration_form()
        };
        let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
        assert!(matches!(error, Error::UserIdTaken), "{error:?}");
    }
    let error = block_on(fx.portal.begin_registration(
        &ticket,
        &RegistrationForm {
            user_id: "someone.else".into(),
            ..registration_form()
        },
    ));
    assert!(
        error.is_ok(),
        "a free user ID is not an identity failure: {error:?}"
    );
    let error = block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { .. }),
        "the sixth probe of a taken ID waits: {error:?}"
    );
}

#[test]
fn one_ticket_sends_at_most_five_registration_mails() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    for n in 0..5 {
        let form = RegistrationForm {
            email: format!("target{n}@example.co.jp"),
            ..registration_form()
        };
        block_on(fx.portal.begin_registration(&ticket, &form)).unwrap();
    }
    let form = RegistrationForm {
        email: "target5@example.co.jp".into(),
        ..registration_form()
    };
    let error = block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err();
    assert!(matches!(error, Error::ResendLimitReached), "{error:?}");
    assert_eq!(fx.mailer.sent().len(), 5);
    assert_eq!(
        fx.store.challenge_count(),
        1,
        "each new pending registration voids the last"
    );
}

#[test]
fn resends_count_against_the_tickets_mails_too() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    for _ in 0..4 {
        fx.clock.advance(MINUTE);
        block_on(fx.portal.resend_code(&pending)).unwrap();
    }
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let error = block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap_err();
    assert!(
        matches!(error, Error::TooManyAttempts { .. }),
        "a new ticket does not refill the insured person's mails: {error:?}"
    );
    fx.clock.advance(15 * MINUTE);
    block_on(fx.portal.begin_registration(&ticket, &registration_form())).unwrap();
}

#[test]
fn check_refuses_ceilings_above_a_hundred_and_zero_counts() {
    let too_high = Config {
        login_failure_ceiling: 101,
        ..test_config()
    };
    assert!(matches!(
        too_high.check(),
        Err(ConfigError::CeilingTooHigh { .. })
    ));
    let too_high = Config {
        code_failure_ceiling: 1000,
        ..test_config()
    };
    assert!(matches!(
        too_high.check(),
        Err(ConfigError::CeilingTooHigh { .. })
    ));
    let zero = Config {
        login_max_failures: 0,
        ..test_config()
    };
    assert!(matches!(zero.check(), Err(ConfigError::Zero { .. })));
    let fx = fixture_with(zero);
    assert!(matches!(fx.portal.check_config(), Err(Error::Config(_))));
    assert!(test_config().check().is_ok());
}

#[test]
fn a_lock_until_the_horizon_is_a_help_desk_matter_not_a_panic() {
    let fx = fixture_with(Config {
        login_lockout: std::time::Duration::MAX,
        ..test_config()
    });
    let user_id = register(&fx);
    fail_logins_without_waiting(&fx);
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::AccountLocked { .. }), "{error:?}");
    assert!(
        error.message_ja().contains("お問い合わせ"),
        "{}",
        error.message_ja()
    );
    block_on(fx.portal.unlock_account(&user_id)).unwrap();
    assert!(block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok());
}

fn fail_logins_without_waiting(fx: &Fixture) {
    for _ in 0..10 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    }
}
