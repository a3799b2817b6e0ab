//! Argon2 under permits on the host's runner: no more runs at once than permits, waiters
//! served, `Busy` past the queue, nothing leaked when a caller goes away or a run fails.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::support::*;
use kenpo_auth::{
    Config, Error, Job, JobFailed, JobFuture, LoginSuccess, RegistrationForm, Runner, TokioRunner,
};
use tokio::task::JoinHandle;

/// Runs jobs on threads of their own, but only once let through, and counts how many run at
/// once.
#[derive(Debug, Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    running: AtomicUsize,
    most: AtomicUsize,
    started: AtomicUsize,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

#[derive(Debug, Clone, Default)]
struct GateRunner(Arc<Gate>);

impl Runner for GateRunner {
    fn run(&self, job: Job) -> JobFuture {
        let gate = Arc::clone(&self.0);
        gate.started.fetch_add(1, Ordering::SeqCst);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut open = gate.open.lock().unwrap();
            while !*open {
                open = gate.opened.wait(open).unwrap();
            }
            drop(open);
            let now = gate.running.fetch_add(1, Ordering::SeqCst) + 1;
            gate.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            job.run();
            gate.running.fetch_sub(1, Ordering::SeqCst);
            let _ = done_tx.send(());
        });
        Box::pin(async move { done_rx.await.map_err(|_| JobFailed) })
    }
}

/// Throws every job away unrun, as a runner that lost it would.
#[derive(Debug)]
struct LosingRunner;

impl Runner for LosingRunner {
    fn run(&self, job: Job) -> JobFuture {
        drop(job);
        Box::pin(async { Err(JobFailed) })
    }
}

/// Panics in the caller's task for its first job, holding the job (and so the permit) while
/// it unwinds, as a hash that panicked under `Inline` would; runs later jobs inline.
#[derive(Debug, Default)]
struct PanicsOnce(AtomicUsize);

impl Runner for PanicsOnce {
    fn run(&self, job: Job) -> JobFuture {
        let first = self.0.fetch_add(1, Ordering::SeqCst) == 0;
        Box::pin(async move {
            if first {
                let _held = job;
                panic!("argon2 blew up");
            }
            job.run();
            Ok(())
        })
    }
}

/// A login with a wrong password for `user_id`, on a task of its own.
fn spawn_wrong_login(
    portal: &Arc<TestPortal>,
    user_id: String,
) -> JoinHandle<Result<LoginSuccess, Error>> {
    let portal = Arc::clone(portal);
    tokio::spawn(async move { portal.login(&user_id, WRONG_PASSWORD).await })
}

/// Awaits `future`, failing the test instead of hanging it if a leaked permit keeps it waiting.
async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("waited 20 s: a permit was not given back")
}

