//! The portal itself: the manual's screens over `kenpo-auth`, as a union's vendor would start
//! from. Axum on Tokio, `SqliteStore` in a local file, server-side sessions, every mail printed
//! to the terminal.
//!
//! ```sh
//! cargo run --example web -- --seed-demo          # http://127.0.0.1:3000
//! cargo run --example web -- --db portal.db --addr 127.0.0.1:8080 --terms-version 2
//! ```
//!
//! Flags: `cargo run --example web -- --help`. The database is SQLite (`--db PATH`, default
//! `kenpo-web.db`) or PostgreSQL (`--postgres URL`); the code key is kept in a file beside it
//! (`--key PATH`, default the database path with `.key`).
//!
//! The library carries the rules; this host owns HTTP, sessions, CSRF, headers, per-client
//! rate limiting and the mail transport (here a development mailer: in production replace
//! `DevMailer` with one that hands each mail to a queue and returns, since a flow that waits
//! on SMTP is slower when it mails, which tells whether a user ID exists; never run the
//! development mailer where its terminal is shared). In production it runs behind a reverse
//! proxy (`--trusted-proxy`, `--secure-cookies`) that ends TLS and bounds slow and idle
//! connections: `axum::serve` sets no timeout on reading a request's head, so a client that
//! sends it a byte at a time holds its connection for as long as it likes.
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

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use clap::Parser;
use kenpo_auth::postgres::PostgresOptions;
use kenpo_auth::{
    BirthDate, ClientNetworks, Config, InsuredRecord, Portal, PostgresStore, SecretKey,
    SqliteStore, TermsVersion, TokioRunner,
};
use kenpo_auth::{PendingEmailChange as Email, PendingRegistration as Signup};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::mailer::DevMailer;
use crate::pages::{
    cancel, change_email, change_password, code_page, confirm, css, end_other_sessions, first,
    first_page, forgot, forgot_page, home, login, login_page, logout, not_found, register,
    register_page, remind, remind_page, resend, reset, reset_page, root, settings_page, terms,
    terms_page,
};
use crate::sessions::BoundedSessions;

/// The portal on the database chosen at start. `Store` is not object-safe (its methods are
/// `async`), so the two are an enum, and `portal!` runs one expression on whichever it is.
pub enum WebPortal {
    Sqlite(Portal<SqliteStore, DevMailer>),
    Postgres(Portal<PostgresStore, DevMailer>),
}

/// `portal!(app, p => p.login(…).await)`: the expression on the running portal.
#[macro_export]
macro_rules! portal {
    ($portal:expr, $p:ident => $body:expr) => {
        match &*$portal {
            $crate::WebPortal::Sqlite($p) => $body,
            $crate::WebPortal::Postgres($p) => $body,
        }
    };
}

/// Sessions kept in memory at most (each a few hundred bytes).
const MAX_SESSIONS: usize = 100_000;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub portal: Arc<WebPortal>,
    /// サイトからのお知らせ, as configured.
    pub notices: Arc<Vec<String>>,
}

/// The reference portal: the manual's screens over kenpo-auth.
#[derive(Parser)]
struct Args {
    /// The SQLite database file.
    #[arg(long, default_value = "kenpo-web.db")]
    db: PathBuf,
    /// A PostgreSQL database instead of SQLite (from the environment, a password stays out of
    /// `ps`). Every host process on it must share one code key: give each the same `--key`.
    #[arg(
        long,
        value_name = "URL",
        env = "KENPO_WEB_POSTGRES",
        hide_env_values = true
    )]
    #[arg(requires = "key")]
    postgres: Option<String>,
    /// The schema in the PostgreSQL database.
    #[arg(long, default_value = "kenpo_auth")]
    pg_schema: String,
    /// The code key's file (made on first start, owner-only) [default: the database path + .key].
    #[arg(long)]
    key: Option<PathBuf>,
    /// Where to listen; port 0 picks one.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Adds (or updates) the demo members on the roster.
    #[arg(long)]
    seed_demo: bool,
    /// The version of the terms of use in force.
    #[arg(long, default_value_t = 1)]
    terms_version: u32,
    /// A line of the login page's サイトからのお知らせ (repeatable).
    #[arg(long = "notice", default_values = [
        "2026年4月1日　被扶養者資格調査の受付を開始しました。",
        "2026年3月20日　システムメンテナンスのため、3月28日 1:00〜5:00 はご利用いただけません。",
    ])]
    notices: Vec<String>,
    /// Cookies marked Secure, for a portal served over TLS (e.g. behind a proxy).
    #[arg(long)]
    secure_cookies: bool,
    /// Form posts per minute per client (an IPv4 address or an IPv6 /64); page views four
    /// times as many.
    #[arg(long, default_value_t = 60)]
    rate_limit: u32,
    /// The reverse proxy in front of the portal: for its requests the client is the last
    /// X-Forwarded-For entry.
    #[arg(long, value_name = "IP")]
    trusted_proxy: Option<IpAddr>,
}

