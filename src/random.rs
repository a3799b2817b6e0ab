//! Secrets: made by the operating system's generator, or read from configuration text.
//!
//! Every secret the crate makes — codes, ticket ids, salts, keys — comes straight from the
//! operating system's generator (`getrandom(2)` on Linux, through `rand`'s `SysRng`).
//!
//! Not from a user-space generator such as `rand::rng()`: a thread-local generator seeded once
//! is copied, state and all, into a child process by `fork`, and parent and child would then
//! issue the same codes. Asking the kernel each time costs about a microsecond and has no state
//! to copy.

use rand::TryRng as _;
use rand::rngs::SysRng;

/// The operating system's generator failed (it does not on supported platforms once booted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomError;

/// Fills `bytes` from the operating system's generator.
pub(crate) fn fill(bytes: &mut [u8]) -> Result<(), RandomError> {
    SysRng.try_fill_bytes(bytes).map_err(|_| RandomError)
}

/// The operating system's generator, as a `rand` generator for the code samplers.
pub(crate) fn os() -> SysRng {
    SysRng
}

/// Why a secret (a [`SecretKey`](crate::SecretKey) or a [`Pepper`](crate::Pepper)) could not be
/// read from configuration text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretParseError {
    /// Neither hexadecimal nor standard base64.
    #[error("a secret is written in hexadecimal or standard base64")]
    Encoding,
    /// Fewer bytes than the secret needs.
    #[error("a secret needs at least {min} bytes, this one has {found}")]
    TooShort {
        /// The bytes decoded.
        found: usize,
        /// The fewest accepted.
        min: usize,
    },
    /// More bytes than the secret holds.
    #[error("this secret holds {max} bytes, {found} were given")]
    TooLong {
        /// The bytes decoded.
        found: usize,
        /// The most accepted.
        max: usize,
    },
    /// Every byte is zero: no secret at all (a placeholder left in a configuration file).
    #[error("a secret of zeros is no secret")]
    AllZero,
}

/// Decodes a secret written in hexadecimal (when every character is a hex digit) or standard
/// base64, and checks its length. Surrounding white space is ignored. Decoding runs in
/// constant time for base64 (`base64ct`); hex digits are decoded without branching on value.
pub(crate) fn decode_secret(
    text: &str,
    min: usize,
    max: usize,
) -> Result<zeroize::Zeroizing<Vec<u8>>, SecretParseError> {
    let text = text.trim();
    let bytes =
        if !text.is_empty() && text.len() % 2 == 0 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(text)
        } else {
            use base64ct::Encoding as _;
            zeroize::Zeroizing::new(
                base64ct::Base64::decode_vec(text).map_err(|_| SecretParseError::Encoding)?,
            )
        };
    if bytes.len() < min {
        return Err(SecretParseError::TooShort {
            found: bytes.len(),
            min,
        });
    }
    if bytes.len() > max {
        return Err(SecretParseError::TooLong {
            found: bytes.len(),
            max,
        });
    }
    if bytes.iter().all(|&b| b == 0) {
        return Err(SecretParseError::AllZero);
    }
    Ok(bytes)
}

/// Hex digits (already checked) to bytes.
/// Bytes as lower-case hex digits, two a byte: how tickets, session stamps and audit
/// pseudonyms are written.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn decode_hex(text: &str) -> zeroize::Zeroizing<Vec<u8>> {
    // Branch-free per digit: '0'-'9' and 'a'-'f'/'A'-'F' differ in bit 6.
    let value = |b: u8| (b & 0x0F) + 9 * (b >> 6);
    zeroize::Zeroizing::new(
        text.as_bytes()
            .chunks_exact(2)
            .map(|pair| match pair {
                [high, low] => value(*high) << 4 | value(*low),
                _ => 0,
            })
            .collect(),
    )
}
