//! The manual's whole journey on the built-in store, with the message a member would see at
//! each step (Japanese) and an English gloss.
//!
//! ```sh
//! cargo run --example portal
//! cargo run --example portal -- --db portal.db                                  # SQLite
//! cargo run --example portal -- --postgres postgres://postgres@127.0.0.1/test  # PostgreSQL
//! ```
//!
//! With a store that keeps its data (SQLite, PostgreSQL), a second run finds the account the
//! first one made, and later runs meet the budgets the earlier ones spent (a step refused
//! shows the member's message). PostgreSQL keeps the tables in the schema `kenpo_auth` (drop
//! it to start over: `DROP SCHEMA kenpo_auth CASCADE`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, SystemTime};

use kenpo_auth::{
    BirthDate, Config, Error, HashParams, IdentityForm, InsuredRecord, Mail, Mailer, MailerDown,
    ManualClock, MemoryStore, Portal, RecordingMailer, RegistrationForm, Store,
};
use pollster::block_on;

/// Prints every mail as it is sent and keeps a copy, so the demo can "read" the code.
#[derive(Clone, Default)]
struct PrintingMailer {
    inbox: RecordingMailer,
}

impl Mailer for PrintingMailer {
    type Error = MailerDown;

    async fn send(&self, mail: Mail) -> Result<(), MailerDown> {
        let from = mail.sender.as_deref().unwrap_or("(the host's sender)");
        println!("    ┌─ mail to {} from {from} ─ {}", mail.to, mail.subject);
        for line in mail.body.lines() {
            println!("    │ {line}");
        }
        println!("    └─");
        self.inbox.send(mail).await
    }
}

impl PrintingMailer {
    /// The code in the newest mail, as the member would read it.
    fn last_code(&self) -> String {
        self.inbox.last_code().unwrap_or_default()
    }
}

fn step(title: &str) {
    println!("\n■ {title}");
}

fn ok(what: &str) {
    println!("  ✓ {what}");
}

/// ✓ `done` if the step went through, or its refusal as the member sees it: a demo run again
/// on the same database meets the budgets its earlier runs spent.
fn shown<T>(done: &str, answer: Result<T, Error>) {
    match answer {
        Ok(_) => ok(done),
        Err(error) => refused("refused: the earlier runs spent this budget", &error),
    }
}

/// Shows a failure the way the member sees it, with an English gloss.
fn refused(what: &str, error: &Error) {
    println!("  ✗ {what}");
    for line in error.message_ja().lines() {
        println!("      画面: {line}");
    }
    println!("      (log: {error})");
}

fn roster(mut add: impl FnMut(InsuredRecord)) {
    add(InsuredRecord::new(
        "06139999",
        "1234",
        "567",
        BirthDate::new(1975, 3, 2).unwrap(),
        "ケンポ ショウコ",
    )
    .unwrap());
    add(InsuredRecord::new(
        "06139999",
        "1234",
        "568",
        BirthDate::new(1980, 12, 31).unwrap(),
        "サトウ タロウ",
    )
    .unwrap());
}

fn shoko() -> IdentityForm {
    IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: "567".into(),
        birth_date: "1975-03-02".into(),
        // The roster has ケンポ ショウコ; the member types it without voicing marks or small kana.
        name_kana: "ケンホ シヨウコ".into(),
    }
}

fn taro() -> IdentityForm {
    IdentityForm {
        number: "568".into(),
        birth_date: "1980-12-31".into(),
        name_kana: "さとう　たろう".into(),
        ..shoko()
    }
}

/// ケンポ ショウコ's credentials: she ends up with NGK000456 because サトウ タロウ takes ngk000123.
const USER_ID: &str = "NGK000456";
const PASSWORD: &str = "Sakura#2024x";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            println!(
                "store: MemoryStore (add `-- --db FILE` for SQLite, `-- --postgres URL` for \
                 PostgreSQL)"
            );
            let store = MemoryStore::new();
            roster(|record| store.add_insured(record));
            run(store);
        }
        [flag, path] if flag == "--db" => {
            println!("store: SqliteStore at {path}");
            let store = kenpo_auth::SqliteStore::open(path).expect("open the database");
            roster(|record| store.add_insured(record).expect("write the roster"));
            run(store);
        }
        [flag, url] if flag == "--postgres" => {
            // Connected from a plain thread: the store starts a Tokio runtime of its own for
            // its connections, and `pollster` drives the portal.
            let store =
                block_on(kenpo_auth::PostgresStore::connect(url)).expect("connect to PostgreSQL");
            // Debug never shows the password of the URL.
            println!("store: {store:?}");
            roster(|record| block_on(store.add_insured(record)).expect("write the roster"));
            run(store);
        }
        _ => {
            eprintln!("usage: cargo run --example portal [-- --db FILE | -- --postgres URL]");
            std::process::exit(2);
        }
    }
}

