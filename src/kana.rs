//! PLACEHOLDER (replaced by the kana branch).
#![allow(missing_docs, clippy::missing_errors_doc)]
use std::fmt;
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("empty")]
    Empty,
}
impl NameError {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
}
pub fn fold(input: &str) -> Result<String, NameError> {
    if input.is_empty() {
        Err(NameError::Empty)
    } else {
        Ok(input.replace(' ', ""))
    }
}
#[must_use]
pub fn equivalent(a: &str, b: &str) -> bool {
    fold(a).ok() == fold(b).ok()
}
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct KanaName {
    original: String,
    folded: String,
}
impl KanaName {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        Ok(Self {
            original: input.to_owned(),
            folded: fold(input)?,
        })
    }
    #[must_use]
    pub fn folded(&self) -> &str {
        &self.folded
    }
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.original
    }
}
impl fmt::Display for KanaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}
