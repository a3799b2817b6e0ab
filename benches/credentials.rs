//! Credentials benchmarks: the three validators beside regex-based equivalents, the password
//! blocklist on short and adversarial 1,024-byte input, the early cut of oversized input, and
//! argon2id `hash`, `verify` and `verify_dummy` at the default parameters.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use kenpo_auth::{EmailAddress, HashParams, NewPassword, PasswordHasher, PasswordPolicy, UserId};
use regex::Regex;
use unicode_normalization::UnicodeNormalization;

mod support;
use support::{median, per_call};

const USER_IDS: [&str; 3] = ["NGK0001234", "taro.yamada+kenpo@example", "NGK 0001"];
const PASSWORDS: [&str; 3] = ["Kenpo#2024x", "kqzvx7!wbmtrp3?yhjcd", "Kenpo2024x"];
const EMAILS: [&str; 3] = [
    "taro.kenpo@example.co.jp",
    "ngk0001+survey@mail.example-kenpo.or.jp",
    "ab..cd@docomo.ne.jp",
];
/// ドメイン.テスト: an address whose domain labels are IDNA A-labels.
const IDN_EMAIL: &str = "taro@xn--eckwd4c7c.xn--zckzah";

/// Benchmarks `check` over every one of `inputs` per iteration.
fn bench_each<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    inputs: &[&str],
    check: impl Fn(&str) -> T,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            for s in inputs {
                black_box(check(black_box(s)));
            }
        });
    });
}

/// Times `a` and `b` in alternation for `rounds` rounds, in ABBA order so that neither always
/// runs first and load drifting on a shared machine skews neither; each time is the mean of
/// `calls` calls. The median time of `a`, of `b`, and the median of the rounds' ratios b/a.
fn abba(rounds: usize, calls: u32, a: &dyn Fn(), b: &dyn Fn()) -> (f64, f64, f64) {
    let time = |f: &dyn Fn()| per_call(&mut || f(), calls);
    let mut ratios = Vec::with_capacity(rounds);
    let (mut a_times, mut b_times) = (
        Vec::with_capacity(2 * rounds),
        Vec::with_capacity(2 * rounds),
    );
    for _ in 0..rounds {
        let (a1, b1, b2, a2) = (time(a), time(b), time(b), time(a));
        ratios.push((b1 + b2) / (a1 + a2));
        a_times.extend([a1, a2]);
        b_times.extend([b1, b2]);
    }
    (
        median(&mut a_times),
        median(&mut b_times),
        median(&mut ratios),
    )
}

fn validators(c: &mut Criterion) {
    let user_id_re = Regex::new(r"^[A-Za-z0-9@\-_.+]{6,50}$").unwrap();
    let mut group = c.benchmark_group("user_id");
    bench_each(&mut group, "UserId::parse", &USER_IDS, |s| {
        UserId::parse(s).is_ok()
    });
    bench_each(&mut group, "regex baseline", &USER_IDS, |s| {
        user_id_re.is_match(s)
    });
    group.finish();

    // The manual's composition rule alone, beside the regex set that expresses it.
    let mut composition = PasswordPolicy::default();
    composition.forbid_common = false;
    composition.forbid_user_id = false;
    composition.forbid_repetition = false;
    composition.forbid_sequences = false;
    let charset_re = Regex::new(r"^[A-Za-z0-9?!@#%&()_+]{8,20}$").unwrap();
    let letter_re = Regex::new(r"[A-Za-z]").unwrap();
    let digit_re = Regex::new(r"[0-9]").unwrap();
    let symbol_re = Regex::new(r"[?!@#%&()_+]").unwrap();
    let default_policy = PasswordPolicy::default();
    let mut group = c.benchmark_group("password");
    bench_each(&mut group, "check (composition only)", &PASSWORDS, |s| {
        composition.check(s, None).is_ok()
    });
    bench_each(
        &mut group,
        "regex baseline (composition only)",
        &PASSWORDS,
        |s| {
            charset_re.is_match(s)
                && letter_re.is_match(s)
                && digit_re.is_match(s)
                && symbol_re.is_match(s)
        },
    );
    bench_each(
        &mut group,
        "check (default: + blocklist)",
        &PASSWORDS,
        |s| default_policy.check(s, None).is_ok(),
    );
    group.finish();

    blocklist_and_oversized_input(c);

    let email_re = Regex::new(
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
    )
    .unwrap();
    let mut group = c.benchmark_group("email");
    bench_each(&mut group, "EmailAddress::parse", &EMAILS, |s| {
        EmailAddress::parse(s).is_ok()
    });
    // An IDN domain in its A-label form: the only input that takes the IDNA check.
    bench_each(
        &mut group,
        "EmailAddress::parse xn-- domain",
        &[IDN_EMAIL],
        |s| EmailAddress::parse(s).is_ok(),
    );
    bench_each(&mut group, "regex baseline", &EMAILS, |s| {
        s.len() <= 254 && email_re.is_match(s)
    });
    group.finish();
}

/// 1,024-byte inputs built to make the blocklist search work hardest: long runs of characters
/// with several readings (`1` is 1, i or l; `!` is !, i or 1) around a single letter, so that
/// every cut is a candidate and many list prefixes match. The first is the worst shape found;
/// it uses up the search's whole step budget.
fn adversarial_1024() -> [String; 3] {
    [
        format!("{}o{}", "1".repeat(511), "1".repeat(512)),
        format!("{}i{}", "!1".repeat(256), "1!".repeat(255)),
        "1".repeat(1_024),
    ]
}

