//! The policies measured as a new member would meet them, against a list they were not built
//! from: zxcvbn's 30,000 most common passwords (`tests/data/zxcvbn-passwords.txt`, see the
//! README there). The bundled blocklist comes from Django's list only, so this is a held-out
//! test of the matcher, not of memorisation.
//!
//! Run with `cargo test --test parsers password_corpus -- --nocapture` to see the shares.

use kenpo_auth::PasswordPolicy;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How many of the most common entries are dressed up and padded.
const TOP: usize = 2_000;

fn corpus() -> Vec<&'static str> {
    let list: Vec<&'static str> = include_str!("../data/zxcvbn-passwords.txt")
        .lines()
        .collect();
    assert_eq!(list.len(), 30_000);
    list
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn leet(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'a' => '@',
            'o' => '0',
            'e' => '3',
            's' => '5',
            'i' => '1',
            other => other,
        })
        .collect()
}

/// The ways people pass a composition rule with a common password.
fn dressed_up(word: &str) -> [String; 5] {
    let cap = capitalised(word);
    [
        format!("{cap}!1"),
        format!("{cap}1!"),
        format!("{cap}@123"),
        format!("!{cap}"),
        format!("{}1!", capitalised(&leet(word))),
    ]
}

/// The ways people pass a 15-character minimum with a common password.
fn padded(word: &str) -> [String; 3] {
    let mut repeated = word.to_owned();
    while !word.is_empty() && repeated.chars().count() < 15 {
        repeated.push_str(word);
    }
    let mut digits = format!("{word}123456789");
    for digit in "123456789".chars().cycle() {
        if digits.chars().count() >= 15 {
            break;
        }
        digits.push(digit);
    }
    let bangs = 9.max(15usize.saturating_sub(word.chars().count()));
    [repeated, digits, format!("{word}{}", "!".repeat(bangs))]
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole as f64
}

/// How many of the `TOP` common passwords, each changed `WAYS` ways, `policy` refuses: the
/// share in percent, after printing it with a count by way and the first that get through.
fn refused_share<const WAYS: usize>(
    policy: &PasswordPolicy,
    changed: impl Fn(&str) -> [String; WAYS],
    what: &str,
) -> f64 {
    let (mut total, mut refused) = (0usize, 0usize);
    let mut by_way = [0usize; WAYS];
    let mut through = Vec::new();
    for word in corpus().into_iter().take(TOP) {
        for (way, candidate) in changed(word).into_iter().enumerate() {
            total += 1;
            if policy.check(&candidate, None).is_err() {
                refused += 1;
                by_way[way] += 1;
            } else {
                through.push(candidate);
            }
        }
    }
    let share = percent(refused, total);
    println!("{what}: {refused}/{total} refused = {share:.2} %");
    println!("  by way: {by_way:?} of {TOP} each");
    println!(
        "first 20 that get through: {:?}",
        &through[..through.len().min(20)]
    );
    share
}

#[test]
fn dressed_up_common_passwords_are_refused_by_the_default_policy() {
    let share = refused_share(
        &PasswordPolicy::default(),
        dressed_up,
        &format!(
            "default policy, zxcvbn top {TOP} dressed up 5 ways \
             (Cap+!1, Cap+1!, Cap+@123, !+Cap, leet Cap+1!)"
        ),
    );
    assert!(share >= 95.0, "{share:.2} % refused, want at least 95 %");
}

#[test]
fn padded_common_passwords_are_refused_by_the_nist_preset() {
    let long_enough = |word: &str| {
        let candidates = padded(word);
        for candidate in &candidates {
            assert!(candidate.chars().count() >= 15, "{candidate}");
        }
        candidates
    };
    let share = refused_share(
        &PasswordPolicy::nist_800_63b(),
        long_enough,
        &format!(
            "NIST preset, zxcvbn top {TOP} padded past 15 characters 3 ways \
             (repeated, +123456789…, +!!!!!!!!!…)"
        ),
    );
    assert!(share >= 90.0, "{share:.2} % refused, want at least 90 %");
}

#[test]
fn random_and_realistic_strong_passwords_are_accepted() {
    let alphabet: Vec<char> = format!(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789{}",
        PasswordPolicy::MANUAL_SYMBOLS
    )
    .chars()
    .collect();
    let policy = PasswordPolicy::default();
    // A fixed seed, so that the sample is the same on every run (as in the other binaries).
    let mut rng = StdRng::seed_from_u64(0x6B65_6E70_6F32_3032);
    let (mut sampled, mut accepted) = (0usize, 0usize);
    let mut refused = Vec::new();
    while sampled < 10_000 {
        let candidate: String = (0..12)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        // Only what the manual's composition rule allows: a letter, a digit and a symbol.
        if !(candidate.chars().any(|c| c.is_ascii_alphabetic())
            && candidate.chars().any(|c| c.is_ascii_digit())
            && candidate
                .chars()
                .any(|c| PasswordPolicy::MANUAL_SYMBOLS.contains(c)))
        {
            continue;
        }
        sampled += 1;
        match policy.check(&candidate, None) {
            Ok(_) => accepted += 1,
            Err(err) => refused.push((candidate, err.to_string())),
        }
    }
    let share = percent(accepted, sampled);
    println!(
        "default policy, 10,000 random 12-character passwords meeting the manual's rule: {accepted}/{sampled} accepted = {share:.2} %"
    );
    println!("refused: {:?}", &refused[..refused.len().min(20)]);
    assert!(share >= 99.5, "{share:.2} % accepted, want at least 99.5 %");

    for strong in ["Sakura#2024x", "Kenpo#2024x", "tR9(kW4_vB"] {
        assert!(policy.check(strong, None).is_ok(), "{strong}");
    }
}
