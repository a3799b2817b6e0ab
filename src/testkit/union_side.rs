//! Checks of the union's side of the contract: roster imports, end of coverage, a member's own
//! password and e-mail changes, the help desk's reads and deletions.

use crate::identity::{CoverageEnd, InsuredRecord};
use crate::roster::{ImportMode, RosterChanges, RosterEntry};
use crate::store::{
    Account, AttemptGate, ChallengeOwner, ChallengePayload, ChallengeRecord, CounterKey, Purpose,
    RegistrationOutcome, Store,
};
use crate::testkit::fixtures::{
    at, born, code, create_account, email, expect_stored, fixture, hash, insert_challenge, insured,
    key, lock_policy, mac, registration_challenge, reset_challenge, t0, ticket, user_key,
};
use crate::testkit::{Outcome, ensure, ok};
use crate::{BirthDate, EmailAddress};

/// The insurer of [`insured`]; [`OTHER_INSURER`] holds a roster of its own.
const INSURER: &str = "06139999";
const OTHER_INSURER: &str = "06130001";

/// Person `n` of [`INSURER`] spelled `name`.
fn named(n: usize, name: &str) -> InsuredRecord {
    fixture(InsuredRecord::new(
        INSURER,
        "12",
        &format!("{}", 1000 + n),
        born(n),
        name,
    ))
}

fn other_insurers(n: usize) -> InsuredRecord {
    let birth = fixture(BirthDate::new(1975, 1, 2));
    fixture(InsuredRecord::new(
        OTHER_INSURER,
        "7",
        &format!("{n}"),
        birth,
        "タニン イチロウ",
    ))
}

/// Entries on lines 2, 3, … (line 1 is a header in a union's file).
fn entries(records: Vec<Option<InsuredRecord>>) -> impl Iterator<Item = RosterEntry> + Send {
    records
        .into_iter()
        .zip(2..)
        .map(|(record, line)| RosterEntry::new(line, record))
}

async fn import<S: Store>(
    check: &'static str,
    store: &S,
    insurer: &str,
    records: Vec<Option<InsuredRecord>>,
    mode: ImportMode,
) -> Result<RosterChanges, crate::testkit::Failure> {
    ok(
        check,
        store.import_roster(insurer, entries(records), mode).await,
    )
}

/// Puts person 1 of [`OTHER_INSURER`] on that insurer's roster, which imports for [`INSURER`]
/// must leave alone.
async fn import_other_insurer<S: Store>(
    check: &'static str,
    store: &S,
) -> Result<RosterChanges, crate::testkit::Failure> {
    let records = vec![Some(other_insurers(1))];
    import(check, store, OTHER_INSURER, records, ImportMode::Apply).await
}

/// What the roster holds for people 1 to 5 of [`INSURER`] and person 1 of the other insurer.
async fn snapshot<S: Store>(
    check: &'static str,
    store: &S,
) -> Result<Vec<Option<InsuredRecord>>, crate::testkit::Failure> {
    let mut found = Vec::new();
    for n in 1..=5 {
        found.push(ok(check, store.find_insured(&key(n)).await)?);
    }
    found.push(ok(
        check,
        store.find_insured(other_insurers(1).key()).await,
    )?);
    Ok(found)
}

