//! Separate OS processes sharing one store, each opening it for itself as a host process
//! would: exactly one consumes a challenge, every attempt is counted exactly once, one user ID
//! (case-insensitively) gets one account, a shared budget lets exactly its limit through, one
//! reset code stays live per user ID, and processes creating one new store at once all
//! succeed. The same harness catches a counter updated by a read and a separate write.
//!
//! Included by `tests/stores/processes.rs` (an `SQLite` file) and `tests/postgres/processes.rs`
//! (a PostgreSQL schema). The test binary re-executes itself: a parent test spawns
//! [`CHILDREN`] copies running only `processes::process_child`, which calls [`child`] and does
//! nothing unless the store's [`RaceStore::ROLE`] variable is set.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kenpo_auth::store::TicketId;
use kenpo_auth::store::{
    AttemptCounter, AttemptGate, CounterKey, LimitPolicy, RegistrationOutcome,
};

use crate::support::{
    Inspect, TempDir, block_on, ceiling_policy, lock_policy, mac, registration, reset, t0, user_key,
};

/// A store that separate processes share: by a name (a file path, a schema), with a way to
/// write behind the store's back for the planted read-then-write bug.
pub trait RaceStore: Inspect {
    /// What keeps the shared store alive in the parent (a directory, a schema).
    type Place;
    /// The environment variable that makes a process a child, and names its role.
    const ROLE: &'static str;
    /// A place for a store that does not exist yet, and the name the children open it by.
    fn new_place(tag: &str) -> (Self::Place, String);
    /// Opens (creating if need be) the store named `place`, as a separate host process would.
    fn open(place: &str) -> Result<Self, String>;
    /// Sets challenge `id`'s attempts to `attempts`, bypassing the store.
    fn write_attempts(place: &str, id: TicketId, attempts: u32);
    /// Writes `counter` under `key`, bypassing the store.
    fn write_counter(place: &str, key: &CounterKey, counter: &AttemptCounter);
}

/// The child's part: what `processes::process_child` runs; nothing in an ordinary test run.
pub fn child<S: RaceStore>() {
    match std::env::var(S::ROLE).as_deref() {
        Ok("race") => race_child::<S>(Counting::Store),
        Ok("naive") => race_child::<S>(Counting::ReadThenWrite),
        Ok("create") => create_child::<S>(),
        _ => {}
    }
}

pub const CHILDREN: usize = 6;
const ATTEMPTS_PER_CHILD: u32 = 40;
const BUDGET_TRIES_PER_CHILD: u32 = 10;
/// Both shared budgets let this many of the 60 tries through: one locks after it, the other
/// has it as its ceiling.
const BUDGET: u32 = 25;
/// The test the children run, by its full name in this binary.
pub const CHILD_TEST: &str = "processes::process_child";

fn budgets() -> [(CounterKey, LimitPolicy); 2] {
    [
        (
            CounterKey::Login(user_key("shared01")),
            lock_policy(BUDGET, None),
        ),
        (
            CounterKey::ResetCode(user_key("shared01")),
            ceiling_policy(BUDGET),
        ),
    ]
}

/// Six spellings of one user ID, one for each child's own registration.
const SPELLINGS: [&str; CHILDREN] = [
    "racer01", "Racer01", "rAcer01", "RAcer01", "raCer01", "RaCer01",
];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

fn wait_for_start() {
    let start_ms: u64 = env("KENPO_START_MS").parse().unwrap();
    let start = UNIX_EPOCH + Duration::from_millis(start_ms);
    if let Ok(wait) = start.duration_since(SystemTime::now()) {
        std::thread::sleep(wait);
    }
}

fn start_ms() -> String {
    (SystemTime::now() + Duration::from_millis(1500))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string()
}

