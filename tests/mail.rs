//! The mails: subjects, one six-digit number per code mail, redacted Debug.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

#[test]
fn code_mails_hold_exactly_one_six_digit_number_and_the_required_notices() {
    let fx = fixture();
    register(&fx);
    block_on(fx.portal.request_password_reset(USER_ID)).unwrap();
    let mails = fx.mailer.sent();
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        assert_eq!(six_digit_runs(&mail.body).len(), 1, "{}", mail.body);
        assert_eq!(six_digit_runs(&mail.subject).len(), 0);
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
    assert_eq!(mails[0].subject, "【ユーザーID作成用認証番号のお知らせ】");
}

#[test]
fn mail_debug_hides_the_code() {
    let fx = fixture();
    begin(&fx, &shoko(), &registration_form());
    let mail = fx.mailer.last().unwrap();
    let code = code_in(&mail);
    let debug = format!("{mail:?}");
    assert!(!debug.contains(&code), "{debug}");
}

#[test]
fn codes_vary_and_keep_leading_zeros() {
    let fx = fixture();
    let pending = begin(&fx, &shoko(), &registration_form());
    let mut codes = std::collections::HashSet::new();
    codes.insert(last_code(&fx));
    for _ in 0..4 {
        fx.clock.advance(MINUTE);
        block_on(fx.portal.resend_code(&pending)).unwrap();
        let code = last_code(&fx);
        assert_eq!(code.len(), 6);
        codes.insert(code);
    }
    assert!(
        codes.len() >= 4,
        "five draws from a million should not collide: {codes:?}"
    );
}
