//! Shared fixtures: a portal on `MemoryStore`, a recording mailer and a manual clock, with a
//! small roster; the steps many flows take on the way to what they test; and `assert_error!`.

use std::time::{Duration, SystemTime};

pub use pollster::block_on;

use kenpo_auth::{
    BirthDate, Config, CoverageEnd, EmailAddress, Error, HashParams, HelpDeskView, IdentityForm,
    InsuredKey, InsuredRecord, LoginSuccess, ManualClock, MemoryStore, PasswordHash,
    PasswordResetTicket, PendingEmailChange, PendingRegistration, Portal, RecordingMailer,
    RegistrationForm, SecretKey, SessionStamp, SignupTicket, Store, TermsVersion, UserId,
};

pub type TestPortal = Portal<MemoryStore, RecordingMailer, ManualClock>;

pub const MINUTE: Duration = Duration::from_secs(60);
pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);
pub const USER_ID: &str = "NGK000123";
pub const PASSWORD: &str = "Sakura#2024x";
pub const NEW_PASSWORD: &str = "Momiji(2025)z";
pub const WRONG_PASSWORD: &str = "Wrong#pass1";
pub const EMAIL: &str = "shoko@example.co.jp";
/// A well-formed reset code that no mail ever carries (its alphabet has no `0`/`1`, so any
/// random code differs in at least one place with overwhelming likelihood).
pub const WRONG_RESET_CODE: &str = "2222-2222-2222";

pub struct Fixture {
    pub portal: TestPortal,
    pub store: MemoryStore,
    pub mailer: RecordingMailer,
    pub clock: ManualClock,
}

/// Makes each of the portal's steps a method of `Fixture` that runs it to completion, so that
/// the flows read as the manual's steps rather than as futures.
macro_rules! steps_run_to_completion {
    ($($step:ident($($arg:ident: $type:ty),*) -> $output:ty;)*) => {
        impl Fixture {
            $(pub fn $step(&self, $($arg: $type),*) -> Result<$output, Error> {
                block_on(self.portal.$step($($arg),*))
            })*
        }
    };
}

steps_run_to_completion! {
    authenticate_insured(form: &IdentityForm) -> SignupTicket;
    begin_registration(ticket: &SignupTicket, form: &RegistrationForm) -> PendingRegistration;
    resend_code(pending: &PendingRegistration) -> ();
    resend_wait(pending: &PendingRegistration) -> Duration;
    confirm_registration(pending: &PendingRegistration, code: &str) -> UserId;
    login(user_id: &str, password: &str) -> LoginSuccess;
    login_with_stamp(user_id: &str, password: &str) -> (LoginSuccess, SessionStamp);
    accept_terms(user_id: &UserId, version: TermsVersion) -> ();
    request_password_reset(user_id: &str) -> PasswordResetTicket;
    reset_password(ticket: &PasswordResetTicket, code: &str, new_password: &str) -> ();
    remind_user_id(form: &IdentityForm, email: &str) -> ();
    unlock_account(user_id: &UserId) -> ();
    change_password(user_id: &UserId, current: &str, new: &str) -> SessionStamp;
    begin_email_change(user_id: &UserId, current: &str, new_email: &str) -> PendingEmailChange;
    resend_email_change_code(pending: &PendingEmailChange) -> ();
    confirm_email_change(pending: &PendingEmailChange, code: &str) -> EmailAddress;
    end_coverage(key: &InsuredKey, end: CoverageEnd) -> bool;
    restore_coverage(key: &InsuredKey) -> bool;
    roster_count(insurer_code: &str) -> u64;
    help_desk_find(insurer_code: &str, symbol: &str, number: &str) -> Option<HelpDeskView>;
    help_desk_delete_account(user_id: &UserId) -> ();
    help_desk_end_sessions(user_id: &UserId) -> ();
    check_session(user_id: &UserId, stamp: &SessionStamp) -> ();
    end_other_sessions(user_id: &UserId, current_password: &str) -> SessionStamp;
}

/// ケンポ ショウコ's key on the roster.
pub fn shoko_key() -> InsuredKey {
    InsuredKey::new("06139999", "1234", "567").unwrap()
}

/// A day that has passed at [`start`] (so coverage ending on it has ended).
pub fn yesterday() -> CoverageEnd {
    CoverageEnd::new(2026, 9, 20).unwrap()
}

/// The configuration the tests use: the design's rules with small argon2 parameters.
pub fn test_config() -> Config {
    Config {
        hash_params: HashParams::insecure_for_tests(),
        secret_key: SecretKey::from_bytes([42; 32]),
        ..Config::default()
    }
}

pub fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

pub fn fixture() -> Fixture {
    fixture_with(test_config())
}