/// Opens a store that does not exist yet, at the same instant as the others, and
/// registers its own account.
fn create_child<S: RaceStore>() {
    wait_for_start();
    let store = S::open(&env("KENPO_PLACE")).expect("concurrent creation of the store");
    let index: usize = env("KENPO_INDEX").parse().unwrap();
    let record = registration(
        &format!("opener{index:02}"),
        &format!("{}", 1000 + index),
        7,
    );
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    let outcome = block_on(store.complete_registration(id, &mac(7), t0())).unwrap();
    println!("\nRESULT outcome={outcome:?}");
}

/// How a child counts attempts.
#[derive(Clone, Copy)]
enum Counting {
    /// Through the store's atomic steps.
    Store,
    /// A planted bug: read the count, then write it back plus one in a separate statement.
    /// Every child waits after its first read until all have read, so that the reads
    /// deterministically overlap.
    ReadThenWrite,
}

/// Waits until all `CHILDREN` children have reached barrier `name` (marker files in
/// `KENPO_BARRIER`).
fn barrier(name: &str) {
    let dir = std::path::PathBuf::from(env("KENPO_BARRIER"));
    let index = env("KENPO_INDEX");
    std::fs::write(dir.join(format!("{name}-{index}")), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let arrived = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|entry| {
                entry.as_ref().is_ok_and(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{name}-"))
                })
            })
            .count();
        if arrived == CHILDREN {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "barrier {name}: {arrived} arrived"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The read-then-write counters of [`Counting::ReadThenWrite`]: reads through the store,
/// writes behind its back.
struct Naive {
    place: String,
    first_attempt: bool,
    first_acquire: HashMap<String, bool>,
}

impl Naive {
    fn new(place: &str) -> Self {
        Self {
            place: place.to_owned(),
            first_attempt: true,
            first_acquire: HashMap::new(),
        }
    }

    fn count_code_attempt<S: RaceStore>(&mut self, store: &S, id: TicketId) -> u32 {
        let seen = block_on(store.find_challenge(id))
            .unwrap()
            .expect("the attempts challenge exists")
            .code
            .attempts;
        if std::mem::take(&mut self.first_attempt) {
            barrier("attempts");
        }
        S::write_attempts(&self.place, id, seen + 1);
        seen + 1
    }

    fn acquire_attempt<S: RaceStore>(
        &mut self,
        store: &S,
        key: &CounterKey,
        policy: LimitPolicy,
    ) -> AttemptGate {
        let mut counter: AttemptCounter = block_on(store.find_counter(key))
            .unwrap()
            .unwrap_or_default();
        let gate = counter.acquire(t0(), &policy);
        let name = key.storage_key();
        if self.first_acquire.insert(name.clone(), false).is_none() {
            barrier(&name.replace(':', "_"));
        }
        S::write_counter(&self.place, key, &counter);
        gate
    }
}

fn race_child<S: RaceStore>(counting: Counting) {
    let place = env("KENPO_PLACE");
    let store = S::open(&place).expect("the child opens the store");
    let mut naive = Naive::new(&place);
    let consume: TicketId = env("KENPO_CONSUME").parse().unwrap();
    let attempts: TicketId = env("KENPO_ATTEMPTS").parse().unwrap();
    let own: TicketId = env("KENPO_OWN").parse().unwrap();
    wait_for_start();
    let consumed = block_on(store.complete_registration(consume, &mac(7), t0())).unwrap();
    let own_outcome = block_on(store.complete_registration(own, &mac(7), t0())).unwrap();
    // Every process asks for a reset code for the same user ID.
    let reset_record = reset("racer01", false, 7);
    let reset_id = reset_record.code.id;
    block_on(store.insert_challenge(reset_record)).unwrap();
    let mut counts = Vec::new();
    let mut allowed = [0_u32; 2];
    for i in 0..ATTEMPTS_PER_CHILD {
        counts.push(match counting {
            Counting::Store => {
                block_on(store.count_code_attempt(attempts))
                    .unwrap()
                    .expect("the attempts challenge exists")
                    .code
                    .attempts
            }
            Counting::ReadThenWrite => naive.count_code_attempt(&store, attempts),
        });
        if i < BUDGET_TRIES_PER_CHILD {
            for ((key, policy), allowed) in budgets().iter().zip(&mut allowed) {
                let gate = match counting {
                    Counting::Store => block_on(store.acquire_attempt(key, t0(), *policy)).unwrap(),
                    Counting::ReadThenWrite => naive.acquire_attempt(&store, key, *policy),
                };
                if gate == AttemptGate::Allowed {
                    *allowed += 1;
                }
            }
        }
    }
    let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
    println!(
        "\nRESULT consumed={consumed:?} own={own_outcome:?} reset={} locked={} ceiling={} counts={}",
        reset_id.to_hex(),
        allowed[0],
        allowed[1],
        counts.join(",")
    );
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no {name} in {line:?}"))
}

/// Spawns one child per `envs` entry, all running [`process_child`] with these variables, and
/// returns each child's `RESULT` line.
fn run_children(envs: Vec<Vec<(&str, String)>>) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = envs
        .into_iter()
        .map(|vars| {
            Command::new(&exe)
                .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
                .envs(vars)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn a child test process")
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "child failed: {}\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            stdout
                .lines()
                .find_map(|line| {
                    line.split_once("RESULT ")
                        .map(|(_, result)| result.to_owned())
                })
                .unwrap_or_else(|| panic!("child reported nothing:\n{stdout}"))
        })
        .collect()
}

