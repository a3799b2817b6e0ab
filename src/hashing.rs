//! Password hashing with argon2id: [`PasswordHasher`], [`HashParams`].

use std::fmt;

use argon2::password_hash::phc;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::ja::{MessageJa, SYSTEM_FAILURE};
use crate::password::NewPassword;

mod permits;
mod pool;

use crate::random::{self, SecretParseError};
pub(crate) use pool::{HashPool, PoolError, Reservation};

/// Argon2id parameters checked at compile time: a constant that argon2 would refuse fails
/// the build, so the two presets below need no runtime check.
#[allow(clippy::panic)] // evaluated by the compiler only
const fn preset(memory_kib: u32, iterations: u32, parallelism: u32) -> Params {
    match Params::new(
        memory_kib,
        iterations,
        parallelism,
        Some(PasswordHasher::OUTPUT_LEN),
    ) {
        Ok(params) => params,
        Err(_) => panic!("invalid argon2 preset"),
    }
}

/// Argon2id cost parameters, valid by construction (`RustCrypto`'s `argon2::Params` is the
/// model): [`HashParams::new`] refuses what argon2 would, so a [`PasswordHasher`] built from
/// them cannot fail.
///
/// The default is m=19456 KiB, t=2, p=1: the OWASP minimum for argon2id. Serde reads and
/// writes `{ memory_kib, iterations, parallelism }` and validates on the way in.
///
/// ```
/// use kenpo_auth::HashParams;
/// let params = HashParams::new(65_536, 3, 1).unwrap();
/// assert_eq!(params.memory_kib(), 65_536);
/// assert!(HashParams::new(0, 0, 0).is_err());
/// assert_eq!(HashParams::default().memory_kib(), 19_456);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ParamsRepr", into = "ParamsRepr")]
pub struct HashParams {
    params: Params,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsRepr {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl TryFrom<ParamsRepr> for HashParams {
    type Error = HashError;

    fn try_from(repr: ParamsRepr) -> Result<Self, HashError> {
        HashParams::new(repr.memory_kib, repr.iterations, repr.parallelism)
    }
}

impl From<HashParams> for ParamsRepr {
    fn from(params: HashParams) -> Self {
        ParamsRepr {
            memory_kib: params.memory_kib(),
            iterations: params.iterations(),
            parallelism: params.parallelism(),
        }
    }
}

impl fmt::Debug for HashParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashParams")
            .field("memory_kib", &self.memory_kib())
            .field("iterations", &self.iterations())
            .field("parallelism", &self.parallelism())
            .finish()
    }
}

impl Default for HashParams {
    fn default() -> Self {
        HashParams {
            params: preset(19_456, 2, 1),
        }
    }
}

impl HashParams {
    /// Memory in KiB, passes over it, lanes.
    ///
    /// # Errors
    /// [`HashError::InvalidParams`] when argon2 refuses them (memory below 8 KiB per lane,
    /// zero passes or lanes, more than 2²⁴−1 lanes).
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> Result<HashParams, HashError> {
        Params::new(
            memory_kib,
            iterations,
            parallelism,
            Some(PasswordHasher::OUTPUT_LEN),
        )
        .map(|params| HashParams { params })
        .map_err(|e| HashError::InvalidParams {
            reason: e.to_string(),
        })
    }

    /// The cheapest parameters argon2 allows (m=8 KiB, t=1, p=1), so that tests run fast.
    /// **Never use them in production**: they give no protection against guessing.
    #[must_use]
    pub const fn insecure_for_tests() -> HashParams {
        HashParams {
            params: preset(8, 1, 1),
        }
    }

    /// Memory, in KiB.
    #[must_use]
    pub const fn memory_kib(&self) -> u32 {
        self.params.m_cost()
    }

    /// Passes over memory.
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.params.t_cost()
    }

    /// Lanes.
    #[must_use]
    pub const fn parallelism(&self) -> u32 {
        self.params.p_cost()
    }
}

