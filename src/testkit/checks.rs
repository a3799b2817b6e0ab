//! One check per duty of the store contract, each on a fresh store.

use std::time::Duration;

use crate::clock::horizon;
use crate::config::TermsVersion;
use crate::identity::InsuredRecord;
use crate::store::{
    AttemptGate, ChallengeOwner, ChallengePayload, CounterKey, Purpose, RegistrationOutcome,
    ResendOutcome, ResendRules, SignupRecord, Store,
};
use crate::testkit::fixtures::{
    at, born, create_account, expect_stored, forgetful_policy, hash, insert_challenge, insured,
    key, lock_policy, mac, registration_challenge, registration_under, reset_challenge, t0, ticket,
    user_key,
};
use crate::testkit::{Outcome, ensure, ok};

pub(super) async fn roster<S: Store, A: Fn(&S, InsuredRecord)>(
    store: &S,
    add_insured: &A,
) -> Outcome {
    const CHECK: &str = "roster";
    add_insured(store, insured(1));
    let found = ok(CHECK, store.find_insured(&key(1)).await)?;
    ensure!(
        CHECK,
        found.as_ref().map(InsuredRecord::key) == Some(&key(1)),
        "added person not found: {found:?}"
    );
    let missing = ok(CHECK, store.find_insured(&key(2)).await)?;
    ensure!(
        CHECK,
        missing.is_none(),
        "unknown person found: {missing:?}"
    );
    Ok(())
}

pub(super) async fn signups<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "signups";
    let id = ticket();
    let expires_at = at(1800);
    let record = SignupRecord {
        id,
        insured_key: key(1),
        birth_date: born(1),
        expires_at,
    };
    ok(CHECK, store.insert_signup(record).await)?;
    let found = ok(CHECK, store.find_signup(id).await)?;
    ensure!(
        CHECK,
        found.as_ref().is_some_and(|s| s.insured_key == key(1)
            && s.birth_date == born(1)
            && s.expires_at == expires_at),
        "signup did not round-trip: {found:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_signup(ticket()).await)?.is_none(),
        "unknown signup found"
    );
    Ok(())
}

pub(super) async fn challenges<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "challenges";
    let record = registration_challenge("member01", 1, 7);
    let id = record.code.id;
    let owner = record.owner.clone();
    ok(CHECK, store.insert_challenge(record).await)?;
    let found = ok(CHECK, store.find_challenge(id).await)?;
    ensure!(
        CHECK,
        found.as_ref().is_some_and(|r| r.code.code_mac.ct_eq(&mac(7))
            && r.code.attempts == 0
            && r.code.sends == 1
            && r.code.expires_at == at(600)
            && r.owner == owner
            && matches!(&r.payload, ChallengePayload::Registration(a) if a.user_id.as_str() == "member01")),
        "challenge did not round-trip: {found:?}"
    );
    for decoy in [false, true] {
        let id = insert_challenge(CHECK, store, reset_challenge("member02", decoy, 3)).await?;
        let found = ok(CHECK, store.find_challenge(id).await)?;
        ensure!(
            CHECK,
            found
                .as_ref()
                .is_some_and(|r| r.code.purpose == Purpose::PasswordReset
                    && r.owner == ChallengeOwner::Account(user_key("member02"))
                    && matches!(
                        (&r.payload, decoy),
                        (ChallengePayload::PasswordReset, false)
                            | (ChallengePayload::DecoyReset, true)
                    )),
            "reset challenge (decoy: {decoy}) did not round-trip: {found:?}"
        );
    }
    ok(CHECK, store.delete_challenge(id).await)?;
    expect_stored(
        CHECK,
        store,
        &[(id, false, "deleted challenge still found")],
    )
    .await
}

