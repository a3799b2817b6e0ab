//! Leaving the union (資格喪失) and coming back: an account whose insured person is no longer
//! covered cannot log in (told only after the password checked out), reset and reminder mail
//! nothing and answer as for an unknown account, first authentication does not confirm the
//! person; restoring the person restores the account.

use std::fmt::Write as _;

use kenpo_auth::store::{ImportMode, RosterEntry};
use kenpo_auth::{CoverageEnd, Error, InsuredRecord, Store};

use crate::support::*;

/// The roster of 06139999 as it is, without ケンポ ショウコ: she left the union.
fn roster_without_shoko(fx: &Fixture) -> Vec<RosterEntry> {
    ["568", "569"]
        .iter()
        .enumerate()
        .map(|(index, number)| {
            let key = kenpo_auth::InsuredKey::new("06139999", "1234", number).unwrap();
            let record: InsuredRecord = block_on(fx.store.find_insured(&key)).unwrap().unwrap();
            RosterEntry::new(index as u64 + 2, Some(record))
        })
        .collect()
}

/// The two ways to leave: a 資格喪失日 that has come, or dropping off the monthly roster.
fn leave(fx: &Fixture, how: &str) {
    match how {
        "coverage ended" => assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap()),
        "off the roster" => {
            let report = block_on(fx.portal.import_roster(
                "06139999",
                roster_without_shoko(fx),
                ImportMode::Apply,
            ))
            .unwrap();
            assert!(report.applied);
            assert_eq!((report.removed, report.unchanged), (1, 2));
        }
        _ => unreachable!(),
    }
}

fn come_back(fx: &Fixture, how: &str) {
    match how {
        "coverage ended" => assert!(fx.restore_coverage(&shoko_key()).unwrap()),
        "off the roster" => {
            let birth = kenpo_auth::BirthDate::new(1975, 3, 2).unwrap();
            fx.store.add_insured(
                InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap(),
            );
        }
        _ => unreachable!(),
    }
}

const WAYS: [&str; 2] = ["coverage ended", "off the roster"];

#[test]
fn a_member_who_left_cannot_log_in_and_hears_why_only_with_the_right_password() {
    for how in WAYS {
        let fx = registered();
        leave(&fx, how);
        let error = assert_error!(fx.login(USER_ID, PASSWORD), Error::CoverageEnded, "{how}");
        assert_eq!(error.kind().status(), 403);
        assert!(
            error.message_ja().contains("健康保険組合"),
            "{}",
            error.message_ja()
        );
        assert!(error.message_ja().ends_with('。'));
        // A wrong password hears what every wrong password hears.
        assert_error!(
            fx.login(USER_ID, WRONG_PASSWORD),
            Error::AuthenticationFailed,
            "{how}"
        );
        come_back(&fx, how);
        assert!(fx.login(USER_ID, PASSWORD).is_ok(), "{how}: restored");
    }
}

#[test]
fn the_right_password_of_a_member_who_left_does_not_use_up_the_login_budget() {
    let fx = registered();
    leave(&fx, "coverage ended");
    for _ in 0..30 {
        assert_error!(fx.login(USER_ID, PASSWORD), Error::CoverageEnded);
    }
    come_back(&fx, "coverage ended");
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}

#[test]
fn reset_and_reminder_answer_as_for_an_unknown_account_and_mail_nothing() {
    for how in WAYS {
        let fx = registered();
        leave(&fx, how);
        let mails = fx.mailer.sent().len();
        let ticket = fx.request_password_reset(USER_ID).unwrap();
        fx.remind_user_id(&shoko(), EMAIL).unwrap();
        assert_eq!(fx.mailer.sent().len(), mails, "{how}: nothing mailed");
        assert_error!(
            fx.reset_password(&ticket, WRONG_RESET_CODE, NEW_PASSWORD),
            Error::CodeMismatch { .. },
            "{how}: like a decoy"
        );
    }
}

