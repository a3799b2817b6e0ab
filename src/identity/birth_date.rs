//! [`BirthDate`]: a real Gregorian date from 1900-01-01 to today (in Japan), and its errors.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::era::{self, Era, EraError};
use crate::ja::MessageJa;

impl From<EraError> for DateError {
    fn from(error: EraError) -> Self {
        match error {
            EraError::Format => DateError::Format,
            EraError::UnknownEra => DateError::UnknownEra,
            EraError::NotInEra { era } => DateError::NotInEra { era },
        }
    }
}

/// Japan Standard Time, UTC+9, in seconds.
const JST_OFFSET_SECS: i64 = 9 * 3600;

/// A date of birth: a real Gregorian date from 1900-01-01 to today, where "today" is the
/// current date in Japan (JST, UTC+9).
///
/// Ordered chronologically. [`FromStr`], [`Display`](fmt::Display) and serde use
/// `YYYY-MM-DD`; [`BirthDate::parse_japanese`] reads Japanese-era dates.
///
/// ```
/// use kenpo_auth::BirthDate;
///
/// let d: BirthDate = "1970-03-02".parse().unwrap();
/// assert_eq!(d, BirthDate::new(1970, 3, 2).unwrap());
/// assert_eq!(d.to_string(), "1970-03-02");
/// assert_eq!(BirthDate::parse_japanese("昭和45年3月2日").unwrap(), d);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct BirthDate {
    year: u16,
    month: u8,
    day: u8,
}

/// Why a date of birth was refused. Each variant names the part that is wrong.
///
/// [`Display`](fmt::Display) is English, for logs; [`DateError::message_ja`] is Japanese, for
/// the member.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not of the expected shape (`YYYY-MM-DD`, or an era date for
    /// [`BirthDate::parse_japanese`]).
    #[error("the date is not of the form YYYY-MM-DD")]
    Format,
    /// The year is before 1900 or after the current year.
    #[error("year {year} is out of range (1900 to the current year)")]
    Year {
        /// The year given.
        year: u16,
    },
    /// The month is not 1 to 12.
    #[error("month {month} does not exist")]
    Month {
        /// The month given.
        month: u8,
    },
    /// The day does not exist in that month.
    #[error("day {day} does not exist in {year}-{month:02}")]
    Day {
        /// The year given.
        year: u16,
        /// The month given.
        month: u8,
        /// The day given.
        day: u8,
    },
    /// The date is later than today (in Japan).
    #[error("the date is in the future")]
    Future,
    /// The era name or letter is not one of 明治 (M), 大正 (T), 昭和 (S), 平成 (H), 令和 (R).
    #[error("unknown Japanese era")]
    UnknownEra,
    /// The date does not fall within the era given (e.g. 平成31年5月1日, 昭和0年).
    #[error("the date is not within the era {era}")]
    NotInEra {
        /// The era's name, e.g. `"平成"`.
        era: &'static str,
    },
}

/// A Japanese message for the member.
///
/// ```
/// use kenpo_auth::{BirthDate, MessageJa};
///
/// let err = "2001-02-29".parse::<BirthDate>().unwrap_err();
/// assert_eq!(err.message_ja(), "生年月日の日が正しくありません（2001年2月に29日はありません）。");
/// ```
impl MessageJa for DateError {
    fn message_ja(&self) -> String {
        self.message_ja_about(&DateField {
            label: "生年月日",
            example: "1970-03-02",
            years: "1900年から今年まで",
        })
    }
}

/// The date field a [`DateError`]'s message speaks of: the birth date, or a roster file's
/// end of coverage.
pub(crate) struct DateField {
    /// The field's name, e.g. 生年月日.
    pub(crate) label: &'static str,
    /// A well-written date, shown with a format error.
    pub(crate) example: &'static str,
    /// The years the field accepts, e.g. 1900年から今年まで.
    pub(crate) years: &'static str,
}

impl DateError {
    /// The member's message for this error in the date field `field`.
    pub(crate) fn message_ja_about(&self, field: &DateField) -> String {
        let DateField {
            label,
            example,
            years,
        } = field;
        match self {
            Self::Format => format!("{label}を正しく入力してください（例：{example}）。"),
            Self::Year { .. } => {
                format!("{label}の年が正しくありません（{years}で入力してください）。")
            }
            Self::Month { .. } => {
                format!("{label}の月が正しくありません（1月から12月までで入力してください）。")
            }
            Self::Day { year, month, day } => {
                format!("{label}の日が正しくありません（{year}年{month}月に{day}日はありません）。")
            }
            Self::Future => format!("{label}に未来の日付は入力できません。"),
            Self::UnknownEra => {
                "元号は明治・大正・昭和・平成・令和（M・T・S・H・R）で入力してください。".to_owned()
            }
            Self::NotInEra { era } => format!("{label}が{era}の期間にありません。"),
        }
    }
}