/// An import adds, changes and removes; reports it; leaves other insurers and accounts alone.
pub(super) async fn roster_import<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "roster_import";
    let first = import(
        CHECK,
        store,
        INSURER,
        vec![Some(insured(3)), Some(insured(1)), Some(insured(2))],
        ImportMode::Apply,
    )
    .await?;
    ensure!(
        CHECK,
        first.applied && first.added == 3 && first.removed == 0,
        "first import: {first:?}"
    );
    ensure!(
        CHECK,
        first.added_keys == [key(1), key(2), key(3)],
        "reported keys must come in key order (RosterChanges), not file order: {first:?}"
    );
    import_other_insurer(CHECK, store).await?;
    create_account(store, "member01", 1).await?;
    let renamed = named(2, "ケンポ ジロウ");
    let second = import(
        CHECK,
        store,
        INSURER,
        vec![Some(renamed.clone()), Some(insured(3)), Some(insured(4))],
        ImportMode::Apply,
    )
    .await?;
    let expected = (true, 1, 1, 1, 1);
    let got = (
        second.applied,
        second.added,
        second.changed,
        second.unchanged,
        second.removed,
    );
    ensure!(
        CHECK,
        got == expected,
        "(applied, added, changed, unchanged, removed) = {got:?}, expected {expected:?}"
    );
    ensure!(
        CHECK,
        second.added_keys == [key(4)]
            && second.changed_keys == [key(2)]
            && second.removed_keys == [key(1)],
        "reported keys: {second:?}"
    );
    let now = snapshot(CHECK, store).await?;
    let expected = vec![
        None,
        Some(renamed),
        Some(insured(3)),
        Some(insured(4)),
        None,
        Some(other_insurers(1)),
    ];
    ensure!(
        CHECK,
        now == expected,
        "roster after the import: {now:?}, expected {expected:?}"
    );
    let counts = (
        ok(CHECK, store.count_roster(INSURER).await)?,
        ok(CHECK, store.count_roster(OTHER_INSURER).await)?,
    );
    ensure!(CHECK, counts == (3, 1), "count_roster: {counts:?}");
    ensure!(
        CHECK,
        ok(CHECK, store.find_account(&user_key("member01")).await)?.is_some(),
        "an account must stay when its person leaves the roster"
    );
    // A roster carries the end of coverage.
    let leaving = insured(3).with_coverage_end(Some(fixture(CoverageEnd::new(2027, 3, 31))));
    let third = import(
        CHECK,
        store,
        INSURER,
        vec![
            Some(named(2, "ケンポ ジロウ")),
            Some(leaving.clone()),
            Some(insured(4)),
        ],
        ImportMode::Apply,
    )
    .await?;
    let stored = ok(CHECK, store.find_insured(&key(3)).await)?;
    ensure!(
        CHECK,
        third.changed == 1 && stored.as_ref() == Some(&leaving),
        "a new end of coverage must be a change: {third:?}, stored {stored:?}"
    );
    Ok(())
}

/// A refused row, a duplicate, a row of another insurer or a dry run change nothing.
pub(super) async fn roster_refused<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "roster_refused";
    import(
        CHECK,
        store,
        INSURER,
        vec![Some(insured(1)), Some(insured(2))],
        ImportMode::Apply,
    )
    .await?;
    import_other_insurer(CHECK, store).await?;
    let before = snapshot(CHECK, store).await?;
    let replacement = || vec![Some(named(1, "ケンポ カワッタ")), Some(insured(3))];

    let mut with_bad_row = replacement();
    with_bad_row.insert(1, None);
    let refused = import(CHECK, store, INSURER, with_bad_row, ImportMode::Apply).await?;
    ensure!(
        CHECK,
        !refused.applied && refused.refused == 1,
        "an import with a refused row: {refused:?}"
    );

    let mut with_duplicate = replacement();
    with_duplicate.push(Some(named(3, "ケンポ ベツジン")));
    let duplicated = import(CHECK, store, INSURER, with_duplicate, ImportMode::Apply).await?;
    let duplicate = duplicated.duplicates.first();
    ensure!(
        CHECK,
        !duplicated.applied
            && duplicated.duplicate_count == 1
            && duplicate.map(|d| (d.line, d.first_line, &d.key)) == Some((4, 3, &key(3))),
        "an import naming one person twice: {duplicated:?}"
    );

    let mut with_stranger = replacement();
    with_stranger.push(Some(other_insurers(2)));
    let stranger = import(CHECK, store, INSURER, with_stranger, ImportMode::Apply).await?;
    ensure!(
        CHECK,
        !stranger.applied && stranger.refused == 1,
        "an import with another insurer's person: {stranger:?}"
    );

    let dry = import(CHECK, store, INSURER, replacement(), ImportMode::DryRun).await?;
    ensure!(
        CHECK,
        !dry.applied && (dry.added, dry.changed, dry.removed) == (1, 1, 1),
        "a dry run must report what it would do: {dry:?}"
    );

    let after = snapshot(CHECK, store).await?;
    ensure!(
        CHECK,
        after == before,
        "an import that was not applied changed the roster: {before:?} became {after:?}"
    );
    let empty = import(CHECK, store, OTHER_INSURER, Vec::new(), ImportMode::DryRun).await?;
    ensure!(
        CHECK,
        empty.removed == 1 && ok(CHECK, store.count_roster(OTHER_INSURER).await)? == 1,
        "an empty dry run must report removals and keep them: {empty:?}"
    );
    Ok(())
}