fn blocklist_and_oversized_input(c: &mut Criterion) {
    let adversarial = adversarial_1024();
    let default_policy = PasswordPolicy::default();
    let nist = PasswordPolicy::nist_800_63b();
    let huge = "ｶﾝﾎﾟ".repeat((16usize << 20).div_ceil(12));
    assert!(huge.len() >= 16 << 20);

    let mut group = c.benchmark_group("blocklist");
    bench_each(
        &mut group,
        "is_common (3 short passwords)",
        &PASSWORDS,
        PasswordPolicy::is_common,
    );
    let adversarial_inputs: Vec<&str> = adversarial.iter().map(String::as_str).collect();
    bench_each(
        &mut group,
        "is_common (3 adversarial 1,024-byte inputs)",
        &adversarial_inputs,
        PasswordPolicy::is_common,
    );
    group.finish();

    let mut group = c.benchmark_group("oversized input");
    group.bench_function("check default, short", |b| {
        b.iter(|| black_box(default_policy.check(black_box("Kenpo#2024x"), None).is_ok()));
    });
    group.bench_function("check default, 16 MiB", |b| {
        b.iter(|| black_box(default_policy.check(black_box(&huge), None).is_ok()));
    });
    group.bench_function("check NIST, 16 MiB", |b| {
        b.iter(|| black_box(nist.check(black_box(&huge), None).is_ok()));
    });
    group.bench_function("normalize_for_login NIST, 16 MiB", |b| {
        b.iter(|| black_box(nist.normalize_for_login(black_box(&huge)).len()));
    });
    group.finish();

    // What check and normalize_for_login did with such input before the cut: NFKC over all
    // of it (and, under the manual's policy, a copy and the blocklist over all of it).
    let mut group = c.benchmark_group("oversized input, before the cut");
    group.sample_size(10);
    group.bench_function("NFKC of 16 MiB", |b| {
        b.iter(|| black_box(black_box(&huge).nfkc().count()));
    });
    group.finish();

    // Ratios measured in alternation, like the argon2 comparison below.
    let median_ratio = |label: &str, a: &dyn Fn(), b: &dyn Fn()| {
        let (a, b, ratio) = abba(200, 20, a, b);
        eprintln!(
            "{label}: median {:.2} µs vs {:.2} µs, median ratio {ratio:.2}",
            a * 1e6,
            b * 1e6,
        );
    };
    median_ratio(
        "check default: short vs worst adversarial 1,024 bytes",
        &|| {
            black_box(default_policy.check(black_box("Kenpo#2024x"), None).is_ok());
        },
        &|| {
            black_box(
                default_policy
                    .check(black_box(&adversarial[0]), None)
                    .is_ok(),
            );
        },
    );
    median_ratio(
        "is_common: short vs worst adversarial 1,024 bytes",
        &|| {
            black_box(PasswordPolicy::is_common(black_box("Kenpo#2024x")));
        },
        &|| {
            black_box(PasswordPolicy::is_common(black_box(&adversarial[0])));
        },
    );
    median_ratio(
        "check NIST: short vs 16 MiB",
        &|| {
            black_box(nist.check(black_box("correct horse battery"), None).is_ok());
        },
        &|| {
            black_box(nist.check(black_box(&huge), None).is_ok());
        },
    );
}

fn argon2id(c: &mut Criterion) {
    let hasher = PasswordHasher::new(HashParams::default());
    let password = NewPassword::parse("Kenpo#2024x").unwrap();
    let stored = hasher.hash(&password).unwrap();
    let mut group = c.benchmark_group("argon2id m=19456 t=2 p=1");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("hash", |b| {
        b.iter(|| black_box(hasher.hash(black_box(&password)).unwrap()));
    });
    group.bench_function("verify (wrong password)", |b| {
        b.iter(|| black_box(hasher.verify(black_box("Kenpo#2024y"), &stored).unwrap()));
    });
    group.bench_function("verify_dummy", |b| {
        b.iter(|| hasher.verify_dummy(black_box("Kenpo#2024y")));
    });
    group.bench_function("verify (right password)", |b| {
        b.iter(|| black_box(hasher.verify(black_box("Kenpo#2024x"), &stored).unwrap()));
    });
    group.finish();

    // Criterion measures the functions one after another, so load drifting on a shared machine
    // skews their comparison. Measure them in alternation instead and report the median of the
    // per-round ratios.
    let rounds = 30;
    let (real, dummy, ratio) = abba(
        rounds,
        1,
        &|| {
            black_box(hasher.verify(black_box("Kenpo#2024y"), &stored).unwrap());
        },
        &|| hasher.verify_dummy(black_box("Kenpo#2024y")),
    );
    eprintln!(
        "verify vs verify_dummy, {rounds} ABBA rounds: median verify {:.2} ms, median \
         verify_dummy {:.2} ms, median ratio verify_dummy/verify = {ratio:.3}",
        real * 1e3,
        dummy * 1e3,
    );
}

criterion_group!(benches, validators, argon2id);
criterion_main!(benches);
