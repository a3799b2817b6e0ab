//! Mail each union brands: its name, URLs, sender line and help desk in every mail to its
//! members, the default for the rest, today's text when nothing is set — and never a second
//! code-like number in a code mail.

use proptest::prelude::*;

use kenpo_auth::{Branding, Brandings, Config, ConfigError, MailKind};

use crate::support::*;

fn kenpo() -> Branding {
    Branding {
        union_name: Some("ケンポ健康保険組合".into()),
        sender: Some("ケンポ健康保険組合 <noreply@kenpo.example.jp>".into()),
        login_url: Some("https://portal.kenpo.example.jp/login".into()),
        first_login_url: Some("https://portal.kenpo.example.jp/first".into()),
        help_desk_phone: Some("0120-12-3456".into()),
        help_desk_hours: Some("平日 9:00～17:00（12月29日～1月3日を除く）".into()),
    }
}

fn branded(default: Branding) -> Fixture {
    let mut branding = Brandings {
        default,
        ..Brandings::default()
    };
    branding.insurers.insert("06139999".into(), kenpo());
    let config = Config {
        branding,
        ..test_config()
    };
    config.check().unwrap();
    fixture_with(config)
}

#[test]
fn every_mail_to_a_union_member_carries_its_branding() {
    let fx = branded(Branding::default());
    let user_id = register(&fx);
    fx.request_password_reset(USER_ID).unwrap();
    fx.remind_user_id(&shoko(), EMAIL).unwrap();
    fx.change_password(&user_id, PASSWORD, NEW_PASSWORD)
        .unwrap();
    let pending = fx
        .begin_email_change(&user_id, NEW_PASSWORD, "new@example.ne.jp")
        .unwrap();
    fx.confirm_email_change(&pending, &last_code(&fx)).unwrap();
    let mails = fx.mailer.sent();
    assert_eq!(mails.len(), 6);
    for mail in &mails {
        for line in [
            "ケンポ健康保険組合",
            "ログイン：https://portal.kenpo.example.jp/login",
            "初回登録：https://portal.kenpo.example.jp/first",
            "お問い合わせ：0120-12-3456（平日 9:00～17:00（12月29日～1月3日を除く））",
        ] {
            assert!(
                mail.body.contains(line),
                "{:?} lacks {line}:\n{}",
                mail.kind,
                mail.body
            );
        }
        assert_eq!(
            mail.sender.as_deref(),
            Some("ケンポ健康保険組合 <noreply@kenpo.example.jp>")
        );
        if matches!(
            mail.kind,
            MailKind::RegistrationCode | MailKind::PasswordResetCode | MailKind::EmailChangeCode
        ) {
            assert!(
                mail.code().is_some(),
                "{:?}: exactly one code:\n{}",
                mail.kind,
                mail.body
            );
        }
    }
}

#[test]
fn other_insurers_get_the_default_and_no_branding_keeps_todays_text() {
    let plain = fixture();
    register(&plain);
    let plain_mail = plain.mailer.sent().remove(0);
    assert_eq!(plain_mail.sender, None);
    assert!(
        plain_mail.body.ends_with("ご了承ください。\n"),
        "{}",
        plain_mail.body
    );
    assert!(!plain_mail.body.contains("――"));

    // ケンポ's branding is for 06139999 only; another insurer's member gets the default.
    let default = Branding {
        help_desk_phone: Some("03-1234-5678".into()),
        ..Branding::default()
    };
    let fx = branded(default);
    fx.store.add_insured(
        kenpo_auth::InsuredRecord::new(
            "01234567",
            "1",
            "2",
            kenpo_auth::BirthDate::new(1970, 1, 1).unwrap(),
            "タナカ イチロウ",
        )
        .unwrap(),
    );
    let ticket = fx
        .authenticate_insured(&kenpo_auth::IdentityForm {
            insurer_code: "01234567".into(),
            symbol: "1".into(),
            number: "2".into(),
            birth_date: "1970-01-01".into(),
            name_kana: "タナカ イチロウ".into(),
        })
        .unwrap();
    fx.begin_registration(&ticket, &registration_form())
        .unwrap();
    let mail = fx.mailer.last().unwrap();
    assert!(
        mail.body.contains("お問い合わせ：03-1234-5678"),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains("ケンポ健康保険組合"));
    assert_eq!(mail.sender, None);
}

