//! The screens: one askama template per screen (checked at compile time) over one `Screen`
//! of data, and how a library error becomes a page.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kenpo_auth::{Error, IdentityForm};
use serde::Deserialize;

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

/// Every field of every form (a form sends some of them; the rest stay empty). Passwords are
/// read from it but never written back into a page.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    pub user_id: String,
    pub password: String,
    pub current_password: String,
    pub new_password: String,
    pub email: String,
    pub code: String,
    pub agree: Option<String>,
    pub insurer_code: String,
    pub symbol: String,
    pub number: String,
    pub birth_year: String,
    pub birth_month: String,
    pub birth_day: String,
    pub name_kana: String,
}

impl Input {
    /// The five identity fields, the date from its three drop-downs (empty if one is unset).
    pub fn identity(&self) -> IdentityForm {
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

/// Each bad field's message, by the form field's name.
#[derive(Default)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    pub fn of(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The `aria-describedby` of field `id` named `name`: its rule text, then its error.
    pub fn described(&self, id: &str, name: &str, hint: &str) -> String {
        let hint = (!hint.is_empty()).then(|| format!("{id}-hint"));
        let error = self.0.contains_key(name).then(|| format!("{id}-error"));
        hint.into_iter().chain(error).collect::<Vec<_>>().join(" ")
    }
}

/// All a screen shows; each template reads the parts it needs.
#[derive(Default)]
pub struct Screen {
    pub c: Chrome,
    pub errors: Errors,
    /// What the member typed, shown again (never the passwords).
    pub input: Input,
    /// サイトからのお知らせ (login).
    pub notices: Vec<String>,
    /// The year drop-down, value and label with its era (identity forms).
    pub years: Vec<(String, String)>,
    /// The identity form is the user-ID reminder (with the e-mail field).
    pub reminder: bool,
    /// The code screen's flow: where its forms post (`/register` has a cancel).
    pub flow: &'static str,
    /// A code's validity, and the seconds until a resend is allowed.
    pub minutes: u64,
    pub wait: u64,
    /// The terms' version, and whether it is a revision.
    pub version: u32,
    pub revised: bool,
    /// A message screen's heading and text.
    pub heading: &'static str,
    pub message: &'static str,
}

macro_rules! screens {
    ($($name:ident => $path:literal,)*) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        pub struct $name {
            s: Screen,
        }

        impl std::ops::Deref for $name {
            type Target = Screen;
            fn deref(&self) -> &Screen {
                &self.s
            }
        }

        impl From<Screen> for $name {
            fn from(s: Screen) -> Self {
                Self { s }
            }
        }
    )*};
}

screens! {
    Login => "login.html",
    Identity => "identity.html",
    Register => "register.html",
    Code => "code.html",
    Terms => "terms.html",
    Forgot => "forgot.html",
    Reset => "reset.html",
    Home => "home.html",
    Settings => "settings.html",
    Message => "message.html",
}

/// Renders a screen with a status (and `Retry-After` when there is a wait).
pub fn page(status: StatusCode, view: &impl Template, retry_after: Option<u64>) -> Response {
    match view.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            if let Some(wait) = retry_after {
                let h = response.headers_mut();
                h.insert(header::RETRY_AFTER, HeaderValue::from(wait));
            }
            response
        }
        Err(error) => {
            tracing::error!(target: "web", %error, "template");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub fn show<T: Template + From<Screen>>(s: Screen) -> Response {
    page(StatusCode::OK, &T::from(s), None)
}

/// A refused step as the member sees it: the library's message at the top, or each field's
/// message beside its field (named as the forms' fields: `ErrorBody::fields`); the status of
/// the error's kind and its wait.
pub fn refuse<T: Template + From<Screen>>(mut s: Screen, error: &Error) -> Response {
    let body = error.body();
    let fields: BTreeMap<String, String> = body
        .fields
        .into_iter()
        .map(|(name, message)| (name.to_owned(), message))
        .collect();
    s.c.alert = Some(if fields.is_empty() {
        body.message
    } else {
        "入力内容に誤りがあります。各項目のメッセージをご確認ください。".into()
    });
    s.errors = Errors(fields);
    let status = StatusCode::from_u16(error.kind().status()).unwrap_or(StatusCode::BAD_REQUEST);
    page(status, &T::from(s), body.retry_after)
}

/// A refusal before the portal (CSRF, rate limit, unknown page): a message and a way back.
pub fn refusal(status: StatusCode, message: &str) -> Response {
    let c = Chrome {
        title: "エラー",
        alert: Some(message.to_owned()),
        ..Chrome::default()
    };
    page(
        status,
        &Message::from(Screen {
            c,
            heading: "エラー",
            ..Screen::default()
        }),
        None,
    )
}
