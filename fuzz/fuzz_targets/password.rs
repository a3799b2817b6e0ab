#![no_main]
//! Fuzz target: `PasswordPolicy::check` (both presets, with and without a user ID) never
//! panics, and what the manual's policy accepts obeys its rule.
use kenpo_auth::{PasswordPolicy, UserId};
use libfuzzer_sys::fuzz_target;

const SYMBOLS: &str = "?!@#%&()_+";

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    // "user-id\npassword" exercises the context rule; without a newline there is no user ID.
    let (id, password) = match input.split_once('\n') {
        Some((id, password)) => (UserId::parse(id).ok(), password),
        None => (None, &*input),
    };
    for policy in [PasswordPolicy::default(), PasswordPolicy::nist_800_63b()] {
        match policy.check(password, id.as_ref()) {
            Ok(accepted) => {
                if policy == PasswordPolicy::default() {
                    let p = accepted.expose();
                    assert_eq!(p, password);
                    assert!((8..=20).contains(&p.len()));
                    assert!(p.chars().all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(c)));
                    assert!(p.chars().any(|c| c.is_ascii_alphabetic()));
                    assert!(p.chars().any(|c| c.is_ascii_digit()));
                    assert!(p.chars().any(|c| SYMBOLS.contains(c)));
                }
                if let Some(id) = &id {
                    assert!(!accepted.expose().to_ascii_lowercase().contains(id.unique_key()));
                }
            }
            Err(err) => {
                assert!(!err.violations().is_empty());
                let _ = (err.to_string(), err.message_ja());
            }
        }
    }
});
