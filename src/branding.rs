//! How each union appears in its members' mails: its name, the sender line, the portal's
//! addresses and the help desk, per insurer code with a default for the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One union's branding. Every field is optional; a mail shows what is set, in a signature
/// block after the body, and the default (nothing set) keeps the plain text.
///
/// Each value is one line of text. [`Config::check`](crate::Config::check) refuses control
/// characters (a line break in the sender would forge mail headers), addresses that are not
/// `https://` or `http://`, and anything that would put a second code-like number into a code
/// mail (a phone number or a date written as six digits in a row).
///
/// ```
/// use kenpo_auth::Branding;
/// let kenpo = Branding {
///     union_name: Some("ケンポ健康保険組合".into()),
///     sender: Some("ケンポ健康保険組合 <noreply@kenpo.example.jp>".into()),
///     login_url: Some("https://portal.kenpo.example.jp/login".into()),
///     first_login_url: Some("https://portal.kenpo.example.jp/first".into()),
///     help_desk_phone: Some("0120-12-3456".into()),
///     help_desk_hours: Some("平日 9:00～17:00".into()),
/// };
/// assert!(kenpo.signature().unwrap().contains("0120-12-3456"));
/// assert_eq!(Branding::default().signature(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    /// The union's name (e.g. ケンポ健康保険組合), first line of the signature.
    pub union_name: Option<String>,
    /// The sender line for the host's mailer (`From:`), e.g.
    /// `ケンポ健康保険組合 <noreply@kenpo.example.jp>`; carried as [`Mail::sender`](crate::Mail::sender).
    pub sender: Option<String>,
    /// The portal's login page.
    pub login_url: Option<String>,
    /// The portal's first-login (初回登録) page.
    pub first_login_url: Option<String>,
    /// The help desk's telephone number.
    pub help_desk_phone: Option<String>,
    /// When the help desk answers (e.g. 平日 9:00～17:00).
    pub help_desk_hours: Option<String>,
}

impl Branding {
    /// The signature block mails end with, or `None` when nothing is set.
    #[must_use]
    pub fn signature(&self) -> Option<String> {
        let mut lines = Vec::new();
        if let Some(name) = &self.union_name {
            lines.push(name.clone());
        }
        if let Some(url) = &self.login_url {
            lines.push(format!("ログイン：{url}"));
        }
        if let Some(url) = &self.first_login_url {
            lines.push(format!("初回登録：{url}"));
        }
        match (&self.help_desk_phone, &self.help_desk_hours) {
            (Some(phone), Some(hours)) => lines.push(format!("お問い合わせ：{phone}（{hours}）")),
            (Some(phone), None) => lines.push(format!("お問い合わせ：{phone}")),
            (None, Some(hours)) => lines.push(format!("お問い合わせ受付：{hours}")),
            (None, None) => {}
        }
        if lines.is_empty() {
            return None;
        }
        Some(format!("――――――――――\n{}", lines.join("\n")))
    }

    /// The fields by name, for checks and messages.
    pub(crate) fn fields(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("union_name", self.union_name.as_deref()),
            ("sender", self.sender.as_deref()),
            ("login_url", self.login_url.as_deref()),
            ("first_login_url", self.first_login_url.as_deref()),
            ("help_desk_phone", self.help_desk_phone.as_deref()),
            ("help_desk_hours", self.help_desk_hours.as_deref()),
        ]
    }
}

/// The branding of every union a deployment serves: one per insurer code (保険者指定コード,
/// normalised: half-width, upper-case), and a default for the rest.
///
/// In a configuration file:
///
/// ```toml
/// [branding.default]
/// help_desk_phone = "03-1234-5678"
///
/// [branding.insurers.06139999]
/// union_name = "ケンポ健康保険組合"
/// login_url = "https://portal.kenpo.example.jp/login"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Brandings {
    /// For insurers not listed.
    pub default: Branding,
    /// By insurer code.
    pub insurers: BTreeMap<String, Branding>,
}

impl Brandings {
    /// The branding of `insurer_code`'s members.
    ///
    /// ```
    /// use kenpo_auth::{Branding, Brandings};
    /// let mut brandings = Brandings::default();
    /// brandings.insurers.insert("06139999".into(), Branding { union_name: Some("ケンポ健保".into()), ..Branding::default() });
    /// assert_eq!(brandings.for_insurer("06139999").union_name.as_deref(), Some("ケンポ健保"));
    /// assert_eq!(brandings.for_insurer("01234567"), &Branding::default());
    /// ```
    #[must_use]
    pub fn for_insurer(&self, insurer_code: &str) -> &Branding {
        self.insurers.get(insurer_code).unwrap_or(&self.default)
    }

    /// Every branding with the insurer it is for (`None` for the default).
    pub(crate) fn all(&self) -> impl Iterator<Item = (Option<&str>, &Branding)> {
        std::iter::once((None, &self.default)).chain(
            self.insurers
                .iter()
                .map(|(code, b)| (Some(code.as_str()), b)),
        )
    }
}
