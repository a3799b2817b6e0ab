//! The union's roster files (feature `roster-csv`): CSV in UTF-8 or Shift_JIS (CP932, which
//! insurers' core systems still export), read row by row into [`RosterEntry`]s for
//! [`Store::import_roster`](crate::Store::import_roster).
//!
//! - **Columns** are found by their header names ([`HeaderNames`], defaults such as 保険者番号 /
//!   記号 / 番号 / 生年月日 / 氏名カナ / 資格喪失日, configurable). The insurer column and the
//!   資格喪失日 column are optional: without the first, every row is the importing insurer's;
//!   without the second, the file says nothing of when coverage ends, and the ends on record
//!   stay ([`RosterEntry::keeps_coverage_end`]): an end the union set by hand is not undone by
//!   the next monthly file.
//! - **Cells**: birth dates as `YYYY-MM-DD`, `YYYY/M/D`, `YYYYMMDD` or a Japanese era
//!   (`昭和50年3月2日`, `S50.3.2`); names in any kana the folding accepts (full-width,
//!   half-width, hiragana, with or without spaces); the end of coverage in the same spellings
//!   as a birth date.
//! - **Bad rows** are reported with their line number and a reason in Japanese
//!   ([`MessageJa`]) and English ([`Display`](fmt::Display)); by default each one reaches the
//!   store as a refused entry, so nothing is imported ([`RosterTally::may_apply`](crate::store::RosterTally::may_apply)).
//!   [`RosterCsv::skip_bad_rows`] imports the good rows instead — and removes from the roster
//!   everyone whose row was bad, which is why it is not the default. A file that cannot be read
//!   to its end (a CSV syntax or I/O error) is never imported.
//! - **Streamed**: one row is held at a time, so memory does not grow with the file (the
//!   store decides what it keeps; see the README's measurement).
//!
//! ```
//! # pollster::block_on(async {
//! use kenpo_auth::RosterCsv;
//! use kenpo_auth::store::ImportMode;
//! use kenpo_auth::{InsuredKey, MemoryStore, Store};
//!
//! let file = "記号,番号,生年月日,氏名カナ\n12,345,昭和55年4月1日,ｹﾝﾎﾟ ﾊﾅｺ\n12,346,19800401,けんぽ たろう\n";
//! let store = MemoryStore::new();
//! let mut rows = RosterCsv::new("06139999").unwrap().read(file.as_bytes()).unwrap();
//! let report = store.import_roster("06139999", &mut rows, ImportMode::Apply).await.unwrap();
//! assert!(report.applied && rows.problems().is_empty());
//! assert_eq!(report.added, 2);
//! assert!(store.find_insured(&InsuredKey::new("06139999", "12", "345").unwrap()).await.unwrap().is_some());
//! # });
//! ```

#![allow(clippy::doc_markdown)] // Shift_JIS and encoding_rs are names, not code.

use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use unicode_normalization::UnicodeNormalization;

use super::RosterEntry;
use crate::identity::{
    BirthDate, CoverageEnd, DateError, Field, FieldError, FieldErrorKind, FormErrors, InsuredKey,
    InsuredRecord,
};
use crate::ja::MessageJa;
use crate::kana::KanaName;

/// The text encoding of a roster file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsvEncoding {
    /// UTF-8 after a byte-order mark, or when the first non-ASCII character of the file's
    /// first 4 KiB (or, if those are all ASCII, of its first non-ASCII cell) is a UTF-8
    /// sequence of three or four bytes, as every kana and kanji is; Shift_JIS otherwise. The
    /// choice then holds for the whole file. A short Shift_JIS cell may happen to be UTF-8 of
    /// two bytes (ﾅｶ is UTF-8 for Ŷ), which is why one valid cell does not decide.
    #[default]
    Detect,
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// Shift_JIS as Windows writes it (CP932, with NEC and IBM extensions), as encoding_rs
    /// decodes `Shift_JIS` per the WHATWG Encoding Standard.
    ShiftJis,
}

