//! Step 1-5: login, lockout, the same answer for unknown IDs, rehash; and step 1-6, terms.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::{Config, Error, HashParams, PasswordHasher, Portal, TermsVersion};

#[test]
fn right_password_logs_in() {
    let fx = registered();
    let success = fx.login(USER_ID, PASSWORD).unwrap();
    assert_eq!(success.user_id.as_str(), USER_ID);
}

#[test]
fn user_id_is_compared_case_sensitively() {
    let fx = registered();
    assert_error!(
        fx.login(&USER_ID.to_lowercase(), PASSWORD),
        Error::AuthenticationFailed
    );
}

#[test]
fn wrong_password_and_unknown_id_get_the_same_answer() {
    let fx = registered();
    let refused = |user_id: &str, password: &str| {
        assert_error!(fx.login(user_id, password), Error::AuthenticationFailed)
    };
    let wrong_password = refused(USER_ID, WRONG_PASSWORD);
    let unknown_id = refused("nobody999", PASSWORD);
    let malformed_id = refused("x", PASSWORD);
    assert_eq!(wrong_password.message_ja(), unknown_id.message_ja());
    assert_eq!(wrong_password.to_string(), unknown_id.to_string());
    assert_eq!(wrong_password.message_ja(), malformed_id.message_ja());
}

#[test]
fn ten_failures_lock_for_thirty_minutes_even_against_the_right_password() {
    let fx = registered();
    fail_logins(&fx, USER_ID, 10);
    let locked = assert_error!(
        fx.login(USER_ID, PASSWORD),
        Error::AccountLocked { retry_after } if retry_after == 30 * MINUTE
    );
    let wrong_while_locked = fx.login(USER_ID, WRONG_PASSWORD).unwrap_err();
    assert_eq!(
        locked.message_ja(),
        wrong_while_locked.message_ja(),
        "the lock must not tell right from wrong"
    );
    assert!(
        locked.message_ja().contains("30分"),
        "{}",
        locked.message_ja()
    );
    fx.clock.advance(29 * MINUTE + Duration::from_secs(59));
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
    fx.clock.advance(Duration::from_secs(1));
    assert!(
        fx.login(USER_ID, PASSWORD).is_ok(),
        "unlocked after thirty minutes"
    );
}

#[test]
fn nine_failures_then_success_resets_the_count() {
    let fx = registered();
    fail_logins(&fx, USER_ID, 9);
    fx.login(USER_ID, PASSWORD).unwrap();
    fail_logins(&fx, USER_ID, 9);
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

#[test]
fn the_tenth_attempt_is_still_checked() {
    let fx = registered();
    fail_logins(&fx, USER_ID, 9);
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

#[test]
fn unknown_ids_lock_like_known_ones() {
    let fx = fixture();
    fail_logins(&fx, "nobody999", 10);
    assert_error!(
        fx.login("nobody999", WRONG_PASSWORD),
        Error::AccountLocked { .. },
        "no enumeration through the lock"
    );
}

/// A second portal on the fixture's store, mailer and clock, under `config`: the same
/// database after the host changed its settings.
fn reconfigured(fx: &Fixture, config: Config) -> TestPortal {
    Portal::new(fx.store.clone(), fx.mailer.clone(), config).with_clock(fx.clock.clone())
}

#[test]
fn login_rehashes_outdated_hashes_and_stamps_its_session_with_the_new_one() {
    let fx = registered();
    let old_hash = fx.store.accounts()[0].password_hash.clone();
    let cheap = HashParams::insecure_for_tests();
    let stronger = HashParams::new(
        cheap.memory_kib(),
        cheap.iterations() + 1,
        cheap.parallelism(),
    )
    .unwrap();
    let portal = reconfigured(
        &fx,
        Config {
            hash_params: stronger.clone(),
            ..test_config()
        },
    );
    let (success, stamp) = block_on(portal.login_with_stamp(USER_ID, PASSWORD)).unwrap();
    let new_hash = fx.store.accounts()[0].password_hash.clone();
    assert_ne!(old_hash, new_hash);
    // The session the rehashing login started is stamped with the hash it stored.
    block_on(portal.check_session(&success.user_id, &stamp)).unwrap();
    let hasher = PasswordHasher::new(stronger);
    assert!(!hasher.needs_rehash(&new_hash));
    assert!(hasher.verify(PASSWORD, &new_hash).unwrap());
    block_on(portal.login(USER_ID, PASSWORD)).unwrap();
    assert_eq!(
        fx.store.accounts()[0].password_hash,
        new_hash,
        "no rehash when current"
    );
}

/// Whether `portal`'s login of the member asks for consent to the terms.
fn consent_required(portal: &TestPortal) -> bool {
    block_on(portal.login(USER_ID, PASSWORD))
        .unwrap()
        .terms_consent_required
}

#[test]
fn first_login_asks_for_consent_then_not_until_the_terms_change() {
    let fx = fixture();
    let user_id = register(&fx);
    assert!(consent_required(&fx.portal));
    fx.accept_terms(&user_id, TermsVersion::new(1)).unwrap();
    assert!(!consent_required(&fx.portal));

    let revised = reconfigured(
        &fx,
        Config {
            terms_version: TermsVersion::new(2),
            ..test_config()
        },
    );
    assert!(consent_required(&revised));
    block_on(revised.accept_terms(&user_id, TermsVersion::new(2))).unwrap();
    assert!(!consent_required(&revised));
}

#[test]
fn consent_to_terms_that_do_not_exist_is_refused() {
    let fx = fixture();
    let user_id = register(&fx);
    assert_error!(
        fx.accept_terms(&user_id, TermsVersion::new(2)),
        Error::UnknownTermsVersion
    );
    let nobody = kenpo_auth::UserId::parse("nobody999").unwrap();
    assert_error!(
        fx.accept_terms(&nobody, TermsVersion::new(1)),
        Error::AccountNotFound
    );
}

#[test]
fn bad_hash_parameters_cannot_reach_a_portal() {
    // The parameters are checked where they are made, so a portal always has a working hasher.
    assert!(HashParams::new(0, 0, 0).is_err());
    assert!(
        serde_json::from_str::<HashParams>(
            r#"{"memory_kib": 0, "iterations": 0, "parallelism": 0}"#
        )
        .is_err()
    );
}
