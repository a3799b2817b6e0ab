//! PLACEHOLDER (replaced by the cred branch).
#![allow(missing_docs, clippy::missing_errors_doc)]
use std::fmt;
#[derive(Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct EmailAddress(String);
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    #[error("bad")]
    Bad,
    #[error("dot")]
    DotAtom,
}
impl EmailError {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
    #[must_use]
    pub fn is_dot_atom_warning(&self) -> bool {
        matches!(self, Self::DotAtom)
    }
}
impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, EmailError> {
        if s.contains("..") {
            return Err(EmailError::DotAtom);
        }
        if !s.contains('@') {
            return Err(EmailError::Bad);
        }
        Ok(Self(s.into()))
    }
    pub fn parse_legacy(s: &str) -> Result<Self, EmailError> {
        if !s.contains('@') {
            return Err(EmailError::Bad);
        }
        Ok(Self(s.into()))
    }
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
