//! User IDs probed through one's own sign-up ticket: any insured person can authenticate as
//! themselves as often as they like, and `begin_registration` answers `UserIdTaken` for a user
//! ID that has an account. What bounds the answers is the insured person's registration-mail
//! budget, which every probe spends, taken or not, and which no new ticket resets.

use kenpo_auth::{Error, RegistrationForm};

use crate::sim::*;

/// The attacker: on the roster, with no account.
const ATTACKER: usize = 2;

/// Probes a member's user ID and a free one in turn, with a new ticket every four probes
/// (before the identity budget's fifth failure), meeting each lock as `rest` says. Counts
/// every answer that tells taken from free: `UserIdTaken`, or a pending registration.
fn attack(world: &mut World, rest: Rest) {
    world.enrol(ATTACKER);
    let mut ticket = None;
    let (mut probes, mut on_ticket) = (0_usize, 0_usize);
    while world.running() {
        let Some(held) = ticket.as_ref().filter(|_| on_ticket < 4) else {
            match block_on(world.portal.authenticate_insured(&identity(ATTACKER))) {
                Ok(new) => (ticket, on_ticket) = (Some(new), 0),
                Err(Error::TooManyAttempts { retry_after }) => world.wait_out(retry_after, rest),
                other => panic!("{other:?}"),
            }
            continue;
        };
        let form = RegistrationForm {
            user_id: if probes % 2 == 0 {
                user_id(0)
            } else {
                format!("FREE{probes:06}")
            },
            password: PASSWORD.into(),
            email: "attacker@example.co.jp".into(),
        };
        match block_on(world.portal.begin_registration(held, &form)) {
            Ok(_) | Err(Error::UserIdTaken) => {
                probes += 1;
                on_ticket += 1;
                world.evaluated();
                world.wait(SECOND);
            }
            Err(Error::ResendLimitReached | Error::SignupExpired) => ticket = None,
            Err(Error::TooManyAttempts { retry_after }) => world.wait_out(retry_after, rest),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn thirty_days_of_user_id_probes_stay_within_the_registration_mail_budget() {
    let world = worst("user-ID probes", 30, attack);
    // The insured person's registration-mail budget.
    assert_within_a_throttle(&world);
}
