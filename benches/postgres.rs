//! `PostgresStore` beside `SqliteStore`, in one run: whole registrations (first
//! authentication, code mailed, code entered) and logins per second from 1, 2, 8 and 32
//! concurrent Tokio tasks over 1, 2 and 4 pools (stores) sharing one database, with argon2id at
//! test-sized parameters (`HashParams::insecure_for_tests()`: m=8 KiB, t=1, p=1) so that the
//! store's work shows; then a login at the default parameters (m=19456 KiB, t=2, p=1) beside a
//! bare argon2id verify, whose difference is the store's (and the portal's) share of a login.
//!
//! ```sh
//! cargo bench --bench postgres          # KENPO_PG_URL, else postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Each pool holds eight connections; tasks are dealt to pools round-robin, as requests to
//! host processes behind a load balancer. Both stores keep their default durability
//! (PostgreSQL `synchronous_commit = on`, SQLite `synchronous = FULL` in WAL mode). The
//! PostgreSQL tables live in a fresh schema, dropped at the end; the SQLite file in a fresh
//! temporary directory. The runtime is Tokio's multi-threaded one with a worker per core.
//! Prints a Markdown table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::doc_markdown,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod support;
use support::{CodeMailer, PASSWORD, identity_of, insured_of};

use kenpo_auth::postgres::PostgresOptions;
use kenpo_auth::sqlite::SqliteOptions;
use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{
    Config, HashParams, IdentityForm, NewPassword, PasswordHasher, Portal, PostgresStore,
    RegistrationForm, SqliteStore, Store,
};

const TASKS: [usize; 4] = [1, 2, 8, 32];
const POOLS: [usize; 3] = [1, 2, 4];
const LOGIN_ACCOUNTS: u64 = 64;
/// How long each cell of the table runs.
const CELL: Duration = Duration::from_millis(1500);

fn config(params: HashParams) -> Config {
    Config {
        hash_params: params,
        max_concurrent_hashes: 64,
        max_queued_hashes: 256,
        ..Config::default()
    }
}

/// The first-authentication form of insurer `insurer`'s roster entry `n`, and a registration
/// form whose user ID and address are that insurer's own.
fn forms(insurer: &str, n: u64) -> (IdentityForm, RegistrationForm) {
    let form = RegistrationForm {
        user_id: format!("{insurer}x{n:07}"),
        password: PASSWORD.into(),
        email: format!("{insurer}.{n}@example.co.jp"),
    };
    (identity_of(insurer, n), form)
}

async fn register<S: Store>(portal: &Portal<S, CodeMailer>, insurer: &str, n: u64) {
    let (identity, form) = forms(insurer, n);
    let ticket = portal.authenticate_insured(&identity).await.unwrap();
    let pending = portal.begin_registration(&ticket, &form).await.unwrap();
    let code = portal.mailer().code_for(&form.email);
    portal.confirm_registration(&pending, &code).await.unwrap();
}