/// An import that removes too many people ([`RosterChanges::removes_too_many`]) reports them
/// and writes nothing, unless [`ImportMode::ApplyRemovingMany`]: a store counts every removal
/// before it asks `RosterTally::may_apply`.
pub(super) async fn roster_removals<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "roster_removals";
    let everyone = (1..=20).map(|n| Some(insured(n))).collect();
    import(CHECK, store, INSURER, everyone, ImportMode::Apply).await?;
    let five = || (1..=5).map(|n| Some(insured(n))).collect::<Vec<_>>();
    let refused = import(CHECK, store, INSURER, five(), ImportMode::Apply).await?;
    let left = ok(CHECK, store.count_roster(INSURER).await)?;
    ensure!(
        CHECK,
        !refused.applied && refused.removed == 15 && refused.removes_too_many() && left == 20,
        "an import removing 15 of 20 people was applied ({left} left): {refused:?}"
    );
    let meant = import(CHECK, store, INSURER, five(), ImportMode::ApplyRemovingMany).await?;
    let left = ok(CHECK, store.count_roster(INSURER).await)?;
    ensure!(
        CHECK,
        meant.applied && meant.removed == 15 && left == 5,
        "an import meant to remove 15 of 20 people was not applied ({left} left): {meant:?}"
    );
    Ok(())
}

/// Entries that say nothing of when coverage ends (a file without a 資格喪失日 column) keep the
/// ends on record: a store writes [`RosterEntry::record_over`], not the entry's record.
pub(super) async fn roster_keeps_coverage_ends<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "roster_keeps_coverage_ends";
    let ends = |n: u8| Some(fixture(CoverageEnd::new(2026, 10, n)));
    let first = vec![
        Some(insured(1).with_coverage_end(ends(1))),
        Some(insured(2)),
        Some(insured(3)),
        Some(insured(5).with_coverage_end(ends(5))),
    ];
    import(CHECK, store, INSURER, first, ImportMode::Apply).await?;
    ok(CHECK, store.set_coverage_end(&key(2), ends(2)).await)?;

    // Person 5's number given to someone born on another day: the former holder's end is not
    // the newcomer's.
    let newcomer = fixture(InsuredRecord::new(
        INSURER,
        "12",
        "1005",
        fixture(BirthDate::new(2001, 1, 1)),
        "ヤマダ ユイ",
    ));
    let keeping = vec![
        insured(1),
        named(2, "ケンポ ジロウ").with_coverage_end(None),
        insured(3).with_coverage_end(ends(3)),
        insured(4).with_coverage_end(ends(4)),
        newcomer.clone(),
    ];
    let rows = keeping
        .into_iter()
        .zip(2..)
        .map(|(record, line)| RosterEntry::keeping_coverage_end(line, Some(record)));
    let report = ok(
        CHECK,
        store.import_roster(INSURER, rows, ImportMode::Apply).await,
    )?;
    let found = snapshot(CHECK, store).await?;
    let expected = [
        Some(insured(1).with_coverage_end(ends(1))),
        Some(named(2, "ケンポ ジロウ").with_coverage_end(ends(2))),
        Some(insured(3)),
        Some(insured(4).with_coverage_end(ends(4))),
    ];
    ensure!(
        CHECK,
        found.get(..4) == Some(&expected[..]),
        "an import that says nothing of coverage ends did not keep the ones on record: {found:?}"
    );
    ensure!(
        CHECK,
        found.get(4) == Some(&Some(newcomer)),
        "a reissued number kept its former holder's end of coverage: {found:?}"
    );
    ensure!(
        CHECK,
        report.applied && (report.added, report.changed, report.unchanged) == (1, 2, 2),
        "the report must compare the records written (1 added, 2 changed, 2 unchanged): {report:?}"
    );

    let says_covered = (1..=5).map(|n| Some(named(n, "ケンポ タロウ"))).collect();
    import(CHECK, store, INSURER, says_covered, ImportMode::Apply).await?;
    let found = snapshot(CHECK, store).await?;
    ensure!(
        CHECK,
        found
            .iter()
            .take(5)
            .flatten()
            .all(|r| r.coverage_end().is_none()),
        "an import whose rows say \"covered\" must clear the ends: {found:?}"
    );
    Ok(())
}

