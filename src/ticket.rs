//! Opaque handles that name state kept in the [`Store`](crate::Store).
//!
//! A ticket holds nothing but 128 random bits from a CSPRNG, written as 32 lower-case hex
//! digits. A host may keep it in a session or a hidden form field: forging or altering one
//! yields a handle that names nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes of randomness in every ticket (128 bits).
pub const TICKET_BYTES: usize = 16;

/// The random id behind every ticket.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId([u8; TICKET_BYTES]);

impl TicketId {
    /// A fresh id from the thread-local CSPRNG.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0_u8; TICKET_BYTES];
        rand::fill(&mut bytes);
        Self(bytes)
    }

    /// The raw bytes (for a store's binary key column).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; TICKET_BYTES] {
        &self.0
    }

    /// The id from its raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; TICKET_BYTES]) -> Self {
        Self(bytes)
    }

    /// The 32 lower-case hex digits.
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(32), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }
}

/// A ticket string that is not 32 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a ticket is 32 hexadecimal digits")]
pub struct TicketFormatError;

impl FromStr for TicketId {
    type Err = TicketFormatError;

    fn from_str(s: &str) -> Result<Self, TicketFormatError> {
        let hex = s.as_bytes();
        if hex.len() != 2 * TICKET_BYTES {
            return Err(TicketFormatError);
        }
        let mut bytes = [0_u8; TICKET_BYTES];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| TicketFormatError)?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| TicketFormatError)?;
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
