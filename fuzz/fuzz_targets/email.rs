#![no_main]
//! Fuzz target: `EmailAddress::parse` never panics, and what it accepts is consistent.
use kenpo_auth::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let strict = EmailAddress::parse(&input);
    let lenient = EmailAddress::parse_allowing_legacy_dots(&input);
    match &strict {
        Ok(email) => {
            assert_eq!(email.as_str(), input);
            assert!(email.as_str().len() <= 254);
            assert!(email.local_part().len() <= 64);
            assert_eq!(format!("{}@{}", email.local_part(), email.domain()), input);
            assert!(email.domain().contains('.'));
            assert_eq!(lenient.as_ref(), Ok(email));
        }
        Err(err) => {
            let _ = (err.to_string(), err.message_ja());
            // The lenient parser differs from the strict one only on the legacy dots.
            assert_eq!(err.is_dot_atom_warning(), lenient.is_ok());
        }
    }
});