/// The end of coverage is set, cleared, and only for people on the roster.
pub(super) async fn coverage<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "coverage";
    import(
        CHECK,
        store,
        INSURER,
        vec![Some(insured(1))],
        ImportMode::Apply,
    )
    .await?;
    let end = fixture(CoverageEnd::new(2026, 11, 30));
    ensure!(
        CHECK,
        ok(CHECK, store.set_coverage_end(&key(1), Some(end)).await)?,
        "set_coverage_end refused a person on the roster"
    );
    let stored = ok(CHECK, store.find_insured(&key(1)).await)?.and_then(|r| r.coverage_end());
    ensure!(
        CHECK,
        stored == Some(end),
        "end of coverage read back as {stored:?}"
    );
    ok(CHECK, store.set_coverage_end(&key(1), None).await)?;
    let cleared = ok(CHECK, store.find_insured(&key(1)).await)?;
    ensure!(
        CHECK,
        cleared.as_ref() == Some(&insured(1)),
        "restoring must clear the end: {cleared:?}"
    );
    ensure!(
        CHECK,
        !ok(CHECK, store.set_coverage_end(&key(2), Some(end)).await)?,
        "set_coverage_end answered true for a person not on the roster"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_insured(&key(2)).await)?.is_none(),
        "set_coverage_end created a person"
    );
    Ok(())
}

/// A member's own password change: compare-and-set, and every code of the account (resets,
/// e-mail changes) dies with it.
pub(super) async fn change_password<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "change_password";
    let member = create_account(store, "member01", 1).await?;
    let reset_id = insert_challenge(CHECK, store, reset_challenge("member01", false, 7)).await?;
    let change_id = insert_challenge(CHECK, store, email_change("member01", 8)).await?;
    // Whether the store replaced `hash(expected)` of `user` with `hash(new)`.
    let change = async |user, expected, new| {
        ok(
            CHECK,
            store
                .change_password(user, &hash(expected), hash(new))
                .await,
        )
    };
    ensure!(
        CHECK,
        !change(&member, "stale", "x").await?,
        "replaced a hash that was not the expected one"
    );
    let kept = [
        (reset_id, true, "a refused change must keep the reset code"),
        (
            change_id,
            true,
            "a refused change must keep the e-mail change",
        ),
    ];
    expect_stored(CHECK, store, &kept).await?;
    let others_id = insert_challenge(CHECK, store, email_change("member02", 9)).await?;
    ensure!(
        CHECK,
        change(&member, "first", "changed").await?,
        "the expected hash was not replaced"
    );
    let stored = ok(CHECK, store.find_account(&member).await)?.map(|a| a.password_hash);
    ensure!(
        CHECK,
        stored == Some(hash("changed")),
        "new hash not stored: {stored:?}"
    );
    let expected = [
        (reset_id, false, "a reset code outlived the password change"),
        (
            change_id,
            false,
            "an e-mail change outlived the password change",
        ),
        (
            others_id,
            true,
            "another account's e-mail change was voided",
        ),
    ];
    expect_stored(CHECK, store, &expected).await?;
    ensure!(
        CHECK,
        !change(&user_key("nobody01"), "first", "x").await?,
        "changed the password of an account that does not exist"
    );
    Ok(())
}

fn new_address() -> EmailAddress {
    fixture(EmailAddress::parse("new@example.co.jp"))
}

/// An e-mail change for `user_id`'s account, to [`new_address`].
pub(super) fn email_change(user_id: &str, mac_byte: u8) -> ChallengeRecord {
    ChallengeRecord {
        code: code(ticket(), Purpose::EmailChange, mac_byte),
        owner: ChallengeOwner::Account(user_key(user_id)),
        payload: ChallengePayload::EmailChange(new_address()),
    }
}

