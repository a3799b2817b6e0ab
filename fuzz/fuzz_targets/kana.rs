#![no_main]
//! Fuzz target for kana folding: `fold`, `equivalent`, `KanaName::parse` and their laws.
use kenpo_auth::kana::{self, KanaName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let folded = kana::fold(s);
    if let Ok(key) = &folded {
        // Idempotent, and the key is the name's own key.
        assert_eq!(kana::fold(key).as_ref(), Ok(key));
        assert!(kana::equivalent(s, key));
    }
    // KanaName agrees with fold.
    match KanaName::parse(s) {
        Ok(name) => assert_eq!(Ok(name.folded()), folded.as_deref()),
        Err(e) => assert_eq!(Err(e), folded),
    }
    // Split the input in two and check equivalent(a, b) == (fold(a) == fold(b)).
    let mut cut = s.len() / 2;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let (a, b) = s.split_at(cut);
    let expected = match (kana::fold(a), kana::fold(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    assert_eq!(kana::equivalent(a, b), expected);
    assert_eq!(kana::equivalent(b, a), expected);
});
