//! Portal benchmarks: one-time codes per second, and a full login on `MemoryStore` beside a bare
//! argon2id verify at the same parameters, so that the cost of everything outside argon2 shows
//! as the difference.
//!
//! ```sh
//! cargo bench --bench portal
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kenpo_auth::otp::{CodeChallenge, Purpose, TypedCode};
use kenpo_auth::testkit::block_on;
use kenpo_auth::ticket::TicketId;
use kenpo_auth::{
    BirthDate, Config, HashParams, IdentityForm, InsuredRecord, MemoryStore, NewPassword,
    PasswordHasher, Portal, RecordingMailer, RegistrationForm, SecretKey,
};

const USER_ID: &str = "NGK000123";
const PASSWORD: &str = "Sakura#2024x";

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
    let store = MemoryStore::new();
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    store.add_insured(
        InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap(),
    );
    let mailer = RecordingMailer::new();
    let config = Config {
        hash_params: params,
        ..Config::default()
    };
    let portal = Portal::new(store, mailer.clone(), config);
    let identity = IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: "567".into(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    };
    let ticket = block_on(portal.authenticate_insured(&identity)).unwrap();
    let form = RegistrationForm {
        user_id: USER_ID.into(),
        password: PASSWORD.into(),
        email: "shoko@example.co.jp".into(),
    };
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    let body = mailer.last().unwrap().body;
    let code: String = body
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap()
        .to_owned();
    block_on(portal.confirm_registration(&pending, &code)).unwrap();
    portal
}

fn login(c: &mut Criterion) {
    let params = HashParams::default();
    let portal = portal_with_account(params);
    let hasher = PasswordHasher::new(params).unwrap();
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

    let per_call = |f: &mut dyn FnMut(), rounds: u32| {
        let start = Instant::now();
        for _ in 0..rounds {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(rounds)
    };
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

criterion_group!(benches, otp, login);
criterion_main!(benches);