/// An e-mail change completes once, with the live code, for an account that exists, and
/// voids the account's reset codes (mailed to the address it replaces).
pub(super) async fn email_change_completes<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "email_change";
    let member = create_account(store, "member01", 1).await?;
    let id = insert_challenge(CHECK, store, email_change("member01", 7)).await?;
    let read = ok(CHECK, store.find_challenge(id).await)?.map(|r| r.payload);
    ensure!(
        CHECK,
        matches!(&read, Some(ChallengePayload::EmailChange(address)) if *address == new_address()),
        "the new address must round-trip: {read:?}"
    );
    let reset_id = insert_challenge(CHECK, store, reset_challenge("member01", false, 7)).await?;
    ensure!(
        CHECK,
        ok(CHECK, store.complete_email_change(reset_id, &mac(7)).await)?.is_none(),
        "a password-reset challenge changed the address"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.complete_email_change(id, &mac(6)).await)?.is_none(),
        "a wrong MAC changed the address"
    );
    let detail = "a refused e-mail change must keep the reset code";
    expect_stored(CHECK, store, &[(reset_id, true, detail)]).await?;
    let others_reset = reset_challenge("member02", false, 7);
    let others_reset_id = insert_challenge(CHECK, store, others_reset).await?;
    let old = ok(CHECK, store.complete_email_change(id, &mac(7)).await)?;
    ensure!(
        CHECK,
        old == Some(email()),
        "the right MAC must answer the old address: {old:?}"
    );
    let now = ok(CHECK, store.find_account(&member).await)?.map(|a| a.email);
    ensure!(
        CHECK,
        now == Some(new_address()),
        "address not replaced: {now:?}"
    );
    let expected = [
        (reset_id, false, "a reset code outlived the e-mail change"),
        (
            others_reset_id,
            true,
            "another user ID's reset code was voided",
        ),
    ];
    expect_stored(CHECK, store, &expected).await?;
    ensure!(
        CHECK,
        ok(CHECK, store.complete_email_change(id, &mac(7)).await)?.is_none()
            && ok(CHECK, store.find_challenge(id).await)?.is_none(),
        "a completed e-mail change must be consumed"
    );
    let orphan_id = insert_challenge(CHECK, store, email_change("nobody01", 7)).await?;
    ensure!(
        CHECK,
        ok(CHECK, store.complete_email_change(orphan_id, &mac(7)).await)?.is_none(),
        "an e-mail change completed for an account that does not exist"
    );
    Ok(())
}

/// `end_sessions` counts up the session epoch of accounts that exist, from 0, by one a call,
/// answers the count it stored, and voids the account's codes (no one else's).
pub(super) async fn end_sessions<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "end_sessions";
    let member = create_account(store, "member01", 1).await?;
    let reset_id = insert_challenge(CHECK, store, reset_challenge("member01", false, 7)).await?;
    let change_id = insert_challenge(CHECK, store, email_change("member01", 8)).await?;
    let others_id = insert_challenge(CHECK, store, email_change("member02", 9)).await?;
    let stored = |account: Option<Account>| account.map(|a| a.session_epoch);
    let before = stored(ok(CHECK, store.find_account(&member).await)?);
    ensure!(
        CHECK,
        before == Some(0),
        "a new account's session epoch: {before:?}"
    );
    for expected in 1..=2 {
        let answered = ok(CHECK, store.end_sessions(&member).await)?;
        let after = stored(ok(CHECK, store.find_account(&member).await)?);
        ensure!(
            CHECK,
            answered == Some(expected) && after == Some(expected),
            "end of sessions {expected}: answered {answered:?}, read back {after:?}"
        );
    }
    let expected = [
        (reset_id, false, "a reset code outlived the end of sessions"),
        (
            change_id,
            false,
            "an e-mail change outlived the end of sessions",
        ),
        (
            others_id,
            true,
            "another account's e-mail change was voided",
        ),
    ];
    expect_stored(CHECK, store, &expected).await?;
    let nobody = ok(CHECK, store.end_sessions(&user_key("nobody01")).await)?;
    ensure!(
        CHECK,
        nobody.is_none(),
        "end_sessions answered {nobody:?} for an account that does not exist"
    );
    Ok(())
}

/// `record_login` sets the time of the last login, for accounts that exist.
pub(super) async fn record_login<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "record_login";
    let member = create_account(store, "member01", 1).await?;
    let before = ok(CHECK, store.find_account(&member).await)?.and_then(|a| a.last_login_at);
    ensure!(
        CHECK,
        before.is_none(),
        "a new account has logged in: {before:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.record_login(&member, at(90)).await)?,
        "record_login refused an account"
    );
    let after = ok(CHECK, store.find_account(&member).await)?.and_then(|a| a.last_login_at);
    ensure!(
        CHECK,
        after == Some(at(90)),
        "last login read back as {after:?}"
    );
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store.record_login(&user_key("nobody01"), at(90)).await
        )?,
        "record_login answered true for an account that does not exist"
    );
    Ok(())
}

