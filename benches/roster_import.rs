//! A union's monthly roster, 1,000,000 rows of Shift_JIS CSV, into `MemoryStore`,
//! `SqliteStore` and `PostgresStore` (with its default options, statement timeout included):
//! rows per second and peak memory of each step, beside reading the file alone
//! (the baseline) in the same run.
//!
//! ```sh
//! cargo bench --bench roster_import            # 1,000,000 rows
//! ROWS=100000 cargo bench --bench roster_import
//! KENPO_PG_URL=postgres://… cargo bench --bench roster_import   # else 127.0.0.1:5432/test
//! ```
//!
//! Two files are generated under `target/`: month 1 (everyone new) and month 2 (1 % removed,
//! 1 % renamed, 1 % added), each imported in turn. Peak memory is `VmHWM` of this process,
//! reset before each step (`/proc/self/clear_refs`), so each figure is that step's own peak;
//! "grew" is that peak minus the resident size before the step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
#![allow(clippy::cast_precision_loss, clippy::doc_markdown)]

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use encoding_rs::SHIFT_JIS;
use std::sync::atomic::{AtomicBool, Ordering};

use kenpo_auth::postgres::PostgresOptions;
use kenpo_auth::sqlite::{SqliteOptions, Synchronous};
use kenpo_auth::store::{CounterKey, ImportMode, LimitPolicy};
use kenpo_auth::{MemoryStore, PostgresStore, RosterCsv, SqliteStore, Store, UserId};
use pollster::block_on;

const INSURER: &str = "06139999";
const NAMES: [&str; 6] = [
    "ケンポ ハナコ",
    "ｹﾝﾎﾟ ﾀﾛｳ",
    "けんぽ じろう",
    "ヤマダ タロウ",
    "スズキ イチロウ",
    "タナカ ヴァイオレット",
];

/// Row `n` of a month's file, spelled as month `month` spells it.
fn row(n: u64, month: u8) -> String {
    let name = NAMES.get((n % 6) as usize).copied().unwrap_or("ケンポ");
    let name = if month == 2 && n % 100 == 1 {
        format!("{name}ア")
    } else {
        name.to_owned()
    };
    let (year, m, d) = (1940 + n % 80, 1 + n % 12, 1 + n % 28);
    let birth = match n % 3 {
        0 => format!("{year}-{m:02}-{d:02}"),
        1 => format!("{year}{m:02}{d:02}"),
        _ => format!("{year}/{m}/{d}"),
    };
    format!("{INSURER},{},{},{birth},{name},\r\n", 1 + n % 9999, n)
}

