//! Opaque handles that name state kept in the [`Store`](crate::Store).
//!
//! A ticket holds nothing but 128 random bits from the operating system's generator, written as
//! 32 lower-case hex digits — its only spelling: upper-case digits, signs or other lengths are
//! refused, so one ticket cannot be presented in many forms. A host may keep it in a session
//! or a hidden form field: forging or altering one yields a handle that names nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::random::{self, RandomError};

/// The random id behind every ticket.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId([u8; TicketId::BYTES]);

impl TicketId {
    /// Bytes of randomness in every ticket (128 bits).
    pub const BYTES: usize = 16;

    /// A fresh id from the operating system's generator.
    ///
    /// # Errors
    /// [`RandomError`] if the generator fails.
    pub fn random() -> Result<Self, RandomError> {
        let mut bytes = [0_u8; TicketId::BYTES];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The raw bytes (for a store's binary key column).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; TicketId::BYTES] {
        &self.0
    }

    /// The id from its raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; TicketId::BYTES]) -> Self {
        Self(bytes)
    }

    /// The 32 lower-case hex digits.
    #[must_use]
    pub fn to_hex(&self) -> String {
        random::to_hex(&self.0)
    }
}

/// A ticket string that is not 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a ticket is 32 lower-case hexadecimal digits")]
pub struct TicketFormatError;

/// The value of one lower-case hex digit; `None` for anything else (upper case included).
const fn lower_hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

impl FromStr for TicketId {
    type Err = TicketFormatError;

    /// Reads the 32 lower-case hex digits that [`Display`](fmt::Display) writes, and nothing
    /// else.
    ///
    /// ```
    /// use kenpo_auth::store::TicketId;
    /// let hex = "00112233445566778899aabbccddeeff";
    /// assert_eq!(hex.parse::<TicketId>().unwrap().to_hex(), hex);
    /// assert!("00112233445566778899AABBCCDDEEFF".parse::<TicketId>().is_err());
    /// assert!("+0112233445566778899aabbccddeeff".parse::<TicketId>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, TicketFormatError> {
        let hex = s.as_bytes();
        if hex.len() != 2 * TicketId::BYTES {
            return Err(TicketFormatError);
        }
        let mut bytes = [0_u8; TicketId::BYTES];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let (Some(&high), Some(&low)) = (pair.first(), pair.get(1)) else {
                return Err(TicketFormatError);
            };
            let (Some(high), Some(low)) = (lower_hex_digit(high), lower_hex_digit(low)) else {
                return Err(TicketFormatError);
            };
            *byte = high << 4 | low;
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Bearer handles are secrets: `Debug` never prints them.
impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketId([REDACTED])")
    }
}

impl Serialize for TicketId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for TicketId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! ticket {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Opaque, `Clone` and serde-able (as its 32 hex digits); `Debug` never shows the id.
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(TicketId);

        impl $name {
            pub(crate) fn new(id: TicketId) -> Self {
                Self(id)
            }

            /// The id that names the state in the store.
            #[must_use]
            pub const fn id(&self) -> TicketId {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = TicketFormatError;

            fn from_str(s: &str) -> Result<Self, TicketFormatError> {
                s.parse().map(Self)
            }
        }
    };
}

ticket! {
    /// Proof of a successful first authentication (初回認証), good for
    /// [`Config::signup_validity`](crate::Config::signup_validity).
    SignupTicket
}

ticket! {
    /// A registration waiting for the mailed code (認証番号).
    PendingRegistration
}

ticket! {
    /// A password reset waiting for the mailed code. Issued whether or not the user ID exists.
    PasswordResetTicket
}

ticket! {
    /// A change of e-mail address waiting for the code mailed to the new address.
    PendingEmailChange
}
