//! Japanese eras (明治 to 令和) and the text parser behind
//! [`BirthDate::parse_japanese`](crate::BirthDate::parse_japanese).

use crate::birth_date::DateError;

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

    /// The Gregorian year of year `n` of the era (1 = 元年).
    pub(crate) fn gregorian_year(self, n: u16) -> Result<u16, DateError> {
        n.checked_sub(1)
            .and_then(|years| self.start().0.checked_add(years))
            .ok_or(DateError::NotInEra { era: self.name() })
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
        .map(|c| match u32::from(c) {
            cp @ 0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Leading ASCII digits (at most `max` of them) as a number, and the rest.
fn number(s: &str, max: usize) -> Result<(u16, &str), DateError> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > max {
        return Err(DateError::Format);
    }
    let (digits, rest) = s.split_at(len);
    digits
        .parse()
        .map(|n| (n, rest))
        .map_err(|_| DateError::Format)
}

/// Strips one of `seps` from the front of `s`.
fn separator<'a>(s: &'a str, seps: &[&str]) -> Result<&'a str, DateError> {
    seps.iter()
        .find_map(|sep| s.strip_prefix(sep))
        .ok_or(DateError::Format)
}

/// Splits an era date into (era, year in era, month, day).
pub(crate) fn parse(s: &str) -> Result<(Era, u16, u8, u8), DateError> {
    let s = normalise(s);
    let (era, rest) = match Era::from_prefix(&s) {
        Some(found) => found,
        None if s.starts_with(|c: char| c.is_ascii_digit()) || s.is_empty() => {
            return Err(DateError::Format);
        }
        None => return Err(DateError::UnknownEra),
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
        return Err(DateError::Format);
    }
    let month = u8::try_from(month).map_err(|_| DateError::Format)?;
    let day = u8::try_from(day).map_err(|_| DateError::Format)?;
    Ok((era, year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BirthDate;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// 2024-10-01 in Japan.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_727_740_800)
    }

    fn p(s: &str) -> Result<BirthDate, DateError> {
        BirthDate::parse_japanese_as_of(s, now())
    }

    fn d(y: u16, m: u8, day: u8) -> Result<BirthDate, DateError> {
        BirthDate::new_as_of(y, m, day, now())
    }

    #[test]
    fn accepted_spellings() {
        for s in [
            "昭和45年3月2日",
            "昭和45年03月02日",
            "S45.3.2",
            "s45/3/2",
            "S45-03-02",
            "Ｓ４５．３．２",
            "昭和 45年 3月 2日",
            "㍼45年3月2日",
            "昭和45.3.2",
        ] {
            assert_eq!(p(s), d(1970, 3, 2), "{s}");
        }
        assert_eq!(p("R6-9-28"), d(2024, 9, 28));
        assert_eq!(p("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(p("㋿6年9月28日"), d(2024, 9, 28));
        assert_eq!(p("H1.1.8"), d(1989, 1, 8));
        assert_eq!(p("平成31年4月30日"), d(2019, 4, 30));
        assert_eq!(p("昭和元年12月25日"), d(1926, 12, 25));
        assert_eq!(p("昭和64年1月7日"), d(1989, 1, 7));
        assert_eq!(p("大正元年7月30日"), d(1912, 7, 30));
        assert_eq!(p("明治33年1月1日"), d(1900, 1, 1));
        assert_eq!(p("M45.7.29"), d(1912, 7, 29));
    }

    #[test]
    fn dates_outside_their_era() {
        let heisei = Err(DateError::NotInEra { era: "平成" });
        assert_eq!(p("平成31年5月1日"), heisei);
        assert_eq!(p("H0.5.1"), heisei);
        assert_eq!(p("H1.1.7"), heisei);
        assert_eq!(p("H999.1.1"), heisei);
        assert_eq!(
            p("昭和64年1月8日"),
            Err(DateError::NotInEra { era: "昭和" })
        );
        assert_eq!(
            p("大正元年7月29日"),
            Err(DateError::NotInEra { era: "大正" })
        );
        assert_eq!(p("明治32年12月31日"), Err(DateError::Year { year: 1899 }));
    }

    #[test]
    fn calendar_and_future_still_checked() {
        assert_eq!(
            p("R5.2.29"),
            Err(DateError::Day {
                year: 2023,
                month: 2,
                day: 29
            })
        );
        assert_eq!(p("R6.13.1"), Err(DateError::Month { month: 13 }));
        assert_eq!(p("R6.10.2"), Err(DateError::Future));
        assert!(p("R6.10.1").is_ok());
    }

    #[test]
    fn malformed() {
        assert_eq!(p("X45.3.2"), Err(DateError::UnknownEra));
        assert_eq!(p("天保3年1月1日"), Err(DateError::UnknownEra));
        for s in [
            "",
            "45.3.2",
            "S",
            "S45",
            "S45.3",
            "S45.3.2.",
            "S45年3月2日x",
            "S45..3.2",
            "S4500.3.2",
            "S45.300.2",
            "S元",
            "1970-03-02",
        ] {
            assert_eq!(p(s), Err(DateError::Format), "{s:?}");
        }
    }

    #[test]
    fn era_of_a_date() {
        assert_eq!(
            BirthDate::new(1989, 1, 7).unwrap().japanese_era(),
            ("昭和", 64)
        );
        assert_eq!(
            BirthDate::new(1989, 1, 8).unwrap().japanese_era(),
            ("平成", 1)
        );
        assert_eq!(
            BirthDate::new(1900, 1, 1).unwrap().japanese_era(),
            ("明治", 33)
        );
        assert!(Era::Reiwa.contains((2100, 1, 1)));
    }
}