pub(super) async fn owner_voids<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "owner_voids";
    let first = reset_challenge("member01", false, 1);
    let second = reset_challenge("member01", false, 2);
    let other_owner = reset_challenge("member02", false, 3);
    let (first_id, second_id, other_id) = (first.code.id, second.code.id, other_owner.code.id);
    ok(CHECK, store.insert_challenge(first).await)?;
    ok(CHECK, store.insert_challenge(other_owner).await)?;
    ok(CHECK, store.insert_challenge(second).await)?;
    let expected = [
        (
            first_id,
            false,
            "a newer reset for the same user ID left the older code live",
        ),
        (second_id, true, "the newer reset is gone"),
        (other_id, true, "a reset for another user ID was voided"),
    ];
    expect_stored(CHECK, store, &expected).await?;
    let signup = ticket();
    let older = registration_under(signup, "member03", 3, 4);
    let newer = registration_under(signup, "member04", 3, 5);
    let (older_id, newer_id) = (older.code.id, newer.code.id);
    ok(CHECK, store.insert_challenge(older).await)?;
    ok(CHECK, store.insert_challenge(newer).await)?;
    let detail = "a new pending registration must void the ticket's older one";
    expect_stored(
        CHECK,
        store,
        &[(older_id, false, detail), (newer_id, true, detail)],
    )
    .await
}

pub(super) async fn code_attempts<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "code_attempts";
    let id = insert_challenge(CHECK, store, registration_challenge("member01", 1, 7)).await?;
    for expected in 1..=3 {
        let after = ok(CHECK, store.count_code_attempt(id).await)?;
        let count = after.as_ref().map(|r| r.code.attempts);
        ensure!(
            CHECK,
            count == Some(expected),
            "expected count {expected}, got {count:?}"
        );
    }
    ensure!(
        CHECK,
        ok(CHECK, store.count_code_attempt(ticket()).await)?.is_none(),
        "an unknown challenge was counted"
    );
    let outcome = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        outcome == RegistrationOutcome::Created,
        "expected Created, got {outcome:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.count_code_attempt(id).await)?.is_none(),
        "a consumed challenge was counted"
    );
    Ok(())
}

pub(super) async fn update_code<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "update_code";
    let rules = ResendRules {
        cooldown: Duration::from_secs(60),
        max_sends: 2,
        validity: Duration::from_secs(600),
    };
    let id = insert_challenge(CHECK, store, registration_challenge("member01", 1, 7)).await?;
    ok(CHECK, store.count_code_attempt(id).await)?;
    let too_soon = ok(
        CHECK,
        store
            .update_code(id, |c| c.resend(at(59), mac(8), rules))
            .await,
    )?;
    ensure!(
        CHECK,
        too_soon
            == Some(ResendOutcome::TooSoon {
                retry_after: Duration::from_secs(1)
            }),
        "resend at 59 s: {too_soon:?}"
    );
    let replaced = ok(
        CHECK,
        store
            .update_code(id, |c| c.resend(at(60), mac(8), rules))
            .await,
    )?;
    ensure!(
        CHECK,
        replaced == Some(ResendOutcome::Replaced),
        "resend at 60 s: {replaced:?}"
    );
    let after = ok(CHECK, store.find_challenge(id).await)?;
    ensure!(
        CHECK,
        after
            .as_ref()
            .is_some_and(|r| r.code.code_mac.ct_eq(&mac(8))
                && r.code.attempts == 1
                && r.code.sends == 2
                && r.code.issued_at == at(60)
                && r.code.expires_at == at(660)),
        "an applied resend must be saved whole (new MAC and times, one more send, attempts kept): {after:?}"
    );
    let old = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        old == RegistrationOutcome::ChallengeGone,
        "the replaced code still completed: {old:?}"
    );
    let voided = ok(CHECK, store.update_code(id, |c| c.void(&mac(8))).await)?;
    let after = ok(CHECK, store.find_challenge(id).await)?;
    ensure!(
        CHECK,
        voided == Some(true) && after.is_some_and(|r| r.code.expires_at == r.code.issued_at),
        "a voided code must be saved dead"
    );
    let gone = ok(
        CHECK,
        store.update_code(ticket(), |c| c.void(&mac(8))).await,
    )?;
    ensure!(CHECK, gone.is_none(), "an unknown challenge was updated");
    Ok(())
}

