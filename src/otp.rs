//! One-time codes (認証番号), sans I/O: [`CodeChallenge`].

use std::fmt;
use std::time::{Duration, SystemTime};

use blake2::Blake2sMac256;
use blake2::digest::{KeyInit, Mac};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rand::{Rng as _, TryCryptoRng};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::clock::{later, until};
use crate::random::{self, RandomError, SecretParseError};
use crate::ticket::{PendingEmailChange, PendingRegistration, TicketId};

/// The longest code, in characters (a reset code).
const MAX_CODE_CHARS: usize = 12;

/// How many six-digit codes there are (10⁶).
const SIX_DIGIT_SPACE: u32 = 1_000_000;

/// The largest multiple of [`SIX_DIGIT_SPACE`] that fits in a `u32`: draws at or above it are
/// rejected so that every code is equally likely.
const UNBIASED_LIMIT: u32 = (u32::MAX / SIX_DIGIT_SPACE) * SIX_DIGIT_SPACE;

/// What a code looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CodeShape {
    /// Six decimal digits (the manual's registration code, about 20 bits).
    SixDigits,
    /// Twelve characters of [`CodeShape::RESET_ALPHABET`] (60 bits), shown in three groups of four.
    TwelveChars,
}

impl CodeShape {
    /// The reset-code alphabet: digits and capitals without `0 1 I O`, which read alike. 32
    /// symbols, so five random bits pick one with no bias.
    pub const RESET_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

    /// Characters in a code of this shape.
    #[must_use]
    pub const fn len(self) -> usize {
        match self {
            Self::SixDigits => 6,
            Self::TwelveChars => MAX_CODE_CHARS,
        }
    }

    /// Whether codes of this shape are empty (never).
    #[must_use]
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// What a challenge is for; part of the MAC, so a code for one purpose never passes for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Purpose {
    /// Confirming the e-mail address of a new user ID.
    Registration,
    /// Resetting a forgotten password.
    PasswordReset,
    /// Confirming a new e-mail address of a logged-in member.
    EmailChange,
}

impl Purpose {
    const fn tag(self) -> u8 {
        match self {
            Self::Registration => 1,
            Self::PasswordReset => 2,
            Self::EmailChange => 3,
        }
    }

    /// The shape of this purpose's codes.
    #[must_use]
    pub const fn shape(self) -> CodeShape {
        match self {
            Self::Registration | Self::EmailChange => CodeShape::SixDigits,
            Self::PasswordReset => CodeShape::TwelveChars,
        }
    }
}

/// A ticket waiting for a mailed code that the member may have sent again:
/// [`PendingRegistration`] and [`PendingEmailChange`]. It lets one
/// [`Portal::resend_wait`](crate::Portal::resend_wait) serve both code screens. Sealed: the
/// crate's two tickets are the only ones.
///
/// ```
/// use std::time::Duration;
/// use kenpo_auth::{Mailer, Portal, ResendableTicket, Store};
///
/// /// The seconds a code screen shows before its resend button works.
/// async fn wait_shown<S: Store, M: Mailer>(
///     portal: &Portal<S, M>,
///     pending: &impl ResendableTicket,
/// ) -> u64 {
///     portal.resend_wait(pending).await.unwrap_or(Duration::ZERO).as_secs()
/// }
/// ```
pub trait ResendableTicket: sealed::Sealed {
    /// The challenge in the store, and the purpose its code must have.
    #[doc(hidden)]
    fn challenge(&self) -> (TicketId, Purpose);
}

mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for PendingRegistration {}
impl sealed::Sealed for PendingEmailChange {}

impl ResendableTicket for PendingRegistration {
    fn challenge(&self) -> (TicketId, Purpose) {
        (self.id(), Purpose::Registration)
    }
}

impl ResendableTicket for PendingEmailChange {
    fn challenge(&self) -> (TicketId, Purpose) {
        (self.id(), Purpose::EmailChange)
    }
}