fn run<S: Store>(store: S) {
    let mailer = PrintingMailer::default();
    let clock = ManualClock::new(SystemTime::now());
    // The union's name, portal and help desk in every mail to its members.
    let mut branding = kenpo_auth::Brandings::default();
    branding.insurers.insert(
        "06139999".into(),
        kenpo_auth::Branding {
            union_name: Some("ケンポ健康保険組合".into()),
            sender: Some("ケンポ健康保険組合 <noreply@kenpo.example.jp>".into()),
            login_url: Some("https://portal.kenpo.example.jp/login".into()),
            first_login_url: Some("https://portal.kenpo.example.jp/first".into()),
            help_desk_phone: Some("0120-12-3456".into()),
            help_desk_hours: Some("平日 9:00～17:00".into()),
        },
    );
    let config = Config {
        // Small argon2 parameters keep the demo quick; a real host keeps the defaults.
        hash_params: HashParams::insecure_for_tests(),
        branding,
        ..Config::default()
    };
    config
        .check()
        .expect("the branding keeps every mail intact");
    let portal = Portal::new(store, mailer.clone(), config).with_clock(clock.clone());

    if block_on(portal.login(USER_ID, PASSWORD)).is_ok() {
        step("前回の実行で作成したアカウント / the account from the previous run");
        ok(&format!(
            "{USER_ID} still logs in: the store kept it across the restart"
        ));
    } else {
        register(&portal, &mailer, &clock);
    }
    login(&portal, &clock);
    forgotten(&portal, &mailer);
    settings(&portal, &mailer);
    union_side(&portal);
}

fn register<S: Store>(
    portal: &Portal<S, PrintingMailer, ManualClock>,
    mailer: &PrintingMailer,
    clock: &ManualClock,
) {
    step("1-2 初回認証 / first authentication");
    let wrong_birth = IdentityForm {
        birth_date: "1975-03-20".into(),
        ..shoko()
    };
    refused(
        "wrong birth date: the member is not told which field differed",
        &block_on(portal.authenticate_insured(&wrong_birth)).unwrap_err(),
    );
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();
    ok("ケンホ シヨウコ matches the roster's ケンポ ショウコ (voicing and small kana fold away)");

    step("1-3 ユーザーID登録 / choosing a user ID, password and e-mail address");
    let weak = RegistrationForm {
        user_id: "NGK000123".into(),
        password: "password".into(),
        email: "shoko@example.co.jp".into(),
    };
    refused(
        "weak password",
        &block_on(portal.begin_registration(&ticket, &weak)).unwrap_err(),
    );
    let legacy = RegistrationForm {
        password: PASSWORD.into(),
        email: "_ab..cd---@docomo.ne.jp".into(),
        ..weak.clone()
    };
    refused(
        "legacy carrier address (two dots in a row): the code may never arrive",
        &block_on(portal.begin_registration(&ticket, &legacy)).unwrap_err(),
    );

    // サトウ タロウ registers first and takes an ID in another case.
    let taro_ticket = block_on(portal.authenticate_insured(&taro())).unwrap();
    let taro_form = RegistrationForm {
        user_id: "ngk000123".into(),
        password: "Kaede(2026)z".into(),
        email: "taro@example.co.jp".into(),
    };
    println!("  (meanwhile サトウ タロウ registers as ngk000123)");
    let taro_pending = block_on(portal.begin_registration(&taro_ticket, &taro_form)).unwrap();
    block_on(portal.confirm_registration(&taro_pending, &mailer.last_code())).unwrap();
    let form = RegistrationForm {
        email: "shoko@example.co.jp".into(),
        ..legacy
    };
    refused(
        "NGK000123 is taken: ngk000123 and NGK000123 cannot both exist",
        &block_on(portal.begin_registration(&ticket, &form)).unwrap_err(),
    );
    let form = RegistrationForm {
        user_id: USER_ID.into(),
        ..form
    };
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    ok(&format!("{USER_ID} accepted; the code was mailed"));

    step("1-4 認証番号の入力 / entering the mailed code");
    let code = mailer.last_code();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap_or(0) + 1) % 1_000_000);
    refused(
        "wrong code",
        &block_on(portal.confirm_registration(&pending, &wrong)).unwrap_err(),
    );
    clock.advance(Duration::from_secs(10 * 60));
    refused(
        "ten minutes later the code has expired",
        &block_on(portal.confirm_registration(&pending, &code)).unwrap_err(),
    );
    block_on(portal.resend_code(&pending)).unwrap();
    ok("a new code was sent (the old one is void)");
    let user_id = block_on(portal.confirm_registration(&pending, &mailer.last_code())).unwrap();
    ok(&format!("user ID {user_id} created"));

    step("1-5 ログイン / first login, 1-6 利用規約 / terms of use");
    let login = block_on(portal.login(user_id.as_str(), PASSWORD)).unwrap();
    ok(&format!(
        "logged in; consent to the terms required: {}",
        login.terms_consent_required
    ));
    block_on(portal.accept_terms(&user_id, portal.config().terms_version)).unwrap();
    ok("同意する recorded");
    let login = block_on(portal.login(user_id.as_str(), PASSWORD)).unwrap();
    ok(&format!(
        "second login; consent required: {}",
        login.terms_consent_required
    ));
}

