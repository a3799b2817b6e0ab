//! `PasswordHasher`: argon2id PHC strings, verify, `needs_rehash`, the dummy verify, pepper,
//! malformed hashes, secrets never shown.

use kenpo_auth::{
    HashError, HashParams, MessageJa, NewPassword, PasswordHash, PasswordHasher, Pepper,
};
use proptest::prelude::*;

fn hasher() -> PasswordHasher {
    PasswordHasher::new(HashParams::insecure_for_tests())
}

fn pw(s: &str) -> NewPassword {
    NewPassword::parse(s).unwrap()
}

#[test]
fn default_params_are_owasp_minimum() {
    assert_eq!(
        HashParams::default(),
        HashParams::new(19_456, 2, 1).unwrap()
    );
    assert_eq!(
        HashParams::insecure_for_tests(),
        HashParams::new(8, 1, 1).unwrap()
    );
}

#[test]
fn hash_at_default_params_is_argon2id_phc() {
    // The one test at the real cost.
    let hasher = PasswordHasher::new(HashParams::default());
    let hash = hasher.hash(&pw("Kenpo#2024x")).unwrap();
    assert!(
        hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        hash.as_str()
    );
    assert!(hasher.verify("Kenpo#2024x", &hash).unwrap());
    assert!(!hasher.needs_rehash(&hash));
}

#[test]
fn each_hash_has_a_fresh_16_byte_salt() {
    let h = hasher();
    let a = h.hash(&pw("Kenpo#2024x")).unwrap();
    let b = h.hash(&pw("Kenpo#2024x")).unwrap();
    assert_ne!(a, b);
    let salt = a.as_str().split('$').nth(4).unwrap();
    assert_eq!(salt.len(), 22, "16 bytes in unpadded base64");
    let out = a.as_str().split('$').nth(5).unwrap();
    assert_eq!(out.len(), 43, "32 bytes in unpadded base64");
}

