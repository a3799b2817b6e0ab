//! E-mail addresses the portal accepts: [`EmailAddress`].

use crate::ja::{MessageJa, show_char};
use crate::text::validated_str;

/// Top-level domains that cannot receive mail on the Internet: RFC 6761 (`test`, `example`,
/// `invalid`, `localhost`), RFC 6762 (`local`), RFC 7686 (`onion`), and `arpa`, which is
/// infrastructure. Lower case; compared ignoring ASCII case.
const SPECIAL_USE_TLDS: [&str; 7] = [
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "onion",
    "arpa",
];

/// Which of the checks that [`EmailAddress::parse`] makes a host relaxes, for
/// [`EmailAddress::parse_with`].
///
/// The default, [`EmailRules::new`], relaxes nothing: `parse_with(input, EmailRules::new())` is
/// `parse(input)`. The fields are public to read and to set; the struct is `#[non_exhaustive]`
/// so that options can be added, so it is built with [`EmailRules::new`] (or `Default`) and the
/// `with_*` methods, which are `const`:
///
/// ```
/// use kenpo_auth::{EmailAddress, EmailRules};
///
/// const RULES: EmailRules = EmailRules::new().with_legacy_dots(true).with_quoted(true);
/// assert!(RULES.allow_quoted && RULES.allow_legacy_dots);
/// assert!(EmailAddress::parse_with("\"ab..cd\"@docomo.ne.jp", RULES).is_ok());
/// assert!(EmailAddress::parse_with("ab..cd@docomo.ne.jp", RULES).is_ok());
///
/// let mut rules = EmailRules::default();
/// rules.allow_quoted = true;
/// assert_eq!(rules, EmailRules::new().with_quoted(true));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EmailRules {
    /// Accept a local part whose only fault is a dot first, last or doubled (the legacy carrier
    /// addresses, [`EmailError::DotAtom`]). Off by default.
    pub allow_legacy_dots: bool,
    /// Accept a quoted local part (`"john doe"@example.jp`, [`EmailError::QuotedLocalPart`]).
    /// Off by default: quoted local parts are the shape used to confuse mail software.
    pub allow_quoted: bool,
}

impl EmailRules {
    /// The strict rules of [`EmailAddress::parse`]: nothing relaxed. The same as `Default`.
    ///
    /// ```
    /// use kenpo_auth::EmailRules;
    /// assert_eq!(EmailRules::new(), EmailRules::default());
    /// assert!(!EmailRules::new().allow_quoted);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            allow_legacy_dots: false,
            allow_quoted: false,
        }
    }

    /// These rules with [`allow_legacy_dots`](Self::allow_legacy_dots) set to `allow`.
    ///
    /// ```
    /// use kenpo_auth::{EmailAddress, EmailRules};
    /// let rules = EmailRules::new().with_legacy_dots(true);
    /// assert!(EmailAddress::parse_with("ab..cd@docomo.ne.jp", rules).is_ok());
    /// ```
    #[must_use]
    pub const fn with_legacy_dots(mut self, allow: bool) -> Self {
        self.allow_legacy_dots = allow;
        self
    }

    /// These rules with [`allow_quoted`](Self::allow_quoted) set to `allow`.
    ///
    /// ```
    /// use kenpo_auth::{EmailAddress, EmailRules};
    /// let rules = EmailRules::new().with_quoted(true);
    /// assert!(EmailAddress::parse_with("\"john doe\"@example.jp", rules).is_ok());
    /// ```
    #[must_use]
    pub const fn with_quoted(mut self, allow: bool) -> Self {
        self.allow_quoted = allow;
        self
    }

    /// What reading a stored address back uses (serde, the SQLite store): every relaxation, so
    /// that an address a host accepted under relaxed rules still reads.
    pub(crate) const STORED: Self = Self::new().with_legacy_dots(true).with_quoted(true);
}

