//! A conformance suite any [`Store`] implementation can run against itself (feature `testkit`).
//!
//! **Outside SemVer**: checks are added as the contract is sharpened, in any release.
//!
//! [`run`] checks every point of the store contract (see [`crate::store`]) on fresh stores,
//! then races real threads against one store: sixteen threads consuming one challenge (exactly
//! one wins), counting attempts (the counter rises by exactly sixteen), creating `abcdef1`,
//! `ABCDEF1`, … at once (exactly one account), acquiring a budget with a lock after ten and
//! with a ceiling of ten (exactly ten get through each), completing one password reset
//! (exactly one succeeds), opening challenges for one owner (exactly one stays live),
//! importing the roster while others log in (every reader sees the old roster or the new one)
//! and completing one e-mail change (exactly one succeeds).
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
mod union_side;

/// Runs `future` to completion on the current thread, parking while it is pending: the
/// smallest executor, for the suite's threads. (Hosts and examples use a real runtime or
/// `pollster`.)
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
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
    // Each check on a fresh store, by name.
    macro_rules! checks {
        ($($name:ident),*) => {
            $(step(stringify!($name), block_on(checks::$name(&make_store())))?;)*
        };
    }
    checks!(
        signups,
        challenges,
        owner_voids,
        code_attempts,
        update_code,
        registration,
        user_id_taken,
        insured_has_account,
        password_reset,
        password_hash_cas,
        terms,
        counters,
        counters_forget,
        purge,
        purge_keeps_budgets
    );
    macro_rules! union_checks {
        ($($name:literal => $check:ident),*) => {
            $(step($name, block_on(union_side::$check(&make_store())))?;)*
        };
    }
    union_checks!(
        "roster_import" => roster_import,
        "roster_refused" => roster_refused,
        "roster_removals" => roster_removals,
        "roster_keeps_coverage_ends" => roster_keeps_coverage_ends,
        "coverage" => coverage,
        "change_password" => change_password,
        "email_change" => email_change_completes,
        "record_login" => record_login,
        "end_sessions" => end_sessions,
        "find_counter" => find_counter,
        "delete_account" => delete_account
    );
    macro_rules! races {
        ($($name:ident),*) => {
            $(step(concat!("race_", stringify!($name)), races::$name(&make_store()))?;)*
        };
    }
    races!(
        consume,
        attempts,
        user_ids,
        lock,
        ceiling,
        reset,
        owner,
        import,
        email_change,
        end_sessions
    );
    Ok(report)
}
