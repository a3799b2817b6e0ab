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

use kenpo_auth::postgres::StatementMode;

use crate::conformance::run_suite_at;
use crate::require_server;
use crate::support::{TempDir, url};

/// A PgBouncer of the test's own, stopped on drop.
struct Bouncer {
    child: Child,
    url: String,
    _dir: TempDir,
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap()
}

/// Starts PgBouncer in transaction mode in front of the suite's server.
fn start(executable: &Path) -> Bouncer {
    let server: tokio_postgres::Config = url().parse().unwrap();
    let user = server.get_user().unwrap_or("postgres").to_owned();
    let database = server.get_dbname().unwrap_or("test").to_owned();
    let (host, port) = match (server.get_hosts().first(), server.get_ports().first()) {
        (Some(tokio_postgres::config::Host::Tcp(host)), Some(port)) => (host.clone(), *port),
        _ => ("127.0.0.1".to_owned(), 5432),
    };
    let dir = TempDir::new("pgbouncer");
    let listen = free_port();
    let file = |name: &str| dir.db(name).display().to_string();
    let config = format!(
        "[databases]\n* = host={host} port={port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
         listen_port = {listen}\nauth_type = trust\nauth_file = {auth}\npool_mode = transaction\n\
         max_client_conn = 400\ndefault_pool_size = 20\nlogfile = {log}\npidfile = {pid}\n",
        auth = file("users.txt"),
        log = file("pgbouncer.log"),
        pid = file("pgbouncer.pid"),
    );
    std::fs::write(dir.db("users.txt"), format!("\"{user}\" \"\"\n")).unwrap();
    std::fs::write(dir.db("pgbouncer.ini"), config).unwrap();
    let mut command = Command::new(executable);
    // PgBouncer refuses to run as root; as root it is told whom to run as.
    if running_as_root() {
        make_readable_by_all(&dir);
        command.args(["-u", "postgres"]);
    }
    let child = command
        .arg(file("pgbouncer.ini"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", listen)).is_err() {
        assert!(Instant::now() < deadline, "PgBouncer did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Bouncer {
        child,
        url: format!("postgres://{user}@127.0.0.1:{listen}/{database}"),
        _dir: dir,
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn make_readable_by_all(dir: &TempDir) {
    let path = dir.db("");
    let _ = Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(&path)
        .status();
}

#[test]
fn postgres_store_passes_the_conformance_suite_through_pgbouncer_in_transaction_mode() {
    let _server = require_server!();
    let executable = match executable() {
        Ok(path) => path,
        Err(reason) => {
            let required = std::env::var("KENPO_REQUIRE_PGBOUNCER").is_ok_and(|v| v == "1");
            assert!(!required, "KENPO_REQUIRE_PGBOUNCER=1 but {reason}");
            eprintln!("PgBouncer test skipped: {reason}");
            return;
        }
    };
    let bouncer = start(&executable);
    // What the store's documentation says to choose behind PgBouncer in transaction mode.
    run_suite_at(&bouncer.url, "bouncer", |schema| {
        schema
            .options()
            .pool_size(16)
            .statements(StatementMode::Unnamed)
            .statement_timeout(None)
    });
}