/// The header names that identify each column, compared after NFKC and trimming (so that
/// `氏名（カナ）` and `氏名(カナ)` are one name).
///
/// ```
/// use kenpo_auth::HeaderNames;
///
/// let mut names = HeaderNames::default();
/// names.name_kana.push("カナシメイ".to_owned());
/// assert!(names.insurer_code.contains(&"保険者番号".to_owned()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderNames {
    /// 保険者番号 / 保険者指定コード (optional column).
    pub insurer_code: Vec<String>,
    /// 記号.
    pub symbol: Vec<String>,
    /// 番号.
    pub number: Vec<String>,
    /// 生年月日.
    pub birth_date: Vec<String>,
    /// 氏名カナ.
    pub name_kana: Vec<String>,
    /// 資格喪失日 (optional column).
    pub coverage_end: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

impl Default for HeaderNames {
    fn default() -> Self {
        HeaderNames {
            insurer_code: names(&[
                "保険者番号",
                "保険者指定コード",
                "保険者コード",
                "insurer_code",
            ]),
            symbol: names(&["記号", "被保険者証記号", "symbol"]),
            number: names(&["番号", "被保険者証番号", "number"]),
            birth_date: names(&["生年月日", "birth_date"]),
            name_kana: names(&[
                "氏名カナ",
                "氏名(カナ)",
                "カナ氏名",
                "フリガナ",
                "name_kana",
            ]),
            coverage_end: names(&["資格喪失日", "喪失日", "coverage_end"]),
        }
    }
}

/// How to read one insurer's roster files.
///
/// ```
/// use kenpo_auth::{CsvEncoding, RosterCsv};
///
/// let csv = RosterCsv::new("06139999").unwrap().encoding(CsvEncoding::ShiftJis);
/// assert_eq!(csv.insurer_code(), "06139999");
/// assert!(RosterCsv::new("ケンポ").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct RosterCsv {
    insurer_code: String,
    encoding: CsvEncoding,
    headers: HeaderNames,
    delimiter: u8,
    skip_bad_rows: bool,
    as_of: Option<SystemTime>,
}

impl RosterCsv {
    /// Reads rosters of `insurer_code` (保険者番号, eight digits, full-width accepted).
    ///
    /// # Errors
    /// The [`FieldError`] of an insurer code that is not one.
    pub fn new(insurer_code: &str) -> Result<RosterCsv, FieldError> {
        Ok(RosterCsv {
            insurer_code: InsuredKey::insurer_code_of(insurer_code)?,
            encoding: CsvEncoding::Detect,
            headers: HeaderNames::default(),
            delimiter: b',',
            skip_bad_rows: false,
            as_of: None,
        })
    }

    /// The insurer whose rosters these are, normalised.
    #[must_use]
    pub fn insurer_code(&self) -> &str {
        &self.insurer_code
    }