fn login<S: Store>(portal: &Portal<S, PrintingMailer, ManualClock>, clock: &ManualClock) {
    step("ログイン失敗とロック / failed logins and the lock");
    refused(
        "unknown user ID: the same answer as a wrong password",
        &block_on(portal.login("nobody999", PASSWORD)).unwrap_err(),
    );
    for _ in 0..10 {
        let _ = block_on(portal.login("ngk000123", "Wrong#pass1"));
    }
    refused(
        "after ten failures even the right password is refused for thirty minutes",
        &block_on(portal.login("ngk000123", "Kaede(2026)z")).unwrap_err(),
    );
    clock.advance(Duration::from_secs(30 * 60));
    for _ in 0..10 {
        let _ = block_on(portal.login("ngk000123", "Wrong#pass1"));
    }
    refused(
        "ten more failures: the next lock lasts twice as long (after 100, only a reset helps)",
        &block_on(portal.login("ngk000123", "Kaede(2026)z")).unwrap_err(),
    );
}

fn forgotten<S: Store>(portal: &Portal<S, PrintingMailer, ManualClock>, mailer: &PrintingMailer) {
    step("パスワードを忘れた方 / password reset (also lifts the lock)");
    let before = mailer.inbox.sent().len();
    let ticket = block_on(portal.request_password_reset("ngk000123")).unwrap();
    if mailer.inbox.sent().len() > before {
        let code = mailer.last_code();
        ok(&format!(
            "the reset code is {code}: twelve characters, typed with or without hyphens"
        ));
        block_on(portal.reset_password(&ticket, &code.to_lowercase(), "Momiji(2025)z")).unwrap();
        ok("new password set");
        block_on(portal.login("ngk000123", "Momiji(2025)z")).unwrap();
        ok("ngk000123 logs in with the new password");
    }
    let before = mailer.inbox.sent().len();
    let _ = block_on(portal.request_password_reset("nobody999"));
    ok(&format!(
        "a reset for an unknown ID answers the same and mails nothing ({} mails sent)",
        mailer.inbox.sent().len() - before
    ));

    step("ユーザーIDを忘れた方 / user-ID reminder");
    shown(
        "the user ID was mailed to the registered address",
        block_on(portal.remind_user_id(&taro(), "taro@example.co.jp")),
    );
    let before = mailer.inbox.sent().len();
    let answer = block_on(portal.remind_user_id(&taro(), "someone@example.co.jp"));
    let sent = mailer.inbox.sent().len() - before;
    shown(
        &format!("another address answers the same and mails nothing ({sent} mails sent)"),
        answer,
    );
}