/// A pepper: a server-side secret mixed into every hash as argon2's secret key.
///
/// Keep it outside the database (configuration, a secrets manager). Losing or changing it makes
/// every stored hash fail to verify. Its `Debug` prints `[REDACTED]`; it is zeroed on drop.
#[derive(Clone)]
pub struct Pepper {
    bytes: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// Wraps a secret of 1 to 2³²−1 bytes (argon2's limits; 32 random bytes is plenty).
    ///
    /// # Errors
    /// [`HashError::InvalidPepper`] when empty or too long.
    ///
    /// ```
    /// use kenpo_auth::Pepper;
    /// let pepper = Pepper::new(*b"0123456789abcdef0123456789abcdef").unwrap();
    /// assert_eq!(format!("{pepper:?}"), "Pepper([REDACTED])");
    /// assert!(Pepper::new(Vec::new()).is_err());
    /// ```
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Pepper, HashError> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() || u32::try_from(bytes.len()).is_err() {
            return Err(HashError::InvalidPepper);
        }
        Ok(Pepper { bytes })
    }
}

/// Reads a pepper of at least 32 bytes written in hexadecimal or standard base64.
///
/// ```
/// use kenpo_auth::Pepper;
/// assert!("0f".repeat(32).parse::<Pepper>().is_ok());
/// assert!("0f".repeat(16).parse::<Pepper>().is_err());
/// ```
impl std::str::FromStr for Pepper {
    type Err = SecretParseError;

    fn from_str(text: &str) -> Result<Self, SecretParseError> {
        let bytes = random::decode_secret(text, 32, 1024)?;
        Ok(Pepper { bytes })
    }
}

/// From a string, as [`FromStr`](std::str::FromStr) reads it. (Peppers are never serialised.)
impl<'de> Deserialize<'de> for Pepper {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper([REDACTED])")
    }
}

/// A stored password hash: a PHC string.
///
/// Serialises as the bare string. `Debug` shows only the algorithm, version and parameters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash {
    phc: String,
}

impl PasswordHash {
    /// Wraps a stored PHC string. Nothing is checked here; [`PasswordHasher::verify`] reports a
    /// malformed one.
    pub fn from_phc(s: impl Into<String>) -> PasswordHash {
        PasswordHash { phc: s.into() }
    }

    /// The PHC string, for storage.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.phc
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match phc::PasswordHash::new(&self.phc) {
            Ok(parsed) => {
                write!(f, "PasswordHash(${}", parsed.algorithm)?;
                if let Some(version) = parsed.version {
                    write!(f, "$v={version}")?;
                }
                write!(f, "${}$[REDACTED])", parsed.params)
            }
            Err(_) => f.write_str("PasswordHash([REDACTED])"),
        }
    }
}

/// Why hashing or verifying failed. None of these is the member's fault; the Japanese message
/// is a generic "system error, try later".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The configured parameters are not valid argon2 parameters.
    #[error("invalid argon2 parameters: {reason}")]
    InvalidParams {
        /// What argon2 said.
        reason: String,
    },
    /// A pepper that is empty or longer than 2³²−1 bytes.
    #[error("invalid pepper length")]
    InvalidPepper,
    /// The stored hash is not a well-formed argon2 PHC string.
    #[error("stored password hash is malformed")]
    Malformed,
    /// The stored hash names an algorithm other than argon2id, argon2i or argon2d.
    #[error("stored password hash uses an unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The stored hash costs more than [`PasswordHasher::MAX_COST_FACTOR`] times the live parameters; it was
    /// not run (a tampered row, or parameters lowered since).
    #[error("stored password hash costs more than 4x the live parameters; not run")]
    CostTooHigh,
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
    /// argon2 itself failed (for example, memory could not be allocated).
    #[error("argon2 failed: {reason}")]
    Argon2 {
        /// What argon2 said.
        reason: String,
    },
}

/// A Japanese message for the member: a generic system error.
impl MessageJa for HashError {
    fn message_ja(&self) -> String {
        SYSTEM_FAILURE.to_owned()
    }
}

