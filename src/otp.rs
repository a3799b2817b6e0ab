//! One-time codes (認証番号), sans I/O.
//!
//! [`CodeChallenge::issue`] takes the time and a CSPRNG and returns the code to mail and the
//! record to store; [`CodeChallenge::check`] takes that record, the code the member typed and
//! the time and returns a [`Verdict`]. Nothing here touches a store, a mailer or a clock, so
//! every rule can be tested directly.
//!
//! A code is six decimal digits drawn uniformly (rejection sampling, no modulo bias). The store
//! keeps only a keyed BLAKE2s MAC of it, bound to the challenge id and purpose, so a leaked
//! store does not reveal live codes without the [`SecretKey`]; comparison is constant-time.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use kenpo_auth::otp::{CodeChallenge, Purpose, TypedCode, Verdict};
//! use kenpo_auth::{SecretKey, ticket::TicketId};
//!
//! let key = SecretKey::from_bytes([9; 32]);
//! let now = SystemTime::UNIX_EPOCH;
//! let ten_minutes = Duration::from_secs(600);
//! let (code, mut challenge) =
//!     CodeChallenge::issue(&key, TicketId::random(), Purpose::Registration, now, ten_minutes, &mut rand::rng());
//! challenge.attempts = 1; // the store counts the entry before the comparison
//! let typed = TypedCode::parse(code.as_str()).unwrap();
//! let just_in_time = now + ten_minutes - Duration::from_millis(1);
//! assert_eq!(challenge.check(&key, &typed, just_in_time, 5), Verdict::Accepted);
//! assert_eq!(challenge.check(&key, &typed, now + ten_minutes, 5), Verdict::Expired);
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use blake2::Blake2sMac256;
use blake2::digest::{KeyInit, Mac};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::config::SecretKey;
use crate::ticket::TicketId;

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;

/// How many codes there are (10⁶).
const CODE_SPACE: u32 = 1_000_000;

/// The largest multiple of [`CODE_SPACE`] that fits in a `u32`: draws at or above it are
/// rejected so that every code is equally likely.
const UNBIASED_LIMIT: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;

/// Draws a number below 10⁶ uniformly from `rng` by rejection sampling.
fn uniform_below_million<R: CryptoRng + ?Sized>(rng: &mut R) -> u32 {
    loop {
        let draw = rng.next_u32();
        if draw < UNBIASED_LIMIT {
            return draw % CODE_SPACE;
        }
    }
}

/// What a challenge is for; part of the MAC, so a code for one purpose never passes for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Confirming the e-mail address of a new user ID.
    Registration,
    /// Resetting a forgotten password.
    PasswordReset,
}

impl Purpose {
    const fn tag(self) -> u8 {
        match self {
            Self::Registration => 1,
            Self::PasswordReset => 2,
        }
    }
}

/// A freshly issued code, to be mailed and then forgotten. Zeroized on drop; `Debug` redacts it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OtpCode([u8; CODE_DIGITS]);

impl OtpCode {
    fn from_number(number: u32) -> Self {
        let mut digits = [b'0'; CODE_DIGITS];
        let mut rest = number;
        for digit in digits.iter_mut().rev() {
            // `rest % 10` is below 10, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let low = (rest % 10) as u8;
            *digit = b'0' + low;
            rest /= 10;
        }
        Self(digits)
    }

    /// The six digits, leading zeros kept.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Always six ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode([REDACTED])")
    }
}

/// A code as the member typed it, checked for shape: six digits after removing surrounding
/// spaces, full-width digits (０-９) accepted. Zeroized on drop; `Debug` redacts it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TypedCode([u8; CODE_DIGITS]);

