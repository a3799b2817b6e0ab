//! [`Store::import_roster`](crate::Store::import_roster) on PostgreSQL: stage, compare, apply,
//! in one `READ COMMITTED` transaction.
//!
//! The transaction has a statement timeout of its own
//! ([`PostgresOptions::import_statement_timeout`](crate::postgres::PostgresOptions::import_statement_timeout)):
//! its statements grow with the file.
//!
//! 1. **Lock** the insurer's roster against other imports of it:
//!    `pg_advisory_xact_lock` on a key derived from the schema and the insurer code (logins and
//!    other insurers' imports are not held up).
//! 2. **Stage** the admitted entries, as they come, into `CREATE TEMP TABLE … ON COMMIT DROP`
//!    with `COPY … FROM STDIN (FORMAT binary)`: one round trip per few hundred rows, nothing
//!    collected in memory, nothing left behind (the table dies with the transaction, so the
//!    connection keeps no session state).
//! 3. **Compare**: duplicates (a key an earlier row named) go to
//!    [`RosterTally::duplicate`] in file order; each first row, joined with the row it
//!    replaces, through [`RosterEntry::record_over`] to [`RosterTally::seen`] in key order (so
//!    that the report lists the same first keys as every store)
//!    (rows that keep the end on record stay marked, so that the apply leaves the end as it
//!    finds it; the few that name someone new under a reissued number are unmarked); each
//!    stored person of the insurer whom no row named to [`RosterTally::removed`]. Rows are
//!    streamed, never collected (but for the seqs of those few).
//! 4. **Apply** only if [`RosterTally::may_apply`]: delete the missing people, upsert the
//!    added and changed ones, commit. Otherwise roll back: a dry run or a refused import writes
//!    nothing. Readers see the old roster or the new one, never a mix.
//!
//! A single-row write racing an import of the same insurer ([`set_coverage_end`]) is ordered
//! before or after it by the row locks; if it lands between the compare and the apply, the
//! import's report does not show it and the import's value wins — except for a row that keeps
//! the end on record ([`RosterEntry::keeps_end_of`]), whose end the apply leaves as it finds
//! it, so that an end set or cleared by hand during an import of a file without 資格喪失日
//! stays.
//!
//! [`set_coverage_end`]: crate::Store::set_coverage_end

#![allow(clippy::doc_markdown)] // PostgreSQL is a name, not code.

use std::pin::pin;

use futures_util::StreamExt;
use tokio_postgres::Row;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::codec::{ROSTER_COLUMNS, get, key_from_sql, roster_columns, roster_from_row};
use super::error::PostgresError;
use super::pool::{Backend, advisory_lock, begin, text};
use crate::roster::{ImportMode, RosterChanges, RosterEntry, RosterTally};
use crate::store::columns::RosterRow;
use deadpool_postgres::Transaction;

/// The staging table: `seq` keeps the file's order. Always named in `pg_temp`: a role whose
/// `search_path` lists `public` first would otherwise read a table of the same name planted
/// there.
const STAGE: &str = "
CREATE TEMP TABLE pg_temp.kenpo_roster_import (
    seq          BIGINT NOT NULL,
    line         BIGINT NOT NULL,
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    name_kana    TEXT NOT NULL,
    coverage_end TEXT,
    keeps_end    BOOLEAN NOT NULL  -- the row says nothing of coverage_end (RosterEntry)
) ON COMMIT DROP";

/// Staged rows with `first` = the seq of the first row naming the same person.
const NUMBERED: &str =
    "SELECT s.*, min(seq) OVER (PARTITION BY insurer_code, symbol, number) AS first
    FROM pg_temp.kenpo_roster_import AS s";

/// The stored people of insurer `$1` whom the staged file does not name.
const MISSING: &str = "FROM @.roster AS r WHERE r.insurer_code = $1 AND NOT EXISTS (
    SELECT 1 FROM pg_temp.kenpo_roster_import AS s
    WHERE s.insurer_code = r.insurer_code AND s.symbol = r.symbol AND s.number = r.number)";

