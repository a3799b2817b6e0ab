//! The portal's [`Error`], with an English `Display` for logs and [`Error::message_ja`] for the
//! member.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::clock::whole_seconds_up;
use crate::config::ConfigError;
use crate::email::EmailError;
use crate::hashing::HashError;
use crate::identity::FormErrors;
use crate::ja::{self, MessageJa, SYSTEM_FAILURE};
use crate::otp::CodeShape;
use crate::password::PasswordError;
use crate::random::RandomError;
use crate::user_id::UserIdError;

/// A boxed host error (storage or mail).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a portal operation did not succeed.
///
/// Input errors name the field and the reason. Failed authentication is deliberately vague:
/// [`AuthenticationFailed`](Error::AuthenticationFailed) for a wrong password and an unknown
/// user ID alike, [`IdentityNotConfirmed`](Error::IdentityNotConfirmed) whichever identity
/// field differed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first-authentication (or reminder) form has bad fields.
    #[error("identity form: {0}")]
    Form(#[from] FormErrors),
    /// The registration form has bad fields (every one is listed, named as the fields of
    /// [`RegistrationForm`](crate::RegistrationForm)).
    #[error("registration form: {0}")]
    Registration(FormErrors),
    /// The new password breaks the policy.
    #[error("new password: {0}")]
    Password(#[from] PasswordError),
    /// The e-mail address typed for the reminder is not an address.
    #[error("e-mail address: {0}")]
    Email(#[from] EmailError),
    /// The user ID typed for a password reset is not a user ID.
    #[error("user ID: {0}")]
    UserId(#[from] UserIdError),
    /// The typed code does not have the code's shape (not counted as an attempt).
    #[error("the code must be {}", match shape { CodeShape::SixDigits => "six digits", _ => "twelve characters (XXXX-XXXX-XXXX)" })]
    CodeFormat {
        /// The shape expected.
        shape: CodeShape,
    },
    /// No insured person on the roster matches all five fields (which one differed is not said).
    #[error("the insured person could not be confirmed")]
    IdentityNotConfirmed,
    /// Too many failed identity checks for this insured person; wait.
    #[error("too many identity checks; retry after {} s", retry_after.as_secs())]
    TooManyAttempts {
        /// Time left before another try is allowed.
        retry_after: Duration,
    },
    /// The insured person already has a user ID.
    #[error("the insured person already has a user ID")]
    AlreadyRegistered,
    /// Another account holds this user ID (compared case-insensitively).
    #[error("the user ID is already taken")]
    UserIdTaken,
    /// The signup ticket is unknown or its time ran out: start again from first authentication.
    #[error("the signup ticket is unknown or expired")]
    SignupExpired,
    /// The code is wrong.
    #[error("wrong code; {remaining} entries left")]
    CodeMismatch {
        /// Entries left before the challenge is dead.
        remaining: u32,
    },
    /// The code's ten minutes are over; ask for a new one.
    #[error("the code has expired")]
    CodeExpired,
    /// Too many wrong codes: this challenge is dead; start again.
    #[error("too many wrong codes; the challenge is void")]
    CodeAttemptsExhausted,
    /// Too many wrong password-reset codes for this user ID, over all its requests: reset codes
    /// no longer work, the right one included, until the help desk unlocks the account. The
    /// same answer whether or not the user ID exists.
    #[error("reset codes suspended for this user ID after too many wrong entries")]
    ResetSuspended,
    /// The challenge is unknown, already used, or its code was replaced by a resend.
    #[error("the challenge is unknown or already used")]
    ChallengeGone,
    /// A new code was sent too recently.
    #[error("resend too soon; retry after {} s", retry_after.as_secs())]
    ResendTooSoon {
        /// Time left before a resend is allowed.
        retry_after: Duration,
    },
    /// The most codes this challenge may be sent have been sent.
    #[error("resend limit reached")]
    ResendLimitReached,
    /// Wrong user ID or password (the two are never told apart).
    #[error("user ID or password is wrong")]
    AuthenticationFailed,
    /// Too many consecutive failed logins for this user ID; even the right password fails
    /// until `retry_after` has passed.
    #[error("login locked; retry after {} s", retry_after.as_secs())]
    AccountLocked {
        /// Time left on the lock.
        retry_after: Duration,
    },
    /// So many consecutive failed logins for this user ID that only a password reset (or the
    /// help desk) lets it log in again; even the right password fails. The same answer whether
    /// or not the user ID exists.
    #[error("login suspended for this user ID until a password reset")]
    LoginSuspended,
    /// The host named an account that does not exist.
    #[error("no such account")]
    AccountNotFound,
    /// The password was right, but the account's insured person is no longer covered (資格喪失,
    /// or off the roster): the member must ask the union. Told only after the password checked
    /// out, so it reveals nothing to someone without it.
    #[error("the insured person's coverage has ended")]
    CoverageEnded,
    /// The member's session no longer holds: their password was changed or reset since the
    /// session's [`SessionStamp`](crate::SessionStamp) was issued, the account is gone, the help
    /// desk or the member from another device ended the member's sessions, or
    /// [`Config::session_lifetime`](crate::Config::session_lifetime) has passed. Log in again.
    #[error("the session has ended; log in again")]
    SessionEnded,
    /// The host asked to record consent to terms newer than [`Config::terms_version`](crate::Config::terms_version).
    #[error("unknown terms version")]
    UnknownTermsVersion,
    /// Password hashing failed (bad parameters or a malformed stored hash).
    #[error("password hashing: {0}")]
    Hashing(#[from] HashError),
    /// More callers are waiting for an argon2 run than [`Config::max_queued_hashes`] allows:
    /// try again after `retry_after`.
    ///
    /// [`Config::max_queued_hashes`]: crate::Config::max_queued_hashes
    #[error("busy; retry after {} s", retry_after.as_secs())]
    Busy {
        /// An estimate of when a place will be free.
        retry_after: Duration,
    },
    /// The configuration breaks a budget ([`Config::check`](crate::Config::check)).
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The operating system's random number generator failed.
    #[error("{0}")]
    Randomness(#[from] RandomError),
    /// The host's store failed. Nothing was half-done: each store call is atomic.
    #[error("store: {0}")]
    Store(#[source] BoxError),
    /// The host's mailer failed.
    #[error("mail: {0}")]
    Mail(#[source] BoxError),
}

/// A lock is "for good" when it outlasts any wait worth telling a member about.
fn is_for_good(wait: Duration) -> bool {
    wait > Duration::from_secs(31 * 24 * 60 * 60)
}

/// A wait in whole seconds for the member and the `Retry-After` header: rounded up, and at
/// least one, so that trying again after the time shown is never too soon.
fn whole_seconds(wait: Duration) -> u64 {
    whole_seconds_up(wait).as_secs().max(1)
}

const HELP_DESK_JA: &str = "お手数ですが、ご加入の健康保険組合にお問い合わせください。";

/// The same message as [`Error::message_ja`], for code generic over the member's errors.
impl MessageJa for Error {
    fn message_ja(&self) -> String {
        Error::message_ja(self)
    }
}

impl Error {
    /// The message to show the member, in Japanese: the wrapped error's own message for input
    /// errors, a generic one for failures that are not the member's. (The same as the
    /// [`MessageJa`] impl, here as a method so that it needs no import.)
    ///
    /// ```
    /// use kenpo_auth::Error;
    /// assert_eq!(Error::AuthenticationFailed.message_ja(), "ユーザーIDまたはパスワードが正しくありません。");
    /// ```
    #[must_use]
    pub fn message_ja(&self) -> String {
        match self {
            Self::Form(errors) | Self::Registration(errors) => errors.message_ja(),
            Self::Password(error) => error.message_ja(),
            Self::Email(error) => error.message_ja(),
            Self::UserId(error) => error.message_ja(),
            Self::CodeFormat {
                shape: CodeShape::SixDigits,
            } => "認証番号は6桁の数字で入力してください。".to_owned(),
            Self::CodeFormat { .. } => "認証番号は、メールに記載された英数字12文字（例: K7QM-4TZD-9WHB）を入力してください。".to_owned(),
            Self::IdentityNotConfirmed => "入力された内容では、被保険者ご本人であることを確認できませんでした。\
                保険者指定コード・記号・番号・生年月日・氏名（カナ）をご確認のうえ、もう一度入力してください。"
                .to_owned(),
            Self::TooManyAttempts { retry_after } if is_for_good(*retry_after) => {
                format!("入力の誤りが続いたため、この手続きはご利用いただけません。{HELP_DESK_JA}")
            }
            Self::TooManyAttempts { retry_after } => format!(
                "入力の誤りや手続きが続いたため、一時的にご利用いただけません。{}時間をおいてから、もう一度お試しください。",
                ja::wait(*retry_after)
            ),
            Self::AlreadyRegistered => "この被保険者のユーザーIDは既に登録されています。\
                ユーザーIDをお忘れの場合は、ログイン画面の「ユーザーIDを忘れた方」からご確認ください。"
                .to_owned(),
            Self::UserIdTaken => {
                "このユーザーIDは既に使用されています。別のユーザーIDを入力してください。".to_owned()
            }
            Self::SignupExpired => {
                "手続きの有効期限が切れました。お手数ですが、初回認証からやり直してください。".to_owned()
            }
            Self::CodeMismatch { remaining: 0 } | Self::CodeAttemptsExhausted => {
                "認証番号の入力回数が上限に達したため、この認証番号は無効になりました。\
                 お手数ですが、最初からやり直してください。"
                    .to_owned()
            }
            Self::CodeMismatch { remaining } => {
                format!("認証番号が正しくありません。あと{remaining}回入力できます。")
            }
            Self::CodeExpired => "認証番号の有効期限が切れています。認証番号を再送信してください。".to_owned(),
            Self::ChallengeGone => {
                "この認証番号は使用できません。お手数ですが、最初からやり直してください。".to_owned()
            }
            Self::ResendTooSoon { retry_after } => format!(
                "認証番号を再送信するには、{}秒ほどお待ちください。",
                whole_seconds(*retry_after)
            ),
            Self::ResendLimitReached => "認証番号の再送信回数の上限に達しました。\
                お手数ですが、最初からやり直してください。"
                .to_owned(),
            Self::AuthenticationFailed => "ユーザーIDまたはパスワードが正しくありません。".to_owned(),
            Self::AccountLocked { retry_after } if is_for_good(*retry_after) => format!(
                "ログインに続けて失敗したため、このユーザーIDはご利用いただけません。{HELP_DESK_JA}"
            ),
            Self::AccountLocked { retry_after } => format!(
                "ログインに続けて失敗したため、このユーザーIDは一時的にご利用いただけません。\
                 {}時間をおいてから、もう一度お試しください。",
                ja::wait(*retry_after)
            ),
            Self::LoginSuspended => format!(
                "ログインに続けて失敗したため、このユーザーIDではログインできなくなりました。\
                 「パスワードを忘れた方」からパスワードを再設定してください。\
                 再設定できない場合は、{HELP_DESK_JA}"
            ),
            Self::ResetSuspended => format!(
                "認証番号の入力誤りが続いたため、このユーザーIDのパスワード再設定はご利用いただけません。{HELP_DESK_JA}"
            ),
            Self::AccountNotFound => {
                "このユーザーIDは見つかりませんでした。お手数ですが、もう一度ログインしてください。"
                    .to_owned()
            }
            Self::CoverageEnded => format!(
                "健康保険の資格を喪失されているため、このユーザーIDはご利用いただけません。\
                 資格や手続きについては、{HELP_DESK_JA}"
            ),
            Self::SessionEnded => "ログインの有効期限切れ、またはパスワードの変更などにより、\
                ログアウトしました。お手数ですが、もう一度ログインしてください。"
                .to_owned(),
            Self::Mail(_) => "メールを送信できませんでした。しばらく時間をおいてから、もう一度お試しください。"
                .to_owned(),
            Self::Busy { .. } => {
                "ただいま混み合っています。しばらく時間をおいてから、もう一度お試しください。"
                    .to_owned()
            }
            Self::Hashing(_)
            | Self::Store(_)
            | Self::Randomness(_)
            | Self::Config(_)
            | Self::UnknownTermsVersion => {
                SYSTEM_FAILURE.to_owned()
            }
        }
    }
}

/// What kind of failure an [`Error`] is: a small, stable set that maps one-to-one onto HTTP
/// statuses ([`ErrorKind::status`]), so that a host answers without a match of its own.
///
/// | kind | status | errors |
/// |---|---|---|
/// | [`BadRequest`](Self::BadRequest) | 400 | a code of the wrong shape; terms that do not exist (a host bug) |
/// | [`Unauthorized`](Self::Unauthorized) | 401 | wrong password or unknown user ID, identity not confirmed, wrong code, session ended |
/// | [`Conflict`](Self::Conflict) | 409 | already registered, user ID taken |
/// | [`Gone`](Self::Gone) | 410 | sign-up or code expired, code used up or replaced, resend limit, account gone |
/// | [`Unprocessable`](Self::Unprocessable) | 422 | bad form fields: identity, registration, password, e-mail, user ID |
/// | [`Forbidden`](Self::Forbidden) | 403 | the right password, but the insured person's coverage has ended |
/// | [`Locked`](Self::Locked) | 423 | login locked or suspended, reset codes suspended |
/// | [`TooManyRequests`](Self::TooManyRequests) | 429 | too many attempts, resend too soon |
/// | [`Unavailable`](Self::Unavailable) | 503 | busy, the store or the mailer failed |
/// | [`Internal`](Self::Internal) | 500 | hashing, randomness, configuration |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request cannot be understood as it is (400).
    BadRequest,
    /// The secret or the identity was not right (401).
    Unauthorized,
    /// What the member asks for exists already (409).
    Conflict,
    /// What the request names is no longer usable: start that step again (410).
    Gone,
    /// Some fields are not acceptable; each is named (422).
    Unprocessable,
    /// Who the member is was proven, but they may not use the portal (403).
    Forbidden,
    /// The account is locked or suspended (423).
    Locked,
    /// Too many attempts or requests: wait (429).
    TooManyRequests,
    /// The service is busy or a part of it is down: try later (503).
    Unavailable,
    /// A failure on the service's side (500).
    Internal,
}

impl ErrorKind {
    /// The HTTP status for this kind.
    ///
    /// ```
    /// use kenpo_auth::Error;
    /// assert_eq!(Error::AuthenticationFailed.kind().status(), 401);
    /// ```
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::Unprocessable => 422,
            Self::Forbidden => 403,
            Self::Locked => 423,
            Self::TooManyRequests => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }
}

/// What a host sends the member for an [`Error`]: a stable `code`, the Japanese `message`,
/// the seconds to wait if there is a wait, and one message per bad field, named as the
/// fields of the form structs and parameters (`insurer_code` … `name_kana`, `user_id`,
/// `password`, `email`; `code` and `new_password` for the code screens). The same shape for
/// every form; serialise it as it is.
///
/// ```
/// use kenpo_auth::Error;
/// let body = Error::AuthenticationFailed.body();
/// assert_eq!(
///     serde_json::to_string(&body).unwrap(),
///     r#"{"code":"authentication_failed","message":"ユーザーIDまたはパスワードが正しくありません。"}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// The stable code of the error ([`Error::code`]).
    pub code: &'static str,
    /// The member's message, in Japanese.
    pub message: String,
    /// Seconds to wait before trying again, if there is a wait: rounded up, at least one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// One message per bad field, by the field's name (the forms' names: `user_id`, `password`,
    /// `new_password`, `email`, `code` and the identity form's), so that a page can show each
    /// beside its field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<&'static str, String>,
}

impl Error {
    /// What kind of failure this is; [`ErrorKind::status`] is its HTTP status.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::CodeFormat { .. } | Self::UnknownTermsVersion => ErrorKind::BadRequest,
            Self::AuthenticationFailed
            | Self::IdentityNotConfirmed
            | Self::CodeMismatch { .. }
            | Self::SessionEnded => ErrorKind::Unauthorized,
            Self::AlreadyRegistered | Self::UserIdTaken => ErrorKind::Conflict,
            Self::SignupExpired
            | Self::CodeExpired
            | Self::CodeAttemptsExhausted
            | Self::ChallengeGone
            | Self::ResendLimitReached
            | Self::AccountNotFound => ErrorKind::Gone,
            Self::Form(_)
            | Self::Registration(_)
            | Self::Password(_)
            | Self::Email(_)
            | Self::UserId(_) => ErrorKind::Unprocessable,
            Self::AccountLocked { .. } | Self::LoginSuspended | Self::ResetSuspended => {
                ErrorKind::Locked
            }
            Self::CoverageEnded => ErrorKind::Forbidden,
            Self::TooManyAttempts { .. } | Self::ResendTooSoon { .. } => ErrorKind::TooManyRequests,
            Self::Busy { .. } | Self::Store(_) | Self::Mail(_) => ErrorKind::Unavailable,
            Self::Hashing(_) | Self::Randomness(_) | Self::Config(_) => ErrorKind::Internal,
        }
    }

    /// How long to wait before trying again, when the error says so (the HTTP `Retry-After`).
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyAttempts { retry_after }
            | Self::ResendTooSoon { retry_after }
            | Self::AccountLocked { retry_after }
            | Self::Busy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// A stable snake-case code per variant, for hosts and clients to branch on:
    ///
    /// `form_invalid`, `registration_invalid`, `password_invalid`, `email_invalid`,
    /// `user_id_invalid`, `code_format`, `identity_not_confirmed`, `too_many_attempts`,
    /// `already_registered`, `user_id_taken`, `signup_expired`, `code_mismatch`,
    /// `code_expired`, `code_attempts_exhausted`, `reset_suspended`, `challenge_gone`,
    /// `resend_too_soon`, `resend_limit_reached`, `authentication_failed`, `account_locked`,
    /// `login_suspended`, `account_not_found`, `coverage_ended`, `session_ended`,
    /// `unknown_terms_version`, `hashing_failed`,
    /// `busy`, `config_invalid`, `randomness_failed`, `store_failed`, `mail_failed`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Form(_) => "form_invalid",
            Self::Registration(_) => "registration_invalid",
            Self::Password(_) => "password_invalid",
            Self::Email(_) => "email_invalid",
            Self::UserId(_) => "user_id_invalid",
            Self::CodeFormat { .. } => "code_format",
            Self::IdentityNotConfirmed => "identity_not_confirmed",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::AlreadyRegistered => "already_registered",
            Self::UserIdTaken => "user_id_taken",
            Self::SignupExpired => "signup_expired",
            Self::CodeMismatch { .. } => "code_mismatch",
            Self::CodeExpired => "code_expired",
            Self::CodeAttemptsExhausted => "code_attempts_exhausted",
            Self::ResetSuspended => "reset_suspended",
            Self::ChallengeGone => "challenge_gone",
            Self::ResendTooSoon { .. } => "resend_too_soon",
            Self::ResendLimitReached => "resend_limit_reached",
            Self::AuthenticationFailed => "authentication_failed",
            Self::AccountLocked { .. } => "account_locked",
            Self::LoginSuspended => "login_suspended",
            Self::AccountNotFound => "account_not_found",
            Self::CoverageEnded => "coverage_ended",
            Self::SessionEnded => "session_ended",
            Self::UnknownTermsVersion => "unknown_terms_version",
            Self::Hashing(_) => "hashing_failed",
            Self::Busy { .. } => "busy",
            Self::Config(_) => "config_invalid",
            Self::Randomness(_) => "randomness_failed",
            Self::Store(_) => "store_failed",
            Self::Mail(_) => "mail_failed",
        }
    }

    /// The member-facing body: code, message, wait and per-field messages.
    ///
    /// ```
    /// use kenpo_auth::{Error, IdentityForm, InsuredIdentity};
    /// let error = Error::from(InsuredIdentity::parse(&IdentityForm::default()).unwrap_err());
    /// let body = error.body();
    /// assert_eq!(body.code, "form_invalid");
    /// assert_eq!(body.fields["symbol"], "記号を入力してください。");
    /// assert_eq!(error.kind().status(), 422);
    /// ```
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        let single = |name: &'static str, message: String| BTreeMap::from([(name, message)]);
        let fields = match self {
            Self::Form(errors) | Self::Registration(errors) => errors
                .iter()
                .map(|error| (error.field.as_str(), error.message_ja()))
                .collect(),
            Self::Password(error) => single("new_password", error.message_ja()),
            Self::Email(error) => single("email", error.message_ja()),
            Self::UserId(error) => single("user_id", error.message_ja()),
            Self::UserIdTaken => single("user_id", self.message_ja()),
            Self::CodeFormat { .. } | Self::CodeMismatch { .. } => {
                single("code", self.message_ja())
            }
            _ => BTreeMap::new(),
        };
        ErrorBody {
            code: self.code(),
            message: self.message_ja(),
            retry_after: self.retry_after().map(whole_seconds),
            fields,
        }
    }
}

/// An error serialises as its member-facing [`ErrorBody`].
impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

/// Wraps a host store error.
pub(crate) fn store_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> Error {
    Error::Store(Box::new(error))
}

/// Wraps a host mail error.
pub(crate) fn mail_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> Error {
    Error::Mail(Box::new(error))
}
