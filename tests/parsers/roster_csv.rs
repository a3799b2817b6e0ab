//! Roster files (feature `roster-csv`): UTF-8 and `Shift_JIS` read alike, every bad row reported
//! with its line and a reason in both languages, nothing imported from a bad file unless asked,
//! and one row held at a time.

use std::fmt::Write as _;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use encoding_rs::SHIFT_JIS;
use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{
    BirthDate, CoverageEnd, CsvEncoding, Field, HeaderNames, InsuredKey, InsuredRecord,
    MemoryStore, MessageJa, RosterCsv, RosterFileError, RowReason, Store,
};
use proptest::prelude::*;

use pollster::block_on;

const INSURER: &str = "06139999";

/// 2026-12-01 in Japan: birth dates are checked against it.
fn today() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000)
}

fn csv() -> RosterCsv {
    RosterCsv::new(INSURER).unwrap().as_of(today())
}

fn record(symbol: &str, number: &str, (y, m, d): (u16, u8, u8), name: &str) -> InsuredRecord {
    InsuredRecord::new(
        INSURER,
        symbol,
        number,
        BirthDate::new(y, m, d).unwrap(),
        name,
    )
    .unwrap()
}

fn entries(csv: &RosterCsv, file: &[u8]) -> Vec<RosterEntry> {
    csv.read(file).unwrap().collect()
}

fn sjis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
    assert!(!unmappable, "the fixture must be encodable in Shift_JIS");
    bytes.into_owned()
}

const GOOD: &str = "\
保険者番号,記号,番号,生年月日,氏名カナ,資格喪失日
06139999,12,345,1980-04-01,ケンポ ハナコ,
０６１３９９９９,12,346,1980/4/2,ｹﾝﾎﾟ ﾀﾛｳ,
06139999,12,347,19800403,けんぽ じろう,2027-03-31
06139999,12,348,昭和55年4月4日,ケンポ　サブロウ,20270331
06139999,12,349,S55.4.5,ケンポシロウ,
";

fn good_records() -> Vec<InsuredRecord> {
    let end = CoverageEnd::new(2027, 3, 31).unwrap();
    vec![
        record("12", "345", (1980, 4, 1), "ケンポ ハナコ"),
        record("12", "346", (1980, 4, 2), "ｹﾝﾎﾟ ﾀﾛｳ"),
        record("12", "347", (1980, 4, 3), "けんぽ じろう").with_coverage_end(Some(end)),
        record("12", "348", (1980, 4, 4), "ケンポ　サブロウ").with_coverage_end(Some(end)),
        record("12", "349", (1980, 4, 5), "ケンポシロウ"),
    ]
}

#[test]
fn every_date_form_and_kana_form_is_read() {
    let read = entries(&csv(), GOOD.as_bytes());
    let records: Vec<InsuredRecord> = read.iter().map(|e| e.record.clone().unwrap()).collect();
    assert_eq!(records, good_records());
    let lines: Vec<u64> = read.iter().map(|e| e.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
}

#[test]
fn shift_jis_and_utf8_with_a_byte_order_mark_read_alike() {
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), GOOD.as_bytes()].concat();
    let cp932 = sjis(GOOD);
    let mut rows = csv().read(cp932.as_slice()).unwrap();
    let from_sjis: Vec<RosterEntry> = rows.by_ref().collect();
    assert_eq!(rows.encoding(), Some("Shift_JIS"));
    assert_eq!(from_sjis, entries(&csv(), &with_bom));
    assert_eq!(from_sjis, entries(&csv(), GOOD.as_bytes()));
    // Told the encoding, an ASCII header does not matter.
    let ascii_header = GOOD.replacen(
        "保険者番号,記号,番号,生年月日,氏名カナ,資格喪失日",
        "insurer_code,symbol,number,birth_date,name_kana,coverage_end",
        1,
    );
    let told = csv().encoding(CsvEncoding::ShiftJis);
    assert_eq!(entries(&told, &sjis(&ascii_header)), from_sjis);
}

