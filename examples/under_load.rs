//! Argon2 under load, measured: what a Tokio host sees with the portal's hash runner and
//! permits, beside the old behaviour in the same run.
//!
//! ```sh
//! cargo run --release --example under_load
//! ```
//!
//! 1. **Cheap calls during a login burst.** On a 2-worker Tokio runtime, 50 wrong-password
//!    logins are in flight while a request that fails validation arrives every 5 ms; the
//!    table gives its latency from arrival to answer. `Inline` runs argon2 on the async
//!    workers (what a host got by awaiting the portal before), `TokioRunner` on the blocking
//!    pool.
//! 2. **A login flood.** 48 tasks keep wrong-password logins for user IDs that do not exist
//!    in flight (an attacker needs no account) for a few seconds. Each row runs in a fresh
//!    process so that its peak memory (`VmHWM`) is its own. The limit is `min(permits, cores)`
//!    divided by the time of one argon2 verify, measured first in this process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]
#![allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{Prober, quantile_ms, status_bytes};

#[path = "support/mod.rs"]
mod support;

use kenpo_auth::{
    Config, HashParams, IdentityForm, Inline, MemoryStore, PasswordHasher, Portal, RecordingMailer,
    Runner, TokioRunner,
};

/// Async worker threads of the host's runtime, as in the report that asked for this.
const WORKERS: usize = 2;
const BURST: usize = 50;
const FLOOD_TASKS: usize = 48;
const FLOOD_FOR: Duration = Duration::from_secs(4);
const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("flood") {
        let permits = args
            .next()
            .and_then(|n| n.parse().ok())
            .expect("flood PERMITS");
        flood(permits);
        return;
    }
    let params = HashParams::default();
    let (verify, fresh) = one_verify(&params);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "argon2id m={} KiB t={} p={}: one run takes {:.1} ms here in reused memory \
         ({:.1} ms allocating it afresh); {cores} cores\n",
        params.memory_kib(),
        params.iterations(),
        params.parallelism(),
        verify.as_secs_f64() * 1e3,
        fresh.as_secs_f64() * 1e3
    );

    println!("1. a request that fails validation, every 5 ms, while {BURST} logins are in flight");
    println!("   (Tokio, {WORKERS} workers)\n");
    println!("| runner | permits | cheap calls | median | p99 | slowest | burst took |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, runner, permits) in [
        (
            "Inline (argon2 on the workers)",
            Arc::new(Inline) as Arc<dyn Runner>,
            BURST,
        ),
        (
            "Inline (argon2 on the workers)",
            Arc::new(Inline) as Arc<dyn Runner>,
            2,
        ),
        ("TokioRunner (blocking pool)", Arc::new(TokioRunner), 2),
        ("TokioRunner (blocking pool)", Arc::new(TokioRunner), cores),
    ] {
        let row = cheap_calls_during_burst(runner, permits);
        let at = |q| quantile_ms(&row.latencies, q);
        println!(
            "| {name} | {permits} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} s |",
            row.latencies.len(),
            at(0.5),
            at(0.99),
            at(1.0),
            row.burst.as_secs_f64()
        );
    }

    let m_mib = f64::from(params.memory_kib()) / 1024.0;
    println!(
        "\n2. {FLOOD_TASKS} concurrent wrong-password logins for {} s, TokioRunner",
        FLOOD_FOR.as_secs()
    );
    println!("   (each row a fresh process; bound = permits × m + 24 MiB)\n");
    println!("| permits | logins/s | limit | of limit | peak RSS (VmHWM) | bound | RSS before |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("the example's own path");
    for permits in [2, FLOOD_TASKS] {
        let output = Command::new(&exe)
            .args(["flood", &permits.to_string()])
            .output()
            .expect("run the flood in a child process");
        let text = String::from_utf8_lossy(&output.stdout);
        let mut numbers = text
            .split_whitespace()
            .map(|n| n.parse::<f64>().unwrap_or(f64::NAN));
        let (rate, peak, before) = (
            numbers.next().unwrap_or(f64::NAN),
            numbers.next().unwrap_or(f64::NAN),
            numbers.next().unwrap_or(f64::NAN),
        );
        let limit = permits.min(cores) as f64 / verify.as_secs_f64();
        let bound = permits as f64 * m_mib + 24.0;
        println!(
            "| {permits} | {rate:.1} | {limit:.1} | {:.0} % | {:.1} MiB | {bound:.0} MiB | {:.1} MiB |",
            100.0 * rate / limit,
            peak / MIB,
            before / MIB
        );
    }
}

