//! New passwords and the policy they must meet: [`PasswordPolicy`], [`NewPassword`].

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::ja::{self, MessageJa};
use crate::user_id::UserId;

mod common;

/// A password that met a [`PasswordPolicy`], ready to be hashed.
///
/// It has no `Display`; its `Debug` prints `NewPassword([REDACTED])`; its memory is zeroed on
/// drop. Under [`PasswordPolicy::nist_800_63b`] it holds the NFKC-normalised form.
#[derive(Clone)]
pub struct NewPassword {
    secret: Zeroizing<String>,
}

impl NewPassword {
    /// Checks `input` against the manual's policy: the same as
    /// `PasswordPolicy::default().check(input, None)`.
    ///
    /// # Errors
    /// [`PasswordError`] listing every violation.
    ///
    /// ```
    /// use kenpo_auth::NewPassword;
    /// assert!(NewPassword::parse("Kenpo#2024x").is_ok());
    /// assert!(NewPassword::parse("Password1!").is_err()); // common
    /// ```
    pub fn parse(input: &str) -> Result<NewPassword, PasswordError> {
        PasswordPolicy::default().check(input, None)
    }

    /// The password itself, for hashing. Do not log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.secret
    }

    /// The password, to move into an argon2 run.
    pub(crate) fn into_secret(self) -> Zeroizing<String> {
        self.secret
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

/// Which characters a password may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PasswordCharset {
    /// The manual's set: half-width `A–Z a–z 0–9` and `? ! @ # % & ( ) _ +`, taken as typed.
    Manual,
    /// Any Unicode except control characters, after NFKC normalisation (NIST SP 800-63B).
    Unicode,
}

