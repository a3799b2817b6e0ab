//! The bad fields of a member's form — the first-authentication form and the registration form
//! alike: [`FormErrors`], [`FieldError`], [`Field`], [`FieldErrorKind`].
//!
//! A form is checked field by field and every bad field is reported at once. The fields are
//! combined by [`join2`] and [`join3`]: every value when all fields are good, otherwise every
//! error — so a [`FormErrors`] is never empty and no caller needs a fallback for "no error".

use std::fmt;

use super::birth_date::DateError;
use crate::email::EmailError;
use crate::ja::{self, MessageJa, show_char};
use crate::kana::NameError;
use crate::password::PasswordError;
use crate::user_id::UserIdError;

/// A field of a member's form.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// 保険者指定コード, the insurer-designated code.
    InsurerCode,
    /// 記号, the symbol.
    Symbol,
    /// 番号, the number.
    Number,
    /// 生年月日, the date of birth.
    BirthDate,
    /// 氏名カナ, the name in kana.
    NameKana,
    /// ユーザーID.
    UserId,
    /// パスワード.
    Password,
    /// メールアドレス.
    Email,
    /// 資格喪失日, the day coverage ends (a column of the union's roster file).
    CoverageEnd,
}

impl Field {
    /// The field's name in its form struct ([`IdentityForm`](crate::IdentityForm),
    /// [`RegistrationForm`](crate::RegistrationForm)) and their serde form, e.g.
    /// `"insurer_code"`, so that a host can attach the error to its form field.
    ///
    /// ```
    /// use kenpo_auth::Field;
    /// assert_eq!(Field::NameKana.as_str(), "name_kana");
    /// assert_eq!(Field::Email.as_str(), "email");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Field::InsurerCode => "insurer_code",
            Field::Symbol => "symbol",
            Field::Number => "number",
            Field::BirthDate => "birth_date",
            Field::NameKana => "name_kana",
            Field::UserId => "user_id",
            Field::Password => "password",
            Field::Email => "email",
            Field::CoverageEnd => "coverage_end",
        }
    }

    /// The field's label on the form, e.g. `"保険者指定コード"`.
    #[must_use]
    pub fn label_ja(self) -> &'static str {
        match self {
            Field::InsurerCode => "保険者指定コード",
            Field::Symbol => "記号",
            Field::Number => "番号",
            Field::BirthDate => "生年月日",
            Field::NameKana => "氏名（カナ）",
            Field::UserId => "ユーザーID",
            Field::Password => "パスワード",
            Field::Email => "メールアドレス",
            Field::CoverageEnd => "資格喪失日",
        }
    }

    /// What the field accepts, for messages.
    fn accepts_ja(self) -> &'static str {
        match self {
            Field::Symbol => "半角英数字とハイフン（-）",
            _ => "半角英数字",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::InsurerCode => "insurer code",
            Field::Symbol => "symbol",
            Field::Number => "number",
            Field::BirthDate => "date of birth",
            Field::NameKana => "kana name",
            Field::UserId => "user ID",
            Field::Password => "password",
            Field::Email => "e-mail address",
            Field::CoverageEnd => "end of coverage",
        })
    }
}

/// What is wrong with a field.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// The field is empty.
    Empty,
    /// The field is longer than `max` characters.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A character the field does not accept.
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its 1-based character position in the field.
        position: usize,
    },
    /// The date of birth is not acceptable.
    Date(DateError),
    /// The kana name is not acceptable.
    Name(NameError),
    /// The user ID breaks the manual's rule.
    UserId(UserIdError),
    /// The password breaks the policy (every violation is listed).
    Password(PasswordError),
    /// The e-mail address is not acceptable.
    Email(EmailError),
}

/// One bad field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", describe(&self.kind))]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// What is wrong with it.
    pub kind: FieldErrorKind,
}

