#![no_main]
//! Fuzz target for the roster file reader: any bytes, in each encoding setting, with and
//! without skipping bad rows. Never a panic; every entry is the importing insurer's; every
//! refused entry has its problem; problems come in file order with messages in both languages;
//! a file's good rows all keep the ends on record or none does, and a row that keeps them
//! says none.
use kenpo_auth::{CsvEncoding, MessageJa, RosterCsv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&setting, file)) = data.split_first() else {
        return;
    };
    let encoding = match setting % 3 {
        0 => CsvEncoding::Detect,
        1 => CsvEncoding::Utf8,
        _ => CsvEncoding::ShiftJis,
    };
    let Ok(csv) = RosterCsv::new("06139999") else {
        return;
    };
    let csv = csv
        .encoding(encoding)
        .skip_bad_rows(setting & 4 != 0)
        .delimiter(if setting & 8 != 0 { b'\t' } else { b',' });
    let mut rows = match csv.read(file) {
        Ok(rows) => rows,
        Err(error) => {
            let _ = (error.to_string(), error.message_ja());
            return;
        }
    };
    let mut refused = 0_u64;
    let mut keeps = None;
    for entry in rows.by_ref() {
        match entry.record {
            Some(record) => {
                assert!(keeps.is_none_or(|keeps| keeps == entry.keeps_coverage_end));
                keeps = Some(entry.keeps_coverage_end);
                assert_eq!(record.key().insurer_code(), "06139999");
                assert!(!entry.keeps_coverage_end || record.coverage_end().is_none());
            }
            None => refused += 1,
        }
    }
    if setting & 4 == 0 {
        assert_eq!(refused, rows.problem_count());
    }
    let mut last_line = 0;
    for problem in rows.problems() {
        assert!(problem.line >= last_line, "problems out of order");
        last_line = problem.line;
        assert!(!problem.message_ja().is_empty() && !problem.to_string().is_empty());
    }
});
