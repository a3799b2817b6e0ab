//! PLACEHOLDER (replaced by the cred branch).
#![allow(missing_docs, clippy::missing_errors_doc)]
use crate::user_id::UserId;
#[derive(Clone, Debug)]
pub struct NewPassword(String);
impl NewPassword {
    pub fn parse(s: &str) -> Result<Self, PasswordError> {
        PasswordPolicy::default().check(s, None)
    }
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PasswordPolicy;
impl PasswordPolicy {
    pub fn check(&self, s: &str, user_id: Option<&UserId>) -> Result<NewPassword, PasswordError> {
        if s.len() < 8 || user_id.is_some_and(|u| s.to_ascii_lowercase().contains(u.unique_key())) {
            return Err(PasswordError);
        }
        Ok(NewPassword(s.into()))
    }
}
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("weak")]
pub struct PasswordError;
impl PasswordError {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
}
