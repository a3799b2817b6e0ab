//! Budgets that hold however long an attacker keeps going: locks that lengthen, ceilings that
//! only a success lifts, and the ways back for the member.

use crate::support::*;
use std::time::Duration;

use kenpo_auth::{Clock, Config, ConfigError, Error, Store, UserId};

#[test]
fn login_locks_lengthen_as_failures_go_on() {
    let fx = registered();
    let mut locks = Vec::new();
    for _ in 0..4 {
        fail_logins(&fx, USER_ID, 10);
        let Err(Error::AccountLocked { retry_after }) = fx.login(USER_ID, PASSWORD) else {
            panic!("locked after ten more failures");
        };
        locks.push(retry_after.as_secs() / 60);
        fx.clock.advance(retry_after);
    }
    assert_eq!(locks, [30, 60, 120, 240]);
    assert!(
        fx.login(USER_ID, PASSWORD).is_ok(),
        "after each lock the right password works"
    );
}

#[test]
fn time_never_resets_the_login_count() {
    let fx = registered();
    for _ in 0..9 {
        fail_logins(&fx, USER_ID, 1);
        fx.clock.advance(30 * DAY);
        let purge = fx
            .portal
            .store()
            .purge_expired(fx.clock.now(), std::time::Duration::ZERO);
        block_on(purge).unwrap();
    }
    fail_logins(&fx, USER_ID, 1);
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
}

#[test]
fn at_the_ceiling_even_the_right_password_fails_until_a_reset() {
    let fx = registered();
    fail_logins_waiting_out_locks(&fx, USER_ID, 100);
    fx.clock.advance(365 * DAY);
    let error = assert_error!(fx.login(USER_ID, PASSWORD), Error::LoginSuspended);
    assert!(
        error.message_ja().contains("パスワードを再設定"),
        "{}",
        error.message_ja()
    );
    reset_to_new_password(&fx);
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
}

#[test]
fn the_help_desk_unlocks_a_suspended_login() {
    let fx = fixture();
    let user_id = register(&fx);
    fail_logins_waiting_out_locks(&fx, USER_ID, 100);
    fx.unlock_account(&user_id).unwrap();
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
    let nobody = UserId::parse("nobody999").unwrap();
    assert_error!(fx.unlock_account(&nobody), Error::AccountNotFound);
}

#[test]
fn unknown_ids_reach_the_ceiling_like_known_ones() {
    let fx = fixture();
    fail_logins_waiting_out_locks(&fx, "nobody999", 100);
    assert_error!(fx.login("nobody999", WRONG_PASSWORD), Error::LoginSuspended);
}