/// The code key must outlive a restart (pending codes stay valid) and never be printed: it is
/// kept in a file readable by the owner only.
fn secret_key(path: &Path) -> SecretKey {
    if let Ok(text) = std::fs::read_to_string(path) {
        return text
            .trim()
            .parse()
            .expect("the key file holds 64 hex digits");
    }
    let mut bytes = [0_u8; 32];
    rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut bytes).expect("the OS generator");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let hex = guard::hex(&bytes);
    std::io::Write::write_all(&mut options.open(path).unwrap(), hex.as_bytes()).unwrap();
    SecretKey::from_bytes(bytes)
}

/// The demo members of insurer 06139999: the manual's example member and a second one.
fn demo_members() -> Vec<InsuredRecord> {
    let person = |number, (y, m, d), name| {
        let birth = BirthDate::new(y, m, d).unwrap();
        InsuredRecord::new("06139999", "1234", number, birth, name).unwrap()
    };
    vec![
        person("567", (1975, 3, 2), "ケンポ ショウコ"),
        person("568", (1980, 12, 31), "サトウ タロウ"),
    ]
}

/// `router` behind a token bucket per client for requests of `methods`: `per_minute` in a
/// burst, refilled at `per_minute` a minute; a refusal is the page `guard::too_many` makes.
fn per_client(
    router: Router,
    client: guard::ClientKey,
    per_minute: u32,
    methods: Vec<Method>,
) -> Router {
    let per_minute = per_minute.max(1);
    let config = GovernorConfigBuilder::default()
        .key_extractor(client)
        .period(Duration::from_secs(60) / per_minute)
        .burst_size(per_minute)
        .methods(methods)
        .finish()
        .expect("a rate limit above zero");
    let limiter = Arc::clone(config.limiter());
    tokio::spawn(async move {
        // Forget the clients whose buckets are full again, so that memory follows the clients
        // of the last minute.
        let mut every_minute = tokio::time::interval(Duration::from_secs(60));
        loop {
            every_minute.tick().await;
            limiter.retain_recent();
        }
    });
    router.layer(GovernorLayer::new(config).error_handler(|e| guard::too_many(&e)))
}