#[test]
fn invalid_params_are_an_error() {
    for bad in [
        HashParams::new(7, 1, 1),
        HashParams::new(64, 0, 1),
        HashParams::new(64, 1, 0),
        HashParams::new(15, 1, 2),
    ] {
        assert!(
            matches!(bad, Err(HashError::InvalidParams { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn malformed_hashes_are_errors_never_success() {
    let h = hasher();
    let good = h.hash(&pw("Kenpo#2024x")).unwrap();
    let parts: Vec<&str> = good.as_str().split('$').collect();
    let cases = [
        String::new(),
        "not a hash".to_owned(),
        "$".to_owned(),
        "$argon2id".to_owned(),
        "$argon2id$v=19$m=8,t=1,p=1".to_owned(),
        format!("$argon2id$v=19$m=8,t=1,p=1${}", parts[4]),
        format!("$argon2id$v=19$m=8,t=1,p=1${}$!!!", parts[4]),
        format!("$argon2id$v=18$m=8,t=1,p=1${}${}", parts[4], parts[5]),
        format!("$argon2id$v=19$m=1,t=1,p=1${}${}", parts[4], parts[5]),
        format!("$argon2id$v=19$m=8,t=0,p=1${}${}", parts[4], parts[5]),
        format!("$argon2id$v=19$m=8,t=1,p=1,x=3${}${}", parts[4], parts[5]),
        format!("$argon2id$v=19$m=8,t=1,p=1${}${}$extra", parts[4], parts[5]),
        format!("$argon2id$v=19$m=8,t=1,p=1$AA${}", parts[5]),
        format!("{}$", good.as_str()),
    ];
    for stored in cases {
        let result = h.verify("Kenpo#2024x", &PasswordHash::from_phc(stored.clone()));
        assert!(result.is_err(), "{stored:?} gave {result:?}");
        assert!(h.needs_rehash(&PasswordHash::from_phc(stored)));
    }
    assert_eq!(
        h.verify("x", &PasswordHash::from_phc("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E")),
        Err(HashError::UnsupportedAlgorithm)
    );
    assert!(
        h.verify(
            "x",
            &PasswordHash::from_phc("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")
        )
        .is_err()
    );
}

#[test]
fn excessive_stored_costs_are_refused_before_running() {
    let h = hasher();
    let good = h.hash(&pw("Kenpo#2024x")).unwrap();
    let parts: Vec<&str> = good.as_str().split('$').collect();
    for params in [
        "m=4294967295,t=1,p=1",
        "m=8,t=4294967295,p=1",
        "m=8192,t=1,p=1000",
    ] {
        let stored =
            PasswordHash::from_phc(format!("$argon2id$v=19${params}${}${}", parts[4], parts[5]));
        assert_eq!(
            h.verify("Kenpo#2024x", &stored),
            Err(HashError::CostTooHigh),
            "{params}"
        );
    }
}

#[test]
fn needs_rehash_on_algorithm_version_or_params() {
    let h = hasher();
    let current = h.hash(&pw("Kenpo#2024x")).unwrap();
    assert!(!h.needs_rehash(&current));
    let parts: Vec<&str> = current.as_str().split('$').collect();
    let (salt, out) = (parts[4], parts[5]);
    for other in [
        format!("$argon2i$v=19$m=8,t=1,p=1${salt}${out}"),
        format!("$argon2d$v=19$m=8,t=1,p=1${salt}${out}"),
        format!("$argon2id$v=16$m=8,t=1,p=1${salt}${out}"),
        format!("$argon2id$m=8,t=1,p=1${salt}${out}"),
        format!("$argon2id$v=19$m=16,t=1,p=1${salt}${out}"),
        format!("$argon2id$v=19$m=8,t=2,p=1${salt}${out}"),
        format!("$argon2id$v=19$m=16,t=1,p=2${salt}${out}"),
        format!("$argon2id$v=19$m=8,t=1,p=1${salt}${}", &out[..22]),
        format!("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA${out}"),
    ] {
        assert!(
            h.needs_rehash(&PasswordHash::from_phc(other.clone())),
            "{other}"
        );
    }
    // A hasher with other parameters wants the old hash rehashed.
    let stronger = PasswordHasher::new(HashParams::new(16, 1, 1).unwrap());
    assert!(stronger.needs_rehash(&current));
    // ...and still verifies it, with the stored parameters.
    assert!(stronger.verify("Kenpo#2024x", &current).unwrap());
}

#[test]
fn older_argon2_variants_still_verify() {
    use argon2::password_hash::PasswordHasher as _;
    let h = hasher();
    for algorithm in [argon2::Algorithm::Argon2i, argon2::Algorithm::Argon2d] {
        let params = argon2::Params::new(8, 1, 1, None).unwrap();
        let legacy = argon2::Argon2::new(algorithm, argon2::Version::V0x10, params)
            .hash_password_with_salt(b"Kenpo#2024x", b"saltsaltsaltsalt")
            .unwrap()
            .to_string();
        let stored = PasswordHash::from_phc(legacy);
        assert!(h.verify("Kenpo#2024x", &stored).unwrap());
        assert!(!h.verify("Kenpo#2024y", &stored).unwrap());
        assert!(h.needs_rehash(&stored));
    }
}

#[test]
fn pepper_is_the_argon2_secret() {
    let pepper = Pepper::new(b"a server-side secret of 32 bytes".to_vec()).unwrap();
    let peppered = hasher().with_pepper(pepper.clone());
    let hash = peppered.hash(&pw("Kenpo#2024x")).unwrap();
    assert!(peppered.verify("Kenpo#2024x", &hash).unwrap());
    // Without the pepper, or with another, the right password fails.
    assert!(!hasher().verify("Kenpo#2024x", &hash).unwrap());
    let other = hasher().with_pepper(Pepper::new(*b"another pepper").unwrap());
    assert!(!other.verify("Kenpo#2024x", &hash).unwrap());
    // The pepper changes nothing about rehashing.
    assert!(!peppered.needs_rehash(&hash));
    assert_eq!(
        Pepper::new(Vec::new()).unwrap_err(),
        HashError::InvalidPepper
    );
}

#[test]
fn verify_dummy_runs_and_returns_nothing() {
    let h = hasher();
    h.verify_dummy("Kenpo#2024x");
    h.verify_dummy("");
    h.with_pepper(Pepper::new(*b"pepper").unwrap())
        .verify_dummy("x");
}

#[test]
fn secrets_never_show() {
    let pepper = Pepper::new(*b"very-secret-pepper").unwrap();
    assert_eq!(format!("{pepper:?}"), "Pepper([REDACTED])");
    let h = hasher().with_pepper(pepper);
    let shown = format!("{h:?}");
    assert!(!shown.contains("very-secret-pepper"), "{shown}");
    assert!(shown.contains("memory_kib: 8"), "{shown}");
    let hash = h.hash(&pw("Kenpo#2024x")).unwrap();
    let salt = hash.as_str().split('$').nth(4).unwrap().to_owned();
    let shown = format!("{hash:?}");
    assert_eq!(shown, "PasswordHash($argon2id$v=19$m=8,t=1,p=1$[REDACTED])");
    assert!(!shown.contains(&salt));
    assert_eq!(
        format!("{:?}", PasswordHash::from_phc("Kenpo#2024x")),
        "PasswordHash([REDACTED])"
    );
}

#[test]
fn errors_have_a_generic_japanese_message() {
    assert!(HashError::Malformed.message_ja().contains("システムで障害"));
    assert!(!HashError::Malformed.to_string().is_empty());
}

#[test]
fn serde_round_trips() {
    let h = hasher();
    let hash = h.hash(&pw("Kenpo#2024x")).unwrap();
    let json = serde_json::to_string(&hash).unwrap();
    assert_eq!(json, format!("\"{}\"", hash.as_str()));
    assert_eq!(serde_json::from_str::<PasswordHash>(&json).unwrap(), hash);
    let params = HashParams::default();
    let json = serde_json::to_string(&params).unwrap();
    assert_eq!(serde_json::from_str::<HashParams>(&json).unwrap(), params);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hash_then_verify_round_trips_and_one_change_fails(
        password in "[A-Za-z0-9?!@#%&()_+]{8,20}",
        at in any::<proptest::sample::Index>(),
        replacement in proptest::char::range('!', '~'),
    ) {
        let h = hasher();
        let mut policy = kenpo_auth::PasswordPolicy::default();
        policy.require_letter = false;
        policy.require_digit = false;
        policy.require_symbol = false;
        policy.forbid_common = false;
        policy.forbid_repetition = false;
        policy.forbid_sequences = false;
        let new = policy.check(&password, None).unwrap();
        let hash = h.hash(&new).unwrap();
        prop_assert!(h.verify(&password, &hash).unwrap());
        let mut chars: Vec<char> = password.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != replacement);
        chars[i] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert!(!h.verify(&changed, &hash).unwrap());
    }

    #[test]
    fn needs_rehash_is_false_for_current_and_true_for_other_params(
        m in 8u32..64, t in 1u32..3, p in 1u32..3,
        dm in 0u32..3, dt in 0u32..2, dp in 0u32..2,
    ) {
        prop_assume!(m >= 8 * p);
        let params = HashParams::new(m, t, p).unwrap();
        let h = PasswordHasher::new(params.clone());
        let hash = h.hash(&pw("Kenpo#2024x")).unwrap();
        prop_assert!(!h.needs_rehash(&hash));
        let Ok(other) = HashParams::new(m + 8 * dm, t + dt, p + dp) else { return Ok(()); };
        let h2 = PasswordHasher::new(other.clone());
        prop_assert_eq!(h2.needs_rehash(&hash), other != params);
    }

    #[test]
    fn verify_never_panics(stored in any::<String>(), password in any::<String>()) {
        let h = hasher();
        let stored = PasswordHash::from_phc(stored);
        prop_assert!(!matches!(h.verify(&password, &stored), Ok(true)));
        let _ = h.needs_rehash(&stored);
    }

    #[test]
    fn verify_never_panics_near_the_grammar(
        stored in "\\$argon2(id|i|d)\\$(v=(16|19)\\$)?(m=[0-9]{1,3},t=[0-9],p=[0-9])?\\$[A-Za-z0-9+/]{0,30}(\\$[A-Za-z0-9+/]{0,50})?",
    ) {
        let h = hasher();
        let stored = PasswordHash::from_phc(stored);
        prop_assert!(!matches!(h.verify("Kenpo#2024x", &stored), Ok(true)));
    }
}
