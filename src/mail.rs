//! The mails the portal sends, and the [`Mailer`] trait the host implements to send them.
//!
//! Mails are plain Japanese text. A registration-code mail contains exactly one six-digit
//! number, and a reset-code mail exactly one `XXXX-XXXX-XXXX` token: the code, which
//! [`Mail::code`] reads back. The library never sends mail itself; it hands a [`Mail`] to the
//! host's [`Mailer`].

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::branding::Branding;
use crate::email::EmailAddress;
use crate::ja;
use crate::otp::{CodeShape, OtpCode, Purpose};
use crate::user_id::UserId;

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
    /// The code that confirms a new e-mail address, mailed to that address.
    EmailChangeCode,
    /// A notice that the password was changed, to the registered address.
    PasswordChanged,
    /// A notice that the address was changed, to the address it replaced.
    EmailChanged,
}

impl MailKind {
    /// The subject line of mails of this kind, e.g. 【ユーザーID作成用認証番号のお知らせ】.
    ///
    /// ```
    /// use kenpo_auth::MailKind;
    /// assert_eq!(MailKind::RegistrationCode.subject(), "【ユーザーID作成用認証番号のお知らせ】");
    /// ```
    #[must_use]
    pub const fn subject(self) -> &'static str {
        match self {
            Self::RegistrationCode => "【ユーザーID作成用認証番号のお知らせ】",
            Self::PasswordResetCode => "【パスワード再設定用認証番号のお知らせ】",
            Self::UserIdReminder => "【ユーザーIDのお知らせ】",
            Self::EmailChangeCode => "【メールアドレス変更用認証番号のお知らせ】",
            Self::PasswordChanged => "【パスワード変更のお知らせ】",
            Self::EmailChanged => "【メールアドレス変更のお知らせ】",
        }
    }
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
    /// The sender line the union configured ([`Branding::sender`]), for the host's `From:`;
    /// `None` for the host's default.
    pub sender: Option<String>,
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("body", &"[REDACTED]")
            .field("kind", &self.kind)
            .field("sender", &self.sender)
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
            MailKind::RegistrationCode | MailKind::EmailChangeCode => self
                .body
                .split(|c: char| !c.is_ascii_digit())
                .filter(|run| run.len() == 6)
                .collect(),
            MailKind::PasswordResetCode => self
                .body
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|token| is_reset_code_token(token))
                .collect(),
            MailKind::UserIdReminder | MailKind::PasswordChanged | MailKind::EmailChanged => {
                Vec::new()
            }
        };
        match candidates.as_slice() {
            [code] => Some((*code).to_owned()),
            _ => None,
        }
    }

    /// The mail that carries `code` for `purpose`, valid for `validity`: completing a user-ID
    /// registration, allowing a password reset, or confirming a new address (sent to that
    /// address).
    #[must_use]
    pub(crate) fn code_mail(
        purpose: Purpose,
        to: EmailAddress,
        code: &OtpCode,
        validity: Duration,
        branding: &Branding,
    ) -> Self {
        let (kind, what_for, how_to_use, if_not_you): (_, _, &[&str], &[&str]) = match purpose {
            Purpose::Registration => (
                MailKind::RegistrationCode,
                "ユーザーID作成用",
                &[
                    "ユーザーID登録画面に認証番号を入力して、登録を完了してください。",
                    "有効期限を過ぎた場合は、画面から認証番号を再送信してください。",
                ],
                &[
                    "お心当たりのない場合は、どなたかがメールアドレスを誤って入力した可能性があります。",
                    "このメールは破棄してください。認証番号が入力されない限り、ユーザーIDは作成されません。",
                ],
            ),
            Purpose::PasswordReset => (
                MailKind::PasswordResetCode,
                "パスワード再設定用",
                &[
                    "パスワード再設定画面に認証番号と新しいパスワードを入力してください。",
                    "認証番号は、ハイフン（-）を除いても、小文字で入力しても構いません。",
                ],
                &[
                    "お心当たりのない場合は、このメールを破棄してください。",
                    "認証番号が入力されない限り、パスワードは変更されません。",
                ],
            ),
            Purpose::EmailChange => (
                MailKind::EmailChangeCode,
                "メールアドレス変更用",
                &["メールアドレス変更画面に認証番号を入力して、変更を完了してください。"],
                &[
                    "お心当たりのない場合は、どなたかがメールアドレスを誤って入力した可能性があります。",
                    "このメールは破棄してください。認証番号が入力されない限り、変更されません。",
                ],
            ),
        };
        let minutes = ja::minutes(validity);
        let valid_for = format!("この認証番号の有効期限は、発行から{minutes}分間です。");
        let instructions: Vec<&str> = [valid_for.as_str()]
            .into_iter()
            .chain(how_to_use.iter().copied())
            .collect();
        Self::compose(
            kind,
            to,
            branding,
            &format!("{what_for}の認証番号をお知らせします。"),
            ("認証番号", &code.display()),
            &instructions,
            if_not_you,
        )
    }

    /// The mail that tells a member their user ID.
    #[must_use]
    pub(crate) fn user_id_reminder(
        to: EmailAddress,
        user_id: &UserId,
        branding: &Branding,
    ) -> Self {
        Self::compose(
            MailKind::UserIdReminder,
            to,
            branding,
            "ご登録のユーザーIDをお知らせします。",
            ("ユーザーID", user_id.as_str()),
            &[
                "ログイン画面でこのユーザーIDとパスワードを入力してください。",
                "パスワードをお忘れの場合は、ログイン画面の「パスワードを忘れた方」から再設定できます。",
            ],
            &["お心当たりのない場合は、このメールを破棄してください。"],
        )
    }

    /// The notice that the password of `user_id` was changed.
    #[must_use]
    pub(crate) fn password_changed(
        to: EmailAddress,
        user_id: &UserId,
        branding: &Branding,
    ) -> Self {
        Self::compose(
            MailKind::PasswordChanged,
            to,
            branding,
            "ご登録のユーザーIDのパスワードが変更されました。",
            ("ユーザーID", user_id.as_str()),
            &["ご本人による変更であれば、このメールへの対応は不要です。"],
            &[
                "お心当たりのない場合は、第三者に利用されているおそれがあります。",
                "ログイン画面の「パスワードを忘れた方」からパスワードを再設定し、ご加入の健康保険組合にご連絡ください。",
            ],
        )
    }

    /// The notice, to the address replaced, that the address of `user_id` was changed.
    #[must_use]
    pub(crate) fn email_changed(to: EmailAddress, user_id: &UserId, branding: &Branding) -> Self {
        Self::compose(
            MailKind::EmailChanged,
            to,
            branding,
            "ご登録のユーザーIDのメールアドレスが変更されました。今後のお知らせは新しいメールアドレスにお送りします。",
            ("ユーザーID", user_id.as_str()),
            &["ご本人による変更であれば、このメールへの対応は不要です。"],
            &[
                "お心当たりのない場合は、第三者に利用されているおそれがあります。",
                "至急、ご加入の健康保険組合にご連絡ください。",
            ],
        )
    }

    /// Every mail has one shape: what it is, the one item it carries (`label：value`), what to
    /// do with it, what to do if the member did not ask for it, the send-only notice, and the
    /// union's signature when it has one.
    #[allow(clippy::too_many_arguments)] // one per part of the shape above
    fn compose(
        kind: MailKind,
        to: EmailAddress,
        branding: &Branding,
        lead: &str,
        (label, value): (&str, &str),
        instructions: &[&str],
        if_not_you: &[&str],
    ) -> Self {
        let mut body = format!("{lead}\n\n{label}：{value}\n\n");
        for paragraph in [instructions, if_not_you, &[SEND_ONLY_NOTICE]] {
            for line in paragraph {
                body.push_str(line);
                body.push('\n');
            }
            body.push('\n');
        }
        if let Some(signature) = branding.signature() {
            body.push_str(&signature);
            body.push('\n');
        } else {
            body.pop();
        }
        Self {
            to,
            subject: kind.subject().to_owned(),
            body,
            kind,
            sender: branding.sender.clone(),
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
                CodeShape::RESET_ALPHABET.contains(byte)
            }
        })
}