fn describe(kind: &FieldErrorKind) -> String {
    match kind {
        FieldErrorKind::Empty => "is empty".to_owned(),
        FieldErrorKind::TooLong { max } => format!("is longer than {max} characters"),
        FieldErrorKind::InvalidChar { ch, position } => format!(
            "character {ch:?} (U+{:04X}) at position {position} is not allowed",
            u32::from(*ch)
        ),
        FieldErrorKind::Date(e) => e.to_string(),
        FieldErrorKind::Name(e) => e.to_string(),
        FieldErrorKind::UserId(e) => e.to_string(),
        FieldErrorKind::Password(e) => e.to_string(),
        FieldErrorKind::Email(e) => e.to_string(),
    }
}

impl FieldError {
    /// The error `kind` of `field`.
    #[must_use]
    pub const fn new(field: Field, kind: FieldErrorKind) -> FieldError {
        FieldError { field, kind }
    }
}

/// A Japanese message for the member, naming the field.
///
/// ```
/// use kenpo_auth::{InsuredKey, MessageJa};
///
/// let errors = InsuredKey::new("0613", "12 3", "").unwrap_err();
/// let messages: Vec<String> = errors.iter().map(MessageJa::message_ja).collect();
/// assert_eq!(messages, [
///     "記号は半角英数字とハイフン（-）で入力してください（3文字目の「U+0020」は使用できません）。",
///     "番号を入力してください。",
/// ]);
/// ```
impl MessageJa for FieldError {
    fn message_ja(&self) -> String {
        let label = self.field.label_ja();
        match &self.kind {
            FieldErrorKind::Empty if self.field == Field::BirthDate => {
                format!("{label}を選択してください。")
            }
            FieldErrorKind::Empty => format!("{label}を入力してください。"),
            FieldErrorKind::TooLong { max } => {
                format!("{label}は{max}文字以内で入力してください。")
            }
            FieldErrorKind::InvalidChar { ch, position } => format!(
                "{label}は{}で入力してください（{position}文字目の「{}」は使用できません）。",
                self.field.accepts_ja(),
                show_char(*ch)
            ),
            FieldErrorKind::Date(e) if self.field == Field::CoverageEnd => {
                e.coverage_end_message_ja()
            }
            FieldErrorKind::Date(e) => e.message_ja(),
            FieldErrorKind::Name(e) => e.message_ja(),
            FieldErrorKind::UserId(e) => e.message_ja(),
            FieldErrorKind::Password(e) => e.message_ja(),
            FieldErrorKind::Email(e) => e.message_ja(),
        }
    }
}

/// Every bad field of a form, in form order; never empty.
///
/// ```
/// use kenpo_auth::{Field, IdentityForm, InsuredIdentity, MessageJa};
///
/// let form = IdentityForm { insurer_code: "06139999".into(), ..Default::default() };
/// let errors = InsuredIdentity::parse(&form).unwrap_err();
/// assert_eq!(
///     errors.fields().collect::<Vec<_>>(),
///     [Field::Symbol, Field::Number, Field::BirthDate, Field::NameKana]
/// );
/// assert_eq!(errors.message_ja().lines().count(), 4);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct FormErrors {
    /// Never empty: every constructor takes a first error.
    errors: Vec<FieldError>,
}

impl FormErrors {
    /// The errors of a form with this one bad field (more may be added).
    #[must_use]
    pub fn new(first: FieldError) -> FormErrors {
        FormErrors {
            errors: vec![first],
        }
    }

    /// These errors followed by `more`, if any.
    #[must_use]
    pub(crate) fn and(mut self, more: Option<impl Into<FormErrors>>) -> FormErrors {
        if let Some(more) = more {
            self.errors.extend(more.into().errors);
        }
        self
    }

    /// The bad fields and what is wrong with each, in form order.
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Iterates over the bad fields and what is wrong with each, in form order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// The bad fields, in form order.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.errors.iter().map(|e| e.field)
    }

    /// Whether `field` is among the bad fields.
    #[must_use]
    pub fn contains(&self, field: Field) -> bool {
        self.fields().any(|f| f == field)
    }

    /// What is wrong with `field`, if anything.
    ///
    /// ```
    /// use kenpo_auth::{Field, FieldErrorKind, IdentityForm, InsuredIdentity};
    /// let errors = InsuredIdentity::parse(&IdentityForm::default()).unwrap_err();
    /// assert_eq!(errors.get(Field::Symbol), Some(&FieldErrorKind::Empty));
    /// assert_eq!(errors.get(Field::Email), None);
    /// ```
    #[must_use]
    pub fn get(&self, field: Field) -> Option<&FieldErrorKind> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| &e.kind)
    }
}

