//! The web example (`cargo run --example web`) in a real browser: headless Chromium driven
//! through chromedriver (`WebDriver`, `fantoccini`), along the manual's whole journey, with a
//! screenshot of every screen at 1280×800 and 390×844 in `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (or `KENPO_CHROMIUM` / `KENPO_CHROMEDRIVER`).
//! Without them the suite prints `browser suite skipped: <reason>` and passes, unless
//! `KENPO_REQUIRE_BROWSER=1` (as `.ci/run` sets), when it fails.
//!
//! The codes are read where a developer reads them: the development mailer's blocks on the
//! server's standard output. The server has no endpoint that hands out codes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub
)]

mod harness;
mod host;

use std::time::Duration;

use harness::{Browser, Server, tools};

const USER: &str = "NGK000123";
const PASSWORD: &str = "Sakura#2024x";
const NEW_PASSWORD: &str = "Momiji(2025)z";
const EMAIL: &str = "shoko@example.co.jp";
const NEW_EMAIL: &str = "shoko.k@example.co.jp";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manual_in_chromium() {
    let (chromium, chromedriver) = match tools() {
        Ok(found) => found,
        Err(reason) => {
            let required = std::env::var("KENPO_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "browser suite required (KENPO_REQUIRE_BROWSER=1) but {reason}"
            );
            harness::say(&format!("browser suite skipped: {reason}"));
            return;
        }
    };
    tokio::time::timeout(Duration::from_secs(170), journey(&chromium, &chromedriver))
        .await
        .expect("the browser suite took longer than 170 s");
}

async fn journey(chromium: &std::path::Path, chromedriver: &std::path::Path) {
    let dir = tempdir("journey");
    let db = dir.join("portal.db");
    let mut server = Server::start(&db, &["--seed-demo"]);
    let b = Browser::start(chromium, chromedriver, &server.base).await;
    headers_and_forged_post(&server.base);
    sign_up(&b, &server).await;
    let other_device = member_pages(&b, &server).await;
    refusals(&b).await;
    recovery(&b, &server, &other_device).await;

    // A terms revision: the same database served with terms version 2.
    drop(server);
    server = Server::start(&db, &["--terms-version", "2"]);
    b.set_base(&server.base);
    b.go("/login").await;
    b.login(USER, NEW_PASSWORD).await;
    b.expect_heading("利用規約").await;
    b.expect_text("利用規約を改定しました").await;
    b.shot("18-terms-revised").await;
    b.click("#agree").await;
    b.submit("form[action='/terms'] button").await;
    b.expect_text("ようこそ").await;

    b.finish().await;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    harness::say(&format!(
        "browser suite: 18 screens at 1280×800 and 390×844 in {}",
        harness::screenshots().display()
    ));
}

/// Security headers, the session cookie's attributes, and a post without the session's token.
fn headers_and_forged_post(base: &str) {
    let (head, _) = harness::http(base, "GET /login HTTP/1.1", "");
    for header in [
        "content-security-policy: default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "x-frame-options: DENY",
        "referrer-policy: no-referrer",
        "x-content-type-options: nosniff",
        "cache-control: no-store",
    ] {
        assert!(
            head.to_ascii_lowercase()
                .contains(&header.to_ascii_lowercase()),
            "{header} in\n{head}"
        );
    }
    assert!(
        head.contains("HttpOnly") && head.contains("SameSite=Lax"),
        "{head}"
    );
    let (head, _) = harness::http(
        base,
        "POST /login HTTP/1.1",
        "csrf=forged&user_id=NGK000123&password=x",
    );
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
}