/// E-mail addresses: what the portal accepts as a place to mail codes to.
///
/// An address is `local-part@domain`, at most 254 octets in all:
///
/// - the local part is an RFC 5322 dot-atom (`A–Z a–z 0–9` and ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``
///   in dot-separated runs) of at most 64 octets;
/// - the domain is dot-separated labels of letters, digits and inner hyphens (1–63 each), with
///   at least two labels. Address literals (`[192.0.2.1]`) and non-ASCII (internationalised)
///   addresses are refused; a host may convert an IDN domain to its `xn--` form first.
///
/// The domain must also be one that mail can reach:
///
/// - the top-level domain is ASCII letters (at least two) or an `xn--` label
///   ([`EmailError::InvalidTld`]): `user@host.tld-2` and `user@192.0.2.1` are refused;
/// - every `xn--` label (any case) is a valid IDNA A-label: Punycode that decodes, to Unicode
///   that UTS #46 (non-transitional, STD3 rules, hyphen checks, joiners and the Bidi rule) accepts
///   as it stands, checked with the `idna` crate ([`EmailError::InvalidIdna`]);
/// - no other label has `--` in its third and fourth positions: RFC 5891 §4.2.3.1 reserves that
///   for future encodings ([`EmailError::ReservedHyphens`]);
/// - the top-level domain, in any case, is not one reserved for special use: `test`, `example`,
///   `invalid`, `localhost` (RFC 6761), `local` (RFC 6762), `onion` (RFC 7686) or `arpa`
///   (infrastructure) ([`EmailError::SpecialUseDomain`]). Only the last label counts:
///   `example.com` and `example.co.jp` are ordinary domains.
///
/// **Quoted local parts** (`"john doe"@example.jp`, RFC 5322 quoted strings of printable ASCII
/// with `\` escapes) are valid RFC 5322 but are refused by default with their own error,
/// [`EmailError::QuotedLocalPart`]: `"victim@example.com,attacker"@evil.example` is the shape
/// used to make one program read a different address from another. A host that must accept them
/// passes [`EmailRules`] to [`EmailAddress::parse_with`].
///
/// Display names (`Taro <taro@example.jp>`), missing parts, spaces and a second `@` are errors.
/// Nothing is trimmed or case-folded: [`EmailAddress::as_str`] is the input.
///
/// **Legacy carrier addresses.** Japanese mobile carriers once issued addresses whose local part
/// breaks dot-atom: a dot first or last, or two in a row (`ab..cd@docomo.ne.jp`). Mail to them
/// may never arrive, so they get their own error, [`EmailError::DotAtom`], whose Japanese
/// message carries the manual's warning. [`EmailError::is_dot_atom_warning`] tells a host it is
/// the only problem, and [`EmailAddress::parse_allowing_legacy_dots`] accepts such an address
/// for a host that chooses to warn rather than refuse. No mail is ever sent from here.
///
/// [`EmailError::DotAtom`] and [`EmailError::QuotedLocalPart`] are returned only when nothing
/// else is wrong with the address, so each means "valid but for this".
///
/// ```
/// use kenpo_auth::{EmailAddress, EmailError, EmailRules, MessageJa};
///
/// let email = EmailAddress::parse("taro.kenpo@example.co.jp")?;
/// assert_eq!(email.local_part(), "taro.kenpo");
/// assert_eq!(email.domain(), "example.co.jp");
///
/// let err = EmailAddress::parse("ab..cd@docomo.ne.jp").unwrap_err();
/// assert!(err.is_dot_atom_warning());
/// assert!(err.message_ja().contains("届かない"));
/// assert!(EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo.ne.jp").is_ok());
///
/// assert_eq!(EmailAddress::parse("taro@mail.test"), Err(EmailError::SpecialUseDomain));
/// assert_eq!(
///     EmailAddress::parse("\"john doe\"@example.jp"),
///     Err(EmailError::QuotedLocalPart)
/// );
/// let rules = EmailRules::new().with_quoted(true);
/// assert!(EmailAddress::parse_with("\"john doe\"@example.jp", rules).is_ok());
/// # Ok::<(), EmailError>(())
/// ```
///
/// A validated e-mail address.
///
/// Equality and hashing are on the address as typed. Serialises as a plain string and
/// deserialises through [`EmailAddress::parse_with`], accepting legacy dots and quoted local
/// parts so that a stored address reads back.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct EmailAddress {
    value: String,
    /// Byte index of the `@` that separates local part and domain.
    at: usize,
}

