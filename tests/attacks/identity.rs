//! Identity checks against one insured person (birth dates guessed, say): locks that lengthen,
//! failures remembered for a week after the last lock, purges that free no one.

use kenpo_auth::{Error, IdentityForm};

use crate::sim::*;

/// Wrong birth dates, one after another, from 1950-01-01 on.
fn wrong_birth(n: u32) -> IdentityForm {
    let day = n % 28 + 1;
    let month = n / 28 % 12 + 1;
    let year = 1950 + n / 336;
    IdentityForm {
        birth_date: format!("{year:04}-{month:02}-{day:02}"),
        ..identity(1)
    }
}

/// Tries whenever allowed, meeting each lock as `rest` says.
fn attack(world: &mut World, rest: Rest) {
    let mut n = 0;
    while world.running() {
        match block_on(world.portal.authenticate_insured(&wrong_birth(n))) {
            Err(Error::IdentityNotConfirmed) => {
                n += 1;
                world.evaluated();
                world.wait(SECOND);
            }
            Err(Error::TooManyAttempts { retry_after }) => world.wait_out(retry_after, rest),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn thirty_days_of_identity_checks_stay_within_the_budget() {
    let world = worst("identity checks", 30, attack);
    // The insured person's identity budget.
    assert_within_a_throttle(&world);
    // The member still gets in once the lock ends, and a success clears the count.
    let error = loop {
        match block_on(world.portal.authenticate_insured(&identity(1))) {
            Err(Error::TooManyAttempts { retry_after }) => world.clock.advance(retry_after),
            other => break other,
        }
    };
    assert!(matches!(error, Err(Error::AlreadyRegistered)), "{error:?}");
}

#[test]
fn a_year_of_identity_checks() {
    assert_within_a_throttle(&worst("identity checks", 365, attack));
}
