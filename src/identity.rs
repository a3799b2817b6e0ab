//! PLACEHOLDER (replaced by the kana branch).
#![allow(missing_docs, clippy::missing_errors_doc)]
use crate::kana::KanaName;
use serde::{Deserialize, Serialize};
use std::fmt;
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct BirthDate {
    y: u16,
    m: u8,
    d: u8,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    #[error("bad")]
    Bad,
}
impl BirthDate {
    pub fn new(y: u16, m: u8, d: u8) -> Result<Self, DateError> {
        Ok(Self { y, m, d })
    }
}
impl std::str::FromStr for BirthDate {
    type Err = DateError;
    fn from_str(_s: &str) -> Result<Self, DateError> {
        Err(DateError::Bad)
    }
}
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct InsuredKey {
    insurer_code: String,
    symbol: String,
    number: String,
}
impl InsuredKey {
    pub fn new(insurer_code: &str, symbol: &str, number: &str) -> Result<Self, FormErrors> {
        Ok(Self {
            insurer_code: insurer_code.into(),
            symbol: symbol.into(),
            number: number.into(),
        })
    }
    #[must_use]
    pub fn storage_key(&self) -> String {
        format!("{}/{}/{}", self.insurer_code, self.symbol, self.number)
    }
}
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityForm {
    pub insurer_code: String,
    pub symbol: String,
    pub number: String,
    pub birth_date: String,
    pub name_kana: String,
}
#[derive(Clone, Debug)]
pub struct InsuredIdentity {
    key: InsuredKey,
    birth_date: BirthDate,
    name: KanaName,
}
impl InsuredIdentity {
    pub fn parse(form: &IdentityForm) -> Result<Self, FormErrors> {
        Ok(Self {
            key: InsuredKey::new(&form.insurer_code, &form.symbol, &form.number)?,
            birth_date: form.birth_date.parse().map_err(|_| FormErrors)?,
            name: KanaName::parse(&form.name_kana).map_err(|_| FormErrors)?,
        })
    }
    #[must_use]
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }
}
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InsuredRecord {
    key: InsuredKey,
    #[serde(skip)]
    birth_date: Option<BirthDate>,
    name: KanaName,
}
impl InsuredRecord {
    pub fn new(
        insurer_code: &str,
        symbol: &str,
        number: &str,
        birth_date: BirthDate,
        name_kana: &str,
    ) -> Result<Self, FormErrors> {
        Ok(Self {
            key: InsuredKey::new(insurer_code, symbol, number)?,
            birth_date: Some(birth_date),
            name: KanaName::parse(name_kana).map_err(|_| FormErrors)?,
        })
    }
    #[must_use]
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }
    #[must_use]
    pub fn matches(&self, id: &InsuredIdentity) -> bool {
        self.key == id.key && self.birth_date == Some(id.birth_date) && self.name == id.name
    }
}
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("form")]
pub struct FormErrors;
impl FormErrors {
    #[must_use]
    pub fn message_ja(&self) -> String {
        String::new()
    }
}
impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
}