/// Where a legacy local part breaks dot-atom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DotProblem {
    /// The local part starts with a dot.
    Leading,
    /// The local part ends with a dot.
    Trailing,
    /// Two or more dots in a row.
    Consecutive,
}

/// Why a string is not an acceptable e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Nothing was entered.
    #[error("e-mail address is empty")]
    Empty,
    /// A display name or angle brackets (`Taro <taro@example.jp>`).
    #[error("e-mail address has a display name or angle brackets")]
    DisplayName,
    /// A character not allowed where it stands (non-ASCII, a space, a control character, or a
    /// symbol outside the dot-atom or domain alphabet); the first one found.
    #[error("e-mail address contains a character that is not allowed ({}) at position {position}", show_char(*ch))]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its position, counted in characters from 1.
        position: usize,
    },
    /// More than [`EmailAddress::MAX_LEN`] octets.
    #[error("e-mail address is longer than {max} octets")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// No `@`.
    #[error("e-mail address has no @")]
    MissingAt,
    /// More than one `@` outside a quoted local part.
    #[error("e-mail address has more than one @")]
    MultipleAt,
    /// Nothing before the `@`.
    #[error("e-mail address has no local part before the @")]
    EmptyLocalPart,
    /// Nothing after the `@`.
    #[error("e-mail address has no domain after the @")]
    EmptyDomain,
    /// A local part longer than [`EmailAddress::MAX_LOCAL_LEN`] octets.
    #[error("e-mail local part is longer than {max} octets")]
    LocalPartTooLong {
        /// The maximum.
        max: usize,
    },
    /// A quoted local part without its closing quote, or with a dangling `\`.
    #[error("e-mail quoted local part is not terminated")]
    UnterminatedQuote,
    /// Something other than `@` right after a quoted local part.
    #[error("e-mail quoted local part is not followed by @")]
    TextAfterQuote,
    /// An empty domain label: a leading, trailing or doubled dot in the domain.
    #[error("e-mail domain has an empty label")]
    EmptyLabel,
    /// A domain label longer than [`EmailAddress::MAX_LABEL_LEN`] octets.
    #[error("e-mail domain has a label longer than {max} octets")]
    LabelTooLong {
        /// The maximum.
        max: usize,
    },
    /// A domain label starting or ending with `-`.
    #[error("e-mail domain label starts or ends with a hyphen")]
    LabelHyphen,
    /// A domain without a dot, hence without a top-level domain.
    #[error("e-mail domain has no top-level domain")]
    MissingTld,
    /// A top-level domain that is neither ASCII letters (at least two) nor an `xn--` label:
    /// digits (`192.0.2.1`), a hyphen (`tld-2`) or a single letter.
    #[error("e-mail top-level domain is not valid")]
    InvalidTld,
    /// A domain label with `--` in its third and fourth positions that does not start with
    /// `xn` (`ab--cd.example.jp`): RFC 5891 §4.2.3.1 reserves that shape.
    #[error(
        "e-mail domain has a label with \"--\" in the third and fourth positions that is not xn--"
    )]
    ReservedHyphens,
    /// An `xn--` label that is not a valid IDNA A-label: Punycode that does not decode, or
    /// decodes to something IDNA (UTS #46, through the `idna` crate) does not allow.
    #[error("e-mail domain has an xn-- label that is not valid IDNA")]
    InvalidIdna,
    /// A top-level domain reserved for special use, which cannot receive mail: `test`,
    /// `example`, `invalid`, `localhost`, `local`, `onion` or `arpa`, in any case.
    #[error("e-mail domain is a special-use or reserved name that cannot receive mail")]
    SpecialUseDomain,
    /// A quoted local part (`"john doe"@example.jp`); everything else about the address is
    /// valid. Refused unless [`EmailRules::allow_quoted`] is set.
    #[error("e-mail local part is quoted, which is not accepted")]
    QuotedLocalPart,
    /// The local part has a dot first, last or doubled (legacy mobile-carrier addresses);
    /// everything else about the address is valid. Mail to it may never arrive.
    #[error(
        "e-mail local part is not an RFC 5322 dot-atom ({problem:?} dot at position {position}); mail may not arrive"
    )]
    DotAtom {
        /// Which rule the dots break (the first found).
        problem: DotProblem,
        /// Position of the offending dot (the first of a doubled pair), counted in characters
        /// from 1.
        position: usize,
    },
}