/// The median time of one argon2id run at `params` on this thread, in memory that is reused
/// from run to run as the portal's pool reuses it (a fresh allocation each time adds its page
/// faults: the second figure).
fn one_verify(params: &HashParams) -> (Duration, Duration) {
    let argon2 = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(
            params.memory_kib(),
            params.iterations(),
            params.parallelism(),
            Some(32),
        )
        .expect("valid parameters"),
    );
    let blocks = argon2.params().block_count();
    let mut memory = vec![argon2::Block::default(); blocks];
    let mut output = [0_u8; 32];
    let median = |mut run: Box<dyn FnMut()>| {
        let mut times: Vec<Duration> = (0..9)
            .map(|_| {
                let start = Instant::now();
                run();
                start.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let reused = median(Box::new(|| {
        argon2
            .hash_password_into_with_memory(
                b"Wrong#pass1",
                b"sixteen byte salt",
                &mut output,
                &mut memory,
            )
            .expect("argon2");
    }));
    let hasher = PasswordHasher::new(params.clone());
    let stored = hasher.rehash("Sakura#2024x").expect("hash once");
    let fresh = median(Box::new(move || {
        assert!(!hasher.verify("Wrong#pass1", &stored).expect("verify"));
    }));
    (reused, fresh)
}

fn portal(runner: Arc<dyn Runner>, permits: usize) -> Portal<MemoryStore, RecordingMailer> {
    let config = Config {
        max_concurrent_hashes: permits,
        max_queued_hashes: 64,
        ..Config::default()
    };
    Portal::new(MemoryStore::new(), RecordingMailer::new(), config).with_runner(runner)
}

struct LatencyRow {
    latencies: Vec<Duration>,
    burst: Duration,
}

fn cheap_calls_during_burst(runner: Arc<dyn Runner>, permits: usize) -> LatencyRow {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let portal = Arc::new(portal(runner, permits));
    let started = Instant::now();
    let logins: Vec<_> = (0..BURST)
        .map(|n| {
            let portal = Arc::clone(&portal);
            runtime.spawn(async move {
                let _ = portal.login(&format!("burst{n:04}"), "Wrong#pass1").await;
            })
        })
        .collect();
    let prober = Prober::start(runtime.handle().clone(), &portal, |portal| async move {
        let answer = portal.authenticate_insured(&IdentityForm::default()).await;
        assert!(answer.is_err());
    });
    runtime.block_on(async {
        for login in logins {
            login.await.expect("a login task");
        }
    });
    let burst = started.elapsed();
    LatencyRow {
        latencies: prober.finish(&runtime),
        burst,
    }
}

/// The child: prints `logins/s peak_bytes rss_before_bytes`.
fn flood(permits: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let portal = Arc::new(portal(Arc::new(TokioRunner), permits));
    let before = status_bytes("VmRSS");
    let answered = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..FLOOD_TASKS)
            .map(|task| {
                let (portal, answered) = (Arc::clone(&portal), Arc::clone(&answered));
                tokio::spawn(async move {
                    let mut attempt = 0_u32;
                    while started.elapsed() < FLOOD_FOR {
                        // A new user ID each time: no lock or ceiling cuts the work short.
                        let user_id = format!("flood{task:02}x{attempt:05}");
                        let answer = portal.login(&user_id, "Wrong#pass1").await;
                        assert!(
                            matches!(answer, Err(kenpo_auth::Error::AuthenticationFailed)),
                            "{answer:?}"
                        );
                        answered.fetch_add(1, Ordering::Relaxed);
                        attempt += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a flood task");
        }
    });
    let rate = answered.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("{rate} {} {before}", status_bytes("VmHWM"));
}
