//! The handlers: one per screen and form, each a call into the portal and a page. Tickets
//! live in the session only; the browser holds nothing but the session cookie.

use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kenpo_auth::{
    BirthDate, Error, PasswordResetTicket, PendingEmailChange, PendingRegistration,
    RegistrationForm, ResendableTicket, SessionStamp, SignupTicket, UserId,
};
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use crate::guard::{csrf_token, new_csrf_token};
use crate::views::{
    Chrome, Code, Forgot, Home, Identity, Input, Login, Message, Register, Reset, Screen, Settings,
    Terms, refuse, show,
};
use crate::{App, portal};

// What the session holds: the member, one-time notices, and the flows' tickets.
pub const MEMBER: &str = "member";
const STAMP: &str = "stamp";
const TERMS_DUE: &str = "terms_due";
const FLASH: &str = "flash";
const SIGNUP: &str = "signup";
const PENDING: &str = "pending";
const RESET: &str = "reset";
const EMAIL_PENDING: &str = "email_pending";

const SETTINGS: &str = "登録情報の変更";
const FORGOT: &str = "パスワードをお忘れの方";
const REMIND: &str = "ユーザーIDをお忘れの方";

async fn get<T: DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    session.get(key).await.ok().flatten()
}

async fn put(session: &Session, key: &str, value: impl serde::Serialize) {
    let _ = session.insert(key, value).await;
}

/// Stores what lets the visit go on as someone — a member, a sign-up or reset ticket — under a
/// new session id and a new CSRF token, so that an id planted in the browser before (session
/// fixation) or copied from it names nothing worth having, and a token read from it forges no
/// form of the visit that follows.
async fn grant(session: &Session, key: &str, value: impl serde::Serialize) {
    let _ = session.cycle_id().await;
    new_csrf_token(session).await;
    put(session, key, value).await;
}

/// Begins an anonymous flow (初回ログイン, a password reset) with its ticket and nothing else: a
/// member logged in here is logged out, so that a copy of their cookie cannot carry their
/// login over to a session id only its holder knows.
async fn begin_anonymous(session: &Session, key: &str, ticket: impl serde::Serialize) {
    session.clear().await;
    grant(session, key, ticket).await;
}

async fn forget(session: &Session, keys: &[&str]) {
    for key in keys {
        let _ = session.remove_value(key).await;
    }
}

fn to(path: &str) -> Response {
    Redirect::to(path).into_response()
}

async fn flash_to(session: &Session, message: &str, path: &str) -> Response {
    put(session, FLASH, message).await;
    to(path)
}

/// A screen titled `title`, with the session's token, member and notice.
async fn screen(session: &Session, title: &'static str) -> Screen {
    let c = Chrome {
        title,
        csrf: csrf_token(session).await,
        member: get(session, MEMBER).await,
        flash: session.remove::<String>(FLASH).await.ok().flatten(),
        alert: None,
    };
    Screen {
        c,
        ..Screen::default()
    }
}

/// A screen showing again what the member typed (a refused form).
async fn typed(session: &Session, title: &'static str, input: Input) -> Screen {
    Screen {
        input,
        ..screen(session, title).await
    }
}

/// Starts the session of a member who just proved their password, under a new id: the user
/// ID and the library's stamp, which `signed_in` checks on every request. A pending e-mail
/// change is forgotten: a password change or an end of sessions voided it in the library.
async fn sign_in(session: &Session, user_id: &UserId, stamp: SessionStamp) {
    forget(session, &[EMAIL_PENDING]).await;
    grant(session, MEMBER, user_id.as_str()).await;
    put(session, STAMP, stamp).await;
}

