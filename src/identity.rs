//! PLACEHOLDER (replaced by the kana branch).
#![allow(missing_docs, clippy::missing_errors_doc, clippy::must_use_candidate)]
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
    pub fn year(&self) -> u16 {
        self.y
    }
    pub fn month(&self) -> u8 {
        self.m
    }
    pub fn day(&self) -> u8 {
        self.d
    }
}
impl std::str::FromStr for BirthDate {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, DateError> {
        let p: Vec<&str> = s.split('-').collect();
        match p.as_slice() {
            [y, m, d] => Ok(Self {
                y: y.parse().map_err(|_| DateError::Bad)?,
                m: m.parse().map_err(|_| DateError::Bad)?,
                d: d.parse().map_err(|_| DateError::Bad)?,
            }),
            _ => Err(DateError::Bad),
        }
    }
}
impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.y, self.m, self.d)
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
    pub fn insurer_code(&self) -> &str {
        &self.insurer_code
    }
    pub fn symbol(&self) -> &str {
        &self.symbol
    }
    pub fn number(&self) -> &str {
        &self.number
    }
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
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }
}
#[derive(Clone, Debug)]
pub struct InsuredRecord {
    key: InsuredKey,
    birth_date: BirthDate,
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
            birth_date,
            name: KanaName::parse(name_kana).map_err(|_| FormErrors)?,
        })
    }
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }
    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }
    pub fn name(&self) -> &KanaName {
        &self.name
    }
    pub fn matches(&self, id: &InsuredIdentity) -> bool {
        self.key == id.key && self.birth_date == id.birth_date && self.name == id.name
    }
}
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("form")]
pub struct FormErrors;
impl FormErrors {
    pub fn message_ja(&self) -> String {
        String::new()
    }
    pub fn errors(&self) -> &[u8] {
        &[]
    }
}
