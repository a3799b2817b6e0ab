//! Wrong password-reset codes against one account: at most 100 wrong entries ever reach a live
//! code, summed over all its challenges; no takeover; the help desk restores the member.

use kenpo_auth::Error;
use rand::RngExt;
use rand::SeedableRng;

use crate::sim::*;

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A random well-formed reset code: the attacker's best guess is any guess.
fn guess(rng: &mut rand::rngs::StdRng) -> String {
    (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

pub struct Tally {
    pub wrong_on_live: u32,
    pub accepted: u32,
    pub mails: usize,
}

/// Requests resets for `target` and enters guesses until each challenge dies; waits out every
/// refusal; checks back hourly once suspended.
pub fn attack(world: &mut World, target: &str, rng: &mut rand::rngs::StdRng) -> Tally {
    let mut tally = Tally {
        wrong_on_live: 0,
        accepted: 0,
        mails: 0,
    };
    while world.running() {
        let ticket = match block_on(world.portal.request_password_reset(target)) {
            Ok(ticket) => ticket,
            Err(Error::TooManyAttempts { retry_after }) => {
                world.wait(retry_after);
                continue;
            }
            Err(other) => panic!("{other:?}"),
        };
        tally.mails += world.mailer.take().len();
        loop {
            match block_on(
                world
                    .portal
                    .reset_password(&ticket, &guess(rng), NEW_PASSWORD),
            ) {
                Err(Error::CodeMismatch { remaining }) => {
                    tally.wrong_on_live += 1;
                    world.evaluated();
                    world.wait(SECOND);
                    if remaining == 0 {
                        break;
                    }
                }
                Ok(()) => {
                    tally.accepted += 1;
                    break;
                }
                Err(Error::ResetSuspended) => {
                    world.wait(HOUR);
                    break;
                }
                Err(Error::CodeAttemptsExhausted | Error::CodeExpired | Error::ChallengeGone) => {
                    break;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }
    tally
}

/// `days` days of wrong reset codes against the one member (the guesses seeded by `days`),
/// reported: the world after them, and the tally.
fn attack_the_member_for(days: usize) -> (World, Tally) {
    let mut world = World::new(1, days);
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::try_from(days).unwrap());
    let tally = attack(&mut world, &user_id(0), &mut rng);
    world.report(&format!("wrong reset codes, {days} days"));
    println!("reset mails to the member in {days} days: {}", tally.mails);
    (world, tally)
}

#[test]
fn thirty_days_of_wrong_reset_codes_reach_a_live_code_at_most_a_hundred_times() {
    let (world, tally) = attack_the_member_for(30);
    assert_eq!(tally.accepted, 0, "no takeover");
    assert_eq!(
        tally.wrong_on_live, 100,
        "the ceiling, reached, and not one more"
    );
    assert!(
        tally.mails <= 30 * 5 + 35,
        "mails to the member: {}",
        tally.mails
    );
    // The member cannot reset any more; the help desk unlocks, and the member's code works.
    let ticket = loop {
        match block_on(world.portal.request_password_reset(&user_id(0))) {
            Err(Error::TooManyAttempts { retry_after }) => world.clock.advance(retry_after),
            other => break other.unwrap(),
        }
    };
    let code = world.mailer.last_code().unwrap();
    let error = block_on(world.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap_err();
    assert!(matches!(error, Error::ResetSuspended), "{error:?}");
    block_on(world.portal.unlock_account(&member(0))).unwrap();
    block_on(world.portal.reset_password(&ticket, &code, NEW_PASSWORD)).unwrap();
    block_on(world.portal.login(&user_id(0), NEW_PASSWORD)).unwrap();
}

#[test]
fn a_year_of_wrong_reset_codes_reaches_no_more() {
    let (_, tally) = attack_the_member_for(365);
    assert_eq!(tally.wrong_on_live, 100);
}

#[test]
fn an_unknown_user_id_answers_alike() {
    let mut world = World::new(1, 30);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let tally = attack(&mut world, "NGK999999", &mut rng);
    assert_eq!(tally.wrong_on_live, 100);
    assert_eq!(tally.mails, 0);
}

/// Mail bombing: reset requests for one member as fast as the portal takes them.
fn bomb(days: usize) -> World {
    let mut world = World::new(1, days);
    while world.running() {
        match block_on(world.portal.request_password_reset(&user_id(0))) {
            Ok(_) => {
                for _ in world.mailer.take() {
                    world.evaluated();
                }
                world.wait(SECOND);
            }
            Err(Error::TooManyAttempts { retry_after }) => world.wait(retry_after),
            Err(other) => panic!("{other:?}"),
        }
    }
    world
}

#[test]
fn reset_mails_a_member_receives_are_bounded() {
    let month = bomb(30);
    month.report("reset mails to one member, 30 days");
    assert_within_a_throttle(&month);
    let year = bomb(365);
    year.report("reset mails to one member, 365 days");
    assert_within_a_throttle(&year);
}
