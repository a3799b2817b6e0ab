#![no_main]
//! Fuzz target: the deployment parsers never panic. `SecretKey` and `Pepper` from text (hex or
//! base64) accept only what holds enough bytes and never show them; a `Config` from a TOML
//! file (durations in words, keys, argon2 parameters, the password policy) either loads or is
//! refused with an error, and `Config::check` answers for whatever loaded.
use kenpo_auth::{Config, Pepper, SecretKey, SecretParseError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    match input.parse::<SecretKey>() {
        Ok(key) => {
            assert!(input.trim().len() >= 43, "32 bytes need 43 base64 or 64 hex characters");
            assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
    match input.parse::<Pepper>() {
        Ok(pepper) => assert!(!format!("{pepper:?}").contains(input.trim())),
        Err(SecretParseError::TooShort { found, min }) => assert!(found < min),
        Err(SecretParseError::TooLong { found, max }) => assert!(found > max),
        Err(_) => {}
    }
    if let Ok(config) = toml::from_str::<Config>(&input) {
        let _ = config.check();
        let _ = format!("{config:?}");
    }
});