pub(super) async fn registration<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "registration";
    let signup = ticket();
    ok(
        CHECK,
        store
            .insert_signup(SignupRecord {
                id: signup,
                insured_key: key(1),
                birth_date: born(1),
                expires_at: at(1800),
            })
            .await,
    )?;
    let id = insert_challenge(CHECK, store, registration_under(signup, "NGK0001", 1, 7)).await?;
    let wrong = ok(CHECK, store.complete_registration(id, &mac(6), t0()).await)?;
    ensure!(
        CHECK,
        wrong == RegistrationOutcome::ChallengeGone,
        "a wrong MAC completed: {wrong:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_account(&user_key("ngk0001")).await)?.is_none(),
        "account made by a wrong MAC"
    );
    let created = ok(CHECK, store.complete_registration(id, &mac(7), at(5)).await)?;
    ensure!(
        CHECK,
        created == RegistrationOutcome::Created,
        "expected Created, got {created:?}"
    );
    let account = ok(CHECK, store.find_account(&user_key("ngk0001")).await)?;
    ensure!(
        CHECK,
        account
            .as_ref()
            .is_some_and(|a| a.user_id.as_str() == "NGK0001"
                && a.insured_key == key(1)
                && a.password_hash == hash("first")
                && a.terms_accepted.is_none()
                && a.created_at == at(5)
                && a.birth_date == Some(born(1))),
        "account not stored as registered: {account:?}"
    );
    let by_insured = ok(CHECK, store.find_account_by_insured(&key(1)).await)?;
    ensure!(
        CHECK,
        by_insured.is_some_and(|a| a.user_id.as_str() == "NGK0001"),
        "account not found by insured key"
    );
    let again = ok(CHECK, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        CHECK,
        again == RegistrationOutcome::ChallengeGone,
        "a consumed challenge completed again: {again:?}"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_challenge(id).await)?.is_none(),
        "consumed challenge still found"
    );
    ensure!(
        CHECK,
        ok(CHECK, store.find_signup(signup).await)?.is_none(),
        "the sign-up ticket must be used up with its registration"
    );
    Ok(())
}

pub(super) async fn user_id_taken<S: Store>(store: &S) -> Outcome {
    // ABCDEF1 for another person, beside abcdef1.
    refused_registration(
        store,
        "user_id_taken",
        ("abcdef1", 1),
        ("ABCDEF1", 2),
        RegistrationOutcome::UserIdTaken,
    )
    .await
}

pub(super) async fn insured_has_account<S: Store>(store: &S) -> Outcome {
    // A second account for one person.
    refused_registration(
        store,
        "insured_has_account",
        ("member01", 1),
        ("member02", 1),
        RegistrationOutcome::InsuredHasAccount,
    )
    .await
}

/// With an account for `existing`, registering `new` is refused with `expected`, changes
/// nothing, and leaves the challenge live.
async fn refused_registration<S: Store>(
    store: &S,
    check: &'static str,
    existing: (&str, usize),
    new: (&str, usize),
    expected: RegistrationOutcome,
) -> Outcome {
    create_account(store, existing.0, existing.1).await?;
    let id = insert_challenge(check, store, registration_challenge(new.0, new.1, 7)).await?;
    let outcome = ok(check, store.complete_registration(id, &mac(7), t0()).await)?;
    ensure!(
        check,
        outcome == expected,
        "{new:?} beside {existing:?}: got {outcome:?}"
    );
    ensure!(
        check,
        ok(check, store.find_challenge(id).await)?.is_some(),
        "a refused registration consumed its challenge"
    );
    let half_made = ok(check, store.find_account(&user_key(new.0)).await)?
        .filter(|account| account.insured_key == key(new.1));
    ensure!(
        check,
        half_made.is_none(),
        "half-made account {half_made:?}"
    );
    Ok(())
}

