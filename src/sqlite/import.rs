//! [`Store::import_roster`](crate::Store::import_roster) on SQLite: stage, compare, swap.
//!
//! 1. **Stage** the entries, as they come, into a temporary table of this connection
//!    (`temp.roster_import`, on disk: `PRAGMA temp_store = FILE`, so that a million-row file
//!    does not live in memory). Nothing of the shared database is locked yet, so a file that
//!    takes seconds to read holds up no login. The table's unique key finds duplicates.
//! 2. **Compare** the staged roster with the stored one and **apply** it in one
//!    `BEGIN IMMEDIATE` transaction: each staged row, joined with the row it replaces, goes
//!    through [`RosterTally::seen`]; each stored person of the insurer the file did not name
//!    through [`RosterTally::removed`]; if [`RosterTally::may_apply`], the added and changed
//!    rows are upserted and the missing ones deleted before the commit. Readers (WAL) see the
//!    old roster or the new one, never a mix; writers wait for the commit (busy timeout).
//!
//! The rule (what counts as changed, when an import may be applied) is the tally's; this file
//! only moves rows.

#![allow(clippy::doc_markdown)] // SQLite is a name, not code.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::codec::{RosterRow, roster_columns};
use super::error::SqliteError;
use crate::identity::InsuredKey;
use crate::roster::{ImportMode, RosterChanges, RosterEntry, RosterTally};

/// The staging table: `seq` keeps the entries' order, the unique key catches duplicates.
const STAGE: &str = "
PRAGMA temp_store = FILE;
DROP TABLE IF EXISTS temp.roster_import;
CREATE TEMP TABLE roster_import (
    seq          INTEGER PRIMARY KEY,
    line         INTEGER NOT NULL,
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    name_kana    TEXT NOT NULL,
    coverage_end TEXT,
    UNIQUE (insurer_code, symbol, number)
);
";

/// The stored people of insurer `?1` whom the staged file does not name.
const MISSING: &str = "FROM main.roster AS r WHERE r.insurer_code = ?1 AND NOT EXISTS (
    SELECT 1 FROM temp.roster_import AS s
    WHERE s.insurer_code = r.insurer_code AND s.symbol = r.symbol AND s.number = r.number)";

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
    let mut tally = RosterTally::new(insurer_code, mode);
    stage(conn, &mut tally, entries)?;

    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    compare(&tx, &mut tally)?;
    {
        let mut statement = tx.prepare(&format!("SELECT r.symbol, r.number {MISSING}"))?;
        let mut rows = statement.query([insurer_code])?;
        while let Some(row) = rows.next()? {
            let symbol: String = row.get(0)?;
            let number: String = row.get(1)?;
            let key = InsuredKey::new(insurer_code, &symbol, &number).map_err(|_| {
                SqliteError::Corrupt {
                    what: "insured key",
                }
            })?;
            tally.removed(&key);
        }
    }
    let apply = tally.may_apply();
    if apply {
        tx.execute(&format!("DELETE {MISSING}"), [insurer_code])?;
        // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
        tx.execute(
            &format!(
                "INSERT INTO main.roster ({columns})
                 SELECT {columns} FROM temp.roster_import WHERE true
                 ON CONFLICT (insurer_code, symbol, number) DO UPDATE SET
                     birth_date = excluded.birth_date, name_kana = excluded.name_kana,
                     coverage_end = excluded.coverage_end
                 WHERE birth_date IS NOT excluded.birth_date
                     OR name_kana IS NOT excluded.name_kana
                     OR coverage_end IS NOT excluded.coverage_end",
                columns = RosterRow::COLUMNS
            ),
            [],
        )?;
        tx.commit()?;
    }
    // Otherwise dropping `tx` rolls back: a dry run or a refused import writes nothing.
    Ok(tally.finish(apply))
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
            "INSERT INTO temp.roster_import (line, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
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
            if insert.execute(params![line, c0, c1, c2, c3, c4, c5])? == 0 {
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

/// Step 2a: every staged row beside the row it replaces, in the file's order, to the tally.
fn compare(tx: &rusqlite::Transaction<'_>, tally: &mut RosterTally) -> Result<(), SqliteError> {
    let staged = "s.insurer_code, s.symbol, s.number, s.birth_date, s.name_kana, s.coverage_end";
    let stored = "r.insurer_code, r.symbol, r.number, r.birth_date, r.name_kana, r.coverage_end";
    let mut statement = tx.prepare(&format!(
        "SELECT {staged}, {stored} FROM temp.roster_import AS s
         LEFT JOIN main.roster AS r ON r.insurer_code = s.insurer_code
             AND r.symbol = s.symbol AND r.number = s.number
         ORDER BY s.seq"
    ))?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let new = RosterRow::read_at(row, 0)?.into_record()?;
        let old = match row.get::<_, Option<String>>(6)? {
            Some(_) => Some(RosterRow::read_at(row, 6)?.into_record()?),
            None => None,
        };
        tally.seen(&new, old.as_ref());
    }
    Ok(())
}

/// Drops the staging table and gives the connection back its default temporary storage.
pub(super) fn clean_up(conn: &Connection) -> Result<(), SqliteError> {
    conn.execute_batch("DROP TABLE IF EXISTS temp.roster_import; PRAGMA temp_store = DEFAULT;")?;
    Ok(())
}