/// The member this session was started for, if the library says it still holds (the password
/// unchanged, the account there, covered, and twelve hours not yet over); otherwise the
/// session ends and the browser goes to the login page with the reason.
async fn signed_in(app: &App, session: &Session) -> Result<UserId, Response> {
    let member = get::<String>(session, MEMBER).await;
    let user_id = member.and_then(|user_id| UserId::parse(&user_id).ok());
    let (Some(user_id), Some(stamp)) = (user_id, get::<SessionStamp>(session, STAMP).await) else {
        return Err(to("/login"));
    };
    match portal!(app.portal, p => p.check_session(&user_id, &stamp).await) {
        Ok(()) => Ok(user_id),
        Err(error) => {
            let _ = session.flush().await;
            Err(flash_to(session, &error.message_ja(), "/login").await)
        }
    }
}

/// The logged-in member, or where to send the browser: the login page, or the terms first.
async fn member(app: &App, session: &Session) -> Result<UserId, Response> {
    let user_id = signed_in(app, session).await?;
    if get::<bool>(session, TERMS_DUE).await.unwrap_or(false) {
        return Err(to("/terms"));
    }
    Ok(user_id)
}

/// The logged-in member as an extractor: handlers that take it never run for anyone else.
pub struct Member(UserId);

impl FromRequestParts<App> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        member(app, &session).await.map(Member)
    }
}

/// A flow's ticket, kept in the session under `KEY`; without it, back to the flow's `START`.
/// A members-only flow's ticket is read only for a logged-in member (a login clears the
/// session, so it is the member who began the flow).
pub trait Ticket: DeserializeOwned {
    const KEY: &'static str;
    const START: &'static str;
    const MEMBERS_ONLY: bool = false;
}

macro_rules! tickets {
    ($($ticket:ty => $key:expr, $start:literal;)*) => {$(
        impl Ticket for $ticket {
            const KEY: &'static str = $key;
            const START: &'static str = $start;
        }
    )*};
}

tickets! {
    SignupTicket => SIGNUP, "/first";
    PendingRegistration => PENDING, "/first";
    PasswordResetTicket => RESET, "/password/forgot";
}

impl Ticket for PendingEmailChange {
    const KEY: &'static str = EMAIL_PENDING;
    const START: &'static str = "/settings";
    const MEMBERS_ONLY: bool = true;
}

pub struct Held<T>(T);

impl<T: Ticket> FromRequestParts<App> for Held<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        if T::MEMBERS_ONLY {
            member(app, &session).await?;
        }
        get(&session, T::KEY)
            .await
            .map(Held)
            .ok_or_else(|| to(T::START))
    }
}

pub async fn root(session: Session) -> Response {
    let member = get::<String>(&session, MEMBER).await;
    to(if member.is_some() { "/home" } else { "/login" })
}

// ── ログイン, ログアウト ─────────────────────────────────────────────────────────────────

async fn login_screen(app: &App, session: &Session, input: Input) -> Screen {
    let notices = app.notices.to_vec();
    Screen {
        notices,
        ..typed(session, "ログイン", input).await
    }
}

pub async fn login_page(State(app): State<App>, session: Session) -> Response {
    show::<Login>(login_screen(&app, &session, Input::default()).await)
}

pub async fn login(State(app): State<App>, session: Session, Form(f): Form<Input>) -> Response {
    match portal!(app.portal, p => p.login_with_stamp(&f.user_id, &f.password).await) {
        Ok((success, stamp)) => {
            // Nothing left of the visit before (another member's e-mail change, say), and a
            // new session id and CSRF token for the logged-in member.
            session.clear().await;
            sign_in(&session, &success.user_id, stamp).await;
            let due = success.terms_consent_required;
            put(&session, TERMS_DUE, due).await;
            to(if due { "/terms" } else { "/home" })
        }
        Err(error) => refuse::<Login>(login_screen(&app, &session, f).await, &error),
    }
}

/// Deletes the session; the notice goes into a new one (the session store never reuses an id).
pub async fn logout(session: Session) -> Response {
    let _ = session.flush().await;
    flash_to(&session, "ログアウトしました。", "/login").await
}

// ── 初回ログイン (first authentication) and ユーザーIDを忘れた方 (reminder) ──────────────────────

