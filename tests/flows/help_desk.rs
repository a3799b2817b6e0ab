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