/// What the parent prepared: the shared challenges, and each child's own registration.
struct Race<S: RaceStore> {
    dir: TempDir,
    _place: S::Place,
    place: String,
    store: S,
    consume: TicketId,
    attempts: TicketId,
    own: Vec<TicketId>,
}

fn prepare<S: RaceStore>(tag: &str) -> Race<S> {
    let dir = TempDir::new(tag);
    let (place_guard, place) = S::new_place(tag);
    let store = S::open(&place).unwrap();
    let insert = |user_id: &str, number: usize| {
        let record = registration(user_id, &number.to_string(), 7);
        let id = record.code.id;
        block_on(store.insert_challenge(record)).unwrap();
        id
    };
    let consume = insert("winner01", 1);
    let attempts = insert("counted01", 2);
    let own = SPELLINGS
        .iter()
        .enumerate()
        .map(|(i, spelling)| insert(spelling, 100 + i))
        .collect();
    Race {
        dir,
        _place: place_guard,
        place,
        store,
        consume,
        attempts,
        own,
    }
}

/// Releases `CHILDREN` processes in `role` against the prepared store at one instant.
fn race<S: RaceStore>(race: &Race<S>, role: &str) -> Vec<String> {
    let barrier = race.dir.db("barrier");
    std::fs::create_dir(&barrier).unwrap();
    let start = start_ms();
    let envs = race
        .own
        .iter()
        .enumerate()
        .map(|(index, own)| {
            vec![
                (S::ROLE, role.to_owned()),
                ("KENPO_PLACE", race.place.clone()),
                ("KENPO_BARRIER", barrier.display().to_string()),
                ("KENPO_INDEX", index.to_string()),
                ("KENPO_CONSUME", race.consume.to_hex()),
                ("KENPO_ATTEMPTS", race.attempts.to_hex()),
                ("KENPO_OWN", own.to_hex()),
                ("KENPO_START_MS", start.clone()),
            ]
        })
        .collect();
    let results = run_children(envs);
    assert_eq!(results.len(), CHILDREN);
    results
}