/// Whether `year` is a Gregorian leap year.
const fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days in a month (`month` in 1..=12).
pub(crate) const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The civil date in Japan at `now`, as (year, month, day).
pub(super) fn today_in_japan(now: SystemTime) -> (i64, u8, u8) {
    let secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN / 2, |s| -s),
    };
    let days = (secs.saturating_add(JST_OFFSET_SECS)).div_euclid(86_400);
    civil_from_days(days)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a proleptic Gregorian date.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

impl BirthDate {
    /// The earliest accepted year of birth.
    pub const MIN_YEAR: u16 = 1900;

    /// A date of birth, checked against today's date in Japan (from [`SystemTime::now`]).
    ///
    /// # Errors
    ///
    /// [`DateError::Year`], [`DateError::Month`], [`DateError::Day`] or [`DateError::Future`],
    /// checked in that order.
    ///
    /// ```
    /// use kenpo_auth::{BirthDate, DateError};
    ///
    /// assert!(BirthDate::new(2000, 2, 29).is_ok());
    /// assert_eq!(BirthDate::new(1899, 12, 31), Err(DateError::Year { year: 1899 }));
    /// assert_eq!(BirthDate::new(1900, 2, 29), Err(DateError::Day { year: 1900, month: 2, day: 29 }));
    /// ```
    pub fn new(year: u16, month: u8, day: u8) -> Result<BirthDate, DateError> {
        Self::new_as_of(year, month, day, SystemTime::now())
    }

    /// Like [`BirthDate::new`], with "today" being the date in Japan (JST) at `now`: for tests
    /// and for hosts with an injected clock.
    ///
    /// # Errors
    ///
    /// As [`BirthDate::new`].
    pub fn new_as_of(
        year: u16,
        month: u8,
        day: u8,
        now: SystemTime,
    ) -> Result<BirthDate, DateError> {
        let (this_year, this_month, this_day) = today_in_japan(now);
        if year < Self::MIN_YEAR || i64::from(year) > this_year {
            return Err(DateError::Year { year });
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month { month });
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        if i64::from(year) == this_year && (month, day) > (this_month, this_day) {
            return Err(DateError::Future);
        }
        Ok(BirthDate { year, month, day })
    }

    /// The year (1900 or later).
    #[must_use]
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    #[must_use]
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    #[must_use]
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Parses `YYYY-MM-DD` (exactly: four, two and two ASCII digits), checked against `now`.
    ///
    /// # Errors
    ///
    /// [`DateError::Format`] when the shape is wrong, then as [`BirthDate::new`].
    pub fn parse_as_of(s: &str, now: SystemTime) -> Result<BirthDate, DateError> {
        let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = s.as_bytes() else {
            return Err(DateError::Format);
        };
        let digit = |b: u8| {
            if b.is_ascii_digit() {
                Ok(b - b'0')
            } else {
                Err(DateError::Format)
            }
        };
        let year = [*y1, *y2, *y3, *y4].into_iter().try_fold(0u16, |acc, b| {
            Ok::<_, DateError>(acc * 10 + u16::from(digit(b)?))
        })?;
        let month = digit(*m1)? * 10 + digit(*m2)?;
        let day = digit(*d1)? * 10 + digit(*d2)?;
        Self::new_as_of(year, month, day, now)
    }

    /// Parses a Japanese-era date, checked against today's date in Japan.
    ///
    /// Accepted: an era as kanji (`明治` `大正` `昭和` `平成` `令和`), as one letter
    /// (`M` `T` `S` `H` `R`, either case) or as its one-character ligature (`㍾` `㍽` `㍼` `㍻`
    /// `㋿`); then the year in the era (`元` for 1); then month and day, written
    /// `年…月…日` or separated by `.`, `-` or `/`. Full-width digits and letters are accepted,
    /// and so are spaces around the parts.
    ///
    /// # Errors
    ///
    /// [`DateError::Format`], [`DateError::UnknownEra`], [`DateError::NotInEra`] when the date
    /// lies outside its era (e.g. `平成31年5月1日`, which is 令和元年5月1日), then as
    /// [`BirthDate::new`].
    ///
    /// ```
    /// use kenpo_auth::BirthDate;
    ///
    /// let d = BirthDate::new(1970, 3, 2).unwrap();
    /// assert_eq!(BirthDate::parse_japanese("昭和45年3月2日").unwrap(), d);
    /// assert_eq!(BirthDate::parse_japanese("S45.3.2").unwrap(), d);
    /// assert_eq!(BirthDate::parse_japanese("R6-9-28").unwrap(), BirthDate::new(2024, 9, 28).unwrap());
    /// assert_eq!(BirthDate::parse_japanese("平成元年1月8日").unwrap(), BirthDate::new(1989, 1, 8).unwrap());
    /// ```
    pub fn parse_japanese(s: &str) -> Result<BirthDate, DateError> {
        Self::parse_japanese_as_of(s, SystemTime::now())
    }

