//! An insurer gives a former member's 記号・番号 to someone else: the account stays with the
//! person who registered it (its date of birth), so the former member cannot log in to the new
//! holder's portal, and the new holder's first authentication retires the old account instead
//! of answering "already registered" for ever.

use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{CoverageState, Error, RegistrationForm};

use crate::support::*;

fn yoko_registration() -> RegistrationForm {
    RegistrationForm {
        user_id: "NGK000999".into(),
        password: "Yoko#2030pass".into(),
        email: "yoko@example.co.jp".into(),
    }
}

/// The two ways a number changes hands: in one monthly file (the row of 567 now names someone
/// else), or by the insurer adding the new holder after the former member left.
const WAYS: [&str; 2] = ["replaced in one import", "added after leaving"];

fn reissue(fx: &Fixture, how: &str) {
    match how {
        "replaced in one import" => {
            let roster: Vec<RosterEntry> = ["567", "568", "569"]
                .iter()
                .enumerate()
                .map(|(index, number)| {
                    let key = kenpo_auth::InsuredKey::new("06139999", "1234", number).unwrap();
                    let record = if *number == "567" {
                        yoko_record()
                    } else {
                        block_on(kenpo_auth::Store::find_insured(&fx.store, &key))
                            .unwrap()
                            .unwrap()
                    };
                    RosterEntry::new(index as u64 + 2, Some(record))
                })
                .collect();
            let report = block_on(
                fx.portal
                    .import_roster("06139999", roster, ImportMode::Apply),
            )
            .unwrap();
            assert_eq!((report.changed, report.unchanged), (1, 2), "{report:?}");
        }
        "added after leaving" => {
            assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap());
            fx.clock.advance(DAY * 365);
            fx.store.add_insured(yoko_record());
        }
        _ => unreachable!(),
    }
}

#[test]
fn the_former_member_cannot_log_in_to_the_new_holders_portal() {
    for how in WAYS {
        let fx = registered();
        let (_, stamp) = fx.login_with_stamp(USER_ID, PASSWORD).unwrap();
        reissue(&fx, how);
        assert_error!(
            fx.login(USER_ID, PASSWORD),
            Error::CoverageEnded,
            "{how}: login"
        );
        if how == "replaced in one import" {
            // (A year later the session is over by its age.)
            let user_id = kenpo_auth::UserId::parse(USER_ID).unwrap();
            assert_error!(
                fx.check_session(&user_id, &stamp),
                Error::CoverageEnded,
                "{how}: a session from before"
            );
        }
        let mails = fx.mailer.sent().len();
        fx.request_password_reset(USER_ID).unwrap();
        fx.remind_user_id(&shoko(), EMAIL).unwrap();
        assert_eq!(fx.mailer.sent().len(), mails, "{how}: nothing mailed");
        let view = fx.help_desk_find("06139999", "1234", "567").unwrap();
        assert_eq!(
            view.map(|view| view.coverage),
            Some(CoverageState::PersonChanged),
            "{how}"
        );
    }
}

#[test]
fn the_new_holder_registers_and_the_former_account_is_retired() {
    for how in WAYS {
        let fx = registered();
        reissue(&fx, how);
        let ticket = fx.authenticate_insured(&yoko()).unwrap();
        assert!(
            fx.help_desk_find("06139999", "1234", "567")
                .unwrap()
                .is_none(),
            "{how}: the former account is gone"
        );
        let pending = fx
            .begin_registration(&ticket, &yoko_registration())
            .unwrap();
        let user_id = fx.confirm_registration(&pending, &last_code(&fx)).unwrap();
        assert_eq!(user_id.as_str(), "NGK000999");
        assert!(fx.login("NGK000999", "Yoko#2030pass").is_ok(), "{how}");
        assert_error!(
            fx.login(USER_ID, PASSWORD),
            Error::AuthenticationFailed,
            "{how}: the former user ID holds nothing"
        );
        // The new holder is the registered person now: a second first authentication is a
        // second registration.
        assert_error!(
            fx.authenticate_insured(&yoko()),
            Error::AlreadyRegistered,
            "{how}"
        );
    }
}

#[test]
fn the_new_holder_is_never_reminded_of_the_former_members_user_id() {
    let fx = registered();
    reissue(&fx, "replaced in one import");
    let mails = fx.mailer.sent().len();
    // Someone who knows the former member's address, with the new holder's identity.
    fx.remind_user_id(&yoko(), EMAIL).unwrap();
    assert_eq!(fx.mailer.sent().len(), mails);
}

#[test]
fn a_member_who_comes_back_under_their_own_number_keeps_their_account() {
    let fx = registered();
    assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap());
    fx.clock.advance(DAY * 365);
    assert!(fx.restore_coverage(&shoko_key()).unwrap());
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
    assert_error!(fx.authenticate_insured(&shoko()), Error::AlreadyRegistered);
}
