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

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::{Config, HashParams, NewPassword, PasswordHasher, Portal, SqliteStore};
use pollster::block_on;

mod support;
use support::{CodeMailer, PASSWORD, insured, per_call};

const THREADS: [usize; 3] = [1, 2, 8];
const LOGIN_ACCOUNTS: usize = 64;

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

/// Puts roster entries `from..from + count` (unique across the whole run) on the roster.
fn add_people(portal: &BenchPortal, from: u64, count: u64) {
    for n in from..from + count {
        portal.store().add_insured(insured(n)).unwrap();
    }
}

/// Steps 1-2 to 1-4 of the manual for roster entry `n`: the user ID.
fn register(portal: &BenchPortal, n: u64) -> String {
    support::register(portal, n, CodeMailer::code_for)
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

/// Benchmarks `run(portal, threads, iters)`, the wall time of `iters` operations spread over
/// `threads` threads, from each of `THREADS`: under each durability, on a fresh file that
/// `setup` prepared, with argon2id at test-sized parameters so that the store's work shows.
fn per_durability_and_threads(
    c: &mut Criterion,
    name: &str,
    setup: impl Fn(&BenchPortal),
    run: impl Fn(&BenchPortal, usize, u64) -> Duration,
) {
    let mut group = c.benchmark_group(format!("sqlite {name}/s (argon2id m=8 t=1 p=1)"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    for synchronous in [Synchronous::Full, Synchronous::Normal] {
        let db = TempDb::new(name);
        let portal = portal(&db, synchronous, HashParams::insecure_for_tests());
        setup(&portal);
        for threads in THREADS {
            let id = BenchmarkId::new(durability_name(synchronous), format!("{threads} threads"));
            group.bench_function(id, |b| b.iter_custom(|iters| run(&portal, threads, iters)));
        }
    }
    group.finish();
}

fn registrations(c: &mut Criterion) {
    let next = AtomicU64::new(1_000_000);
    per_durability_and_threads(
        c,
        "registrations",
        |_| {},
        |portal, threads, iters| {
            let base = next.fetch_add(iters, Ordering::Relaxed);
            add_people(portal, base, iters);
            parallel(threads, iters, &|i| {
                register(portal, base + i);
            })
        },
    );
}

fn logins(c: &mut Criterion) {
    per_durability_and_threads(
        c,
        "logins",
        |portal| {
            add_people(portal, 0, LOGIN_ACCOUNTS as u64);
            for n in 0..LOGIN_ACCOUNTS as u64 {
                register(portal, n);
            }
        },
        |portal, threads, iters| {
            parallel(threads, iters, &|i| {
                let user_id = format!("NGK{:07}", i % LOGIN_ACCOUNTS as u64);
                black_box(block_on(portal.login(&user_id, PASSWORD)).unwrap());
            })
        },
    );
}

fn store_share(c: &mut Criterion) {
    let params = HashParams::default();
    let db = TempDb::new("share");
    let portal = portal(&db, Synchronous::Full, params.clone());
    add_people(&portal, 0, 1);
    let user_id = register(&portal, 0);
    let hasher = PasswordHasher::new(params.clone());
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