    /// The file's encoding (default: [`CsvEncoding::Detect`]).
    #[must_use]
    pub fn encoding(mut self, encoding: CsvEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The header names of the columns (default: [`HeaderNames::default`]).
    #[must_use]
    pub fn headers(mut self, headers: HeaderNames) -> Self {
        self.headers = headers;
        self
    }

    /// The cell separator (default `,`; `b'\t'` for tab-separated files).
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Whether bad rows are left out (and reported) instead of stopping the import. Everyone
    /// whose row was bad is then removed from the roster, like anyone the file does not name.
    #[must_use]
    pub fn skip_bad_rows(mut self, skip: bool) -> Self {
        self.skip_bad_rows = skip;
        self
    }

    /// Checks birth dates against this moment instead of the clock (tests, reruns).
    #[must_use]
    pub fn as_of(mut self, now: SystemTime) -> Self {
        self.as_of = Some(now);
        self
    }

    /// Starts reading `input`: reads the header row and finds the columns.
    ///
    /// # Errors
    /// [`RosterFileError`] when the header row cannot be read or lacks a required column.
    pub fn read<R: Read>(&self, mut input: R) -> Result<RosterRows<R>, RosterFileError> {
        let mut start = Vec::new();
        let mut error = None;
        let mut encoding = match self.encoding {
            CsvEncoding::Detect => {
                // An error here is the reader's to meet where it stands in the file.
                let mut window = (&mut input).take(DETECTION_WINDOW);
                error = window.read_to_end(&mut start).err();
                detect(&start)
            }
            CsvEncoding::Utf8 => Some(UTF_8),
            CsvEncoding::ShiftJis => Some(SHIFT_JIS),
        };
        let rest = Rest { error, input };
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(std::io::Cursor::new(start).chain(rest));
        let header = reader
            .byte_headers()
            .map_err(|error| RosterFileError::Unreadable {
                detail: error.to_string(),
            })?
            .clone();
        let mut header_names = Vec::with_capacity(header.len());
        for cell in &header {
            let text = decode(&mut encoding, cell).ok_or(RosterFileError::Undecodable)?;
            header_names.push(normalise_header(&text));
        }
        // The one column named by `aliases`, if any; two are an error, not a guess.
        let find = |aliases: &[String], column: Field| {
            let named = |(_, name): &(usize, &String)| {
                aliases
                    .iter()
                    .any(|alias| normalise_header(alias) == **name)
            };
            let mut matching = header_names.iter().enumerate().filter(named);
            let first = matching.next().map(|(at, _)| at);
            match matching.next() {
                Some(_) => Err(RosterFileError::AmbiguousColumn { column }),
                None => Ok(first),
            }
        };
        let required = |aliases: &[String], column: Field| {
            find(aliases, column)?.ok_or(RosterFileError::MissingColumn { column })
        };
        let columns = Columns {
            insurer_code: find(&self.headers.insurer_code, Field::InsurerCode)?,
            symbol: required(&self.headers.symbol, Field::Symbol)?,
            number: required(&self.headers.number, Field::Number)?,
            birth_date: required(&self.headers.birth_date, Field::BirthDate)?,
            name_kana: required(&self.headers.name_kana, Field::NameKana)?,
            coverage_end: find(&self.headers.coverage_end, Field::CoverageEnd)?,
        };
        Ok(RosterRows {
            reader,
            record: ::csv::ByteRecord::new(),
            encoding,
            columns,
            insurer_code: self.insurer_code.clone(),
            skip_bad_rows: self.skip_bad_rows,
            as_of: self.as_of,
            rows: 0,
            problem_count: 0,
            problems: Vec::new(),
            finished: false,
        })
    }
}

/// A header cell as compared: NFKC, without a byte-order mark or surrounding spaces.
fn normalise_header(raw: &str) -> String {
    raw.trim_start_matches('\u{FEFF}')
        .nfkc()
        .collect::<String>()
        .trim()
        .to_owned()
}

/// How much of a file's start tells its encoding: dozens of rows, and still only part of the
/// CSV reader's buffer, so rows are read one at a time all the same.
const DETECTION_WINDOW: u64 = 4 * 1024;

/// The encoding a file's first bytes show: UTF-8 after a byte-order mark, or when the first
/// non-ASCII character is a UTF-8 sequence of three or four bytes, as every kana and kanji
/// is; otherwise `Shift_JIS`, whose kana and kanji start with a byte UTF-8 never starts with,
/// or make at most two-byte look-alikes (ﾅｶ is `C5 B6`, UTF-8 for Ŷ: one cell would have
/// said UTF-8). Undecided while the start is all ASCII (or cut off mid-character), when the
/// first non-ASCII cell decides.
fn detect(start: &[u8]) -> Option<&'static Encoding> {
    if start.starts_with(b"\xEF\xBB\xBF") {
        return Some(UTF_8);
    }
    let first = start.iter().position(|byte| !byte.is_ascii())?;
    let rest = start.get(first..)?;
    let width = match rest.first()? {
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return Some(SHIFT_JIS),
    };
    match std::str::from_utf8(rest.get(..width)?) {
        Ok(_) => Some(UTF_8),
        Err(_) => Some(SHIFT_JIS),
    }
}

/// The file after the start that told its encoding: first the error that cut the start
/// short, if one did, then the rest.
struct Rest<R> {
    error: Option<std::io::Error>,
    input: R,
}

impl<R: Read> Read for Rest<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.error.take() {
            Some(error) => Err(error),
            None => self.input.read(buf),
        }
    }
}

/// Decodes one cell; settles an encoding still undecided on the first non-ASCII cell.
fn decode<'a>(
    encoding: &mut Option<&'static Encoding>,
    bytes: &'a [u8],
) -> Option<std::borrow::Cow<'a, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let chosen = match *encoding {
        Some(chosen) => chosen,
        None if bytes.is_ascii() => UTF_8,
        None => {
            let detected = detect(bytes).unwrap_or(SHIFT_JIS);
            *encoding = Some(detected);
            detected
        }
    };
    chosen.decode_without_bom_handling_and_without_replacement(bytes)
}