#[test]
fn a_reset_code_mailed_before_the_member_left_no_longer_works() {
    let fx = registered();
    let (ticket, code) = mailed_reset(&fx);
    leave(&fx, "coverage ended");
    assert_error!(
        fx.reset_password(&ticket, &code, NEW_PASSWORD),
        Error::CodeMismatch { .. }
    );
    come_back(&fx, "coverage ended");
    assert_error!(fx.login(USER_ID, NEW_PASSWORD), Error::AuthenticationFailed);
    assert!(
        fx.login(USER_ID, PASSWORD).is_ok(),
        "the password did not change"
    );
}

#[test]
fn first_authentication_does_not_confirm_someone_who_left() {
    for how in WAYS {
        let fx = fixture();
        leave(&fx, how);
        assert_error!(
            fx.authenticate_insured(&shoko()),
            Error::IdentityNotConfirmed,
            "{how}"
        );
        come_back(&fx, how);
        assert!(fx.authenticate_insured(&shoko()).is_ok(), "{how}: restored");
    }
}

#[test]
fn coverage_ending_on_a_day_still_to_come_keeps_the_member_in_until_then() {
    let fx = registered();
    // start() is 2026-09-21, 23:13 in Japan; coverage ends on the 22nd.
    let tomorrow = CoverageEnd::new(2026, 9, 22).unwrap();
    assert!(fx.end_coverage(&shoko_key(), tomorrow).unwrap());
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
    fx.clock.advance(MINUTE * 47);
    assert_error!(
        fx.login(USER_ID, PASSWORD),
        Error::CoverageEnded,
        "midnight in Japan"
    );
}

#[test]
fn ending_or_restoring_someone_not_on_the_roster_says_so() {
    let fx = fixture();
    let nobody = kenpo_auth::InsuredKey::new("06139999", "1234", "999").unwrap();
    assert!(!fx.end_coverage(&nobody, yesterday()).unwrap());
    assert!(!fx.restore_coverage(&nobody).unwrap());
    assert_eq!(fx.roster_count("06139999").unwrap(), 3);
    assert_eq!(
        fx.roster_count("０６１３９９９９").unwrap(),
        3,
        "normalised like the form"
    );
    assert_error!(fx.roster_count("0613-9999"), Error::Form(_));
}

/// The union's monthly file of everyone on the roster of 06139999 as it stands, with a
/// 資格喪失日 column (every cell blank: covered) or without one.
fn monthly_file(fx: &Fixture, with_coverage_end: bool) -> String {
    let mut file = String::from("記号,番号,生年月日,氏名カナ");
    file.push_str(if with_coverage_end {
        ",資格喪失日\n"
    } else {
        "\n"
    });
    for number in ["567", "568", "569"] {
        let key = kenpo_auth::InsuredKey::new("06139999", "1234", number).unwrap();
        let record = block_on(fx.store.find_insured(&key)).unwrap().unwrap();
        let (birth, name) = (record.birth_date(), record.name().as_str());
        let end = if with_coverage_end { "," } else { "" };
        writeln!(file, "1234,{number},{birth},{name}{end}").unwrap();
    }
    file
}

fn import_file(fx: &Fixture, file: &str) -> kenpo_auth::store::RosterChanges {
    let mut rows = kenpo_auth::RosterCsv::new("06139999")
        .unwrap()
        .read(file.as_bytes())
        .unwrap();
    let report = block_on(
        fx.portal
            .import_roster("06139999", &mut rows, ImportMode::Apply),
    );
    report.unwrap()
}

#[test]
fn a_monthly_file_without_a_coverage_end_column_keeps_an_end_set_by_hand() {
    let fx = registered();
    assert!(fx.end_coverage(&shoko_key(), yesterday()).unwrap());

    let report = import_file(&fx, &monthly_file(&fx, false));
    assert!(report.applied);
    assert_eq!((report.unchanged, report.changed), (3, 0), "{report:?}");
    assert_error!(fx.login(USER_ID, PASSWORD), Error::CoverageEnded);

    // A file with the column says when coverage ends; a blank cell says "covered".
    let report = import_file(&fx, &monthly_file(&fx, true));
    assert_eq!((report.unchanged, report.changed), (2, 1), "{report:?}");
    assert!(fx.login(USER_ID, PASSWORD).is_ok());
}