/// 初回ログイン, ユーザーID登録 (a weak password first), 認証番号 (resend, a wrong code).
async fn sign_up(b: &Browser, server: &Server) {
    // ログイン → ユーザーIDの作成がまだの方はこちら → 初回ログイン.
    b.go("/login").await;
    b.shot("01-login").await;
    b.click_link("ユーザーIDの作成がまだの方はこちら").await;
    b.expect_heading("初回ログイン").await;
    b.shot("02-first-login").await;
    b.submit("form[action='/first'] button[type=submit]").await;
    b.expect_text("記号を入力してください").await;
    b.shot("03-first-login-errors").await;
    b.fill_shokos_card().await;
    // Half-width kana, with a separate voicing mark; submitted from the keyboard (Enter).
    b.fill("#name_kana", "ｹﾝﾎﾟ ｼｮｳｺ").await;
    let anonymous = b.session_cookie().await;
    let token = harness::csrf_in(&b.source().await);
    b.press_enter("#name_kana").await;
    b.expect_heading("ユーザーID登録").await;
    // The sign-up ticket lives under a new session id and CSRF token (an id planted before,
    // or a token read from the page before, names nothing and forges nothing).
    assert_ne!(
        b.session_cookie().await,
        anonymous,
        "session id kept at 初回ログイン"
    );
    let renewed = harness::csrf_in(&b.source().await);
    assert_ne!(renewed, token, "CSRF token kept at 初回ログイン");
    b.shot("04-register").await;

    // A weak password and a legacy-carrier address: every violation beside its field.
    b.fill("#user_id", USER).await;
    b.fill("#password", "password").await;
    b.fill("#email", "_ab..cd---@docomo.ne.jp").await;
    b.submit("form[action='/register'] button[type=submit]")
        .await;
    b.expect_heading("ユーザーID登録").await;
    b.expect_field_error("password").await;
    b.expect_field_error("email").await;
    b.shot("05-register-errors").await;
    b.fill("#password", PASSWORD).await;
    b.fill("#email", EMAIL).await;
    let mails = server.mail_count();
    b.submit("form[action='/register'] button[type=submit]")
        .await;
    b.expect_heading("認証番号入力").await;
    b.expect_text("10分間").await;
    b.expect_text("再送信は").await;
    let code = server.code_after(mails, EMAIL, false).await;
    b.shot("06-code").await;

    // A resend too soon, then a wrong code, then the right one.
    b.submit("form[action='/register/resend'] button").await;
    b.expect_text("秒ほどお待ちください").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    b.fill("#code", wrong).await;
    b.submit("form[action='/register/code'] button").await;
    b.expect_field_error("code").await;
    b.expect_text("あと4回入力できます").await;
    b.shot("07-code-wrong").await;
    b.fill("#code", &code).await;
    b.submit("form[action='/register/code'] button").await;
    b.expect_text("ユーザーIDの作成が完了しました").await;
}

/// Login, terms at first login, home, settings (a new e-mail address), logout; and a second
/// device logged in over plain HTTP: its session cookie.
async fn member_pages(b: &Browser, server: &Server) -> String {
    b.login(USER, PASSWORD).await;
    b.expect_heading("利用規約").await;
    b.shot("08-terms").await;
    b.submit("form[action='/terms'] button").await;
    b.expect_field_error("agree").await;
    b.click("#agree").await;
    b.submit("form[action='/terms'] button").await;
    b.expect_text("ようこそ").await;
    b.shot("09-home").await;
    b.click_link("登録情報の変更").await;
    b.expect_heading("登録情報の変更").await;
    b.shot("10-settings").await;
    b.fill("#em-current", PASSWORD).await;
    b.fill("#email", NEW_EMAIL).await;
    let mails = server.mail_count();
    b.submit("form[action='/settings/email'] button").await;
    b.expect_heading("メールアドレス変更の認証番号入力").await;
    let code = server.code_after(mails, NEW_EMAIL, false).await;
    b.shot("11-email-code").await;
    b.fill("#code", &code).await;
    b.submit("form[action='/settings/email/code'] button").await;
    b.expect_text("メールアドレスを変更しました").await;

    // A login clears what the visit held: an e-mail change begun before it is gone (had
    // another member logged in here, they would not reach this one's code screen).
    b.fill("#em-current", PASSWORD).await;
    b.fill("#email", "shoko.third@example.co.jp").await;
    b.submit("form[action='/settings/email'] button").await;
    b.expect_heading("メールアドレス変更の認証番号入力").await;
    b.go("/login").await;
    b.login(USER, PASSWORD).await;
    b.expect_text("ようこそ").await;
    b.go("/settings/email/code").await;
    b.expect_heading("登録情報の変更").await;

    // Logout leaves the browser with a new session id: a copy of the member's cookie names
    // nothing afterwards, neither the member nor the next visitor of this browser.
    let member = b.session_cookie().await;
    b.logout().await;
    assert_ne!(
        b.session_cookie().await,
        member,
        "session id kept at logout"
    );

    let other_device = harness::http_login(&server.base, USER, PASSWORD);
    let (home, _) = harness::http_get_as(&server.base, "/home", &other_device);
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    other_device
}

/// A forged CSRF token in the browser, and the lockout.
async fn refusals(b: &Browser) {
    b.go("/login").await;
    b.forge_csrf().await;
    b.fill("#user_id", USER).await;
    b.fill("#password", PASSWORD).await;
    b.submit("form[action='/login'] button").await;
    b.expect_text("不正な操作を検出したため").await;
    b.shot("12-csrf-refused").await;

    // The lockout: wrong passwords until the account is locked.
    b.go("/login").await;
    let mut locked = false;
    for _ in 0..12 {
        b.login(USER, "Wrong#pass1").await;
        if b.source().await.contains("一時的にご利用いただけません") {
            locked = true;
            break;
        }
    }
    assert!(locked, "no lockout after 12 wrong passwords");
    b.shot("13-lockout").await;
}

