//! Through PgBouncer in transaction mode: the conformance suite, its races included, with the
//! statement mode the store documents for it (`StatementMode::Unnamed`, no startup options).
//! PgBouncer 1.18 (Debian 12's) keeps no prepared statements across transactions, so a store
//! that relied on session state — named statements, `SET`, temporary tables that outlive a
//! transaction, session advisory locks — would fail here.
//!
//! The test starts its own PgBouncer (`KENPO_PGBOUNCER`, else `pgbouncer` on the `PATH` or in
//! `/usr/sbin`) on a free local port in front of the suite's server. Without one it prints
//! `PgBouncer test skipped: <reason>` and passes, unless `KENPO_REQUIRE_PGBOUNCER=1` (as
//! `.ci/run` sets after installing Debian's `pgbouncer`).

#![allow(clippy::doc_markdown)] // PgBouncer is a name, not code.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kenpo_auth::postgres::{PostgresOptions, StatementMode};
use kenpo_auth::testkit;

use crate::conformance::run_suite_at;
use crate::require_server;
use crate::support::{FreshSchemas, TempDir, TestSchema, block_on, url};

/// A PgBouncer of the test's own, stopped on drop.
struct Bouncer {
    child: Child,
    url: String,
    dir: TempDir,
}

impl Bouncer {
    /// What PgBouncer logged, for a failure message.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.db("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn executable() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("KENPO_PGBOUNCER") {
        return Ok(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|path| path.is_file())
        .ok_or_else(|| "no pgbouncer (set KENPO_PGBOUNCER, or install Debian's pgbouncer)".into())
}

/// PgBouncer's version, `(major, minor)`, from `pgbouncer --version`.
fn version(executable: &Path) -> Option<(u32, u32)> {
    let output = Command::new(executable).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let number = text.lines().next()?.split_whitespace().nth(1)?;
    let mut parts = number.split('.').map(str::parse::<u32>);
    Some((parts.next()?.ok()?, parts.next()?.ok()?))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// Starts PgBouncer in transaction mode in front of the suite's server, handing each
/// transaction to the next server connection in turn (`server_round_robin`), so that anything
/// a store left on a server connection is missing in its next transaction.
fn start(executable: &Path) -> Bouncer {
    let server: tokio_postgres::Config = url().parse().unwrap();
    let user = server.get_user().unwrap_or("postgres").to_owned();
    let database = server.get_dbname().unwrap_or("test").to_owned();
    let host = match server.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "127.0.0.1".to_owned(),
    };
    let port = server.get_ports().first().copied().unwrap_or(5432);
    let password = server
        .get_password()
        .map(|p| format!(" password={}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let dir = TempDir::new("pgbouncer");
    let listen = free_port();
    let file = |name: &str| dir.db(name).display().to_string();
    let config = format!(
        "[databases]\n* = host={host} port={port}{password}\n\n[pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {listen}\nauth_type = trust\nauth_file = {auth}\n\
         pool_mode = transaction\nserver_round_robin = 1\nmax_client_conn = 400\n\
         default_pool_size = 20\nlogfile = {log}\npidfile = {pid}\n",
        auth = file("users.txt"),
        log = file("pgbouncer.log"),
        pid = file("pgbouncer.pid"),
    );
    std::fs::write(dir.db("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
    std::fs::write(dir.db("pgbouncer.ini"), config).unwrap();
    let mut command = Command::new(executable);
    // PgBouncer refuses to run as root: as root, it runs as `postgres`, which then owns the
    // directory (mode 0700: the configuration is readable by nobody else).
    if running_as_root() {
        let owned = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(dir.db(""))
            .status()
            .is_ok_and(|status| status.success());
        assert!(owned, "chown to postgres (PgBouncer will not run as root)");
        command.args(["-u", "postgres"]);
    }
    let _ = Command::new("chmod").arg("700").arg(dir.db("")).status();
    let child = command
        .arg(file("pgbouncer.ini"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut bouncer = Bouncer {
        child,
        url: format!("postgres://{user}@127.0.0.1:{listen}/{database}"),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", listen)).is_err() {
        let exited = bouncer.child.try_wait().ok().flatten();
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "PgBouncer did not start ({exited:?}); its log:\n{}",
            bouncer.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    bouncer
}

/// PgBouncer, or `None` after saying why the test is skipped.
fn pgbouncer() -> Option<PathBuf> {
    match executable() {
        Ok(path) => Some(path),
        Err(reason) => {
            let required = std::env::var("KENPO_REQUIRE_PGBOUNCER").is_ok_and(|v| v == "1");
            assert!(!required, "KENPO_REQUIRE_PGBOUNCER=1 but {reason}");
            eprintln!("PgBouncer test skipped: {reason}");
            None
        }
    }
}

/// What the store's documentation says to choose behind PgBouncer in transaction mode.
fn behind_pgbouncer(schema: &TestSchema) -> PostgresOptions {
    schema
        .options()
        .pool_size(16)
        .statements(StatementMode::Unnamed)
        .statement_timeout(None)
}

#[test]
fn postgres_store_passes_the_conformance_suite_through_pgbouncer_in_transaction_mode() {
    let _server = require_server!();
    let Some(executable) = pgbouncer() else {
        return;
    };
    eprintln!("PgBouncer {:?}", version(&executable));
    let bouncer = start(&executable);
    run_suite_at(&bouncer.url, "bouncer", behind_pgbouncer);
}

/// The test above is not blind: the default statement mode (named statements prepared once
/// per connection) breaks behind a PgBouncer that keeps no prepared statements across
/// transactions — every version before 1.21, which added `max_prepared_statements`.
#[test]
fn named_statements_break_behind_an_older_pgbouncer_in_transaction_mode() {
    let _server = require_server!();
    let Some(executable) = pgbouncer() else {
        return;
    };
    match version(&executable) {
        Some(version) if version < (1, 21) => {}
        other => {
            eprintln!("PgBouncer {other:?} may keep prepared statements: nothing to show");
            return;
        }
    }
    let bouncer = start(&executable);
    let schemas = FreshSchemas::default();
    let make_store = || {
        schemas.with_new("bouncer_named", |schema| {
            let options = behind_pgbouncer(schema).statements(StatementMode::Cached);
            schema.store_at(&bouncer.url, options)
        })
    };
    let outcome = testkit::run(make_store, |store, record| {
        block_on(store.add_insured(record)).expect("add_insured");
    });
    let failure = outcome.expect_err("named statements must fail behind this PgBouncer");
    eprintln!("as expected: {failure}");
}
