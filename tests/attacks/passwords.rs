//! Wrong passwords against one account, for as long as the attacker likes: at most 100 are
//! ever evaluated (NIST SP 800-63B §3.2.2), and the member gets back in with a password reset.

use kenpo_auth::{Error, ManualClock, MemoryStore, Portal, RecordingMailer};

use crate::sim::*;

const WRONG: &str = "Guess#0001x";

type Sim = Portal<MemoryStore, RecordingMailer, ManualClock>;

/// The attacker tries a wrong password whenever the portal lets them, and checks back every
/// hour once it does not.
fn attack(world: &mut World, target: &str) {
    guess_through(world, |portal| {
        block_on(portal.login(target, WRONG)).map(drop)
    });
}

/// Guesses with `guess` whenever the portal lets it, and checks back every hour once it does
/// not; every `AuthenticationFailed` was an evaluated guess.
fn guess_through(world: &mut World, mut guess: impl FnMut(&Sim) -> Result<(), Error>) {
    while world.running() {
        match guess(&world.portal) {
            Err(Error::AuthenticationFailed) => {
                world.evaluated();
                world.wait(SECOND);
            }
            Err(Error::AccountLocked { retry_after }) => world.wait(retry_after),
            Err(Error::LoginSuspended) => world.wait(HOUR),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn thirty_days_of_wrong_passwords_evaluate_at_most_a_hundred() {
    let mut world = World::new(1, 30);
    attack(&mut world, &user_id(0));
    world.report("wrong passwords, 30 days");
    assert_eq!(world.total(), 100, "the ceiling, reached, and not one more");
    assert!(world.per_day[0] <= 60, "first day: {}", world.per_day[0]);
    // The member's right password no longer works; a password reset gets them back in.
    let error = block_on(world.portal.login(&user_id(0), PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::LoginSuspended), "{error:?}");
    let ticket = block_on(world.portal.request_password_reset(&user_id(0))).unwrap();
    let code = world.mailer.last_code().unwrap();
    block_on(world.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
    block_on(world.portal.login(&user_id(0), NEW_PASSWORD)).unwrap();
}

/// A thief holding a member's session guesses the password through every door that asks for
/// it — the login, the password change, the e-mail change, logging the other devices out — in
/// turn. The doors share the login's budget: no more guesses are evaluated than through the
/// login alone, and none of them changed anything.
#[test]
fn a_stolen_session_gets_no_more_guesses_through_the_settings() {
    let mut world = World::new(1, 30);
    let target = member(0);
    let mut door = 0_usize;
    guess_through(&mut world, |portal| {
        door += 1;
        match door % 4 {
            0 => block_on(portal.login(target.as_str(), WRONG)).map(drop),
            1 => block_on(portal.change_password(&target, WRONG, NEW_PASSWORD)).map(drop),
            2 => block_on(portal.begin_email_change(&target, WRONG, "thief@example.com")).map(drop),
            _ => block_on(portal.end_other_sessions(&target, WRONG)).map(drop),
        }
    });
    world.report("wrong passwords through every door, 30 days");
    assert_eq!(
        world.total(),
        100,
        "the login's ceiling, shared by every door"
    );
    assert!(world.mailer.take().is_empty(), "a door mailed something");
}

#[test]
fn a_year_of_wrong_passwords_evaluates_no_more() {
    let mut world = World::new(1, 365);
    attack(&mut world, &user_id(0));
    world.report("wrong passwords, 365 days");
    assert_eq!(world.total(), 100);
}

#[test]
fn an_unknown_user_id_is_attacked_the_same_way() {
    let mut world = World::new(1, 30);
    attack(&mut world, "NGK999999");
    assert_eq!(
        world.total(),
        100,
        "unknown IDs must not be told apart by their budget"
    );
}

#[test]
fn the_member_who_mistypes_keeps_the_manuals_rule() {
    let world = World::new(1, 1);
    for _ in 0..10 {
        block_on(world.portal.login(&user_id(0), WRONG)).unwrap_err();
    }
    let Err(Error::AccountLocked { retry_after }) =
        block_on(world.portal.login(&user_id(0), PASSWORD))
    else {
        panic!("ten failures lock");
    };
    assert_eq!(retry_after, 30 * MINUTE);
    world.clock.advance(retry_after);
    block_on(world.portal.login(&user_id(0), PASSWORD)).unwrap();
}
