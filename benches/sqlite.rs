//! `SqliteStore` benchmarks: whole registrations (first authentication, code mailed, code
//! entered) and logins per second from 1, 2 and 8 threads on one database file, with argon2id
//! at test-sized parameters (`HashParams::insecure_for_tests()`: m=8 KiB, t=1, p=1) so that the store's work shows; and a login at
//! the default parameters (m=19456 KiB, t=2, p=1) beside a bare argon2id verify, whose
//! difference is the store's (and the portal's) share of a login.
//!
//! ```sh
//! cargo bench --bench sqlite
//! ```
//!
//! Each thread count runs with the default durability (`synchronous = FULL`: every commit is
//! on disk, so the disk's flush time dominates) and with `synchronous = NORMAL`. The database
//! is a fresh file in the system temp directory; the store holds eight connections.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::doc_markdown,
    missing_docs
)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::testkit::block_on;
use kenpo_auth::{
    BirthDate, Config, HashParams, IdentityForm, InsuredRecord, Mail, Mailer, NewPassword,
    PasswordHasher, Portal, RegistrationForm, SqliteStore,
};

const PASSWORD: &str = "Sakura#2024x";
const THREADS: [usize; 3] = [1, 2, 8];
const LOGIN_ACCOUNTS: usize = 64;

/// Remembers the last code mailed to each address.
#[derive(Clone, Default)]
struct CodeMailer {
    codes: Arc<Mutex<HashMap<String, String>>>,
}

impl Mailer for CodeMailer {
    type Error = Infallible;

    async fn send(&self, mail: Mail) -> Result<(), Infallible> {
        if let Some(code) = mail
            .body
            .split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
        {
            self.codes
                .lock()
                .unwrap()
                .insert(mail.to.as_str().to_owned(), code.to_owned());
        }
        Ok(())
    }
}

/// A database file in a fresh temporary directory, removed on drop.
struct TempDb {
    dir: PathBuf,
}

impl TempDb {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kenpo-bench-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("bench.db")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

type BenchPortal = Portal<SqliteStore, CodeMailer>;

fn portal(db: &TempDb, synchronous: Synchronous, params: HashParams) -> BenchPortal {
    let options = SqliteOptions::default()
        .connections(8)
        .synchronous(synchronous);
    let store = SqliteStore::open_with(db.path(), options).unwrap();
    let config = Config {
        hash_params: params,
        ..Config::default()
    };
    Portal::new(store, CodeMailer::default(), config)
}

/// Roster entry `n` (unique across the whole run).
fn person(n: u64) -> (IdentityForm, RegistrationForm) {
    let identity = IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: n.to_string(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    };
    let form = RegistrationForm {
        user_id: format!("NGK{n:07}"),
        password: PASSWORD.into(),
        email: format!("m{n}@example.co.jp"),
    };
    (identity, form)
}

fn add_people(portal: &BenchPortal, from: u64, count: u64) {
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    for n in from..from + count {
        let record =
            InsuredRecord::new("06139999", "1234", &n.to_string(), birth, "ケンポ ショウコ")
                .unwrap();
        portal.store().add_insured(record).unwrap();
    }
}

/// Steps 1-2 to 1-4 of the manual for roster entry `n`.
fn register(portal: &BenchPortal, n: u64) {
    let (identity, form) = person(n);
    let ticket = block_on(portal.authenticate_insured(&identity)).unwrap();
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    let code = portal
        .mailer()
        .codes
        .lock()
        .unwrap()
        .get(&form.email)
        .unwrap()
        .clone();
    block_on(portal.confirm_registration(&pending, &code)).unwrap();
}

/// Runs `work(i)` for `i` in `0..iters`, spread over `threads` threads released together;
/// returns the wall time.
fn parallel(threads: usize, iters: u64, work: &(dyn Fn(u64) + Sync)) -> Duration {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let barrier = &barrier;
            scope.spawn(move || {
                barrier.wait();
                let mut i = t as u64;
                while i < iters {
                    work(i);
                    i += threads as u64;
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Leaving the scope joins every thread.
        start
    })
    .elapsed()
}

fn durability_name(synchronous: Synchronous) -> &'static str {
    match synchronous {
        Synchronous::Normal => "synchronous=NORMAL",
        _ => "synchronous=FULL",
    }
}

fn registrations(c: &mut Criterion) {
    let mut group = c.benchmark_group("sqlite registrations/s (argon2id m=8 t=1 p=1)");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let db = TempDb::new("register");
        let portal = portal(&db, synchronous, HashParams::insecure_for_tests());
        let next = AtomicU64::new(1_000_000);
        for threads in THREADS {
            let id = BenchmarkId::new(durability_name(synchronous), format!("{threads} threads"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let base = next.fetch_add(iters, Ordering::Relaxed);
                    add_people(&portal, base, iters);
                    parallel(threads, iters, &|i| register(&portal, base + i))
                });
            });
        }
    }
    group.finish();
}

fn logins(c: &mut Criterion) {
    let mut group = c.benchmark_group("sqlite logins/s (argon2id m=8 t=1 p=1)");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let db = TempDb::new("login");
        let portal = portal(&db, synchronous, HashParams::insecure_for_tests());
        add_people(&portal, 0, LOGIN_ACCOUNTS as u64);
        for n in 0..LOGIN_ACCOUNTS as u64 {
            register(&portal, n);
        }
        for threads in THREADS {
            let id = BenchmarkId::new(durability_name(synchronous), format!("{threads} threads"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    parallel(threads, iters, &|i| {
                        let user_id = format!("NGK{:07}", i % LOGIN_ACCOUNTS as u64);
                        black_box(block_on(portal.login(&user_id, PASSWORD)).unwrap());
                    })
                });
            });
        }
    }
    group.finish();
}

fn store_share(c: &mut Criterion) {
    let params = HashParams::default();
    let db = TempDb::new("share");
    let portal = portal(&db, Synchronous::Full, params);
    add_people(&portal, 0, 1);
    register(&portal, 0);
    let user_id = person(0).1.user_id.clone();
    let hasher = PasswordHasher::new(params).unwrap();
    let hash = hasher.hash(&NewPassword::parse(PASSWORD).unwrap()).unwrap();

    let mut group = c.benchmark_group("login on SqliteStore (argon2id m=19456 t=2 p=1)");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("bare argon2id verify (baseline)", |b| {
        b.iter(|| black_box(hasher.verify(black_box(PASSWORD), &hash).unwrap()));
    });
    group.bench_function("Portal::login on SqliteStore", |b| {
        b.iter(|| black_box(block_on(portal.login(black_box(&user_id), PASSWORD)).unwrap()));
    });
    group.finish();

    let per_call = |f: &mut dyn FnMut(), rounds: u32| {
        let start = Instant::now();
        for _ in 0..rounds {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(rounds)
    };
    let verify = per_call(&mut || drop(black_box(hasher.verify(PASSWORD, &hash))), 40);
    let login = per_call(
        &mut || drop(black_box(block_on(portal.login(&user_id, PASSWORD)))),
        40,
    );
    println!(
        "store share: bare verify {:.3} ms, login on SqliteStore {:.3} ms, \
         store and portal = {:.1}% of the login",
        verify * 1e3,
        login * 1e3,
        100.0 * (login - verify).max(0.0) / login
    );
}

criterion_group!(benches, registrations, logins, store_share);
criterion_main!(benches);
