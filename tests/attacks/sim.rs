//! The simulated world: one portal on `MemoryStore`, a manual clock, hourly purges, and a
//! tally of evaluated attempts per simulated day.

use std::time::{Duration, SystemTime};

pub use pollster::block_on;

use kenpo_auth::{
    BirthDate, Clock, Config, HashParams, IdentityForm, InsuredRecord, ManualClock, MemoryStore,
    Portal, RecordingMailer, RegistrationForm, SecretKey, Store, UserId,
};

pub const SECOND: Duration = Duration::from_secs(1);
pub const MINUTE: Duration = Duration::from_secs(60);
pub const HOUR: Duration = Duration::from_secs(60 * 60);
pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);
pub const PASSWORD: &str = "Sakura#2024x";
pub const NEW_PASSWORD: &str = "Momiji(2025)z";

/// How an attacker meets a lock: `None` tries again the moment it ends; `Some(rest)`, once a
/// lock of at least `rest` starts, waits for the failures to be forgotten instead (the patient
/// attacker's best strategy against a budget that forgets).
pub type Rest = Option<Duration>;

/// The greedy attacker and patient ones resting at 1, 2, 4 and 8 h locks, each in a new world
/// of two members for `days`: the world where the most got through.
pub fn worst(what: &str, days: usize, attack: impl Fn(&mut World, Rest)) -> World {
    let mut worst: Option<World> = None;
    for rest in [
        None,
        Some(HOUR),
        Some(2 * HOUR),
        Some(4 * HOUR),
        Some(8 * HOUR),
    ] {
        let mut world = World::new(2, days);
        attack(&mut world, rest);
        let pace = rest.map_or("greedy".to_owned(), |rest| {
            format!("resting at {}h locks", rest.as_secs() / 3600)
        });
        world.report(&format!("{what}, {pace}, {days} days"));
        if worst
            .as_ref()
            .is_none_or(|worst| world.total() > worst.total())
        {
            worst = Some(world);
        }
    }
    worst.unwrap()
}

pub struct World {
    pub portal: Portal<MemoryStore, RecordingMailer, ManualClock>,
    pub store: MemoryStore,
    pub mailer: RecordingMailer,
    pub clock: ManualClock,
    start: SystemTime,
    next_purge: SystemTime,
    /// Evaluated attempts per simulated day.
    pub per_day: Vec<u32>,
}

pub fn test_config() -> Config {
    Config {
        hash_params: HashParams::insecure_for_tests(),
        secret_key: SecretKey::from_bytes([7; 32]),
        ..Config::default()
    }
}

/// The insured person `n` of insurer 06139999.
pub fn identity(n: usize) -> IdentityForm {
    IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: format!("{}", 10_000 + n),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    }
}

pub fn user_id(n: usize) -> String {
    format!("NGK{n:06}")
}

impl World {
    /// A world with `members` insured persons, each registered as `NGK<n>`.
    pub fn new(members: usize, days: usize) -> World {
        let store = MemoryStore::new();
        let mailer = RecordingMailer::new();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        let clock = ManualClock::new(start);
        let portal =
            Portal::new(store.clone(), mailer.clone(), test_config()).with_clock(clock.clone());
        let world = World {
            portal,
            store,
            mailer,
            clock,
            start,
            next_purge: start + HOUR,
            per_day: vec![0; days],
        };
        for n in 0..members {
            world.enrol(n);
            world.register(n);
        }
        let _ = world.mailer.take();
        world
    }

    /// Puts the insured person `n` on the roster.
    pub fn enrol(&self, n: usize) {
        let form = identity(n);
        let birth = BirthDate::new(1975, 3, 2).unwrap();
        let record = InsuredRecord::new(
            &form.insurer_code,
            &form.symbol,
            &form.number,
            birth,
            &form.name_kana,
        );
        self.store.add_insured(record.unwrap());
    }

    fn register(&self, n: usize) {
        let ticket = block_on(self.portal.authenticate_insured(&identity(n))).unwrap();
        let form = RegistrationForm {
            user_id: user_id(n),
            password: PASSWORD.into(),
            email: format!("member{n}@example.co.jp"),
        };
        let pending = block_on(self.portal.begin_registration(&ticket, &form)).unwrap();
        let code = self.mailer.last_code().unwrap();
        block_on(self.portal.confirm_registration(&pending, &code)).unwrap();
    }

    /// The simulated day it is (from 0).
    pub fn day(&self) -> usize {
        let elapsed = self.clock.now().duration_since(self.start).unwrap();
        usize::try_from(elapsed.as_secs() / DAY.as_secs()).unwrap()
    }

    /// Whether the simulation is still running.
    pub fn running(&self) -> bool {
        self.day() < self.per_day.len()
    }

    /// Counts one evaluated attempt today.
    pub fn evaluated(&mut self) {
        let day = self.day();
        if let Some(count) = self.per_day.get_mut(day) {
            *count += 1;
        }
    }

    /// Lets `by` pass, purging with no grace every hour on the way, as a careless host might.
    pub fn wait(&mut self, by: Duration) {
        let target = self.clock.now() + by;
        while self.next_purge <= target {
            self.clock.set(self.next_purge);
            block_on(self.store.purge_expired(self.next_purge, Duration::ZERO)).unwrap();
            self.next_purge += HOUR;
        }
        self.clock.set(target);
    }

    /// Waits out a lock of `retry_after` as the attacker paces itself (see [`Rest`]).
    pub fn wait_out(&mut self, retry_after: Duration, rest: Rest) {
        match rest {
            Some(rest) if retry_after >= rest => {
                self.wait(retry_after + self.portal.config().throttle_forget_after);
            }
            _ => self.wait(retry_after),
        }
    }

    pub fn total(&self) -> u32 {
        self.per_day.iter().sum()
    }

    /// Prints the per-day figures (shown with `--nocapture`).
    pub fn report(&self, what: &str) {
        let first_week: Vec<u32> = self.per_day.iter().take(7).copied().collect();
        let worst_day = self.per_day.iter().max().copied().unwrap_or(0);
        println!(
            "{what}: {} in {} days; worst day {worst_day}; first week by day {first_week:?}",
            self.total(),
            self.per_day.len()
        );
    }
}

/// What a throttle-shaped budget (the security manual's table) lets through: five per lock,
/// locks doubling from 15 minutes to 24 hours, forgotten a week after the last lock: at most
/// 35 on the first day, then five a day, whichever way the attacker paces it, over any run.
pub fn assert_within_a_throttle(world: &World) {
    assert!(
        world.per_day.iter().all(|&day| day <= 35),
        "{:?}",
        world.per_day
    );
    let days = u32::try_from(world.per_day.len()).unwrap();
    assert!(world.total() <= 35 + 5 * (days - 1), "{}", world.total());
}

pub fn member(n: usize) -> UserId {
    UserId::parse(&user_id(n)).unwrap()
}