/// `find_counter` reads a counter as stored and changes nothing.
pub(super) async fn find_counter<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "find_counter";
    let policy = lock_policy(3, None);
    let login = CounterKey::Login(user_key("member01"));
    ensure!(
        CHECK,
        ok(CHECK, store.find_counter(&login).await)?.is_none(),
        "a counter nobody used was found"
    );
    for _ in 0..2 {
        ok(CHECK, store.acquire_attempt(&login, t0(), policy).await)?;
    }
    for _ in 0..5 {
        let found = ok(CHECK, store.find_counter(&login).await)?;
        ensure!(
            CHECK,
            found.map(|c| c.attempts) == Some(2),
            "two attempts read back as {found:?}"
        );
    }
    // Had the reads counted, the third attempt would lock.
    ok(CHECK, store.acquire_attempt(&login, t0(), policy).await)?;
    let fourth = ok(CHECK, store.acquire_attempt(&login, at(1), policy).await)?;
    ensure!(
        CHECK,
        matches!(fourth, AttemptGate::Locked { .. }),
        "reads changed the count: the fourth attempt got {fourth:?}"
    );
    Ok(())
}

/// Deleting an account takes its challenges and frees its user ID and person; counters stay.
pub(super) async fn delete_account<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "delete_account";
    let member = create_account(store, "member01", 1).await?;
    create_account(store, "member02", 2).await?;
    let own_id = insert_challenge(CHECK, store, reset_challenge("member01", false, 7)).await?;
    let others_id = insert_challenge(CHECK, store, reset_challenge("member02", false, 7)).await?;
    let login = CounterKey::Login(member.clone());
    ok(
        CHECK,
        store
            .acquire_attempt(&login, t0(), lock_policy(3, None))
            .await,
    )?;
    ensure!(
        CHECK,
        ok(CHECK, store.delete_account(&member).await)?,
        "delete_account refused an account"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_account(&member).await)?.is_none()
            && ok(CHECK, store.find_account_by_insured(&key(1)).await)?.is_none(),
        "the account is still there"
    );
    let expected = [
        (own_id, false, "the deleted account's code is still live"),
        (others_id, true, "another account's code went with it"),
    ];
    expect_stored(CHECK, store, &expected).await?;
    ensure!(
        CHECK,
        ok(CHECK, store.find_counter(&login).await)?.is_some(),
        "the login counter must stay"
    );
    ensure!(
        CHECK,
        !ok(CHECK, store.delete_account(&member).await)?,
        "deleted an account twice"
    );
    let again_id = insert_challenge(CHECK, store, registration_challenge("member01", 1, 3)).await?;
    let outcome = ok(
        CHECK,
        store.complete_registration(again_id, &mac(3), t0()).await,
    )?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::Created,
        "the user ID and the person must be free again: {outcome:?}"
    );
    Ok(())
}

/// Generation `g` of the roster the import race swaps: generation 0 is people 0 to 99,
/// generation 1 people 50 to 149 spelled otherwise. People 50 to 99 are on both, so a reader
/// must always find them, and the roster always counts 100.
pub(super) fn roster_generation(g: usize) -> Vec<Option<InsuredRecord>> {
    let (first, name) = if g % 2 == 0 {
        (0, "ケンポ タロウ")
    } else {
        (50, "ケンポ ジロウ")
    };
    (first..first + 100).map(|n| Some(named(n, name))).collect()
}

/// Imports generation `g` of [`roster_generation`].
pub(super) async fn import_generation<S: Store>(
    check: &'static str,
    store: &S,
    g: usize,
) -> Result<RosterChanges, crate::testkit::Failure> {
    import(
        check,
        store,
        INSURER,
        roster_generation(g),
        // Half the roster goes with each generation: more than a month's file plausibly removes.
        ImportMode::ApplyRemovingMany,
    )
    .await
}

/// How many people the race's insurer has.
pub(super) async fn race_roster_count<S: Store>(
    check: &'static str,
    store: &S,
) -> Result<u64, crate::testkit::Failure> {
    ok(check, store.count_roster(INSURER).await)
}
