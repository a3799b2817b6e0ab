//! The insured person's identity: the five fields of the first authentication (初回認証) and
//! how a typed form is matched against the insurer's roster.
//!
//! - [`IdentityForm`] holds the raw strings as the member typed them (serde, for the host's
//!   form handling).
//! - [`InsuredIdentity::parse`] validates all five fields and reports every bad one at once
//!   in [`FormErrors`].
//! - [`InsuredRecord`] is a roster entry; [`InsuredRecord::matches`] needs all five fields to
//!   agree, the name compared by its [folded key](crate::kana::fold). The answer is a plain
//!   `bool`, so nothing tells the member which field differed; [`InsuredRecord::diagnose`]
//!   gives the host that detail for its logs.
//!
//! Insurer-designated code, symbol and number are half-width ASCII letters and digits (the
//! symbol may also hold `-`), 1 to [`MAX_KEY_FIELD_CHARS`] characters each. Full-width
//! letters, digits and `－` are converted to half-width, letters are upper-cased (so `ab` and
//! `ＡＢ` are the same symbol), leading zeros are kept; anything else is a field error.
//!
//! ```
//! use kenpo_auth::{BirthDate, IdentityForm, InsuredIdentity, InsuredRecord};
//!
//! let record = InsuredRecord::new(
//!     "06139999", "12-3", "4567", BirthDate::new(1970, 3, 2).unwrap(), "ケンポ ショウコ",
//! ).unwrap();
//! let form = IdentityForm {
//!     insurer_code: "０６１３９９９９".into(),
//!     symbol: "12-3".into(),
//!     number: "4567".into(),
//!     birth_date: "1970-03-02".into(),
//!     name_kana: "ｹﾝﾎ ｼﾖｳｺ".into(),
//! };
//! let identity = InsuredIdentity::parse(&form).unwrap();
//! assert!(record.matches(&identity));
//! assert_eq!(identity.key().storage_key(), "06139999/12-3/4567");
//! ```

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

pub use crate::birth_date::{BirthDate, DateError, MIN_YEAR};
pub use crate::form_error::{Field, FieldError, FieldErrorKind, FormErrors};
use crate::kana::KanaName;

/// The longest insurer-designated code, symbol or number, in characters.
pub const MAX_KEY_FIELD_CHARS: usize = 16;

/// Converts one half-width field: full-width ASCII to half-width, letters upper-cased, then
/// only ASCII letters and digits (and `-` when `hyphen`) accepted.
fn key_field(raw: &str, field: Field, hyphen: bool) -> Result<String, FieldError> {
    let error = |kind| FieldError { field, kind };
    if raw.is_empty() {
        return Err(error(FieldErrorKind::Empty));
    }
    let mut out = String::with_capacity(raw.len().min(MAX_KEY_FIELD_CHARS));
    for (i, ch) in raw.chars().enumerate() {
        let half = match u32::from(ch) {
            cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(ch),
            _ => ch,
        };
        if !(half.is_ascii_alphanumeric() || (hyphen && half == '-')) {
            return Err(error(FieldErrorKind::InvalidChar {
                ch,
                position: i + 1,
            }));
        }
        if i == MAX_KEY_FIELD_CHARS {
            return Err(error(FieldErrorKind::TooLong {
                max: MAX_KEY_FIELD_CHARS,
            }));
        }
        out.push(half.to_ascii_uppercase());
    }
    Ok(out)
}