pub fn fixture_with(config: Config) -> Fixture {
    let store = MemoryStore::new();
    for (number, birth, name) in [
        ("567", (1975, 3, 2), "ケンポ ショウコ"),
        ("568", (1980, 12, 31), "サトウ タロウ"),
        ("569", (1990, 1, 15), "ヤマダ ハナコ"),
    ] {
        let birth = BirthDate::new(birth.0, birth.1, birth.2).unwrap();
        store.add_insured(InsuredRecord::new("06139999", "1234", number, birth, name).unwrap());
    }
    let mailer = RecordingMailer::new();
    let clock = ManualClock::new(start());
    let portal = Portal::new(store.clone(), mailer.clone(), config).with_clock(clock.clone());
    Fixture {
        portal,
        store,
        mailer,
        clock,
    }
}

/// The first-authentication form of ケンポ ショウコ, typed the way the manual's example does.
pub fn shoko() -> IdentityForm {
    IdentityForm {
        insurer_code: "06139999".into(),
        symbol: "1234".into(),
        number: "567".into(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンホ シヨウコ".into(),
    }
}

/// ヨコ ハナコ, to whom the insurer gives ケンポ ショウコ's number 567 later: her roster entry.
pub fn yoko_record() -> InsuredRecord {
    let birth = BirthDate::new(2001, 5, 6).unwrap();
    InsuredRecord::new("06139999", "1234", "567", birth, "ヨコ ハナコ").unwrap()
}

/// ヨコ ハナコ's first-authentication form.
pub fn yoko() -> IdentityForm {
    IdentityForm {
        birth_date: "2001-05-06".into(),
        name_kana: "ヨコ ハナコ".into(),
        ..shoko()
    }
}

/// サトウ タロウ's form.
pub fn taro() -> IdentityForm {
    IdentityForm {
        number: "568".into(),
        birth_date: "1980-12-31".into(),
        name_kana: "さとうたろう".into(),
        ..shoko()
    }
}

/// ケンポ ショウコ's form with her name typed as `name_kana`.
pub fn shoko_named(name_kana: &str) -> IdentityForm {
    IdentityForm {
        name_kana: name_kana.into(),
        ..shoko()
    }
}

/// ケンポ ショウコ's form with a number no one on the roster has.
pub fn unknown_number() -> IdentityForm {
    IdentityForm {
        number: "999".into(),
        ..shoko()
    }
}

/// ケンポ ショウコ's form with the wrong birth date.
pub fn shoko_wrong_birth() -> IdentityForm {
    IdentityForm {
        birth_date: "1975-03-03".into(),
        ..shoko()
    }
}

pub fn registration_form() -> RegistrationForm {
    RegistrationForm {
        user_id: USER_ID.into(),
        password: PASSWORD.into(),
        email: EMAIL.into(),
    }
}

/// The usual registration form under another user ID.
pub fn with_user_id(user_id: &str) -> RegistrationForm {
    RegistrationForm {
        user_id: user_id.into(),
        ..registration_form()
    }
}

/// The usual registration form with another password.
pub fn with_password(password: &str) -> RegistrationForm {
    RegistrationForm {
        password: password.into(),
        ..registration_form()
    }
}

/// The usual registration form with another e-mail address.
pub fn with_email(email: &str) -> RegistrationForm {
    RegistrationForm {
        email: email.into(),
        ..registration_form()
    }
}

/// The code of the most recent mail, as the member would type it.
pub fn last_code(fx: &Fixture) -> String {
    fx.mailer.last_code().expect("the last mail carries a code")
}

/// A six-digit code that is not `code`.
pub fn wrong(code: &str) -> String {
    let first = code.as_bytes()[0];
    let other = if first == b'9' {
        '0'
    } else {
        char::from(first + 1)
    };
    format!("{other}{}", &code[1..])
}

/// Steps 1-2 and 1-3 for `identity` with `form`.
pub fn begin(
    fx: &Fixture,
    identity: &IdentityForm,
    form: &RegistrationForm,
) -> PendingRegistration {
    let ticket = fx.authenticate_insured(identity).unwrap();
    fx.begin_registration(&ticket, form).unwrap()
}

/// Registers ケンポ ショウコ as `NGK000123` and returns the user ID.
pub fn register(fx: &Fixture) -> UserId {
    register_with(fx, &authenticated(fx, &shoko()))
}

/// Steps 1-3 and 1-4 under `ticket` with the usual form: the user ID.
pub fn register_with(fx: &Fixture, ticket: &SignupTicket) -> UserId {
    let pending = fx.begin_registration(ticket, &registration_form()).unwrap();
    fx.confirm_registration(&pending, &last_code(fx)).unwrap()
}

/// A fixture in which ケンポ ショウコ has registered as `NGK000123`.
pub fn registered() -> Fixture {
    let fx = fixture();
    register(&fx);
    fx
}

/// Asserts that `$result` is an error matching `$pattern` and gives the error back, for the
/// assertions that follow. An optional last argument says what the case shows.
macro_rules! assert_error {
    ($result:expr, $pattern:pat $(if $guard:expr)?) => {{
        let error = $result.unwrap_err();
        assert!(matches!(error, $pattern $(if $guard)?), "{:?}", error);
        error
    }};
    ($result:expr, $pattern:pat $(if $guard:expr)?, $why:literal) => {{
        let error = $result.unwrap_err();
        // `format!` on the caller's literal, so that `{name}` captures the caller's variables.
        assert!(matches!(error, $pattern $(if $guard)?), "{}: {:?}", format!($why), error);
        error
    }};
}
pub(crate) use assert_error;

/// Step 1-2 for `identity`: the sign-up ticket.
pub fn authenticated(fx: &Fixture, identity: &IdentityForm) -> SignupTicket {
    fx.authenticate_insured(identity).unwrap()
}

/// Steps 1-2 and 1-3 for ケンポ ショウコ with the usual form, and the code the mail carries.
pub fn mailed_registration(fx: &Fixture) -> (PendingRegistration, String) {
    let pending = begin(fx, &shoko(), &registration_form());
    (pending, last_code(fx))
}

/// ケンポ ショウコ's registration with `form` instead of the usual one, which must be refused:
/// the error.
pub fn refused_registration(fx: &Fixture, form: &RegistrationForm) -> Error {
    let ticket = authenticated(fx, &shoko());
    fx.begin_registration(&ticket, form).unwrap_err()
}

/// Enters `n` wrong codes for `pending` (whose code is `code`); each is refused.
pub fn enter_wrong_codes(fx: &Fixture, pending: &PendingRegistration, code: &str, n: usize) {
    for _ in 0..n {
        fx.confirm_registration(pending, &wrong(code)).unwrap_err();
    }
}

/// Asks for `n` more codes for `pending`, a minute apart so that no resend waits.
pub fn resend_minutely(fx: &Fixture, pending: &PendingRegistration, n: usize) {
    for _ in 0..n {
        fx.clock.advance(MINUTE);
        fx.resend_code(pending).unwrap();
    }
}

/// `n` first authentications of ケンポ ショウコ with the wrong birth date in a row; each is
/// refused as not confirmed.
pub fn fail_identity(fx: &Fixture, n: usize) {
    for _ in 0..n {
        let identity = shoko_wrong_birth();
        assert_error!(
            fx.authenticate_insured(&identity),
            Error::IdentityNotConfirmed
        );
    }
}

/// `n` logins of `user_id` with the wrong password in a row; each is refused as a failed
/// authentication (so none of them meets a lock).
pub fn fail_logins(fx: &Fixture, user_id: &str, n: usize) {
    for _ in 0..n {
        assert_error!(
            fx.login(user_id, WRONG_PASSWORD),
            Error::AuthenticationFailed
        );
    }
}

/// `n` failed logins of `user_id` with the wrong password, waiting out every lock on the way.
pub fn fail_logins_waiting_out_locks(fx: &Fixture, user_id: &str, n: usize) {
    let mut done = 0;
    while done < n {
        match fx.login(user_id, WRONG_PASSWORD) {
            Err(Error::AuthenticationFailed) => done += 1,
            Err(Error::AccountLocked { retry_after }) => fx.clock.advance(retry_after),
            other => panic!("{other:?}"),
        }
    }
}

/// Asks for a password reset of `USER_ID`: the ticket, and the code the mail carries.
pub fn mailed_reset(fx: &Fixture) -> (PasswordResetTicket, String) {
    let ticket = fx.request_password_reset(USER_ID).unwrap();
    (ticket, last_code(fx))
}

/// Sets `USER_ID`'s password to `NEW_PASSWORD` through a mailed reset code.
pub fn reset_to_new_password(fx: &Fixture) {
    let (ticket, code) = mailed_reset(fx);
    fx.reset_password(&ticket, &code, NEW_PASSWORD).unwrap();
}

/// Replaces the member's stored hash with one whose parameters ask for 1 GiB and 64 passes
/// (the test parameters times four is m=32), as a tampered or foreign database might hold.
pub fn store_too_costly_hash(fx: &Fixture) {
    let account = fx.store.accounts().pop().unwrap();
    let tampered = PasswordHash::from_phc(
        "$argon2id$v=19$m=1048576,t=64,p=1$c2FsdHNhbHRzYWx0c2FsdA$\
         AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    let key = account.user_id.key();
    assert!(
        block_on(
            fx.store
                .update_password_hash(&key, &account.password_hash, tampered)
        )
        .unwrap()
    );
}
