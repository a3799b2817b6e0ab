//! Wrong passwords against one account, for as long as the attacker likes: at most 100 are
//! ever evaluated (NIST SP 800-63B §3.2.2), and the member gets back in with a password reset.

use kenpo_auth::Error;

use crate::sim::*;

const WRONG: &str = "Guess#0001x";

/// The attacker tries a wrong password whenever the portal lets them, and checks back every
/// hour once it does not.
fn attack(world: &mut World, target: &str) {
    while world.running() {
        match block_on(world.portal.login(target, WRONG)) {
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
