//! The mails: subjects, exactly one code per code mail, the notices, redacted Debug.

use crate::support::*;
use kenpo_auth::{Config, MailKind};
use std::time::Duration;

/// Every maximal run of exactly six ASCII digits in `text`.
fn six_digit_runs(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 6)
        .count()
}

/// A code screen that shows `Config::code_validity_minutes` says what the mail says, for a
/// validity that is not whole minutes too.
#[test]
fn the_code_mail_gives_the_validity_a_code_screen_shows() {
    for seconds in [600, 90, 59, 61] {
        let config = Config {
            code_validity: Duration::from_secs(seconds),
            ..test_config()
        };
        let minutes = config.code_validity_minutes();
        let fx = fixture_with(config);
        mailed_registration(&fx);
        let body = fx.mailer.sent().last().unwrap().body.clone();
        let says = format!("発行から{minutes}分間です");
        assert!(body.contains(&says), "{seconds} s, not {says}: {body}");
    }
}

#[test]
fn code_mails_hold_exactly_one_code_and_the_required_notices() {
    let fx = registered();
    mailed_reset(&fx);
    let mails = fx.mailer.sent();
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        assert!(mail.code().is_some(), "exactly one code: {}", mail.body);
        assert!(mail.body.contains("10分間"), "validity: {}", mail.body);
        assert!(
            mail.body.contains("送信専用"),
            "send-only notice: {}",
            mail.body
        );
        assert!(
            mail.body.contains("お心当たりのない場合"),
            "what if you did not ask: {}",
            mail.body
        );
    }
    assert_eq!(mails[0].kind, MailKind::RegistrationCode);
    assert_eq!(six_digit_runs(&mails[0].body), 1, "{}", mails[0].body);
    assert_eq!(mails[0].subject, "【ユーザーID作成用認証番号のお知らせ】");
    assert_eq!(mails[1].kind, MailKind::PasswordResetCode);
    assert_eq!(
        six_digit_runs(&mails[1].body),
        0,
        "the reset code is the only code-like token: {}",
        mails[1].body
    );
}

#[test]
fn mail_debug_hides_the_code() {
    let fx = registered();
    mailed_reset(&fx);
    for mail in fx.mailer.sent() {
        let code = mail.code().unwrap();
        let debug = format!("{mail:?}");
        assert!(!debug.contains(&code), "{debug}");
    }
}

#[test]
fn codes_vary_and_keep_leading_zeros() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let mut codes = std::collections::HashSet::new();
    codes.insert(last_code(&fx));
    for _ in 0..4 {
        fx.clock.advance(MINUTE);
        fx.resend_code(&pending).unwrap();
        let code = last_code(&fx);
        assert_eq!(code.len(), 6);
        codes.insert(code);
    }
    assert!(
        codes.len() >= 4,
        "five draws from a million should not collide: {codes:?}"
    );
}