/// Collects the error of `result` into `errors`, returning the value if there was one.
fn collect<T>(result: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// Who the insured person is to the insurer: insurer-designated code (保険者指定コード),
/// symbol (記号) and number (番号), normalised.
///
/// Ordered and hashed by its three parts; serde as `{insurer_code, symbol, number}`, validated
/// again when deserialized.
///
/// ```
/// use kenpo_auth::InsuredKey;
///
/// let key = InsuredKey::new("０６１３９９９９", "ab－1", "0045").unwrap();
/// assert_eq!(key.symbol(), "AB-1");
/// assert_eq!(key.storage_key(), "06139999/AB-1/0045");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(try_from = "InsuredKeyRepr")]
pub struct InsuredKey {
    insurer_code: String,
    symbol: String,
    number: String,
}

#[derive(Deserialize)]
struct InsuredKeyRepr {
    insurer_code: String,
    symbol: String,
    number: String,
}

impl TryFrom<InsuredKeyRepr> for InsuredKey {
    type Error = FormErrors;

    fn try_from(r: InsuredKeyRepr) -> Result<Self, Self::Error> {
        InsuredKey::new(&r.insurer_code, &r.symbol, &r.number)
    }
}

impl InsuredKey {
    /// Validates and normalises the three parts (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`FormErrors`] listing every bad part, each [`FieldErrorKind::Empty`],
    /// [`FieldErrorKind::InvalidChar`] or [`FieldErrorKind::TooLong`].
    pub fn new(insurer_code: &str, symbol: &str, number: &str) -> Result<InsuredKey, FormErrors> {
        let mut errors = Vec::new();
        let key = Self::collect(insurer_code, symbol, number, &mut errors);
        match (key, FormErrors::from_vec(errors)) {
            (Some(key), None) => Ok(key),
            (_, Some(errors)) => Err(errors),
            // Unreachable: a missing key always left an error behind.
            (None, None) => Err(FieldError {
                field: Field::InsurerCode,
                kind: FieldErrorKind::Empty,
            }
            .into()),
        }
    }

    fn collect(
        insurer_code: &str,
        symbol: &str,
        number: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<InsuredKey> {
        let insurer_code = collect(key_field(insurer_code, Field::InsurerCode, false), errors);
        let symbol = collect(key_field(symbol, Field::Symbol, true), errors);
        let number = collect(key_field(number, Field::Number, false), errors);
        Some(InsuredKey {
            insurer_code: insurer_code?,
            symbol: symbol?,
            number: number?,
        })
    }

    /// The insurer-designated code (保険者指定コード), normalised.
    #[must_use]
    pub fn insurer_code(&self) -> &str {
        &self.insurer_code
    }

    /// The symbol (記号), normalised.
    #[must_use]
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The number (番号), normalised.
    #[must_use]
    pub fn number(&self) -> &str {
        &self.number
    }

    /// One unambiguous string for a database key: `insurer_code/symbol/number`, e.g.
    /// `"06139999/12-3/4567"`. No part can contain `/`, so distinct keys give distinct strings.
    ///
    /// This format is stable: it will not change within a major version, so hosts may store it.
    #[must_use]
    pub fn storage_key(&self) -> String {
        format!("{}/{}/{}", self.insurer_code, self.symbol, self.number)
    }
}

impl fmt::Display for InsuredKey {
    /// The same as [`InsuredKey::storage_key`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.insurer_code, self.symbol, self.number)
    }
}

/// The first-authentication form as typed: five raw strings.
///
/// `birth_date` is `YYYY-MM-DD` (full-width digits and `－` are accepted too).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityForm {
    /// 保険者指定コード.
    pub insurer_code: String,
    /// 記号.
    pub symbol: String,
    /// 番号.
    pub number: String,
    /// 生年月日, `YYYY-MM-DD`.
    pub birth_date: String,
    /// 氏名カナ.
    pub name_kana: String,
}

