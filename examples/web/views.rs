//! The screens: one askama template per screen (checked at compile time), the chrome every
//! page shares, and how a library error becomes a page.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kenpo_auth::Error;

/// What the layout needs on every page.
#[derive(Default)]
pub struct Chrome {
    pub title: &'static str,
    pub csrf: String,
    /// The logged-in member's user ID (shows the menu and the logout button).
    pub member: Option<String>,
    /// A one-time notice carried over a redirect (e.g. ログアウトしました。).
    pub flash: Option<String>,
    /// The page-level error, from the library's `message_ja()`.
    pub alert: Option<String>,
}

/// Each bad field's message, by the form field's name.
#[derive(Default)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    pub fn of(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The `aria-describedby` of a field: its rule text, then its error if any.
    pub fn described(&self, id: &str, name: &str, hint: &str) -> String {
        let mut ids = Vec::new();
        if !hint.is_empty() {
            ids.push(format!("{id}-hint"));
        }
        if self.0.contains_key(name) {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
}

/// A refused step as the member sees it: the library's message at the top, each field's
/// message beside its field (named as the form's fields: `ErrorBody::fields`).
pub fn failure(chrome: &mut Chrome, error: &Error) -> Errors {
    let body = error.body();
    let mut fields: BTreeMap<String, String> = body
        .fields
        .into_iter()
        .map(|(name, message)| (name.to_owned(), message))
        .collect();
    if matches!(error, Error::UserIdTaken) {
        fields.insert("user_id".into(), body.message.clone());
    }
    chrome.alert = Some(if fields.is_empty() {
        body.message
    } else {
        "入力内容に誤りがあります。各項目のメッセージをご確認ください。".into()
    });
    Errors(fields)
}

/// Renders a screen with a status (and `Retry-After` when the library gives a wait).
pub fn page(status: StatusCode, view: &impl Template, retry_after: Option<u64>) -> Response {
    match view.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if let Some(wait) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            }
            response
        }
        Err(error) => {
            tracing::error!(target: "web", %error, "template");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A status code for a library error, and its wait.
pub fn status_of(error: &Error) -> (StatusCode, Option<u64>) {
    let status = StatusCode::from_u16(error.kind().status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, error.retry_after().map(|w| w.as_secs().max(1)))
}

/// A page with only a heading and a message (refusals before the portal, done pages).
pub fn refusal(status: StatusCode, message: &str) -> Response {
    let view = MessageView {
        c: Chrome {
            title: "エラー",
            alert: Some(message.to_owned()),
            ..Chrome::default()
        },
        heading: "エラー",
        message: String::new(),
        link: ("/login", "ログイン画面へ戻る"),
    };
    page(status, &view, None)
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessageView {
    pub c: Chrome,
    pub heading: &'static str,
    pub message: String,
    pub link: (&'static str, &'static str),
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginView {
    pub c: Chrome,
    pub errors: Errors,
    pub user_id: String,
    pub notices: Vec<String>,
}

/// 初回ログイン and the user-ID reminder share the five identity fields.
#[derive(Template)]
#[template(path = "identity.html")]
pub struct IdentityView {
    pub c: Chrome,
    pub errors: Errors,
    pub form: crate::pages::IdentityInput,
    pub reminder: bool,
    pub years: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterView {
    pub c: Chrome,
    pub errors: Errors,
    pub user_id: String,
    pub email: String,
}

/// A six-digit code screen: registration (with cancel) or a new e-mail address.
#[derive(Template)]
#[template(path = "code.html")]
pub struct CodeView {
    pub c: Chrome,
    pub errors: Errors,
    pub action: &'static str,
    pub resend: &'static str,
    pub cancel: Option<&'static str>,
    pub minutes: u64,
    /// Seconds until a resend is allowed (0: now).
    pub wait: u64,
}

#[derive(Template)]
#[template(path = "terms.html")]
pub struct TermsView {
    pub c: Chrome,
    pub errors: Errors,
    pub version: u32,
    pub revised: bool,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotView {
    pub c: Chrome,
    pub errors: Errors,
    pub user_id: String,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetView {
    pub c: Chrome,
    pub errors: Errors,
    pub minutes: u64,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeView {
    pub c: Chrome,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsView {
    pub c: Chrome,
    pub errors: Errors,
    pub email: String,
}
