//! PLACEHOLDER (replaced by the cred branch).
#![allow(missing_docs, clippy::missing_errors_doc)]
use std::fmt;
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct UserId {
    id: String,
    key: String,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserIdError {
    #[error("bad")]
    Bad,
}
impl UserIdError {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
}
impl UserId {
    pub fn parse(s: &str) -> Result<Self, UserIdError> {
        if s.len() < 6 {
            return Err(UserIdError::Bad);
        }
        Ok(Self {
            id: s.into(),
            key: s.to_ascii_lowercase(),
        })
    }
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.id
    }
    #[must_use]
    pub fn unique_key(&self) -> &str {
        &self.key
    }
}
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}