#[test]
fn every_bad_row_is_reported_with_its_line_in_japanese_and_english() {
    let file = "\
記号,番号,生年月日,氏名カナ,保険者番号
12,345,1980-04-01,ケンポ ハナコ,06139999
12,346,1980-02-30,ケンポ タロウ,06139999
\"1
2\",347,1980-04-01,ケンポ タロウ,06139999
12,348,2099-01-01,Kenpo Taro,06139999
12,349,1980-04-01,ケンポ タロウ,06130001
12,,1980-04-01,ケンポ タロウ
12,350,平成31年5月1日,ケンポ タロウ,
";
    let mut rows = csv().read(file.as_bytes()).unwrap();
    let read: Vec<RosterEntry> = rows.by_ref().collect();
    let good: Vec<u64> = read
        .iter()
        .filter(|e| e.record.is_some())
        .map(|e| e.line)
        .collect();
    assert_eq!(good, [2]);
    let bad: Vec<(u64, String, String)> = rows
        .problems()
        .iter()
        .map(|p| (p.line, p.message_ja(), p.to_string()))
        .collect();
    let lines: Vec<u64> = bad.iter().map(|(line, ..)| *line).collect();
    // The quoted cell spans lines 4 and 5: the row is reported at its first line.
    assert_eq!(lines, [3, 4, 6, 7, 8, 9]);
    assert_eq!(rows.problem_count(), 6);
    assert_eq!(rows.rows_read(), 7);
    let expect = [
        ("3行目: ", "line 3: date of birth"),
        ("4行目: 記号", "line 4: symbol"),
        ("6行目: ", "line 6: "),
        (
            "7行目: 他の保険者（06130001）の行です。",
            "line 7: the row is of another insurer",
        ),
        (
            "8行目: 番号を入力してください。",
            "line 8: number: is empty",
        ),
        ("9行目: ", "line 9: date of birth"),
    ];
    for ((_, ja, en), (ja_start, en_start)) in bad.iter().zip(expect) {
        assert!(ja.starts_with(ja_start), "{ja}");
        assert!(en.starts_with(en_start), "{en}");
    }
    // Line 6 has two bad cells, and both are named.
    let (_, ja6, en6) = &bad[2];
    assert!(ja6.contains("生年月日") && ja6.contains("氏名"), "{ja6}");
    assert!(
        en6.contains("date of birth") && en6.contains("kana name"),
        "{en6}"
    );
    assert!(matches!(
        &rows.problems()[3].reason,
        RowReason::OtherInsurer { found } if found == "06130001"
    ));
}

#[test]
fn a_file_with_a_bad_row_imports_nothing_unless_bad_rows_are_skipped() {
    let store = MemoryStore::new();
    store.add_insured(record("12", "1", (1970, 1, 1), "ケンポ モトカラ"));
    let file = "記号,番号,生年月日,氏名カナ\n12,345,1980-04-01,ケンポ ハナコ\n12,346,1980-13-01,ケンポ タロウ\n";

    let mut rows = csv().read(file.as_bytes()).unwrap();
    let report = block_on(store.import_roster(INSURER, &mut rows, ImportMode::Apply)).unwrap();
    assert!(!report.applied);
    assert_eq!((report.refused, report.added, report.removed), (1, 1, 1));
    assert_eq!(rows.problem_count(), 1);
    assert_eq!(
        block_on(store.count_roster(INSURER)).unwrap(),
        1,
        "nothing changed"
    );

    let mut rows = csv().skip_bad_rows(true).read(file.as_bytes()).unwrap();
    let report = block_on(store.import_roster(INSURER, &mut rows, ImportMode::Apply)).unwrap();
    assert!(report.applied);
    assert_eq!((report.refused, report.added, report.removed), (0, 1, 1));
    assert_eq!(
        rows.problems()[0].line,
        3,
        "a skipped row is still reported"
    );
    let hanako = InsuredKey::new(INSURER, "12", "345").unwrap();
    assert!(block_on(store.find_insured(&hanako)).unwrap().is_some());
}

