//! The handlers: one per screen and form, each a call into the portal and a page. Tickets
//! live in the session only; the browser holds nothing but the session cookie.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Form, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenpo_auth::{
    BirthDate, Error, IdentityForm, PasswordResetTicket, PendingEmailChange, PendingRegistration,
    RegistrationForm, SignupTicket, UserId,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use crate::App;
use crate::guard::{csrf_token, new_csrf_token};
use crate::views::{
    Chrome, CodeView, Errors, ForgotView, HomeView, IdentityView, LoginView, MessageView,
    RegisterView, ResetView, SettingsView, TermsView, failure, page, status_of,
};

const MEMBER: &str = "member";
const TERMS_DUE: &str = "terms_due";
const FLASH: &str = "flash";
const SIGNUP: &str = "signup";
const PENDING: &str = "pending";
const SENT_AT: &str = "sent_at";
const RESET: &str = "reset";
const EMAIL_PENDING: &str = "email_pending";
const EMAIL_SENT_AT: &str = "email_sent_at";

async fn get<T: DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    session.get(key).await.ok().flatten()
}

async fn put(session: &Session, key: &str, value: impl serde::Serialize) {
    let _ = session.insert(key, value).await;
}

async fn forget(session: &Session, keys: &[&str]) {
    for key in keys {
        let _ = session.remove_value(key).await;
    }
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

async fn chrome(session: &Session, title: &'static str) -> Chrome {
    Chrome {
        title,
        csrf: csrf_token(session).await,
        member: get(session, MEMBER).await,
        flash: session.remove::<String>(FLASH).await.ok().flatten(),
        alert: None,
    }
}

async fn flash_to(session: &Session, message: &str, path: &str) -> Response {
    put(session, FLASH, message).await;
    to(path)
}

/// The logged-in member, or where to send the browser: the login page, or the terms first.
async fn member(session: &Session) -> Result<UserId, Response> {
    let Some(user_id) = get::<String>(session, MEMBER).await else {
        return Err(to("/login"));
    };
    if get::<bool>(session, TERMS_DUE).await.unwrap_or(false) {
        return Err(to("/terms"));
    }
    UserId::parse(&user_id).map_err(|_| to("/login"))
}

pub async fn root(session: Session) -> Response {
    to(if get::<String>(&session, MEMBER).await.is_some() {
        "/home"
    } else {
        "/login"
    })
}

// ── ログイン ────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
}

async fn login_view(app: &App, session: &Session) -> LoginView {
    LoginView {
        c: chrome(session, "ログイン").await,
        errors: Errors::default(),
        user_id: String::new(),
        notices: app.notices.to_vec(),
    }
}

pub async fn login_page(State(app): State<App>, session: Session) -> Response {
    page(StatusCode::OK, &login_view(&app, &session).await, None)
}

pub async fn login(State(app): State<App>, session: Session, Form(f): Form<LoginForm>) -> Response {
    match app.portal.login(&f.user_id, &f.password).await {
        Ok(success) => {
            // A new session id for the logged-in member (no fixation), and a new CSRF token.
            let _ = session.cycle_id().await;
            new_csrf_token(&session).await;
            forget(&session, &[SIGNUP, PENDING, SENT_AT, RESET]).await;
            put(&session, MEMBER, success.user_id.as_str()).await;
            put(&session, TERMS_DUE, success.terms_consent_required).await;
            to(if success.terms_consent_required {
                "/terms"
            } else {
                "/home"
            })
        }
        Err(error) => {
            let mut view = login_view(&app, &session).await;
            view.errors = failure(&mut view.c, &error);
            view.user_id = f.user_id;
            let (status, wait) = status_of(&error);
            page(status, &view, wait)
        }
    }
}

pub async fn logout(session: Session) -> Response {
    let _ = session.flush().await;
    flash_to(&session, "ログアウトしました。", "/login").await
}

// ── 初回ログイン (first authentication) and ユーザーIDを忘れた方 (reminder) ──────────────────────