/// Password hashing: argon2id through the `argon2` crate, stored as PHC strings.
///
/// - [`PasswordHasher::hash`] draws a fresh 16-byte salt from the operating system's CSPRNG
///   and returns a PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
/// - [`PasswordHasher::verify`] recomputes the hash with the parameters *stored in the string*
///   (so older hashes keep working) and compares in constant time. A wrong password is
///   `Ok(false)`; a malformed or unsupported stored string is an `Err`, never a panic and never
///   a success. A stored hash whose cost exceeds [`PasswordHasher::MAX_COST_FACTOR`] times the live
///   parameters (memory, memory × passes, or lanes) is refused with [`HashError::CostTooHigh`]
///   before argon2 runs, so a tampered row cannot make a login allocate a gigabyte and run for
///   minutes.
/// - [`PasswordHasher::needs_rehash`] says when a stored hash's algorithm, version or
///   parameters differ from the configured ones; rehash after a successful login.
/// - [`PasswordHasher::verify_dummy`] costs what a real verify costs, for logins naming a user
///   who does not exist. Its dummy hash is made at construction without running argon2: a PHC
///   string with the live parameters and random salt and output. Verifying against it runs
///   exactly one argon2 computation with the live parameters, as a real verify does.
/// - An optional [`Pepper`] is passed to argon2 as its secret key.
///
/// Passwords are hashed as given. [`NewPassword`] already holds the form its policy accepted
/// (NFKC under [`PasswordPolicy::nist_800_63b`](crate::PasswordPolicy::nist_800_63b)); pass a
/// login attempt through
/// [`PasswordPolicy::normalize_for_login`](crate::PasswordPolicy::normalize_for_login) first
/// under that policy.
///
/// ```
/// use kenpo_auth::{HashParams, NewPassword, PasswordHasher};
///
/// let hasher = PasswordHasher::new(HashParams::insecure_for_tests()); // tests only!
/// let hash = hasher.hash(&NewPassword::parse("Kenpo#2024x").unwrap())?;
/// assert!(hash.as_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
/// assert!(hasher.verify("Kenpo#2024x", &hash)?);
/// assert!(!hasher.verify("Kenpo#2024y", &hash)?);
/// assert!(!hasher.needs_rehash(&hash));
/// # Ok::<(), kenpo_auth::HashError>(())
/// ```
///
/// Hashes and verifies passwords with argon2id.
///
/// `Clone` is cheap apart from copying the pepper. `Debug` shows the parameters and whether a
/// pepper is set, never the pepper.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    pepper: Option<Pepper>,
    dummy: PasswordHash,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .field("pepper", &self.pepper.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Salt length in bytes (the argon2 crate's and RFC 9106's recommendation).
    pub const SALT_LEN: usize = 16;

    /// Hash output length in bytes.
    pub const OUTPUT_LEN: usize = 32;

    /// How much costlier than the live parameters a stored hash may be before
    /// [`verify`](Self::verify) refuses to run it: 4× the memory, 4× memory × passes, 4× the
    /// lanes. Hashes made with cheaper (older) parameters are always verified.
    pub const MAX_COST_FACTOR: u64 = 4;

    /// A hasher with these parameters and no pepper.
    #[must_use]
    pub fn new(params: HashParams) -> PasswordHasher {
        let dummy = dummy_hash(&params);
        PasswordHasher {
            params,
            pepper: None,
            dummy,
        }
    }

    /// The same hasher with a pepper (argon2 secret).
    #[must_use]
    pub fn with_pepper(self, pepper: Pepper) -> PasswordHasher {
        PasswordHasher {
            pepper: Some(pepper),
            ..self
        }
    }

    /// The configured parameters.
    #[must_use]
    pub fn params(&self) -> &HashParams {
        &self.params
    }

    fn context(
        &self,
        algorithm: Algorithm,
        version: Version,
        params: Params,
    ) -> Result<Argon2<'_>, HashError> {
        match &self.pepper {
            None => Ok(Argon2::new(algorithm, version, params)),
            Some(pepper) => Argon2::new_with_secret(&pepper.bytes, algorithm, version, params)
                .map_err(|_| HashError::InvalidPepper),
        }
    }

    /// Hashes a password with a fresh random salt.
    ///
    /// # Errors
    /// [`HashError::Rng`] if the OS RNG fails; [`HashError::Argon2`] if argon2 does (e.g. out
    /// of memory).
    pub fn hash(&self, password: &NewPassword) -> Result<PasswordHash, HashError> {
        self.hash_secret(password.expose().as_bytes())
    }

    /// Hashes a password that has just passed [`verify`](Self::verify), with the current
    /// parameters, to upgrade a stored hash that [`needs_rehash`](Self::needs_rehash). The
    /// password need not meet today's policy: it is already the member's password.
    ///
    /// # Errors
    /// As [`hash`](Self::hash).
    pub fn rehash(&self, verified_password: &str) -> Result<PasswordHash, HashError> {
        self.hash_secret(verified_password.as_bytes())
    }

    fn hash_secret(&self, secret: &[u8]) -> Result<PasswordHash, HashError> {
        let mut blocks = vec![Block::default(); self.blocks_per_hash()];
        self.hash_with(secret, &mut blocks)
    }

    /// How many argon2 memory blocks (1 KiB each) one hash with the live parameters uses.
    pub(crate) fn blocks_per_hash(&self) -> usize {
        self.params.params.block_count()
    }

    /// Hashes `secret` with a fresh salt, in caller-provided memory (at least
    /// [`blocks_per_hash`](Self::blocks_per_hash) blocks), so that a pool can reuse it.
    pub(crate) fn hash_with(
        &self,
        secret: &[u8],
        blocks: &mut [Block],
    ) -> Result<PasswordHash, HashError> {
        let mut salt = Zeroizing::new([0u8; Self::SALT_LEN]);
        random::fill(salt.as_mut_slice()).map_err(|_| HashError::Rng)?;
        let params = self.params.params.clone();
        let argon = self.context(Algorithm::Argon2id, Version::V0x13, params.clone())?;
        let mut output = Zeroizing::new([0u8; Self::OUTPUT_LEN]);
        argon
            .hash_password_into_with_memory(secret, salt.as_slice(), output.as_mut_slice(), blocks)
            .map_err(|e| HashError::Argon2 {
                reason: e.to_string(),
            })?;
        let phc = phc::PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: phc::ParamsString::try_from(&params).map_err(|_| HashError::Malformed)?,
            salt: Some(phc::Salt::new(salt.as_slice()).map_err(|_| HashError::Malformed)?),
            hash: Some(phc::Output::new(output.as_slice()).map_err(|_| HashError::Malformed)?),
        };
        Ok(PasswordHash {
            phc: phc.to_string(),
        })
    }

    /// Checks `password` against a stored hash, using the stored parameters; constant-time
    /// comparison.
    ///
    /// # Errors
    /// [`HashError::Malformed`] for a string that is not an argon2 PHC string with salt and
    /// hash, [`HashError::UnsupportedAlgorithm`] for another algorithm,
    /// [`HashError::CostTooHigh`] beyond [`PasswordHasher::MAX_COST_FACTOR`] times the live costs, [`HashError::Argon2`] if argon2
    /// fails. A wrong password is `Ok(false)`.
    pub fn verify(&self, password: &str, stored: &PasswordHash) -> Result<bool, HashError> {
        let stored = self.parse_stored(stored)?;
        let mut blocks = vec![Block::default(); stored.blocks()];
        self.verify_with(password, &stored, &mut blocks)
    }

    /// A stored hash read and checked (algorithm, version, costs), ready to verify against.
    pub(crate) fn parse_stored(&self, stored: &PasswordHash) -> Result<StoredHash, HashError> {
        let parsed = phc::PasswordHash::new(&stored.phc).map_err(|_| HashError::Malformed)?;
        let algorithm = match parsed.algorithm.as_str() {
            "argon2id" => Algorithm::Argon2id,
            "argon2i" => Algorithm::Argon2i,
            "argon2d" => Algorithm::Argon2d,
            _ => return Err(HashError::UnsupportedAlgorithm),
        };
        let version = match parsed.version {
            // A PHC string without a version is argon2 1.0 (0x10) by the reference convention.
            None => Version::V0x10,
            Some(v) => Version::try_from(v).map_err(|_| HashError::Malformed)?,
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return Err(HashError::Malformed);
        };
        let params = Params::try_from(&parsed).map_err(|_| HashError::Malformed)?;
        if !params.keyid().is_empty() || !params.data().is_empty() {
            return Err(HashError::Malformed);
        }
        if self.too_costly(&params) {
            return Err(HashError::CostTooHigh);
        }
        Ok(StoredHash {
            algorithm,
            version,
            params,
            salt: salt.as_ref().to_vec(),
            expected: expected.as_bytes().to_vec(),
        })
    }

    /// Checks `password` against a parsed stored hash in caller-provided memory (at least
    /// [`StoredHash::blocks`] blocks). A wrong password is `Ok(false)`.
    pub(crate) fn verify_with(
        &self,
        password: &str,
        stored: &StoredHash,
        blocks: &mut [Block],
    ) -> Result<bool, HashError> {
        let argon = self.context(stored.algorithm, stored.version, stored.params.clone())?;
        let mut computed = Zeroizing::new(vec![0u8; stored.expected.len()]);
        argon
            .hash_password_into_with_memory(
                password.as_bytes(),
                &stored.salt,
                &mut computed,
                blocks,
            )
            .map_err(|e| match e {
                argon2::Error::OutOfMemory | argon2::Error::MemoryTooLittle => HashError::Argon2 {
                    reason: e.to_string(),
                },
                _ => HashError::Malformed,
            })?;
        Ok(bool::from(computed.as_slice().ct_eq(&stored.expected)))
    }

    /// The dummy hash, parsed (it always parses: it is made with the live parameters).
    pub(crate) fn dummy(&self) -> &PasswordHash {
        &self.dummy
    }

    /// Whether stored parameters cost more than [`PasswordHasher::MAX_COST_FACTOR`] times the live ones.
    fn too_costly(&self, stored: &Params) -> bool {
        let live = &self.params;
        let memory = |m: u32, t: u32| u64::from(m) * u64::from(t);
        u64::from(stored.m_cost()) > Self::MAX_COST_FACTOR * u64::from(live.memory_kib())
            || memory(stored.m_cost(), stored.t_cost())
                > Self::MAX_COST_FACTOR * memory(live.memory_kib(), live.iterations())
            || u64::from(stored.p_cost()) > Self::MAX_COST_FACTOR * u64::from(live.parallelism())
    }

    /// Whether a stored hash should be replaced by a fresh one: its algorithm is not argon2id,
    /// its version not 0x13, or its memory, iterations, parallelism, output length or salt
    /// length differ from this hasher's. A malformed string needs a rehash too.
    #[must_use]
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        let Ok(parsed) = phc::PasswordHash::new(&stored.phc) else {
            return true;
        };
        if parsed.algorithm.as_str() != "argon2id" || parsed.version != Some(0x13) {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        let salt_len = parsed.salt.as_ref().map_or(0, |s| s.as_ref().len());
        params.m_cost() != self.params.memory_kib()
            || params.t_cost() != self.params.iterations()
            || params.p_cost() != self.params.parallelism()
            || params.output_len() != Some(Self::OUTPUT_LEN)
            || !params.keyid().is_empty()
            || !params.data().is_empty()
            || salt_len < Self::SALT_LEN
    }

    /// Spends what [`verify`](Self::verify) spends, against a dummy hash with the live
    /// parameters, and throws the answer away. Call it when a login names an unknown user so
    /// that "no such user" and "wrong password" take the same time.
    pub fn verify_dummy(&self, password: &str) {
        let outcome = self.verify(password, &self.dummy);
        std::hint::black_box(outcome).ok();
    }
}