impl EmailError {
    /// Whether this is the legacy-carrier case only ([`EmailError::DotAtom`]): the address is
    /// otherwise valid, so a host may warn the member instead of refusing (and then use
    /// [`EmailAddress::parse_allowing_legacy_dots`]).
    #[must_use]
    pub fn is_dot_atom_warning(&self) -> bool {
        matches!(self, Self::DotAtom { .. })
    }
}

/// A Japanese message for the member.
impl MessageJa for EmailError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "メールアドレスを入力してください。".to_owned(),
            Self::DisplayName => {
                "メールアドレスのみを入力してください（名前や < > は不要です）。".to_owned()
            }
            Self::InvalidChar { ch, position } => {
                let shown = show_char(*ch);
                if ch.is_whitespace() {
                    format!("メールアドレスに空白（{position}文字目）は使えません。")
                } else if matches!(ch, '\u{FF01}'..='\u{FF5E}') {
                    format!(
                        "メールアドレスの{position}文字目「{shown}」は全角です。半角で入力してください。"
                    )
                } else {
                    format!("メールアドレスの{position}文字目「{shown}」は使えません。")
                }
            }
            Self::TooLong { max } => {
                format!("メールアドレスは{max}文字以内で入力してください。")
            }
            Self::MissingAt => "メールアドレスに「@」がありません。".to_owned(),
            Self::MultipleAt => "メールアドレスに「@」が2つ以上あります。".to_owned(),
            Self::EmptyLocalPart => "メールアドレスの「@」の前が空です。".to_owned(),
            Self::EmptyDomain => "メールアドレスの「@」の後ろ（ドメイン）が空です。".to_owned(),
            Self::LocalPartTooLong { max } => {
                format!("メールアドレスの「@」の前は{max}文字以内にしてください。")
            }
            Self::UnterminatedQuote | Self::TextAfterQuote => {
                "メールアドレスの引用符（\"）の使い方が正しくありません。".to_owned()
            }
            Self::EmptyLabel
            | Self::LabelHyphen
            | Self::LabelTooLong { .. }
            | Self::ReservedHyphens
            | Self::InvalidIdna => {
                "メールアドレスの「@」の後ろ（ドメイン）が正しくありません。".to_owned()
            }
            Self::SpecialUseDomain => {
                "このメールアドレスのドメインは使用できません。別のメールアドレスを入力してください。"
                    .to_owned()
            }
            Self::QuotedLocalPart => {
                "「\"」で囲まれたメールアドレスはご利用いただけません。別のメールアドレスを入力してください。"
                    .to_owned()
            }
            Self::MissingTld | Self::InvalidTld => {
                "メールアドレスのドメインが正しくありません（例: example.co.jp）。".to_owned()
            }
            Self::DotAtom { .. } => "このメールアドレスは「@」の直前や先頭が「.」（ドット）であるか、「.」が連続しているため、RFCに準拠していません。認証番号のメールが届かない可能性があります。別のメールアドレスのご利用をおすすめします。".to_owned(),
        }
    }
}

/// RFC 5322 `atext` as a bit mask over ASCII: bit `b` is set when byte `b` is `atext`.
const ATEXT_MASK: u128 = {
    let mut mask = 0u128;
    let mut b = 0u8;
    while b < 128 {
        let atext = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        if atext {
            mask |= 1 << b;
        }
        b += 1;
    }
    mask
};

/// Whether `b` is RFC 5322 `atext`.
const fn is_atext(b: u8) -> bool {
    b < 128 && (ATEXT_MASK >> b) & 1 == 1
}

/// Printable ASCII, space included: what a quoted string may hold (escaped or not).
const fn is_quotable(b: u8) -> bool {
    matches!(b, 0x20..=0x7E)
}

impl EmailAddress {
    /// Most octets in a whole address (RFC 5321 path limit less the angle brackets).
    pub const MAX_LEN: usize = 254;

    /// Most octets in a local part (RFC 5321).
    pub const MAX_LOCAL_LEN: usize = 64;

    /// Most octets in one domain label (RFC 1035).
    pub const MAX_LABEL_LEN: usize = 63;