#[test]
fn duplicates_are_reported_with_both_lines_and_stop_the_import() {
    let store = MemoryStore::new();
    let file = "記号,番号,生年月日,氏名カナ\n12,345,1980-04-01,ケンポ ハナコ\n12,346,1980-04-01,ケンポ タロウ\n12,345,1981-04-01,ケンポ ハナエ\n";
    let mut rows = csv().skip_bad_rows(true).read(file.as_bytes()).unwrap();
    let report = block_on(store.import_roster(INSURER, &mut rows, ImportMode::Apply)).unwrap();
    assert!(
        !report.applied,
        "even with bad rows skipped, a duplicate stops the import"
    );
    let duplicate = &report.duplicates[0];
    assert_eq!((duplicate.line, duplicate.first_line), (4, 2));
    assert_eq!(
        duplicate.message_ja(),
        "4行目: 2行目と同じ被保険者（06139999/12/345）です。"
    );
    assert_eq!(
        duplicate.to_string(),
        "line 4: the same insured person as line 2 (06139999/12/345)"
    );
    assert_eq!(block_on(store.count_roster(INSURER)).unwrap(), 0);
}

/// A reader that fails after `good` bytes, as a network share that drops mid-file.
struct Breaks {
    data: Vec<u8>,
    at: usize,
}

impl Read for Breaks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.data.len() {
            return Err(io::Error::other("connection reset"));
        }
        let n = buf.len().min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_file_that_breaks_off_is_never_imported_even_when_skipping_bad_rows() {
    let store = MemoryStore::new();
    store.add_insured(record("12", "1", (1970, 1, 1), "ケンポ モトカラ"));
    let file = GOOD.as_bytes().to_vec();
    let rows = csv()
        .skip_bad_rows(true)
        .read(Breaks { data: file, at: 0 })
        .unwrap();
    let mut rows = rows;
    let report = block_on(store.import_roster(INSURER, &mut rows, ImportMode::Apply)).unwrap();
    assert!(!report.applied);
    assert_eq!(report.added, 5, "the rows before the break were read");
    let last = rows.problems().last().unwrap();
    assert!(
        matches!(last.reason, RowReason::Unreadable { .. }),
        "{last:?}"
    );
    assert!(last.message_ja().contains("取り込みは行いません"));
    assert_eq!(block_on(store.count_roster(INSURER)).unwrap(), 1);
}

#[test]
fn a_missing_column_is_named_and_optional_columns_may_be_left_out() {
    let error = csv()
        .read("記号,番号,氏名カナ\n12,345,ケンポ ハナコ\n".as_bytes())
        .unwrap_err();
    assert_eq!(
        error,
        RosterFileError::MissingColumn {
            column: Field::BirthDate
        }
    );
    assert_eq!(
        error.message_ja(),
        "見出し行に「生年月日」の列がありません。"
    );
    assert_eq!(
        error.to_string(),
        "the header row has no column for the date of birth"
    );
    // No insurer column: every row is the importing insurer's. Headers in full width or with
    // spaces around them still match.
    let file = " 記号 ,番号,生年月日,氏名（カナ）\n12,345,1980-04-01,ケンポ ハナコ\n";
    let read = entries(&csv(), file.as_bytes());
    assert_eq!(
        read[0].record,
        Some(record("12", "345", (1980, 4, 1), "ケンポ ハナコ"))
    );
}

/// Two columns that both name one field — a 番号 that is the file's row number beside the
/// 被保険者証番号 — refuse the file: taking the first would key everyone by row number, and
/// the import would remove and re-add the whole roster.
#[test]
fn two_columns_for_one_field_refuse_the_file() {
    let file = "番号,記号,被保険者証番号,生年月日,氏名カナ\n1,12,345,1980-04-01,ケンポ ハナコ\n";
    let error = csv().read(file.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        RosterFileError::AmbiguousColumn {
            column: Field::Number
        }
    );
    assert!(
        error.message_ja().contains("「番号」の列が2つ以上"),
        "{}",
        error.message_ja()
    );
}

#[test]
fn header_names_and_the_separator_are_configurable() {
    let headers = HeaderNames {
        symbol: vec!["KIGO".to_owned()],
        number: vec!["BANGO".to_owned()],
        birth_date: vec!["SEINENGAPPI".to_owned()],
        name_kana: vec!["SHIMEI".to_owned()],
        ..HeaderNames::default()
    };
    let file = "BANGO\tKIGO\tSHIMEI\tSEINENGAPPI\n345\t12\tケンポ ハナコ\t1980-04-01\n";
    let read = entries(&csv().headers(headers).delimiter(b'\t'), file.as_bytes());
    assert_eq!(
        read[0].record,
        Some(record("12", "345", (1980, 4, 1), "ケンポ ハナコ"))
    );
}