/// A password policy: length, alphabet, composition, context, repetition, sequence and
/// blocklist rules.
///
/// Start from a preset and adjust the public fields:
///
/// ```
/// use kenpo_auth::PasswordPolicy;
/// let mut policy = PasswordPolicy::default();
/// policy.min_chars = 10;
/// assert!(policy.check("Kenpo#2024", None).is_ok());
/// assert!(policy.check("Kenpo#202", None).is_err());
///
/// // The service's and the union's names, which attackers try first on its members.
/// policy.context_words = vec!["kenpo".into(), "ngk".into()];
/// assert!(policy.check("Kenpo#2024", None).is_err());
/// ```
/// New passwords and the policy they must meet.
///
/// [`PasswordPolicy::default()`] is the manual's rule — 8 to 20 characters from `A–Z a–z 0–9`
/// and `? ! @ # % & ( ) _ +`, with at least one letter, one digit and one symbol — plus checks
/// beyond the manual, all on by default:
///
/// - **context**: a password containing the user ID, ignoring case, is refused
///   ([`PasswordPolicy::check`] with `Some(&user_id)`), and so is one containing any of the
///   policy's [`context_words`](PasswordPolicy::context_words) — the service's and the union's
///   names, say — as typed or with the substitutions below undone (none by default);
/// - **repetition and sequences**: a password that is a shorter unit repeated (`Ab1!Ab1!`) or a
///   run of consecutive characters (`abcdefgh`, `98765432`), either as a whole or once its
///   leading and trailing digits and symbols are cut off (`Abcdefgh1!`), is refused;
/// - **blocklist**: a password on the bundled list of common passwords, or one dressed up from
///   an entry, is refused even when the composition rule lets it through. The password is
///   lower-cased, and every way of cutting a leading run and a trailing run of digits and
///   symbols off it is looked up, each character read as typed, as the letter it commonly
///   stands for (`@`/`4`→a, `0`→o, `1`→i or l, `3`→e, `5`→s, `7`→t, `!`→i, `$`→s) or as the
///   digit under a shifted symbol (`!@#$%^&*()`→`1234567890`). So `p@ssw0rd`, `Password1!`,
///   `Abc123!1`, `@dmin123!`, `5h@d0w1!`, `Tru5tn011!` and `!Q@W#E$R` are all refused. A cut
///   must leave at least four characters, and a cut that leaves seven or more letters beginning
///   an entry counts too (`Liverpoo!1`: many leaked lists were cut at eight characters). The
///   cost is bounded whatever the input; the details are in `src/password/common.rs`.
///
/// The list (19,640 entries) is Django 5.2.19's `common-passwords.txt.gz` (BSD-3-Clause; the
/// licence is in `src/password/data/LICENSE-django`), built by `src/password/data/build-common-passwords.sh`:
/// lower-cased, deduplicated and sorted, every entry kept — short and all-digit ones such as
/// `abc123` and `123456` too; it is compiled in and searched in place. Measured against a list
/// it was not built from (zxcvbn's, `tests/password_corpus.rs`), the default policy refuses
/// 97.4 % of zxcvbn's 2,000 most common passwords dressed up five usual ways.
///
/// [`PasswordPolicy::nist_800_63b()`] follows NIST SP 800-63B rev. 4 instead: at least 15
/// characters, up to 128 accepted, any Unicode after NFKC normalisation (control characters
/// excepted), no composition rules, and the same blocklist, context, repetition and sequence
/// rules — which is what stops `passwordpassword`, `password123456789` and `abcdefghijklmnop`
/// from meeting a 15-character minimum. Against zxcvbn's 2,000 most common passwords padded
/// past 15 characters three usual ways it refuses 97.3 %.
///
/// Input longer than [`PasswordPolicy::MAX_INPUT_BYTES`] (1,024 bytes) is refused as too long
/// before any other work, so an oversized password costs no more than a short one.
///
/// Every violation is reported, not just the first, and no error ever holds the password or
/// any of its characters (an invalid character is reported by position only).
///
/// ```
/// use kenpo_auth::{NewPassword, PasswordPolicy, PasswordViolation, UserId};
///
/// let password = NewPassword::parse("Kenpo#2024x")?;
/// assert_eq!(format!("{password:?}"), "NewPassword([REDACTED])");
///
/// let err = NewPassword::parse("abc").unwrap_err();
/// assert!(err.violations().contains(&PasswordViolation::MissingDigit));
/// assert!(err.violations().contains(&PasswordViolation::MissingSymbol));
///
/// let id = UserId::parse("NGK0001")?;
/// let err = PasswordPolicy::default().check("ngk0001#A", Some(&id)).unwrap_err();
/// assert_eq!(err.violations(), &[PasswordViolation::ContainsUserId]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
// Each flag is an independent rule a host may switch; an enum per flag would only add noise.
#[allow(clippy::struct_excessive_bools)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode scalar values, after normalisation if any).
    pub min_chars: usize,
    /// Most characters.
    pub max_chars: usize,
    /// The characters allowed, and whether NFKC normalisation is applied first.
    pub charset: PasswordCharset,
    /// At least one ASCII letter.
    pub require_letter: bool,
    /// At least one ASCII digit.
    pub require_digit: bool,
    /// At least one of [`PasswordPolicy::MANUAL_SYMBOLS`].
    pub require_symbol: bool,
    /// Refuse a password containing the user ID, ignoring case (when one is given).
    pub forbid_user_id: bool,
    /// Refuse passwords on the bundled list of 19,640 common passwords (Django 5.2's), seen
    /// through the usual dressing-up: case, leading and trailing digits and symbols, look-alike
    /// characters (`Tru5tn01` is `trustno1`, `@dmin123!` is `admin123`).
    pub forbid_common: bool,
    /// Refuse a password that is a shorter unit repeated: the whole password, or what is left
    /// once its leading and trailing digits and symbols are cut off, lower-cased, is made of a
    /// unit of characters written out at least twice, a last copy possibly cut short
    /// (`passwordpassword`, `Ab1!Ab1!`, `aaaaaaaaaaaaaaa`, `Xoxo#2024`). Four characters
    /// at least are looked at.
    ///
    /// ```
    /// use kenpo_auth::{PasswordPolicy, PasswordViolation};
    /// let nist = PasswordPolicy::nist_800_63b();
    /// let err = nist.check("Password!1Password!1", None).unwrap_err();
    /// assert_eq!(err.violations(), &[PasswordViolation::Repetitive]);
    /// ```
    pub forbid_repetition: bool,
    /// Refuse a password that is a run of consecutive characters: the whole password, or what
    /// is left once its leading and trailing digits and symbols are cut off, lower-cased, steps
    /// by +1 or by −1 in code points from each character to the next, digits wrapping round
    /// (`9` to `0` is +1) — `abcdefghijklmnop`, `123456789012345`, `zyxwvuts`,
    /// `Abcdefgh1!`. Four characters at least are looked at.
    ///
    /// ```
    /// use kenpo_auth::{PasswordPolicy, PasswordViolation};
    /// let nist = PasswordPolicy::nist_800_63b();
    /// let err = nist.check("abcdefghijklmnop", None).unwrap_err();
    /// assert_eq!(err.violations(), &[PasswordViolation::Sequential]);
    /// ```
    pub forbid_sequences: bool,
    /// Words a password may not contain, such as the service's and the union's names (NIST
    /// SP 800-63B asks for "context-specific words"). A word is compared lower-cased and after
    /// NFKC, and it is found in the password as typed or with the blocklist's substitutions
    /// undone (`K3np0` contains `kenpo`). Empty by default: a host sets its own, for example
    /// with [`with_context_words`](Self::with_context_words). Empty words are ignored.
    ///
    /// ```
    /// use kenpo_auth::{PasswordPolicy, PasswordViolation};
    /// let mut policy = PasswordPolicy::default();
    /// policy.context_words.push("ibss".to_owned());
    /// let err = policy.check("My!bs5pass7", None).unwrap_err();
    /// assert_eq!(err.violations(), &[PasswordViolation::ContainsContextWord]);
    /// ```
    pub context_words: Vec<String>,
}