    /// Validates `input` with the strict rules (listed on [`EmailAddress`]). Taken as is: no
    /// trimming.
    ///
    /// # Errors
    /// [`EmailError`] naming the first problem. [`EmailError::QuotedLocalPart`] and
    /// [`EmailError::DotAtom`] are returned only when the address is otherwise valid.
    ///
    /// ```
    /// use kenpo_auth::{EmailAddress, EmailError};
    /// assert!(EmailAddress::parse("taro@xn--eckwd4c7c.xn--zckzah").is_ok());
    /// assert_eq!(EmailAddress::parse("taro@@example.jp"), Err(EmailError::MultipleAt));
    /// assert_eq!(EmailAddress::parse("taro@localhost"), Err(EmailError::MissingTld));
    /// assert_eq!(EmailAddress::parse("taro@host.local"), Err(EmailError::SpecialUseDomain));
    /// assert_eq!(EmailAddress::parse("taro@host.tld-2"), Err(EmailError::InvalidTld));
    /// assert_eq!(EmailAddress::parse("taro@xn--zz.com"), Err(EmailError::InvalidIdna));
    /// assert_eq!(EmailAddress::parse("taro@ab--cd.com"), Err(EmailError::ReservedHyphens));
    /// assert_eq!(
    ///     EmailAddress::parse("\"john doe\"@example.jp"),
    ///     Err(EmailError::QuotedLocalPart)
    /// );
    /// ```
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        Self::parse_with(input, EmailRules::new())
    }

    /// Like [`parse`](Self::parse) but accepts a local part whose only fault is a dot first,
    /// last or doubled (the legacy carrier addresses). Use it after warning the member. The
    /// same as [`parse_with`](Self::parse_with) and `EmailRules::new().with_legacy_dots(true)`;
    /// quoted local parts are still refused.
    ///
    /// # Errors
    /// Every [`EmailError`] of [`parse`](Self::parse) except [`EmailError::DotAtom`].
    ///
    /// ```
    /// use kenpo_auth::EmailAddress;
    /// let email = EmailAddress::parse_allowing_legacy_dots("ab..cd@docomo.ne.jp").unwrap();
    /// assert!(email.has_legacy_dots());
    /// ```
    pub fn parse_allowing_legacy_dots(input: &str) -> Result<EmailAddress, EmailError> {
        Self::parse_with(input, EmailRules::new().with_legacy_dots(true))
    }

    /// Validates `input` like [`parse`](Self::parse), relaxing what `rules` allows: legacy
    /// carrier dots ([`EmailRules::allow_legacy_dots`]) and quoted local parts
    /// ([`EmailRules::allow_quoted`]). Every other rule applies whatever `rules` says.
    ///
    /// # Errors
    /// Every [`EmailError`] of [`parse`](Self::parse), except [`EmailError::DotAtom`] when
    /// `rules.allow_legacy_dots` and [`EmailError::QuotedLocalPart`] when `rules.allow_quoted`.
    ///
    /// ```
    /// use kenpo_auth::{EmailAddress, EmailError, EmailRules};
    ///
    /// let quoted = "\"victim@example.com,attacker\"@evil.example.jp";
    /// assert_eq!(EmailAddress::parse(quoted), Err(EmailError::QuotedLocalPart));
    ///
    /// let rules = EmailRules::new().with_quoted(true);
    /// let email = EmailAddress::parse_with(quoted, rules)?;
    /// assert_eq!(email.local_part(), "\"victim@example.com,attacker\"");
    /// // The domain rules still apply.
    /// assert_eq!(
    ///     EmailAddress::parse_with("\"john doe\"@example.test", rules),
    ///     Err(EmailError::SpecialUseDomain)
    /// );
    /// # Ok::<(), EmailError>(())
    /// ```
    pub fn parse_with(input: &str, rules: EmailRules) -> Result<EmailAddress, EmailError> {
        if input.is_empty() {
            return Err(EmailError::Empty);
        }
        if input.contains('<') && input.ends_with('>') {
            return Err(EmailError::DisplayName);
        }
        if !input.is_ascii() || input.bytes().any(|b| b.is_ascii_control()) {
            if let Some((index, ch)) = input
                .chars()
                .enumerate()
                .find(|&(_, ch)| !ch.is_ascii() || ch.is_ascii_control())
            {
                return Err(EmailError::InvalidChar {
                    ch,
                    position: index + 1,
                });
            }
        }
        // ASCII from here on: byte offsets are character offsets.
        if input.len() > EmailAddress::MAX_LEN {
            return Err(EmailError::TooLong {
                max: EmailAddress::MAX_LEN,
            });
        }
        let bytes = input.as_bytes();
        let (at, quoted) = if bytes.first() == Some(&b'"') {
            (Self::quoted_end(bytes)?, true)
        } else {
            (input.find('@').ok_or(EmailError::MissingAt)?, false)
        };
        let local = input.get(..at).unwrap_or_default();
        let domain = input.get(at + 1..).unwrap_or_default();
        if local.is_empty() || local == "\"\"" {
            return Err(EmailError::EmptyLocalPart);
        }
        if domain.contains('@') {
            return Err(EmailError::MultipleAt);
        }
        if local.len() > EmailAddress::MAX_LOCAL_LEN {
            return Err(EmailError::LocalPartTooLong {
                max: EmailAddress::MAX_LOCAL_LEN,
            });
        }
        if !quoted {
            if let Some(index) = local.bytes().position(|b| b != b'.' && !is_atext(b)) {
                return Err(invalid_at(input, index));
            }
        }
        Self::check_domain(input, at + 1)?;
        if quoted && !rules.allow_quoted {
            return Err(EmailError::QuotedLocalPart);
        }
        if !quoted && !rules.allow_legacy_dots {
            if let Some((problem, index)) = dot_problem(local) {
                return Err(EmailError::DotAtom {
                    problem,
                    position: index + 1,
                });
            }
        }
        Ok(EmailAddress {
            value: input.to_owned(),
            at,
        })
    }

    /// For an input starting with `"`: the byte index of the `@` right after the closing quote.
    fn quoted_end(bytes: &[u8]) -> Result<usize, EmailError> {
        let mut index = 1;
        loop {
            match bytes.get(index) {
                None => return Err(EmailError::UnterminatedQuote),
                Some(b'\\') => match bytes.get(index + 1) {
                    Some(&b) if is_quotable(b) => index += 2,
                    _ => return Err(EmailError::UnterminatedQuote),
                },
                Some(b'"') => break,
                Some(&b) if is_quotable(b) => index += 1,
                Some(&b) => {
                    return Err(EmailError::InvalidChar {
                        ch: char::from(b),
                        position: index + 1,
                    });
                }
            }
        }
        match bytes.get(index + 1) {
            Some(b'@') => Ok(index + 1),
            None => Err(EmailError::MissingAt),
            Some(_) => Err(EmailError::TextAfterQuote),
        }
    }

    /// Checks the domain, which starts at byte `start` of `input` (ASCII).
    fn check_domain(input: &str, start: usize) -> Result<(), EmailError> {
        let domain = input.get(start..).unwrap_or_default();
        if domain.is_empty() {
            return Err(EmailError::EmptyDomain);
        }
        if let Some(index) = domain
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        {
            return Err(invalid_at(input, start + index));
        }
        let mut labels = 0usize;
        let mut last = "";
        let mut any_a_label = false;
        for label in domain.split('.') {
            if label.is_empty() {
                return Err(EmailError::EmptyLabel);
            }
            if label.len() > EmailAddress::MAX_LABEL_LEN {
                return Err(EmailError::LabelTooLong {
                    max: EmailAddress::MAX_LABEL_LEN,
                });
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(EmailError::LabelHyphen);
            }
            if label.as_bytes().get(2..4) == Some(b"--") {
                if !is_a_label(label) {
                    return Err(EmailError::ReservedHyphens);
                }
                any_a_label = true;
            }
            labels += 1;
            last = label;
        }
        if labels < 2 {
            return Err(EmailError::MissingTld);
        }
        let letters = last.len() >= 2 && last.bytes().all(|b| b.is_ascii_alphabetic());
        if !letters && !is_a_label(last) {
            return Err(EmailError::InvalidTld);
        }
        if any_a_label && !is_valid_idna(domain) {
            return Err(EmailError::InvalidIdna);
        }
        if SPECIAL_USE_TLDS
            .iter()
            .any(|tld| tld.eq_ignore_ascii_case(last))
        {
            return Err(EmailError::SpecialUseDomain);
        }
        Ok(())
    }

    /// The whole address, as entered.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The part before the `@` (with its quotes, if quoted).
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.value.get(..self.at).unwrap_or_default()
    }

    /// The part after the `@`.
    #[must_use]
    pub fn domain(&self) -> &str {
        self.value.get(self.at + 1..).unwrap_or_default()
    }

    /// Whether the local part breaks dot-atom the legacy-carrier way (only possible for an
    /// address from [`parse_allowing_legacy_dots`](Self::parse_allowing_legacy_dots), or from
    /// [`parse_with`](Self::parse_with) with [`EmailRules::allow_legacy_dots`]).
    #[must_use]
    pub fn has_legacy_dots(&self) -> bool {
        !self.local_part().starts_with('"') && dot_problem(self.local_part()).is_some()
    }
}

