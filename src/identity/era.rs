//! Japanese eras (明治 to 令和) and the text parser behind
//! [`BirthDate::parse_japanese`](crate::BirthDate::parse_japanese).
//!
//! It knows nothing of [`BirthDate`](crate::BirthDate): it splits an era date into its parts
//! and says what went wrong in its own [`EraError`], which `birth_date` turns into a
//! `DateError`.

use crate::ja::half_width;

/// Why an era date could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EraError {
    /// Not of the shape `<era><year>年<month>月<day>日` (or with `.`, `-`, `/`).
    Format,
    /// The text starts with no era this parser knows.
    UnknownEra,
    /// The year does not exist in the era.
    NotInEra {
        /// The era's name.
        era: &'static str,
    },
}

/// A Japanese era from 明治 on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

/// (year, month, day)
type Ymd = (u16, u8, u8);

const ERAS: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

impl Era {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The first day of the era.
    pub(crate) fn start(self) -> Ymd {
        match self {
            Era::Meiji => (1868, 10, 23),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        }
    }

    fn next(self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// Whether `date` falls within the era.
    pub(crate) fn contains(self, date: Ymd) -> bool {
        date >= self.start() && self.next().is_none_or(|next| date < next.start())
    }

    /// The era a date (from 明治 on) falls in.
    pub(crate) fn of(date: Ymd) -> Era {
        ERAS.into_iter()
            .rev()
            .find(|era| date >= era.start())
            .unwrap_or(Era::Meiji)
    }

    /// The year of the era that Gregorian `year` is (1 = 元年), the inverse of
    /// [`gregorian_year`](Self::gregorian_year); 1 for a year before the era.
    pub(crate) fn year_of(self, year: u16) -> u16 {
        year.saturating_sub(self.start().0).saturating_add(1)
    }

    /// The Gregorian year of year `n` of the era (1 = 元年).
    pub(crate) fn gregorian_year(self, n: u16) -> Result<u16, EraError> {
        n.checked_sub(1)
            .and_then(|years| self.start().0.checked_add(years))
            .ok_or(EraError::NotInEra { era: self.name() })
    }

    fn from_prefix(s: &str) -> Option<(Era, &str)> {
        const PREFIXES: [(&str, Era); 25] = [
            ("明治", Era::Meiji),
            ("大正", Era::Taisho),
            ("昭和", Era::Showa),
            ("平成", Era::Heisei),
            ("令和", Era::Reiwa),
            ("㍾", Era::Meiji),
            ("㍽", Era::Taisho),
            ("㍼", Era::Showa),
            ("㍻", Era::Heisei),
            ("㋿", Era::Reiwa),
            ("M", Era::Meiji),
            ("T", Era::Taisho),
            ("S", Era::Showa),
            ("H", Era::Heisei),
            ("R", Era::Reiwa),
            ("m", Era::Meiji),
            ("t", Era::Taisho),
            ("s", Era::Showa),
            ("h", Era::Heisei),
            ("r", Era::Reiwa),
            // Half-width forms are normalised first, but the full-width letters are
            // handled here too so the table is complete on its own.
            ("Ｍ", Era::Meiji),
            ("Ｔ", Era::Taisho),
            ("Ｓ", Era::Showa),
            ("Ｈ", Era::Heisei),
            ("Ｒ", Era::Reiwa),
        ];
        PREFIXES
            .iter()
            .find_map(|(p, era)| s.strip_prefix(p).map(|rest| (*era, rest)))
    }
}

/// Full-width ASCII to half-width; ASCII and ideographic spaces dropped.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}'))
        .map(half_width)
        .collect()
}

/// Leading ASCII digits (at most `max` of them) as a number, and the rest.
fn number(s: &str, max: usize) -> Result<(u16, &str), EraError> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > max {
        return Err(EraError::Format);
    }
    let (digits, rest) = s.split_at(len);
    digits
        .parse()
        .map(|n| (n, rest))
        .map_err(|_| EraError::Format)
}

/// Strips one of `seps` from the front of `s`.
fn separator<'a>(s: &'a str, seps: &[&str]) -> Result<&'a str, EraError> {
    seps.iter()
        .find_map(|sep| s.strip_prefix(sep))
        .ok_or(EraError::Format)
}

/// Splits an era date into (era, year in era, month, day).
pub(crate) fn parse(s: &str) -> Result<(Era, u16, u8, u8), EraError> {
    let s = normalise(s);
    let (era, rest) = match Era::from_prefix(&s) {
        Some(found) => found,
        None if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() => {
            return Err(EraError::Format);
        }
        None => return Err(EraError::UnknownEra),
    };
    let (year, rest) = match rest.strip_prefix('元') {
        Some(rest) => (1, rest),
        None => number(rest, 3)?,
    };
    let rest = separator(rest, &["年", ".", "-", "/"])?;
    let (month, rest) = number(rest, 2)?;
    let rest = separator(rest, &["月", ".", "-", "/"])?;
    let (day, rest) = number(rest, 2)?;
    if !matches!(rest, "" | "日") {
        return Err(EraError::Format);
    }
    let month = u8::try_from(month).map_err(|_| EraError::Format)?;
    let day = u8::try_from(day).map_err(|_| EraError::Format)?;
    Ok((era, year, month, day))
}