/// A Japanese message for the member: one line per bad field.
impl MessageJa for FormErrors {
    fn message_ja(&self) -> String {
        ja::lines(&self.errors)
    }
}

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ja::semicolons(f, &self.errors)
    }
}

impl<'a> IntoIterator for &'a FormErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl From<FieldError> for FormErrors {
    fn from(error: FieldError) -> Self {
        FormErrors::new(error)
    }
}

/// Both values if both fields are good; otherwise every error, in order.
pub(crate) fn join2<A, B>(
    a: Result<A, impl Into<FormErrors>>,
    b: Result<B, impl Into<FormErrors>>,
) -> Result<(A, B), FormErrors> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(first), b) => Err(first.into().and(b.err())),
        (Ok(_), Err(second)) => Err(second.into()),
    }
}

/// All three values if every field is good; otherwise every error, in order.
pub(crate) fn join3<A, B, C>(
    a: Result<A, impl Into<FormErrors>>,
    b: Result<B, impl Into<FormErrors>>,
    c: Result<C, impl Into<FormErrors>>,
) -> Result<(A, B, C), FormErrors> {
    join2(join2(a, b), c).map(|((a, b), c)| (a, b, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(field: Field, kind: FieldErrorKind) -> FieldError {
        FieldError::new(field, kind)
    }

    #[test]
    fn messages_name_the_field_and_end_in_a_full_stop() {
        assert_eq!(
            e(Field::InsurerCode, FieldErrorKind::Empty).message_ja(),
            "保険者指定コードを入力してください。"
        );
        assert_eq!(
            e(Field::BirthDate, FieldErrorKind::Empty).message_ja(),
            "生年月日を選択してください。"
        );
        assert_eq!(
            e(Field::Number, FieldErrorKind::TooLong { max: 16 }).message_ja(),
            "番号は16文字以内で入力してください。"
        );
        assert_eq!(
            e(
                Field::Symbol,
                FieldErrorKind::InvalidChar {
                    ch: '記',
                    position: 1
                }
            )
            .message_ja(),
            "記号は半角英数字とハイフン（-）で入力してください（1文字目の「記」は使用できません）。"
        );
        assert_eq!(
            e(Field::NameKana, FieldErrorKind::Name(NameError::Empty)).message_ja(),
            NameError::Empty.message_ja()
        );
        assert_eq!(
            e(Field::BirthDate, FieldErrorKind::Date(DateError::Future)).message_ja(),
            DateError::Future.message_ja()
        );
        assert_eq!(
            e(
                Field::Number,
                FieldErrorKind::InvalidChar {
                    ch: '#',
                    position: 3
                }
            )
            .to_string(),
            "number: character '#' (U+0023) at position 3 is not allowed"
        );
    }

    #[test]
    fn joins_keep_every_error_in_order() {
        let symbol = || e(Field::Symbol, FieldErrorKind::Empty);
        let name = || e(Field::NameKana, FieldErrorKind::Name(NameError::Empty));
        let errors = join3(
            Ok::<_, FieldError>(1),
            Err::<u8, _>(symbol()),
            Err::<u8, _>(name()),
        )
        .unwrap_err();
        assert_eq!(
            errors.to_string(),
            "symbol: is empty; kana name: the kana name is empty"
        );
        assert_eq!(errors.message_ja().lines().count(), 2);
        assert!(errors.contains(Field::Symbol));
        assert!(!errors.contains(Field::Number));
        assert_eq!((&errors).into_iter().count(), 2);
        assert_eq!(
            join3(
                Ok::<_, FieldError>(1),
                Ok::<_, FieldError>(2),
                Ok::<_, FieldError>(3)
            ),
            Ok((1, 2, 3))
        );
        let nested = join2(Err::<u8, _>(errors.clone()), Err::<u8, _>(symbol())).unwrap_err();
        assert_eq!(nested.errors().len(), 3);
    }
}