impl TypedCode {
    /// Reads a typed code.
    ///
    /// # Errors
    /// [`CodeFormatError`] unless the input is exactly six (half- or full-width) digits,
    /// ignoring surrounding white space.
    ///
    /// ```
    /// use kenpo_auth::otp::TypedCode;
    /// assert!(TypedCode::parse(" ０１２３４５ ").is_ok());
    /// assert!(TypedCode::parse("12345").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, CodeFormatError> {
        let mut digits = [0_u8; CODE_DIGITS];
        let mut count = 0_usize;
        for ch in input.trim().chars() {
            let value = match ch {
                '0'..='9' => u32::from(ch) - u32::from('0'),
                '０'..='９' => u32::from(ch) - u32::from('０'),
                _ => return Err(CodeFormatError),
            };
            let slot = digits.get_mut(count).ok_or(CodeFormatError)?;
            *slot = b'0' + u8::try_from(value).map_err(|_| CodeFormatError)?;
            count += 1;
        }
        if count == CODE_DIGITS {
            Ok(Self(digits))
        } else {
            Err(CodeFormatError)
        }
    }
}

impl fmt::Debug for TypedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TypedCode([REDACTED])")
    }
}

/// A typed code that is not six digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the code must be six digits")]
pub struct CodeFormatError;

/// The keyed MAC under which a code is stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeMac([u8; 32]);

impl CodeMac {
    /// Computes the MAC of `digits` for challenge `id` and `purpose` under `key`.
    // By reference: the digits are a secret, and a copy would not be zeroized.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    fn compute(
        key: &SecretKey,
        id: TicketId,
        purpose: Purpose,
        digits: &[u8; CODE_DIGITS],
    ) -> Self {
        let mut mac = <Blake2sMac256 as KeyInit>::new(&(*key.as_bytes()).into());
        mac.update(b"kenpo-auth code v1");
        mac.update(&[purpose.tag()]);
        mac.update(id.as_bytes());
        mac.update(digits);
        Self(mac.finalize().into_bytes().into())
    }

    /// The raw bytes, for a store's binary column.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The MAC from its raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Constant-time equality.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for CodeMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeMac(..)")
    }
}

/// The code-related part of a challenge: what the store keeps instead of the code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeChallenge {
    /// The challenge's id, which its ticket carries.
    pub id: TicketId,
    /// What the code is for.
    pub purpose: Purpose,
    /// The MAC of the live code.
    pub code_mac: CodeMac,
    /// When the live code was issued (sent).
    pub issued_at: SystemTime,
    /// When the live code stops being accepted: `issued_at` plus the validity.
    pub expires_at: SystemTime,
    /// Entries counted so far, right and wrong, including the one being checked.
    pub attempts: u32,
    /// Codes sent so far for this challenge, the first one included.
    pub sends: u32,
}

/// The outcome of checking a typed code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The code is right, in time, within the attempt limit.
    Accepted,
    /// The code is wrong; `remaining` further entries are allowed.
    Wrong {
        /// Entries left before the challenge is dead.
        remaining: u32,
    },
    /// The code's validity has run out (checked before the code is compared).
    Expired,
    /// More entries than allowed: the challenge is dead, whatever was typed.
    AttemptsExhausted,
}

impl CodeChallenge {
    /// Issues a code for a new challenge: returns the code to mail and the record to store
    /// (with no attempts and one send).
    pub fn issue<R: CryptoRng + ?Sized>(
        key: &SecretKey,
        id: TicketId,
        purpose: Purpose,
        now: SystemTime,
        validity: Duration,
        rng: &mut R,
    ) -> (OtpCode, Self) {
        let code = OtpCode::from_number(uniform_below_million(rng));
        let challenge = Self {
            id,
            purpose,
            code_mac: CodeMac::compute(key, id, purpose, &code.0),
            issued_at: now,
            expires_at: now + validity,
            attempts: 0,
            sends: 1,
        };
        (code, challenge)
    }

    /// Issues a replacement code for this challenge (a resend): the new code and its MAC.
    /// The caller stores the MAC through the store's conditional replace, which voids the old
    /// code and keeps the attempt count.
    pub fn reissue<R: CryptoRng + ?Sized>(
        &self,
        key: &SecretKey,
        rng: &mut R,
    ) -> (OtpCode, CodeMac) {
        let code = OtpCode::from_number(uniform_below_million(rng));
        let mac = CodeMac::compute(key, self.id, self.purpose, &code.0);
        (code, mac)
    }

