//! The help desk: find an account by the insured person's card, see why it cannot log in,
//! unlock it, delete it — each an audit event, nothing secret shown.

use kenpo_auth::{CoverageEnd, CoverageState, Error, LockState};

use crate::support::*;

fn find_shoko(fx: &Fixture) -> kenpo_auth::HelpDeskView {
    fx.help_desk_find("06139999", "1234", "567")
        .unwrap()
        .expect("ケンポ ショウコ has an account")
}

#[test]
fn the_desk_finds_the_account_by_the_card_and_masks_the_address() {
    let fx = registered();
    assert_eq!(
        fx.help_desk_find("06139999", "1234", "568").unwrap(),
        None,
        "no account"
    );
    let view = find_shoko(&fx);
    assert_eq!(view.user_id.as_str(), USER_ID);
    assert_eq!(view.masked_email, "s****@example.co.jp");
    assert_eq!(view.last_login_at, None);
    assert_eq!(view.login, LockState::Open { failures: 0 });
    assert_eq!(view.coverage, CoverageState::Covered);
    fx.login(USER_ID, PASSWORD).unwrap();
    assert_eq!(find_shoko(&fx).last_login_at, Some(start()));
    // Typed as on the card, full-width included.
    assert!(
        fx.help_desk_find("０６１３９９９９", "１２３４", "５６７")
            .unwrap()
            .is_some()
    );
    assert_error!(fx.help_desk_find("06139999", "", "567"), Error::Form(_));
    let shown = format!("{view:?} {}", serde_json::to_string(&view).unwrap());
    assert!(
        !shown.contains(EMAIL) && !shown.contains("$argon2"),
        "{shown}"
    );
}

#[test]
fn the_desk_sees_why_a_member_cannot_log_in() {
    let fx = registered();
    fail_logins(&fx, USER_ID, 10);
    let view = find_shoko(&fx);
    assert!(
        matches!(view.login, LockState::Locked { failures: 10, retry_after } if retry_after == MINUTE * 30),
        "{:?}",
        view.login
    );
    fail_logins_waiting_out_locks(&fx, USER_ID, 90);
    assert_eq!(
        find_shoko(&fx).login,
        LockState::Suspended { failures: 100 }
    );
    // Looking counted nothing, and unlocking opens the door.
    assert_eq!(
        find_shoko(&fx).login,
        LockState::Suspended { failures: 100 }
    );
    let user_id = find_shoko(&fx).user_id;
    fx.unlock_account(&user_id).unwrap();
    assert_eq!(find_shoko(&fx).login, LockState::Open { failures: 0 });
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

#[test]
fn the_desk_sees_coverage() {
    let fx = registered();
    let later = CoverageEnd::new(2027, 4, 1).unwrap();
    fx.end_coverage(&shoko_key(), later).unwrap();
    assert_eq!(find_shoko(&fx).coverage, CoverageState::Ends(later));
    fx.end_coverage(&shoko_key(), yesterday()).unwrap();
    assert_eq!(find_shoko(&fx).coverage, CoverageState::Ended(yesterday()));
}

#[test]
fn deleting_an_account_lets_the_person_register_again() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    let user_id = find_shoko(&fx).user_id;
    fx.help_desk_delete_account(&user_id).unwrap();
    assert_eq!(fx.help_desk_find("06139999", "1234", "567").unwrap(), None);
    assert_error!(fx.login(USER_ID, PASSWORD), Error::AuthenticationFailed);
    assert_error!(
        fx.reset_password(&ticket, &code, NEW_PASSWORD),
        Error::ChallengeGone,
        "its codes went with it"
    );
    assert_error!(
        fx.help_desk_delete_account(&user_id),
        Error::AccountNotFound
    );
    register(&fx);
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

/// ケンポ ショウコ (union 06139999) registered, and a member of union 06130001 too.
fn two_unions() -> (Fixture, kenpo_auth::UserId, kenpo_auth::UserId) {
    let fx = registered();
    let birth = kenpo_auth::BirthDate::new(1970, 1, 2).unwrap();
    let other = kenpo_auth::InsuredRecord::new("06130001", "7", "1", birth, "タニン イチロウ");
    fx.store.add_insured(other.unwrap());
    let identity = kenpo_auth::IdentityForm {
        insurer_code: "06130001".into(),
        symbol: "7".into(),
        number: "1".into(),
        birth_date: "1970-01-02".into(),
        name_kana: "タニン イチロウ".into(),
    };
    let ticket = authenticated(&fx, &identity);
    let pending = fx
        .begin_registration(&ticket, &with_user_id("OTHER0001"))
        .unwrap();
    let other_member = fx.confirm_registration(&pending, &last_code(&fx)).unwrap();
    let shoko = kenpo_auth::UserId::parse(USER_ID).unwrap();
    (fx, shoko, other_member)
}

#[test]
fn a_unions_desk_serves_its_own_members_only() {
    let (fx, shoko, other_member) = two_unions();
    fail_logins(&fx, "OTHER0001", 10);
    let desk = fx.portal.help_desk_of("０６１３９９９９").unwrap();
    assert_eq!(desk.insurer_code(), "06139999");
    assert!(block_on(desk.find("7", "1")).unwrap().is_none());
    assert!(
        block_on(fx.portal.help_desk_of("06130001").unwrap().find("7", "1"))
            .unwrap()
            .is_some()
    );
    assert_error!(
        block_on(desk.unlock_account(&other_member)),
        Error::AccountNotFound
    );
    assert_error!(
        block_on(desk.end_sessions(&other_member)),
        Error::AccountNotFound
    );
    assert_error!(
        block_on(desk.delete_account(&other_member)),
        Error::AccountNotFound
    );
    // Nothing happened to the other union's member: still locked, still there.
    let view = fx.help_desk_find("06130001", "7", "1").unwrap().unwrap();
    assert!(matches!(view.login, LockState::Locked { .. }), "{view:?}");
    assert_eq!(view.session_epoch, 0);
    // The own member: every operation goes through.
    assert!(block_on(desk.find("1234", "567")).unwrap().is_some());
    block_on(desk.unlock_account(&shoko)).unwrap();
    block_on(desk.end_sessions(&shoko)).unwrap();
    block_on(desk.delete_account(&shoko)).unwrap();
    assert!(
        fx.help_desk_find("06139999", "1234", "567")
            .unwrap()
            .is_none()
    );
    assert_error!(fx.portal.help_desk_of("0613-9999"), Error::Form(_));
}