pub(super) async fn password_reset<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "password_reset";
    // Whether the store completed reset `id` with code `mac(m)`, storing `hash(new)`.
    let reset = async |id, m, new| {
        ok(
            CHECK,
            store.complete_password_reset(id, &mac(m), hash(new)).await,
        )
    };
    create_account(store, "Member01", 1).await?;
    let decoy_id = insert_challenge(CHECK, store, reset_challenge("member01", true, 7)).await?;
    ensure!(
        CHECK,
        !reset(decoy_id, 7, "decoy").await?,
        "a decoy reset succeeded"
    );
    let nobody_id = insert_challenge(CHECK, store, reset_challenge("nobody01", false, 7)).await?;
    ensure!(
        CHECK,
        !reset(nobody_id, 7, "x").await?,
        "a reset for a user ID without an account succeeded"
    );
    let id = insert_challenge(CHECK, store, reset_challenge("member01", false, 7)).await?;
    // Another challenge of the same owner with another purpose: a completed reset voids it too.
    let mut other = registration_challenge("member09", 9, 9);
    other.owner = ChallengeOwner::Account(user_key("member01"));
    let other_id = other.code.id;
    ok(CHECK, store.insert_challenge(other).await)?;
    ensure!(
        CHECK,
        !reset(id, 6, "wrong").await?,
        "a wrong MAC reset the password"
    );
    ensure!(
        CHECK,
        reset(id, 7, "second").await?,
        "the right MAC did not reset the password"
    );
    let account = ok(CHECK, store.find_account(&user_key("member01")).await)?;
    ensure!(
        CHECK,
        account.is_some_and(|a| a.password_hash == hash("second")),
        "new hash not stored"
    );
    let detail = "a completed reset must void every other challenge of the account";
    expect_stored(CHECK, store, &[(other_id, false, detail)]).await?;
    ensure!(
        CHECK,
        !reset(id, 7, "third").await?,
        "a consumed reset succeeded again"
    );
    Ok(())
}

pub(super) async fn password_hash_cas<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "password_hash_cas";
    create_account(store, "member01", 1).await?;
    // (user ID, expected hash, new hash, whether it is replaced)
    let steps = [
        (
            "member01",
            "stale",
            "x",
            false,
            "replaced a hash that was not the expected one",
        ),
        (
            "member01",
            "first",
            "rehashed",
            true,
            "did not replace the expected hash",
        ),
        (
            "nobody01",
            "first",
            "x",
            false,
            "updated an account that does not exist",
        ),
    ];
    for (user_id, expected, new, replaced, detail) in steps {
        let (user, expected) = (user_key(user_id), hash(expected));
        let update = store.update_password_hash(&user, &expected, hash(new));
        ensure!(CHECK, ok(CHECK, update.await)? == replaced, "{detail}");
    }
    let account = ok(CHECK, store.find_account(&user_key("member01")).await)?;
    ensure!(
        CHECK,
        account.is_some_and(|a| a.password_hash == hash("rehashed")),
        "hash not replaced"
    );
    Ok(())
}

pub(super) async fn terms<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "terms";
    let member = create_account(store, "member01", 1).await?;
    ensure!(
        CHECK,
        !ok(
            CHECK,
            store
                .record_terms_acceptance(&user_key("nobody01"), TermsVersion::new(1))
                .await
        )?,
        "recorded consent for an account that does not exist"
    );
    // Version 3, then an older page's version 2.
    for version in [3, 2] {
        let accept = store.record_terms_acceptance(&member, TermsVersion::new(version));
        ok(CHECK, accept.await)?;
    }
    let accepted = ok(CHECK, store.find_account(&member).await)?.and_then(|a| a.terms_accepted);
    ensure!(
        CHECK,
        accepted == Some(TermsVersion::new(3)),
        "the newest version must stay: {accepted:?}"
    );
    Ok(())
}