fn birth_date_field(raw: &str, now: SystemTime) -> Result<BirthDate, FieldError> {
    let error = |kind| FieldError {
        field: Field::BirthDate,
        kind,
    };
    if raw.is_empty() {
        return Err(error(FieldErrorKind::Empty));
    }
    let half: String = raw
        .chars()
        .map(|c| match c {
            '０'..='９' | '－' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    BirthDate::parse_as_of(&half, now).map_err(|e| error(FieldErrorKind::Date(e)))
}

fn name_field(raw: &str) -> Result<KanaName, FieldError> {
    KanaName::parse(raw).map_err(|e| FieldError {
        field: Field::NameKana,
        kind: FieldErrorKind::Name(e),
    })
}

/// A validated first-authentication form: what the member claims to be.
#[derive(Clone, Debug)]
pub struct InsuredIdentity {
    key: InsuredKey,
    birth_date: BirthDate,
    name: KanaName,
}

impl InsuredIdentity {
    /// Validates every field of the form.
    ///
    /// # Errors
    ///
    /// [`FormErrors`] listing every bad field in form order (not just the first).
    pub fn parse(form: &IdentityForm) -> Result<InsuredIdentity, FormErrors> {
        Self::parse_as_of(form, SystemTime::now())
    }

    /// Like [`InsuredIdentity::parse`], with "today" (the latest date of birth) being the date
    /// in Japan at `now`.
    ///
    /// # Errors
    ///
    /// As [`InsuredIdentity::parse`].
    pub fn parse_as_of(
        form: &IdentityForm,
        now: SystemTime,
    ) -> Result<InsuredIdentity, FormErrors> {
        let mut errors = Vec::new();
        let key = InsuredKey::collect(&form.insurer_code, &form.symbol, &form.number, &mut errors);
        let birth_date = collect(birth_date_field(&form.birth_date, now), &mut errors);
        let name = collect(name_field(&form.name_kana), &mut errors);
        match (key, birth_date, name) {
            (Some(key), Some(birth_date), Some(name)) => Ok(InsuredIdentity {
                key,
                birth_date,
                name,
            }),
            _ => Err(FormErrors::from_vec(errors).unwrap_or_else(|| {
                FieldError {
                    field: Field::InsurerCode,
                    kind: FieldErrorKind::Empty,
                }
                .into()
            })),
        }
    }

    /// The insured key typed.
    #[must_use]
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }

    /// The date of birth typed.
    #[must_use]
    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    /// The kana name typed.
    #[must_use]
    pub fn name(&self) -> &KanaName {
        &self.name
    }
}

/// An insured person on the insurer's roster.
///
/// Serde as a flat object `{insurer_code, symbol, number, birth_date, name_kana}` (the
/// normalised key, `YYYY-MM-DD`, the name as registered), validated again when deserialized.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "RecordRepr", into = "RecordRepr")]
pub struct InsuredRecord {
    key: InsuredKey,
    birth_date: BirthDate,
    name: KanaName,
}

#[derive(Serialize, Deserialize)]
struct RecordRepr {
    insurer_code: String,
    symbol: String,
    number: String,
    birth_date: BirthDate,
    name_kana: String,
}

impl From<InsuredRecord> for RecordRepr {
    fn from(r: InsuredRecord) -> Self {
        RecordRepr {
            insurer_code: r.key.insurer_code,
            symbol: r.key.symbol,
            number: r.key.number,
            birth_date: r.birth_date,
            name_kana: r.name.as_str().to_owned(),
        }
    }
}

impl TryFrom<RecordRepr> for InsuredRecord {
    type Error = FormErrors;

    fn try_from(r: RecordRepr) -> Result<Self, Self::Error> {
        InsuredRecord::new(
            &r.insurer_code,
            &r.symbol,
            &r.number,
            r.birth_date,
            &r.name_kana,
        )
    }
}

impl InsuredRecord {
    /// A roster entry.
    ///
    /// # Errors
    ///
    /// [`FormErrors`] listing every bad field, as for [`InsuredKey::new`] and
    /// [`KanaName::parse`].
    pub fn new(
        insurer_code: &str,
        symbol: &str,
        number: &str,
        birth_date: BirthDate,
        name_kana: &str,
    ) -> Result<InsuredRecord, FormErrors> {
        let mut errors = Vec::new();
        let key = InsuredKey::collect(insurer_code, symbol, number, &mut errors);
        let name = collect(name_field(name_kana), &mut errors);
        match (key, name) {
            (Some(key), Some(name)) => Ok(InsuredRecord {
                key,
                birth_date,
                name,
            }),
            _ => Err(FormErrors::from_vec(errors).unwrap_or_else(|| {
                FieldError {
                    field: Field::NameKana,
                    kind: FieldErrorKind::Empty,
                }
                .into()
            })),
        }
    }

    /// The insured key.
    #[must_use]
    pub fn key(&self) -> &InsuredKey {
        &self.key
    }

    /// The date of birth.
    #[must_use]
    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    /// The kana name as registered.
    #[must_use]
    pub fn name(&self) -> &KanaName {
        &self.name
    }

    /// Whether the typed identity is this insured person: all five fields agree, the name by
    /// its folded key. Every field is compared, whatever the outcome.
    #[must_use]
    pub fn matches(&self, identity: &InsuredIdentity) -> bool {
        self.diagnose(identity).is_match()
    }

    /// Which fields differ, for the host's logs only: never show it to the member, who must
    /// not learn which field was wrong.
    #[must_use]
    pub fn diagnose(&self, identity: &InsuredIdentity) -> MatchDiagnostic {
        let (a, b) = (&self.key, &identity.key);
        MatchDiagnostic {
            differs: [
                a.insurer_code != b.insurer_code,
                a.symbol != b.symbol,
                a.number != b.number,
                self.birth_date != identity.birth_date,
                self.name != identity.name,
            ],
        }
    }
}

const FIELDS: [Field; 5] = [
    Field::InsurerCode,
    Field::Symbol,
    Field::Number,
    Field::BirthDate,
    Field::NameKana,
];

/// Which fields of an [`InsuredIdentity`] differ from an [`InsuredRecord`]: for the host's
/// logs only, never for the member.
///
/// ```
/// use kenpo_auth::{BirthDate, Field, IdentityForm, InsuredIdentity, InsuredRecord};
///
/// let record = InsuredRecord::new("1", "2", "3", BirthDate::new(1970, 3, 2).unwrap(), "ヤマダ").unwrap();
/// let form = IdentityForm {
///     insurer_code: "1".into(), symbol: "2".into(), number: "3".into(),
///     birth_date: "1970-03-03".into(), name_kana: "やまだ".into(),
/// };
/// let diagnostic = record.diagnose(&InsuredIdentity::parse(&form).unwrap());
/// assert!(!diagnostic.is_match());
/// assert_eq!(diagnostic.fields().collect::<Vec<_>>(), [Field::BirthDate]);
/// assert_eq!(diagnostic.to_string(), "differs in: date of birth");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchDiagnostic {
    differs: [bool; 5],
}

impl MatchDiagnostic {
    /// Whether all five fields agree.
    #[must_use]
    pub fn is_match(&self) -> bool {
        !self.differs.contains(&true)
    }

    /// Whether `field` differs.
    #[must_use]
    pub fn differs(&self, field: Field) -> bool {
        self.fields().any(|f| f == field)
    }

    /// The fields that differ, in form order.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        FIELDS
            .into_iter()
            .zip(self.differs)
            .filter_map(|(field, differs)| differs.then_some(field))
    }
}

impl fmt::Display for MatchDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_match() {
            return f.write_str("match");
        }
        f.write_str("differs in: ")?;
        for (i, field) in self.fields().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}
