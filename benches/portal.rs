//! Portal benchmarks: one-time codes per second, and a full login on `MemoryStore` beside a bare
//! argon2id verify at the same parameters, so that the cost of everything outside argon2 shows
//! as the difference.
//!
//! ```sh
//! cargo bench --bench portal
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kenpo_auth::store::{CodeChallenge, Purpose, TicketId, TypedCode};
use kenpo_auth::{
    Config, HashParams, MemoryStore, NewPassword, PasswordHasher, Portal, RecordingMailer,
    SecretKey,
};
use pollster::block_on;

mod support;
use support::{PASSWORD, insured, median, per_call, register};

/// The one member's roster entry, and the user ID it registers.
const MEMBER: u64 = 567;
const USER_ID: &str = "NGK0000567";

fn otp(c: &mut Criterion) {
    let key = SecretKey::from_bytes([7; 32]);
    // The portal draws from the operating system's generator; so does the bench.
    let mut rng = rand::rngs::SysRng;
    let now = SystemTime::UNIX_EPOCH;
    let validity = Duration::from_secs(600);
    let mut group = c.benchmark_group("otp");
    group.throughput(Throughput::Elements(1));
    group.bench_function("issue+check", |b| {
        b.iter(|| {
            let (code, mut challenge) = CodeChallenge::issue(
                &key,
                TicketId::random().unwrap(),
                Purpose::Registration,
                now,
                validity,
                &mut rng,
            )
            .unwrap();
            challenge.attempts = 1;
            let typed = TypedCode::parse(code.as_str(), Purpose::Registration.shape()).unwrap();
            black_box(challenge.check(&key, &typed, now, 5))
        });
    });
    group.finish();
}

/// A portal on `MemoryStore` holding one registered account, hashed at `params`.
fn portal_with_account(params: HashParams) -> Portal<MemoryStore, RecordingMailer> {
    portal_with_config(Config {
        hash_params: params,
        ..Config::default()
    })
}

/// A portal on `MemoryStore` holding one registered account, under `config`.
fn portal_with_config(config: Config) -> Portal<MemoryStore, RecordingMailer> {
    let store = MemoryStore::new();
    store.add_insured(insured(MEMBER));
    let portal = Portal::new(store, RecordingMailer::new(), config);
    let user_id = register(&portal, MEMBER, |mailer, _| mailer.last_code().unwrap());
    assert_eq!(user_id, USER_ID);
    portal
}

fn login(c: &mut Criterion) {
    let params = HashParams::default();
    let portal = portal_with_account(params.clone());
    let hasher = PasswordHasher::new(params.clone());
    let hash = hasher.hash(&NewPassword::parse(PASSWORD).unwrap()).unwrap();

    let mut group = c.benchmark_group("login (argon2id m=19456 t=2 p=1)");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("bare argon2id verify (baseline)", |b| {
        b.iter(|| black_box(hasher.verify(black_box(PASSWORD), &hash).unwrap()));
    });
    group.bench_function("Portal::login on MemoryStore", |b| {
        b.iter(|| {
            black_box(block_on(portal.login(black_box(USER_ID), black_box(PASSWORD))).unwrap())
        });
    });
    group.finish();

    // What a login costs outside argon2, measured directly: the same login with argon2 at its
    // minimum cost is an upper bound on everything else. Its share of a default-cost login:
    let cheap = portal_with_account(HashParams::insecure_for_tests());
    let mut group = c.benchmark_group("login outside argon2");
    group.bench_function(
        "Portal::login, argon2 at minimum cost (upper bound of the rest)",
        |b| {
            b.iter(|| {
                black_box(block_on(cheap.login(black_box(USER_ID), black_box(PASSWORD))).unwrap())
            });
        },
    );
    group.finish();

    let rest = per_call(
        &mut || drop(black_box(block_on(cheap.login(USER_ID, PASSWORD)))),
        2_000,
    );
    let verify = per_call(&mut || drop(black_box(hasher.verify(PASSWORD, &hash))), 40);
    let login = per_call(
        &mut || drop(black_box(block_on(portal.login(USER_ID, PASSWORD)))),
        40,
    );
    println!(
        "login summary: bare verify {:.2} ms, login {:.2} ms, login at minimum argon2 cost {:.1} µs \
         = {:.3}% of a default login (target < 1%)",
        verify * 1e3,
        login * 1e3,
        rest * 1e6,
        100.0 * rest / login
    );
}

/// A refused login must cost what a wrong password costs, whatever made it fail: an unknown
/// user ID, a 16 MiB password, a stored hash too costly to run. Interleaved rounds, median of
/// each, as ratios to the wrong password in the same run.
fn refusals(_: &mut Criterion) {
    let config = Config {
        // No locks, so that every attempt is evaluated; the bench measures cost, not budgets.
        login_max_failures: u32::MAX,
        login_failure_ceiling: u32::MAX,
        ..Config::default()
    };
    let portal = portal_with_config(config);
    let huge = "A#1".repeat(16 * 1024 * 1024 / 3);
    let cases: [(&str, &str, &str); 4] = [
        ("wrong password", USER_ID, "Wrong#pass1"),
        ("unknown user ID", "nobody999", "Wrong#pass1"),
        ("16 MiB password", USER_ID, &huge),
        ("right password", USER_ID, PASSWORD),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..15 {
        // ABBA: the order flips every round, so drift favours no case.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cases.len()).collect()
        } else {
            (0..cases.len()).rev().collect()
        };
        for index in order {
            let (_, user, password) = cases[index];
            let start = Instant::now();
            for _ in 0..4 {
                let _ = black_box(block_on(portal.login(black_box(user), black_box(password))));
            }
            samples[index].push(start.elapsed().as_secs_f64() / 4.0);
        }
    }
    let base = median(&mut samples[0].clone());
    for (index, (name, _, _)) in cases.iter().enumerate() {
        let time = median(&mut samples[index]);
        println!(
            "refusal parity: {name:<16} {:.2} ms = {:.3} x wrong password",
            time * 1e3,
            time / base
        );
    }
}

criterion_group!(benches, otp, login, refusals);
criterion_main!(benches);