/// Writes month `month`'s file of about `rows` rows in Shift_JIS, unless it is there already.
fn generate(path: &Path, rows: u64, month: u8) {
    if path.exists() {
        return;
    }
    let mut out = BufWriter::new(File::create(path).unwrap());
    let header = "保険者番号,記号,番号,生年月日,氏名カナ,資格喪失日\r\n";
    out.write_all(&SHIFT_JIS.encode(header).0).unwrap();
    let extra = if month == 2 { rows / 100 } else { 0 };
    for n in 0..rows + extra {
        if month == 2 && n % 100 == 0 {
            continue; // left the union
        }
        out.write_all(&SHIFT_JIS.encode(&row(n, month)).0).unwrap();
    }
    out.flush().unwrap();
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Resets the peak resident size to the current one (Linux 4.0 and later).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn csv() -> RosterCsv {
    RosterCsv::new(INSURER).unwrap()
}

struct Step {
    rows: u64,
    took: Duration,
    peak_kib: u64,
    grew_kib: u64,
}

fn measure(work: impl FnOnce() -> u64) -> Step {
    reset_peak();
    let before = status_kib("VmRSS:");
    let start = Instant::now();
    let rows = work();
    let took = start.elapsed();
    let peak_kib = status_kib("VmHWM:");
    Step {
        rows,
        took,
        peak_kib,
        grew_kib: peak_kib.saturating_sub(before),
    }
}

fn print(name: &str, step: &Step) {
    println!(
        "| {name:<38} | {:>9} | {:>6.1} | {:>9.0} | {:>7.1} | {:>7.1} |",
        step.rows,
        step.took.as_secs_f64(),
        step.rows as f64 / step.took.as_secs_f64(),
        step.peak_kib as f64 / 1024.0,
        step.grew_kib as f64 / 1024.0,
    );
}

fn import_into<S: Store>(store: &S, file: &Path) -> u64 {
    let mut rows = csv()
        .read(BufReader::new(File::open(file).unwrap()))
        .unwrap();
    let report = block_on(store.import_roster(INSURER, &mut rows, ImportMode::Apply)).unwrap();
    assert!(report.applied, "{report:?} {:?}", rows.problems().first());
    rows.rows_read()
}

/// Runs `work` while another thread counts a login attempt every 5 ms on `store` (a write,
/// as every login is); the work's result, and the slowest attempt, failures and attempts.
fn while_logging_in<T>(store: &SqliteStore, work: impl FnOnce() -> T) -> (T, (Duration, u64, u64)) {
    let done = AtomicBool::new(false);
    let policy = LimitPolicy {
        locks: None,
        ceiling: None,
        forget_after: None,
    };
    std::thread::scope(|scope| {
        let prober = scope.spawn(|| {
            let key = CounterKey::Login(UserId::parse("member01").unwrap().key());
            let (mut slowest, mut failed, mut attempts) = (Duration::ZERO, 0, 0);
            while !done.load(Ordering::Relaxed) {
                let start = Instant::now();
                if block_on(store.acquire_attempt(&key, SystemTime::now(), policy)).is_err() {
                    failed += 1;
                }
                slowest = slowest.max(start.elapsed());
                attempts += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            (slowest, failed, attempts)
        });
        let result = work();
        done.store(true, Ordering::Relaxed);
        (result, prober.join().unwrap())
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let rows: u64 = std::env::var("ROWS")
        .ok()
        .and_then(|rows| rows.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir).unwrap();
    let suffix = if rows == 1_000_000 {
        "1m".to_owned()
    } else {
        rows.to_string()
    };
    let month1 = dir.join(format!("roster-{suffix}-cp932.csv"));
    let month2 = dir.join(format!("roster-{suffix}-cp932-month2.csv"));
    let started = SystemTime::now();
    generate(&month1, rows, 1);
    generate(&month2, rows, 2);
    println!(
        "files: {} ({:.1} MB) and month 2 ({:.1} MB), ready in {:.1} s",
        month1.display(),
        std::fs::metadata(&month1).unwrap().len() as f64 / 1e6,
        std::fs::metadata(&month2).unwrap().len() as f64 / 1e6,
        started.elapsed().unwrap_or_default().as_secs_f64()
    );
    println!();
    println!(
        "| step                                   |      rows |      s |    rows/s | peak MiB | grew MiB |"
    );
    println!(
        "|----------------------------------------|----------:|-------:|----------:|---------:|---------:|"
    );

    let parse = measure(|| {
        let rows = csv()
            .read(BufReader::new(File::open(&month1).unwrap()))
            .unwrap();
        let mut count = 0;
        for entry in rows {
            assert!(entry.record.is_some());
            count += 1;
        }
        count
    });
    print("read and validate only (baseline)", &parse);

    let db = dir.join(format!("roster-{suffix}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // The bench's own file: durability as a union's batch job would run it (NORMAL in WAL).
    let sqlite = SqliteStore::open_with(
        &db,
        SqliteOptions::default().synchronous(Synchronous::Normal),
    )
    .unwrap();
    let logins = SqliteStore::open(&db).unwrap(); // another pool, as another host process
    let (first, slowest_first) =
        while_logging_in(&logins, || measure(|| import_into(&sqlite, &month1)));
    print("SqliteStore, month 1 (all added)", &first);
    let (second, slowest_second) =
        while_logging_in(&logins, || measure(|| import_into(&sqlite, &month2)));
    print("SqliteStore, month 2 (1 % each way)", &second);
    drop(sqlite);

    for (month, slowest) in [(1, slowest_first), (2, slowest_second)] {
        println!(
            "|   meanwhile, another pool's login writes (month {month}): slowest {:.0} ms, {} failed of {} |",
            slowest.0.as_secs_f64() * 1000.0,
            slowest.1,
            slowest.2
        );
    }

    let memory = MemoryStore::new();
    let first = measure(|| import_into(&memory, &month1));
    print("MemoryStore, month 1 (all added)", &first);
    let second = measure(|| import_into(&memory, &month2));
    print("MemoryStore, month 2 (1 % each way)", &second);
    drop(memory);

    postgres(&month1, &month2);
}

/// Both months into `PostgresStore` with its default options (a 10 s statement timeout) in a
/// schema of its own, dropped at the end; skipped, and said so, without a server.
fn postgres(month1: &Path, month2: &Path) {
    let url = std::env::var("KENPO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("kenpo_roster_bench_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // The store's connections are driven by the runtime's workers; this thread only waits.
    let _inside = runtime.enter();
    let options = PostgresOptions::default().schema(&schema);
    let store = match block_on(PostgresStore::connect_with(&url, options)) {
        Ok(store) => store,
        Err(error) => {
            println!("| PostgresStore skipped: {error} |");
            return;
        }
    };
    let first = measure(|| import_into(&store, month1));
    print("PostgresStore, month 1 (all added)", &first);
    let second = measure(|| import_into(&store, month2));
    print("PostgresStore, month 2 (1 % each way)", &second);
    drop(store);
    block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await
            .unwrap();
    });
}