/// A `Shift_JIS` file whose first non-ASCII cell happens to be valid UTF-8 (ﾅｶ ﾐｷ is the bytes
/// `C5 B6 20 D0 B7`, UTF-8 for "Ŷ з") under an ASCII header, found in the file's first
/// kilobytes or, after a header longer than those, in its first non-ASCII cell: UTF-8 is
/// told by a kana or kanji's three bytes, not by a two-byte look-alike, so every row reads.
#[test]
fn the_encoding_is_not_fooled_by_a_cell_that_happens_to_be_utf8() {
    assert!(std::str::from_utf8(&sjis("ﾅｶ ﾐｷ")).is_ok());
    let long_header = format!("symbol,number,birth_date,name_kana,{}", "x".repeat(5000));
    for header in ["symbol,number,birth_date,name_kana", &long_header] {
        let file = sjis(&format!(
            "{header}\n12,345,1980-04-01,ﾅｶ ﾐｷ\n12,346,1980-04-02,ｹﾝﾎﾟ ﾀﾛｳ\n"
        ));
        let mut rows = csv().read(file.as_slice()).unwrap();
        let read: Vec<_> = rows.by_ref().map(|entry| entry.record).collect();
        assert_eq!(rows.problems(), &[], "{read:?}");
        assert_eq!(
            read,
            [
                Some(record("12", "345", (1980, 4, 1), "ナカ ミキ")),
                Some(record("12", "346", (1980, 4, 2), "ケンポ タロウ")),
            ]
        );
    }
}

#[test]
fn bytes_that_are_not_text_in_the_files_encoding_are_a_bad_row() {
    let file = [
        "記号,番号,生年月日,氏名カナ\n12,345,1980-04-01,".as_bytes(),
        b"\xFF\xFE\n",
    ]
    .concat();
    let mut rows = csv().read(file.as_slice()).unwrap();
    assert_eq!(rows.next().map(|e| e.record), Some(None));
    assert_eq!(rows.problems()[0].reason, RowReason::Undecodable);
    assert!(rows.problems()[0].message_ja().contains("文字コード"));
}