/// Enters `n` wrong reset codes for `user_id`, asking for new codes as needed.
fn wrong_reset_codes(fx: &Fixture, user_id: &str, n: usize) {
    let mut done = 0;
    let mut ticket = None;
    while done < n {
        let current = match ticket.take() {
            Some(ticket) => ticket,
            None => match fx.request_password_reset(user_id) {
                Ok(ticket) => ticket,
                Err(Error::TooManyAttempts { retry_after }) => {
                    fx.clock.advance(retry_after);
                    continue;
                }
                Err(other) => panic!("{other:?}"),
            },
        };
        match fx.reset_password(&current, WRONG_RESET_CODE, NEW_PASSWORD) {
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
    let (ticket, code) = mailed_reset(&fx);
    let reset = || fx.reset_password(&ticket, &code, NEW_PASSWORD);
    let error = assert_error!(reset(), Error::ResetSuspended, "even the right code");
    assert!(
        error.message_ja().contains("健康保険組合"),
        "{}",
        error.message_ja()
    );
    fx.unlock_account(&user_id).unwrap();
    reset().unwrap();
    assert!(fx.login(USER_ID, NEW_PASSWORD).is_ok());
}

#[test]
fn unknown_ids_reach_the_reset_ceiling_alike() {
    let fx = fixture();
    wrong_reset_codes(&fx, "nobody999", 100);
    fx.clock.advance(DAY);
    let ticket = fx.request_password_reset("nobody999").unwrap();
    assert_error!(
        fx.reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
        Error::ResetSuspended
    );
}

#[test]
fn a_completed_reset_starts_the_code_count_afresh() {
    let fx = registered();
    wrong_reset_codes(&fx, USER_ID, 99);
    fx.clock.advance(DAY);
    reset_to_new_password(&fx);
    wrong_reset_codes(&fx, USER_ID, 99);
}

#[test]
fn identity_locks_lengthen_too() {
    let fx = fixture();
    let mut locks = Vec::new();
    for _ in 0..3 {
        fail_identity(&fx, 5);
        let Err(Error::TooManyAttempts { retry_after }) = fx.authenticate_insured(&shoko()) else {
            panic!("locked");
        };
        locks.push(retry_after.as_secs() / 60);
        fx.clock.advance(retry_after);
    }
    assert_eq!(locks, [15, 30, 60]);
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

#[test]
fn identity_failures_are_forgotten_after_a_quiet_week() {
    let fx = fixture();
    fail_identity(&fx, 4);
    fx.clock.advance(6 * DAY);
    fail_identity(&fx, 1);
    assert_error!(
        fx.authenticate_insured(&shoko()),
        Error::TooManyAttempts { .. },
        "six quiet days are not enough"
    );
    fx.clock.advance(7 * DAY + 15 * MINUTE);
    fail_identity(&fx, 4);
    assert!(fx.authenticate_insured(&shoko()).is_ok());
}

/// A member can always get a new ticket for their own identity, so a ticket's answers about
/// user IDs must be bounded per person: every probe spends a registration mail, taken or not,
/// and once five are spent a taken and a free user ID answer alike until the lock ends.
#[test]
fn taken_user_ids_spend_the_registration_and_identity_budgets() {
    let fx = registered();
    let taken = with_user_id(&USER_ID.to_lowercase());
    let free = with_user_id("someone.else");
    let ticket = authenticated(&fx, &taro());
    for _ in 0..5 {
        assert_error!(fx.begin_registration(&ticket, &taken), Error::UserIdTaken);
    }
    let taken = fx.begin_registration(&ticket, &taken).unwrap_err();
    let free = fx.begin_registration(&ticket, &free).unwrap_err();
    assert_eq!(
        format!("{taken:?}"),
        format!("{free:?}"),
        "taken and free differ"
    );
    assert_error!(
        fx.authenticate_insured(&taro()),
        Error::TooManyAttempts { .. },
        "no new ticket before the lock ends"
    );
}

#[test]
fn one_ticket_sends_at_most_five_registration_mails() {
    let fx = fixture();
    let ticket = authenticated(&fx, &shoko());
    let to_target = |n: usize| with_email(&format!("target{n}@example.co.jp"));
    for n in 0..5 {
        fx.begin_registration(&ticket, &to_target(n)).unwrap();
    }
    assert_error!(
        fx.begin_registration(&ticket, &to_target(5)),
        Error::ResendLimitReached
    );
    assert_eq!(fx.mailer.sent().len(), 5);
    assert_eq!(
        fx.store.challenge_count(),
        1,
        "each new pending registration voids the last"
    );
}

/// The ticket's five mails hold after its 30 minutes too: once the ticket is over, its
/// pending registration is resent no more (its mail count was forgotten with it), and the
/// member starts again from 初回ログイン.
#[test]
fn a_pending_registration_is_not_resent_once_its_ticket_is_over() {
    let fx = fixture();
    let ticket = authenticated(&fx, &shoko());
    let to_target = |n: usize| with_email(&format!("target{n}@example.co.jp"));
    let mut pending = None;
    for n in 0..5 {
        pending = Some(fx.begin_registration(&ticket, &to_target(n)).unwrap());
    }
    fx.clock.advance(31 * MINUTE);
    assert_error!(fx.resend_code(&pending.unwrap()), Error::SignupExpired);
    assert_eq!(fx.mailer.sent().len(), 5);
}

#[test]
fn resends_count_against_the_tickets_mails_too() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    resend_minutely(&fx, &pending, 4);
    let ticket = authenticated(&fx, &shoko());
    let begin_again = || fx.begin_registration(&ticket, &registration_form());
    assert_error!(
        begin_again(),
        Error::TooManyAttempts { .. },
        "a new ticket does not refill the insured person's mails"
    );
    fx.clock.advance(15 * MINUTE);
    begin_again().unwrap();
}

#[test]
fn check_refuses_ceilings_above_a_hundred_zero_counts_and_sessions_past_a_day() {
    for too_high in [
        Config {
            login_failure_ceiling: 101,
            ..test_config()
        },
        Config {
            code_failure_ceiling: 1000,
            ..test_config()
        },
    ] {
        assert_error!(too_high.check(), ConfigError::CeilingTooHigh { .. });
    }
    let zero = Config {
        login_max_failures: 0,
        ..test_config()
    };
    assert_error!(zero.check(), ConfigError::Zero { .. });
    let a_day = Config {
        session_lifetime: Config::MAX_SESSION_LIFETIME,
        ..test_config()
    };
    assert!(a_day.check().is_ok());
    let past_a_day = Config {
        session_lifetime: Config::MAX_SESSION_LIFETIME + Duration::from_secs(1),
        ..test_config()
    };
    assert_error!(
        past_a_day.check(),
        ConfigError::SessionTooLong { seconds: 86_401 }
    );
    let fx = fixture_with(zero);
    assert_error!(fx.portal.check_config(), Error::Config(_));
    assert!(test_config().check().is_ok());
}

#[test]
fn a_lock_until_the_horizon_is_a_help_desk_matter_not_a_panic() {
    let fx = fixture_with(Config {
        login_lockout: std::time::Duration::MAX,
        ..test_config()
    });
    let user_id = register(&fx);
    fail_logins(&fx, USER_ID, 10);
    let error = assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
    assert!(
        error.message_ja().contains("お問い合わせ"),
        "{}",
        error.message_ja()
    );
    fx.unlock_account(&user_id).unwrap();
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}