    /// Like [`BirthDate::parse_japanese`], with "today" being the date in Japan at `now`.
    ///
    /// # Errors
    ///
    /// As [`BirthDate::parse_japanese`].
    pub fn parse_japanese_as_of(s: &str, now: SystemTime) -> Result<BirthDate, DateError> {
        let (era, era_year, month, day) = era::parse(s)?;
        let year = era.gregorian_year(era_year)?;
        let date = Self::new_as_of(year, month, day, now);
        match date {
            Err(DateError::Month { .. } | DateError::Day { .. }) => date,
            _ if !era.contains((year, month, day)) => Err(DateError::NotInEra { era: era.name() }),
            _ => date,
        }
    }

    /// The era this date falls in, with the year in that era, e.g. `("昭和", 45)`.
    ///
    /// ```
    /// use kenpo_auth::BirthDate;
    ///
    /// assert_eq!(BirthDate::new(2019, 5, 1).unwrap().japanese_era(), ("令和", 1));
    /// ```
    #[must_use]
    pub fn japanese_era(&self) -> (&'static str, u16) {
        let era = Era::of((self.year, self.month, self.day));
        (era.name(), era.year_of(self.year))
    }

    /// The years a date of birth can fall in, for the year drop-down of an identity form:
    /// this year in Japan back to [`MIN_YEAR`](Self::MIN_YEAR), newest first, each with the
    /// era years it spans (`元` for an era's first), both where an era began in it.
    ///
    /// ```
    /// use kenpo_auth::BirthDate;
    ///
    /// let years = BirthDate::year_choices();
    /// assert_eq!(years.last(), Some(&(1900, "明治33".to_owned())));
    /// assert!(years.contains(&(1989, "昭和64／平成元".to_owned())));
    /// assert!(years.contains(&(1990, "平成2".to_owned())));
    /// ```
    #[must_use]
    pub fn year_choices() -> Vec<(u16, String)> {
        Self::year_choices_as_of(SystemTime::now())
    }

    /// Like [`BirthDate::year_choices`], with "this year" being the year in Japan at `now`.
    #[must_use]
    pub fn year_choices_as_of(now: SystemTime) -> Vec<(u16, String)> {
        let (this_year, _, _) = today_in_japan(now);
        let this_year = u16::try_from(this_year.max(0)).unwrap_or(u16::MAX);
        (Self::MIN_YEAR..=this_year)
            .rev()
            .map(|year| (year, era_years(year)))
            .collect()
    }
}

