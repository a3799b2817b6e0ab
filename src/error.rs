//! The portal's [`Error`], with an English `Display` for logs and [`Error::message_ja`] for the
//! member.

use std::time::Duration;

use crate::config::ConfigError;
use crate::email::EmailError;
use crate::hashing::HashError;
use crate::identity::FormErrors;
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
    /// The registration form has bad fields (every one is listed).
    #[error("registration form: {0}")]
    Registration(#[from] RegistrationErrors),
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
    /// The host asked to record consent to terms newer than [`Config::terms_version`](crate::Config::terms_version).
    #[error("unknown terms version")]
    UnknownTermsVersion,
    /// Password hashing failed (bad parameters or a malformed stored hash).
    #[error("password hashing: {0}")]
    Hashing(#[from] HashError),
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

/// How long to wait, in the member's words: 「5分ほど」「3時間ほど」「2日ほど」. A wait of more
/// than a month means "until the help desk acts".
fn wait_ja(wait: Duration) -> String {
    const HOUR: u64 = 60 * 60;
    const DAY: u64 = 24 * HOUR;
    let secs = wait.as_secs();
    if secs <= HOUR {
        format!("{}分ほど", secs.div_ceil(60).max(1))
    } else if secs <= 2 * DAY {
        format!("{}時間ほど", secs.div_ceil(HOUR))
    } else {
        format!("{}日ほど", secs.div_ceil(DAY))
    }
}

/// A lock is "for good" when it outlasts any wait worth telling a member about.
fn is_for_good(wait: Duration) -> bool {
    wait > Duration::from_secs(31 * 24 * 60 * 60)
}

const HELP_DESK_JA: &str = "お手数ですが、ご加入の健康保険組合にお問い合わせください。";

const SYSTEM_ERROR_JA: &str =
    "ただいまシステムで障害が発生しています。しばらく時間をおいてから、もう一度お試しください。";

impl Error {
    /// The message to show the member, in Japanese.
    ///
    /// ```
    /// use kenpo_auth::Error;
    /// assert_eq!(Error::AuthenticationFailed.message_ja(), "ユーザーIDまたはパスワードが正しくありません。");
    /// ```
    #[must_use]
    pub fn message_ja(&self) -> String {
        match self {
            Self::Form(errors) => errors.message_ja(),
            Self::Registration(errors) => errors.message_ja(),
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
                wait_ja(*retry_after)
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
                format!("認証番号が正しくありません。（あと{remaining}回入力できます）")
            }
            Self::CodeExpired => "認証番号の有効期限が切れています。認証番号を再送信してください。".to_owned(),
            Self::ChallengeGone => {
                "この認証番号は使用できません。お手数ですが、最初からやり直してください。".to_owned()
            }
            Self::ResendTooSoon { retry_after } => format!(
                "認証番号を再送信するには、{}秒ほどお待ちください。",
                retry_after.as_secs().max(1)
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
                wait_ja(*retry_after)
            ),
            Self::LoginSuspended => format!(
                "ログインに続けて失敗したため、このユーザーIDではログインできなくなりました。\
                 「パスワードを忘れた方」からパスワードを再設定してください。\
                 再設定できない場合は、{HELP_DESK_JA}"
            ),
            Self::ResetSuspended => format!(
                "認証番号の入力誤りが続いたため、このユーザーIDのパスワード再設定はご利用いただけません。{HELP_DESK_JA}"
            ),
            Self::AccountNotFound | Self::UnknownTermsVersion => {
                "お手数ですが、もう一度ログインしてください。".to_owned()
            }
            Self::Mail(_) => "メールを送信できませんでした。しばらく時間をおいてから、もう一度お試しください。"
                .to_owned(),
            Self::Hashing(_) | Self::Store(_) | Self::Randomness(_) | Self::Config(_) => {
                SYSTEM_ERROR_JA.to_owned()
            }
        }
    }
}

/// Every bad field of a registration form ([`RegistrationForm`](crate::RegistrationForm)).
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct RegistrationErrors {
    /// The user ID's problem, if any.
    pub user_id: Option<UserIdError>,
    /// The password's problems, if any.
    pub password: Option<PasswordError>,
    /// The e-mail address's problem, if any.
    pub email: Option<EmailError>,
}

impl RegistrationErrors {
    /// Whether no field has a problem.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.user_id.is_none() && self.password.is_none() && self.email.is_none()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = &self.user_id {
            parts.push(format!("user ID: {e}"));
        }
        if let Some(e) = &self.password {
            parts.push(format!("password: {e}"));
        }
        if let Some(e) = &self.email {
            parts.push(format!("e-mail: {e}"));
        }
        parts.join("; ")
    }

    /// One Japanese line per bad field, in the form's order.
    #[must_use]
    pub fn message_ja(&self) -> String {
        let mut lines = Vec::new();
        if let Some(e) = &self.user_id {
            lines.push(e.message_ja());
        }
        if let Some(e) = &self.password {
            lines.push(e.message_ja());
        }
        if let Some(e) = &self.email {
            lines.push(e.message_ja());
        }
        lines.join("\n")
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
