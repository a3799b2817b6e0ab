//! The union's side of the roster: replacing it, ending and restoring coverage, counting.
//! Operators only: the host puts these behind staff authentication.

use crate::audit::{audit, insured_subject};
use crate::clock::Clock;
use crate::error::{Error, store_error};
use crate::identity::{CoverageEnd, FormErrors, InsuredKey};
use crate::mail::Mailer;
use crate::store::{ImportMode, RosterChanges, RosterEntry, Store};

use super::Portal;

impl<S: Store, M: Mailer, C: Clock> Portal<S, M, C> {
    /// Replaces the roster of one insurer with `entries`, as one atomic step: people added,
    /// changed and removed, all or nothing ([`Store::import_roster`]). A refused row (an entry
    /// without a record, or of another insurer) or two rows naming one person leave the roster
    /// as it was and are counted in the report; [`ImportMode::DryRun`] reports and writes
    /// nothing. Other insurers' rosters are never touched.
    ///
    /// People removed keep their accounts, which cannot log in until the person is back on the
    /// roster ([`Error::CoverageEnded`]). An import that would remove more than a fifth of the
    /// roster (and more than ten people) is the shape of a wrong file — cut off, another
    /// insurer's, numbers stripped of their leading zeros — and writes nothing under
    /// [`ImportMode::Apply`] ([`RosterChanges::removes_too_many`]); after a dry run showed whom
    /// it removes, [`ImportMode::ApplyRemovingMany`] writes it.
    ///
    /// ```
    /// # pollster::block_on(async {
    /// use kenpo_auth::store::{ImportMode, RosterEntry};
    /// use kenpo_auth::{BirthDate, Config, HashParams, InsuredRecord, MemoryStore, Portal, RecordingMailer};
    ///
    /// let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
    /// let portal = Portal::new(MemoryStore::new(), RecordingMailer::new(), config);
    /// let birth = BirthDate::new(1980, 4, 1).unwrap();
    /// let hanako = InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap();
    /// let rows = vec![RosterEntry::new(2, Some(hanako))];
    /// let report = portal.import_roster("06139999", rows, ImportMode::Apply).await.unwrap();
    /// assert!(report.applied);
    /// assert_eq!(report.added, 1);
    /// assert_eq!(portal.roster_count("06139999").await.unwrap(), 1);
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`Error::Form`] for an insurer code that is not one; [`Error::Store`].
    pub async fn import_roster<I>(
        &self,
        insurer_code: &str,
        entries: I,
        mode: ImportMode,
    ) -> Result<RosterChanges, Error>
    where
        I: IntoIterator<Item = RosterEntry>,
        I::IntoIter: Send,
    {
        let insurer = insurer_code_field(insurer_code)?;
        let changes = self
            .store
            .import_roster(&insurer, entries.into_iter(), mode)
            .await
            .map_err(store_error)?;
        audit!(
            INFO,
            "roster_imported",
            insurer,
            applied = changes.applied,
            dry_run = mode == ImportMode::DryRun,
            added = changes.added,
            changed = changes.changed,
            removed = changes.removed,
            removes_too_many = changes.removes_too_many(),
            refused = changes.refused,
            duplicates = changes.duplicate_count
        );
        Ok(changes)
    }

    /// Records that the coverage of `key` ends on `end` (資格喪失): from that day (in Japan) the
    /// person's account cannot log in, and first authentication, password reset and user-ID
    /// reminder answer as for someone not on the roster. `false` if the person is not on the
    /// roster.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn end_coverage(&self, key: &InsuredKey, end: CoverageEnd) -> Result<bool, Error> {
        let found = self
            .store
            .set_coverage_end(key, Some(end))
            .await
            .map_err(store_error)?;
        let subject = insured_subject(&self.config.secret_key, key);
        let insurer = key.insurer_code();
        audit!(WARN, "coverage_ended", subject, insurer, on = %end, found);
        Ok(found)
    }

    /// Clears the end of coverage of `key`: the person, and their account, are covered again.
    /// `false` if the person is not on the roster.
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn restore_coverage(&self, key: &InsuredKey) -> Result<bool, Error> {
        let found = self
            .store
            .set_coverage_end(key, None)
            .await
            .map_err(store_error)?;
        let subject = insured_subject(&self.config.secret_key, key);
        let insurer = key.insurer_code();
        audit!(WARN, "coverage_restored", subject, insurer, found);
        Ok(found)
    }

    /// How many people the roster of `insurer_code` holds, covered or not.
    ///
    /// # Errors
    /// [`Error::Form`] for an insurer code that is not one; [`Error::Store`].
    pub async fn roster_count(&self, insurer_code: &str) -> Result<u64, Error> {
        let insurer = insurer_code_field(insurer_code)?;
        self.store.count_roster(&insurer).await.map_err(store_error)
    }
}

/// The insurer code, normalised, or the form error a member-facing screen would show.
fn insurer_code_field(raw: &str) -> Result<String, Error> {
    InsuredKey::insurer_code_of(raw).map_err(|error| Error::Form(FormErrors::from(error)))
}
