//! [`CoverageEnd`]: the day an insured person stops being covered (資格喪失日).

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use super::birth_date::{DateError, DateField, days_in_month, today_in_japan};

/// The date an insured person's coverage ends (資格喪失日): from that day on, in Japan (JST),
/// the person is no longer covered, their account cannot log in and first authentication does
/// not confirm them. A date still to come keeps them covered until it arrives.
///
/// [`FromStr`], [`Display`](fmt::Display) and serde use `YYYY-MM-DD` (also read: `YYYYMMDD`).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kenpo_auth::CoverageEnd;
///
/// let end: CoverageEnd = "2026-11-01".parse().unwrap();
/// assert_eq!(end.to_string(), "2026-11-01");
/// assert_eq!("20261101".parse::<CoverageEnd>().unwrap(), end);
/// // 2026-10-31T15:00Z is midnight of 11-01 in Japan.
/// let midnight_jst = SystemTime::UNIX_EPOCH + Duration::from_secs(1_793_458_800);
/// assert!(end.has_begun(midnight_jst));
/// assert!(!end.has_begun(midnight_jst - Duration::from_secs(1)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CoverageEnd {
    year: u16,
    month: u8,
    day: u8,
}

impl CoverageEnd {
    /// The earliest year accepted.
    pub const MIN_YEAR: u16 = 1900;
    /// The latest year accepted.
    pub const MAX_YEAR: u16 = 9999;

    /// The end of coverage on `year`-`month`-`day`.
    ///
    /// # Errors
    /// [`DateError::Year`] outside [`MIN_YEAR`](Self::MIN_YEAR)..=[`MAX_YEAR`](Self::MAX_YEAR),
    /// [`DateError::Month`], [`DateError::Day`].
    pub fn new(year: u16, month: u8, day: u8) -> Result<CoverageEnd, DateError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(DateError::Year { year });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month { month });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(CoverageEnd { year, month, day })
    }

    /// The year.
    #[must_use]
    pub const fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    #[must_use]
    pub const fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    #[must_use]
    pub const fn day(&self) -> u8 {
        self.day
    }

    /// Whether coverage has ended at `now`: the date in Japan is this date or later.
    #[must_use]
    pub fn has_begun(&self, now: SystemTime) -> bool {
        let (year, month, day) = today_in_japan(now);
        (year, month, day) >= (i64::from(self.year), self.month, self.day)
    }
}

impl fmt::Display for CoverageEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for CoverageEnd {
    type Err = DateError;

    /// `YYYY-MM-DD` or `YYYYMMDD`, ASCII digits.
    fn from_str(s: &str) -> Result<Self, DateError> {
        let digits: Vec<u8> = match s.as_bytes() {
            [y @ .., b'-', m1, m2, b'-', d1, d2] if y.len() == 4 => {
                y.iter().chain([m1, m2, d1, d2]).copied().collect()
            }
            all if all.len() == 8 => all.to_vec(),
            _ => return Err(DateError::Format),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(DateError::Format);
        }
        let number = |range: std::ops::Range<usize>| {
            digits
                .get(range)
                .unwrap_or_default()
                .iter()
                .fold(0_u16, |acc, b| acc * 10 + u16::from(b - b'0'))
        };
        let (year, month, day) = (number(0..4), number(4..6), number(6..8));
        // Two digits each: below 100, so the narrowing cannot fail.
        CoverageEnd::new(
            year,
            u8::try_from(month).unwrap_or(u8::MAX),
            u8::try_from(day).unwrap_or(u8::MAX),
        )
    }
}

serde_as_text!(CoverageEnd);

impl DateError {
    /// The message for a bad 資格喪失日 cell of a roster file: [`DateError`]'s own
    /// [`message_ja`](crate::MessageJa::message_ja) speaks of the 生年月日.
    pub(crate) fn coverage_end_message_ja(&self) -> String {
        let field = DateField {
            label: "資格喪失日",
            example: "2027-03-31、令和9年3月31日",
            years: "1900年から9999年まで",
        };
        match self {
            // A date to come is an end of coverage like any other: never said of one.
            Self::Future => Self::Format.message_ja_about(&field),
            other => other.message_ja_about(&field),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings_and_refuses_the_rest() {
        let end = CoverageEnd::new(2024, 2, 29).unwrap();
        assert_eq!("2024-02-29".parse::<CoverageEnd>(), Ok(end));
        assert_eq!("20240229".parse::<CoverageEnd>(), Ok(end));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "1899-12-31",
            "2024/02/29",
            "２０２４０２２９",
            "",
            "2024-2-29",
        ] {
            assert!(bad.parse::<CoverageEnd>().is_err(), "{bad}");
        }
    }
}
