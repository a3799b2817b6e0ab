//! Code mails to someone else's address through one's own e-mail change: a member who knows
//! their own password asks for codes to be sent to a victim's address, and now and then
//! completes a change to an address of their own, hoping that a finished change gives the
//! budget back. The union's sender domain must not become a relay: what bounds the victim's
//! mail is the user ID's e-mail-change budget, which a finished change does not reset.

use kenpo_auth::{Error, PendingEmailChange};

use crate::sim::*;

const VICTIM: &str = "victim@example.co.jp";
/// Where the loop stops counting (a budget that never closes would run the whole month).
const GIVE_UP: u32 = 1_000;

/// Four codes to the victim, then a change to a new address of the attacker's own, confirmed
/// with the code from that mail; each lock met as `rest` says.
fn attack(world: &mut World, rest: Rest) {
    let me = member(1);
    let (mut round, mut to_victim) = (0_u32, 0_u32);
    while world.running() && world.total() < GIVE_UP {
        let own = format!("me{round}@example.co.jp");
        let to = if to_victim < 4 { VICTIM } else { own.as_str() };
        match block_on(world.portal.begin_email_change(&me, PASSWORD, to)) {
            Ok(_) if to == VICTIM => {
                to_victim += 1;
                world.evaluated();
            }
            Ok(pending) => {
                confirm(world, &pending);
                (round, to_victim) = (round + 1, 0);
            }
            Err(Error::TooManyAttempts { retry_after }) => world.wait_out(retry_after, rest),
            other => panic!("{other:?}"),
        }
        world.wait(SECOND);
    }
}

fn confirm(world: &World, pending: &PendingEmailChange) {
    let code = world.mailer.last_code().unwrap();
    block_on(world.portal.confirm_email_change(pending, &code)).unwrap();
}

#[test]
fn thirty_days_of_e_mail_changes_mail_a_victim_within_the_budget() {
    let world = worst("code mails to a victim's address", 30, attack);
    // The user ID's e-mail-change budget.
    assert_within_a_throttle(&world);
}