/// A code's characters in canonical form (digits, or upper-case reset-alphabet letters), on
/// the stack so that zeroizing reaches every copy.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct Chars {
    bytes: [u8; MAX_CODE_CHARS],
    #[zeroize(skip)]
    shape: CodeShape,
}

impl Chars {
    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.shape.len()).unwrap_or_default()
    }

    fn as_str(&self) -> &str {
        // Always ASCII.
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

/// Draws a number below 10⁶ uniformly from `rng` by rejection sampling.
fn uniform_below_million<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<u32, R::Error> {
    loop {
        let draw = rng.try_next_u32()?;
        if draw < UNBIASED_LIMIT {
            return Ok(draw % SIX_DIGIT_SPACE);
        }
    }
}

fn draw<R: TryCryptoRng + ?Sized>(shape: CodeShape, rng: &mut R) -> Result<Chars, R::Error> {
    let mut bytes = [0_u8; MAX_CODE_CHARS];
    match shape {
        CodeShape::SixDigits => {
            let mut rest = uniform_below_million(rng)?;
            for digit in bytes.iter_mut().take(6).rev() {
                // `rest % 10` is below 10, so the cast cannot truncate.
                #[allow(clippy::cast_possible_truncation)]
                let low = (rest % 10) as u8;
                *digit = b'0' + low;
                rest /= 10;
            }
        }
        CodeShape::TwelveChars => {
            // 60 of 64 random bits, five per character: 32 symbols, so no bias.
            let mut bits = rng.try_next_u64()?;
            for slot in &mut bytes {
                #[allow(clippy::cast_possible_truncation)] // masked to five bits
                let index = (bits & 0x1F) as usize;
                *slot = CodeShape::RESET_ALPHABET
                    .get(index)
                    .copied()
                    .unwrap_or(b'2');
                bits >>= 5;
            }
        }
    }
    Ok(Chars { bytes, shape })
}

/// A freshly issued code, to be mailed and then forgotten. Zeroized on drop; `Debug` redacts it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OtpCode(Chars);

impl OtpCode {
    /// A fixed code of `shape`, never issued: for checking what a mail around a code looks like.
    pub(crate) fn sample(shape: CodeShape) -> OtpCode {
        let mut bytes = [0_u8; MAX_CODE_CHARS];
        for (slot, byte) in bytes.iter_mut().zip(b"234567BCDFGH".iter()) {
            *slot = *byte;
        }
        OtpCode(Chars { bytes, shape })
    }

    /// The code in canonical form: six digits, or twelve upper-case characters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The code as the member reads it: six digits, or `XXXX-XXXX-XXXX`.
    #[must_use]
    pub fn display(&self) -> String {
        match self.0.shape {
            CodeShape::SixDigits => self.as_str().to_owned(),
            CodeShape::TwelveChars => {
                let mut shown = String::with_capacity(14);
                for (index, ch) in self.as_str().chars().enumerate() {
                    if index > 0 && index % 4 == 0 {
                        shown.push('-');
                    }
                    shown.push(ch);
                }
                shown
            }
        }
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode([REDACTED])")
    }
}

/// A code as the member typed it, checked for shape. Zeroized on drop; `Debug` redacts it.
///
/// Surrounding white space is ignored and full-width characters (０-９, Ａ-Ｚ) are read as
/// half-width. A reset code may be typed with or without its hyphens and in either case.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TypedCode(Chars);

impl TypedCode {
    /// Reads a typed code of `shape`.
    ///
    /// # Errors
    /// [`CodeFormatError`] unless the input is exactly one code of that shape.
    ///
    /// ```
    /// use kenpo_auth::CodeShape;
    /// use kenpo_auth::store::TypedCode;
    /// assert!(TypedCode::parse(" ０１２３４５ ", CodeShape::SixDigits).is_ok());
    /// assert!(TypedCode::parse("12345", CodeShape::SixDigits).is_err());
    /// assert!(TypedCode::parse("k7qm-4tzd-9whb", CodeShape::TwelveChars).is_ok());
    /// assert!(TypedCode::parse("K7QM4TZD9WHB", CodeShape::TwelveChars).is_ok());
    /// assert!(TypedCode::parse("K7QM-4TZD-9WH0", CodeShape::TwelveChars).is_err()); // no 0
    /// ```
    pub fn parse(input: &str, shape: CodeShape) -> Result<Self, CodeFormatError> {
        let mut bytes = [0_u8; MAX_CODE_CHARS];
        let mut count = 0_usize;
        for ch in input.trim().chars() {
            let half = match u32::from(ch) {
                // Full-width ASCII (U+FF01–FF5E) to half-width.
                code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(ch),
                _ => ch,
            };
            let canonical = match (shape, half) {
                (CodeShape::SixDigits, '0'..='9') => half,
                (CodeShape::TwelveChars, '-') => continue,
                (CodeShape::TwelveChars, _)
                    if half.is_ascii()
                        && CodeShape::RESET_ALPHABET
                            .contains(&(half as u8).to_ascii_uppercase()) =>
                {
                    half.to_ascii_uppercase()
                }
                _ => return Err(CodeFormatError { shape }),
            };
            let slot = bytes.get_mut(count).ok_or(CodeFormatError { shape })?;
            *slot = u8::try_from(canonical).map_err(|_| CodeFormatError { shape })?;
            count += 1;
        }
        if count == shape.len() {
            Ok(Self(Chars { bytes, shape }))
        } else {
            Err(CodeFormatError { shape })
        }
    }
}

impl fmt::Debug for TypedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TypedCode([REDACTED])")
    }
}