fn refused(branding: Branding) -> ConfigError {
    let mut brandings = Brandings::default();
    brandings.insurers.insert("06139999".into(), branding);
    Config {
        branding: brandings,
        ..test_config()
    }
    .check()
    .unwrap_err()
}

#[test]
fn a_phone_number_or_date_that_reads_as_a_code_is_refused() {
    for (field, value) in [
        ("help_desk_phone", "0120-123456"),
        ("help_desk_phone", "０１２０－１２３４５６"),
        ("help_desk_hours", "202612 改定"),
        ("union_name", "ケンポ健保 ABCD-EFGH-JKLM"),
    ] {
        let mut branding = kenpo();
        match field {
            "help_desk_phone" => branding.help_desk_phone = Some(value.into()),
            "help_desk_hours" => branding.help_desk_hours = Some(value.into()),
            _ => branding.union_name = Some(value.into()),
        }
        let error = refused(branding);
        assert!(
            matches!(error, ConfigError::Branding { .. }),
            "{value}: {error:?}"
        );
    }
    // Longer or shorter runs are not codes: a date written 20261202 is fine.
    let mut fine = kenpo();
    fine.help_desk_hours = Some("20261202 から 9:00～17:00".into());
    fine.help_desk_phone = Some("0120123456789".into());
    let mut brandings = Brandings::default();
    brandings.insurers.insert("06139999".into(), fine);
    assert!(
        Config {
            branding: brandings,
            ..test_config()
        }
        .check()
        .is_ok()
    );
}

#[test]
fn a_sender_with_a_line_break_or_a_non_web_address_is_refused() {
    for (field, value) in [
        (
            "sender",
            "ケンポ <a@kenpo.example.jp>\r\nBcc: victim@example.com",
        ),
        ("login_url", "javascript:alert(1)"),
    ] {
        let mut branding = kenpo();
        match field {
            "sender" => branding.sender = Some(value.into()),
            _ => branding.login_url = Some(value.into()),
        }
        let error = refused(branding);
        assert!(
            matches!(error, ConfigError::Branding { field: f, .. } if f == field),
            "{field}: {error:?}"
        );
    }
    let mut brandings = Brandings::default();
    brandings
        .insurers
        .insert("０６１３９９９９".into(), kenpo());
    let error = Config {
        branding: brandings,
        ..test_config()
    }
    .check()
    .unwrap_err();
    assert!(error.to_string().contains("normalised"), "{error}");
}

proptest! {
    /// Whatever text a union configures, if the check passes, every code mail still carries
    /// exactly one code, the one issued.
    #[test]
    fn branding_that_passes_the_check_never_breaks_a_code(
        name in "[ケンポ健康保険組合0-9０-９ -]{0,24}",
        phone in "[0-9０-９()-]{0,16}",
        hours in "[0-9:～年月日平 ]{0,20}",
    ) {
        let branding = Branding {
            union_name: Some(name),
            help_desk_phone: Some(phone),
            help_desk_hours: Some(hours),
            ..kenpo()
        };
        let mut brandings = Brandings::default();
        brandings.insurers.insert("06139999".into(), branding);
        let config = Config { branding: brandings, ..test_config() };
        prop_assume!(config.check().is_ok());
        let fx = fixture_with(config);
        let pending = begin(&fx, &shoko(), &registration_form());
        let code = last_code(&fx);
        prop_assert_eq!(code.len(), 6);
        prop_assert!(fx.confirm_registration(&pending, &code).is_ok());
        fx.request_password_reset(USER_ID).unwrap();
        prop_assert!(fx.mailer.last().unwrap().code().is_some());
    }
}
