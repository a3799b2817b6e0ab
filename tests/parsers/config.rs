//! `Config` from a file: durations in words, keys in hex or base64, defaults for what is left
//! out, typos refused, a key required, and no secret in `Debug`.

use std::time::Duration;

use kenpo_auth::{Config, ConfigError, Pepper, SecretKey, SecretParseError};

const KEY_HEX: &str = "8f3a5c0e91d24b67a0c3e5f7193b5d7f8a2c4e6f0b1d3f5a7c9e0b2d4f6a8c0e";
/// The same 32 bytes in standard base64.
const KEY_BASE64: &str = "jzpcDpHSS2egw+X3GTtdf4osTm8LHT9afJ4LLU9qjA4=";

fn load(text: &str) -> Result<Config, toml::de::Error> {
    toml::from_str(text)
}

#[test]
fn a_file_sets_what_it_names_and_keeps_the_defaults_for_the_rest() {
    let config = load(&format!(
        r#"
        secret_key = "{KEY_HEX}"
        terms_version = 3
        code_validity = "15m"
        login_lockout = "1h 30m"
        max_lockout = "2days"
        code_resend_cooldown = 90
        login_max_failures = 8
        max_concurrent_hashes = 2
        max_queued_hashes = 16

        [hash_params]
        memory_kib = 19456
        iterations = 2
        parallelism = 1

        [password_policy]
        min_chars = 10
        "#
    ))
    .unwrap();
    assert_eq!(config.terms_version.get(), 3);
    assert_eq!(config.code_validity, Duration::from_secs(15 * 60));
    assert_eq!(config.login_lockout, Duration::from_secs(90 * 60));
    assert_eq!(config.max_lockout, Duration::from_secs(2 * 24 * 60 * 60));
    assert_eq!(config.code_resend_cooldown, Duration::from_secs(90));
    assert_eq!(config.login_max_failures, 8);
    assert_eq!(config.max_concurrent_hashes, 2);
    assert_eq!(config.max_queued_hashes, 16);
    assert_eq!(config.hash_params.iterations(), 2);
    assert_eq!(config.password_policy.min_chars, 10);
    assert_eq!(config.secret_key, KEY_HEX.parse::<SecretKey>().unwrap());
    // Left out: the design's numbers.
    let defaults = Config::default();
    assert_eq!(config.code_max_attempts, defaults.code_max_attempts);
    assert_eq!(config.identity_lockout, defaults.identity_lockout);
    assert_eq!(config.login_failure_ceiling, defaults.login_failure_ceiling);
    assert_eq!(
        config.password_policy.max_chars,
        defaults.password_policy.max_chars
    );
    assert!(config.check().is_ok());
}

#[test]
fn a_file_without_a_key_loads_but_does_not_pass_the_check() {
    // A random key per process would kill every pending code at each restart and split a
    // deployment whose processes share one store: the key must be given.
    let config = load("code_max_attempts = 5").unwrap();
    assert_eq!(config.check(), Err(ConfigError::SecretKeyUnset));
    let message = ConfigError::SecretKeyUnset.to_string();
    assert!(message.contains("secret_key"), "{message}");
}

#[test]
fn a_misspelt_setting_is_refused_by_name() {
    let error = load(&format!(
        "secret_key = \"{KEY_HEX}\"\nlogin_max_failure = 3"
    ))
    .unwrap_err();
    assert!(error.to_string().contains("login_max_failure"), "{error}");
    let error = load("[password_policy]\nminimum = 3").unwrap_err();
    assert!(error.to_string().contains("minimum"), "{error}");
    let error = load("[hash_params]\nmemory_kib = 19456\niterations = 2\nparallelism = 1\nm = 1")
        .unwrap_err();
    assert!(error.to_string().contains('m'), "{error}");
}

#[test]
fn argon2_parameters_argon2_refuses_are_refused_on_loading() {
    for params in [
        "memory_kib = 4\niterations = 2\nparallelism = 1",
        "memory_kib = 19456\niterations = 0\nparallelism = 1",
    ] {
        let error = load(&format!("[hash_params]\n{params}")).unwrap_err();
        assert!(error.to_string().contains("hash_params"), "{error}");
    }
}

