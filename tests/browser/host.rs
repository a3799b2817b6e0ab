//! What the web example does without a browser: its per-client rate limit, and the portal on
//! PostgreSQL (`--postgres URL`). These run the example's binary and speak plain HTTP.

use crate::harness::{self, Server};
use crate::tempdir;

/// A client's form posts past the rate limit (60 a minute by default) are refused with a wait
/// of at least a second (429, `Retry-After`, the Japanese message) before they reach the
/// portal, and each refusal is logged with the client; pages stay readable.
#[test]
fn a_client_posting_past_the_rate_limit_is_told_to_wait() {
    let dir = tempdir("rate-limit");
    let server = Server::start(&dir.join("portal.db"), &[]);
    let post = || harness::http(&server.base, "POST /login HTTP/1.1", "csrf=x&user_id=a");
    let mut passed = 0;
    let (head, body) = loop {
        let (head, body) = post();
        if !head.starts_with("HTTP/1.1 403") || passed > 100 {
            break (head, body);
        }
        passed += 1;
    };
    assert!(passed >= 60, "a burst of 60 passes, {passed} did");
    assert!(head.starts_with("HTTP/1.1 429"), "past the limit: {head}");
    let wait: u64 = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("retry-after: ")?
                .parse()
                .ok()
        })
        .expect("a Retry-After header");
    assert!(wait >= 1, "told to wait {wait} s");
    assert!(body.contains(&format!("{wait}秒ほどおいてから")), "{body}");
    // A client hammering past its limit: two hundred refusals, a line a second at most.
    let started = std::time::Instant::now();
    for _ in 0..200 {
        assert!(post().0.starts_with("HTTP/1.1 429"));
    }
    let seconds = started.elapsed().as_secs() + 2;
    let log = server.log();
    let lines = log.lines().filter(|line| line.contains("rate_limited"));
    let logged: Vec<&str> = lines.collect();
    assert!(
        logged.iter().any(|line| line.contains("client=127.0.0.1")),
        "the refusal is logged with the client: {log}"
    );
    let at_most = usize::try_from(seconds).unwrap();
    assert!(
        logged.len() <= at_most,
        "{} lines in {seconds} s",
        logged.len()
    );
    let (head, _) = harness::http(&server.base, "GET /login HTTP/1.1", "");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "pages have a budget of their own: {head}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Page views have a per-client budget of their own, four times the posts': a view without a
