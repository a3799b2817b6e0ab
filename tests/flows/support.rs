//! Shared fixtures: a portal on `MemoryStore`, a recording mailer and a manual clock, with a
//! small roster.

use std::time::{Duration, SystemTime};

pub use pollster::block_on;

use kenpo_auth::{
    BirthDate, Config, HashParams, IdentityForm, InsuredRecord, ManualClock, MemoryStore,
    PendingRegistration, Portal, RecordingMailer, RegistrationForm, SecretKey, UserId,
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

/// サトウ タロウ's form.
pub fn taro() -> IdentityForm {
    IdentityForm {
        number: "568".into(),
        birth_date: "1980-12-31".into(),
        name_kana: "さとうたろう".into(),
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
    let ticket = block_on(fx.portal.authenticate_insured(identity)).unwrap();
    block_on(fx.portal.begin_registration(&ticket, form)).unwrap()
}

/// Registers ケンポ ショウコ as `NGK000123` and returns the user ID.
pub fn register(fx: &Fixture) -> UserId {
    let pending = begin(fx, &shoko(), &registration_form());
    let code = last_code(fx);
    block_on(fx.portal.confirm_registration(&pending, &code)).unwrap()
}
