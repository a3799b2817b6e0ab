//! Bounded hashing: argon2 runs under [`Permits`], in memory buffers that are reused rather
//! than allocated per run, on the host's [`Runner`].
//!
//! Each permit stands for one buffer of `blocks_per_permit` argon2 blocks (the live
//! parameters' memory). Buffers live in a free list and are handed to runs and taken back, so
//! the memory hashing uses is at most `permits × m` whatever the allocator does with freed
//! memory (glibc kept 19 MiB blocks in per-thread arenas, so a flood grew the process by
//! hundreds of megabytes). A run that needs more memory (a stored hash with costlier
//! parameters) takes several permits and a buffer of its own for that run.
//!
//! A run's permits and memory stay taken until the run ends, even if the caller's future is
//! dropped first: the run owns a lease that gives them back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::Block;
use zeroize::Zeroize;

use super::permits::{Permits, Refused};
use crate::runner::{Job, Runner};

/// Why a run did not happen, or did not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolError {
    /// Too many callers wait already; try after about `retry_after`.
    Busy {
        /// An estimate of when a place will be free.
        retry_after: Duration,
    },
    /// The run needs more memory than all permits together hold.
    TooCostly,
    /// The run panicked (argon2 failed, or the runner lost it).
    Panicked,
}

/// See the [module documentation](self).
pub(crate) struct HashPool {
    permits: Permits,
    blocks_per_permit: usize,
    free: Mutex<Vec<Vec<Block>>>,
    /// A moving average of how long a run takes, in microseconds, for [`PoolError::Busy`].
    average_micros: AtomicU64,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("permits", &self.permits.total())
            .field("blocks_per_permit", &self.blocks_per_permit)
            .finish_non_exhaustive()
    }
}

/// What a run holds until it ends: its permits and its memory.
struct Lease {
    pool: Arc<HashPool>,
    held: usize,
    memory: Vec<Block>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.memory));
        self.pool.permits.release(self.held);
    }
}

/// Permits and memory held for argon2 runs; given back when dropped (or, if dropped while a
/// run is under way, when that run ends).
pub(crate) struct Reservation {
    lease: Lease,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("permits", &self.lease.held)
            .finish_non_exhaustive()
    }
}

impl Reservation {
    /// Runs `job` on `runner` in the reserved memory, and gives back its answer with the
    /// reservation for another run.
    pub(crate) async fn run<T: Send + 'static>(
        self,
        runner: &dyn Runner,
        job: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<(T, Reservation), PoolError> {
        let pool = Arc::clone(&self.lease.pool);
        let mut lease = self.lease;
        // The job owns the lease while it runs: if the caller goes away, the permits and the
        // memory come back when the run ends, not before.
        let answer: Arc<Mutex<Option<(T, Lease)>>> = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&answer);
        let started = Instant::now();
        let outcome = runner
            .run(Job::new(move || {
                let out = job(&mut lease.memory);
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((out, lease));
            }))
            .await;
        pool.record(started.elapsed());
        let answer = answer.lock().unwrap_or_else(PoisonError::into_inner).take();
        match (outcome, answer) {
            (Ok(()), Some((answer, lease))) => Ok((answer, Reservation { lease })),
            _ => Err(PoolError::Panicked),
        }
    }
}

impl HashPool {
    /// `permits` runs at once (at least one), at most `max_queued` callers waiting, each
    /// permit worth `blocks_per_permit` argon2 blocks.
    pub(crate) fn new(permits: usize, max_queued: usize, blocks_per_permit: usize) -> HashPool {
        HashPool {
            permits: Permits::new(permits, max_queued),
            blocks_per_permit: blocks_per_permit.max(1),
            free: Mutex::new(Vec::new()),
            // A first guess: one argon2 run at the OWASP parameters takes about 20 ms.
            average_micros: AtomicU64::new(20_000),
        }
    }

    /// Whether runs of `blocks` argon2 blocks fit in the pool at all (all permits together).
    pub(crate) fn can_hold(&self, blocks: usize) -> bool {
        blocks.div_ceil(self.blocks_per_permit).max(1) <= self.permits.total()
    }

    /// Takes permits and memory for runs of up to `blocks` argon2 blocks, waiting for them if
    /// need be; refuses at once when too many callers wait already.
    ///
    /// Taken before anything is counted against a member's budget, so that a refusal for lack
    /// of capacity costs the member nothing.
    pub(crate) async fn reserve(self: &Arc<Self>, blocks: usize) -> Result<Reservation, PoolError> {
        let need = blocks.div_ceil(self.blocks_per_permit).max(1);
        let held = match self.permits.acquire(need).await {
            Ok(permit) => permit.keep(),
            Err(Refused::Busy) => {
                return Err(PoolError::Busy {
                    retry_after: self.retry_after(),
                });
            }
            Err(Refused::TooMany) => return Err(PoolError::TooCostly),
        };
        Ok(Reservation {
            lease: Lease {
                pool: Arc::clone(self),
                held,
                memory: self.take(need),
            },
        })
    }

    /// A buffer for a run holding `permits` permits: a pooled one for one permit, a buffer of
    /// its own for a costlier run.
    fn take(&self, permits: usize) -> Vec<Block> {
        let size = self.blocks_per_permit.saturating_mul(permits);
        if permits == 1 {
            if let Some(buffer) = self
                .free
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
            {
                return buffer;
            }
        }
        vec![Block::default(); size]
    }

    /// Takes a buffer back into the free list (only pool-sized ones; at most one per permit
    /// can exist, so the list never grows past the permits).
    fn give_back(&self, mut buffer: Vec<Block>) {
        if buffer.len() == self.blocks_per_permit {
            self.free
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(buffer);
        } else {
            buffer.zeroize();
        }
    }

    fn record(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.average_micros.load(Ordering::Relaxed);
        // A quarter of the new run, three quarters of the past: smooth, and quick to follow.
        let new = old / 4 * 3 + micros / 4;
        self.average_micros.store(new, Ordering::Relaxed);
    }

    /// When a place is likely free: the runs ahead of a new caller, at the average duration,
    /// `permits` at a time; at least a second.
    fn retry_after(&self) -> Duration {
        let queued = u64::try_from(self.permits.queued()).unwrap_or(u64::MAX);
        let total = u64::try_from(self.permits.total()).unwrap_or(1).max(1);
        let rounds = queued.saturating_add(1).div_ceil(total);
        let micros = self
            .average_micros
            .load(Ordering::Relaxed)
            .saturating_mul(rounds);
        Duration::from_micros(micros).max(Duration::from_secs(1))
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        // The buffers held argon2's state for real passwords.
        for buffer in self.free.get_mut().unwrap_or_else(PoisonError::into_inner) {
            buffer.zeroize();
        }
    }
}
