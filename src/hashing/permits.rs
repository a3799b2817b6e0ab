//! Permits for argon2 runs: an async semaphore that needs no runtime, with a bound on how many
//! callers may wait.
//!
//! A permit stands for one argon2 memory buffer at the live parameters; a stored hash that
//! needs more memory takes several permits at once, so memory for hashing never exceeds
//! `total` buffers. Waiters are served first come, first served (a large request at the head
//! waits until enough permits are free, and the ones behind it wait too: no starvation). A
//! caller that would make the queue longer than `max_queued` is refused at once, so a flood
//! costs the attacker answers, not the server memory.
//!
//! Cancellation is safe: a waiting future that is dropped leaves the queue, and a permit
//! granted to a future that is dropped before it noticed is given back. A [`Permit`] gives its
//! permits back when dropped, also while a panic unwinds.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Why permits were not granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue is full: try later.
    Busy,
    /// More permits than exist were asked for: this can never be served.
    TooMany,
}

struct Waiter {
    id: u64,
    need: usize,
    waker: Waker,
}

#[derive(Default)]
struct State {
    available: usize,
    next_id: u64,
    /// Waiting, in arrival order.
    queue: VecDeque<Waiter>,
    /// Granted while waiting, not yet collected by their future: (id, permits).
    granted: Vec<(u64, usize)>,
}

impl State {
    /// Grants permits to the head of the queue while they fit, and wakes those served.
    fn serve(&mut self) {
        while let Some(head) = self.queue.front() {
            if head.need > self.available {
                break;
            }
            if let Some(head) = self.queue.pop_front() {
                self.available -= head.need;
                self.granted.push((head.id, head.need));
                head.waker.wake();
            }
        }
    }
}

/// The semaphore. See the [module documentation](self).
pub(crate) struct Permits {
    total: usize,
    max_queued: usize,
    state: Mutex<State>,
}

