#![no_main]
//! Fuzz target: `EmailAddress::parse_with` never panics, whichever rules the input's first byte
//! picks, and what it accepts is consistent with the strict parser and the relaxations.
use kenpo_auth::{EmailAddress, EmailError, EmailRules, MessageJa};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let rules = EmailRules::new()
        .with_legacy_dots(first & 1 == 1)
        .with_quoted(first & 2 == 2);
    let input = String::from_utf8_lossy(rest);
    let strict = EmailAddress::parse(&input);
    let relaxed = EmailAddress::parse_with(&input, rules);
    if let Ok(email) = &relaxed {
        assert_eq!(email.as_str(), input);
        assert!(email.as_str().len() <= 254);
        assert!(email.local_part().len() <= 64);
        assert_eq!(format!("{}@{}", email.local_part(), email.domain()), input);
        assert!(email.domain().contains('.'));
        assert!(email.as_str().is_ascii());
        let tld = email.domain().rsplit('.').next().unwrap_or_default();
        assert!(
            tld.bytes().all(|b| b.is_ascii_alphabetic())
                || tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")),
            "{tld}"
        );
        assert!(!email.has_legacy_dots() || rules.allow_legacy_dots);
        assert!(!email.local_part().starts_with('"') || rules.allow_quoted);
    }
    match &strict {
        Ok(email) => {
            // What the strict rules accept, every set of rules accepts, unchanged.
            assert_eq!(relaxed.as_ref(), Ok(email));
            assert!(!email.local_part().starts_with('"'));
            assert!(!email.has_legacy_dots());
        }
        Err(err) => {
            let _ = (err.to_string(), err.message_ja());
            // The relaxed parser differs from the strict one only on what the rules relax.
            let relaxed_here = (rules.allow_legacy_dots && err.is_dot_atom_warning())
                || (rules.allow_quoted && *err == EmailError::QuotedLocalPart);
            assert_eq!(relaxed.is_ok(), relaxed_here, "{err:?} {rules:?}");
            if let Err(relaxed_err) = &relaxed {
                assert_eq!(relaxed_err, err);
            }
        }
    }
    // The serde reading (every relaxation) accepts whatever any rules accept.
    if relaxed.is_ok() {
        let all = EmailRules::new().with_legacy_dots(true).with_quoted(true);
        assert!(EmailAddress::parse_with(&input, all).is_ok());
    }
});