/// A typed code that does not have the expected shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the code does not have the expected shape ({shape:?})")]
pub struct CodeFormatError {
    /// The shape that was expected.
    pub shape: CodeShape,
}

/// The keyed MAC under which a code is stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct CodeMac([u8; 32]);

impl CodeMac {
    /// Computes the MAC of `chars` for challenge `id` and `purpose` under `key`.
    fn compute(key: &SecretKey, id: TicketId, purpose: Purpose, chars: &Chars) -> Self {
        let mut mac = key.mac(b"kenpo-auth code v1");
        mac.update(&[purpose.tag()]);
        mac.update(id.as_bytes());
        mac.update(chars.as_bytes());
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

/// One-time codes (認証番号), sans I/O.
///
/// [`CodeChallenge::issue`] takes the time and a generator and returns the code to mail and the
/// record to store; [`CodeChallenge::check`] takes that record, the code the member typed and
/// the time and returns a [`Verdict`]; [`CodeChallenge::resend`] and [`CodeChallenge::void`]
/// are the rules a store applies when it changes a live code. Nothing here touches a store, a
/// mailer or a clock, so every rule can be tested directly.
///
/// Codes come in two shapes ([`CodeShape`]):
///
/// - **registration**: the manual's six decimal digits, drawn uniformly (rejection sampling,
///   no modulo bias), leading zeros kept. The one who starts a registration receives its code,
///   so guessing it gains nothing.
/// - **password reset**: twelve characters of `23456789ABCDEFGHJKLMNPQRSTUVWXYZ` (60 bits),
///   mailed as `K7QM-4TZD-9WHB`, accepted with or without hyphens and in either case. Long
///   enough that one guess sprayed over the reset codes of many accounts gains nothing: with
///   100 wrong entries allowed per account, a million accounts give an attacker a 10⁻¹⁰ chance.
///
/// The store keeps only a keyed BLAKE2s MAC of a code, bound to the challenge id and purpose,
/// so a leaked store does not reveal live codes without the [`SecretKey`]; comparison is
/// constant-time.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kenpo_auth::store::{CodeChallenge, Purpose, TypedCode, Verdict};
/// use kenpo_auth::SecretKey;
/// use kenpo_auth::store::TicketId;
///
/// let key = SecretKey::from_bytes([9; 32]);
/// let now = SystemTime::UNIX_EPOCH;
/// let ten_minutes = Duration::from_secs(600);
/// let id = TicketId::from_bytes([1; 16]);
/// let mut rng = rand::rngs::SysRng;
/// let (code, mut challenge) =
///     CodeChallenge::issue(&key, id, Purpose::PasswordReset, now, ten_minutes, &mut rng).unwrap();
/// assert_eq!(code.display().len(), 14); // XXXX-XXXX-XXXX
/// challenge.attempts = 1; // the store counts the entry before the comparison
/// let typed = TypedCode::parse(&code.display().to_lowercase(), Purpose::PasswordReset.shape()).unwrap();
/// let just_in_time = now + ten_minutes - Duration::from_millis(1);
/// assert_eq!(challenge.check(&key, &typed, just_in_time, 5), Verdict::Accepted);
/// assert_eq!(challenge.check(&key, &typed, now + ten_minutes, 5), Verdict::Expired);
/// ```
///
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
    /// When the live code stops being accepted: `issued_at` plus the validity. A code judged
    /// expired is voided by setting this to `issued_at` ([`void`](Self::void)).
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
    /// The code's validity has run out, or the clock reads a time before its issue (checked
    /// before the code is compared). The caller voids the code for good.
    Expired,
    /// More entries than allowed: the challenge is dead, whatever was typed.
    AttemptsExhausted,
}

/// Limits on resending a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResendRules {
    /// Shortest time between two sends.
    pub cooldown: Duration,
    /// Most sends per challenge, the first included.
    pub max_sends: u32,
    /// How long the new code stays valid.
    pub validity: Duration,
}

