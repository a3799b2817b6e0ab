//! The insured person's identity and how a typed form is matched against the roster.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Serde for a date as its `Display` text (`YYYY-MM-DD`), read back through its `FromStr`: a
/// deserialised date passed the same checks as a parsed one.
macro_rules! serde_as_text {
    ($date:ty) => {
        impl serde::Serialize for $date {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $date {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

mod birth_date;
mod coverage;
mod era;
mod form_errors;

pub use birth_date::{BirthDate, DateError};
pub use coverage::CoverageEnd;
use form_errors::join2;
pub(crate) use form_errors::join3;
pub use form_errors::{Field, FieldError, FieldErrorKind, FormErrors};

use crate::ja::half_width;
use crate::kana::KanaName;

/// Converts one half-width field: full-width ASCII to half-width, letters upper-cased, then
/// only ASCII letters and digits (and `-` when `hyphen`) accepted.
fn key_field(raw: &str, field: Field, hyphen: bool) -> Result<String, FieldError> {
    let error = |kind| FieldError::new(field, kind);
    if raw.is_empty() {
        return Err(error(FieldErrorKind::Empty));
    }
    let max = InsuredKey::MAX_FIELD_CHARS;
    let mut out = String::with_capacity(raw.len().min(max));
    for (i, ch) in raw.chars().enumerate() {
        let half = half_width(ch);
        if !(half.is_ascii_alphanumeric() || (hyphen && half == '-')) {
            return Err(error(FieldErrorKind::InvalidChar {
                ch,
                position: i + 1,
            }));
        }
        if i == max {
            return Err(error(FieldErrorKind::TooLong { max }));
        }
        out.push(half.to_ascii_uppercase());
    }
    Ok(out)
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
    /// The longest insurer-designated code, symbol or number, in characters.
    pub const MAX_FIELD_CHARS: usize = 16;

    /// Validates and normalises an insurer-designated code alone (保険者指定コード), as
    /// [`InsuredKey::new`] does: full-width to half-width, letters upper-cased, only letters
    /// and digits.
    ///
    /// # Errors
    /// [`FieldError`] for [`Field::InsurerCode`].
    ///
    /// ```
    /// use kenpo_auth::InsuredKey;
    /// assert_eq!(InsuredKey::insurer_code_of("０６１３９９９９").unwrap(), "06139999");
    /// assert!(InsuredKey::insurer_code_of("0613-9999").is_err());
    /// ```
    pub fn insurer_code_of(raw: &str) -> Result<String, FieldError> {
        key_field(raw, Field::InsurerCode, false)
    }

    /// Validates and normalises the three parts (see [`InsuredIdentity`]).
    ///
    /// # Errors
    ///
    /// [`FormErrors`] listing every bad part, each [`FieldErrorKind::Empty`],
    /// [`FieldErrorKind::InvalidChar`] or [`FieldErrorKind::TooLong`].
    pub fn new(insurer_code: &str, symbol: &str, number: &str) -> Result<InsuredKey, FormErrors> {
        let (insurer_code, symbol, number) = join3(
            key_field(insurer_code, Field::InsurerCode, false),
            key_field(symbol, Field::Symbol, true),
            key_field(number, Field::Number, false),
        )?;
        Ok(InsuredKey {
            insurer_code,
            symbol,
            number,
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

    /// A key no insurer issues (insurer code `00000000`): what the portal looks up when there
    /// is no person to look up, so that "nobody" costs the store the same read as somebody.
    pub(crate) fn placeholder() -> InsuredKey {
        InsuredKey {
            insurer_code: "00000000".to_owned(),
            symbol: "0".to_owned(),
            number: "0".to_owned(),
        }
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

/// The three accessors of a person's identity (`key`, `birth_date`, `name`), for the identity
/// a member typed and the roster's entry alike.
macro_rules! person_accessors {
    ($type:ident, $whose:literal) => {
        impl $type {
            #[doc = concat!("The insured key (", $whose, ").")]
            #[must_use]
            pub fn key(&self) -> &InsuredKey {
                &self.key
            }

            #[doc = concat!("The date of birth (", $whose, ").")]
            #[must_use]
            pub fn birth_date(&self) -> BirthDate {
                self.birth_date
            }

            #[doc = concat!("The kana name (", $whose, ").")]
            #[must_use]
            pub fn name(&self) -> &KanaName {
                &self.name
            }
        }
    };
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
    let error = |kind| FieldError::new(Field::BirthDate, kind);
    if raw.is_empty() {
        return Err(error(FieldErrorKind::Empty));
    }
    let half: String = raw.chars().map(half_width).collect();
    BirthDate::parse_as_of(&half, now).map_err(|e| error(FieldErrorKind::Date(e)))
}

fn name_field(raw: &str) -> Result<KanaName, FieldError> {
    KanaName::parse(raw).map_err(|e| FieldError::new(Field::NameKana, FieldErrorKind::Name(e)))
}

/// The insured person's identity: the five fields of the first authentication (初回認証) and
/// how a typed form is matched against the insurer's roster.
///
/// - [`IdentityForm`] holds the raw strings as the member typed them (serde, for the host's
///   form handling).
/// - [`InsuredIdentity::parse`] validates all five fields and reports every bad one at once
///   in [`FormErrors`].
/// - [`InsuredRecord`] is a roster entry; [`InsuredRecord::matches`] needs all five fields to
///   agree, the name compared by its [folded key](crate::kana::fold). The answer is a plain
///   `bool`, so nothing tells the member which field differed; [`InsuredRecord::diagnose`]
///   gives the host that detail for its logs.
///
/// Insurer-designated code, symbol and number are half-width ASCII letters and digits (the
/// symbol may also hold `-`), 1 to [`InsuredKey::MAX_FIELD_CHARS`] (16) characters each. Full-width
/// letters, digits and `－` are converted to half-width, letters are upper-cased (so `ab` and
/// `ＡＢ` are the same symbol), leading zeros are kept; anything else is a field error.
///
/// ```
/// use kenpo_auth::{BirthDate, IdentityForm, InsuredIdentity, InsuredRecord};
///
/// let record = InsuredRecord::new(
///     "06139999", "12-3", "4567", BirthDate::new(1970, 3, 2).unwrap(), "ケンポ ショウコ",
/// ).unwrap();
/// let form = IdentityForm {
///     insurer_code: "０６１３９９９９".into(),
///     symbol: "12-3".into(),
///     number: "4567".into(),
///     birth_date: "1970-03-02".into(),
///     name_kana: "ｹﾝﾎ ｼﾖｳｺ".into(),
/// };
/// let identity = InsuredIdentity::parse(&form).unwrap();
/// assert!(record.matches(&identity));
/// assert_eq!(identity.key().storage_key(), "06139999/12-3/4567");
/// ```
///
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
        let (key, birth_date, name) = join3(
            InsuredKey::new(&form.insurer_code, &form.symbol, &form.number),
            birth_date_field(&form.birth_date, now),
            name_field(&form.name_kana),
        )?;
        Ok(InsuredIdentity {
            key,
            birth_date,
            name,
        })
    }
}

person_accessors!(InsuredIdentity, "typed");

/// An insured person on the insurer's roster, and when their coverage ends (資格喪失日), if
/// it does.
///
/// Serde as a flat object `{insurer_code, symbol, number, birth_date, name_kana,
/// coverage_end?}` (the normalised key, `YYYY-MM-DD`, the name as registered), validated again
/// when deserialized. Equal when every field is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RecordRepr", into = "RecordRepr")]
pub struct InsuredRecord {
    key: InsuredKey,
    birth_date: BirthDate,
    name: KanaName,
    coverage_end: Option<CoverageEnd>,
}

#[derive(Serialize, Deserialize)]
struct RecordRepr {
    insurer_code: String,
    symbol: String,
    number: String,
    birth_date: BirthDate,
    name_kana: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coverage_end: Option<CoverageEnd>,
}

impl From<InsuredRecord> for RecordRepr {
    fn from(r: InsuredRecord) -> Self {
        RecordRepr {
            insurer_code: r.key.insurer_code,
            symbol: r.key.symbol,
            number: r.key.number,
            birth_date: r.birth_date,
            name_kana: r.name.as_str().to_owned(),
            coverage_end: r.coverage_end,
        }
    }
}

impl TryFrom<RecordRepr> for InsuredRecord {
    type Error = FormErrors;

    fn try_from(r: RecordRepr) -> Result<Self, Self::Error> {
        Ok(InsuredRecord::new(
            &r.insurer_code,
            &r.symbol,
            &r.number,
            r.birth_date,
            &r.name_kana,
        )?
        .with_coverage_end(r.coverage_end))
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
        let (key, name) = join2(
            InsuredKey::new(insurer_code, symbol, number),
            name_field(name_kana),
        )?;
        Ok(InsuredRecord {
            key,
            birth_date,
            name,
            coverage_end: None,
        })
    }

    /// The same person, their coverage ending on `end` (資格喪失日), or covered again (`None`).
    #[must_use]
    pub fn with_coverage_end(mut self, end: Option<CoverageEnd>) -> InsuredRecord {
        self.coverage_end = end;
        self
    }

    /// When coverage ends, if it does.
    #[must_use]
    pub fn coverage_end(&self) -> Option<CoverageEnd> {
        self.coverage_end
    }

    /// Whether the person is covered at `now`: no end of coverage, or one still to come.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use kenpo_auth::{BirthDate, CoverageEnd, InsuredRecord};
    ///
    /// let birth = BirthDate::new(1980, 4, 1).unwrap();
    /// let person = InsuredRecord::new("06139999", "12", "345", birth, "ケンポ ハナコ").unwrap();
    /// assert!(person.is_covered_at(SystemTime::now()));
    /// let left = person.with_coverage_end(Some(CoverageEnd::new(2020, 4, 1).unwrap()));
    /// assert!(!left.is_covered_at(SystemTime::now()));
    /// ```
    #[must_use]
    pub fn is_covered_at(&self, now: SystemTime) -> bool {
        self.coverage_end.is_none_or(|end| !end.has_begun(now))
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

person_accessors!(InsuredRecord, "as on the roster");

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