/// Runs `tasks` tasks for [`CELL`], task `t` on `portals[t % len]`, each doing `op(portal, i)`
/// with `i` from a shared counter; operations per second.
async fn cell<S, F, Fut>(portals: &[Arc<Portal<S, CodeMailer>>], tasks: usize, op: F) -> f64
where
    S: Store + 'static,
    F: Fn(Arc<Portal<S, CodeMailer>>, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + CELL;
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let portal = portals[t % portals.len()].clone();
            let (op, next, done) = (op.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    op(portal.clone(), i).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One row per (pools, tasks): registrations/s and logins/s on the stores `connect` makes.
async fn table<S, C, CF>(name: &str, connect: C, rows: &mut Vec<String>)
where
    S: Store + Clone + 'static,
    C: Fn() -> CF,
    CF: Future<Output = S>,
{
    static INSURER: AtomicU64 = AtomicU64::new(0);
    // Accounts to log in with, registered once through the first store.
    let first = connect().await;
    let login_insurer = format!("L{}", INSURER.fetch_add(1, Ordering::Relaxed));
    let people =
        (0..LOGIN_ACCOUNTS).map(|n| RosterEntry::new(n + 1, Some(insured_of(&login_insurer, n))));
    first
        .import_roster(&login_insurer, people, ImportMode::Apply)
        .await
        .unwrap();
    let setup = Portal::new(
        first,
        CodeMailer::default(),
        config(HashParams::insecure_for_tests()),
    );
    for n in 0..LOGIN_ACCOUNTS {
        register(&setup, &login_insurer, n).await;
    }
    for pools in POOLS {
        let mut portals = Vec::new();
        for _ in 0..pools {
            let portal = Portal::new(
                connect().await,
                CodeMailer::default(),
                config(HashParams::insecure_for_tests()),
            );
            portals.push(Arc::new(portal));
        }
        for tasks in TASKS {
            // A roster of its own for each cell's registrations, loaded in one import.
            let insurer = format!("R{}", INSURER.fetch_add(1, Ordering::Relaxed));
            let capacity = 20_000;
            let people =
                (0..capacity).map(|n| RosterEntry::new(n + 1, Some(insured_of(&insurer, n))));
            portals[0]
                .store()
                .import_roster(&insurer, people, ImportMode::Apply)
                .await
                .unwrap();
            let registrations = {
                let insurer = insurer.clone();
                cell(&portals, tasks, move |portal, i| {
                    let insurer = insurer.clone();
                    async move {
                        assert!(i < capacity, "more registrations than people");
                        register(&portal, &insurer, i).await;
                    }
                })
                .await
            };
            let logins = {
                let login_insurer = login_insurer.clone();
                cell(&portals, tasks, move |portal, i| {
                    let user_id = format!("{login_insurer}x{:07}", i % LOGIN_ACCOUNTS);
                    async move {
                        black_box(portal.login(&user_id, PASSWORD).await.unwrap());
                    }
                })
                .await
            };
            let row = format!("| {name} | {pools} | {tasks} | {registrations:.0} | {logins:.0} |");
            println!("{row}");
            rows.push(row);
        }
    }
}

/// Seconds per call of `op`, from `rounds` calls in a row.
async fn per_call<Fut: Future>(rounds: u32, mut op: impl FnMut() -> Fut) -> f64 {
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(op().await);
    }
    start.elapsed().as_secs_f64() / f64::from(rounds)
}

/// Median seconds per call of `op`: `rounds` rounds of `calls` calls in a row.
async fn median<Fut: Future>(rounds: usize, calls: u32, mut op: impl FnMut() -> Fut) -> f64 {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        times.push(per_call(calls, &mut op).await);
    }
    support::median(&mut times)
}

/// The store's (and portal's) share of a login at the default argon2id parameters.
///
/// The store's work does not depend on the argon2 parameters, so it is measured where argon2
/// costs next to nothing: a whole login at the test-sized parameters less a bare verify at
/// those parameters is what the store and the portal add to a login. Its share is that time
/// over itself plus a bare verify at the default parameters. Medians; one task.
async fn share<S: Store + Clone>(name: &str, store: S, default_verify: f64) -> String {
    let params = HashParams::insecure_for_tests();
    let insurer = "S1";
    store
        .import_roster(
            insurer,
            std::iter::once(RosterEntry::new(1, Some(insured_of(insurer, 0)))),
            ImportMode::Apply,
        )
        .await
        .unwrap();
    let portal = Portal::new(store, CodeMailer::default(), config(params.clone()));
    register(&portal, insurer, 0).await;
    let user_id = forms(insurer, 0).1.user_id;
    let hasher = PasswordHasher::new(params);
    let hash = hasher.hash(&NewPassword::parse(PASSWORD).unwrap()).unwrap();
    let login = median(15, 40, || async {
        portal.login(&user_id, PASSWORD).await.unwrap()
    })
    .await;
    let verify = median(15, 40, || async { hasher.verify(PASSWORD, &hash).unwrap() }).await;
    let added = (login - verify).max(0.0);
    format!(
        "| {name} | {:.2} ms | {:.1} % |",
        added * 1e3,
        100.0 * added / (added + default_verify)
    )
}