impl Permits {
    /// `total` permits (at least one), at most `max_queued` callers waiting.
    pub(crate) fn new(total: usize, max_queued: usize) -> Permits {
        let total = total.max(1);
        Permits {
            total,
            max_queued,
            state: Mutex::new(State {
                available: total,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change below is made whole under the lock, so a poisoned lock still guards
        // consistent counts.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many permits exist.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// How many callers wait now.
    pub(crate) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// Waits for `need` permits.
    pub(crate) fn acquire(&self, need: usize) -> Acquire<'_> {
        Acquire {
            permits: self,
            need: need.max(1),
            id: None,
            done: false,
        }
    }

    /// Gives back permits kept with [`Permit::keep`].
    pub(crate) fn release(&self, permits: usize) {
        let mut state = self.lock();
        state.available += permits;
        state.serve();
    }
}

/// Permits held; given back on drop.
pub(crate) struct Permit<'a> {
    permits: &'a Permits,
    held: usize,
}

impl Permit<'_> {
    /// Keeps the permits past this borrow: the caller gives them back with
    /// [`Permits::release`] (a lease that outlives the future, so that a cancelled caller
    /// cannot free permits while its argon2 run still holds the memory).
    pub(crate) fn keep(self) -> usize {
        let held = self.held;
        std::mem::forget(self);
        held
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.permits.release(self.held);
    }
}

/// The future of [`Permits::acquire`].
pub(crate) struct Acquire<'a> {
    permits: &'a Permits,
    need: usize,
    /// Set once queued.
    id: Option<u64>,
    /// Set once the answer was given (the permit moved out, or a refusal).
    done: bool,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<Permit<'a>, Refused>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let permits = this.permits;
        let mut state = permits.lock();
        let granted = |done: &mut bool| {
            *done = true;
            Poll::Ready(Ok(Permit {
                permits,
                held: this.need,
            }))
        };
        match this.id {
            None => {
                if this.need > permits.total {
                    this.done = true;
                    return Poll::Ready(Err(Refused::TooMany));
                }
                if state.queue.is_empty() && state.available >= this.need {
                    state.available -= this.need;
                    return granted(&mut this.done);
                }
                if state.queue.len() >= permits.max_queued {
                    this.done = true;
                    return Poll::Ready(Err(Refused::Busy));
                }
                let id = state.next_id;
                state.next_id = state.next_id.wrapping_add(1);
                state.queue.push_back(Waiter {
                    id,
                    need: this.need,
                    waker: cx.waker().clone(),
                });
                this.id = Some(id);
                Poll::Pending
            }
            Some(id) => {
                if let Some(index) = state.granted.iter().position(|(g, _)| *g == id) {
                    state.granted.swap_remove(index);
                    return granted(&mut this.done);
                }
                if let Some(waiter) = state.queue.iter_mut().find(|w| w.id == id) {
                    waiter.waker.clone_from(cx.waker());
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let (Some(id), false) = (self.id, self.done) else {
            return;
        };
        let mut state = self.permits.lock();
        if let Some(index) = state.queue.iter().position(|w| w.id == id) {
            state.queue.remove(index);
        } else if let Some(index) = state.granted.iter().position(|(g, _)| *g == id) {
            let (_, held) = state.granted.swap_remove(index);
            state.available += held;
        }
        // Leaving the head of the queue, or giving permits back, may let others through.
        state.serve();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    fn poll<'a>(
        future: &mut Pin<Box<Acquire<'a>>>,
        waker: &Waker,
    ) -> Poll<Result<Permit<'a>, Refused>> {
        future.as_mut().poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn no_more_than_the_permits_are_held_and_waiters_are_woken_in_order() {
        let permits = Permits::new(2, 10);
        let (_, w) = waker();
        let mut a = Box::pin(permits.acquire(1));
        let mut b = Box::pin(permits.acquire(1));
        let mut c = Box::pin(permits.acquire(1));
        let (c_woken, c_waker) = waker();
        let Poll::Ready(Ok(pa)) = poll(&mut a, &w) else {
            panic!()
        };
        let Poll::Ready(Ok(_pb)) = poll(&mut b, &w) else {
            panic!()
        };
        assert!(poll(&mut c, &c_waker).is_pending());
        assert_eq!(permits.queued(), 1);
        drop(pa);
        assert_eq!(c_woken.0.load(Ordering::SeqCst), 1, "the waiter is woken");
        assert!(matches!(poll(&mut c, &c_waker), Poll::Ready(Ok(_))));
    }

    #[test]
    fn past_the_queue_callers_are_refused_at_once() {
        let permits = Permits::new(1, 2);
        let (_, w) = waker();
        let mut held = Box::pin(permits.acquire(1));
        let Poll::Ready(Ok(_p)) = poll(&mut held, &w) else {
            panic!()
        };
        let mut q1 = Box::pin(permits.acquire(1));
        let mut q2 = Box::pin(permits.acquire(1));
        let mut q3 = Box::pin(permits.acquire(1));
        assert!(poll(&mut q1, &w).is_pending());
        assert!(poll(&mut q2, &w).is_pending());
        assert!(matches!(poll(&mut q3, &w), Poll::Ready(Err(Refused::Busy))));
        assert!(matches!(
            poll(&mut Box::pin(permits.acquire(5)), &w),
            Poll::Ready(Err(Refused::TooMany))
        ));
    }

    #[test]
    fn a_dropped_waiter_leaves_the_queue_and_a_dropped_grant_gives_back() {
        let permits = Permits::new(1, 4);
        let (_, w) = waker();
        let mut first = Box::pin(permits.acquire(1));
        let Poll::Ready(Ok(p)) = poll(&mut first, &w) else {
            panic!()
        };
        let mut waiting = Box::pin(permits.acquire(1));
        assert!(poll(&mut waiting, &w).is_pending());
        let mut behind = Box::pin(permits.acquire(1));
        assert!(poll(&mut behind, &w).is_pending());
        drop(waiting);
        assert_eq!(permits.queued(), 1, "the dropped waiter left the queue");
        drop(p);
        // `behind` was granted; drop it before it notices: the permit must come back.
        drop(behind);
        let mut last = Box::pin(permits.acquire(1));
        assert!(
            matches!(poll(&mut last, &w), Poll::Ready(Ok(_))),
            "no permit leaked"
        );
    }

    #[test]
    fn a_large_request_takes_several_permits_and_holds_the_line() {
        let permits = Permits::new(3, 4);
        let (_, w) = waker();
        let mut one = Box::pin(permits.acquire(1));
        let Poll::Ready(Ok(p1)) = poll(&mut one, &w) else {
            panic!()
        };
        let mut big = Box::pin(permits.acquire(3));
        assert!(poll(&mut big, &w).is_pending());
        let mut small = Box::pin(permits.acquire(1));
        assert!(
            poll(&mut small, &w).is_pending(),
            "first come, first served"
        );
        drop(p1);
        let Poll::Ready(Ok(p3)) = poll(&mut big, &w) else {
            panic!()
        };
        assert!(poll(&mut small, &w).is_pending());
        drop(p3);
        assert!(matches!(poll(&mut small, &w), Poll::Ready(Ok(_))));
    }

    #[test]
    fn a_panic_while_holding_gives_the_permit_back() {
        let permits = Permits::new(1, 1);
        let (_, w) = waker();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut a = Box::pin(permits.acquire(1));
            let Poll::Ready(Ok(_p)) = poll(&mut a, &w) else {
                panic!("not granted")
            };
            panic!("argon2 failed");
        }));
        assert!(outcome.is_err());
        assert!(matches!(
            poll(&mut Box::pin(permits.acquire(1)), &w),
            Poll::Ready(Ok(_))
        ));
    }
}
