//! What the load examples share: cheap requests arriving while the portal works, and the
//! process's memory.
#![allow(dead_code, unreachable_pub)] // each example uses part of it
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle as Task;

/// Cheap requests arriving every 5 ms from outside the runtime, as the I/O driver would hand
/// them over. Latency counts from arrival, so a call that waited for a free worker shows it.
pub struct Prober {
    done: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Task<Duration>>>,
}

impl Prober {
    /// Starts sending `call` to the runtime of `handle`, each call with its own handle on
    /// `shared` (the portal).
    pub fn start<T, F>(
        handle: tokio::runtime::Handle,
        shared: &Arc<T>,
        call: impl Fn(Arc<T>) -> F + Send + 'static,
    ) -> Prober
    where
        T: Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let shared = Arc::clone(shared);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Acquire) {
                let arrived = Instant::now();
                let answered = call(Arc::clone(&shared));
                answers.push(handle.spawn(async move {
                    answered.await;
                    arrived.elapsed()
                }));
                std::thread::sleep(Duration::from_millis(5));
            }
            answers
        });
        Prober { done, thread }
    }

    /// Stops sending and returns every latency, fastest first.
    pub fn finish(self, runtime: &tokio::runtime::Runtime) -> Vec<Duration> {
        self.done.store(true, Ordering::Release);
        let answers = self.thread.join().expect("the prober thread");
        let mut latencies = runtime.block_on(async {
            let mut latencies = Vec::new();
            for answer in answers {
                latencies.push(answer.await.expect("a cheap call"));
            }
            latencies
        });
        latencies.sort();
        latencies
    }
}

/// The latency at quantile `q` (0 to 1) of sorted `latencies`, in milliseconds.
pub fn quantile_ms(latencies: &[Duration], q: f64) -> f64 {
    let last = latencies.len().saturating_sub(1);
    latencies
        .get((last as f64 * q) as usize)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

/// A line of `/proc/self/status` (`VmHWM`, `VmRSS`) in bytes; NaN where there is no `/proc`.
pub fn status_bytes(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        })
        .map_or(f64::NAN, |kib| kib * 1024.0)
}
