//! Shared fixtures: throw-away database files, the records the store tests put in a store, and
//! the portal the flow-level tests drive.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use pollster::block_on;

use rusqlite::Connection;

use kenpo_auth::store::TicketId;
use kenpo_auth::store::{
    Account, ChallengeOwner, ChallengePayload, ChallengeRecord, CodeChallenge, CodeMac,
    LimitPolicy, LockSchedule, NewAccount, Purpose, RegistrationOutcome, Store,
};
use kenpo_auth::{
    BirthDate, Config, EmailAddress, HashParams, IdentityForm, InsuredKey, InsuredRecord,
    MemoryStore, PasswordHash, RegistrationForm, SecretKey, SqliteStore, UserId, UserKey,
};

pub const USER_ID: &str = "NGK000123";
pub const PASSWORD: &str = "Sakura#2024x";
pub const NEW_PASSWORD: &str = "Momiji#2025y";
pub const EMAIL: &str = "shoko@example.co.jp";

/// A fresh directory under the system temp dir, removed (with its database files) on drop.
pub struct TempDir {
    path: PathBuf,
}

/// `{process}_{count}_{nanoseconds}`: a name part no other test, thread or process running at
/// the same time has.
pub fn unique_suffix() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kenpo-{tag}-{}", unique_suffix()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self { path }
    }

    /// A file path inside the directory.
    pub fn db(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A `SqliteStore` on a new file, a raw connection to the same file (to plant what the store
/// itself would never write), and the directory that holds them.
pub fn sqlite_file(tag: &str) -> (SqliteStore, Connection, TempDir) {
    let dir = TempDir::new(tag);
    let path = dir.db("store.db");
    let store = SqliteStore::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    (store, raw, dir)
}

/// 2027-01-15T08:00:00Z plus a few nanoseconds, so that exact round trips are tested too.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_800_000_000, 123_456_789)
}

pub fn at(secs: u64) -> SystemTime {
    t0() + Duration::from_secs(secs)
}

pub fn ticket() -> TicketId {
    TicketId::random().unwrap()
}

pub fn mac(byte: u8) -> CodeMac {
    CodeMac::from_bytes([byte; 32])
}

pub fn hash(tag: &str) -> PasswordHash {
    PasswordHash::from_phc(format!("$argon2id$v=19$m=64,t=1,p=1$c2FsdA${tag}"))
}

pub fn user_key(user_id: &str) -> UserKey {
    UserId::parse(user_id).unwrap().key()
}

/// Insured person `number` of union 06139999, symbol 12.
pub fn insured_key(number: &str) -> InsuredKey {
    InsuredKey::new("06139999", "12", number).unwrap()
}

/// The date of birth every [`insured`] person has.
pub fn born() -> BirthDate {
    BirthDate::new(1980, 4, 1).unwrap()
}

pub fn insured(number: &str) -> InsuredRecord {
    InsuredRecord::new("06139999", "12", number, born(), "ケンポ ハナコ").unwrap()
}

pub fn email() -> EmailAddress {
    EmailAddress::parse("member@example.co.jp").unwrap()
}

/// A live code with MAC `mac_byte`, issued at `t0()` for ten minutes, under a fresh id.
pub fn code(purpose: Purpose, mac_byte: u8) -> CodeChallenge {
    CodeChallenge {
        id: ticket(),
        purpose,
        code_mac: mac(mac_byte),
        issued_at: t0(),
        expires_at: at(600),
        attempts: 0,
        sends: 1,
    }
}

/// A registration of `user_id` for insured person `number`, under a fresh sign-up ticket.
pub fn registration(user_id: &str, number: &str, mac_byte: u8) -> ChallengeRecord {
    registration_with(user_id, number, mac_byte, email())
}

pub fn registration_with(
    user_id: &str,
    number: &str,
    mac_byte: u8,
    email: EmailAddress,
) -> ChallengeRecord {
    ChallengeRecord {
        code: code(Purpose::Registration, mac_byte),
        owner: ChallengeOwner::Signup(ticket()),
        payload: ChallengePayload::Registration(NewAccount {
            user_id: UserId::parse(user_id).unwrap(),
            insured_key: insured_key(number),
            birth_date: born(),
            email,
            password_hash: hash("first"),
        }),
    }
}

/// A password reset of `user_id` (a decoy when `decoy`), MAC `mac_byte`.
pub fn reset(user_id: &str, decoy: bool, mac_byte: u8) -> ChallengeRecord {
    ChallengeRecord {
        code: code(Purpose::PasswordReset, mac_byte),
        owner: ChallengeOwner::Account(user_key(user_id)),
        payload: if decoy {
            ChallengePayload::DecoyReset
        } else {
            ChallengePayload::PasswordReset
        },
    }
}

/// Stores a registration of `user_id` for `number` and completes it with its MAC: the account
/// is created.
pub fn register<S: Store>(store: &S, user_id: &str, number: &str) {
    let record = registration(user_id, number, 7);
    let id = record.code.id;
    block_on(store.insert_challenge(record)).unwrap();
    let outcome = block_on(store.complete_registration(id, &mac(7), t0())).unwrap();
    assert_eq!(outcome, RegistrationOutcome::Created, "{user_id}");
}

/// A login-like budget: a 30-minute lock after every `every` attempts (doubling up to a day),
/// an optional ceiling, never forgotten.
pub fn lock_policy(every: u32, ceiling: Option<u32>) -> LimitPolicy {
    LimitPolicy {
        locks: Some(LockSchedule {
            every,
            first: Duration::from_secs(1800),
            max: Duration::from_secs(86_400),
        }),
        ceiling,
        forget_after: None,
    }
}

/// A budget with a ceiling and no locks.
pub fn ceiling_policy(ceiling: u32) -> LimitPolicy {
    LimitPolicy {
        locks: None,
        ceiling: Some(ceiling),
        forget_after: None,
    }
}

/// What the flow-level tests need to know of a store beyond the trait.
pub trait Inspect: Store + Clone {
    /// A fresh, empty store.
    fn fresh() -> Self;
    fn add(&self, record: InsuredRecord);
    fn accounts(&self) -> Vec<Account>;
    fn challenges(&self) -> usize;
    fn counters(&self) -> usize;
}

impl Inspect for MemoryStore {
    fn fresh() -> Self {
        Self::new()
    }
    fn add(&self, record: InsuredRecord) {
        self.add_insured(record);
    }
    fn accounts(&self) -> Vec<Account> {
        Self::accounts(self)
    }
    fn challenges(&self) -> usize {
        self.challenge_count()
    }
    fn counters(&self) -> usize {
        self.counter_count()
    }
}

impl Inspect for SqliteStore {
    fn fresh() -> Self {
        Self::open_in_memory().unwrap()
    }
    fn add(&self, record: InsuredRecord) {
        self.add_insured(record).unwrap();
    }
    fn accounts(&self) -> Vec<Account> {
        Self::accounts(self).unwrap()
    }
    fn challenges(&self) -> usize {
        self.challenge_count().unwrap()
    }
    fn counters(&self) -> usize {
        self.counter_count().unwrap()
    }
}

/// The portal's settings in these tests: the design's rules, small argon2 parameters, a fixed
/// key, and no resend cooldown (the flows resend at once).
pub fn portal_config() -> Config {
    Config {
        hash_params: HashParams::insecure_for_tests(),
        secret_key: SecretKey::from_bytes([42; 32]),
        code_resend_cooldown: Duration::ZERO,
        ..Config::default()
    }
}

/// ケンポ ショウコ, insured person 06139999 / 1234 / 567, on the roster.
pub fn shoko_record() -> InsuredRecord {
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    InsuredRecord::new("06139999", "1234", "567", birth, "ケンポ ショウコ").unwrap()
}

/// ケンポ ショウコ's first-authentication form, filled in from her roster entry.
pub fn shoko() -> IdentityForm {
    let record = shoko_record();
    IdentityForm {
        insurer_code: record.key().insurer_code().into(),
        symbol: record.key().symbol().into(),
        number: record.key().number().into(),
        birth_date: record.birth_date().to_string(),
        name_kana: record.name().as_str().into(),
    }
}

pub fn registration_form() -> RegistrationForm {
    RegistrationForm {
        user_id: USER_ID.into(),
        password: PASSWORD.into(),
        email: EMAIL.into(),
    }
}

/// Runs a scenario on each store, as one test per store. (Unused where `tests/postgres`
/// includes this file.)
#[allow(unused_macros)]
macro_rules! on_both_stores {
    ($($scenario:ident: $memory_test:ident, $sqlite_test:ident;)*) => {$(
        #[test]
        fn $memory_test() {
            $scenario::<MemoryStore>();
        }

        #[test]
        fn $sqlite_test() {
            $scenario::<SqliteStore>();
        }
    )*};
}
#[allow(unused_imports)]
pub(crate) use on_both_stores;

/// Every check of `testkit::run`, in the order it runs them (src/testkit.rs).
pub const CHECKS: [&str; 37] = [
    "roster",
    "signups",
    "challenges",
    "owner_voids",
    "code_attempts",
    "update_code",
    "registration",
    "user_id_taken",
    "insured_has_account",
    "password_reset",
    "password_hash_cas",
    "terms",
    "counters",
    "counters_forget",
    "purge",
    "purge_keeps_budgets",
    "roster_import",
    "roster_refused",
    "roster_removals",
    "roster_keeps_coverage_ends",
    "coverage",
    "change_password",
    "email_change",
    "record_login",
    "end_sessions",
    "find_counter",
    "delete_account",
    "race_consume",
    "race_attempts",
    "race_user_ids",
    "race_lock",
    "race_ceiling",
    "race_reset",
    "race_owner",
    "race_import",
    "race_email_change",
    "race_end_sessions",
];

pub fn assert_every_check_passed(report: &kenpo_auth::testkit::Report) {
    assert_eq!(report.passed.len(), CHECKS.len());
    assert_eq!(report.passed, CHECKS);
}

/// A store method passed straight to the wrapper's `inner` store (the `$via` of
/// [`pass_on!`] for the methods a wrapper leaves alone).
macro_rules! to_inner {
    ($s:tt, $method:ident, $($arg:ident),*) => {
        $s.inner.$method($($arg),*).await
    };
}
#[allow(unused_imports)]
pub(crate) use to_inner;

/// `Store` methods that a wrapper passes on, each through `$via!(self, method, args…)`: the
/// signature of every method written once for the test wrappers (planted bugs, injected
/// faults, several pools). A wrapper lists the methods it passes on and writes the others.
///
/// ```text
/// impl Store for Wrapper { type Error = …; pass_on!(to_inner: find_insured, find_account); … }
/// impl Store for Whole { type Error = …; pass_on!(to_inner: all); }
/// ```
macro_rules! pass_on {
    ($via:ident: all) => {
        pass_on!($via:
            find_insured, acquire_attempt, clear_attempts, insert_signup, find_signup,
            insert_challenge, find_challenge, count_code_attempt, delete_challenge,
            complete_registration, complete_password_reset, find_account, find_account_by_insured,
            update_password_hash, record_terms_acceptance, purge_expired, set_coverage_end,
            count_roster, change_password, complete_email_change, record_login, end_sessions,
            find_counter,
            delete_account, import_roster, update_code
        );
    };
    ($via:ident: $($method:ident),* $(,)?) => { $( pass_on!(@one $via $method); )* };
    (@one $via:ident find_insured) => { pass_on!(@fn $via find_insured(key: &kenpo_auth::InsuredKey) -> Option<kenpo_auth::InsuredRecord>); };
    (@one $via:ident acquire_attempt) => { pass_on!(@fn $via acquire_attempt(key: &kenpo_auth::store::CounterKey, now: std::time::SystemTime, policy: kenpo_auth::store::LimitPolicy) -> kenpo_auth::store::AttemptGate); };
    (@one $via:ident clear_attempts) => { pass_on!(@fn $via clear_attempts(key: &kenpo_auth::store::CounterKey) -> ()); };
    (@one $via:ident insert_signup) => { pass_on!(@fn $via insert_signup(record: kenpo_auth::store::SignupRecord) -> ()); };
    (@one $via:ident find_signup) => { pass_on!(@fn $via find_signup(id: kenpo_auth::store::TicketId) -> Option<kenpo_auth::store::SignupRecord>); };
    (@one $via:ident insert_challenge) => { pass_on!(@fn $via insert_challenge(record: kenpo_auth::store::ChallengeRecord) -> ()); };
    (@one $via:ident find_challenge) => { pass_on!(@fn $via find_challenge(id: kenpo_auth::store::TicketId) -> Option<kenpo_auth::store::ChallengeRecord>); };
    (@one $via:ident count_code_attempt) => { pass_on!(@fn $via count_code_attempt(id: kenpo_auth::store::TicketId) -> Option<kenpo_auth::store::ChallengeRecord>); };
    (@one $via:ident delete_challenge) => { pass_on!(@fn $via delete_challenge(id: kenpo_auth::store::TicketId) -> ()); };
    (@one $via:ident complete_registration) => { pass_on!(@fn $via complete_registration(id: kenpo_auth::store::TicketId, code_mac: &kenpo_auth::store::CodeMac, now: std::time::SystemTime) -> kenpo_auth::store::RegistrationOutcome); };
    (@one $via:ident complete_password_reset) => { pass_on!(@fn $via complete_password_reset(id: kenpo_auth::store::TicketId, code_mac: &kenpo_auth::store::CodeMac, new_hash: kenpo_auth::PasswordHash) -> bool); };
    (@one $via:ident find_account) => { pass_on!(@fn $via find_account(user: &kenpo_auth::UserKey) -> Option<kenpo_auth::store::Account>); };
    (@one $via:ident find_account_by_insured) => { pass_on!(@fn $via find_account_by_insured(key: &kenpo_auth::InsuredKey) -> Option<kenpo_auth::store::Account>); };
    (@one $via:ident update_password_hash) => { pass_on!(@fn $via update_password_hash(user: &kenpo_auth::UserKey, expected: &kenpo_auth::PasswordHash, new_hash: kenpo_auth::PasswordHash) -> bool); };
    (@one $via:ident record_terms_acceptance) => { pass_on!(@fn $via record_terms_acceptance(user: &kenpo_auth::UserKey, version: kenpo_auth::TermsVersion) -> bool); };
    (@one $via:ident purge_expired) => { pass_on!(@fn $via purge_expired(now: std::time::SystemTime, grace: std::time::Duration) -> u64); };
    (@one $via:ident set_coverage_end) => { pass_on!(@fn $via set_coverage_end(key: &kenpo_auth::InsuredKey, end: Option<kenpo_auth::CoverageEnd>) -> bool); };
    (@one $via:ident count_roster) => { pass_on!(@fn $via count_roster(insurer_code: &str) -> u64); };
    (@one $via:ident change_password) => { pass_on!(@fn $via change_password(user: &kenpo_auth::UserKey, expected: &kenpo_auth::PasswordHash, new_hash: kenpo_auth::PasswordHash) -> bool); };
    (@one $via:ident complete_email_change) => { pass_on!(@fn $via complete_email_change(id: kenpo_auth::store::TicketId, code_mac: &kenpo_auth::store::CodeMac) -> Option<kenpo_auth::EmailAddress>); };
    (@one $via:ident record_login) => { pass_on!(@fn $via record_login(user: &kenpo_auth::UserKey, at: std::time::SystemTime) -> bool); };
    (@one $via:ident end_sessions) => { pass_on!(@fn $via end_sessions(user: &kenpo_auth::UserKey) -> Option<u64>); };
    (@one $via:ident find_counter) => { pass_on!(@fn $via find_counter(key: &kenpo_auth::store::CounterKey) -> Option<kenpo_auth::store::AttemptCounter>); };
    (@one $via:ident delete_account) => { pass_on!(@fn $via delete_account(user: &kenpo_auth::UserKey) -> bool); };
    (@one $via:ident import_roster) => {
        async fn import_roster<I>(
            &self,
            insurer_code: &str,
            entries: I,
            mode: kenpo_auth::store::ImportMode,
        ) -> Result<kenpo_auth::store::RosterChanges, Self::Error>
        where
            I: Iterator<Item = kenpo_auth::store::RosterEntry> + Send,
        {
            $via!(self, import_roster, insurer_code, entries, mode)
        }
    };
    (@one $via:ident update_code) => {
        async fn update_code<F, R>(
            &self,
            id: kenpo_auth::store::TicketId,
            change: F,
        ) -> Result<Option<R>, Self::Error>
        where
            F: FnOnce(&mut kenpo_auth::store::CodeChallenge) -> R + Send,
            R: Send,
        {
            $via!(self, update_code, id, change)
        }
    };
    (@fn $via:ident $method:ident($($arg:ident: $type:ty),*) -> $output:ty) => {
        async fn $method(&self, $($arg: $type),*) -> Result<$output, Self::Error> {
            $via!(self, $method, $($arg),*)
        }
    };
}
#[allow(unused_imports)]
pub(crate) use pass_on;
