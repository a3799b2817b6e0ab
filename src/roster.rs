//! The roster as data the union replaces: what an import changes, tallied the same way by
//! every store.
//!
//! A store's [`import_roster`](crate::Store::import_roster) walks the entries inside one
//! transaction and tells a [`RosterTally`] what it found for each; the tally decides whether
//! the import may be applied (no refused rows, no duplicates, not a dry run) and keeps the
//! report. The rule lives here, once; the stores only look records up and write them.

#[cfg(feature = "roster-csv")]
pub(crate) mod csv;

use serde::{Deserialize, Serialize};

use crate::identity::{InsuredKey, InsuredRecord};
use crate::ja::MessageJa;

/// One row of a roster import: its line in the union's file and the person it names, or
/// `None` for a row the importer refused (the import is then not applied).
///
/// A row either says when the person's coverage ends (the record's
/// [`coverage_end`](InsuredRecord::coverage_end), `None` for covered) or, from a file without a
/// 資格喪失日 column, says nothing of it ([`keeps_coverage_end`](Self::keeps_coverage_end)):
/// then the end on record stays for the same person, so that an end of coverage the union set by hand
/// ([`Portal::end_coverage`](crate::Portal::end_coverage)) outlives the next monthly file.
///
/// ```
/// use kenpo_auth::store::RosterEntry;
/// use kenpo_auth::{BirthDate, CoverageEnd, InsuredRecord};
///
/// let birth = BirthDate::new(1980, 4, 1).unwrap();
/// let person = InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap();
/// let on_record = person.clone().with_coverage_end(Some(CoverageEnd::new(2026, 11, 1).unwrap()));
///
/// let says_covered = RosterEntry::new(2, Some(person.clone()));
/// assert_eq!(says_covered.record_over(Some(&on_record)), Some(person.clone()));
/// let says_nothing = RosterEntry::keeping_coverage_end(2, Some(person.clone()));
/// assert_eq!(says_nothing.record_over(Some(&on_record)), Some(on_record.clone()));
/// assert_eq!(says_nothing.record_over(None), Some(person), "someone new is covered");
///
/// // The number given to someone else: the former member's end is not theirs.
/// let newcomer = InsuredRecord::new("06139999", "12", "345", BirthDate::new(1990, 1, 1).unwrap(), "ヤマダ ユイ").unwrap();
/// let says_nothing = RosterEntry::keeping_coverage_end(2, Some(newcomer.clone()));
/// assert_eq!(says_nothing.record_over(Some(&on_record)), Some(newcomer));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    /// The row's line number in the source file (1 for the first line), for reports.
    pub line: u64,
    /// The person, or `None` when the row was refused.
    pub record: Option<InsuredRecord>,
    /// The row says nothing of when coverage ends (its file has no 資格喪失日 column): the
    /// import keeps the end on record for this person, and the record's own
    /// [`coverage_end`](InsuredRecord::coverage_end) counts only for someone new.
    pub keeps_coverage_end: bool,
}

impl RosterEntry {
    /// A row that names `record` (or was refused, `None`) and says when its coverage ends.
    #[must_use]
    pub const fn new(line: u64, record: Option<InsuredRecord>) -> RosterEntry {
        RosterEntry {
            line,
            record,
            keeps_coverage_end: false,
        }
    }

    /// A row that names `record` and says nothing of when its coverage ends.
    #[must_use]
    pub const fn keeping_coverage_end(line: u64, record: Option<InsuredRecord>) -> RosterEntry {
        RosterEntry {
            line,
            record,
            keeps_coverage_end: true,
        }
    }

    /// What the import writes for this row where the roster holds `stored`: the row's record,
    /// with the stored end of coverage if the row [keeps it](Self::keeps_coverage_end) and
    /// names the same person (the same date of birth: an insurer that gave the number to
    /// someone else did not end the newcomer's coverage). Every store writes this, and
    /// compares it with `stored` for the report.
    #[must_use]
    pub fn record_over(&self, stored: Option<&InsuredRecord>) -> Option<InsuredRecord> {
        let record = self.record.clone()?;
        Some(match stored {
            Some(stored) if self.keeps_end_of(stored) => {
                record.with_coverage_end(stored.coverage_end())
            }
            _ => record,
        })
    }

    /// Whether the import leaves the end of coverage of `stored`, the person the roster holds
    /// under this row's key, as it is: the row [keeps it](Self::keeps_coverage_end) and names
    /// the same person (the same date of birth). A store that writes inside the database may
    /// mark such rows and leave their end alone, rather than write the value it read, so that
    /// an end set or cleared by hand while the import runs stays.
    #[must_use]
    pub fn keeps_end_of(&self, stored: &InsuredRecord) -> bool {
        self.keeps_coverage_end
            && self
                .record
                .as_ref()
                .is_some_and(|record| record.birth_date() == stored.birth_date())
    }
}

/// Whether an import writes what it found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportMode {
    /// Write the new roster, if every row was good and it does not remove too many people
    /// ([`RosterChanges::removes_too_many`]).
    #[default]
    Apply,
    /// Report what would change and write nothing.
    DryRun,
    /// Write the new roster if every row was good, however many people it removes: for the
    /// rare month a union really loses many members at once (a business sold off), once a dry
    /// run showed whom.
    ApplyRemovingMany,
}

