#![no_main]
//! Fuzz target: `UserId::parse` never panics, and what it accepts obeys the rule.
use kenpo_auth::{MessageJa, UserId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    match UserId::parse(&input) {
        Ok(id) => {
            assert_eq!(id.as_str(), input);
            assert!((6..=50).contains(&id.as_str().len()));
            assert!(
                id.as_str()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@-_.+".contains(c))
            );
            assert_eq!(id.unique_key(), input.to_ascii_lowercase());
        }
        Err(err) => {
            let _ = (err.to_string(), err.message_ja());
        }
    }
});
