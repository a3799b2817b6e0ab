//! A Tokio host: 200 members sign up and log in at once, as concurrent tasks, on `SqliteStore`,
//! with the audit trail on the console. Prints throughput, peak memory and the slowest cheap
//! call (a form that fails validation, arriving every 5 ms while the members work).
//!
//! ```sh
//! cargo run --release --example tokio_host            # audit events on stderr
//! cargo run --release --example tokio_host 2>/dev/null  # only the summary
//! ```
//!
//! The host code is what a service writes: the portal behind an `Arc`, argon2 on Tokio's
//! blocking pool (`TokioRunner`), every method simply awaited, errors rendered in one line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]
#![allow(
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kenpo_auth::{
    BirthDate, Config, Error, IdentityForm, InsuredRecord, Mail, Mailer, MailerDown, Portal,
    RegistrationForm, SqliteStore, TokioRunner,
};
use support::{Prober, quantile_ms, status_bytes};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[path = "support/mod.rs"]
mod support;

const MEMBERS: usize = 200;
const INSURER: &str = "06139999";
const SURNAMES: [&str; 10] = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
];
const GIVEN_NAMES: [&str; 20] = [
    "ショウコ",
    "タロウ",
    "ハナコ",
    "ケンジ",
    "ユウコ",
    "ダイスケ",
    "メグミ",
    "ヒロシ",
    "サクラ",
    "リョウ",
    "アヤカ",
    "ジュンペイ",
    "ミホ",
    "ケイスケ",
    "チヒロ",
    "ユウキ",
    "ナナミ",
    "ショウタ",
    "マユミ",
    "ツバサ",
];

/// The members' mailboxes: the code each would read in the newest mail. A real host hands
/// the mail to its SMTP relay here.
#[derive(Clone, Default)]
struct Mailboxes(Arc<Mutex<HashMap<String, String>>>);

impl Mailer for Mailboxes {
    type Error = MailerDown;

    async fn send(&self, mail: Mail) -> Result<(), MailerDown> {
        let code = mail.code().unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .insert(mail.to.as_str().to_owned(), code);
        Ok(())
    }
}

impl Mailboxes {
    fn code_for(&self, address: &str) -> String {
        self.0
            .lock()
            .unwrap()
            .get(address)
            .cloned()
            .unwrap_or_default()
    }
}

/// Member `n` of the roster, as the insurer has it.
fn insured(n: usize) -> InsuredRecord {
    let name = format!("{} {}", SURNAMES[n % 10], GIVEN_NAMES[n / 10 % 20]);
    InsuredRecord::new(INSURER, "1234", &format!("{n}"), birth(n), &name).unwrap()
}

fn birth(n: usize) -> BirthDate {
    BirthDate::new(
        1950 + (n % 50) as u16,
        (n % 12) as u8 + 1,
        (n % 28) as u8 + 1,
    )
    .unwrap()
}

/// Member `n`'s identity form, the name typed in hiragana as many members do.
fn identity_form(n: usize) -> IdentityForm {
    let birth = birth(n);
    let katakana = format!("{}{}", SURNAMES[n % 10], GIVEN_NAMES[n / 10 % 20]);
    let hiragana = katakana
        .chars()
        .map(|c| char::from_u32(c as u32 - 0x60).unwrap_or(c))
        .collect();
    IdentityForm {
        insurer_code: INSURER.into(),
        symbol: "1234".into(),
        number: format!("{n}"),
        birth_date: format!(
            "{:04}-{:02}-{:02}",
            birth.year(),
            birth.month(),
            birth.day()
        ),
        name_kana: hiragana,
    }
}

/// Busy answers heard (503 with a wait): the members tried again after the wait, as the page
/// tells them to.
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// Calls `step` until it is not [`Error::Busy`], waiting as long as that answer says.
async fn patiently<T, F: Future<Output = Result<T, Error>>>(
    step: impl Fn() -> F,
) -> Result<T, Error> {
    loop {
        match step().await {
            Err(Error::Busy { retry_after }) => {
                BUSY.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(retry_after).await;
            }
            answer => return answer,
        }
    }
}

