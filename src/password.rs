//! New passwords and the policy they must meet.
//!
//! [`PasswordPolicy::default()`] is the manual's rule — 8 to 20 characters from `A–Z a–z 0–9`
//! and `? ! @ # % & ( ) _ +`, with at least one letter, one digit and one symbol — plus two
//! checks beyond the manual, both on by default:
//!
//! - **context**: a password containing the user ID, ignoring case, is refused
//!   ([`PasswordPolicy::check`] with `Some(&user_id)`);
//! - **blocklist**: a password on the bundled list of common passwords, or one dressed up from
//!   an entry, is refused even when the composition rule lets it through. The password is
//!   lower-cased, and every way of cutting a leading run and a trailing run of digits and
//!   symbols off it is looked up, each character read as typed, as the letter it commonly
//!   stands for (`@`/`4`→a, `0`→o, `1`→i or l, `3`→e, `5`→s, `7`→t, `!`→i, `$`→s) or as the
//!   digit under a shifted symbol (`!@#$%^&*()`→`1234567890`). So `p@ssw0rd`, `Password1!`,
//!   `Abc123!1`, `@dmin123!`, `5h@d0w1!`, `Tru5tn011!` and `!QAZ2wsx` are all refused. A cut
//!   must leave at least four characters, and a cut that leaves seven or more letters beginning
//!   an entry counts too (`Liverpoo!1`: many leaked lists were cut at eight characters). The
//!   cost is bounded whatever the input; the details are in `src/common_passwords.rs`.
//!
//! The list (19,640 entries) is Django 5.2.19's `common-passwords.txt.gz` (BSD-3-Clause; the
//! licence is in `src/data/LICENSE-django`), built by `src/data/build-common-passwords.sh`:
//! lower-cased, deduplicated and sorted, every entry kept — short and all-digit ones such as
//! `abc123` and `123456` too; it is compiled in and searched in place. Measured against a list
//! it was not built from (zxcvbn's, `tests/password_corpus.rs`), the default policy refuses
//! 97.4 % of zxcvbn's 2,000 most common passwords dressed up five usual ways.
//!
//! [`PasswordPolicy::nist_800_63b()`] follows NIST SP 800-63B rev. 4 instead: at least 15
//! characters, up to 128 accepted, any Unicode after NFKC normalisation (control characters
//! excepted), no composition rules, the same blocklist and context rule.
//!
//! Every violation is reported, not just the first, and no error ever holds the password or
//! any of its characters (an invalid character is reported by position only).
//!
//! ```
//! use kenpo_auth::{NewPassword, PasswordPolicy, PasswordViolation, UserId};
//!
//! let password = NewPassword::parse("Kenpo#2024x")?;
//! assert_eq!(format!("{password:?}"), "NewPassword([REDACTED])");
//!
//! let err = NewPassword::parse("abc").unwrap_err();
//! assert!(err.violations().contains(&PasswordViolation::MissingDigit));
//! assert!(err.violations().contains(&PasswordViolation::MissingSymbol));
//!
//! let id = UserId::parse("NGK0001")?;
//! let err = PasswordPolicy::default().check("ngk0001#A", Some(&id)).unwrap_err();
//! assert_eq!(err.violations(), &[PasswordViolation::ContainsUserId]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::user_id::UserId;

#[path = "common_passwords.rs"]
mod common_passwords;

/// The symbols the manual allows in a password.
pub const MANUAL_SYMBOLS: &str = "?!@#%&()_+";

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
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([REDACTED])")
    }
}

/// Which characters a password may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordCharset {
    /// The manual's set: half-width `A–Z a–z 0–9` and `? ! @ # % & ( ) _ +`, taken as typed.
    Manual,
    /// Any Unicode except control characters, after NFKC normalisation (NIST SP 800-63B).
    Unicode,
}

/// A password policy: length, alphabet, composition, context and blocklist rules.
///
/// Start from a preset and adjust the public fields:
///
/// ```
/// use kenpo_auth::PasswordPolicy;
/// let mut policy = PasswordPolicy::default();
/// policy.min_chars = 10;
/// assert!(policy.check("Kenpo#2024", None).is_ok());
/// assert!(policy.check("Kenpo#202", None).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
// Each flag is an independent rule a host may switch; an enum per flag would only add noise.
#[allow(clippy::struct_excessive_bools)]
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
    /// At least one of [`MANUAL_SYMBOLS`].
    pub require_symbol: bool,
    /// Refuse a password containing the user ID, ignoring case (when one is given).
    pub forbid_user_id: bool,
    /// Refuse passwords on the bundled common-password list (see the module docs).
    pub forbid_common: bool,
}

