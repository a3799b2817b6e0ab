//! The portal itself: the manual's screens over `kenpo-auth`, as a union's vendor would start
//! from. Axum on Tokio, `SqliteStore` in a local file, server-side sessions, every mail printed
//! to the terminal.
//!
//! ```sh
//! cargo run --example web -- --seed-demo          # http://127.0.0.1:3000
//! cargo run --example web -- --db portal.db --addr 127.0.0.1:8080 --terms-version 2
//! ```
//!
//! Flags: `--db PATH` (default `kenpo-web.db`; the code key is kept beside it in `PATH.key`),
//! `--addr HOST:PORT` (default `127.0.0.1:3000`; port 0 picks one), `--seed-demo` (adds the
//! demo members to the roster), `--terms-version N`, `--notice TEXT` (repeatable: the login
//! page's サイトからのお知らせ), `--secure-cookies` (when served over TLS, e.g. behind a
//! proxy), `--rate-limit N` (form posts per minute per client address, default 60).
//!
//! The library carries the rules; this host owns HTTP, sessions, CSRF, headers, per-client
//! rate limiting and the mail transport (here a development mailer: replace `DevMailer` with
//! SMTP in production, and never run it where its terminal is shared).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::panic,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]

mod guard;
mod mailer;
mod pages;
mod sessions;
mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use kenpo_auth::{
    BirthDate, Config, InsuredRecord, Portal, SecretKey, SqliteStore, TermsVersion, TokioRunner,
};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::guard::Limiter;
use crate::mailer::DevMailer;
use crate::sessions::BoundedSessions;

pub type WebPortal = Portal<SqliteStore, DevMailer>;

/// Sessions kept in memory at most (each a few hundred bytes).
const MAX_SESSIONS: usize = 100_000;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub portal: Arc<WebPortal>,
    /// サイトからのお知らせ, as configured.
    pub notices: Arc<Vec<String>>,
}

struct Args {
    db: PathBuf,
    addr: String,
    seed_demo: bool,
    terms_version: u32,
    notices: Vec<String>,
    secure_cookies: bool,
    rate_limit: u32,
}

fn args() -> Args {
    let mut args = Args {
        db: PathBuf::from("kenpo-web.db"),
        addr: "127.0.0.1:3000".into(),
        seed_demo: false,
        terms_version: 1,
        notices: Vec::new(),
        secure_cookies: false,
        rate_limit: 60,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = value().into(),
            "--addr" => args.addr = value(),
            "--seed-demo" => args.seed_demo = true,
            "--terms-version" => args.terms_version = value().parse().expect("--terms-version N"),
            "--notice" => args.notices.push(value()),
            "--secure-cookies" => args.secure_cookies = true,
            "--rate-limit" => args.rate_limit = value().parse().expect("--rate-limit N"),
            other => panic!("unknown flag {other}; see the top of examples/web/main.rs"),
        }
    }
    if args.notices.is_empty() {
        args.notices = vec![
            "2026年4月1日　被扶養者資格調査の受付を開始しました。".into(),
            "2026年3月20日　システムメンテナンスのため、3月28日 1:00〜5:00 はご利用いただけません。".into(),
        ];
    }
    args
}

/// The code key must outlive a restart (pending codes stay valid) and never be printed: it is
/// kept beside the database, readable by the owner only.
fn secret_key(db: &std::path::Path) -> SecretKey {
    let path = PathBuf::from(format!("{}.key", db.display()));
    if let Ok(text) = std::fs::read_to_string(&path) {
        return text
            .trim()
            .parse()
            .expect("the key file holds 64 hex digits");
    }
    let mut bytes = [0_u8; 32];
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut bytes).expect("the OS generator");
    let hex = guard::hex(&bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(&path).unwrap(), hex.as_bytes()).unwrap();
    SecretKey::from_bytes(bytes)
}

/// The demo roster: the manual's example member and a second one.
fn seed_demo(store: &SqliteStore) {
    for (number, (y, m, d), name) in [
        ("567", (1975, 3, 2), "ケンポ ショウコ"),
        ("568", (1980, 12, 31), "サトウ タロウ"),
    ] {
        let birth = BirthDate::new(y, m, d).unwrap();
        store
            .add_insured(InsuredRecord::new("06139999", "1234", number, birth, name).unwrap())
            .unwrap();
    }
}

fn router(app: App, limiter: Arc<Limiter>, secure_cookies: bool) -> Router {
    let sessions = SessionManagerLayer::new(BoundedSessions::new(MAX_SESSIONS))
        .with_name(if secure_cookies {
            "__Host-kenpo"
        } else {
            "kenpo"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::minutes(30)));
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/first", get(pages::first_page).post(pages::first))
        .route("/register", get(pages::register_page).post(pages::register))
        .route("/register/code", get(pages::code_page).post(pages::confirm))
        .route("/register/resend", post(pages::resend))
        .route("/register/cancel", post(pages::cancel))
        .route("/terms", get(pages::terms_page).post(pages::terms))
        .route("/home", get(pages::home))
        .route("/logout", post(pages::logout))
        .route(
            "/password/forgot",
            get(pages::forgot_page).post(pages::forgot),
        )
        .route("/password/reset", get(pages::reset_page).post(pages::reset))
        .route(
            "/user-id/forgot",
            get(pages::remind_page).post(pages::remind),
        )
        .route("/settings", get(pages::settings_page))
        .route("/settings/password", post(pages::change_password))
        .route("/settings/email", post(pages::change_email))
        .route(
            "/settings/email/code",
            get(pages::email_code_page).post(pages::confirm_email),
        )
        .route("/settings/email/resend", post(pages::resend_email))
        .route("/static/portal.css", get(pages::css))
        .fallback(pages::not_found)
        .with_state(app)
        // Outermost last: headers on every answer, then the rate limit, then the session,
        // then the CSRF check (which reads the session).
        .layer(from_fn(guard::csrf))
        .layer(sessions)
        .layer(from_fn_with_state(limiter, guard::rate_limit))
        .layer(from_fn(guard::headers))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .compact()
                .with_writer(std::io::stderr),
        )
        .with(
            Targets::new()
                .with_target("kenpo_auth::audit", tracing::Level::INFO)
                .with_target("web", tracing::Level::INFO),
        )
        .init();
    let args = args();
    let store = SqliteStore::open(&args.db).expect("open the database");
    if args.seed_demo {
        seed_demo(&store);
    }
    let config = Config {
        secret_key: secret_key(&args.db),
        terms_version: TermsVersion::new(args.terms_version),
        ..Config::default()
    };
    let portal = Portal::new(store, DevMailer, config).with_runner(TokioRunner);
    portal.check_config().expect("a valid configuration");
    let app = App {
        portal: Arc::new(portal),
        notices: Arc::new(args.notices),
    };
    tokio::spawn({
        let portal = Arc::clone(&app.portal);
        async move {
            let mut hourly = tokio::time::interval(Duration::from_secs(60 * 60));
            loop {
                hourly.tick().await;
                let _ = portal.purge_expired().await;
            }
        }
    });
    let limiter = Arc::new(Limiter::new(args.rate_limit));
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .expect("bind --addr");
    let local = listener.local_addr().unwrap();
    println!(
        "kenpo web portal listening on http://{local}/ (database {})",
        args.db.display()
    );
    let service = router(app, limiter, args.secure_cookies)
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .unwrap();
}