/// The share table: PostgreSQL with its defaults and with cheaper commits and checkouts,
/// SQLite with its defaults.
async fn shares(url: &str, pg_options: &PostgresOptions, schema: &str, dir: &std::path::Path) {
    let default_hasher = PasswordHasher::new(HashParams::default());
    let default_hash = default_hasher
        .hash(&NewPassword::parse(PASSWORD).unwrap())
        .unwrap();
    let default_verify = median(9, 5, || async {
        default_hasher.verify(PASSWORD, &default_hash).unwrap()
    })
    .await;
    println!(
        "\nThe store's share of a login at the default argon2id parameters (m=19456 KiB t=2 p=1; \
         a bare verify takes {:.1} ms here):\n",
        default_verify * 1e3
    );
    println!("| store | store and portal per login | share of a login |");
    println!("| --- | ---: | ---: |");
    let variants = [
        (
            "PostgreSQL (defaults: durable commits, connections verified)",
            "share",
            pg_options.clone(),
        ),
        (
            "PostgreSQL, connections not verified",
            "share_nv",
            pg_options.clone().verify_connections(false),
        ),
        (
            "PostgreSQL, synchronous_commit off",
            "share_async",
            pg_options.clone().synchronous_commit(false),
        ),
        (
            "PostgreSQL, both",
            "share_both",
            pg_options
                .clone()
                .verify_connections(false)
                .synchronous_commit(false),
        ),
    ];
    for (label, suffix, options) in variants {
        let store = PostgresStore::connect_with(url, options.schema(&format!("{schema}_{suffix}")))
            .await
            .unwrap();
        println!("{}", share(label, store, default_verify).await);
    }
    let sqlite = SqliteStore::open(dir.join("share.db")).unwrap();
    println!(
        "{}",
        share("SQLite (defaults)", sqlite, default_verify).await
    );
}

async fn run() {
    let url = std::env::var("KENPO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("kenpo_bench_{}", std::process::id());
    let pg_options = PostgresOptions::default().schema(&schema).pool_size(8);
    if let Err(error) = PostgresStore::connect_with(&url, pg_options.clone()).await {
        eprintln!("postgres bench skipped: {error}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kenpo-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bench.db");

    println!("argon2id m=8 KiB t=1 p=1 (HashParams::insecure_for_tests); {CELL:?} per cell\n");
    println!("| store | pools | tasks | registrations/s | logins/s |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut rows = Vec::new();
    table(
        "PostgreSQL",
        || {
            let (url, options) = (url.clone(), pg_options.clone());
            async move { PostgresStore::connect_with(&url, options).await.unwrap() }
        },
        &mut rows,
    )
    .await;
    table(
        "SQLite",
        || {
            let db = db.clone();
            async move {
                SqliteStore::open_with(&db, SqliteOptions::default().connections(8)).unwrap()
            }
        },
        &mut rows,
    )
    .await;

    shares(&url, &pg_options, &schema, &dir).await;

    let _ = std::fs::remove_dir_all(&dir);
    // Drop the bench's schemas.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;
             DROP SCHEMA IF EXISTS \"{schema}_share\" CASCADE;
             DROP SCHEMA IF EXISTS \"{schema}_share_nv\" CASCADE;
             DROP SCHEMA IF EXISTS \"{schema}_share_async\" CASCADE;
             DROP SCHEMA IF EXISTS \"{schema}_share_both\" CASCADE"
        ))
        .await
        .unwrap();
}

fn main() {
    support::main_on_tokio(run());
}
