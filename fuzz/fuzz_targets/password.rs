#![no_main]
//! Fuzz target: `PasswordPolicy::check` (both presets, and the manual's with context words;
//! with and without a user ID) and `normalize_for_login` never panic; what the manual's policy
//! accepts obeys its rule; nothing accepted holds a context word or the user ID; input over
//! `MAX_INPUT_BYTES` is refused by length alone.
use kenpo_auth::{MessageJa, PasswordCharset, PasswordPolicy, PasswordViolation, UserId};
use libfuzzer_sys::fuzz_target;

const SYMBOLS: &str = "?!@#%&()_+";
const CONTEXT_WORDS: [&str; 2] = ["kenpo", "ngk"];

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    // "user-id\npassword" exercises the user-ID rule; without a newline there is no user ID.
    let (id, password) = match input.split_once('\n') {
        Some((id, password)) => (UserId::parse(id).ok(), password),
        None => (None, &*input),
    };
    let with_words = PasswordPolicy::default().with_context_words(CONTEXT_WORDS);
    for policy in [
        PasswordPolicy::default(),
        PasswordPolicy::nist_800_63b(),
        with_words.clone(),
    ] {
        let login = policy.normalize_for_login(password);
        if password.len() <= PasswordPolicy::MAX_INPUT_BYTES && policy.charset == PasswordCharset::Manual {
            assert_eq!(&*login, password);
        }
        match policy.check(password, id.as_ref()) {
            Ok(accepted) => {
                assert!(password.len() <= PasswordPolicy::MAX_INPUT_BYTES);
                // What is stored is what a login with the same input verifies against.
                assert_eq!(accepted.expose(), &*login);
                if policy.charset == PasswordCharset::Manual {
                    let p = accepted.expose();
                    assert_eq!(p, password);
                    assert!((8..=20).contains(&p.len()));
                    assert!(p.chars().all(|c| c.is_ascii_alphanumeric() || SYMBOLS.contains(c)));
                    assert!(p.chars().any(|c| c.is_ascii_alphabetic()));
                    assert!(p.chars().any(|c| c.is_ascii_digit()));
                    assert!(p.chars().any(|c| SYMBOLS.contains(c)));
                }
                let lower = accepted.expose().to_lowercase();
                if policy == with_words {
                    assert!(CONTEXT_WORDS.iter().all(|word| !lower.contains(word)));
                }
                if let Some(id) = &id {
                    assert!(!accepted.expose().to_ascii_lowercase().contains(id.unique_key()));
                }
            }
            Err(err) => {
                assert!(!err.violations().is_empty());
                if password.len() > PasswordPolicy::MAX_INPUT_BYTES {
                    assert_eq!(
                        err.violations(),
                        &[PasswordViolation::TooLong {
                            max: policy.max_chars
                        }]
                    );
                }
                let _ = (err.to_string(), err.message_ja());
            }
        }
    }
});