/// The era years Gregorian `year` spans: `昭和50`, or `昭和64／平成元` where an era began in it.
fn era_years(year: u16) -> String {
    let in_era = |era: Era| match era.year_of(year) {
        1 => format!("{}元", era.name()),
        n => format!("{}{n}", era.name()),
    };
    let (first, last) = (Era::of((year, 1, 1)), Era::of((year, 12, 31)));
    if first == last {
        in_era(last)
    } else {
        format!("{}／{}", in_era(first), in_era(last))
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for BirthDate {
    type Err = DateError;

    /// Parses exactly `YYYY-MM-DD`, checked against today's date in Japan.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_as_of(s, SystemTime::now())
    }
}

serde_as_text!(BirthDate);

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 2024-06-15T14:59:59Z = 2024-06-15 23:59:59 JST; one second later it is the 16th in Japan.
    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }
    const JUNE_15_2359_JST: u64 = 1_718_463_599;

    #[test]
    fn today_is_the_date_in_japan() {
        let now = at(JUNE_15_2359_JST);
        assert!(BirthDate::new_as_of(2024, 6, 15, now).is_ok());
        assert_eq!(
            BirthDate::new_as_of(2024, 6, 16, now),
            Err(DateError::Future)
        );
        let later = at(JUNE_15_2359_JST + 1);
        assert!(BirthDate::new_as_of(2024, 6, 16, later).is_ok());
        assert_eq!(
            BirthDate::new_as_of(2025, 1, 1, later),
            Err(DateError::Year { year: 2025 })
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(today_in_japan(at(0)), (1970, 1, 1));
        assert_eq!(today_in_japan(at(15 * 3600)), (1970, 1, 2));
        assert_eq!(
            today_in_japan(UNIX_EPOCH - Duration::from_secs(86_400 * 365)),
            (1969, 1, 1)
        );
    }

    #[test]
    fn calendar_rules() {
        let now = at(JUNE_15_2359_JST);
        assert!(BirthDate::new_as_of(1900, 1, 1, now).is_ok());
        assert_eq!(
            BirthDate::new_as_of(1899, 12, 31, now),
            Err(DateError::Year { year: 1899 })
        );
        assert!(BirthDate::new_as_of(2000, 2, 29, now).is_ok());
        assert!(BirthDate::new_as_of(2004, 2, 29, now).is_ok());
        assert!(BirthDate::new_as_of(1900, 2, 29, now).is_err());
        assert!(BirthDate::new_as_of(2023, 2, 29, now).is_err());
        assert!(BirthDate::new_as_of(2023, 4, 31, now).is_err());
        assert!(BirthDate::new_as_of(2023, 1, 31, now).is_ok());
        assert_eq!(
            BirthDate::new_as_of(2023, 0, 1, now),
            Err(DateError::Month { month: 0 })
        );
        assert_eq!(
            BirthDate::new_as_of(2023, 13, 1, now),
            Err(DateError::Month { month: 13 })
        );
        assert_eq!(
            BirthDate::new_as_of(2023, 1, 0, now),
            Err(DateError::Day {
                year: 2023,
                month: 1,
                day: 0
            })
        );
    }

    #[test]
    fn iso_shape_is_exact() {
        let now = at(JUNE_15_2359_JST);
        let ok = BirthDate::parse_as_of("1970-03-02", now).unwrap();
        assert_eq!((ok.year(), ok.month(), ok.day()), (1970, 3, 2));
        for bad in [
            "1970-3-2",
            "1970/03/02",
            "19700302",
            " 1970-03-02",
            "1970-03-02 ",
            "197a-03-02",
            "+970-03-02",
            "１９７０-03-02",
            "",
        ] {
            assert_eq!(
                BirthDate::parse_as_of(bad, now),
                Err(DateError::Format),
                "{bad:?}"
            );
        }
        assert_eq!(
            BirthDate::parse_as_of("1970-00-02", now),
            Err(DateError::Month { month: 0 })
        );
        assert_eq!(
            BirthDate::parse_as_of("0000-01-01", now),
            Err(DateError::Year { year: 0 })
        );
        assert_eq!(
            BirthDate::parse_as_of("9999-99-99", now),
            Err(DateError::Year { year: 9999 })
        );
    }

    #[test]
    fn display_round_trips() {
        let d = BirthDate::new(1905, 1, 9).unwrap();
        assert_eq!(d.to_string(), "1905-01-09");
        assert_eq!(d.to_string().parse::<BirthDate>(), Ok(d));
    }

    #[test]
    fn order_is_chronological() {
        let a = BirthDate::new(1999, 12, 31).unwrap();
        let b = BirthDate::new(2000, 1, 1).unwrap();
        assert!(a < b);
    }

    /// `BirthDate::parse_japanese` and `japanese_era`, through the era parser.
    mod japanese {
        use super::super::*;
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

        #[test]
        fn year_choices_span_the_accepted_years_with_their_eras() {
            let years = BirthDate::year_choices_as_of(now());
            assert_eq!(years.len(), 2024 - 1900 + 1);
            assert_eq!(years.first(), Some(&(2024, "令和6".to_owned())));
            assert_eq!(years.last(), Some(&(1900, "明治33".to_owned())));
            for (year, label) in [
                (2019, "平成31／令和元"),
                (2020, "令和2"),
                (1989, "昭和64／平成元"),
                (1988, "昭和63"),
                (1926, "大正15／昭和元"),
                (1927, "昭和2"),
                (1912, "明治45／大正元"),
                (1913, "大正2"),
            ] {
                assert!(years.contains(&(year, label.to_owned())), "{year}");
            }
            // Every year offered is one a date of birth may have, and none later is.
            for (year, _) in &years {
                assert!(BirthDate::new_as_of(*year, 1, 1, now()).is_ok(), "{year}");
            }
            assert!(BirthDate::new_as_of(2025, 1, 1, now()).is_err());
        }

        #[test]
        fn this_year_is_the_year_in_japan() {
            // 2024-12-31 15:00 UTC is 2025-01-01 00:00 in Japan.
            let new_year_in_japan = UNIX_EPOCH + Duration::from_secs(1_735_657_200);
            let first = BirthDate::year_choices_as_of(new_year_in_japan)
                .first()
                .cloned();
            assert_eq!(first, Some((2025, "令和7".to_owned())));
            let before = new_year_in_japan - Duration::from_secs(1);
            let first = BirthDate::year_choices_as_of(before).first().cloned();
            assert_eq!(first.map(|(year, _)| year), Some(2024));
            let in_1899 = UNIX_EPOCH - Duration::from_secs(71 * 365 * 86_400);
            assert!(BirthDate::year_choices_as_of(in_1899).is_empty());
        }
    }
}