impl Default for PasswordPolicy {
    /// The manual's rule (8–20 characters from `A–Z a–z 0–9 ? ! @ # % & ( ) _ +`, a letter, a
    /// digit and a symbol) plus the user-ID rule, the repetition and sequence rules and the
    /// blocklist; no context words.
    ///
    /// The repetition and sequence rules are on here too although the manual does not ask for
    /// them: the composition rule alone lets `Ab1!Ab1!` and `Abcdefgh1!` through, and neither
    /// rule refuses the examples the crate uses (`Sakura#2024x`, `Kenpo#2024x`) or any of
    /// 10,000 random 12-character passwords (`tests/password_corpus.rs`).
    fn default() -> Self {
        PasswordPolicy {
            min_chars: 8,
            max_chars: 20,
            charset: PasswordCharset::Manual,
            require_letter: true,
            require_digit: true,
            require_symbol: true,
            forbid_user_id: true,
            forbid_common: true,
            forbid_repetition: true,
            forbid_sequences: true,
            context_words: Vec::new(),
        }
    }
}

impl PasswordPolicy {
    /// The symbols the manual allows in a password.
    pub const MANUAL_SYMBOLS: &str = "?!@#%&()_+";

    /// The number of entries in the bundled common-password list.
    #[must_use]
    pub fn common_password_count() -> usize {
        common::len()
    }

    /// Whether `password` counts as common under the blocklist rule of the module docs,
    /// independently of any other rule.
    ///
    /// ```
    /// use kenpo_auth::PasswordPolicy;
    /// assert!(PasswordPolicy::is_common("P@ssw0rd!"));
    /// assert!(!PasswordPolicy::is_common("Xq7#mZ2!pL"));
    /// ```
    #[must_use]
    pub fn is_common(password: &str) -> bool {
        common::is_common(password)
    }

    /// The longest input, in bytes, that [`check`](Self::check) looks at and
    /// [`normalize_for_login`](Self::normalize_for_login) normalises: 1,024.
    ///
    /// Longer input is refused with [`PasswordViolation::TooLong`] alone before NFKC or any
    /// other per-character work, so that a 16 MiB "password" costs what a short one does. It
    /// is far above both presets' maximum (20 and 128 characters, at most 4 bytes each), so no
    /// password that could be accepted is cut off.
    ///
    /// ```
    /// use kenpo_auth::{PasswordPolicy, PasswordViolation};
    /// let policy = PasswordPolicy::nist_800_63b();
    /// let huge = "ｶ".repeat(PasswordPolicy::MAX_INPUT_BYTES);
    /// let err = policy.check(&huge, None).unwrap_err();
    /// assert_eq!(err.violations(), &[PasswordViolation::TooLong { max: 128 }]);
    /// ```
    pub const MAX_INPUT_BYTES: usize = 1_024;