/// Hands out a generated file of `rows` rows, counting the bytes it handed out.
struct Generated {
    rows: u64,
    next: u64,
    pending: Vec<u8>,
    handed_out: Arc<AtomicU64>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            if self.next == 0 {
                self.pending = "記号,番号,生年月日,氏名カナ\n".as_bytes().to_vec();
            } else if self.next <= self.rows {
                self.pending = format!("12,{},1980-04-01,ケンポ タロウ\n", self.next).into_bytes();
            } else {
                return Ok(0);
            }
            self.next += 1;
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.handed_out.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn rows_are_read_one_at_a_time_not_the_whole_file_first() {
    let handed_out = Arc::new(AtomicU64::new(0));
    let source = Generated {
        rows: 100_000,
        next: 0,
        pending: Vec::new(),
        handed_out: Arc::clone(&handed_out),
    };
    let mut rows = csv().read(source).unwrap();
    for _ in 0..10 {
        assert!(rows.next().unwrap().record.is_some());
    }
    assert_eq!(rows.rows_read(), 10);
    // The CSV reader's buffer (8 KiB) at most, of a file of about 4 MB.
    let read = handed_out.load(Ordering::Relaxed);
    assert!(read <= 16 * 1024, "{read} bytes read for ten rows");
    assert_eq!(rows.by_ref().count(), 99_990);
}

proptest! {
    /// Law: a file reads the same in UTF-8 and in Shift_JIS, for any rows whose text Shift_JIS
    /// can hold.
    #[test]
    fn utf8_and_shift_jis_read_alike(
        people in prop::collection::vec(
            ("[0-9]{1,4}", "[0-9]{1,6}", 1950u16..2020, 1u8..=12, 1u8..=28,
             prop::sample::select(vec!["ケンポ ハナコ", "ｹﾝﾎﾟ ﾀﾛｳ", "けんぽ じろう", "ヴァイオレット", "ケンポ　ヂヅ"])),
            1..20,
        )
    ) {
        let mut file = String::from("記号,番号,生年月日,氏名カナ\n");
        for (symbol, number, y, m, d, name) in &people {
            writeln!(file, "{symbol},{number},{y}年{m}月{d}日,{name}").unwrap();
        }
        let utf8 = entries(&csv(), file.as_bytes());
        let shift_jis = entries(&csv(), &sjis(&file));
        prop_assert_eq!(&utf8, &shift_jis);
        let expected_lines: Vec<u64> = (2..2 + people.len() as u64).collect();
        prop_assert_eq!(utf8.iter().map(|e| e.line).collect::<Vec<_>>(), expected_lines);
    }

    /// Law: whatever the bytes, reading never panics, every entry it gives is this insurer's,
    /// and every refused entry has its problem.
    #[test]
    fn any_bytes_read_without_panic(
        body in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let file = [b"\xE8\xA8\x98\xE5\x8F\xB7,\xE7\x95\xAA\xE5\x8F\xB7,\xE7\x94\x9F\xE5\xB9\xB4\xE6\x9C\x88\xE6\x97\xA5,\xE6\xB0\x8F\xE5\x90\x8D\xE3\x82\xAB\xE3\x83\x8A\n".as_slice(), &body].concat();
        let mut rows = csv().read(file.as_slice()).unwrap();
        let read: Vec<RosterEntry> = rows.by_ref().collect();
        let refused = read.iter().filter(|e| e.record.is_none()).count() as u64;
        prop_assert_eq!(refused, rows.problem_count());
        for record in read.iter().filter_map(|e| e.record.as_ref()) {
            prop_assert_eq!(record.key().insurer_code(), INSURER);
        }
    }
}

/// A one-row file with `cell` in its 資格喪失日 column.
fn with_coverage_end(cell: &str) -> String {
    format!("記号,番号,生年月日,氏名カナ,資格喪失日\n12,345,1980-04-01,ケンポ ハナコ,{cell}\n")
}

/// The end of coverage a one-row file with `cell` in its 資格喪失日 column gives, or `Err`
/// when the row is refused.
fn coverage_end_of(cell: &str) -> Result<Option<CoverageEnd>, ()> {
    let read = entries(&csv(), with_coverage_end(cell).as_bytes());
    let record = read
        .first()
        .and_then(|entry| entry.record.as_ref())
        .ok_or(())?;
    Ok(record.coverage_end())
}

#[test]
fn the_end_of_coverage_is_read_in_every_spelling_of_a_birth_date() {
    let end = Some(CoverageEnd::new(2027, 3, 31).unwrap());
    for spelling in [
        "2027-03-31",
        "2027/3/31",
        "20270331",
        "２０２７／３／３１",
        "令和9年3月31日",
        "R9.3.31",
    ] {
        assert_eq!(coverage_end_of(spelling), Ok(end), "{spelling}");
    }
    for bad in [
        "令和9年2月30日",
        "平成40年1月1日",
        "2027-13-01",
        "9年3月31日",
        "31/03/2027",
    ] {
        assert_eq!(coverage_end_of(bad), Err(()), "{bad}");
    }
}

#[test]
fn a_bad_end_of_coverage_is_reported_as_one() {
    for bad in [
        "平成40年1月1日",
        "2027-02-30",
        "2027-13-01",
        "1899-12-31",
        "2027/2/30",
    ] {
        let file = with_coverage_end(bad);
        let mut rows = csv().read(file.as_bytes()).unwrap();
        rows.by_ref().for_each(drop);
        let message = rows.problems().first().map(MessageJa::message_ja);
        let message = message.unwrap_or_default();
        assert!(
            message.contains("資格喪失日") && !message.contains("生年月日"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn rows_of_a_file_without_a_coverage_end_column_keep_the_ends_on_record() {
    let without = "記号,番号,生年月日,氏名カナ\n12,345,1980-04-01,ケンポ ハナコ\n";
    let with = "記号,番号,生年月日,氏名カナ,資格喪失日\n12,345,1980-04-01,ケンポ ハナコ,\n";
    let keeps = |file: &str| {
        entries(&csv(), file.as_bytes())
            .iter()
            .map(|e| e.keeps_coverage_end)
            .collect::<Vec<_>>()
    };
    assert_eq!(keeps(without), [true]);
    assert_eq!(keeps(with), [false]);
}