#[test]
fn durations_in_words_or_seconds_and_nothing_else() {
    for (written, expected) in [
        ("\"10m\"", Duration::from_secs(600)),
        ("\"600s\"", Duration::from_secs(600)),
        ("\"1h 5m\"", Duration::from_secs(3900)),
        ("\"7days\"", Duration::from_secs(7 * 86_400)),
        ("600", Duration::from_secs(600)),
        ("0", Duration::ZERO),
    ] {
        let config = load(&format!("code_validity = {written}")).unwrap();
        assert_eq!(config.code_validity, expected, "{written}");
    }
    for written in ["\"ten minutes\"", "\"10\"", "\"-5m\"", "-5", "1.5", "\"\""] {
        let error = load(&format!("code_validity = {written}")).unwrap_err();
        assert!(
            error.to_string().contains("code_validity"),
            "{written}: {error}"
        );
    }
}

#[test]
fn keys_parse_from_hex_or_base64_and_refuse_short_long_zero_or_garbled() {
    let from_hex: SecretKey = KEY_HEX.parse().unwrap();
    let from_upper_hex: SecretKey = KEY_HEX.to_uppercase().parse().unwrap();
    let from_base64: SecretKey = KEY_BASE64.parse().unwrap();
    let padded: SecretKey = format!("  {KEY_BASE64}\n").parse().unwrap();
    assert_eq!(from_hex, from_base64);
    assert_eq!(from_hex, from_upper_hex);
    assert_eq!(from_hex, padded);

    let short = &KEY_HEX[..62]; // 31 bytes
    assert!(matches!(
        short.parse::<SecretKey>(),
        Err(SecretParseError::TooShort { found: 31, min: 32 })
    ));
    let long = format!("{KEY_HEX}00");
    assert!(matches!(
        long.parse::<SecretKey>(),
        Err(SecretParseError::TooLong { found: 33, max: 32 })
    ));
    assert_eq!(
        "00".repeat(32).parse::<SecretKey>(),
        Err(SecretParseError::AllZero)
    );
    for garbled in [
        "",
        "xyz",
        "8f3a5c0e91d24b67a0c3e5f7193b5d7f8a2c4e6f0b1d3f5a7c9e0b2d4f6a8c0",
        "jzpc DpHS",
    ] {
        assert!(garbled.parse::<SecretKey>().is_err(), "{garbled:?}");
    }
    // In a file, the same rules, named.
    let error = load(&format!("secret_key = \"{short}\"")).unwrap_err();
    assert!(error.to_string().contains("secret_key"), "{error}");
}

#[test]
fn a_pepper_takes_32_bytes_or_more() {
    let pepper: Pepper = KEY_BASE64.parse().unwrap();
    drop(pepper);
    let longer: Pepper = KEY_HEX.repeat(2).parse().unwrap();
    drop(longer);
    assert!(matches!(
        KEY_HEX[..62].parse::<Pepper>(),
        Err(SecretParseError::TooShort { .. })
    ));
    let config = load(&format!(
        "secret_key = \"{KEY_HEX}\"\npepper = \"{KEY_BASE64}\""
    ))
    .unwrap();
    assert!(config.pepper.is_some());
}

#[test]
fn debug_and_errors_name_no_secret() {
    let config = load(&format!(
        "secret_key = \"{KEY_HEX}\"\npepper = \"{KEY_BASE64}\""
    ))
    .unwrap();
    let shown = format!("{config:?} {config:#?}");
    let key_bytes = format!("{:?}", hex_bytes(KEY_HEX));
    for secret in [
        KEY_HEX,
        &KEY_HEX.to_uppercase(),
        KEY_BASE64,
        &key_bytes,
        "143, 58, 92",
    ] {
        assert!(!shown.contains(secret), "Debug shows {secret}");
    }
    assert!(shown.contains("REDACTED"));
    // A key one byte short: the error gives lengths, never the text. (A TOML error quotes the
    // line it failed on: that is the host's to keep out of its logs.)
    let error = KEY_HEX[..62].parse::<SecretKey>().unwrap_err();
    assert!(
        !format!("{error} {error:?}").contains(&KEY_HEX[..8]),
        "{error}"
    );
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}