#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct IdentityInput {
    pub insurer_code: String,
    pub symbol: String,
    pub number: String,
    pub birth_year: String,
    pub birth_month: String,
    pub birth_day: String,
    pub name_kana: String,
    pub email: String,
}

impl IdentityInput {
    fn form(&self) -> IdentityForm {
        let part = |s: &str| s.parse::<u16>().ok();
        let birth_date = match (
            part(&self.birth_year),
            part(&self.birth_month),
            part(&self.birth_day),
        ) {
            (Some(y), Some(m), Some(d)) => format!("{y:04}-{m:02}-{d:02}"),
            _ => String::new(),
        };
        IdentityForm {
            insurer_code: self.insurer_code.clone(),
            symbol: self.symbol.clone(),
            number: self.number.clone(),
            birth_date,
            name_kana: self.name_kana.clone(),
        }
    }
}

/// The year drop-down: this year back to 1900, each with its era (1989 is 昭和64／平成元).
fn years() -> Vec<(String, String)> {
    let this_year = 1970 + u16::try_from(now_s() / 31_556_952).unwrap_or(56);
    let era = |y, m, d| {
        BirthDate::new(y, m, d).map_or_else(
            |_| String::new(),
            |date| {
                let (name, n) = date.japanese_era();
                if n == 1 {
                    format!("{name}元")
                } else {
                    format!("{name}{n}")
                }
            },
        )
    };
    (1900..=this_year)
        .rev()
        .map(|y| {
            let (first, last) = (era(y, 1, 1), era(y, 12, 31));
            let label = if first == last || first.is_empty() {
                last
            } else {
                format!("{first}／{last}")
            };
            (y.to_string(), format!("{y}年（{label}年）"))
        })
        .collect()
}

async fn identity_view(session: &Session, reminder: bool, form: IdentityInput) -> IdentityView {
    let title = if reminder {
        "ユーザーIDをお忘れの方"
    } else {
        "初回ログイン"
    };
    IdentityView {
        c: chrome(session, title).await,
        errors: Errors::default(),
        form,
        reminder,
        years: years(),
    }
}

pub async fn first_page(session: Session) -> Response {
    page(
        StatusCode::OK,
        &identity_view(&session, false, IdentityInput::default()).await,
        None,
    )
}

pub async fn first(
    State(app): State<App>,
    session: Session,
    Form(f): Form<IdentityInput>,
) -> Response {
    match app.portal.authenticate_insured(&f.form()).await {
        Ok(ticket) => {
            put(&session, SIGNUP, ticket).await;
            to("/register")
        }
        Err(error) => identity_failure(&session, false, f, &error).await,
    }
}

async fn identity_failure(
    session: &Session,
    reminder: bool,
    f: IdentityInput,
    error: &Error,
) -> Response {
    let mut view = identity_view(session, reminder, f).await;
    view.errors = failure(&mut view.c, error);
    let (status, wait) = status_of(error);
    page(status, &view, wait)
}

pub async fn remind_page(session: Session) -> Response {
    page(
        StatusCode::OK,
        &identity_view(&session, true, IdentityInput::default()).await,
        None,
    )
}

pub async fn remind(
    State(app): State<App>,
    session: Session,
    Form(f): Form<IdentityInput>,
) -> Response {
    match app.portal.remind_user_id(&f.form(), &f.email).await {
        Ok(()) => {
            let view = MessageView {
                c: chrome(&session, "ユーザーIDをお忘れの方").await,
                heading: "ユーザーIDをお送りしました",
                message: "ご入力の内容が登録内容と一致した場合は、登録されているメールアドレスに\
                          ユーザーIDをお送りしました。メールをご確認ください。"
                    .into(),
                link: ("/login", "ログイン画面へ"),
            };
            page(StatusCode::OK, &view, None)
        }
        Err(error) => identity_failure(&session, true, f, &error).await,
    }
}

// ── ユーザーID登録 and 認証番号 ──────────────────────────────────────────────────────────

