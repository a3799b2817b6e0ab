//! PLACEHOLDER (replaced by the cred branch).
#![allow(missing_docs, clippy::missing_errors_doc, clippy::unnecessary_wraps)]
use crate::password::NewPassword;
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}
impl Default for HashParams {
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}
impl HashParams {
    #[must_use]
    pub const fn insecure_for_tests() -> Self {
        Self {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }
}
#[derive(Clone, Debug)]
pub struct Pepper(Vec<u8>);
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: HashParams,
}
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHash(String);
impl PasswordHash {
    pub fn from_phc(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    #[error("bad")]
    Bad,
}
impl HashError {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
}
impl PasswordHasher {
    pub fn new(params: HashParams) -> Result<Self, HashError> {
        Ok(Self { params })
    }
    #[must_use]
    pub fn with_pepper(self, _p: Pepper) -> Self {
        self
    }
    #[must_use]
    pub fn params(&self) -> HashParams {
        self.params
    }
    pub fn hash(&self, p: &NewPassword) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash(format!("x{}", p.expose())))
    }
    pub fn rehash(&self, p: &str) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash(format!("x{p}")))
    }
    pub fn verify(&self, p: &str, h: &PasswordHash) -> Result<bool, HashError> {
        Ok(h.0 == format!("x{p}"))
    }
    #[must_use]
    pub fn needs_rehash(&self, _h: &PasswordHash) -> bool {
        false
    }
    pub fn verify_dummy(&self, _p: &str) {}
}