/// Where each field is, by cell index.
#[derive(Clone, Copy, Debug)]
struct Columns {
    insurer_code: Option<usize>,
    symbol: usize,
    number: usize,
    birth_date: usize,
    name_kana: usize,
    coverage_end: Option<usize>,
}

/// A whole file that cannot be read as a roster.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RosterFileError {
    /// The header row lacks a column the roster needs.
    #[error("the header row has no column for the {column}")]
    MissingColumn {
        /// The missing column.
        column: Field,
    },
    /// The header row is not text in the file's encoding.
    #[error("the header row is neither UTF-8 nor Shift_JIS text")]
    Undecodable,
    /// The header row could not be read.
    #[error("the header row could not be read: {detail}")]
    Unreadable {
        /// What the CSV reader said.
        detail: String,
    },
    /// More than one column of the header row names the same field (a row number headed 番号
    /// beside 被保険者証番号, say): which one holds it is not for the reader to guess.
    #[error("more than one column of the header row is the {column}")]
    AmbiguousColumn {
        /// The field named twice.
        column: Field,
    },
}

impl MessageJa for RosterFileError {
    fn message_ja(&self) -> String {
        match self {
            RosterFileError::MissingColumn { column } => {
                format!("見出し行に「{}」の列がありません。", column.label_ja())
            }
            RosterFileError::Undecodable => {
                "見出し行を読めません。文字コードはUTF-8かShift_JISにしてください。".to_owned()
            }
            RosterFileError::Unreadable { .. } => {
                "見出し行を読めません。CSV形式のファイルか確認してください。".to_owned()
            }
            RosterFileError::AmbiguousColumn { column } => format!(
                "見出し行に「{}」の列が2つ以上あります。どちらか一方の見出しを変えてください。",
                column.label_ja()
            ),
        }
    }
}

/// Why a row was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowReason {
    /// Cells that do not validate, every one of them.
    Fields(FormErrors),
    /// Bytes that are not text in the file's encoding.
    Undecodable,
    /// A person of another insurer.
    OtherInsurer {
        /// The insurer code in the row.
        found: String,
    },
    /// The file could not be read past this point (CSV syntax or I/O): nothing is imported.
    Unreadable {
        /// What the CSV reader said.
        detail: String,
    },
}

impl fmt::Display for RowReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowReason::Fields(errors) => {
                for (i, error) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
            RowReason::Undecodable => f.write_str("the row is not text in the file's encoding"),
            RowReason::OtherInsurer { found } => {
                write!(f, "the row is of another insurer ({found})")
            }
            RowReason::Unreadable { detail } => {
                write!(f, "the file cannot be read from here on: {detail}")
            }
        }
    }
}

impl MessageJa for RowReason {
    fn message_ja(&self) -> String {
        match self {
            RowReason::Fields(errors) => errors.message_ja(),
            RowReason::Undecodable => {
                "文字コードが正しくありません（UTF-8かShift_JISにしてください）。".to_owned()
            }
            RowReason::OtherInsurer { found } => {
                format!("他の保険者（{found}）の行です。")
            }
            RowReason::Unreadable { .. } => {
                "ここから先を読めません（CSVの形式が崩れています）。取り込みは行いません。"
                    .to_owned()
            }
        }
    }
}

/// A bad row: its line in the file and why.
///
/// ```
/// use kenpo_auth::{MessageJa, RosterCsv};
///
/// let file = "記号,番号,生年月日,氏名カナ\n12,345,1980-02-30,ケンポ ハナコ\n";
/// let mut rows = RosterCsv::new("06139999").unwrap().read(file.as_bytes()).unwrap();
/// assert_eq!(rows.next().map(|entry| entry.record), Some(None));
/// let problem = &rows.problems()[0];
/// assert_eq!(problem.line, 2);
/// assert!(problem.message_ja().starts_with("2行目: "));
/// assert!(problem.to_string().starts_with("line 2: date of birth"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// Why it was not imported.
    pub reason: RowReason,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl MessageJa for RowProblem {
    fn message_ja(&self) -> String {
        format!("{}行目: {}", self.line, self.reason.message_ja())
    }
}