/// What a row did to the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowChange {
    /// A person not on the roster before.
    Added,
    /// A person whose birth date, name or end of coverage differ.
    Changed,
    /// The same as before.
    Unchanged,
}

/// A key that appeared twice in one import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateRow {
    /// The later row.
    pub line: u64,
    /// The row that named the same person first.
    pub first_line: u64,
    /// The person both rows name.
    pub key: InsuredKey,
}

impl std::fmt::Display for DuplicateRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: the same insured person as line {} ({})",
            self.line, self.first_line, self.key
        )
    }
}

impl MessageJa for DuplicateRow {
    /// ```
    /// use kenpo_auth::store::DuplicateRow;
    /// use kenpo_auth::{InsuredKey, MessageJa};
    ///
    /// let key = InsuredKey::new("06139999", "12", "345").unwrap();
    /// let duplicate = DuplicateRow { line: 9, first_line: 2, key };
    /// assert_eq!(duplicate.message_ja(), "9行目: 2行目と同じ被保険者（06139999/12/345）です。");
    /// ```
    fn message_ja(&self) -> String {
        format!(
            "{}行目: {}行目と同じ被保険者（{}）です。",
            self.line, self.first_line, self.key
        )
    }
}

/// What an import changed (or, for a dry run or a refused import, would have changed).
///
/// Counts are exact; the key lists keep the first [`RosterChanges::LIST_LIMIT`] of each in
/// key order (insurer code, symbol, number), so that a report of a million-row file stays
/// small; duplicates come in the order the store met them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterChanges {
    /// Whether the store now holds the new roster.
    pub applied: bool,
    /// People added.
    pub added: u64,
    /// People whose record changed.
    pub changed: u64,
    /// People of this insurer no longer on the roster (their accounts stay, and cannot log in).
    pub removed: u64,
    /// People unchanged.
    pub unchanged: u64,
    /// Rows the importer refused.
    pub refused: u64,
    /// Rows naming a person an earlier row named.
    pub duplicate_count: u64,
    /// The first duplicates.
    pub duplicates: Vec<DuplicateRow>,
    /// The first people added.
    pub added_keys: Vec<InsuredKey>,
    /// The first people changed.
    pub changed_keys: Vec<InsuredKey>,
    /// The first people removed.
    pub removed_keys: Vec<InsuredKey>,
}

impl RosterChanges {
    /// How many keys (and duplicates) each list keeps.
    pub const LIST_LIMIT: usize = 1_000;

    /// Above this many people removed, an import may remove at most
    /// [`REMOVAL_LIMIT_PERCENT`](Self::REMOVAL_LIMIT_PERCENT) of the roster.
    pub const REMOVAL_LIMIT_FLOOR: u64 = 10;

    /// The share of an insurer's roster (in percent of the people on it before the import)
    /// that one import may remove, unless [`ImportMode::ApplyRemovingMany`].
    pub const REMOVAL_LIMIT_PERCENT: u64 = 20;

    /// Whether the rows were all good: nothing refused, no duplicates.
    #[must_use]
    pub const fn is_clean(&self) -> bool {
        self.refused == 0 && self.duplicate_count == 0
    }

    /// Whether the import removes more people than a month's file plausibly does: more than
    /// [`REMOVAL_LIMIT_FLOOR`](Self::REMOVAL_LIMIT_FLOOR) and more than
    /// [`REMOVAL_LIMIT_PERCENT`](Self::REMOVAL_LIMIT_PERCENT) of the roster. That is the
    /// shape of a wrong file rather than of members leaving — one cut off halfway, another
    /// insurer's, or one whose numbers a spreadsheet stripped of their leading zeros (everyone
    /// removed and added again) — and every removed person's account stops logging in at once.
    /// [`ImportMode::Apply`] then writes nothing; [`ImportMode::ApplyRemovingMany`] writes it.
    ///
    /// ```
    /// use kenpo_auth::store::RosterChanges;
    ///
    /// let month = RosterChanges { removed: 30, unchanged: 970, ..RosterChanges::default() };
    /// assert!(!month.removes_too_many(), "3% left");
    /// let half = RosterChanges { removed: 500, unchanged: 500, ..RosterChanges::default() };
    /// assert!(half.removes_too_many());
    /// let small = RosterChanges { removed: 3, unchanged: 2, ..RosterChanges::default() };
    /// assert!(!small.removes_too_many(), "a handful is never too many");
    /// ```
    #[must_use]
    pub fn removes_too_many(&self) -> bool {
        // People on the roster before: those removed, and those the file named again. In
        // 128 bits, where no count of 64 bits can overflow the sums and products.
        let before =
            u128::from(self.removed) + u128::from(self.changed) + u128::from(self.unchanged);
        self.removed > Self::REMOVAL_LIMIT_FLOOR
            && u128::from(self.removed) * 100 > before * u128::from(Self::REMOVAL_LIMIT_PERCENT)
    }
}