/// Whether an ASCII label has the IDNA ACE prefix `xn--`, in any case.
fn is_a_label(label: &str) -> bool {
    label
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("xn--"))
}

/// Whether a domain of ASCII letters, digits, hyphens and dots (checked already) is valid IDNA:
/// each `xn--` label decodes as Punycode to a label that UTS #46 keeps as it is
/// (non-transitional processing, STD3 ASCII rules, hyphen checks, `CONTEXTJ` and, across the
/// domain, the Bidi rule). Other labels are plain LDH and pass unchanged.
fn is_valid_idna(domain: &str) -> bool {
    idna::uts46::Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Check,
            idna::uts46::DnsLength::Ignore,
        )
        .is_ok()
}

/// The `InvalidChar` error for the ASCII byte at `index` of `input`.
fn invalid_at(input: &str, index: usize) -> EmailError {
    EmailError::InvalidChar {
        ch: input
            .as_bytes()
            .get(index)
            .map_or('\u{FFFD}', |&b| char::from(b)),
        position: index + 1,
    }
}

/// The first dot-atom dot fault of an unquoted local part, with the dot's byte index.
fn dot_problem(local: &str) -> Option<(DotProblem, usize)> {
    if local.starts_with('.') {
        return Some((DotProblem::Leading, 0));
    }
    if let Some(index) = local.as_bytes().windows(2).position(|w| w == b"..") {
        return Some((DotProblem::Consecutive, index));
    }
    if local.ends_with('.') {
        return Some((DotProblem::Trailing, local.len().saturating_sub(1)));
    }
    None
}