/// cookie makes a session, and one client must not make enough of them to push other
/// visitors' sessions out of the bounded session store.
#[test]
fn a_client_viewing_pages_past_its_budget_is_told_to_wait() {
    let dir = tempdir("page-views");
    let server = Server::start(&dir.join("portal.db"), &["--rate-limit", "2"]);
    let view = || harness::http(&server.base, "GET /login HTTP/1.1", "").0;
    let statuses: Vec<String> = (0..9).map(|_| view()[9..12].to_owned()).collect();
    assert_eq!(statuses[..8], ["200"; 8], "a burst of four times the posts");
    assert_eq!(statuses[8], "429", "past the budget");
    let (head, _) = harness::http(&server.base, "POST /login HTTP/1.1", "csrf=x&user_id=a");
    assert!(
        head.starts_with("HTTP/1.1 403"),
        "posts keep theirs: {head}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// HSTS (a year, subdomains) on every answer over TLS (`--secure-cookies`), and never over
/// plain HTTP, where a browser would ignore it anyway and a local developer would be locked out.
#[test]
fn hsts_is_sent_when_the_portal_is_served_over_tls() {
    let dir = tempdir("hsts");
    let db = dir.join("portal.db");
    let hsts = |server: &Server, request: &str| {
        let (head, _) = harness::http(&server.base, request, "");
        head.lines()
            .find_map(|line| {
                let lower = line.to_ascii_lowercase();
                lower
                    .strip_prefix("strict-transport-security: ")
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let tls = Server::start(&db, &["--secure-cookies"]);
    for request in [
        "GET /login HTTP/1.1",
        "GET /nowhere HTTP/1.1",
        "POST /login HTTP/1.1",
    ] {
        assert_eq!(
            hsts(&tls, request),
            "max-age=31536000; includesubdomains",
            "{request}"
        );
    }
    drop(tls);
    let plain = Server::start(&db, &[]);
    assert_eq!(hsts(&plain, "GET /login HTTP/1.1"), "");
    drop(plain);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--trusted-proxy IP`: behind the proxy each client (the address the proxy forwards) has a
/// bucket of its own; a client's own `X-Forwarded-For` is not believed without the flag.
#[test]
fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let dir = tempdir("trusted-proxy");
    let db = dir.join("portal.db");
    let status = |server: &Server, client: &str| {
        let line = format!("POST /login HTTP/1.1\r\nX-Forwarded-For: {client}");
        let (head, _) = harness::http(&server.base, &line, "csrf=x&user_id=a");
        head.get(9..12).unwrap_or_default().to_owned()
    };
    // Three posts, the nth with `header(n)`: with a burst of two, the third is refused only if
    // all three count against one client.
    let three = |server: &Server, header: &dyn Fn(u8) -> String| -> Vec<String> {
        (1..=3).map(|n| status(server, &header(n))).collect()
    };
    let one_client = ["403", "403", "429"];
    let behind = Server::start(&db, &["--rate-limit", "2", "--trusted-proxy", "127.0.0.1"]);
    let same = three(&behind, &|_| "192.0.2.1".into());
    assert_eq!(same, one_client, "the third post of one client");
    let other = status(&behind, "192.0.2.2");
    assert_eq!(other, "403", "another client's first post");
    // What a client writes before the proxy's entry picks no bucket of its own.
    let chosen = three(&behind, &|n| format!("203.0.113.{n}, 192.0.2.3"));
    assert_eq!(chosen, one_client, "one client, whatever it prepends");
    let log = behind.log();
    assert!(log.contains("client=192.0.2.1"), "{log}");
    drop(behind);
    let direct = Server::start(&db, &["--rate-limit", "2"]);
    let spoofed = three(&direct, &|n| format!("192.0.2.{n}"));
    assert_eq!(spoofed, one_client, "a forged header is no new client");
    drop(direct);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--postgres URL`: the demo members added to PostgreSQL (a schema of the test's own, dropped
/// after), and a demo member's first authentication matched there (the session gets the
/// sign-up ticket: on to ユーザーID登録). Skipped, saying so, without a server at
/// `KENPO_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`), unless
/// `KENPO_REQUIRE_PG=1`.
#[tokio::test]
async fn the_portal_runs_on_postgresql() {
    let url = std::env::var("KENPO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = match tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            client
        }
        Err(error) => {
            let required = std::env::var("KENPO_REQUIRE_PG").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "KENPO_REQUIRE_PG=1 but no PostgreSQL at {url}: {error}"
            );
            harness::say(&format!(
                "web example on PostgreSQL skipped: {url}: {error}"
            ));
            return;
        }
    };
    let schema = format!("kenpo_web_test_{}", std::process::id());
    let dir = tempdir("postgres");
    let key = dir.join("code.key");
    let key = key.to_str().unwrap();
    let flags = [
        "--postgres",
        &url,
        "--pg-schema",
        &schema,
        "--key",
        key,
        "--seed-demo",
    ];
    let server = Server::start(&dir.join("unused.db"), &flags);
    assert!(
        server.first_line.contains("database PostgreSQL"),
        "{}",
        server.first_line
    );
    let (head, body) = harness::http(&server.base, "GET /first HTTP/1.1", "");
    let cookie = harness::set_cookie(&head).expect("a session cookie");
    let form = format!(
        "insurer_code=06139999&symbol=1234&number=568&birth_year=1980\
         &birth_month=12&birth_day=31&name_kana={}",
        harness::percent_encode("サトウ タロウ")
    );
    let csrf = harness::csrf_in(&body);
    let (status, _) = harness::http_post_as(&server.base, "/first", &cookie, &csrf, &form);
    assert!(status.ends_with("303 See Other -> /register"), "{status}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    let drop_schema = format!("DROP SCHEMA {schema} CASCADE");
    admin.batch_execute(&drop_schema).await.unwrap();
}