/// The rows of one roster file, as [`RosterEntry`]s, one at a time; keeps the problems.
///
/// Hand `&mut rows` to [`Store::import_roster`](crate::Store::import_roster) (or
/// [`Portal::import_roster`](crate::Portal::import_roster)), then read
/// [`problems`](RosterRows::problems).
pub struct RosterRows<R> {
    /// The file, its start (read to tell the encoding) put back in front.
    reader: ::csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, Rest<R>>>,
    record: ::csv::ByteRecord,
    encoding: Option<&'static Encoding>,
    columns: Columns,
    insurer_code: String,
    skip_bad_rows: bool,
    as_of: Option<SystemTime>,
    rows: u64,
    problem_count: u64,
    problems: Vec<RowProblem>,
    finished: bool,
}

impl<R> fmt::Debug for RosterRows<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RosterRows")
            .field("insurer_code", &self.insurer_code)
            .field("rows", &self.rows)
            .field("problem_count", &self.problem_count)
            .finish_non_exhaustive()
    }
}

impl<R> RosterRows<R> {
    /// How many problems [`problems`](RosterRows::problems) keeps; the count stays exact.
    pub const PROBLEM_LIMIT: usize = super::RosterChanges::LIST_LIMIT;

    /// The first bad rows, in file order.
    #[must_use]
    pub fn problems(&self) -> &[RowProblem] {
        &self.problems
    }

    /// How many rows were bad.
    #[must_use]
    pub fn problem_count(&self) -> u64 {
        self.problem_count
    }

    /// How many data rows were read (good and bad).
    #[must_use]
    pub fn rows_read(&self) -> u64 {
        self.rows
    }

    /// The encoding the file was read in, once one was needed (`None`: all ASCII so far).
    #[must_use]
    pub fn encoding(&self) -> Option<&'static str> {
        self.encoding.map(Encoding::name)
    }

    fn problem(&mut self, line: u64, reason: RowReason) {
        self.problem_count = self.problem_count.saturating_add(1);
        if self.problems.len() < Self::PROBLEM_LIMIT {
            self.problems.push(RowProblem { line, reason });
        }
    }

    /// The current record as a person of this insurer, or why not.
    fn parse_row(&mut self) -> Result<InsuredRecord, RowReason> {
        let columns = self.columns;
        let mut cell = |index: usize| -> Result<String, RowReason> {
            let bytes = self.record.get(index).unwrap_or_default();
            let text = decode(&mut self.encoding, bytes).ok_or(RowReason::Undecodable)?;
            Ok(text.trim_matches(is_blank).to_owned())
        };
        let insurer = columns.insurer_code.map(&mut cell).transpose()?;
        let symbol = cell(columns.symbol)?;
        let number = cell(columns.number)?;
        let birth = cell(columns.birth_date)?;
        let name = cell(columns.name_kana)?;
        let end = columns.coverage_end.map(&mut cell).transpose()?;

        let mut errors: Vec<FieldError> = Vec::new();
        if let Some(found) = insurer.filter(|found| !found.is_empty()) {
            match InsuredKey::insurer_code_of(&found) {
                Ok(code) if code == self.insurer_code => {}
                Ok(_) => return Err(RowReason::OtherInsurer { found }),
                Err(error) => errors.push(error),
            }
        }
        let now = self.as_of.unwrap_or_else(SystemTime::now);
        let birth_date = parse_birth_date(&birth, now)
            .map_err(|kind| errors.push(FieldError::new(Field::BirthDate, kind)))
            .ok();
        let coverage_end = match end.filter(|end| !end.is_empty()) {
            None => None,
            Some(end) => parse_coverage_end(&end)
                .map_err(|error| {
                    errors.push(FieldError::new(
                        Field::CoverageEnd,
                        FieldErrorKind::Date(error),
                    ));
                })
                .ok(),
        };
        // The key and the name are checked even when a date is bad, so that the report lists
        // every bad cell of the row at once.
        let key = InsuredKey::new(&self.insurer_code, &symbol, &number)
            .map_err(|more| errors.extend(more.iter().cloned()))
            .ok();
        let name_ok = KanaName::parse(&name)
            .map_err(|error| {
                errors.push(FieldError::new(
                    Field::NameKana,
                    FieldErrorKind::Name(error),
                ));
            })
            .is_ok();
        match (key, birth_date) {
            (Some(_), Some(birth_date)) if name_ok && errors.is_empty() => {
                InsuredRecord::new(&self.insurer_code, &symbol, &number, birth_date, &name)
                    .map(|record| record.with_coverage_end(coverage_end))
                    .map_err(RowReason::Fields)
            }
            _ => Err(RowReason::Fields(form_errors(errors))),
        }
    }
}