// Deserialised with legacy dots and quoted local parts allowed, so that an address a host
// accepted after a warning, or with quoting allowed, reads back; the other rules apply.
validated_str!(
    EmailAddress,
    EmailError,
    parse = EmailAddress::parse,
    deserialize = |raw| EmailAddress::parse_with(raw, EmailRules::STORED)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_problems_are_located() {
        assert_eq!(dot_problem(".ab"), Some((DotProblem::Leading, 0)));
        assert_eq!(dot_problem("ab..cd"), Some((DotProblem::Consecutive, 2)));
        assert_eq!(dot_problem("ab."), Some((DotProblem::Trailing, 2)));
        assert_eq!(dot_problem("a.b"), None);
    }

    #[test]
    fn a_labels_are_recognised_in_any_case() {
        for label in ["xn--4ca", "XN--4CA", "Xn--4ca", "xN--"] {
            assert!(is_a_label(label), "{label}");
        }
        for label in ["xn-", "xn-4ca", "xm--4ca", "axn--4ca", ""] {
            assert!(!is_a_label(label), "{label}");
        }
    }

    #[test]
    fn idna_validation_covers_the_whole_domain() {
        assert!(is_valid_idna("xn--4ca.com"));
        assert!(is_valid_idna("mail.XN--4CA.example-kenpo.jp"));
        assert!(!is_valid_idna("xn--zz.com"));
        // The Bidi rule spans labels: an Arabic label makes a digit-first label invalid.
        assert!(is_valid_idna("abc.xn--mgbh0fb.com"));
        assert!(!is_valid_idna("1abc.xn--mgbh0fb.com"));
    }
}