/// The year drop-down: this year in Japan back to 1900, each with its era years (the
/// library's, e.g. 1989 is 昭和64／平成元).
fn years() -> Vec<(String, String)> {
    let label = |(year, eras)| (format!("{year}"), format!("{year}年（{eras}年）"));
    BirthDate::year_choices().into_iter().map(label).collect()
}

async fn identity_screen(session: &Session, reminder: bool, input: Input) -> Screen {
    let title = if reminder {
        REMIND
    } else {
        "初回ログイン"
    };
    Screen {
        reminder,
        years: years(),
        ..typed(session, title, input).await
    }
}

pub async fn first_page(session: Session) -> Response {
    show::<Identity>(identity_screen(&session, false, Input::default()).await)
}

pub async fn first(State(app): State<App>, session: Session, Form(f): Form<Input>) -> Response {
    match portal!(app.portal, p => p.authenticate_insured(&f.identity()).await) {
        Ok(ticket) => {
            begin_anonymous(&session, SIGNUP, ticket).await;
            to("/register")
        }
        Err(error) => refuse::<Identity>(identity_screen(&session, false, f).await, &error),
    }
}

pub async fn remind_page(session: Session) -> Response {
    show::<Identity>(identity_screen(&session, true, Input::default()).await)
}

pub async fn remind(State(app): State<App>, session: Session, Form(f): Form<Input>) -> Response {
    match portal!(app.portal, p => p.remind_user_id(&f.identity(), &f.email).await) {
        Ok(()) => show::<Message>(Screen {
            heading: "ユーザーIDをお送りしました",
            message: "ご入力の内容が登録内容と一致した場合は、登録されているメールアドレスに\
                      ユーザーIDをお送りしました。メールをご確認ください。",
            ..screen(&session, REMIND).await
        }),
        Err(error) => refuse::<Identity>(identity_screen(&session, true, f).await, &error),
    }
}

// ── ユーザーID登録 and 認証番号 ──────────────────────────────────────────────────────────

pub async fn register_page(_: Held<SignupTicket>, session: Session) -> Response {
    show::<Register>(screen(&session, "ユーザーID登録").await)
}

pub async fn register(
    State(app): State<App>,
    Held(ticket): Held<SignupTicket>,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    let form = RegistrationForm {
        user_id: f.user_id.clone(),
        password: f.password.clone(),
        email: f.email.clone(),
    };
    match portal!(app.portal, p => p.begin_registration(&ticket, &form).await) {
        Ok(pending) => {
            put(&session, PENDING, pending).await;
            to("/register/code")
        }
        Err(error) => refuse::<Register>(typed(&session, "ユーザーID登録", f).await, &error),
    }
}

/// The two flows that prove an e-mail address with a code: registration and the e-mail
/// change. One code screen, confirm and resend serve both.
pub trait CodeFlow: Ticket + ResendableTicket + Send + Sync + 'static {
    /// Where the flow's code screen and its forms are.
    const PATH: &'static str;
    const TITLE: &'static str;
    /// Where a confirmed flow goes, with which notice, and what the session forgets.
    const DONE: (&'static str, &'static str);
    const FORGET: &'static [&'static str];
    fn confirm(&self, app: &App, code: &str) -> impl Future<Output = Result<(), Error>> + Send;
    fn resend(&self, app: &App) -> impl Future<Output = Result<(), Error>> + Send;
}

impl CodeFlow for PendingRegistration {
    const PATH: &'static str = "/register";
    const TITLE: &'static str = "認証番号入力";
    const DONE: (&'static str, &'static str) = (
        "/login",
        "ユーザーIDの作成が完了しました。ユーザーIDとパスワードでログインしてください。",
    );
    const FORGET: &'static [&'static str] = &[SIGNUP, PENDING];

    async fn confirm(&self, app: &App, code: &str) -> Result<(), Error> {
        portal!(app.portal, p => p.confirm_registration(self, code).await.map(drop))
    }

    async fn resend(&self, app: &App) -> Result<(), Error> {
        portal!(app.portal, p => p.resend_code(self).await)
    }
}

