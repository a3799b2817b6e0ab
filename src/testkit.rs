//! A conformance suite any [`Store`] implementation can run against itself (feature `testkit`).
//!
//! **Outside SemVer**: checks are added as the contract is sharpened, in any release.
//!
//! [`run`] checks every point of the store contract (see [`crate::store`]) on fresh stores,
//! then races real threads against one store: sixteen threads consuming one challenge (exactly
//! one wins), counting attempts (the counter rises by exactly sixteen), creating `abcdef1`,
//! `ABCDEF1`, … at once (exactly one account), acquiring a budget with a lock after ten and
//! with a ceiling of ten (exactly ten get through each), completing one password reset
//! (exactly one succeeds), and opening challenges for one owner (exactly one stays live).
//!
//! ```
//! use kenpo_auth::MemoryStore;
//! use kenpo_auth::testkit;
//!
//! testkit::run(MemoryStore::new, |store, record| store.add_insured(record)).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::identity::InsuredRecord;
use crate::store::Store;

mod checks;
mod fixtures;
mod races;

/// Runs `future` to completion on the current thread, parking while it is pending: the
/// smallest executor, for the suite's threads. (Hosts and examples use a real runtime or
/// `pollster`.)
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        thread::park();
    }
}

/// A broken point of the contract: which check, and what went wrong.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What was expected and what happened.
    pub detail: String,
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "store contract broken in `{}`: {}",
            self.check, self.detail
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for Failure {}

/// The names of the checks that passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every check that ran, in order.
    pub passed: Vec<&'static str>,
}

type Outcome = Result<(), Failure>;

/// Fails `$check` with a formatted detail unless `$cond` holds.
macro_rules! ensure {
    ($check:expr, $cond:expr, $($detail:tt)+) => {
        if !$cond {
            return Err($crate::testkit::Failure { check: $check, detail: format!($($detail)+) });
        }
    };
}
use ensure;

/// Turns a store error into a failure of `check`.
fn ok<T, E: std::error::Error>(check: &'static str, result: Result<T, E>) -> Result<T, Failure> {
    result.map_err(|error| Failure {
        check,
        detail: format!("store error: {error}"),
    })
}

/// Runs every check. `make_store` gives a fresh, empty store for each check; `add_insured` puts
/// a person on that store's roster (the roster is host data outside the trait).
///
/// # Errors
/// The first [`Failure`].
pub fn run<S, F, A>(make_store: F, add_insured: A) -> Result<Report, Failure>
where
    S: Store,
    F: Fn() -> S,
    A: Fn(&S, InsuredRecord),
{
    let mut report = Report::default();
    let mut step = |name: &'static str, outcome: Outcome| -> Outcome {
        outcome?;
        report.passed.push(name);
        Ok(())
    };
    step(
        "roster",
        block_on(checks::roster(&make_store(), &add_insured)),
    )?;
    step("signups", block_on(checks::signups(&make_store())))?;
    step("challenges", block_on(checks::challenges(&make_store())))?;
    step("owner_voids", block_on(checks::owner_voids(&make_store())))?;
    step(
        "code_attempts",
        block_on(checks::code_attempts(&make_store())),
    )?;
    step("update_code", block_on(checks::update_code(&make_store())))?;
    step(
        "registration",
        block_on(checks::registration(&make_store())),
    )?;
    step(
        "user_id_taken",
        block_on(checks::user_id_taken(&make_store())),
    )?;
    step(
        "insured_has_account",
        block_on(checks::insured_has_account(&make_store())),
    )?;
    step(
        "password_reset",
        block_on(checks::password_reset(&make_store())),
    )?;
    step(
        "password_hash_cas",
        block_on(checks::password_hash_cas(&make_store())),
    )?;
    step("terms", block_on(checks::terms(&make_store())))?;
    step("counters", block_on(checks::counters(&make_store())))?;
    step(
        "counters_forget",
        block_on(checks::counters_forget(&make_store())),
    )?;
    step("purge", block_on(checks::purge(&make_store())))?;
    step(
        "purge_keeps_budgets",
        block_on(checks::purge_keeps_budgets(&make_store())),
    )?;
    step("race_consume", races::consume(&make_store()))?;
    step("race_attempts", races::attempts(&make_store()))?;
    step("race_user_ids", races::user_ids(&make_store()))?;
    step("race_lock", races::lock(&make_store()))?;
    step("race_ceiling", races::ceiling(&make_store()))?;
    step("race_reset", races::reset(&make_store()))?;
    step("race_owner", races::owner(&make_store()))?;
    Ok(report)
}