/// Runs one import on `backend`.
pub(super) async fn run<I>(
    backend: &Backend,
    insurer_code: &str,
    entries: I,
    mode: ImportMode,
) -> Result<RosterChanges, PostgresError>
where
    I: Iterator<Item = RosterEntry> + Send,
{
    let mut tally = RosterTally::new(insurer_code, mode);
    let mut client = backend.get().await?;
    let tx = begin(&mut client).await?;
    if let Some(set_timeout) = backend.import_timeout() {
        tx.batch_execute(set_timeout).await?;
    }
    let lock_key = format!("kenpo-auth roster {} {insurer_code}", backend.schema());
    advisory_lock(&tx, &lock_key).await?;

    stage(&tx, &mut tally, entries).await?;
    compare(backend, &tx, &mut tally).await?;
    let missing = backend.sql(MISSING);
    removed(&tx, &mut tally, insurer_code, &missing).await?;

    // 4. Apply, or roll back.
    let apply = tally.may_apply();
    if apply {
        tx.query_typed(&format!("DELETE {missing}"), &[text(&insurer_code)])
            .await?;
        // Rows that keep the end on record (RosterEntry::keeps_end_of, marked by the compare)
        // leave it as the roster holds it at this moment: an end set or cleared by hand while
        // the import ran stays.
        tx.batch_execute(&backend.sql(&format!(
            "INSERT INTO @.roster AS r ({ROSTER_COLUMNS})
             SELECT {ROSTER_COLUMNS} FROM pg_temp.kenpo_roster_import WHERE NOT keeps_end
             ON CONFLICT (insurer_code, symbol, number) DO UPDATE SET
                 birth_date = excluded.birth_date, name_kana = excluded.name_kana,
                 coverage_end = excluded.coverage_end
             WHERE r.birth_date IS DISTINCT FROM excluded.birth_date
                 OR r.name_kana IS DISTINCT FROM excluded.name_kana
                 OR r.coverage_end IS DISTINCT FROM excluded.coverage_end;
             INSERT INTO @.roster AS r ({ROSTER_COLUMNS})
             SELECT {ROSTER_COLUMNS} FROM pg_temp.kenpo_roster_import WHERE keeps_end
             ON CONFLICT (insurer_code, symbol, number) DO UPDATE SET
                 birth_date = excluded.birth_date, name_kana = excluded.name_kana
             WHERE r.birth_date IS DISTINCT FROM excluded.birth_date
                 OR r.name_kana IS DISTINCT FROM excluded.name_kana"
        )))
        .await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(tally.finish(apply))
}

/// Step 2: the admitted entries, as they come, into the staging table.
async fn stage<I>(
    tx: &Transaction<'_>,
    tally: &mut RosterTally,
    entries: I,
) -> Result<(), PostgresError>
where
    I: Iterator<Item = RosterEntry> + Send,
{
    tx.batch_execute(STAGE).await?;
    {
        let sink = tx
            .copy_in(&format!(
                "COPY pg_temp.kenpo_roster_import (seq, line, {ROSTER_COLUMNS}, keeps_end)
                 FROM STDIN (FORMAT binary)"
            ))
            .await?;
        let types = [
            Type::INT8,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::BOOL,
        ];
        let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
        let mut seq: i64 = 0;
        for entry in entries {
            let Some(record) = tally.admit(&entry) else {
                continue;
            };
            seq = seq.saturating_add(1);
            let line = i64::try_from(entry.line).unwrap_or(i64::MAX);
            let [c0, c1, c2, c3, c4, c5] = roster_columns(record);
            let keeps = entry.keeps_coverage_end;
            let values: [&(dyn ToSql + Sync); 9] =
                [&seq, &line, &c0, &c1, &c2, &c3, &c4, &c5, &keeps];
            writer.as_mut().write(&values).await?;
        }
        writer.as_mut().finish().await?;
    }

    Ok(())
}

/// Step 3a: duplicates in file order, then every first row beside the row it replaces, in key
/// order.
async fn compare(
    backend: &Backend,
    tx: &Transaction<'_>,
    tally: &mut RosterTally,
) -> Result<(), PostgresError> {
    let duplicates = tx
        .query_raw(
            &format!(
                "SELECT d.line, f.line, d.insurer_code, d.symbol, d.number
                 FROM ({NUMBERED}) AS d JOIN pg_temp.kenpo_roster_import AS f ON f.seq = d.first
                 WHERE d.seq <> d.first ORDER BY d.seq"
            ),
            std::iter::empty::<&(dyn ToSql + Sync)>(),
        )
        .await?;
    let mut duplicates = pin!(duplicates);
    while let Some(row) = duplicates.next().await {
        let row: Row = row?;
        let line: i64 = get(&row, 0, "line")?;
        let first: i64 = get(&row, 1, "line")?;
        let key = key_from_sql(
            get(&row, 2, "insured key")?,
            get(&row, 3, "insured key")?,
            get(&row, 4, "insured key")?,
        )?;
        tally.duplicate(
            u64::try_from(line).unwrap_or(0),
            u64::try_from(first).unwrap_or(0),
            &key,
        );
    }

    let staged = "s.insurer_code, s.symbol, s.number, s.birth_date, s.name_kana, s.coverage_end";
    let stored = "r.insurer_code, r.symbol, r.number, r.birth_date, r.name_kana, r.coverage_end";
    let compared = tx
        .query_raw(
            &backend.sql(&format!(
                "SELECT {staged}, {stored}, s.keeps_end, s.seq FROM ({NUMBERED}) AS s
                 LEFT JOIN @.roster AS r ON r.insurer_code = s.insurer_code
                     AND r.symbol = s.symbol AND r.number = s.number
                 WHERE s.seq = s.first
                 ORDER BY s.symbol COLLATE \"C\", s.number COLLATE \"C\""
            )),
            std::iter::empty::<&(dyn ToSql + Sync)>(),
        )
        .await?;
    // Rows that say nothing of their end but name someone other than the person on record (a
    // reissued number): written with the row's own end. Their seqs, to unmark once the walk
    // is done; few, since a number is rarely given to someone else.
    let mut newcomers: Vec<i64> = Vec::new();
    let mut compared = pin!(compared);
    while let Some(row) = compared.next().await {
        let row: Row = row?;
        let staged = roster_from_row(&row, 0)?;
        let old = match get::<Option<&str>>(&row, RosterRow::WIDTH, "roster entry")? {
            Some(_) => Some(roster_from_row(&row, RosterRow::WIDTH)?),
            None => None,
        };
        let entry = RosterEntry {
            keeps_coverage_end: get(&row, 2 * RosterRow::WIDTH, "keeps_end")?,
            ..RosterEntry::new(0, Some(staged))
        };
        let Some(new) = entry.record_over(old.as_ref()) else {
            continue;
        };
        tally.seen(&new, old.as_ref());
        let newcomer = old.as_ref().is_some_and(|old| !entry.keeps_end_of(old));
        if entry.keeps_coverage_end && newcomer {
            newcomers.push(get(&row, 2 * RosterRow::WIDTH + 1, "seq")?);
        }
    }
    if !newcomers.is_empty() {
        tx.query_typed(
            "UPDATE pg_temp.kenpo_roster_import SET keeps_end = false WHERE seq = ANY($1)",
            &[(&newcomers, Type::INT8_ARRAY)],
        )
        .await?;
    }

    Ok(())
}

/// Step 3b: the stored people of the insurer whom no row named.
async fn removed(
    tx: &Transaction<'_>,
    tally: &mut RosterTally,
    insurer_code: &str,
    missing: &str,
) -> Result<(), PostgresError> {
    let removed = tx
        .query_typed_raw(
            &format!(
                "SELECT r.symbol, r.number {missing}
                 ORDER BY r.symbol COLLATE \"C\", r.number COLLATE \"C\""
            ),
            [(&insurer_code as &(dyn ToSql + Sync), Type::TEXT)],
        )
        .await?;
    let mut removed = pin!(removed);
    while let Some(row) = removed.next().await {
        let row: Row = row?;
        let key = key_from_sql(
            insurer_code,
            get(&row, 0, "insured key")?,
            get(&row, 1, "insured key")?,
        )?;
        tally.removed(&key);
    }

    Ok(())
}