impl CodeFlow for PendingEmailChange {
    const PATH: &'static str = "/settings/email";
    const TITLE: &'static str = "メールアドレス変更の認証番号入力";
    const DONE: (&'static str, &'static str) = ("/settings", "メールアドレスを変更しました。");
    const FORGET: &'static [&'static str] = &[EMAIL_PENDING];

    async fn confirm(&self, app: &App, code: &str) -> Result<(), Error> {
        portal!(app.portal, p => p.confirm_email_change(self, code).await.map(drop))
    }

    async fn resend(&self, app: &App) -> Result<(), Error> {
        portal!(app.portal, p => p.resend_email_change_code(self).await)
    }
}

/// A flow's code screen, with the wait until a resend (the library's, from the last send).
async fn code_screen<F: CodeFlow>(app: &App, session: &Session, pending: &F) -> Screen {
    let minutes = portal!(app.portal, p => p.config().code_validity_minutes());
    let wait = portal!(app.portal, p => p.resend_wait(pending).await).unwrap_or_default();
    Screen {
        flow: F::PATH,
        minutes,
        wait: wait.as_secs(),
        ..screen(session, F::TITLE).await
    }
}

pub async fn code_page<F: CodeFlow>(
    State(app): State<App>,
    Held(pending): Held<F>,
    session: Session,
) -> Response {
    show::<Code>(code_screen(&app, &session, &pending).await)
}

pub async fn confirm<F: CodeFlow>(
    State(app): State<App>,
    Held(pending): Held<F>,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    match pending.confirm(&app, &f.code).await {
        Ok(()) => {
            forget(&session, F::FORGET).await;
            let (path, done) = F::DONE;
            flash_to(&session, done, path).await
        }
        Err(error) => refuse::<Code>(code_screen(&app, &session, &pending).await, &error),
    }
}

pub async fn resend<F: CodeFlow>(
    State(app): State<App>,
    Held(pending): Held<F>,
    session: Session,
) -> Response {
    match pending.resend(&app).await {
        Ok(()) => {
            let code_screen = format!("{}/code", F::PATH);
            flash_to(&session, "認証番号を再送信しました。", &code_screen).await
        }
        Err(error) => refuse::<Code>(code_screen(&app, &session, &pending).await, &error),
    }
}

pub async fn cancel(session: Session) -> Response {
    forget(&session, &[SIGNUP, PENDING]).await;
    flash_to(&session, "ユーザーIDの登録を中止しました。", "/first").await
}

// ── 利用規約 ─────────────────────────────────────────────────────────────────────────────

async fn terms_screen(app: &App, session: &Session) -> Screen {
    let version = portal!(app.portal, p => p.config().terms_version.get());
    Screen {
        version,
        revised: version > 1,
        ..screen(session, "利用規約").await
    }
}

pub async fn terms_page(State(app): State<App>, session: Session) -> Response {
    if let Err(elsewhere) = signed_in(&app, &session).await {
        return elsewhere;
    }
    show::<Terms>(terms_screen(&app, &session).await)
}

pub async fn terms(State(app): State<App>, session: Session, Form(f): Form<Input>) -> Response {
    let user_id = match signed_in(&app, &session).await {
        Ok(user_id) => user_id,
        Err(elsewhere) => return elsewhere,
    };
    if f.agree.is_none() {
        // The one message the library has no part in: the box was not ticked.
        let mut s = terms_screen(&app, &session).await;
        let message = "ご利用には利用規約への同意が必要です。「利用規約に同意する」にチェックを入れてください。";
        s.errors.0.insert("agree".into(), message.into());
        return crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &Terms::from(s), None);
    }
    let version = portal!(app.portal, p => p.config().terms_version);
    match portal!(app.portal, p => p.accept_terms(&user_id, version).await) {
        Ok(()) => {
            put(&session, TERMS_DUE, false).await;
            to("/home")
        }
        Err(error) => refuse::<Terms>(terms_screen(&app, &session).await, &error),
    }
}

// ── Home, settings ───────────────────────────────────────────────────────────────────────