/// Keeps the report of one import as a store walks it, and decides whether it is applied.
///
/// ```
/// use kenpo_auth::store::{ImportMode, RosterTally, RowChange};
/// use kenpo_auth::{BirthDate, InsuredRecord};
///
/// let birth = BirthDate::new(1980, 4, 1).unwrap();
/// let hanako = InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap();
/// let mut tally = RosterTally::new("06139999", ImportMode::Apply);
/// assert_eq!(tally.seen(&hanako, None), RowChange::Added);
/// assert_eq!(tally.seen(&hanako, Some(&hanako)), RowChange::Unchanged);
/// assert!(tally.may_apply());
/// tally.refused();
/// assert!(!tally.may_apply());
/// let report = tally.finish(false);
/// assert_eq!((report.added, report.unchanged, report.refused, report.applied), (1, 1, 1, false));
/// ```
#[derive(Clone, Debug)]
pub struct RosterTally {
    insurer_code: String,
    mode: ImportMode,
    changes: RosterChanges,
}

fn keep(list: &mut Vec<InsuredKey>, key: &InsuredKey) {
    if list.len() < RosterChanges::LIST_LIMIT {
        list.push(key.clone());
    }
}

impl RosterTally {
    /// A tally for an import of the roster of `insurer_code` in `mode`.
    #[must_use]
    pub fn new(insurer_code: &str, mode: ImportMode) -> RosterTally {
        RosterTally {
            insurer_code: insurer_code.to_owned(),
            mode,
            changes: RosterChanges::default(),
        }
    }

    /// The record of `entry`, if it may be imported: the importer accepted the row and it
    /// names a person of this insurer. Otherwise the row is counted refused — an import never
    /// touches another insurer's roster.
    pub fn admit<'a>(&mut self, entry: &'a RosterEntry) -> Option<&'a InsuredRecord> {
        match &entry.record {
            Some(record) if record.key().insurer_code() == self.insurer_code => Some(record),
            _ => {
                self.refused();
                None
            }
        }
    }

    /// A refused row.
    pub fn refused(&mut self) {
        self.changes.refused = self.changes.refused.saturating_add(1);
    }

    /// A row naming `key`, which row `first_line` named already.
    pub fn duplicate(&mut self, line: u64, first_line: u64, key: &InsuredKey) {
        self.changes.duplicate_count = self.changes.duplicate_count.saturating_add(1);
        if self.changes.duplicates.len() < RosterChanges::LIST_LIMIT {
            self.changes.duplicates.push(DuplicateRow {
                line,
                first_line,
                key: key.clone(),
            });
        }
    }

    /// A good row: `new`, where the roster held `old`. Says what it changes.
    pub fn seen(&mut self, new: &InsuredRecord, old: Option<&InsuredRecord>) -> RowChange {
        let change = match old {
            None => RowChange::Added,
            Some(old) if old == new => RowChange::Unchanged,
            Some(_) => RowChange::Changed,
        };
        let changes = &mut self.changes;
        match change {
            RowChange::Added => {
                changes.added = changes.added.saturating_add(1);
                keep(&mut changes.added_keys, new.key());
            }
            RowChange::Changed => {
                changes.changed = changes.changed.saturating_add(1);
                keep(&mut changes.changed_keys, new.key());
            }
            RowChange::Unchanged => changes.unchanged = changes.unchanged.saturating_add(1),
        }
        change
    }

    /// A person of this insurer on the roster whom no row named.
    pub fn removed(&mut self, key: &InsuredKey) {
        self.changes.removed = self.changes.removed.saturating_add(1);
        keep(&mut self.changes.removed_keys, key);
    }

    /// Whether the import may be written: an applying import whose rows were all good, and
    /// which removes no more people than its mode allows
    /// ([`RosterChanges::removes_too_many`]). A store asks once every entry was seen and every
    /// removed person counted, and commits only then.
    #[must_use]
    pub fn may_apply(&self) -> bool {
        let changes = &self.changes;
        changes.is_clean()
            && match self.mode {
                ImportMode::Apply => !changes.removes_too_many(),
                ImportMode::ApplyRemovingMany => true,
                ImportMode::DryRun => false,
            }
    }

    /// The report, `applied` saying whether the store committed.
    #[must_use]
    pub fn finish(mut self, applied: bool) -> RosterChanges {
        self.changes.applied = applied;
        self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::RosterChanges;

    fn removing(removed: u64, kept: u64) -> bool {
        RosterChanges {
            removed,
            unchanged: kept,
            ..RosterChanges::default()
        }
        .removes_too_many()
    }

    #[test]
    fn too_many_is_more_than_a_fifth_and_more_than_ten() {
        assert!(!removing(12, 48), "exactly a fifth of 60");
        assert!(removing(13, 47), "just over a fifth of 60");
        assert!(!removing(10, 0), "ten, all of them");
        assert!(removing(11, 0), "eleven, all of them: an empty file");
        assert!(!removing(0, 0), "an empty roster stays empty");
        assert!(removing(u64::MAX, u64::MAX), "no overflow");
        assert!(
            !removing(u64::MAX / 5, u64::MAX),
            "nor a false alarm near it"
        );
    }
}