pub(super) async fn counters<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "counters";
    let policy = lock_policy(3, Some(7));
    let a = CounterKey::Login(user_key("member0a"));
    for _ in 0..3 {
        let gate = ok(CHECK, store.acquire_attempt(&a, t0(), policy).await)?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "attempt within the limit refused: {gate:?}"
        );
    }
    let refused = ok(CHECK, store.acquire_attempt(&a, at(1), policy).await)?;
    ensure!(
        CHECK,
        refused
            == AttemptGate::Locked {
                retry_after: Duration::from_secs(1799)
            },
        "attempt past the limit: {refused:?}"
    );
    for other in [
        CounterKey::Login(user_key("member0b")),
        CounterKey::ResetCode(user_key("member0a")),
        CounterKey::Identity(key(1)),
    ] {
        let gate = ok(CHECK, store.acquire_attempt(&other, t0(), policy).await)?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "counters must be per key: {other:?} shared {a:?}'s lock"
        );
    }
    // Time ends the lock, not the count: the second lock is twice as long, then the ceiling.
    for _ in 0..3 {
        let gate = ok(CHECK, store.acquire_attempt(&a, at(1800), policy).await)?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "the lock must end after its time: {gate:?}"
        );
    }
    let second = ok(CHECK, store.acquire_attempt(&a, at(1800), policy).await)?;
    ensure!(
        CHECK,
        second
            == AttemptGate::Locked {
                retry_after: Duration::from_secs(3600)
            },
        "the second lock must double: {second:?}"
    );
    let seventh = ok(CHECK, store.acquire_attempt(&a, at(5400), policy).await)?;
    ensure!(
        CHECK,
        seventh == AttemptGate::Allowed,
        "the second lock must end after its time: {seventh:?}"
    );
    let ceiling = ok(CHECK, store.acquire_attempt(&a, at(999_999), policy).await)?;
    ensure!(
        CHECK,
        ceiling == AttemptGate::AtCeiling,
        "seven attempts under a ceiling of seven must stay refused: {ceiling:?}"
    );
    ok(CHECK, store.clear_attempts(&a).await)?;
    let fresh = ok(CHECK, store.acquire_attempt(&a, at(999_999), policy).await)?;
    ensure!(
        CHECK,
        fresh == AttemptGate::Allowed,
        "clearing must reset the count: {fresh:?}"
    );
    Ok(())
}

/// A forgetting policy starts afresh after its quiet period, not before.
pub(super) async fn counters_forget<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "counters_forget";
    let x = CounterKey::Identity(key(2));
    let forgetful = forgetful_policy();
    for _ in 0..2 {
        ok(CHECK, store.acquire_attempt(&x, t0(), forgetful).await)?;
    }
    let locked = ok(CHECK, store.acquire_attempt(&x, at(10), forgetful).await)?;
    ensure!(
        CHECK,
        matches!(locked, AttemptGate::Locked { .. }),
        "throttle lock: {locked:?}"
    );
    let after_quiet = at(900 + 86_400);
    for _ in 0..2 {
        let gate = ok(
            CHECK,
            store.acquire_attempt(&x, after_quiet, forgetful).await,
        )?;
        ensure!(
            CHECK,
            gate == AttemptGate::Allowed,
            "a forgotten counter starts afresh: {gate:?}"
        );
    }
    let relocked = ok(
        CHECK,
        store.acquire_attempt(&x, after_quiet, forgetful).await,
    )?;
    ensure!(
        CHECK,
        relocked
            == AttemptGate::Locked {
                retry_after: Duration::from_secs(900)
            },
        "after forgetting, the first lock length again: {relocked:?}"
    );
    Ok(())
}

pub(super) async fn purge<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "purge";
    let live = registration_challenge("member01", 1, 7);
    let live_id = live.code.id;
    let mut dead = registration_challenge("member02", 2, 7);
    dead.code.expires_at = t0();
    let dead_id = dead.code.id;
    ok(CHECK, store.insert_challenge(live).await)?;
    ok(CHECK, store.insert_challenge(dead).await)?;
    let old_signup = ticket();
    ok(
        CHECK,
        store
            .insert_signup(SignupRecord {
                id: old_signup,
                insured_key: key(1),
                birth_date: born(1),
                expires_at: t0(),
            })
            .await,
    )?;
    let now = at(60);
    let purged = ok(CHECK, store.purge_expired(now, Duration::ZERO).await)?;
    ensure!(
        CHECK,
        purged >= 2,
        "expected at least the expired challenge and signup to go, got {purged}"
    );
    let expected = [
        (live_id, true, "a live challenge was purged"),
        (dead_id, false, "an expired challenge stayed"),
    ];
    expect_stored(CHECK, store, &expected).await?;
    ensure!(
        CHECK,
        ok(CHECK, store.find_signup(old_signup).await)?.is_none(),
        "an expired signup stayed"
    );
    // Extreme arguments are answered, not panicked on.
    ok(CHECK, store.purge_expired(now, Duration::MAX).await)?;
    ok(CHECK, store.purge_expired(horizon(), Duration::ZERO).await)?;
    let detail = "at the horizon every challenge has expired";
    expect_stored(CHECK, store, &[(live_id, false, detail)]).await
}

