//! One guess sprayed over the reset codes of many accounts: the simulation took over
//! 2 of 1,000 accounts in a day with six-digit codes. With 60-bit codes and 100 wrong entries
//! per account, the chance over a million accounts is about 10⁻¹⁰.

use rand::SeedableRng;

use crate::reset_codes::attack;
use crate::sim::*;

#[test]
fn a_day_of_spraying_a_thousand_accounts_takes_over_none() {
    let mut taken = 0;
    let mut guesses = 0;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1000);
    let mut world = World::new(1000, 1);
    for n in 0..1000 {
        // Each account is attacked for its own simulated day.
        world.per_day = vec![0; world.day() + 1];
        let tally = attack(&mut world, &user_id(n), &mut rng);
        taken += tally.accepted;
        guesses += tally.wrong_on_live;
    }
    println!(
        "spraying: {guesses} wrong guesses on live codes over 1,000 accounts, {taken} taken over"
    );
    assert_eq!(taken, 0);
    assert!(guesses <= 100 * 1000);
}