pub async fn register_page(session: Session) -> Response {
    if get::<SignupTicket>(&session, SIGNUP).await.is_none() {
        return to("/first");
    }
    let view = RegisterView {
        c: chrome(&session, "ユーザーID登録").await,
        errors: Errors::default(),
        user_id: String::new(),
        email: String::new(),
    };
    page(StatusCode::OK, &view, None)
}

pub async fn register(
    State(app): State<App>,
    session: Session,
    Form(f): Form<RegistrationForm>,
) -> Response {
    let Some(ticket) = get::<SignupTicket>(&session, SIGNUP).await else {
        return to("/first");
    };
    match app.portal.begin_registration(&ticket, &f).await {
        Ok(pending) => {
            put(&session, PENDING, pending).await;
            put(&session, SENT_AT, now_s()).await;
            to("/register/code")
        }
        Err(error) => {
            let mut view = RegisterView {
                c: chrome(&session, "ユーザーID登録").await,
                errors: Errors::default(),
                user_id: f.user_id.clone(),
                email: f.email.clone(),
            };
            view.errors = failure(&mut view.c, &error);
            let (status, wait) = status_of(&error);
            page(status, &view, wait)
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn code_view(app: &App, session: &Session, email: bool) -> CodeView {
    let config = app.portal.config();
    let sent_at: u64 = get(session, if email { EMAIL_SENT_AT } else { SENT_AT })
        .await
        .unwrap_or(0);
    let wait = config
        .code_resend_cooldown
        .as_secs()
        .saturating_sub(now_s().saturating_sub(sent_at));
    let (heading, action, resend, cancel) = if email {
        (
            "メールアドレス変更の認証番号入力",
            "/settings/email/code",
            "/settings/email/resend",
            None,
        )
    } else {
        (
            "認証番号入力",
            "/register/code",
            "/register/resend",
            Some("/register/cancel"),
        )
    };
    CodeView {
        c: chrome(session, heading).await,
        errors: Errors::default(),
        action,
        resend,
        cancel,
        minutes: config.code_validity.as_secs() / 60,
        wait,
    }
}

async fn code_failure(app: &App, session: &Session, email: bool, error: &Error) -> Response {
    let mut view = code_view(app, session, email).await;
    view.errors = failure(&mut view.c, error);
    let (status, wait) = status_of(error);
    page(status, &view, wait)
}

pub async fn code_page(State(app): State<App>, session: Session) -> Response {
    if get::<PendingRegistration>(&session, PENDING)
        .await
        .is_none()
    {
        return to("/first");
    }
    page(
        StatusCode::OK,
        &code_view(&app, &session, false).await,
        None,
    )
}

pub async fn confirm(
    State(app): State<App>,
    session: Session,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some(pending) = get::<PendingRegistration>(&session, PENDING).await else {
        return to("/first");
    };
    match app.portal.confirm_registration(&pending, &f.code).await {
        Ok(_) => {
            forget(&session, &[SIGNUP, PENDING, SENT_AT]).await;
            flash_to(
                &session,
                "ユーザーIDの作成が完了しました。ユーザーIDとパスワードでログインしてください。",
                "/login",
            )
            .await
        }
        Err(error) => code_failure(&app, &session, false, &error).await,
    }
}

pub async fn resend(State(app): State<App>, session: Session) -> Response {
    let Some(pending) = get::<PendingRegistration>(&session, PENDING).await else {
        return to("/first");
    };
    match app.portal.resend_code(&pending).await {
        Ok(()) => {
            put(&session, SENT_AT, now_s()).await;
            flash_to(
                &session,
                "認証番号を再送信しました。新しい認証番号を入力してください。",
                "/register/code",
            )
            .await
        }
        Err(error) => code_failure(&app, &session, false, &error).await,
    }
}

pub async fn cancel(session: Session) -> Response {
    forget(&session, &[SIGNUP, PENDING, SENT_AT]).await;
    flash_to(&session, "ユーザーIDの登録を中止しました。", "/first").await
}

// ── 利用規約 ─────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
pub struct TermsForm {
    #[serde(default)]
    agree: Option<String>,
}

async fn terms_view(app: &App, session: &Session) -> TermsView {
    let version = app.portal.config().terms_version.get();
    TermsView {
        c: chrome(session, "利用規約").await,
        errors: Errors::default(),
        version,
        revised: version > 1,
    }
}

pub async fn terms_page(State(app): State<App>, session: Session) -> Response {
    if get::<String>(&session, MEMBER).await.is_none() {
        return to("/login");
    }
    page(StatusCode::OK, &terms_view(&app, &session).await, None)
}

pub async fn terms(State(app): State<App>, session: Session, Form(f): Form<TermsForm>) -> Response {
    let Some(user_id) = get::<String>(&session, MEMBER)
        .await
        .and_then(|u| UserId::parse(&u).ok())
    else {
        return to("/login");
    };
    if f.agree.is_none() {
        let mut view = terms_view(&app, &session).await;
        view.errors.0.insert("agree".into(), "ご利用には、利用規約への同意が必要です。「利用規約に同意する」にチェックを入れてください。".into());
        return page(StatusCode::UNPROCESSABLE_ENTITY, &view, None);
    }
    match app
        .portal
        .accept_terms(&user_id, app.portal.config().terms_version)
        .await
    {
        Ok(()) => {
            put(&session, TERMS_DUE, false).await;
            to("/home")
        }
        Err(error) => {
            let mut view = terms_view(&app, &session).await;
            view.errors = failure(&mut view.c, &error);
            page(status_of(&error).0, &view, None)
        }
    }
}

// ── Home, settings ───────────────────────────────────────────────────────────────────────

pub async fn home(session: Session) -> Response {
    if let Err(elsewhere) = member(&session).await {
        return elsewhere;
    }
    page(
        StatusCode::OK,
        &HomeView {
            c: chrome(&session, "トップページ").await,
        },
        None,
    )
}

async fn settings_view(session: &Session) -> SettingsView {
    SettingsView {
        c: chrome(session, "登録情報の変更").await,
        errors: Errors::default(),
        email: String::new(),
    }
}

pub async fn settings_page(session: Session) -> Response {
    if let Err(elsewhere) = member(&session).await {
        return elsewhere;
    }
    page(StatusCode::OK, &settings_view(&session).await, None)
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct SettingsForm {
    current_password: String,
    new_password: String,
    email: String,
}

async fn settings_failure(session: &Session, email: String, error: &Error) -> Response {
    let mut view = settings_view(session).await;
    view.errors = failure(&mut view.c, error);
    view.email = email;
    let (status, wait) = status_of(error);
    page(status, &view, wait)
}

pub async fn change_password(
    State(app): State<App>,
    session: Session,
    Form(f): Form<SettingsForm>,
) -> Response {
    let user_id = match member(&session).await {
        Ok(user_id) => user_id,
        Err(elsewhere) => return elsewhere,
    };
    match app
        .portal
        .change_password(&user_id, &f.current_password, &f.new_password)
        .await
    {
        Ok(()) => flash_to(&session, "パスワードを変更しました。", "/settings").await,
        Err(error) => settings_failure(&session, String::new(), &error).await,
    }
}

pub async fn change_email(
    State(app): State<App>,
    session: Session,
    Form(f): Form<SettingsForm>,
) -> Response {
    let user_id = match member(&session).await {
        Ok(user_id) => user_id,
        Err(elsewhere) => return elsewhere,
    };
    match app
        .portal
        .begin_email_change(&user_id, &f.current_password, &f.email)
        .await
    {
        Ok(pending) => {
            put(&session, EMAIL_PENDING, pending).await;
            put(&session, EMAIL_SENT_AT, now_s()).await;
            to("/settings/email/code")
        }
        Err(error) => settings_failure(&session, f.email, &error).await,
    }
}

pub async fn email_code_page(State(app): State<App>, session: Session) -> Response {
    if let Err(elsewhere) = member(&session).await {
        return elsewhere;
    }
    if get::<PendingEmailChange>(&session, EMAIL_PENDING)
        .await
        .is_none()
    {
        return to("/settings");
    }
    page(StatusCode::OK, &code_view(&app, &session, true).await, None)
}

pub async fn confirm_email(
    State(app): State<App>,
    session: Session,
    Form(f): Form<CodeForm>,
) -> Response {
    if let Err(elsewhere) = member(&session).await {
        return elsewhere;
    }
    let Some(pending) = get::<PendingEmailChange>(&session, EMAIL_PENDING).await else {
        return to("/settings");
    };
    match app.portal.confirm_email_change(&pending, &f.code).await {
        Ok(_) => {
            forget(&session, &[EMAIL_PENDING, EMAIL_SENT_AT]).await;
            flash_to(&session, "メールアドレスを変更しました。", "/settings").await
        }
        Err(error) => code_failure(&app, &session, true, &error).await,
    }
}

pub async fn resend_email(State(app): State<App>, session: Session) -> Response {
    let Some(pending) = get::<PendingEmailChange>(&session, EMAIL_PENDING).await else {
        return to("/settings");
    };
    match app.portal.resend_email_change_code(&pending).await {
        Ok(()) => {
            put(&session, EMAIL_SENT_AT, now_s()).await;
            flash_to(
                &session,
                "認証番号を再送信しました。",
                "/settings/email/code",
            )
            .await
        }
        Err(error) => code_failure(&app, &session, true, &error).await,
    }
}

// ── パスワードを忘れた方 ──────────────────────────────────────────────────────────────────

pub async fn forgot_page(session: Session) -> Response {
    let view = ForgotView {
        c: chrome(&session, "パスワードをお忘れの方").await,
        errors: Errors::default(),
        user_id: String::new(),
    };
    page(StatusCode::OK, &view, None)
}

pub async fn forgot(
    State(app): State<App>,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Response {
    match app.portal.request_password_reset(&f.user_id).await {
        Ok(ticket) => {
            put(&session, RESET, ticket).await;
            to("/password/reset")
        }
        Err(error) => {
            let mut view = ForgotView {
                c: chrome(&session, "パスワードをお忘れの方").await,
                errors: Errors::default(),
                user_id: f.user_id,
            };
            view.errors = failure(&mut view.c, &error);
            let (status, wait) = status_of(&error);
            page(status, &view, wait)
        }
    }
}

async fn reset_view(app: &App, session: &Session) -> ResetView {
    let minutes = app.portal.config().code_validity.as_secs() / 60;
    ResetView {
        c: chrome(session, "パスワードの再設定").await,
        errors: Errors::default(),
        minutes,
    }
}

pub async fn reset_page(State(app): State<App>, session: Session) -> Response {
    if get::<PasswordResetTicket>(&session, RESET).await.is_none() {
        return to("/password/forgot");
    }
    page(StatusCode::OK, &reset_view(&app, &session).await, None)
}

pub async fn reset(State(app): State<App>, session: Session, Form(f): Form<ResetForm>) -> Response {
    let Some(ticket) = get::<PasswordResetTicket>(&session, RESET).await else {
        return to("/password/forgot");
    };
    match app
        .portal
        .reset_password(&ticket, &f.code, &f.new_password)
        .await
    {
        Ok(()) => {
            forget(&session, &[RESET]).await;
            flash_to(
                &session,
                "パスワードを再設定しました。新しいパスワードでログインしてください。",
                "/login",
            )
            .await
        }
        Err(error) => {
            let mut view = reset_view(&app, &session).await;
            view.errors = failure(&mut view.c, &error);
            let (status, wait) = status_of(&error);
            page(status, &view, wait)
        }
    }
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct ResetForm {
    code: String,
    new_password: String,
}

// ── The rest ─────────────────────────────────────────────────────────────────────────────

pub async fn css() -> Response {
    let mut response = include_str!("static/portal.css").into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

pub async fn not_found() -> Response {
    crate::views::refusal(
        StatusCode::NOT_FOUND,
        "お探しのページは見つかりませんでした。",
    )
}