/// White space around a cell, ideographic space included.
fn is_blank(ch: char) -> bool {
    ch.is_whitespace()
}

fn form_errors(errors: Vec<FieldError>) -> FormErrors {
    let mut errors = errors.into_iter();
    let Some(first) = errors.next() else {
        // Only called with at least one error; an empty list still reports something.
        return FormErrors::new(FieldError::new(Field::NameKana, FieldErrorKind::Empty));
    };
    errors.fold(FormErrors::new(first), |all, more| all.and(Some(more)))
}

/// `YYYY-MM-DD`, `YYYY/M/D`, `YYYYMMDD` (ASCII or full-width digits) or a Japanese era.
fn parse_birth_date(raw: &str, now: SystemTime) -> Result<BirthDate, FieldErrorKind> {
    if raw.is_empty() {
        return Err(FieldErrorKind::Empty);
    }
    match gregorian(raw) {
        Some(iso) => BirthDate::parse_as_of(&iso, now),
        None => BirthDate::parse_japanese_as_of(raw, now),
    }
    .map_err(FieldErrorKind::Date)
}

/// The end of coverage in any spelling a birth date may have: a union's file writes both
/// dates the same way. A date still to come is one.
fn parse_coverage_end(raw: &str) -> Result<CoverageEnd, DateError> {
    if let Some(iso) = gregorian(raw) {
        return iso.parse();
    }
    // The era grammar is the birth date's; "today" is set at the last day a CoverageEnd can
    // be, so that only the era and the calendar decide.
    let last_day = SystemTime::UNIX_EPOCH + Duration::from_secs(LAST_DAY_UNIX);
    let date = BirthDate::parse_japanese_as_of(raw, last_day)?;
    CoverageEnd::new(date.year(), date.month(), date.day())
}

/// 9999-12-31T00:00:00Z, within [`CoverageEnd::MAX_YEAR`].
const LAST_DAY_UNIX: u64 = 253_402_214_400;

/// `raw` as `YYYY-MM-DD` if it is written `YYYY-M-D`, `YYYY/M/D` or `YYYYMMDD` (ASCII or
/// full-width digits); `None` otherwise, such as for a Japanese-era date.
fn gregorian(raw: &str) -> Option<String> {
    let folded: String = raw.nfkc().collect();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = folded.split(['-', '/']).collect();
    match parts.as_slice() {
        [year, month, day]
            if year.len() == 4
                && month.len() <= 2
                && day.len() <= 2
                && [year, month, day].iter().all(|part| digits(part)) =>
        {
            Some(format!("{year}-{month:0>2}-{day:0>2}"))
        }
        [all] if all.len() == 8 && digits(all) => {
            let (year, rest) = all.split_at(4);
            let (month, day) = rest.split_at(2);
            Some(format!("{year}-{month}-{day}"))
        }
        _ => None,
    }
}

impl<R: Read> Iterator for RosterRows<R> {
    type Item = RosterEntry;

    fn next(&mut self) -> Option<RosterEntry> {
        while !self.finished {
            let line = match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.finished = true;
                    return None;
                }
                Ok(true) => self.record.position().map_or(0, ::csv::Position::line),
                Err(error) => {
                    // Never skipped: a file read only in part must not replace the roster.
                    self.finished = true;
                    let line = error
                        .position()
                        .map_or(self.rows.saturating_add(2), ::csv::Position::line);
                    self.problem(
                        line,
                        RowReason::Unreadable {
                            detail: error.to_string(),
                        },
                    );
                    return Some(RosterEntry::new(line, None));
                }
            };
            self.rows = self.rows.saturating_add(1);
            match self.parse_row() {
                // A file without a 資格喪失日 column says nothing of when coverage ends: the
                // ends on record (set by hand, or by an earlier file) stay.
                Ok(record) if self.columns.coverage_end.is_none() => {
                    return Some(RosterEntry::keeping_coverage_end(line, Some(record)));
                }
                Ok(record) => return Some(RosterEntry::new(line, Some(record))),
                Err(reason) => {
                    self.problem(line, reason);
                    if !self.skip_bad_rows {
                        return Some(RosterEntry::new(line, None));
                    }
                }
            }
        }
        None
    }
}