    /// NIST SP 800-63B rev. 4: at least 15 characters, up to 128, any Unicode (control
    /// characters excepted) after NFKC, no composition rules; the blocklist, the user-ID rule
    /// and the repetition and sequence rules; no context words.
    ///
    /// ```
    /// use kenpo_auth::PasswordPolicy;
    /// let nist = PasswordPolicy::nist_800_63b();
    /// assert!(nist.check("けんぽ の ぱすわーど です よ", None).is_ok());
    /// assert!(nist.check("short", None).is_err());
    /// assert!(nist.check("passwordpassword", None).is_err());
    /// assert!(nist.check("123456789012345", None).is_err());
    /// ```
    #[must_use]
    pub fn nist_800_63b() -> PasswordPolicy {
        PasswordPolicy {
            min_chars: 15,
            max_chars: 128,
            charset: PasswordCharset::Unicode,
            require_letter: false,
            require_digit: false,
            require_symbol: false,
            forbid_user_id: true,
            forbid_common: true,
            forbid_repetition: true,
            forbid_sequences: true,
            context_words: Vec::new(),
        }
    }

    /// The policy with `words` added to its [`context_words`](Self::context_words).
    ///
    /// ```
    /// use kenpo_auth::{PasswordPolicy, PasswordViolation};
    /// let policy = PasswordPolicy::default().with_context_words(["kenpo", "ibss", "ngk"]);
    /// assert!(policy.check("Sakura#2024x", None).is_ok());
    /// for bad in ["Kenpo#2024x", "K3np0#2024x", "NGK!2024abc"] {
    ///     let err = policy.check(bad, None).unwrap_err();
    ///     assert_eq!(err.violations(), &[PasswordViolation::ContainsContextWord]);
    /// }
    /// ```
    #[must_use]
    pub fn with_context_words<I, S>(mut self, words: I) -> PasswordPolicy
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.context_words.extend(words.into_iter().map(Into::into));
        self
    }

    /// Checks `password`, and with `user_id` the user-ID rule too.
    ///
    /// Input over [`MAX_INPUT_BYTES`](Self::MAX_INPUT_BYTES) is refused with
    /// [`PasswordViolation::TooLong`] alone, before anything else is done with it.
    ///
    /// # Errors
    /// [`PasswordError`] listing every violation, in a fixed order: length, characters,
    /// composition, user ID, context words, repetition, sequence, blocklist.
    pub fn check(
        &self,
        password: &str,
        user_id: Option<&UserId>,
    ) -> Result<NewPassword, PasswordError> {
        if password.len() > Self::MAX_INPUT_BYTES {
            // Before NFKC, lower-casing or the blocklist, whose cost grows with the input.
            return Err(PasswordError {
                violations: vec![PasswordViolation::TooLong {
                    max: self.max_chars,
                }],
            });
        }
        let secret: Zeroizing<String> = match self.charset {
            PasswordCharset::Manual => Zeroizing::new(password.to_owned()),
            PasswordCharset::Unicode => normalize(password),
        };
        let mut violations = Vec::new();

        let mut chars = 0usize;
        let mut first_invalid = None;
        let mut invalid = 0usize;
        let (mut letter, mut digit, mut symbol) = (false, false, false);
        for (index, ch) in secret.chars().enumerate() {
            chars = index + 1;
            letter |= ch.is_ascii_alphabetic();
            digit |= ch.is_ascii_digit();
            symbol |= PasswordPolicy::MANUAL_SYMBOLS.contains(ch);
            let allowed = match self.charset {
                PasswordCharset::Manual => is_manual_char(ch),
                PasswordCharset::Unicode => !ch.is_control(),
            };
            if !allowed {
                invalid += 1;
                first_invalid.get_or_insert(index + 1);
            }
        }
        if chars < self.min_chars {
            violations.push(PasswordViolation::TooShort {
                min: self.min_chars,
            });
        }
        if chars > self.max_chars {
            violations.push(PasswordViolation::TooLong {
                max: self.max_chars,
            });
        }
        if let Some(position) = first_invalid {
            violations.push(PasswordViolation::InvalidChar {
                position,
                count: invalid,
                charset: self.charset,
            });
        }
        if self.require_letter && !letter {
            violations.push(PasswordViolation::MissingLetter);
        }
        if self.require_digit && !digit {
            violations.push(PasswordViolation::MissingDigit);
        }
        if self.require_symbol && !symbol {
            violations.push(PasswordViolation::MissingSymbol);
        }
        if self.forbid_user_id {
            if let Some(id) = user_id {
                if contains_ignoring_ascii_case(&secret, id.unique_key()) {
                    violations.push(PasswordViolation::ContainsUserId);
                }
            }
        }
        if !self.context_words.is_empty()
            || self.forbid_repetition
            || self.forbid_sequences
            || self.forbid_common
        {
            // One lower-cased copy for the rules that ignore case, zeroed on drop like the
            // secret; a policy with none of them does not pay for it.
            let lower = Zeroizing::new(secret.to_lowercase());
            if contains_context_word(&lower, &self.context_words) {
                violations.push(PasswordViolation::ContainsContextWord);
            }
            let whole_and_core = [lower.as_str(), letter_core(&lower)];
            if self.forbid_repetition && whole_and_core.iter().any(|text| is_repetition(text)) {
                violations.push(PasswordViolation::Repetitive);
            }
            if self.forbid_sequences && whole_and_core.iter().any(|text| is_sequence(text)) {
                violations.push(PasswordViolation::Sequential);
            }
            if self.forbid_common && common::is_common_lower(&lower) {
                violations.push(PasswordViolation::Common);
            }
        }

        if violations.is_empty() {
            Ok(NewPassword { secret })
        } else {
            Err(PasswordError { violations })
        }
    }

    /// Prepares a password typed at login for verification: NFKC under
    /// [`PasswordCharset::Unicode`], unchanged under [`PasswordCharset::Manual`]. Hash
    /// verification must see the same form that [`check`](Self::check) stored.
    ///
    /// Input over [`MAX_INPUT_BYTES`](Self::MAX_INPUT_BYTES) is first cut to its longest
    /// prefix of whole characters within that many bytes, so that neither NFKC nor the hash
    /// ever runs over an attacker's megabytes. Such a login cannot succeed: `check` refuses
    /// input that long, so no member's password was set from it, and the cut keeps more than
    /// 1,020 bytes, over the most either preset can store (20 ASCII characters; 128
    /// characters of at most 4 bytes).
    ///
    /// ```
    /// use kenpo_auth::PasswordPolicy;
    /// let nist = PasswordPolicy::nist_800_63b();
    /// assert_eq!(&*nist.normalize_for_login("ｶﾅ"), "カナ");
    /// assert_eq!(&*PasswordPolicy::default().normalize_for_login("ｶﾅ"), "ｶﾅ");
    ///
    /// let huge = "ｶ".repeat(1 << 20);
    /// let cut = nist.normalize_for_login(&huge);
    /// assert_eq!(cut.chars().count(), 1_024 / 3);
    /// ```
    #[must_use]
    pub fn normalize_for_login(&self, password: &str) -> Zeroizing<String> {
        let password = prefix_within(password, Self::MAX_INPUT_BYTES);
        match self.charset {
            PasswordCharset::Manual => Zeroizing::new(password.to_owned()),
            PasswordCharset::Unicode => normalize(password),
        }
    }
}