/// `purge_expired(now, 0)` must not free an attacker from a budget: a counter that time does
/// not reset survives any purge, and a throttle survives until its quiet period is over.
pub(super) async fn purge_keeps_budgets<S: Store>(store: &S) -> Outcome {
    const CHECK: &str = "purge_keeps_budgets";
    let policy = lock_policy(10, Some(100));
    let login = CounterKey::Login(user_key("member01"));
    let code = CounterKey::ResetCode(user_key("member01"));
    let ceiling = lock_policy(u32::MAX, Some(3));
    for _ in 0..9 {
        ok(CHECK, store.acquire_attempt(&login, t0(), policy).await)?;
    }
    for _ in 0..3 {
        ok(CHECK, store.acquire_attempt(&code, t0(), ceiling).await)?;
    }
    let identity = CounterKey::Identity(key(1));
    let forgetful = forgetful_policy();
    ok(
        CHECK,
        store.acquire_attempt(&identity, t0(), forgetful).await,
    )?;
    // A year later, with no grace at all.
    let later = at(365 * 86_400);
    ok(CHECK, store.purge_expired(later, Duration::ZERO).await)?;
    let tenth = ok(CHECK, store.acquire_attempt(&login, later, policy).await)?;
    let eleventh = ok(CHECK, store.acquire_attempt(&login, later, policy).await)?;
    ensure!(
        CHECK,
        tenth == AttemptGate::Allowed && matches!(eleventh, AttemptGate::Locked { .. }),
        "purge erased 9 failed logins: the 10th must lock ({tenth:?}, then {eleventh:?})"
    );
    let at_ceiling = ok(CHECK, store.acquire_attempt(&code, later, ceiling).await)?;
    ensure!(
        CHECK,
        at_ceiling == AttemptGate::AtCeiling,
        "purge erased a ceiling: {at_ceiling:?}"
    );
    // The throttle was forgotten after its quiet period, so purging it changes nothing.
    let throttle = ok(
        CHECK,
        store.acquire_attempt(&identity, later, forgetful).await,
    )?;
    ensure!(CHECK, throttle == AttemptGate::Allowed, "{throttle:?}");
    // Within its quiet period a throttle survives the purge.
    let fresh = CounterKey::Identity(key(2));
    ok(CHECK, store.acquire_attempt(&fresh, later, forgetful).await)?;
    ok(
        CHECK,
        store
            .purge_expired(later + Duration::from_secs(60), Duration::ZERO)
            .await,
    )?;
    ok(
        CHECK,
        store
            .acquire_attempt(&fresh, later + Duration::from_secs(60), forgetful)
            .await,
    )?;
    let third = ok(
        CHECK,
        store
            .acquire_attempt(&fresh, later + Duration::from_secs(60), forgetful)
            .await,
    )?;
    ensure!(
        CHECK,
        matches!(third, AttemptGate::Locked { .. }),
        "purge erased a throttle inside its quiet period: {third:?}"
    );
    // A code entry on a decoy reset counts like any other: its challenge record is ordinary.
    let decoy_id = insert_challenge(CHECK, store, reset_challenge("nobody01", true, 1)).await?;
    let counted = ok(CHECK, store.count_code_attempt(decoy_id).await)?;
    ensure!(
        CHECK,
        counted.is_some_and(|r| r.code.attempts == 1),
        "a decoy's entries must be counted"
    );
    Ok(())
}
