//! Imports a union's roster file (CSV, UTF-8 or Shift_JIS) and prints what changed, or with
//! `--dry-run` what would change; every bad row with its line, in Japanese and English.
//!
//! ```sh
//! cargo run --example roster_import -- FILE [--db FILE] [--insurer CODE] [--dry-run]
//!     [--skip-bad-rows] [--encoding utf-8|shift_jis] [--remove-many]
//! ```
//!
//! A file that would remove more than a fifth of the roster is not imported unless
//! `--remove-many` says it is meant (`RosterChanges::removes_too_many`).
//!
//! Without `--db` the roster goes into a `MemoryStore` (and is gone when the example ends);
//! with it, into a `SqliteStore` file, so that a second run shows the changes between two
//! months' files. The insurer code defaults to 06139999. `cargo bench --bench roster_import`
//! generates a 1,000,000-row Shift_JIS file at `target/roster-1m-cp932.csv` to try it on.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::doc_markdown)]

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use kenpo_auth::store::{ImportMode, RosterChanges};
use kenpo_auth::{
    Config, CsvEncoding, InsuredKey, MemoryStore, MessageJa, Portal, RecordingMailer, RosterCsv,
    SqliteStore, Store,
};

struct Args {
    file: String,
    db: Option<String>,
    insurer: String,
    mode: ImportMode,
    skip_bad_rows: bool,
    encoding: CsvEncoding,
}

const USAGE: &str = "usage: roster_import FILE [--db FILE] [--insurer CODE] [--dry-run] \
                     [--skip-bad-rows] [--encoding utf-8|shift_jis] [--remove-many]";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        file: String::new(),
        db: None,
        insurer: "06139999".to_owned(),
        mode: ImportMode::Apply,
        skip_bad_rows: false,
        encoding: CsvEncoding::Detect,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--db" => parsed.db = Some(value("--db")?),
            "--insurer" => parsed.insurer = value("--insurer")?,
            "--dry-run" => parsed.mode = ImportMode::DryRun,
            "--remove-many" => parsed.mode = ImportMode::ApplyRemovingMany,
            "--skip-bad-rows" => parsed.skip_bad_rows = true,
            "--encoding" => {
                parsed.encoding = match value("--encoding")?.to_ascii_lowercase().as_str() {
                    "utf-8" | "utf8" => CsvEncoding::Utf8,
                    "shift_jis" | "sjis" | "cp932" => CsvEncoding::ShiftJis,
                    other => return Err(format!("unknown encoding {other}")),
                }
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            file if parsed.file.is_empty() => file.clone_into(&mut parsed.file),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    if parsed.file.is_empty() {
        return Err("no file given".to_owned());
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match &args.db {
        None => pollster::block_on(import(MemoryStore::new(), &args)),
        Some(path) => match SqliteStore::open(path) {
            Ok(store) => pollster::block_on(import(store, &args)),
            Err(error) => Err(format!("{}\n({error})", error.message_ja())),
        },
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(problem) => {
            eprintln!("{problem}");
            ExitCode::FAILURE
        }
    }
}

/// Imports the file into `store` through a portal (so that the import is audited); `Ok(true)`
/// if every row was good.
async fn import<S: Store>(store: S, args: &Args) -> Result<bool, String> {
    let csv = RosterCsv::new(&args.insurer)
        .map_err(|error| format!("{}\n({error})", error.message_ja()))?
        .encoding(args.encoding)
        .skip_bad_rows(args.skip_bad_rows);
    let file = File::open(&args.file).map_err(|error| format!("{}: {error}", args.file))?;
    let mut rows = csv
        .read(BufReader::new(file))
        .map_err(|error| format!("{}\n({error})", error.message_ja()))?;
    let portal = Portal::new(store, RecordingMailer::new(), Config::default());
    let changes = portal
        .import_roster(csv.insurer_code(), &mut rows, args.mode)
        .await
        .map_err(|error| format!("{}\n({error})", error.message_ja()))?;
    let total = portal
        .roster_count(csv.insurer_code())
        .await
        .map_err(|error| error.to_string())?;

    println!(
        "保険者 {} / insurer {}: {} 行を読み込みました / {} rows read ({})",
        csv.insurer_code(),
        csv.insurer_code(),
        rows.rows_read(),
        rows.rows_read(),
        rows.encoding().unwrap_or("ASCII")
    );
    for problem in rows.problems() {
        println!("  ✗ {}\n    {problem}", problem.message_ja());
    }
    if rows.problem_count() > rows.problems().len() as u64 {
        println!(
            "  … 不正な行は全部で {} 行 / {} bad rows in all",
            rows.problem_count(),
            rows.problem_count()
        );
    }
    for duplicate in &changes.duplicates {
        println!("  ✗ {}\n    {duplicate}", duplicate.message_ja());
    }
    print_changes(&changes, args.mode);
    println!("名簿の人数 / people on the roster now: {total}");
    Ok(changes.is_clean()
        && rows.problem_count() == 0
        && !refused_for_removals(&changes, args.mode))
}

/// Whether the import was refused (only) for removing too many people.
fn refused_for_removals(changes: &RosterChanges, mode: ImportMode) -> bool {
    mode == ImportMode::Apply && changes.is_clean() && changes.removes_too_many()
}

fn print_changes(changes: &RosterChanges, mode: ImportMode) {
    let verdict = match (changes.applied, mode) {
        (true, _) => "取り込みました / imported",
        (false, ImportMode::DryRun) => "試行のみ（変更なし） / dry run, nothing written",
        (false, _) if refused_for_removals(changes, mode) => {
            "名簿の2割を超える人が削除されるため取り込みませんでした（意図したものなら \
             --remove-many） / not imported: it would remove more than a fifth of the roster \
             (--remove-many if that is meant)"
        }
        (false, _) => {
            "不正な行があるため取り込みませんでした / not imported: the file has bad rows"
        }
    };
    println!("{verdict}");
    println!(
        "  追加 added {} / 変更 changed {} / 削除 removed {} / 変更なし unchanged {}",
        changes.added, changes.changed, changes.removed, changes.unchanged
    );
    let show = |label: &str, keys: &[InsuredKey], count: u64| {
        if keys.is_empty() {
            return;
        }
        let shown: Vec<String> = keys.iter().take(10).map(ToString::to_string).collect();
        let rest = if count > 10 {
            format!(" … (+{})", count - 10)
        } else {
            String::new()
        };
        println!("  {label}: {}{rest}", shown.join(", "));
    };
    show("追加 added", &changes.added_keys, changes.added);
    show("変更 changed", &changes.changed_keys, changes.changed);
    show("削除 removed", &changes.removed_keys, changes.removed);
}