fn settings<S: Store>(portal: &Portal<S, PrintingMailer, ManualClock>, mailer: &PrintingMailer) {
    step("設定 / settings after login: password and e-mail address");
    // The stamp is what the host keeps in the session beside the user ID, and checks on every
    // request.
    let (success, other_device) = block_on(portal.login_with_stamp(USER_ID, PASSWORD)).unwrap();
    let user_id = success.user_id;
    refused(
        "changing the password asks for the current one (counted like a login)",
        &block_on(portal.change_password(&user_id, "Wrong#pass1", "Hinoki#2026a")).unwrap_err(),
    );
    block_on(portal.change_password(&user_id, PASSWORD, "Hinoki#2026a")).unwrap();
    ok("password changed; a notice went to the registered address, pending codes died");
    refused(
        "a session stamped before the change (another device) has ended",
        &block_on(portal.check_session(&user_id, &other_device)).unwrap_err(),
    );
    // One change a run, between two addresses: a finished change does not give the user ID's
    // e-mail-change budget back, so runs on one database count against it too.
    let account = block_on(portal.store().find_account(&user_id.key())).unwrap();
    let now_new = account.is_some_and(|a| a.email.as_str() == "shoko.new@example.ne.jp");
    let to = if now_new {
        "shoko@example.co.jp"
    } else {
        "shoko.new@example.ne.jp"
    };
    let changed = block_on(portal.begin_email_change(&user_id, "Hinoki#2026a", to))
        .and_then(|pending| block_on(portal.confirm_email_change(&pending, &mailer.last_code())));
    shown(
        &format!("address changed to {to} with the code mailed there; the old address was told"),
        changed,
    );
    // The password back as it was, so that the demo runs again on the same database.
    block_on(portal.change_password(&user_id, "Hinoki#2026a", PASSWORD)).unwrap();
    let (_, phone) = block_on(portal.login_with_stamp(USER_ID, PASSWORD)).unwrap();
    block_on(portal.help_desk_end_sessions(&user_id)).unwrap();
    refused(
        "a lost phone: the help desk ended every session of the member",
        &block_on(portal.check_session(&user_id, &phone)).unwrap_err(),
    );
}

fn union_side<S: Store>(portal: &Portal<S, PrintingMailer, ManualClock>) {
    use kenpo_auth::store::{ImportMode, RosterEntry};

    step("組合の名簿 / the union's monthly roster: サトウ タロウ has left");
    let mut records = Vec::new();
    roster(|record| records.push(record));
    let without_taro: Vec<RosterEntry> = records
        .iter()
        .filter(|record| record.key().number() != "568")
        .map(|record| RosterEntry::new(2, Some(record.clone())))
        .collect();
    let dry = block_on(portal.import_roster("06139999", without_taro.clone(), ImportMode::DryRun))
        .unwrap();
    ok(&format!(
        "dry run: {} to add, {} to change, {} to remove, nothing written",
        dry.added, dry.changed, dry.removed
    ));
    let report =
        block_on(portal.import_roster("06139999", without_taro, ImportMode::Apply)).unwrap();
    ok(&format!(
        "imported as one step: {} removed, {} unchanged",
        report.removed, report.unchanged
    ));
    refused(
        "ngk000123's person is off the roster: the right password hears why, a wrong one does not",
        &block_on(portal.login("ngk000123", "Momiji(2025)z")).unwrap_err(),
    );

    step("ヘルプデスク / the help desk looks him up by his card");
    let view = block_on(portal.help_desk_find("06139999", "1234", "568"))
        .unwrap()
        .expect("サトウ タロウ has an account");
    ok(&format!(
        "{} — {}, logins {:?}, coverage {:?}",
        view.user_id, view.masked_email, view.login, view.coverage
    ));

    step("名簿に戻る / back on the next roster: the account works again");
    let everyone: Vec<RosterEntry> = records
        .into_iter()
        .map(|record| RosterEntry::new(2, Some(record)))
        .collect();
    block_on(portal.import_roster("06139999", everyone, ImportMode::Apply)).unwrap();
    block_on(portal.login("ngk000123", "Momiji(2025)z")).unwrap();
    ok("ngk000123 logs in again");
}