/// Password reset (it also lifts the lock, and ends the other device's session), a member
/// ending another device's session from the settings, and the user-ID reminder.
async fn recovery(b: &Browser, server: &Server, other_device: &str) {
    b.click_link("パスワードを忘れた方はこちら").await;
    b.expect_heading("パスワードをお忘れの方").await;
    b.shot("14-password-forgot").await;
    b.fill("#user_id", USER).await;
    let mails = server.mail_count();
    b.submit("form[action='/password/forgot'] button").await;
    b.expect_heading("パスワードの再設定").await;
    let code = server.code_after(mails, NEW_EMAIL, true).await;
    b.fill("#code", &code.to_lowercase().replace('-', "")).await;
    b.fill("#new_password", "short").await;
    b.submit("form[action='/password/reset'] button").await;
    b.expect_field_error("new_password").await;
    b.shot("15-password-reset").await;
    b.fill("#code", &code).await;
    b.fill("#new_password", NEW_PASSWORD).await;
    b.submit("form[action='/password/reset'] button").await;
    b.expect_text("パスワードを再設定しました").await;
    let (home, _) = harness::http_get_as(&server.base, "/home", other_device);
    assert!(home.ends_with("-> /login"), "after the reset: {home}");
    b.login(USER, NEW_PASSWORD).await;
    b.expect_text("ようこそ").await;
    // From the settings the member ends the session of another device and keeps this one; an
    // e-mail change begun before it dies with the other sessions, and the code screen goes.
    let third_device = harness::http_login(&server.base, USER, NEW_PASSWORD);
    b.go("/settings").await;
    b.fill("#em-current", NEW_PASSWORD).await;
    b.fill("#email", "shoko.fourth@example.co.jp").await;
    b.submit("form[action='/settings/email'] button").await;
    b.expect_heading("メールアドレス変更の認証番号入力").await;
    b.go("/settings").await;
    let before = (
        b.session_cookie().await,
        harness::csrf_in(&b.source().await),
    );
    b.fill("#so-current", NEW_PASSWORD).await;
    b.submit("form[action='/settings/sessions'] button").await;
    b.expect_text("他の端末からログアウトしました").await;
    let after = (
        b.session_cookie().await,
        harness::csrf_in(&b.source().await),
    );
    assert_ne!(
        after.0, before.0,
        "session id kept when the others were ended"
    );
    assert_ne!(
        after.1, before.1,
        "CSRF token kept when the others were ended"
    );
    b.go("/settings/email/code").await;
    b.expect_heading("登録情報の変更").await;
    let (home, _) = harness::http_get_as(&server.base, "/home", &third_device);
    assert!(
        home.ends_with("-> /login"),
        "after ending the others: {home}"
    );
    // A copy of a member's cookie that begins a password reset gets a session with the reset
    // ticket and no login: the login does not move on to a session id only the copy knows.
    let copy = harness::http_login(&server.base, USER, NEW_PASSWORD);
    let (_, page) = harness::http_get_as(&server.base, "/password/forgot", &copy);
    let csrf = harness::csrf_in(&page);
    let (reset, forked) = harness::http_post_as(
        &server.base,
        "/password/forgot",
        &copy,
        &csrf,
        "user_id=NGK000999",
    );
    assert!(reset.ends_with("-> /password/reset"), "{reset}");
    let (home, _) = harness::http_get_as(&server.base, "/home", &forked);
    assert!(
        home.ends_with("-> /login"),
        "a reset begun as a member: {home}"
    );
    b.go("/home").await;
    b.expect_text("ようこそ").await;
    b.logout().await;

    // User-ID reminder: the identity (name in hiragana this time) and the address.
    b.click_link("ユーザーIDを忘れた方はこちら").await;
    b.expect_heading("ユーザーIDをお忘れの方").await;
    b.shot("16-user-id-reminder").await;
    b.fill_shokos_card().await;
    b.fill("#name_kana", "けんぽ しょうこ").await;
    b.fill("#email", NEW_EMAIL).await;
    let mails = server.mail_count();
    b.submit("form[action='/user-id/forgot'] button").await;
    b.expect_heading("ユーザーIDをお送りしました").await;
    b.shot("17-user-id-sent").await;
    let mail = server.mail_after(mails, NEW_EMAIL).await;
    assert!(
        mail.subject.contains("ユーザーIDのお知らせ") && mail.body.contains(USER),
        "{mail:?}"
    );
}

/// A new directory for one test's database.
fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kenpo-browser-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
