//! No user enumeration: the same answers whether or not an account exists, whether or not mail
//! can be sent, and in an order that tells nothing.

use crate::support::*;
use kenpo_auth::{Config, Error, IdentityForm, PasswordHash, Store as _};

#[test]
fn reset_answers_the_same_when_mail_fails() {
    let fx = registered();
    fx.mailer.set_failing(true);
    let known = fx.request_password_reset(USER_ID);
    let unknown = fx.request_password_reset("nobody999");
    assert!(known.is_ok() && unknown.is_ok(), "{known:?} / {unknown:?}");
    for ticket in [known.unwrap(), unknown.unwrap()] {
        assert_error!(
            fx.reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
            Error::CodeMismatch { remaining: 4 }
        );
    }
}

#[test]
fn reminder_answers_the_same_when_mail_fails() {
    let fx = registered();
    fx.mailer.set_failing(true);
    assert!(fx.remind_user_id(&shoko(), EMAIL).is_ok());
    assert!(fx.remind_user_id(&taro(), EMAIL).is_ok());
}

#[test]
fn a_registered_persons_ticket_says_already_registered_before_anything_about_user_ids() {
    let fx = fixture();
    // Two tickets for one person; the first one registers.
    let first = authenticated(&fx, &shoko());
    let second = authenticated(&fx, &shoko());
    register_with(&fx, &first);
    for user_id in [USER_ID, "free.user.id", "ngk000123"] {
        let error = fx
            .begin_registration(&second, &with_user_id(user_id))
            .unwrap_err();
        assert!(
            matches!(error, Error::AlreadyRegistered),
            "{user_id}: {error:?}"
        );
    }
}

#[test]
fn identity_failures_give_one_answer_whichever_field_differs() {
    let fx = fixture();
    let answer = |form: &IdentityForm| fx.authenticate_insured(form).unwrap_err().to_string();
    assert_eq!(answer(&unknown_number()), answer(&shoko_wrong_birth()));
}

#[test]
fn locks_and_ceilings_read_the_same_for_known_and_unknown_ids() {
    let fx = registered();
    for user_id in [USER_ID, "nobody999"] {
        fail_logins(&fx, user_id, 10);
    }
    let known = fx.login(USER_ID, WRONG_PASSWORD).unwrap_err();
    let unknown = fx.login("nobody999", WRONG_PASSWORD).unwrap_err();
    assert_eq!(known.to_string(), unknown.to_string());
    assert_eq!(known.message_ja(), unknown.message_ja());
}

#[test]
fn a_huge_password_answers_like_a_wrong_one_and_counts() {
    let fx = registered();
    let huge = "A#1".repeat(5 * 1024 * 1024);
    for _ in 0..10 {
        assert_error!(fx.login(USER_ID, &huge), Error::AuthenticationFailed);
    }
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
}

/// A stored hash within the cost the hasher accepts, but needing more argon2 memory than the
/// whole pool holds (the parameters were lowered, or fewer hashes may run at once than
/// before): it answers as a wrong password does, and counts, rather than answering a
/// different error at once that tells the account exists.
#[test]
fn a_stored_hash_beyond_the_pools_memory_answers_like_a_wrong_password_and_counts() {
    let config = Config {
        max_concurrent_hashes: 1,
        ..test_config()
    };
    let fx = fixture_with(config);
    register(&fx);
    let account = fx.store.accounts().pop().unwrap();
    // Four times the live memory (8 KiB): accepted by the hasher, four permits of a pool of one.
    let costly = PasswordHash::from_phc(
        "$argon2id$v=19$m=32,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
         AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    let key = account.user_id.key();
    let stored = fx
        .store
        .update_password_hash(&key, &account.password_hash, costly);
    assert!(block_on(stored).unwrap());
    for _ in 0..10 {
        assert_error!(fx.login(USER_ID, PASSWORD), Error::AuthenticationFailed);
    }
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AccountLocked { .. });
}

#[test]
fn a_stored_hash_too_costly_to_run_answers_like_a_wrong_password() {
    let fx = registered();
    store_too_costly_hash(&fx);
    let login = fx.login(USER_ID, PASSWORD);
    // That argon2 was not run is checked through the audit trail (`audit.rs`).
    assert_error!(login, Error::AuthenticationFailed);
}
