//! The union's side through the portal, on every store the crate ships: a monthly roster file
//! removes a member (who then cannot log in, nor reset, and the help desk sees why) and brings
//! her back; the member changes her password and her address; the help desk deletes the
//! account and the user ID is free again.

use std::time::Duration;

use kenpo_auth::store::ImportMode;
use kenpo_auth::{
    CoverageState, Error, MailKind, ManualClock, MemoryStore, Portal, RecordingMailer, RosterCsv,
    SqliteStore, UserId,
};

use crate::support::{
    EMAIL, Inspect, NEW_PASSWORD, PASSWORD, USER_ID, block_on, on_both_stores, portal_config,
    registration_form, shoko, shoko_record, t0,
};

type TestPortal<S> = Portal<S, RecordingMailer, ManualClock>;

/// A month's roster file: ケンポ ショウコ (if `with_shoko`) and a colleague, in `Shift_JIS`.
fn roster_file(with_shoko: bool) -> Vec<u8> {
    let mut text = String::from("保険者番号,記号,番号,生年月日,氏名カナ\r\n");
    if with_shoko {
        text.push_str("06139999,1234,567,昭和50年3月2日,ｹﾝﾎﾟ ｼｮｳｺ\r\n");
    }
    text.push_str("06139999,1234,568,1980-01-01,ケンポ タロウ\r\n");
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

fn import<S: Inspect>(portal: &TestPortal<S>, with_shoko: bool) {
    let file = roster_file(with_shoko);
    let mut rows = RosterCsv::new("06139999")
        .unwrap()
        .as_of(t0())
        .read(file.as_slice())
        .unwrap();
    let report = block_on(portal.import_roster("06139999", &mut rows, ImportMode::Apply)).unwrap();
    assert!(report.applied, "{report:?} {:?}", rows.problems());
}

fn registered<S: Inspect>() -> (TestPortal<S>, UserId) {
    let store = S::fresh();
    store.add(shoko_record());
    let portal = Portal::new(store, RecordingMailer::new(), portal_config())
        .with_clock(ManualClock::new(t0()));
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();
    let pending = block_on(portal.begin_registration(&ticket, &registration_form())).unwrap();
    let code = portal.mailer().last_code().unwrap();
    let user_id = block_on(portal.confirm_registration(&pending, &code)).unwrap();
    (portal, user_id)
}

fn leaving_and_coming_back<S: Inspect>() {
    let (portal, user_id) = registered::<S>();
    import(&portal, true);
    block_on(portal.login(USER_ID, PASSWORD)).unwrap();
    let view = block_on(portal.help_desk_find("06139999", "1234", "567"))
        .unwrap()
        .unwrap();
    assert_eq!(view.user_id, user_id);
    assert_eq!(view.last_login_at, Some(t0()));
    assert_eq!(view.coverage, CoverageState::Covered);

    // Next month's file no longer names her.
    import(&portal, false);
    assert!(matches!(
        block_on(portal.login(USER_ID, PASSWORD)),
        Err(Error::CoverageEnded)
    ));
    let mails = portal.mailer().sent().len();
    block_on(portal.request_password_reset(USER_ID)).unwrap();
    assert_eq!(
        portal.mailer().sent().len(),
        mails,
        "no mail for someone who left"
    );
    let view = block_on(portal.help_desk_find("06139999", "1234", "567"))
        .unwrap()
        .unwrap();
    assert_eq!(view.coverage, CoverageState::OffRoster);

    // The month after, she is back.
    import(&portal, true);
    block_on(portal.login(USER_ID, PASSWORD)).unwrap();
}

fn settings_and_help_desk<S: Inspect>() {
    let (portal, user_id) = registered::<S>();
    block_on(portal.change_password(&user_id, PASSWORD, NEW_PASSWORD)).unwrap();
    assert!(matches!(
        block_on(portal.login(USER_ID, PASSWORD)),
        Err(Error::AuthenticationFailed)
    ));
    block_on(portal.login(USER_ID, NEW_PASSWORD)).unwrap();

    let pending =
        block_on(portal.begin_email_change(&user_id, NEW_PASSWORD, "new@example.co.jp")).unwrap();
    let code = portal.mailer().last_code().unwrap();
    let new = block_on(portal.confirm_email_change(&pending, &code)).unwrap();
    assert_eq!(new.as_str(), "new@example.co.jp");
    let notice = portal.mailer().last().unwrap();
    assert_eq!(
        (notice.kind, notice.to.as_str()),
        (MailKind::EmailChanged, EMAIL)
    );
    let view = block_on(portal.help_desk_find("06139999", "1234", "567"))
        .unwrap()
        .unwrap();
    assert_ne!(
        view.masked_email, "new@example.co.jp",
        "the help desk sees it masked"
    );
    assert!(view.masked_email.ends_with("@example.co.jp"));

    block_on(portal.help_desk_delete_account(&user_id)).unwrap();
    assert!(
        block_on(portal.help_desk_find("06139999", "1234", "567"))
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        block_on(portal.login(USER_ID, NEW_PASSWORD)),
        Err(Error::AuthenticationFailed)
    ));
    // The person and the user ID may register again.
    portal.clock().advance(Duration::from_secs(3600));
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();
    block_on(portal.begin_registration(&ticket, &registration_form())).unwrap();
}

on_both_stores! {
    leaving_and_coming_back:
        memory_store_a_member_leaves_with_the_roster_and_comes_back,
        sqlite_store_a_member_leaves_with_the_roster_and_comes_back;
    settings_and_help_desk:
        memory_store_settings_and_the_help_desk_work,
        sqlite_store_settings_and_the_help_desk_work;
}