fn router(app: App, args: &Args) -> Router {
    let cookie = if args.secure_cookies {
        "__Host-kenpo"
    } else {
        "kenpo"
    };
    let sessions = SessionManagerLayer::new(BoundedSessions::new(MAX_SESSIONS))
        .with_name(cookie)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(args.secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::minutes(30)));
    // The library limits per account and per insured person; these limit one client spraying
    // many of them (a client: an IPv4 address or an IPv6 /64). Page views have a budget of
    // their own: each one without a cookie makes a session, and at four times the posts (240
    // a minute by default, after a burst of 240) one client keeps at most 7,440 alive for
    // their 30 minutes, far from `MAX_SESSIONS`, so that no one client can push other
    // visitors' sessions out (it takes 14 addresses, or 14 IPv6 /64s).
    let client = guard::ClientKey(match args.trusted_proxy {
        Some(proxy) => ClientNetworks::behind_proxy(proxy),
        None => ClientNetworks::direct(),
    });
    let portal = Router::new()
        .route("/", get(root))
        .route("/login", get(login_page).post(login))
        .route("/first", get(first_page).post(first))
        .route("/register", get(register_page).post(register))
        .route(
            "/register/code",
            get(code_page::<Signup>).post(confirm::<Signup>),
        )
        .route("/register/resend", post(resend::<Signup>))
        .route("/register/cancel", post(cancel))
        .route("/terms", get(terms_page).post(terms))
        .route("/home", get(home))
        .route("/logout", post(logout))
        .route("/password/forgot", get(forgot_page).post(forgot))
        .route("/password/reset", get(reset_page).post(reset))
        .route("/user-id/forgot", get(remind_page).post(remind))
        .route("/settings", get(settings_page))
        .route("/settings/password", post(change_password))
        .route("/settings/email", post(change_email))
        .route("/settings/sessions", post(end_other_sessions))
        .route(
            "/settings/email/code",
            get(code_page::<Email>).post(confirm::<Email>),
        )
        .route("/settings/email/resend", post(resend::<Email>))
        .route("/static/portal.css", get(css))
        .fallback(not_found)
        .with_state(app)
        // Outermost last: headers on every answer, the rate limit (and its log), then the
        // session, then the CSRF check (which reads the session).
        .layer(from_fn(guard::csrf))
        .layer(sessions);
    let posts = per_client(portal, client, args.rate_limit, vec![Method::POST]);
    let page_views = args.rate_limit.saturating_mul(4);
    per_client(posts, client, page_views, vec![Method::GET, Method::HEAD])
        .layer(from_fn_with_state(client, guard::log_rate_limited))
        .layer(from_fn_with_state(
            guard::Tls(args.secure_cookies),
            guard::headers,
        ))
}

#[tokio::main]
async fn main() {
    let to_stderr = tracing_subscriber::fmt::layer()
        .compact()
        .with_writer(std::io::stderr);
    let targets = Targets::new()
        .with_target("kenpo_auth::audit", tracing::Level::INFO)
        .with_target("web", tracing::Level::INFO);
    tracing_subscriber::registry()
        .with(to_stderr)
        .with(targets)
        .init();
    let args = Args::parse();
    let key = args
        .key
        .clone()
        .unwrap_or_else(|| format!("{}.key", args.db.display()).into());
    let config = Config {
        secret_key: secret_key(&key),
        terms_version: TermsVersion::new(args.terms_version),
        ..Config::default()
    };
    let demo = if args.seed_demo {
        demo_members()
    } else {
        Vec::new()
    };
    let (portal, database) = if let Some(url) = &args.postgres {
        let options = PostgresOptions::default().schema(&args.pg_schema);
        let store = PostgresStore::connect_with(url, options)
            .await
            .expect("--postgres");
        for member in demo {
            store.add_insured(member).await.expect("a demo member");
        }
        let portal = Portal::new(store, DevMailer, config).with_runner(TokioRunner);
        (
            WebPortal::Postgres(portal),
            format!("PostgreSQL, schema {}", args.pg_schema),
        )
    } else {
        let store = SqliteStore::open(&args.db).expect("open the database");
        for member in demo {
            store.add_insured(member).expect("a demo member");
        }
        let portal = Portal::new(store, DevMailer, config).with_runner(TokioRunner);
        (WebPortal::Sqlite(portal), args.db.display().to_string())
    };
    portal!(&portal, p => p.check_config()).expect("a valid configuration");
    let app = App {
        portal: Arc::new(portal),
        notices: Arc::new(args.notices.clone()),
    };
    let portal = Arc::clone(&app.portal);
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(60 * 60));
        loop {
            hourly.tick().await;
            let _ = portal!(portal, p => p.purge_expired().await);
        }
    });
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .expect("bind --addr");
    let local = listener.local_addr().unwrap();
    println!("kenpo web portal listening on http://{local}/ (database {database})");
    let service = router(app, &args).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .unwrap();
}
