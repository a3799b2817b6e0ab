//! Where argon2 runs: the [`Runner`] trait for blocking work, chosen by the host, and the
//! runners the crate ships.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;

/// A piece of blocking work (an argon2 run and its bookkeeping), to be run once.
pub struct Job(Box<dyn FnOnce() + Send + 'static>);

impl Job {
    pub(crate) fn new(work: impl FnOnce() + Send + 'static) -> Job {
        Job(Box::new(work))
    }

    /// Does the work, on the calling thread.
    pub fn run(self) {
        (self.0)();
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Job(..)")
    }
}

/// The job panicked, or the runner dropped it: it did not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the blocking job did not finish")]
pub struct JobFailed;

/// The future a [`Runner`] returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobFailed>> + Send + 'static>>;

/// Runs blocking work for the portal.
///
/// One argon2id run at the OWASP parameters takes about 20 ms of CPU. Run inside an async
/// task, it stalls every other task of that worker thread for as long. A runner moves it
/// elsewhere:
///
/// - [`Inline`] (the default) runs the work where the future is polled: no runtime needed,
///   right for a synchronous host, a test, or an executor whose threads may block.
/// - `TokioRunner` (feature `tokio`) runs it on Tokio's blocking pool
///   (`tokio::task::spawn_blocking`), so that a Tokio host simply `.await`s the portal.
///
/// Any other pool fits behind the trait: it is given a [`Job`] and resolves when the job has
/// run.
///
/// ```
/// use kenpo_auth::{Config, HashParams, Inline, MemoryStore, Portal, RecordingMailer};
/// let config = Config { hash_params: HashParams::insecure_for_tests(), ..Config::default() };
/// let portal = Portal::new(MemoryStore::new(), RecordingMailer::new(), config).with_runner(Inline);
/// ```
///
/// A runner of one's own:
///
/// ```
/// use kenpo_auth::{Job, JobFuture, Runner};
///
/// /// Runs every job on a thread of its own (a sketch: a real host would use a pool).
/// #[derive(Debug)]
/// struct ThreadPerJob;
///
/// impl Runner for ThreadPerJob {
///     fn run(&self, job: Job) -> JobFuture {
///         let handle = std::thread::spawn(move || job.run());
///         Box::pin(async move { handle.join().map_err(|_| kenpo_auth::JobFailed) })
///     }
/// }
/// ```
pub trait Runner: Send + Sync + fmt::Debug {
    /// Runs `job` to completion, here or elsewhere; the future resolves once it has run.
    fn run(&self, job: Job) -> JobFuture;
}

/// A shared runner, so that one pool can serve several portals (or a table of runners be
/// chosen at start-up).
impl<R: Runner + ?Sized> Runner for std::sync::Arc<R> {
    fn run(&self, job: Job) -> JobFuture {
        (**self).run(job)
    }
}

/// Runs the work where the future is polled. Needs no runtime; blocks the polling thread for
/// the length of an argon2 run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inline;

impl Runner for Inline {
    fn run(&self, job: Job) -> JobFuture {
        Box::pin(async move { catch_unwind(AssertUnwindSafe(|| job.run())).map_err(|_| JobFailed) })
    }
}

/// Runs the work on Tokio's blocking thread pool (`spawn_blocking`), so that the async worker
/// threads stay free for cheap requests. Needs a Tokio runtime when polled.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokioRunner;

#[cfg(feature = "tokio")]
impl Runner for TokioRunner {
    fn run(&self, job: Job) -> JobFuture {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || job.run())
                .await
                .map_err(|_| JobFailed)
        })
    }
}
