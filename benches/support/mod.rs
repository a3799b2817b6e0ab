//! What the benches share: roster entries registered through the portal, a mailer that keeps
//! the codes, the timing helpers behind the summaries they print beside Criterion's, and the
//! `main` of the benches that run on Tokio. Each bench uses the part it
//! needs, so the rest is dead code in it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kenpo_auth::{
    BirthDate, IdentityForm, InsuredRecord, Mail, Mailer, Portal, RegistrationForm, Store,
};
use pollster::block_on;

pub(crate) const PASSWORD: &str = "Sakura#2024x";

/// Roster entry `n`: ケンポ ショウコ, born 1975-03-02, insured person 06139999 / 1234 / `n`.
pub(crate) fn insured(n: u64) -> InsuredRecord {
    insured_of("06139999", n)
}

/// Roster entry `n` of insurer `insurer`: ケンポ ショウコ, born 1975-03-02, insured person
/// `insurer` / 1234 / `n`.
pub(crate) fn insured_of(insurer: &str, n: u64) -> InsuredRecord {
    let birth = BirthDate::new(1975, 3, 2).unwrap();
    InsuredRecord::new(insurer, "1234", &n.to_string(), birth, "ケンポ ショウコ").unwrap()
}

/// The first-authentication form of roster entry `n` of insurer `insurer`, typed as the roster
/// spells it.
pub(crate) fn identity_of(insurer: &str, n: u64) -> IdentityForm {
    IdentityForm {
        insurer_code: insurer.into(),
        symbol: "1234".into(),
        number: n.to_string(),
        birth_date: "1975-03-02".into(),
        name_kana: "ケンポ ショウコ".into(),
    }
}

/// Roster entry `n`'s first-authentication form, and the registration form of user ID
/// `NGK000000n` (seven digits) with its own address.
pub(crate) fn person(n: u64) -> (IdentityForm, RegistrationForm) {
    let form = RegistrationForm {
        user_id: format!("NGK{n:07}"),
        password: PASSWORD.into(),
        email: format!("m{n}@example.co.jp"),
    };
    (identity_of("06139999", n), form)
}

/// Steps 1-2 to 1-4 of the manual for roster entry `n`; `mailed_code` reads from the mailer the
/// code mailed to an address. The user ID.
pub(crate) fn register<S: Store, M: Mailer>(
    portal: &Portal<S, M>,
    n: u64,
    mailed_code: impl Fn(&M, &str) -> String,
) -> String {
    let (identity, form) = person(n);
    let ticket = block_on(portal.authenticate_insured(&identity)).unwrap();
    let pending = block_on(portal.begin_registration(&ticket, &form)).unwrap();
    let code = mailed_code(portal.mailer(), &form.email);
    block_on(portal.confirm_registration(&pending, &code)).unwrap();
    form.user_id
}

/// Remembers the last code mailed to each address.
#[derive(Clone, Default)]
pub(crate) struct CodeMailer {
    codes: Arc<Mutex<HashMap<String, String>>>,
}

impl CodeMailer {
    /// The last code mailed to `address`.
    pub(crate) fn code_for(&self, address: &str) -> String {
        self.codes.lock().unwrap().get(address).unwrap().clone()
    }
}

impl Mailer for CodeMailer {
    type Error = Infallible;

    async fn send(&self, mail: Mail) -> Result<(), Infallible> {
        if let Some(code) = mail.code() {
            self.codes
                .lock()
                .unwrap()
                .insert(mail.to.as_str().to_owned(), code);
        }
        Ok(())
    }
}

/// The `main` of a bench that runs on Tokio: `run` on a multi-threaded runtime, under
/// `cargo bench` only (it passes `--bench`; `cargo test --benches` passes nothing).
pub(crate) fn main_on_tokio(run: impl Future<Output = ()>) {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run);
}

/// Seconds per call of `f`, from `rounds` calls in a row.
pub(crate) fn per_call(f: &mut dyn FnMut(), rounds: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    start.elapsed().as_secs_f64() / f64::from(rounds)
}

/// The median of `values`, which it reorders.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f64::total_cmp).1
}