fn config(permits: usize, queued: usize) -> Config {
    Config {
        max_concurrent_hashes: permits,
        max_queued_hashes: queued,
        login_max_failures: 1000,
        login_failure_ceiling: 100,
        ..test_config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_more_runs_than_permits_and_every_waiter_is_served() {
    let gate = GateRunner::default();
    let portal = Arc::new(fixture_with(config(2, 64)).portal.with_runner(gate.clone()));
    let logins: Vec<_> = (0..12)
        .map(|n| spawn_wrong_login(&portal, format!("member{n:04}")))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        gate.0.started.load(Ordering::SeqCst),
        2,
        "only two runs were handed over"
    );
    gate.0.open();
    for login in logins {
        let answer = within(login).await.unwrap();
        assert!(
            matches!(answer, Err(Error::AuthenticationFailed)),
            "{answer:?}"
        );
    }
    assert_eq!(gate.0.most.load(Ordering::SeqCst), 2);
    assert_eq!(gate.0.started.load(Ordering::SeqCst), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_queue_callers_hear_busy_at_once_with_a_wait() {
    let gate = GateRunner::default();
    let portal = Arc::new(fixture_with(config(1, 1)).portal.with_runner(gate.clone()));
    let first = spawn_wrong_login(&portal, "member0001".into());
    let second = spawn_wrong_login(&portal, "member0002".into());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = portal
        .login("member0003", WRONG_PASSWORD)
        .await
        .unwrap_err();
    let Error::Busy { retry_after } = third else {
        panic!("{third:?}");
    };
    assert!(retry_after >= Duration::from_secs(1));
    assert_eq!(third.kind().status(), 503);
    assert!(
        third.message_ja().contains("混み合って"),
        "{}",
        third.message_ja()
    );
    gate.0.open();
    assert!(matches!(
        within(first).await.unwrap(),
        Err(Error::AuthenticationFailed)
    ));
    assert!(matches!(
        within(second).await.unwrap(),
        Err(Error::AuthenticationFailed)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_answer_costs_the_member_no_attempt() {
    let fx = fixture_with(Config {
        login_max_failures: 2,
        code_failure_ceiling: 2,
        code_max_sends: 2,
        ..config(1, 0)
    });
    register(&fx);
    let reset = fx.portal.request_password_reset(USER_ID).await.unwrap();
    let reset_code = last_code(&fx);
    let taro_ticket = fx.portal.authenticate_insured(&taro()).await.unwrap();
    let taro_form = RegistrationForm {
        user_id: "TARO0001".into(),
        email: "taro@example.co.jp".into(),
        ..registration_form()
    };
    let gate = GateRunner::default();
    let portal = Arc::new(fx.portal.with_runner(gate.clone()));
    // Someone else's login holds the only permit; there is no queue.
    let holder = spawn_wrong_login(&portal, "member0001".into());
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..5 {
        let busy = [
            portal.login(USER_ID, PASSWORD).await.map(|_| ()),
            portal
                .begin_registration(&taro_ticket, &taro_form)
                .await
                .map(|_| ()),
            portal
                .reset_password(&reset, WRONG_RESET_CODE, NEW_PASSWORD)
                .await,
        ];
        for answer in busy {
            assert!(matches!(answer, Err(Error::Busy { .. })), "{answer:?}");
        }
    }
    gate.0.open();
    within(holder).await.unwrap().unwrap_err();
    // Five refusals each, against budgets of two: none was counted.
    within(portal.login(USER_ID, PASSWORD)).await.unwrap();
    within(portal.begin_registration(&taro_ticket, &taro_form))
        .await
        .unwrap();
    within(portal.reset_password(&reset, &reset_code, NEW_PASSWORD))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_dropped_while_waiting_leaks_no_permit() {
    let gate = GateRunner::default();
    let fx = fixture_with(config(1, 4));
    let portal = Arc::new(fx.portal.with_runner(gate.clone()));
    let holder = spawn_wrong_login(&portal, "member0001".into());
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Two callers queue behind it and give up.
    for n in 2..4 {
        let waiting = spawn_wrong_login(&portal, format!("member000{n}"));
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting.abort();
        assert!(waiting.await.unwrap_err().is_cancelled());
    }
    gate.0.open();
    assert!(matches!(
        within(holder).await.unwrap(),
        Err(Error::AuthenticationFailed)
    ));
    // The permit came back: two more logins run, one after the other.
    for _ in 0..2 {
        let answer = within(portal.login("member0009", WRONG_PASSWORD)).await;
        assert!(
            matches!(answer, Err(Error::AuthenticationFailed)),
            "{answer:?}"
        );
    }
    assert_eq!(
        gate.0.started.load(Ordering::SeqCst),
        3,
        "the dropped callers never ran"
    );
}

#[test]
fn a_run_that_fails_is_an_error_and_gives_its_permit_back() {
    let fx = fixture_with(config(1, 0));
    let portal = fx.portal.with_runner(LosingRunner);
    for _ in 0..3 {
        let error = block_on(portal.login(USER_ID, PASSWORD)).unwrap_err();
        assert!(matches!(error, Error::Hashing(_)), "{error:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_that_panics_gives_its_permit_back() {
    let portal = Arc::new(
        fixture_with(config(1, 0))
            .portal
            .with_runner(PanicsOnce::default()),
    );
    let panicked = tokio::spawn({
        let portal = Arc::clone(&portal);
        async move { portal.login(USER_ID, PASSWORD).await }
    });
    assert!(panicked.await.unwrap_err().is_panic());
    // One permit, no queue: had the panic kept the permit, these would hear `Busy`.
    for _ in 0..3 {
        let answer = within(portal.login("member0009", WRONG_PASSWORD)).await;
        assert!(
            matches!(answer, Err(Error::AuthenticationFailed)),
            "{answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_host_just_awaits_and_cheap_calls_are_not_held_up() {
    let fx = fixture_with(Config {
        hash_params: kenpo_auth::HashParams::default(),
        max_concurrent_hashes: 2,
        ..test_config()
    });
    let portal = Arc::new(fx.portal.with_runner(TokioRunner));
    let logins: Vec<_> = (0..8)
        .map(|n| spawn_wrong_login(&portal, format!("member{n:04}")))
        .collect();
    // A request that fails validation answers while the argon2 runs are on the blocking pool.
    let cheap = portal
        .authenticate_insured(&kenpo_auth::IdentityForm::default())
        .await;
    assert!(matches!(cheap, Err(Error::Form(_))));
    for login in logins {
        assert!(matches!(
            within(login).await.unwrap(),
            Err(Error::AuthenticationFailed)
        ));
    }
}
