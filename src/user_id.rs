//! User IDs: the manual's rule, exactly ([`UserId`]).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ja::{MessageJa, is_full_width_ascii, show_char};
use crate::text::validated_str;

/// User IDs: the manual's rule, exactly.
///
/// A user ID is 6 to 50 half-width characters from `A–Z a–z 0–9` and the symbols
/// `@ - _ . +`. Anything else — full-width look-alikes such as `Ａ` or `＠`, spaces, control
/// characters, other symbols — is an error that names the first offending character and its
/// position.
///
/// Comparison is case-sensitive as stored ([`UserId::as_str`]); [`UserId::unique_key`] is the
/// ASCII-lower-cased form a store keeps under a unique constraint, so that `NGK0001` and
/// `ngk0001` can never both exist.
///
/// ```
/// use kenpo_auth::UserId;
///
/// let id = UserId::parse("NGK0001")?;
/// assert_eq!(id.as_str(), "NGK0001");
/// assert_eq!(id.unique_key(), "ngk0001");
/// assert!(UserId::parse("NGK 0001").is_err());
/// # Ok::<(), kenpo_auth::UserIdError>(())
/// ```
///
/// A validated user ID.
///
/// Equality and hashing are case-sensitive, on the ID as typed; use
/// [`unique_key`](Self::unique_key) for uniqueness. Serialises as a plain string and
/// deserialises through [`UserId::parse`].
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct UserId {
    /// The ID as entered followed by its lower-cased key, in one allocation.
    both: String,
    /// Length of the ID (and of the key).
    len: usize,
}

/// Why a string is not a valid user ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserIdError {
    /// Nothing was entered.
    #[error("user ID is empty")]
    Empty,
    /// A character outside `A–Z a–z 0–9 @ - _ . +`; the first one found.
    #[error("user ID contains a character that is not allowed ({}) at position {position}", show_char(*ch))]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its position, counted in characters from 1.
        position: usize,
    },
    /// Fewer than [`UserId::MIN_LEN`] characters.
    #[error("user ID is too short: {len} characters, at least {min} required")]
    TooShort {
        /// Characters entered.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// More than [`UserId::MAX_LEN`] characters.
    #[error("user ID is too long: {len} characters, at most {max} allowed")]
    TooLong {
        /// Characters entered.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

/// A Japanese message for the member.
///
/// ```
/// use kenpo_auth::{MessageJa, UserId};
/// let err = UserId::parse("ＮＧＫ0001").unwrap_err();
/// assert!(err.message_ja().contains("半角"));
/// ```
impl MessageJa for UserIdError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "ユーザーIDを入力してください。".to_owned(),
            Self::InvalidChar { ch, position } => {
                let shown = show_char(*ch);
                if is_full_width_ascii(*ch) || *ch == '\u{3000}' {
                    format!(
                        "ユーザーIDの{position}文字目「{shown}」は全角です。半角で入力してください。"
                    )
                } else if ch.is_whitespace() {
                    format!("ユーザーIDに空白（{position}文字目）は使えません。")
                } else {
                    format!(
                        "ユーザーIDの{position}文字目「{shown}」は使えません。半角英数字と記号 @ - _ . + で入力してください。"
                    )
                }
            }
            Self::TooShort { min, .. } => {
                format!("ユーザーIDは{min}文字以上で入力してください。")
            }
            Self::TooLong { max, .. } => {
                format!("ユーザーIDは{max}文字以内で入力してください。")
            }
        }
    }
}

impl UserId {
    /// Fewest characters a user ID may have (the manual: 6).
    pub const MIN_LEN: usize = 6;

    /// Most characters a user ID may have (the manual: 50).
    pub const MAX_LEN: usize = 50;

    /// The symbols a user ID may contain besides ASCII letters and digits.
    pub const ALLOWED_SYMBOLS: &str = "@-_.+";

    /// Whether `ch` may appear in a user ID.
    #[must_use]
    pub const fn is_allowed_char(ch: char) -> bool {
        ch.is_ascii_alphanumeric() || matches!(ch, '@' | '-' | '_' | '.' | '+')
    }