/// The answer of [`CodeChallenge::resend`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The new code replaced the old one; the send count went up by one.
    Replaced,
    /// The last send was too recent.
    TooSoon {
        /// Wait this long.
        retry_after: Duration,
    },
    /// The challenge has been sent the most codes it may.
    LimitReached,
}

impl CodeChallenge {
    /// Issues a code for a new challenge: returns the code to mail and the record to store
    /// (with no attempts and one send). The shape follows the purpose.
    ///
    /// # Errors
    /// The generator's error.
    pub fn issue<R: TryCryptoRng + ?Sized>(
        key: &SecretKey,
        id: TicketId,
        purpose: Purpose,
        now: SystemTime,
        validity: Duration,
        rng: &mut R,
    ) -> Result<(OtpCode, Self), R::Error> {
        let chars = draw(purpose.shape(), rng)?;
        let challenge = Self {
            id,
            purpose,
            code_mac: CodeMac::compute(key, id, purpose, &chars),
            issued_at: now,
            expires_at: later(now, validity),
            attempts: 0,
            sends: 1,
        };
        Ok((OtpCode(chars), challenge))
    }

    /// Draws a replacement code for this challenge (a resend): the new code and its MAC, to be
    /// applied through [`resend`](Self::resend) inside the store's atomic update.
    ///
    /// # Errors
    /// The generator's error.
    pub fn reissue<R: TryCryptoRng + ?Sized>(
        &self,
        key: &SecretKey,
        rng: &mut R,
    ) -> Result<(OtpCode, CodeMac), R::Error> {
        let chars = draw(self.purpose.shape(), rng)?;
        let mac = CodeMac::compute(key, self.id, self.purpose, &chars);
        Ok((OtpCode(chars), mac))
    }

    /// The resend rule: not sooner than `rules.cooldown` after the last send, at most
    /// `rules.max_sends` sends. When allowed, the new MAC replaces the old one (voiding the old
    /// code), the validity starts again at `now`, and the wrong-entry count carries over.
    pub fn resend(
        &mut self,
        now: SystemTime,
        new_mac: CodeMac,
        rules: ResendRules,
    ) -> ResendOutcome {
        let wait = self.resend_wait(now, rules.cooldown);
        if !wait.is_zero() {
            return ResendOutcome::TooSoon { retry_after: wait };
        }
        if self.sends >= rules.max_sends {
            return ResendOutcome::LimitReached;
        }
        self.code_mac = new_mac;
        self.issued_at = now;
        self.expires_at = later(now, rules.validity);
        self.sends = self.sends.saturating_add(1);
        ResendOutcome::Replaced
    }

