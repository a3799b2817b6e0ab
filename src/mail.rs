//! The mails the portal sends, and the [`Mailer`] trait the host implements to send them.
//!
//! Mails are plain Japanese text. A registration-code mail contains exactly one six-digit
//! number, and a reset-code mail exactly one `XXXX-XXXX-XXXX` token: the code, which
//! [`Mail::code`] reads back. The library never sends mail itself; it hands a [`Mail`] to the
//! host's [`Mailer`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::email::EmailAddress;
use crate::otp::{OtpCode, RESET_ALPHABET};
use crate::user_id::UserId;

/// Subject of the registration-code mail.
pub const REGISTRATION_SUBJECT: &str = "【ユーザーID作成用認証番号のお知らせ】";
/// Subject of the password-reset-code mail.
pub const PASSWORD_RESET_SUBJECT: &str = "【パスワード再設定用認証番号のお知らせ】";
/// Subject of the user-ID reminder.
pub const USER_ID_REMINDER_SUBJECT: &str = "【ユーザーIDのお知らせ】";

/// What a mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailKind {
    /// The code that completes a user-ID registration.
    RegistrationCode,
    /// The code that allows a password reset.
    PasswordResetCode,
    /// The user ID, mailed to the registered address.
    UserIdReminder,
}

/// A plain-text mail for the host to send. `Debug` hides the body, which may hold a code.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mail {
    /// The recipient.
    pub to: EmailAddress,
    /// The subject line.
    pub subject: String,
    /// The plain-text body (UTF-8, `\n` line ends).
    pub body: String,
    /// What the mail is for.
    pub kind: MailKind,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("body", &"[REDACTED]")
            .field("kind", &self.kind)
            .finish()
    }
}

/// Sends mail. Implemented by the host (SMTP, a mail API, a queue).
///
/// The portal awaits `send` inside its flows. Sending synchronously through a slow server makes
/// the flows that mail slower than those that do not (a password reset for an unknown user ID
/// sends nothing), so a host should hand the mail to a queue and return.
///
/// ```
/// use std::convert::Infallible;
/// use kenpo_auth::{Mail, Mailer};
///
/// struct PrintingMailer;
///
/// impl Mailer for PrintingMailer {
///     type Error = Infallible;
///     async fn send(&self, mail: Mail) -> Result<(), Infallible> {
///         println!("To: {}\nSubject: {}\n\n{}", mail.to, mail.subject, mail.body);
///         Ok(())
///     }
/// }
/// ```
pub trait Mailer: Send + Sync {
    /// The host's sending failure.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Sends (or durably enqueues) one mail.
    fn send(&self, mail: Mail) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

fn minutes(validity: Duration) -> u64 {
    validity.as_secs().div_ceil(60)
}

const SEND_ONLY_NOTICE: &str = "※このメールは送信専用のアドレスからお送りしています。\
このメールに返信されてもお答えできませんので、ご了承ください。";

impl Mail {
    /// The code this mail carries, as the member would type it: the one six-digit number of a
    /// registration-code mail, or the one `XXXX-XXXX-XXXX` token of a reset-code mail.
    /// `None` for a mail without a code, or with more than one candidate.
    ///
    /// For tests and development mailers; a host never needs to read codes.
    #[must_use]
    pub fn code(&self) -> Option<String> {
        let candidates: Vec<&str> = match self.kind {
            MailKind::RegistrationCode => self
                .body
                .split(|c: char| !c.is_ascii_digit())
                .filter(|run| run.len() == 6)
                .collect(),
            MailKind::PasswordResetCode => self
                .body
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|token| is_reset_code_token(token))
                .collect(),
            MailKind::UserIdReminder => Vec::new(),
        };
        match candidates.as_slice() {
            [code] => Some((*code).to_owned()),
            _ => None,
        }
    }

    /// The mail that carries the code completing a user-ID registration.
    #[must_use]
    pub(crate) fn registration_code(to: EmailAddress, code: &OtpCode, validity: Duration) -> Self {
        let body = format!(
            "ユーザーID作成用の認証番号をお知らせします。\n\
             \n\
             認証番号：{code}\n\
             \n\
             この認証番号の有効期限は、発行から{minutes}分間です。\n\
             ユーザーID登録画面に認証番号を入力して、登録を完了してください。\n\
             有効期限を過ぎた場合は、画面から認証番号を再送信してください。\n\
             \n\
             お心当たりのない場合は、どなたかがメールアドレスを誤って入力した可能性があります。\n\
             このメールは破棄してください。認証番号が入力されない限り、ユーザーIDは作成されません。\n\
             \n\
             {SEND_ONLY_NOTICE}\n",
            code = code.as_str(),
            minutes = minutes(validity),
        );
        Self {
            to,
            subject: REGISTRATION_SUBJECT.to_owned(),
            body,
            kind: MailKind::RegistrationCode,
        }
    }

    /// The mail that carries the code allowing a password reset.
    #[must_use]
    pub(crate) fn password_reset_code(
        to: EmailAddress,
        code: &OtpCode,
        validity: Duration,
    ) -> Self {
        let body = format!(
            "パスワード再設定用の認証番号をお知らせします。\n\
             \n\
             認証番号：{code}\n\
             \n\
             この認証番号の有効期限は、発行から{minutes}分間です。\n\
             パスワード再設定画面に認証番号と新しいパスワードを入力してください。\n\
             認証番号は、ハイフン（-）を除いても、小文字で入力しても構いません。\n\
             \n\
             お心当たりのない場合は、このメールを破棄してください。\n\
             認証番号が入力されない限り、パスワードは変更されません。\n\
             \n\
             {SEND_ONLY_NOTICE}\n",
            code = code.display(),
            minutes = minutes(validity),
        );
        Self {
            to,
            subject: PASSWORD_RESET_SUBJECT.to_owned(),
            body,
            kind: MailKind::PasswordResetCode,
        }
    }

    /// The mail that tells a member their user ID.
    #[must_use]
    pub(crate) fn user_id_reminder(to: EmailAddress, user_id: &UserId) -> Self {
        let body = format!(
            "ご登録のユーザーIDをお知らせします。\n\
             \n\
             ユーザーID：{user_id}\n\
             \n\
             ログイン画面でこのユーザーIDとパスワードを入力してください。\n\
             パスワードをお忘れの場合は、ログイン画面の「パスワードを忘れた方」から再設定できます。\n\
             \n\
             お心当たりのない場合は、このメールを破棄してください。\n\
             \n\
             {SEND_ONLY_NOTICE}\n",
            user_id = user_id.as_str(),
        );
        Self {
            to,
            subject: USER_ID_REMINDER_SUBJECT.to_owned(),
            body,
            kind: MailKind::UserIdReminder,
        }
    }
}

/// Whether `token` is `XXXX-XXXX-XXXX` over the reset alphabet.
fn is_reset_code_token(token: &str) -> bool {
    let bytes = token.as_bytes();
    bytes.len() == 14
        && bytes.iter().enumerate().all(|(index, byte)| {
            if index == 4 || index == 9 {
                *byte == b'-'
            } else {
                RESET_ALPHABET.contains(byte)
            }
        })
}
