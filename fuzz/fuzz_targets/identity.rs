#![no_main]
//! Fuzz target for the identity parsers: `InsuredIdentity::parse` on a form built from the
//! input, and the `BirthDate` parsers.
use kenpo_auth::{BirthDate, IdentityForm, InsuredIdentity, InsuredKey, MessageJa};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // Five fields separated by '|' (missing ones are empty).
    let mut parts = s.split('|').map(str::to_owned);
    let mut next = || parts.next().unwrap_or_default();
    let form = IdentityForm {
        insurer_code: next(),
        symbol: next(),
        number: next(),
        birth_date: next(),
        name_kana: next(),
    };
    match InsuredIdentity::parse(&form) {
        Ok(id) => {
            let key = id.key();
            let again = InsuredKey::new(key.insurer_code(), key.symbol(), key.number());
            assert_eq!(again.as_ref(), Ok(key));
            assert_eq!(id.birth_date().to_string().parse::<BirthDate>(), Ok(id.birth_date()));
        }
        Err(errors) => {
            assert!(!errors.errors().is_empty());
            let _ = (errors.to_string(), errors.message_ja());
        }
    }
    for text in [s, form.birth_date.as_str()] {
        if let Ok(d) = text.parse::<BirthDate>() {
            assert_eq!(d.to_string(), text);
        }
        if let Ok(d) = BirthDate::parse_japanese(text) {
            let (era, year) = d.japanese_era();
            let again = format!("{era}{year}年{}月{}日", d.month(), d.day());
            assert_eq!(BirthDate::parse_japanese(&again), Ok(d));
        }
        if let Err(e) = BirthDate::parse_japanese(text) {
            let _ = (e.to_string(), e.message_ja());
        }
    }
});