    /// Applies `change` — one of the rules below, inside a store's atomic update — to the live
    /// code. Whose challenge it is (the id and purpose) is not a rule's to change, so whatever
    /// `change` does to them is undone.
    ///
    /// ```
    /// # use std::time::{Duration, SystemTime};
    /// # use kenpo_auth::SecretKey;
    /// # use kenpo_auth::store::{CodeChallenge, Purpose, TicketId};
    /// # let key = SecretKey::from_bytes([1; 32]);
    /// # let id = TicketId::from_bytes([2; 16]);
    /// # let (_, mut code) = CodeChallenge::issue(&key, id, Purpose::Registration,
    /// #     SystemTime::UNIX_EPOCH, Duration::from_secs(600), &mut rand::rngs::SysRng).unwrap();
    /// code.apply(|code| code.purpose = Purpose::PasswordReset);
    /// assert_eq!(code.purpose, Purpose::Registration);
    /// ```
    pub fn apply<R>(&mut self, change: impl FnOnce(&mut CodeChallenge) -> R) -> R {
        let (id, purpose) = (self.id, self.purpose);
        let answer = change(self);
        self.id = id;
        self.purpose = purpose;
        answer
    }

    /// How long until a resend is allowed at `now` (zero if it is), without changing anything.
    #[must_use]
    pub fn resend_wait(&self, now: SystemTime, cooldown: Duration) -> Duration {
        until(now, later(self.issued_at, cooldown))
    }

    /// Voids the live code for good if it is still the one whose MAC is `judged` (a resend in
    /// between keeps its fresh code): after this, every entry is [`Verdict::Expired`].
    /// Returns whether it voided.
    pub fn void(&mut self, judged: &CodeMac) -> bool {
        if self.code_mac.ct_eq(judged) {
            self.expires_at = self.issued_at;
            true
        } else {
            false
        }
    }

    /// Checks `typed` against this record at `now`.
    ///
    /// `self.attempts` must already count this entry: the store increments it atomically
    /// before the comparison, so parallel guesses each count. Order of checks: attempts, then
    /// time (expired, or a clock reading before the issue), then the constant-time comparison;
    /// a code is accepted strictly before `expires_at`.
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
        if now >= self.expires_at || now < self.issued_at {
            return Verdict::Expired;
        }
        let candidate = CodeMac::compute(key, self.id, self.purpose, &typed.0);
        if typed.0.shape == self.purpose.shape() && candidate.ct_eq(&self.code_mac) {
            Verdict::Accepted
        } else {
            Verdict::Wrong {
                remaining: max_attempts.saturating_sub(self.attempts),
            }
        }
    }
}