/// The duties the children's reports and the store show broken, by name.
fn broken_duties<S: RaceStore>(race: &Race<S>, results: &[String]) -> Vec<&'static str> {
    let store = &race.store;
    let mut broken = Vec::new();

    // Exactly one process consumed the shared challenge.
    let created = results
        .iter()
        .filter(|line| field(line, "consumed") == "Created")
        .count();
    let gone = results
        .iter()
        .filter(|line| field(line, "consumed") == "ChallengeGone")
        .count();
    if created != 1
        || gone != CHILDREN - 1
        || block_on(store.find_challenge(race.consume))
            .unwrap()
            .is_some()
        || block_on(store.complete_registration(race.consume, &mac(7), t0())).unwrap()
            != RegistrationOutcome::ChallengeGone
    {
        broken.push("consume");
    }

    // Six spellings of one user ID, one per process: one account.
    let own_created = results
        .iter()
        .filter(|line| field(line, "own") == "Created")
        .count();
    if own_created != 1
        || !results
            .iter()
            .all(|line| matches!(field(line, "own"), "Created" | "UserIdTaken"))
        || store.accounts().len() != 2
        || block_on(store.find_account(&user_key("racer01")))
            .unwrap()
            .is_none()
    {
        broken.push("user_ids");
    }

    // One reset code live for the user ID.
    let live_resets = results
        .iter()
        .filter(|line| {
            let id: TicketId = field(line, "reset").parse().unwrap();
            block_on(store.find_challenge(id)).unwrap().is_some()
        })
        .count();
    if live_resets != 1 {
        broken.push("owner");
    }

    // Every attempt counted once: the counts seen are exactly 1..=total.
    let total = ATTEMPTS_PER_CHILD * u32::try_from(CHILDREN).unwrap();
    let mut seen: Vec<u32> = results
        .iter()
        .flat_map(|line| field(line, "counts").split(',').map(|n| n.parse().unwrap()))
        .collect();
    seen.sort_unstable();
    let after = block_on(store.find_challenge(race.attempts))
        .unwrap()
        .unwrap()
        .code
        .attempts;
    if seen != (1..=total).collect::<Vec<_>>() || after != total {
        broken.push("attempts");
    }

    // Each shared budget let exactly its limit through.
    for (name, budget) in [("locked", "lock_budget"), ("ceiling", "ceiling_budget")] {
        let allowed: u32 = results
            .iter()
            .map(|line| field(line, name).parse::<u32>().unwrap())
            .sum();
        if allowed != BUDGET {
            broken.push(budget);
        }
    }
    broken
}

/// Races `CHILDREN` processes in `role` on a store prepared under `tag`, and asserts that
/// exactly the `expected` duties come out broken.
fn assert_broken_duties<S: RaceStore>(tag: &str, role: &str, expected: &[&str]) {
    let prepared = prepare::<S>(tag);
    let results = race(&prepared, role);
    assert_eq!(broken_duties(&prepared, &results), expected, "{results:#?}");
}

/// Separate processes consume once, count every attempt and keep one reset code.
pub fn races_keep_every_duty<S: RaceStore>() {
    assert_broken_duties::<S>("processes", "race", &[]);
}

/// The harness is not blind: children that count by reading and then writing (with their reads
/// made to overlap) lose updates, and the same checks say so.
pub fn races_catch_a_read_then_write_counter<S: RaceStore>() {
    assert_broken_duties::<S>(
        "processes-naive",
        "naive",
        &["attempts", "lock_budget", "ceiling_budget"],
    );
}

/// Separate processes creating one new store at the same instant all succeed.
pub fn processes_creating_one_new_store_at_once_all_succeed<S: RaceStore>() {
    let (_place, name) = S::new_place("create");
    let start = start_ms();
    let envs = (0..CHILDREN)
        .map(|index| {
            vec![
                (S::ROLE, "create".to_owned()),
                ("KENPO_PLACE", name.clone()),
                ("KENPO_INDEX", index.to_string()),
                ("KENPO_START_MS", start.clone()),
            ]
        })
        .collect();
    for result in run_children(envs) {
        assert_eq!(result, "outcome=Created");
    }
    let store = S::open(&name).unwrap();
    assert_eq!(store.accounts().len(), CHILDREN);
}