pub async fn home(_: Member, session: Session) -> Response {
    show::<Home>(screen(&session, "トップページ").await)
}

pub async fn settings_page(_: Member, session: Session) -> Response {
    show::<Settings>(screen(&session, SETTINGS).await)
}

pub async fn change_password(
    State(app): State<App>,
    Member(user_id): Member,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    let (current, new) = (&f.current_password, &f.new_password);
    // Every session of the member ended with the old password; this one goes on, stamped anew.
    match portal!(app.portal, p => p.change_password(&user_id, current, new).await) {
        Ok(stamp) => {
            sign_in(&session, &user_id, stamp).await;
            flash_to(&session, "パスワードを変更しました。", "/settings").await
        }
        Err(error) => refuse::<Settings>(screen(&session, SETTINGS).await, &error),
    }
}

/// Ends the member's sessions on every other device; this one goes on under the stamp the
/// library returns, and under a new session id, since the session being ended may be a copy of
/// this one's cookie.
pub async fn end_other_sessions(
    State(app): State<App>,
    Member(user_id): Member,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    let current = &f.current_password;
    match portal!(app.portal, p => p.end_other_sessions(&user_id, current).await) {
        Ok(stamp) => {
            sign_in(&session, &user_id, stamp).await;
            flash_to(&session, "他の端末からログアウトしました。", "/settings").await
        }
        Err(error) => refuse::<Settings>(screen(&session, SETTINGS).await, &error),
    }
}

pub async fn change_email(
    State(app): State<App>,
    Member(user_id): Member,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    let (current, email) = (&f.current_password, &f.email);
    match portal!(app.portal, p => p.begin_email_change(&user_id, current, email).await) {
        Ok(pending) => {
            put(&session, EMAIL_PENDING, pending).await;
            to("/settings/email/code")
        }
        Err(error) => refuse::<Settings>(typed(&session, SETTINGS, f).await, &error),
    }
}

// ── パスワードを忘れた方 ──────────────────────────────────────────────────────────────────

pub async fn forgot_page(session: Session) -> Response {
    show::<Forgot>(screen(&session, FORGOT).await)
}

pub async fn forgot(State(app): State<App>, session: Session, Form(f): Form<Input>) -> Response {
    match portal!(app.portal, p => p.request_password_reset(&f.user_id).await) {
        Ok(ticket) => {
            begin_anonymous(&session, RESET, ticket).await;
            to("/password/reset")
        }
        Err(error) => refuse::<Forgot>(typed(&session, FORGOT, f).await, &error),
    }
}

async fn reset_screen(app: &App, session: &Session) -> Screen {
    let minutes = portal!(app.portal, p => p.config().code_validity_minutes());
    Screen {
        minutes,
        ..screen(session, "パスワードの再設定").await
    }
}

pub async fn reset_page(
    State(app): State<App>,
    _: Held<PasswordResetTicket>,
    session: Session,
) -> Response {
    show::<Reset>(reset_screen(&app, &session).await)
}

pub async fn reset(
    State(app): State<App>,
    Held(ticket): Held<PasswordResetTicket>,
    session: Session,
    Form(f): Form<Input>,
) -> Response {
    let (code, new) = (&f.code, &f.new_password);
    match portal!(app.portal, p => p.reset_password(&ticket, code, new).await) {
        Ok(()) => {
            forget(&session, &[RESET]).await;
            let done = "パスワードを再設定しました。新しいパスワードでログインしてください。";
            flash_to(&session, done, "/login").await
        }
        Err(error) => refuse::<Reset>(reset_screen(&app, &session).await, &error),
    }
}

// ── The rest ─────────────────────────────────────────────────────────────────────────────

pub async fn css() -> impl IntoResponse {
    let headers = [
        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
        (header::CACHE_CONTROL, "public, max-age=3600"),
    ];
    (headers, include_str!("static/portal.css"))
}

pub async fn not_found() -> Response {
    crate::views::refusal(
        StatusCode::NOT_FOUND,
        "お探しのページは見つかりませんでした。",
    )
}