/// The 32-byte key of the one-time-code MAC. Zeroized on drop; `Debug` prints `[REDACTED]`.
///
/// ```
/// use kenpo_auth::SecretKey;
///
/// let key = SecretKey::from_bytes([1; 32]);
/// assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A key from its bytes (for example read from the host's secret manager).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh key from the operating system's generator.
    ///
    /// # Panics
    /// Only if the operating system's generator fails, which it does not on supported
    /// platforms; [`try_random`](Self::try_random) reports that as an error instead.
    #[must_use]
    pub fn random() -> Self {
        let mut bytes = [0_u8; 32];
        UnwrapErr(SysRng).fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A fresh key from the operating system's generator.
    ///
    /// # Errors
    /// [`RandomError`] if the generator fails.
    pub fn try_random() -> Result<Self, RandomError> {
        let mut bytes = [0_u8; 32];
        random::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A BLAKE2s MAC under this key, already fed `label`: every MAC the crate makes (codes,
    /// session stamps, audit pseudonyms) starts here, each with a label of its own so that no
    /// MAC of one kind is ever a valid MAC of another.
    pub(crate) fn mac(&self, label: &[u8]) -> Blake2sMac256 {
        let mut mac = <Blake2sMac256 as KeyInit>::new(&self.0.into());
        mac.update(label);
        mac
    }
}

/// Reads a key written in hexadecimal (64 digits) or standard base64 (32 bytes), as a
/// secret manager or an environment variable holds it: `openssl rand -hex 32` makes one.
///
/// ```
/// use kenpo_auth::SecretKey;
/// let hex = "a1".repeat(32);
/// assert!(hex.parse::<SecretKey>().is_ok());
/// assert!("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".parse::<SecretKey>().is_ok());
/// assert!("a1b2".parse::<SecretKey>().is_err()); // too short
/// assert!("00".repeat(32).parse::<SecretKey>().is_err()); // zeros are no secret
/// ```
impl std::str::FromStr for SecretKey {
    type Err = SecretParseError;

    fn from_str(text: &str) -> Result<Self, SecretParseError> {
        let bytes = random::decode_secret(text, 32, 32)?;
        let mut key = [0_u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self(key))
    }
}

/// From a string, as [`FromStr`](std::str::FromStr) reads it. (Keys are never serialised.)
impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = zeroize::Zeroizing::new(String::deserialize(deserializer)?);
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl SecretKey {
    /// Whether the key is all zeros: the placeholder of a configuration read without a key,
    /// which [`Config::check`](crate::Config::check) refuses.
    pub(crate) fn is_unset(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

/// In constant time: whether two processes were given the same key may be checked without
/// telling a timing observer how much of it matched.
impl PartialEq for SecretKey {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(&self.0[..], &other.0[..]).into()
    }
}

impl Eq for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn six(number: u32) -> Chars {
        let mut bytes = [0_u8; MAX_CODE_CHARS];
        for (slot, digit) in bytes.iter_mut().zip(format!("{number:06}").bytes()) {
            *slot = digit;
        }
        Chars {
            bytes,
            shape: CodeShape::SixDigits,
        }
    }

    #[test]
    fn six_digit_codes_keep_leading_zeros() {
        struct Fixed(u32);
        impl rand::TryRng for Fixed {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.0)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(u64::from(self.0))
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
                dst.fill(0);
                Ok(())
            }
        }
        impl rand::TryCryptoRng for Fixed {}
        let Ok(chars) = draw(CodeShape::SixDigits, &mut Fixed(42));
        assert_eq!(chars.as_str(), "000042");
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
        assert_eq!(uniform_below_million(&mut rng), Ok(7));
    }

    #[test]
    fn six_digit_draws_cover_the_range_evenly() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut buckets = [0_u32; 10];
        for _ in 0..100_000 {
            let Ok(n) = uniform_below_million(&mut rng);
            assert!(n < SIX_DIGIT_SPACE);
            buckets[(n / 100_000) as usize] += 1;
        }
        for count in buckets {
            assert!((9_000..11_000).contains(&count), "{buckets:?}");
        }
    }

    #[test]
    fn reset_code_characters_are_uniform_over_the_alphabet() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut counts = [0_u32; 32];
        for _ in 0..20_000 {
            let Ok(chars) = draw(CodeShape::TwelveChars, &mut rng);
            for byte in chars.as_bytes() {
                let index = CodeShape::RESET_ALPHABET
                    .iter()
                    .position(|a| a == byte)
                    .unwrap();
                counts[index] += 1;
            }
        }
        // 240,000 characters, 7,500 expected per symbol.
        for count in counts {
            assert!((7_000..8_000).contains(&count), "{counts:?}");
        }
    }

    /// A resend is refused exactly while `resend_wait` is not zero, and told that wait; a clock
    /// that reads before the last send waits the cooldown plus the difference.
    #[test]
    fn a_resend_waits_what_resend_wait_says() {
        let key = SecretKey::from_bytes([1; 32]);
        let id = TicketId::from_bytes([2; 16]);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let Ok((_, challenge)) = CodeChallenge::issue(
            &key,
            id,
            Purpose::Registration,
            at,
            Duration::from_secs(600),
            &mut rand::rngs::StdRng::seed_from_u64(3),
        );
        let rules = |cooldown| ResendRules {
            cooldown: Duration::from_secs(cooldown),
            max_sends: 5,
            validity: Duration::from_secs(600),
        };
        for (cooldown, offset, wait) in [
            (60, 45_i64, 15),
            (60, 60, 0),
            (60, 61, 0),
            (60, -10, 70),
            (0, 0, 0),
            (0, -10, 10),
        ] {
            let now = if offset < 0 {
                at - Duration::from_secs(offset.unsigned_abs())
            } else {
                at + Duration::from_secs(offset.unsigned_abs())
            };
            let wait = Duration::from_secs(wait);
            let rules = rules(cooldown);
            assert_eq!(challenge.resend_wait(now, rules.cooldown), wait);
            let mut resent = challenge.clone();
            let outcome = resent.resend(now, challenge.code_mac.clone(), rules);
            let expected = if wait.is_zero() {
                ResendOutcome::Replaced
            } else {
                ResendOutcome::TooSoon { retry_after: wait }
            };
            assert_eq!(outcome, expected, "cooldown {cooldown} s, {offset} s after");
        }
    }

    #[test]
    fn typed_codes_by_shape() {
        let six = CodeShape::SixDigits;
        assert!(TypedCode::parse("123456", six).is_ok());
        assert!(TypedCode::parse("１２３４５６", six).is_ok());
        assert!(TypedCode::parse("1234567", six).is_err());
        assert!(TypedCode::parse("12 3456", six).is_err());
        assert!(TypedCode::parse("12345a", six).is_err());
        assert!(TypedCode::parse("", six).is_err());
        let twelve = CodeShape::TwelveChars;
        let canonical = |s| TypedCode::parse(s, twelve).map(|t| t.0.as_str().to_owned());
        assert_eq!(canonical("k7qm-4tzd-9whb"), Ok("K7QM4TZD9WHB".to_owned()));
        assert_eq!(
            canonical(" Ｋ７ＱＭ－４ＴＺＤ－９ＷＨＢ "),
            Ok("K7QM4TZD9WHB".to_owned())
        );
        assert!(canonical("K7QM-4TZD-9WH").is_err());
        assert!(canonical("K7QM-4TZD-9WHBB").is_err());
        assert!(
            canonical("K7QM-4TZD-9WHI").is_err(),
            "I is not in the alphabet"
        );
        assert!(canonical("123456").is_err());
    }

    #[test]
    fn mac_is_bound_to_key_id_purpose_and_code() {
        let key = SecretKey::from_bytes([1; 32]);
        let other_key = SecretKey::from_bytes([2; 32]);
        let id = TicketId::from_bytes([3; 16]);
        let other_id = TicketId::from_bytes([4; 16]);
        let base = CodeMac::compute(&key, id, Purpose::Registration, &six(123_456));
        let same = CodeMac::compute(&key, id, Purpose::Registration, &six(123_456));
        assert!(base.ct_eq(&same));
        for other in [
            CodeMac::compute(&other_key, id, Purpose::Registration, &six(123_456)),
            CodeMac::compute(&key, other_id, Purpose::Registration, &six(123_456)),
            CodeMac::compute(&key, id, Purpose::PasswordReset, &six(123_456)),
            CodeMac::compute(&key, id, Purpose::Registration, &six(123_457)),
        ] {
            assert!(!base.ct_eq(&other));
        }
    }

    #[test]
    fn debug_never_shows_codes() {
        let code = OtpCode(six(123_456));
        assert!(!format!("{code:?}").contains("123456"));
        let typed = TypedCode::parse("123456", CodeShape::SixDigits).unwrap();
        assert!(!format!("{typed:?}").contains("123456"));
    }
}