/// One member's whole journey: first authentication, registration, the mailed code, a typo
/// at login, a login, the terms, a second login.
async fn member(
    portal: Arc<Portal<SqliteStore, Mailboxes>>,
    mail: Mailboxes,
    n: usize,
) -> Result<(), Error> {
    let portal = &*portal;
    let identity = identity_form(n);
    let ticket = portal.authenticate_insured(&identity).await?;
    let form = RegistrationForm {
        user_id: format!("member{n:04}"),
        password: format!("Sakura#{n:04}x"),
        email: format!("member{n}@example.co.jp"),
    };
    let (ticket, form) = (&ticket, &form);
    let pending = patiently(move || portal.begin_registration(ticket, form)).await?;
    let user_id = portal
        .confirm_registration(&pending, &mail.code_for(&form.email))
        .await?;
    let user_id = user_id.as_str();
    let typo = patiently(move || portal.login(user_id, "Sakura#0000y"))
        .await
        .unwrap_err();
    assert_eq!(typo.kind().status(), 401, "{typo}");
    let login = patiently(move || portal.login(user_id, &form.password)).await?;
    if login.terms_consent_required {
        portal
            .accept_terms(&login.user_id, portal.config().terms_version)
            .await?;
    }
    patiently(move || portal.login(user_id, &form.password)).await?;
    Ok(())
}

fn main() {
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .compact()
                .with_writer(std::io::stderr),
        )
        .with(Targets::new().with_target("kenpo_auth::audit", tracing::Level::INFO))
        .init();

    let directory = std::env::temp_dir().join(format!("kenpo-tokio-host-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let store = SqliteStore::open(directory.join("portal.db")).unwrap();
    for n in 0..MEMBERS {
        store.add_insured(insured(n)).unwrap();
    }
    let mail = Mailboxes::default();
    // Production argon2 parameters and as many hash permits as cores (the defaults).
    let config = Config::default();
    let permits = config.max_concurrent_hashes;
    let portal = Arc::new(Portal::new(store, mail.clone(), config).with_runner(TokioRunner));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // A form that fails validation, every 5 ms, rendered as the host would: status and JSON.
    let prober = Prober::start(runtime.handle().clone(), &portal, |portal| async move {
        let error = portal
            .authenticate_insured(&IdentityForm::default())
            .await
            .unwrap_err();
        let _answer = (
            error.kind().status(),
            serde_json::to_string(&error.body()).unwrap(),
        );
    });

    let started = Instant::now();
    let outcomes = runtime.block_on(async {
        let tasks: Vec<_> = (0..MEMBERS)
            .map(|n| tokio::spawn(member(Arc::clone(&portal), mail.clone(), n)))
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    });
    let elapsed = started.elapsed();
    let cheap = prober.finish(&runtime);

    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    let registered = portal.store().account_count().unwrap();
    let seconds = elapsed.as_secs_f64();
    // One hash at registration, four verifies at login: five argon2 runs per member.
    let argon2_runs = 5 * registered;
    println!(
        "\n{MEMBERS} members, concurrent Tokio tasks on 2 workers, SqliteStore, {permits} hash permits"
    );
    println!("| | |");
    println!("|---|---:|");
    println!("| registered and logged in | {registered} of {MEMBERS} |");
    println!("| failed | {} |", failed.len());
    println!(
        "| busy answers (tried again after the wait) | {} |",
        BUSY.load(Ordering::Relaxed)
    );
    println!("| took | {seconds:.2} s |");
    println!(
        "| members per second | {:.1} |",
        registered as f64 / seconds
    );
    println!(
        "| argon2 runs per second | {:.1} |",
        argon2_runs as f64 / seconds
    );
    println!(
        "| peak memory (VmHWM) | {:.1} MiB |",
        status_bytes("VmHWM") / (1024.0 * 1024.0)
    );
    println!(
        "| cheap calls: count / median / slowest | {} / {:.2} ms / {:.2} ms |",
        cheap.len(),
        quantile_ms(&cheap, 0.5),
        quantile_ms(&cheap, 1.0)
    );
    for error in failed.iter().take(5) {
        println!("failed: {error} ({})", error.code());
    }
    drop(portal);
    let _ = std::fs::remove_dir_all(&directory);
}