    /// Validates `input` against the manual's rule. The input is taken as is: no trimming,
    /// no width conversion.
    ///
    /// # Errors
    /// [`UserIdError`] naming the first problem: an empty input, the first character outside
    /// the allowed set (with its position), or a length outside 6–50.
    ///
    /// ```
    /// use kenpo_auth::{UserId, UserIdError};
    /// assert!(UserId::parse("taro.yamada+kenpo@example").is_ok());
    /// assert_eq!(
    ///     UserId::parse("abc def"),
    ///     Err(UserIdError::InvalidChar { ch: ' ', position: 4 })
    /// );
    /// assert_eq!(UserId::parse("abc"), Err(UserIdError::TooShort { len: 3, min: 6 }));
    /// ```
    pub fn parse(input: &str) -> Result<UserId, UserIdError> {
        if input.is_empty() {
            return Err(UserIdError::Empty);
        }
        let mut len = 0usize;
        for (index, ch) in input.chars().enumerate() {
            if !UserId::is_allowed_char(ch) {
                return Err(UserIdError::InvalidChar {
                    ch,
                    position: index + 1,
                });
            }
            len = index + 1;
        }
        // Every character is ASCII from here on, so bytes and characters agree.
        if len < UserId::MIN_LEN {
            return Err(UserIdError::TooShort {
                len,
                min: UserId::MIN_LEN,
            });
        }
        if len > UserId::MAX_LEN {
            return Err(UserIdError::TooLong {
                len,
                max: UserId::MAX_LEN,
            });
        }
        let mut both = String::with_capacity(2 * input.len());
        both.push_str(input);
        both.push_str(input);
        if let Some(key) = both.get_mut(input.len()..) {
            key.make_ascii_lowercase();
        }
        Ok(UserId {
            both,
            len: input.len(),
        })
    }

    /// The user ID exactly as entered.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.both.get(..self.len).unwrap_or_default()
    }

    /// The ASCII-lower-cased ID: the key a store keeps unique, so that IDs differing only in
    /// case cannot both exist.
    ///
    /// ```
    /// use kenpo_auth::UserId;
    /// let a = UserId::parse("NGK0001").unwrap();
    /// let b = UserId::parse("ngk0001").unwrap();
    /// assert_ne!(a, b);
    /// assert_eq!(a.unique_key(), b.unique_key());
    /// ```
    #[must_use]
    pub fn unique_key(&self) -> &str {
        self.both.get(self.len..).unwrap_or_default()
    }

    /// The [`unique_key`](Self::unique_key) as a [`UserKey`], the type stores are keyed by.
    #[must_use]
    pub fn key(&self) -> UserKey {
        UserKey(self.unique_key().to_owned())
    }
}

/// The key under which a user ID is unique: the ID lower-cased ([`UserId::unique_key`]), as a
/// value of its own, so that a store cannot confuse it with the ID as typed.
///
/// User IDs are not secrets: `Debug` shows the key.
///
/// ```
/// use kenpo_auth::{UserId, UserKey};
/// let key: UserKey = UserId::parse("NGK0001").unwrap().key();
/// assert_eq!(key.as_str(), "ngk0001");
/// assert_eq!(key, UserId::parse("ngk0001").unwrap().key());
/// assert!(UserKey::from_stored("ngk0001").is_ok());
/// assert!(UserKey::from_stored("NGK0001").is_err()); // keys are lower-case
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
#[serde(transparent)]
pub struct UserKey(String);

impl UserKey {
    /// The lower-cased user ID.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key read back from storage: a valid user ID, already lower-case.
    ///
    /// # Errors
    /// [`UserIdError`] for a string that is not a user ID; [`UserIdError::InvalidChar`] for an
    /// upper-case letter.
    pub fn from_stored(stored: &str) -> Result<UserKey, UserIdError> {
        let id = UserId::parse(stored)?;
        match stored
            .chars()
            .enumerate()
            .find(|(_, ch)| ch.is_ascii_uppercase())
        {
            Some((index, ch)) => Err(UserIdError::InvalidChar {
                ch,
                position: index + 1,
            }),
            None => Ok(id.key()),
        }
    }
}

impl fmt::Display for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        UserKey::from_stored(&raw).map_err(serde::de::Error::custom)
    }
}

impl From<&UserId> for UserKey {
    fn from(id: &UserId) -> Self {
        id.key()
    }
}

validated_str!(
    UserId,
    UserIdError,
    parse = UserId::parse,
    deserialize = UserId::parse
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_allowed_character() {
        let all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx";
        assert!(UserId::parse(all).is_ok());
        assert!(UserId::parse("yz0123456789@-_.+").is_ok());
    }

    #[test]
    fn describes_control_characters_by_code_point() {
        let err = UserId::parse("abc\u{7}defg").unwrap_err();
        assert!(err.to_string().contains("U+0007"));
        assert!(err.message_ja().contains("U+0007"));
    }
}
