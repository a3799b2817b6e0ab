//! A logged-in member's session checked again on every request (`Portal::check_session`): it
//! ends when the password is changed or reset, the account is deleted, the help desk or the
//! member on another device ends the member's sessions, coverage ends, or twelve hours have passed since login, however busy the
//! session.

use std::time::Duration;

use kenpo_auth::{Error, LockState, SessionStamp, UserId};

use crate::support::*;

const HOUR: Duration = Duration::from_secs(60 * 60);

/// The registered member logged in: the fixture, the user ID and the session's stamp.
fn logged_in() -> (Fixture, UserId, SessionStamp) {
    let fx = registered();
    let (success, stamp) = fx.login_with_stamp(USER_ID, PASSWORD).unwrap();
    (fx, success.user_id, stamp)
}

#[test]
fn a_session_holds_while_nothing_changed() {
    let (fx, user_id, stamp) = logged_in();
    fx.check_session(&user_id, &stamp).unwrap();
    // Another login (another device) leaves it alone.
    fx.login(USER_ID, PASSWORD).unwrap();
    fx.clock.advance(HOUR);
    fx.check_session(&user_id, &stamp).unwrap();
}

#[test]
fn a_password_reset_ends_every_session() {
    let (fx, user_id, stamp) = logged_in();
    reset_to_new_password(&fx);
    assert_error!(fx.check_session(&user_id, &stamp), Error::SessionEnded);
}

#[test]
fn a_password_change_ends_the_other_sessions_and_a_new_stamp_keeps_this_one() {
    let (fx, user_id, other_device) = logged_in();
    let this_device = fx
        .change_password(&user_id, PASSWORD, NEW_PASSWORD)
        .unwrap();
    assert_error!(
        fx.check_session(&user_id, &other_device),
        Error::SessionEnded
    );
    fx.check_session(&user_id, &this_device).unwrap();
}

#[test]
fn a_deleted_account_ends_its_sessions_and_a_new_one_of_the_same_id_does_not_inherit_them() {
    let (fx, user_id, stamp) = logged_in();
    fx.help_desk_delete_account(&user_id).unwrap();
    assert_error!(fx.check_session(&user_id, &stamp), Error::SessionEnded);
    register(&fx);
    assert_error!(fx.check_session(&user_id, &stamp), Error::SessionEnded);
}

/// A lost phone: the help desk ends every session of the member, on every device; the member
/// logs in again at once with the same password, and that session holds. No clock decides:
/// the login comes in the same instant as the end.
#[test]
fn the_help_desk_ends_every_session_and_the_next_login_holds() {
    let (fx, user_id, phone) = logged_in();
    let laptop = fx.login_with_stamp(USER_ID, PASSWORD).unwrap().1;
    fx.help_desk_end_sessions(&user_id).unwrap();
    for stamp in [&phone, &laptop] {
        assert_error!(fx.check_session(&user_id, stamp), Error::SessionEnded);
    }
    let view = fx
        .help_desk_find("06139999", "1234", "567")
        .unwrap()
        .unwrap();
    assert_eq!(view.session_epoch, 1);
    fx.login(USER_ID, PASSWORD).unwrap();
    let again = fx.login_with_stamp(USER_ID, PASSWORD).unwrap().1;
    fx.check_session(&user_id, &again).unwrap();
    let nobody = UserId::parse("nobody01").unwrap();
    assert_error!(fx.help_desk_end_sessions(&nobody), Error::AccountNotFound);
}

/// The member ends their other sessions with the password: the others end, the stamp returned
/// holds for this one. A wrong password ends nothing and counts as a failed login.
#[test]
fn a_member_ends_their_other_sessions_with_the_password_and_keeps_this_one() {
    let (fx, user_id, phone) = logged_in();
    let laptop = fx.login_with_stamp(USER_ID, PASSWORD).unwrap().1;
    assert_error!(
        fx.end_other_sessions(&user_id, "Wrong#pass1"),
        Error::AuthenticationFailed
    );
    fx.check_session(&user_id, &phone).unwrap();
    let failures = fx
        .help_desk_find("06139999", "1234", "567")
        .unwrap()
        .unwrap();
    assert_eq!(failures.login, LockState::Open { failures: 1 });
    let laptop_now = fx.end_other_sessions(&user_id, PASSWORD).unwrap();
    for ended in [&phone, &laptop] {
        assert_error!(fx.check_session(&user_id, ended), Error::SessionEnded);
    }
    fx.check_session(&user_id, &laptop_now).unwrap();
    // Another end, from the help desk this time, ends the stamp it returned too.
    fx.help_desk_end_sessions(&user_id).unwrap();
    assert_error!(fx.check_session(&user_id, &laptop_now), Error::SessionEnded);
}

#[test]
fn coverage_that_ends_ends_the_session() {
    let (fx, user_id, stamp) = logged_in();
    assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap());
    assert_error!(fx.check_session(&user_id, &stamp), Error::CoverageEnded);
}

#[test]
fn a_session_ends_twelve_hours_after_login_however_busy() {
    let (fx, user_id, stamp) = logged_in();
    for _ in 0..11 {
        fx.clock.advance(HOUR);
        fx.check_session(&user_id, &stamp).unwrap();
    }
    fx.clock.advance(Duration::from_secs(3599));
    fx.check_session(&user_id, &stamp).unwrap();
    fx.clock.advance(Duration::from_secs(1));
    assert_error!(fx.check_session(&user_id, &stamp), Error::SessionEnded);
}

#[test]
fn a_stamp_is_good_only_for_the_user_id_it_was_issued_to() {
    let (fx, _, stamp) = logged_in();
    let ticket = authenticated(&fx, &taro());
    let pending = fx
        .begin_registration(&ticket, &with_user_id("TARO00001"))
        .unwrap();
    let taro_id = fx.confirm_registration(&pending, &last_code(&fx)).unwrap();
    assert_error!(fx.check_session(&taro_id, &stamp), Error::SessionEnded);
    // Nor one of another portal's key, or one made up.
    let forged: SessionStamp = serde_json::from_str(&format!("\"{}\"", "ab".repeat(40))).unwrap();
    assert_error!(fx.check_session(&taro_id, &forged), Error::SessionEnded);
}

#[test]
fn a_stamp_is_refused_for_an_account_that_does_not_exist() {
    let (fx, _, stamp) = logged_in();
    let nobody = UserId::parse("NOBODY0001").unwrap();
    assert_error!(fx.check_session(&nobody, &stamp), Error::SessionEnded);
}
