//! A password reset or an end of sessions that lands while a member logs in, or changes the
//! password, ends the session that step starts: its stamp is made from the account as the
//! password was checked against it, and the account is never read again for it. One landing
//! while the member begins an e-mail change voids that change too.
//!
//! `Interfering` changes the account from inside the step, at the moment the password has
//! checked out (when the step clears the login budget), as another request would.

use std::convert::Infallible;
use std::sync::Mutex;

use kenpo_auth::store::CounterKey;
use kenpo_auth::{Error, MemoryStore, Portal, RecordingMailer, SessionStamp, Store, UserId};

use crate::support::{
    NEW_PASSWORD, PASSWORD, USER_ID, block_on, hash, pass_on, portal_config, registration_form,
    shoko, shoko_record, to_inner,
};

/// What another request does to the account while the step runs.
#[derive(Clone, Copy, Debug)]
enum Meanwhile {
    /// The help desk (or the member on another device) ends every session.
    EndSessions,
    /// A password reset stores another hash.
    Reset,
}

struct Interfering {
    inner: MemoryStore,
    /// Done once, the first time a login budget is cleared.
    meanwhile: Mutex<Option<Meanwhile>>,
}

impl Store for Interfering {
    type Error = Infallible;

    pass_on!(to_inner:
        find_insured, acquire_attempt, insert_signup, find_signup, insert_challenge,
        find_challenge, count_code_attempt, delete_challenge, complete_registration,
        complete_password_reset, find_account, find_account_by_insured, update_password_hash,
        record_terms_acceptance, purge_expired, set_coverage_end, count_roster, change_password,
        complete_email_change, record_login, end_sessions, find_counter, delete_account,
        import_roster, update_code,
    );

    async fn clear_attempts(&self, key: &CounterKey) -> Result<(), Infallible> {
        let meanwhile = self.meanwhile.lock().unwrap().take();
        if let (CounterKey::Login(user), Some(meanwhile)) = (key, meanwhile) {
            match meanwhile {
                Meanwhile::EndSessions => {
                    self.inner.end_sessions(user).await?;
                }
                Meanwhile::Reset => {
                    let account = self.inner.find_account(user).await?.unwrap();
                    let changed =
                        self.inner
                            .change_password(user, &account.password_hash, hash("reset"));
                    assert!(changed.await?);
                }
            }
        }
        self.inner.clear_attempts(key).await
    }
}

type TestPortal = Portal<Interfering, RecordingMailer>;

/// A portal with ケンポ ショウコ registered, and the interference armed for the next step.
fn registered(meanwhile: Meanwhile) -> (TestPortal, UserId) {
    let inner = MemoryStore::new();
    inner.add_insured(shoko_record());
    let mailer = RecordingMailer::new();
    let store = Interfering {
        inner,
        meanwhile: Mutex::new(None),
    };
    let portal = Portal::new(store, mailer.clone(), portal_config());
    let ticket = block_on(portal.authenticate_insured(&shoko())).unwrap();
    let pending = block_on(portal.begin_registration(&ticket, &registration_form())).unwrap();
    let user_id = block_on(portal.confirm_registration(&pending, &mailer.last_code().unwrap()));
    *portal.store().meanwhile.lock().unwrap() = Some(meanwhile);
    (portal, user_id.unwrap())
}

fn assert_ended(portal: &TestPortal, user_id: &UserId, stamp: &SessionStamp, what: Meanwhile) {
    let checked = block_on(portal.check_session(user_id, stamp));
    assert!(
        matches!(checked, Err(Error::SessionEnded)),
        "{what:?} during the step: {checked:?}"
    );
}

#[test]
fn what_lands_during_a_login_ends_the_session_it_starts() {
    for meanwhile in [Meanwhile::EndSessions, Meanwhile::Reset] {
        let (portal, user_id) = registered(meanwhile);
        let (_, stamp) = block_on(portal.login_with_stamp(USER_ID, PASSWORD)).unwrap();
        assert_ended(&portal, &user_id, &stamp, meanwhile);
    }
}

#[test]
fn what_lands_during_a_password_change_ends_the_session_that_made_it() {
    let (portal, user_id) = registered(Meanwhile::EndSessions);
    let stamp = block_on(portal.change_password(&user_id, PASSWORD, NEW_PASSWORD)).unwrap();
    assert_ended(&portal, &user_id, &stamp, Meanwhile::EndSessions);
}

/// The e-mail change begun as the password or the sessions change would outlive them (they
/// void the account's codes before this one is stored): it is withdrawn unmailed instead.
#[test]
fn what_lands_as_an_email_change_begins_voids_it() {
    for meanwhile in [Meanwhile::EndSessions, Meanwhile::Reset] {
        let (portal, user_id) = registered(meanwhile);
        let mails = portal.mailer().sent().len();
        let begun = block_on(portal.begin_email_change(&user_id, PASSWORD, "new@example.co.jp"));
        assert!(
            matches!(begun, Err(Error::SessionEnded)),
            "{meanwhile:?} as it began: {begun:?}"
        );
        assert_eq!(
            portal.mailer().sent().len(),
            mails,
            "{meanwhile:?}: a code was mailed"
        );
        assert_eq!(portal.store().inner.challenge_count(), 0, "{meanwhile:?}");
    }
}