/// A stored hash read by [`PasswordHasher::parse_stored`]: what verifying against it needs.
#[derive(Clone, Debug)]
pub(crate) struct StoredHash {
    algorithm: Algorithm,
    version: Version,
    params: Params,
    salt: Vec<u8>,
    expected: Vec<u8>,
}

impl StoredHash {
    /// How many argon2 memory blocks verifying against it takes.
    pub(crate) fn blocks(&self) -> usize {
        self.params.block_count()
    }
}

/// A PHC string with the live parameters, a fixed salt and an all-zero output: verifying any
/// password against it costs exactly one argon2 run with the live parameters, as a real
/// verify does, and fails (finding a password whose argon2 output is all zeros is as hard as
/// inverting argon2). Nothing about it is secret, so it needs no randomness.
fn dummy_hash(params: &HashParams) -> PasswordHash {
    // "kenpo-auth dummy" (16 bytes) and 32 zero bytes, in the PHC's unpadded base64.
    const SALT: &str = "a2VucG8tYXV0aCBkdW1teQ";
    const OUTPUT: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    PasswordHash {
        phc: format!(
            "$argon2id$v=19$m={},t={},p={}${SALT}${OUTPUT}",
            params.memory_kib(),
            params.iterations(),
            params.parallelism()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_has_the_live_parameters() {
        let hasher = PasswordHasher::new(HashParams::insecure_for_tests());
        assert!(!hasher.needs_rehash(&hasher.dummy));
        assert_eq!(hasher.verify("anything", &hasher.dummy), Ok(false));
    }
}