/// NFKC, skipped for ASCII (which NFKC leaves unchanged).
fn normalize(password: &str) -> Zeroizing<String> {
    if password.is_ascii() {
        Zeroizing::new(password.to_owned())
    } else {
        Zeroizing::new(password.nfkc().collect())
    }
}

/// The longest prefix of `text` made of whole characters and at most `max` bytes long.
fn prefix_within(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// The fewest characters the repetition and sequence rules look at: below that every short
/// core (`ab`, `zz`) would count.
const MIN_PATTERN_CHARS: usize = 4;

/// What is left of `lower` once its leading and trailing non-letters are cut off (the same
/// runs the blocklist cuts).
fn letter_core(lower: &str) -> &str {
    lower.trim_matches(|c: char| !c.is_alphabetic())
}

/// Whether `text` is a shorter unit written out at least twice, a last copy possibly cut short.
fn is_repetition(text: &str) -> bool {
    if text.chars().count() < MIN_PATTERN_CHARS {
        return false;
    }
    // A byte period is a character period: the byte at a period equals the first byte, which
    // starts a character, so the period falls on a character boundary. Comparing bytes lets
    // each period be one memcmp, with no copy of the secret.
    let bytes = text.as_bytes();
    let len = bytes.len();
    (1..=len / 2).any(|period| bytes.get(period..) == bytes.get(..len - period))
}

/// Whether `text` steps by +1, or by −1, in code points from each character to the next.
fn is_sequence(text: &str) -> bool {
    let mut chars = text.chars();
    let Some(mut previous) = chars.next() else {
        return false;
    };
    let (mut step, mut count) = (None, 1usize);
    for c in chars {
        let this = step_between(previous, c);
        if this.is_none() || (step.is_some() && step != this) {
            return false;
        }
        step = this;
        previous = c;
        count += 1;
    }
    count >= MIN_PATTERN_CHARS
}

/// +1 or −1 when `b` follows `a` by one code point; between two digits, wrapping round, so that
/// `…890…` and `…098…` continue a run.
fn step_between(a: char, b: char) -> Option<i8> {
    // `to_digit(10)` takes only the ASCII digits.
    let difference = match (a.to_digit(10), b.to_digit(10)) {
        (Some(x), Some(y)) => match (y + 10 - x) % 10 {
            1 => 1,
            9 => -1,
            _ => 0,
        },
        _ => i64::from(u32::from(b)) - i64::from(u32::from(a)),
    };
    match difference {
        1 => Some(1),
        -1 => Some(-1),
        _ => None,
    }
}

/// Whether `lower` contains one of `words` (lower-cased and NFKC'd here), a character of the
/// password matching a character of the word when it is that character or stands for it as
/// in the blocklist (`0` for `o`, `@` for `a`, `!` for `1`…).
fn contains_context_word(lower: &str, words: &[String]) -> bool {
    words.iter().any(|word| {
        let word: String = word.nfkc().flat_map(char::to_lowercase).collect();
        !word.is_empty()
            && lower.char_indices().any(|(start, _)| {
                let mut rest = lower.get(start..).unwrap_or_default().chars();
                word.chars().all(|w| {
                    rest.next()
                        .is_some_and(|c| c == w || common::look_alikes(c).contains(w))
                })
            })
    })
}

/// The manual's alphabet.
fn is_manual_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || PasswordPolicy::MANUAL_SYMBOLS.contains(ch)
}

