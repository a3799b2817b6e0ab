//! No user enumeration: the same answers whether or not an account exists, whether or not mail
//! can be sent, and in an order that tells nothing.

use crate::support::*;
use kenpo_auth::{Error, IdentityForm, RegistrationForm};

#[test]
fn reset_answers_the_same_when_mail_fails() {
    let fx = fixture();
    register(&fx);
    fx.mailer.set_failing(true);
    let known = block_on(fx.portal.request_password_reset(USER_ID));
    let unknown = block_on(fx.portal.request_password_reset("nobody999"));
    assert!(known.is_ok() && unknown.is_ok(), "{known:?} / {unknown:?}");
    for ticket in [known.unwrap(), unknown.unwrap()] {
        let error = block_on(
            fx.portal
                .reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
        )
        .unwrap_err();
        assert!(
            matches!(error, Error::CodeMismatch { remaining: 4 }),
            "{error:?}"
        );
    }
}

#[test]
fn reminder_answers_the_same_when_mail_fails() {
    let fx = fixture();
    register(&fx);
    fx.mailer.set_failing(true);
    assert!(block_on(fx.portal.remind_user_id(&shoko(), EMAIL)).is_ok());
    assert!(block_on(fx.portal.remind_user_id(&taro(), EMAIL)).is_ok());
}

#[test]
fn a_registered_persons_ticket_says_already_registered_before_anything_about_user_ids() {
    let fx = fixture();
    // Two tickets for one person; the first one registers.
    let first = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let second = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let pending = block_on(fx.portal.begin_registration(&first, &registration_form())).unwrap();
    block_on(fx.portal.confirm_registration(&pending, &last_code(&fx))).unwrap();
    for user_id in [USER_ID, "free.user.id", "ngk000123"] {
        let form = RegistrationForm {
            user_id: user_id.into(),
            ..registration_form()
        };
        let error = block_on(fx.portal.begin_registration(&second, &form)).unwrap_err();
        assert!(
            matches!(error, Error::AlreadyRegistered),
            "{user_id}: {error:?}"
        );
    }
}

#[test]
fn identity_failures_give_one_answer_whichever_field_differs() {
    let fx = fixture();
    let forms = [
        IdentityForm {
            number: "999".into(),
            ..shoko()
        },
        shoko_wrong_birth(),
    ];
    let answers: Vec<String> = forms
        .iter()
        .map(|form| {
            block_on(fx.portal.authenticate_insured(form))
                .unwrap_err()
                .to_string()
        })
        .collect();
    assert_eq!(answers[0], answers[1]);
}

#[test]
fn locks_and_ceilings_read_the_same_for_known_and_unknown_ids() {
    let fx = fixture();
    register(&fx);
    for user_id in [USER_ID, "nobody999"] {
        for _ in 0..10 {
            block_on(fx.portal.login(user_id, WRONG_PASSWORD)).unwrap_err();
        }
    }
    let known = block_on(fx.portal.login(USER_ID, WRONG_PASSWORD)).unwrap_err();
    let unknown = block_on(fx.portal.login("nobody999", WRONG_PASSWORD)).unwrap_err();
    assert_eq!(known.to_string(), unknown.to_string());
    assert_eq!(known.message_ja(), unknown.message_ja());
}

#[test]
fn a_huge_password_answers_like_a_wrong_one_and_counts() {
    let fx = fixture();
    register(&fx);
    let huge = "A#1".repeat(5 * 1024 * 1024);
    for _ in 0..10 {
        let error = block_on(fx.portal.login(USER_ID, &huge)).unwrap_err();
        assert!(matches!(error, Error::AuthenticationFailed), "{error:?}");
    }
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::AccountLocked { .. }), "{error:?}");
}

#[test]
fn a_stored_hash_too_costly_to_run_answers_like_a_wrong_password() {
    let fx = fixture();
    register(&fx);
    let account = fx.store.accounts().pop().unwrap();
    // Four times the test parameters is m=32; this asks for 1 GiB and 64 passes.
    let tampered = kenpo_auth::PasswordHash::from_phc(
        "$argon2id$v=19$m=1048576,t=64,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
         AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    assert!(
        block_on(kenpo_auth::Store::update_password_hash(
            &fx.store,
            &account.user_id.key(),
            &account.password_hash,
            tampered
        ))
        .unwrap()
    );
    let error = block_on(fx.portal.login(USER_ID, PASSWORD)).unwrap_err();
    // That argon2 was not run is checked through the audit trail (`audit.rs`).
    assert!(matches!(error, Error::AuthenticationFailed), "{error:?}");
}