impl Default for PasswordPolicy {
    /// The manual's rule (8–20 characters from `A–Z a–z 0–9 ? ! @ # % & ( ) _ +`, a letter, a
    /// digit and a symbol) plus the context rule and the blocklist.
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
        }
    }
}

impl PasswordPolicy {
    /// NIST SP 800-63B rev. 4: at least 15 characters, up to 128, any Unicode (control
    /// characters excepted) after NFKC, no composition rules, the blocklist and the context
    /// rule.
    ///
    /// ```
    /// use kenpo_auth::PasswordPolicy;
    /// let nist = PasswordPolicy::nist_800_63b();
    /// assert!(nist.check("けんぽ の ぱすわーど です よ", None).is_ok());
    /// assert!(nist.check("short", None).is_err());
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
        }
    }

    /// Checks `password`, and with `user_id` the context rule too.
    ///
    /// # Errors
    /// [`PasswordError`] listing every violation, in a fixed order: length, characters,
    /// composition, user ID, blocklist.
    pub fn check(
        &self,
        password: &str,
        user_id: Option<&UserId>,
    ) -> Result<NewPassword, PasswordError> {
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
            symbol |= MANUAL_SYMBOLS.contains(ch);
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
        if self.forbid_common && common_passwords::is_common(&secret) {
            violations.push(PasswordViolation::Common);
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
    /// ```
    /// use kenpo_auth::PasswordPolicy;
    /// let nist = PasswordPolicy::nist_800_63b();
    /// assert_eq!(&*nist.normalize_for_login("ｶﾅ"), "カナ");
    /// assert_eq!(&*PasswordPolicy::default().normalize_for_login("ｶﾅ"), "ｶﾅ");
    /// ```
    #[must_use]
    pub fn normalize_for_login(&self, password: &str) -> Zeroizing<String> {
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

/// The manual's alphabet.
fn is_manual_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || MANUAL_SYMBOLS.contains(ch)
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

/// The number of entries in the bundled common-password list.
#[must_use]
pub fn common_password_count() -> usize {
    common_passwords::len()
}

/// Whether `password` counts as common under the blocklist rule of the module docs,
/// independently of any other rule.
///
/// ```
/// assert!(kenpo_auth::password::is_common_password("P@ssw0rd!"));
/// assert!(!kenpo_auth::password::is_common_password("Xq7#mZ2!pL"));
/// ```
#[must_use]
pub fn is_common_password(password: &str) -> bool {
    common_passwords::is_common(password)
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
    /// None of [`MANUAL_SYMBOLS`].
    MissingSymbol,
    /// The password contains the user ID, ignoring case.
    ContainsUserId,
    /// The password is on (or a simple variation of an entry on) the common-password list.
    Common,
}

impl PasswordViolation {
    /// A Japanese message for the member.
    #[must_use]
    pub fn message_ja(&self) -> String {
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
        }
    }
}

/// A password that broke the policy: every violation, never the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordError {
    violations: Vec<PasswordViolation>,
}

impl PasswordError {
    /// Every rule broken, in the order length, characters, composition, user ID, blocklist.
    #[must_use]
    pub fn violations(&self) -> &[PasswordViolation] {
        &self.violations
    }

    /// Whether `violation` is among them.
    #[must_use]
    pub fn has(&self, violation: &PasswordViolation) -> bool {
        self.violations.contains(violation)
    }

    /// A Japanese message for the member: one line per violation.
    ///
    /// ```
    /// use kenpo_auth::NewPassword;
    /// let err = NewPassword::parse("kenpokumiai").unwrap_err();
    /// assert_eq!(
    ///     err.message_ja(),
    ///     "パスワードには数字を1文字以上含めてください。\nパスワードには記号（? ! @ # % & ( ) _ +）を1文字以上含めてください。"
    /// );
    /// ```
    #[must_use]
    pub fn message_ja(&self) -> String {
        self.violations
            .iter()
            .map(PasswordViolation::message_ja)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("password rejected: ")?;
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
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
