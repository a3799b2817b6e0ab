//! Field errors of the first-authentication form: [`FormErrors`], [`FieldError`], [`Field`],
//! [`FieldErrorKind`].

use std::fmt;

use crate::birth_date::DateError;
use crate::kana::NameError;

/// A field of the first-authentication form (the insured person's identity).
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
}

impl Field {
    /// The field's name in [`IdentityForm`](crate::IdentityForm) (and its serde form), e.g.
    /// `"insurer_code"`, so that a host can attach the error to its form field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Field::InsurerCode => "insurer_code",
            Field::Symbol => "symbol",
            Field::Number => "number",
            Field::BirthDate => "birth_date",
            Field::NameKana => "name_kana",
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
    }
}

/// The character as shown to the member: itself when visible, its code otherwise.
fn show_ja(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() || matches!(ch, '\u{200B}'..='\u{200F}' | '\u{FEFF}') {
        format!("U+{:04X}", u32::from(ch))
    } else {
        ch.to_string()
    }
}

impl FieldError {
    /// A Japanese message for the member, naming the field.
    ///
    /// ```
    /// use kenpo_auth::{Field, InsuredKey};
    ///
    /// let errors = InsuredKey::new("0613", "12 3", "").unwrap_err();
    /// let messages: Vec<String> = errors.errors().iter().map(|e| e.message_ja()).collect();
    /// assert_eq!(messages, [
    ///     "記号は半角英数字とハイフン（-）で入力してください（3文字目の「U+0020」は使用できません）",
    ///     "番号を入力してください",
    /// ]);
    /// ```
    #[must_use]
    pub fn message_ja(&self) -> String {
        let label = self.field.label_ja();
        match &self.kind {
            FieldErrorKind::Empty if self.field == Field::BirthDate => {
                format!("{label}を選択してください")
            }
            FieldErrorKind::Empty => format!("{label}を入力してください"),
            FieldErrorKind::TooLong { max } => {
                format!("{label}は{max}文字以内で入力してください")
            }
            FieldErrorKind::InvalidChar { ch, position } => format!(
                "{label}は{}で入力してください（{position}文字目の「{}」は使用できません）",
                self.field.accepts_ja(),
                show_ja(*ch)
            ),
            FieldErrorKind::Date(e) => e.message_ja(),
            FieldErrorKind::Name(e) => e.message_ja(),
        }
    }
}

/// Every bad field of a form, in form order; never empty.
///
/// ```
/// use kenpo_auth::{Field, IdentityForm, InsuredIdentity};
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
    errors: Vec<FieldError>,
}

impl FormErrors {
    /// `None` when `errors` is empty.
    pub(crate) fn from_vec(errors: Vec<FieldError>) -> Option<FormErrors> {
        if errors.is_empty() {
            None
        } else {
            Some(FormErrors { errors })
        }
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

    /// A Japanese message for the member: one line per bad field.
    #[must_use]
    pub fn message_ja(&self) -> String {
        self.errors
            .iter()
            .map(FieldError::message_ja)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
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
        FormErrors {
            errors: vec![error],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field() {
        let e = |field, kind| FieldError { field, kind };
        assert_eq!(
            e(Field::InsurerCode, FieldErrorKind::Empty).message_ja(),
            "保険者指定コードを入力してください"
        );
        assert_eq!(
            e(Field::BirthDate, FieldErrorKind::Empty).message_ja(),
            "生年月日を選択してください"
        );
        assert_eq!(
            e(Field::Number, FieldErrorKind::TooLong { max: 16 }).message_ja(),
            "番号は16文字以内で入力してください"
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
            "記号は半角英数字とハイフン（-）で入力してください（1文字目の「記」は使用できません）"
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
    fn form_errors_list_in_order() {
        let errors = FormErrors::from_vec(vec![
            FieldError {
                field: Field::Symbol,
                kind: FieldErrorKind::Empty,
            },
            FieldError {
                field: Field::NameKana,
                kind: FieldErrorKind::Name(NameError::Empty),
            },
        ])
        .unwrap();
        assert_eq!(
            errors.to_string(),
            "symbol: is empty; kana name: the kana name is empty"
        );
        assert_eq!(
            errors.message_ja(),
            "記号を入力してください\n氏名（カナ）を入力してください"
        );
        assert!(errors.contains(Field::Symbol));
        assert!(!errors.contains(Field::Number));
        assert_eq!((&errors).into_iter().count(), 2);
        assert!(FormErrors::from_vec(Vec::new()).is_none());
    }
}
