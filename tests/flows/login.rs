//! Step 1-5: login, lockout, the same answer for unknown IDs, rehash; and step 1-6, terms.

use std::time::Duration;

use crate::support::*;
use kenpo_auth::{Config, Error, HashParams, PasswordHasher, Portal, TermsVersion};

#[test]
fn right_password_logs_in() {
    let fx = fixture();
    register(&fx);
    let success = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap();
    assert_eq!(success.user_id.as_str(), USER_ID);
}

#[test]
fn user_id_is_compared_case_sensitively() {
    let fx = fixture();
    register(&fx);
    let error = block_on(fx.portal.login(&USER_ID.to_lowercase(), PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::AuthenticationFailed), "{error:?}");
}

#[test]
fn wrong_password_and_unknown_id_get_the_same_answer() {
    let fx = fixture();
    register(&fx);
    let wrong_password = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    let unknown_id = block_on(fx.portal.login("nobody999", PASSWORD)).unwrap_err();
    let malformed_id = block_on(fx.portal.login("x", PASSWORD)).unwrap_err();
    assert!(matches!(wrong_password, Error::AuthenticationFailed));
    assert!(matches!(unknown_id, Error::AuthenticationFailed));
    assert!(matches!(malformed_id, Error::AuthenticationFailed));
    assert_eq!(wrong_password.message_ja(), unknown_id.message_ja());
    assert_eq!(wrong_password.to_string(), unknown_id.to_string());
    assert_eq!(wrong_password.message_ja(), malformed_id.message_ja());
}

#[test]
fn ten_failures_lock_for_thirty_minutes_even_against_the_right_password() {
    let fx = fixture();
    register(&fx);
    for _ in 0..10 {
        let error = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
        assert!(matches!(error, Error::AuthenticationFailed), "{error:?}");
    }
    let locked = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(
        matches!(locked, Error::AccountLocked { retry_after } if retry_after == 30 * MINUTE),
        "{locked:?}"
    );
    let wrong_while_locked = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
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
    assert!(matches!(
        block_on(fx.portal.login(USER_ID, PASSWORD)),
        Err(Error::AccountLocked { .. })
    ));
    fx.clock.advance(Duration::from_secs(1));
    assert!(
        block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok(),
        "unlocked after thirty minutes"
    );
}

#[test]
fn nine_failures_then_success_resets_the_count() {
    let fx = fixture();
    register(&fx);
    for _ in 0..9 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    }
    block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap();
    for _ in 0..9 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    }
    assert!(block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok());
}

#[test]
fn the_tenth_attempt_is_still_checked() {
    let fx = fixture();
    register(&fx);
    for _ in 0..9 {
        block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    }
    assert!(block_on(fx.portal.login(USER_ID, PASSWORD)).is_ok());
}

#[test]
fn unknown_ids_lock_like_known_ones() {
    let fx = fixture();
    for _ in 0..10 {
        block_on(fx.portal.login("nobody999", WRONG_PASSWORD)).unwrap_err();
    }
    let error = block_on(fx.portal.login("nobody999", WRONG_PASSWORD)).unwrap_err();
    assert!(
        matches!(error, Error::AccountLocked { .. }),
        "no enumeration through the lock: {error:?}"
    );
}

#[test]
fn login_rehashes_outdated_hashes() {
    let fx = fixture();
    register(&fx);
    let old_hash = fx.store.accounts()[0].password_hash.clone();
    let stronger = HashParams {
        iterations: HashParams::insecure_for_tests().iterations + 1,
        ..HashParams::insecure_for_tests()
    };
    let portal = Portal::new(
        fx.store.clone(),
        fx.mailer.clone(),
        Config {
            hash_params: stronger,
            ..test_config()
        },
    )
    .with_clock(fx.clock.clone());
    block_on(portal.login(USER_ID, PASSWORD)).unwrap();
    let new_hash = fx.store.accounts()[0].password_hash.clone();
    assert_ne!(old_hash, new_hash);
    let hasher = PasswordHasher::new(stronger).unwrap();
    assert!(!hasher.needs_rehash(&new_hash));
    assert!(hasher.verify(PASSWORD, &new_hash).unwrap());
    block_on(portal.login(USER_ID, PASSWORD)).unwrap();
    assert_eq!(
        fx.store.accounts()[0].password_hash,
        new_hash,
        "no rehash when current"
    );
}

#[test]
fn first_login_asks_for_consent_then_not_until_the_terms_change() {
    let fx = fixture();
    let user_id = register(&fx);
    assert!(
        block_on(fx.portal.login(USER_ID, PASSWORD))
            .unwrap()
            .terms_consent_required
    );
    block_on(fx.portal.accept_terms(&user_id, TermsVersion::new(1))).unwrap();
    assert!(
        !block_on(fx.portal.login(USER_ID, PASSWORD))
            .unwrap()
            .terms_consent_required
    );

    let revised = Portal::new(
        fx.store.clone(),
        fx.mailer.clone(),
        Config {
            terms_version: TermsVersion::new(2),
            ..test_config()
        },
    )
    .with_clock(fx.clock.clone());
    assert!(
        block_on(revised.login(USER_ID, PASSWORD))
            .unwrap()
            .terms_consent_required
    );
    block_on(revised.accept_terms(&user_id, TermsVersion::new(2))).unwrap();
    assert!(
        !block_on(revised.login(USER_ID, PASSWORD))
            .unwrap()
            .terms_consent_required
    );
}

#[test]
fn consent_to_terms_that_do_not_exist_is_refused() {
    let fx = fixture();
    let user_id = register(&fx);
    let error = block_on(fx.portal.accept_terms(&user_id, TermsVersion::new(2))).unwrap_err();
    assert!(matches!(error, Error::UnknownTermsVersion), "{error:?}");
    let nobody = kenpo_auth::UserId::parse("nobody999").unwrap();
    let error = block_on(fx.portal.accept_terms(&nobody, TermsVersion::new(1))).unwrap_err();
    assert!(matches!(error, Error::AccountNotFound), "{error:?}");
}

#[test]
fn bad_hash_parameters_surface_as_errors_not_panics() {
    let fx = fixture_with(Config {
        hash_params: HashParams {
            memory_kib: 0,
            iterations: 0,
            parallelism: 0,
        },
        ..test_config()
    });
    assert!(fx.portal.check_config().is_err());
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::Hashing(_)), "{error:?}");
}