    /// Checks `typed` against this record at `now`.
    ///
    /// `self.attempts` must already count this entry: the store increments it atomically
    /// before the comparison, so parallel guesses each count. Order of checks: attempts, then
    /// expiry, then the constant-time comparison; a code is accepted strictly before
    /// `expires_at`.
    #[must_use]
    pub fn check(
        &self,
        key: &SecretKey,
        typed: &TypedCode,
        now: SystemTime,
        max_attempts: u32,
    ) -> Verdict {
        if self.attempts > max_attempts {
            return Verdict::AttemptsExhausted;
        }
        if now >= self.expires_at {
            return Verdict::Expired;
        }
        let candidate = CodeMac::compute(key, self.id, self.purpose, &typed.0);
        if candidate.ct_eq(&self.code_mac) {
            Verdict::Accepted
        } else {
            Verdict::Wrong {
                remaining: max_attempts.saturating_sub(self.attempts),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn codes_keep_leading_zeros() {
        assert_eq!(OtpCode::from_number(42).as_str(), "000042");
        assert_eq!(OtpCode::from_number(999_999).as_str(), "999999");
    }

    #[test]
    fn draws_at_or_above_the_limit_are_rejected() {
        // A generator whose first word lies in the biased tail must be skipped.
        struct Scripted(Vec<u32>);
        impl rand::TryRng for Scripted {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.0.remove(0))
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(u64::from(self.try_next_u32()?))
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        impl rand::TryCryptoRng for Scripted {}
        let mut rng = Scripted(vec![u32::MAX, UNBIASED_LIMIT, 1_000_007]);
        assert_eq!(uniform_below_million(&mut rng), 7);
    }

    #[test]
    fn draws_cover_the_range_evenly() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut buckets = [0_u32; 10];
        for _ in 0..100_000 {
            let n = uniform_below_million(&mut rng);
            assert!(n < CODE_SPACE);
            buckets[(n / 100_000) as usize] += 1;
        }
        for count in buckets {
            assert!((9_000..11_000).contains(&count), "{buckets:?}");
        }
    }

    #[test]
    fn typed_codes_accept_full_width_digits_only_six() {
        assert!(TypedCode::parse("123456").is_ok());
        assert!(TypedCode::parse("１２３４５６").is_ok());
        assert!(TypedCode::parse("1234567").is_err());
        assert!(TypedCode::parse("12 3456").is_err());
        assert!(TypedCode::parse("12345a").is_err());
        assert!(TypedCode::parse("").is_err());
    }

    #[test]
    fn mac_is_bound_to_key_id_and_purpose() {
        let key = SecretKey::from_bytes([1; 32]);
        let other_key = SecretKey::from_bytes([2; 32]);
        let id = TicketId::from_bytes([3; 16]);
        let other_id = TicketId::from_bytes([4; 16]);
        let digits = *b"123456";
        let base = CodeMac::compute(&key, id, Purpose::Registration, &digits);
        assert!(base.ct_eq(&CodeMac::compute(&key, id, Purpose::Registration, &digits)));
        assert!(!base.ct_eq(&CodeMac::compute(
            &other_key,
            id,
            Purpose::Registration,
            &digits
        )));
        assert!(!base.ct_eq(&CodeMac::compute(
            &key,
            other_id,
            Purpose::Registration,
            &digits
        )));
        assert!(!base.ct_eq(&CodeMac::compute(&key, id, Purpose::PasswordReset, &digits)));
        assert!(!base.ct_eq(&CodeMac::compute(
            &key,
            id,
            Purpose::Registration,
            b"123457"
        )));
    }

    #[test]
    fn debug_never_shows_codes() {
        let code = OtpCode::from_number(123_456);
        assert!(!format!("{code:?}").contains("123456"));
        let typed = TypedCode::parse("123456").unwrap();
        assert!(!format!("{typed:?}").contains("123456"));
    }
}
