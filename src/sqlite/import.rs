//! [`Store::import_roster`](crate::Store::import_roster) on SQLite: stage, compare, swap.
//!
//! 1. **Stage** the entries, as they come, into a temporary table of this connection
//!    (`temp.roster_import`, keyed by the insured person, on disk: `PRAGMA temp_store = FILE`,
//!    so that a million-row file does not live in memory). Nothing of the shared database is
//!    locked, so a file that takes seconds to read holds up no login. The key finds
//!    duplicates.
//! 2. **Compare** the staged roster with the stored one in a read transaction (a snapshot;
//!    in WAL mode it blocks no writer): each staged row, joined with the row it replaces, goes
//!    through [`RosterEntry::record_over`] and [`RosterTally::seen`]; each stored person of the
//!    insurer the file does not name through [`RosterTally::removed`]. The insurer's
//!    `roster_versions` row is read in the same snapshot (an end of coverage set by hand bumps
//!    it too, so the apply compares again rather than write an end it read before).
//! 3. **Apply**, if [`RosterTally::may_apply`], in one `BEGIN IMMEDIATE` transaction: if the
//!    version is still the one compared against, nobody wrote the insurer's roster since, so
//!    the report is exact; otherwise the comparison runs again under the write lock. Then the
//!    differences the comparison listed (`temp.roster_writes`: people missing from the file,
//!    rows added or changed) are written and the version bumped before the commit. Readers see the old roster or the new one, never a mix; writers wait
//!    for the commit, which holds the lock only for the writes (the comparison, the longest
//!    part, is outside it: see the README's measurement).
//!
//! The rule (what counts as changed, when an import may be applied) is the tally's; this file
//! only moves rows. Key lists come in key order.

#![allow(clippy::doc_markdown)] // SQLite is a name, not code.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::codec::{RosterRow, roster_columns};
use super::error::SqliteError;
use crate::identity::InsuredKey;
use crate::roster::{ImportMode, RosterChanges, RosterEntry, RosterTally, RowChange};

/// The staging table, keyed like the roster so that duplicates collide and the comparison
/// walks both tables in one order. The temporary cache is bounded (16 MiB).
const STAGE: &str = "
PRAGMA temp_store = FILE;
PRAGMA temp.cache_size = -16384;
DROP TABLE IF EXISTS temp.roster_import;
CREATE TEMP TABLE roster_import (
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    name_kana    TEXT NOT NULL,
    coverage_end TEXT,
    keeps_end    INTEGER NOT NULL,  -- 1: the row says nothing of coverage_end (RosterEntry)
    line         INTEGER NOT NULL,
    PRIMARY KEY (insurer_code, symbol, number)
) WITHOUT ROWID;
DROP TABLE IF EXISTS temp.roster_writes;
CREATE TEMP TABLE roster_writes (
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    gone         INTEGER NOT NULL,  -- 1: delete, 0: upsert the staged row
    coverage_end TEXT,              -- for an upsert: RosterEntry::record_over's
    PRIMARY KEY (insurer_code, symbol, number)
) WITHOUT ROWID;
";

/// The stored people of insurer `?1` whom the staged file does not name.
const MISSING: &str = "FROM main.roster AS r WHERE r.insurer_code = ?1 AND NOT EXISTS (
    SELECT 1 FROM temp.roster_import AS s
    WHERE s.insurer_code = r.insurer_code AND s.symbol = r.symbol AND s.number = r.number)";

/// The version of insurer `?1`'s roster (0 before its first write).
const VERSION: &str =
    "SELECT coalesce((SELECT version FROM main.roster_versions WHERE insurer_code = ?1), 0)";

/// Bumps the version of insurer `?1`'s roster: every write to a roster runs it in its
/// transaction.
pub(super) const BUMP_VERSION: &str = "INSERT INTO main.roster_versions (insurer_code, version)
    VALUES (?1, 1) ON CONFLICT (insurer_code) DO UPDATE SET version = version + 1";

/// Runs the import on `conn`; the caller then runs [`clean_up`] whatever the outcome.
pub(super) fn run<I>(
    conn: &mut Connection,
    insurer_code: &str,
    entries: I,
    mode: ImportMode,
) -> Result<RosterChanges, SqliteError>
where
    I: Iterator<Item = RosterEntry>,
{
    run_with(conn, insurer_code, entries, mode, || Ok(()))
}