/// Whether `haystack` contains `needle_lower` (ASCII lower-case) ignoring ASCII case, without
/// allocating a lower-cased copy of the secret.
fn contains_ignoring_ascii_case(haystack: &str, needle_lower: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle_lower.as_bytes());
    if needle.is_empty() {
        return true;
    }
    hay.windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// One rule a password broke. Never holds the password or any of its characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordViolation {
    /// Fewer characters than the policy's minimum.
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than the policy's maximum.
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// Characters outside the policy's alphabet.
    InvalidChar {
        /// Position of the first one, counted in characters from 1.
        position: usize,
        /// How many there are.
        count: usize,
        /// The alphabet that was broken (for the message).
        charset: PasswordCharset,
    },
    /// No ASCII letter.
    MissingLetter,
    /// No ASCII digit.
    MissingDigit,
    /// None of [`PasswordPolicy::MANUAL_SYMBOLS`].
    MissingSymbol,
    /// The password contains the user ID, ignoring case.
    ContainsUserId,
    /// The password is on (or a simple variation of an entry on) the common-password list.
    Common,
    /// The password contains one of the policy's
    /// [`context_words`](PasswordPolicy::context_words), such as the service's name.
    ContainsContextWord,
    /// The password is a shorter unit repeated
    /// ([`forbid_repetition`](PasswordPolicy::forbid_repetition)).
    Repetitive,
    /// The password is a run of consecutive characters
    /// ([`forbid_sequences`](PasswordPolicy::forbid_sequences)).
    Sequential,
}