/// [`run`], calling `between` after the comparison and before the write lock (where another
/// writer may slip in; the tests put one there).
fn run_with<I>(
    conn: &mut Connection,
    insurer_code: &str,
    entries: I,
    mode: ImportMode,
    between: impl FnOnce() -> Result<(), SqliteError>,
) -> Result<RosterChanges, SqliteError>
where
    I: Iterator<Item = RosterEntry>,
{
    let mut staged = RosterTally::new(insurer_code, mode);
    stage(conn, &mut staged, entries)?;

    let snapshot = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let compared_at: i64 = snapshot.query_row(VERSION, [insurer_code], |row| row.get(0))?;
    let mut tally = staged.clone();
    compare(&snapshot, insurer_code, &mut tally)?;
    snapshot.commit()?;
    if !tally.may_apply() {
        return Ok(tally.finish(false));
    }
    between()?;

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now_at: i64 = tx.query_row(VERSION, [insurer_code], |row| row.get(0))?;
    if now_at != compared_at {
        // Someone wrote this roster in between: compare again, under the lock this time.
        tally = staged;
        compare(&tx, insurer_code, &mut tally)?;
        if !tally.may_apply() {
            return Ok(tally.finish(false));
        }
    }
    // Only the differences, which the comparison listed: the lock is held for the writes a
    // month's changes need, not for a walk of the whole roster.
    tx.execute(
        "DELETE FROM main.roster WHERE (insurer_code, symbol, number) IN
             (SELECT insurer_code, symbol, number FROM temp.roster_writes WHERE gone = 1)",
        [],
    )?;
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    tx.execute(
        &format!(
            "INSERT INTO main.roster ({columns})
             SELECT {staged}, w.coverage_end FROM temp.roster_writes AS w
             JOIN temp.roster_import AS s ON s.insurer_code = w.insurer_code
                 AND s.symbol = w.symbol AND s.number = w.number
             WHERE w.gone = 0
             ON CONFLICT (insurer_code, symbol, number) DO UPDATE SET
                 birth_date = excluded.birth_date, name_kana = excluded.name_kana,
                 coverage_end = excluded.coverage_end",
            columns = RosterRow::COLUMNS,
            staged = "s.insurer_code, s.symbol, s.number, s.birth_date, s.name_kana",
        ),
        [],
    )?;
    tx.execute(BUMP_VERSION, [insurer_code])?;
    tx.commit()?;
    Ok(tally.finish(true))
}