/// A Japanese message for the member.
impl MessageJa for PasswordViolation {
    fn message_ja(&self) -> String {
        match self {
            Self::TooShort { min } => format!("パスワードは{min}文字以上で入力してください。"),
            Self::TooLong { max } => format!("パスワードは{max}文字以内で入力してください。"),
            Self::InvalidChar {
                position,
                count,
                charset,
            } => {
                let place = if *count > 1 {
                    format!("{position}文字目ほか、計{count}文字")
                } else {
                    format!("{position}文字目")
                };
                match charset {
                    PasswordCharset::Manual => format!(
                        "パスワードに使用できない文字が含まれています（{place}）。半角英数字と記号 ? ! @ # % & ( ) _ + で入力してください（全角文字や空白は使えません）。"
                    ),
                    PasswordCharset::Unicode => {
                        format!("パスワードに使用できない制御文字が含まれています（{place}）。")
                    }
                }
            }
            Self::MissingLetter => "パスワードには英字を1文字以上含めてください。".to_owned(),
            Self::MissingDigit => "パスワードには数字を1文字以上含めてください。".to_owned(),
            Self::MissingSymbol => {
                "パスワードには記号（? ! @ # % & ( ) _ +）を1文字以上含めてください。".to_owned()
            }
            Self::ContainsUserId => "パスワードにユーザーIDを含めることはできません。".to_owned(),
            Self::Common => {
                "このパスワードは推測されやすいため使用できません。別のパスワードを設定してください。"
                    .to_owned()
            }
            Self::ContainsContextWord => {
                "サービス名や健康保険組合の名前を含むパスワードは使用できません。".to_owned()
            }
            Self::Repetitive => {
                "同じ文字や文字列を繰り返しただけのパスワードは使用できません。".to_owned()
            }
            Self::Sequential => {
                "「abcd」や「1234」のような連続した文字の並びは使用できません。".to_owned()
            }
        }
    }
}

impl fmt::Display for PasswordViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min } => write!(f, "shorter than {min} characters"),
            Self::TooLong { max } => write!(f, "longer than {max} characters"),
            Self::InvalidChar {
                position, count, ..
            } => write!(
                f,
                "{count} character(s) not allowed, the first at position {position}"
            ),
            Self::MissingLetter => f.write_str("no letter"),
            Self::MissingDigit => f.write_str("no digit"),
            Self::MissingSymbol => f.write_str("no symbol"),
            Self::ContainsUserId => f.write_str("contains the user ID"),
            Self::Common => f.write_str("too common"),
            Self::ContainsContextWord => {
                f.write_str("contains a context word (such as the service's name)")
            }
            Self::Repetitive => f.write_str("a repeated string"),
            Self::Sequential => f.write_str("a run of consecutive characters"),
        }
    }
}

/// A password that broke the policy: every violation, never the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordError {
    violations: Vec<PasswordViolation>,
}

impl PasswordError {
    /// Every rule broken, in the order length, characters, composition, user ID, context
    /// words, repetition, sequence, blocklist.
    #[must_use]
    pub fn violations(&self) -> &[PasswordViolation] {
        &self.violations
    }

    /// Whether `violation` is among them.
    #[must_use]
    pub fn has(&self, violation: &PasswordViolation) -> bool {
        self.violations.contains(violation)
    }
}

/// A Japanese message for the member: one line per violation.
///
/// ```
/// use kenpo_auth::{MessageJa, NewPassword};
/// let err = NewPassword::parse("kenpokumiai").unwrap_err();
/// assert_eq!(
///     err.message_ja(),
///     "パスワードには数字を1文字以上含めてください。\nパスワードには記号（? ! @ # % & ( ) _ +）を1文字以上含めてください。"
/// );
/// ```
impl MessageJa for PasswordError {
    fn message_ja(&self) -> String {
        ja::lines(&self.violations)
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("password rejected: ")?;
        ja::semicolons(f, &self.violations)
    }
}

impl std::error::Error for PasswordError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklist_is_reported_beside_other_violations() {
        let err = NewPassword::parse("password").unwrap_err();
        assert_eq!(
            err.violations(),
            &[
                PasswordViolation::MissingDigit,
                PasswordViolation::MissingSymbol,
                PasswordViolation::Common
            ]
        );
        let err = NewPassword::parse("Password1!").unwrap_err();
        assert_eq!(err.violations(), &[PasswordViolation::Common]);
    }

    #[test]
    fn contains_ignoring_case_works_on_bytes() {
        assert!(contains_ignoring_ascii_case("xxNGK0001yy", "ngk0001"));
        assert!(!contains_ignoring_ascii_case("xxNGK000yy", "ngk0001"));
        assert!(contains_ignoring_ascii_case("abc", ""));
    }
}