/// Step 1: the admitted entries into the staging table, duplicates into the tally.
fn stage<I>(conn: &mut Connection, tally: &mut RosterTally, entries: I) -> Result<(), SqliteError>
where
    I: Iterator<Item = RosterEntry>,
{
    conn.execute_batch(STAGE)?;
    // A transaction on the temporary database only: the shared file is not locked.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    {
        let mut insert = tx.prepare(&format!(
            "INSERT INTO temp.roster_import ({}, keeps_end, line)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (insurer_code, symbol, number) DO NOTHING",
            RosterRow::COLUMNS
        ))?;
        let mut first_line = tx.prepare(
            "SELECT line FROM temp.roster_import
             WHERE insurer_code = ?1 AND symbol = ?2 AND number = ?3",
        )?;
        for entry in entries {
            let Some(record) = tally.admit(&entry) else {
                continue;
            };
            let line = i64::try_from(entry.line).unwrap_or(i64::MAX);
            let [c0, c1, c2, c3, c4, c5] = roster_columns(record);
            let keeps = entry.keeps_coverage_end;
            if insert.execute(params![c0, c1, c2, c3, c4, c5, keeps, line])? == 0 {
                let key = record.key();
                let first: Option<i64> = first_line
                    .query_row([key.insurer_code(), key.symbol(), key.number()], |row| {
                        row.get(0)
                    })
                    .optional()?;
                let first = first.and_then(|line| u64::try_from(line).ok()).unwrap_or(0);
                tally.duplicate(entry.line, first, key);
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// The staging table's roster columns, in [`RosterRow::COLUMNS`] order.
const STAGED_COLUMNS: &str =
    "s.insurer_code, s.symbol, s.number, s.birth_date, s.name_kana, s.coverage_end";

/// Step 2: every staged row beside the row it replaces, then every stored person the file
/// does not name, to the tally, in key order; what differs into `temp.roster_writes`.
fn compare(
    tx: &rusqlite::Transaction<'_>,
    insurer_code: &str,
    tally: &mut RosterTally,
) -> Result<(), SqliteError> {
    tx.execute("DELETE FROM temp.roster_writes", [])?;
    let mut write = tx.prepare(
        "INSERT INTO temp.roster_writes (insurer_code, symbol, number, gone, coverage_end)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let stored = "r.insurer_code, r.symbol, r.number, r.birth_date, r.name_kana, r.coverage_end";
    let mut statement = tx.prepare(&format!(
        "SELECT {STAGED_COLUMNS}, {stored}, s.keeps_end FROM temp.roster_import AS s
         LEFT JOIN main.roster AS r ON r.insurer_code = s.insurer_code
             AND r.symbol = s.symbol AND r.number = s.number
         ORDER BY s.insurer_code, s.symbol, s.number"
    ))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let staged = RosterRow::from_sqlite_at(row, 0)?.into_record()?;
        let old = match row.get::<_, Option<String>>(RosterRow::WIDTH)? {
            Some(_) => Some(RosterRow::from_sqlite_at(row, RosterRow::WIDTH)?.into_record()?),
            None => None,
        };
        let entry = RosterEntry {
            keeps_coverage_end: row.get(2 * RosterRow::WIDTH)?,
            ..RosterEntry::new(0, Some(staged))
        };
        let Some(new) = entry.record_over(old.as_ref()) else {
            continue;
        };
        if tally.seen(&new, old.as_ref()) != RowChange::Unchanged {
            let key = new.key();
            let [.., end] = roster_columns(&new);
            write.execute(params![
                key.insurer_code(),
                key.symbol(),
                key.number(),
                0,
                end
            ])?;
        }
    }
    let mut statement = tx.prepare(&format!(
        "SELECT r.symbol, r.number {MISSING} ORDER BY r.symbol, r.number"
    ))?;
    let mut rows = statement.query([insurer_code])?;
    while let Some(row) = rows.next()? {
        let symbol: String = row.get(0)?;
        let number: String = row.get(1)?;
        let key =
            InsuredKey::new(insurer_code, &symbol, &number).map_err(|_| SqliteError::Corrupt {
                what: "insured key",
            })?;
        tally.removed(&key);
        write.execute(params![insurer_code, symbol, number, 1, None::<String>])?;
    }
    Ok(())
}

/// Drops the staging table and gives the connection back its default temporary storage.
pub(super) fn clean_up(conn: &Connection) -> Result<(), SqliteError> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.roster_import; DROP TABLE IF EXISTS temp.roster_writes;
         PRAGMA temp_store = DEFAULT;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{BirthDate, CoverageEnd, InsuredRecord};
    use crate::sqlite::schema::migrate;

    fn person(number: &str) -> InsuredRecord {
        let birth = BirthDate::new(1980, 4, 1).unwrap_or_else(|_| unreachable!());
        InsuredRecord::new("06139999", "12", number, birth, "ケンポ ハナコ")
            .unwrap_or_else(|_| unreachable!())
    }

    fn entries(numbers: &[&str]) -> impl Iterator<Item = RosterEntry> {
        let records: Vec<InsuredRecord> = numbers.iter().map(|n| person(n)).collect();
        records
            .into_iter()
            .zip(2..)
            .map(|(record, line)| RosterEntry::new(line, Some(record)))
    }

    /// A write to the roster between the comparison and the lock makes the import compare
    /// again under the lock, so that its report stays exact.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_write_between_comparison_and_lock_is_compared_again() {
        let dir = std::env::temp_dir().join(format!("kenpo-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("between.db");
        let _ = std::fs::remove_file(&path);
        let mut importer = Connection::open(&path).unwrap();
        migrate(&mut importer).unwrap();
        let other = Connection::open(&path).unwrap();
        let first = run(
            &mut importer,
            "06139999",
            entries(&["1", "2"]),
            ImportMode::Apply,
        );
        clean_up(&importer).unwrap();
        assert_eq!(first.unwrap().added, 2);

        // Between the comparison and the lock, person 2's coverage ends: the file (which has
        // no end for them) now changes them, which the stale comparison had not seen.
        let end = CoverageEnd::new(2026, 12, 31).unwrap().to_string();
        let report = run_with(
            &mut importer,
            "06139999",
            entries(&["1", "2"]),
            ImportMode::Apply,
            || {
                other.execute(
                    "UPDATE roster SET coverage_end = ?1 WHERE number = '2'",
                    [&end],
                )?;
                other.execute(BUMP_VERSION, ["06139999"])?;
                Ok(())
            },
        )
        .unwrap();
        clean_up(&importer).unwrap();
        assert!(report.applied);
        assert_eq!((report.changed, report.unchanged), (1, 1), "{report:?}");
        let stored: Option<String> = other
            .query_row(
                "SELECT coverage_end FROM roster WHERE number = '2'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(stored, None, "the file's roster is what is stored");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
