//! What a host sends back: every error's kind (one HTTP status each), code, wait and
//! member-facing body, and messages that end as sentences.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::*;
use kenpo_auth::{
    CodeShape, ConfigError, EmailAddress, Error, ErrorKind, HashError, MessageJa, NewPassword,
    PasswordPolicy, RandomError, RegistrationForm, UserId,
};

/// The portal's answer to a registration form whose every field is bad.
fn registration_with_every_field_bad() -> Error {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let form = RegistrationForm {
        user_id: "ab".into(),
        password: "short".into(),
        email: "no".into(),
    };
    block_on(fx.portal.begin_registration(&ticket, &form)).unwrap_err()
}

/// One of every variant a portal returns.
fn every_error() -> Vec<Error> {
    let wait = Duration::from_secs(90);
    let registration = registration_with_every_field_bad();
    let form = Error::from(
        kenpo_auth::InsuredIdentity::parse(&kenpo_auth::IdentityForm::default()).unwrap_err(),
    );
    vec![
        form,
        registration,
        Error::Password(NewPassword::parse("x").unwrap_err()),
        Error::Email(EmailAddress::parse("x").unwrap_err()),
        Error::UserId(UserId::parse("x").unwrap_err()),
        Error::CodeFormat {
            shape: CodeShape::SixDigits,
        },
        Error::CodeFormat {
            shape: CodeShape::TwelveChars,
        },
        Error::IdentityNotConfirmed,
        Error::TooManyAttempts { retry_after: wait },
        Error::TooManyAttempts {
            retry_after: Duration::MAX,
        },
        Error::AlreadyRegistered,
        Error::UserIdTaken,
        Error::SignupExpired,
        Error::CodeMismatch { remaining: 3 },
        Error::CodeMismatch { remaining: 0 },
        Error::CodeExpired,
        Error::CodeAttemptsExhausted,
        Error::ResetSuspended,
        Error::ChallengeGone,
        Error::ResendTooSoon { retry_after: wait },
        Error::ResendLimitReached,
        Error::AuthenticationFailed,
        Error::AccountLocked { retry_after: wait },
        Error::AccountLocked {
            retry_after: Duration::MAX,
        },
        Error::LoginSuspended,
        Error::AccountNotFound,
        Error::CoverageEnded,
        Error::SessionEnded,
        Error::UnknownTermsVersion,
        Error::Hashing(HashError::Malformed),
        Error::Busy { retry_after: wait },
        Error::Config(ConfigError::Zero {
            field: "login_max_failures",
        }),
        Error::Randomness(RandomError),
        Error::Store("disk full".into()),
        Error::Mail("connection refused".into()),
    ]
}

#[test]
fn every_message_is_japanese_and_ends_as_a_sentence() {
    for error in every_error() {
        for line in error.message_ja().lines() {
            assert!(line.ends_with('。'), "{:?}: {line}", error.code());
        }
    }
}

#[test]
fn every_kind_is_one_of_the_documented_statuses() {
    let allowed = [400, 401, 403, 409, 410, 422, 423, 429, 503, 500];
    let mut kinds = BTreeSet::new();
    for error in every_error() {
        let status = error.kind().status();
        assert!(allowed.contains(&status), "{}: {status}", error.code());
        kinds.insert(status);
    }
    assert_eq!(kinds.len(), allowed.len(), "each documented status is used");
    assert_eq!(
        Error::AccountLocked {
            retry_after: MINUTE
        }
        .kind(),
        ErrorKind::Locked
    );
}

#[test]
fn codes_are_distinct_snake_case() {
    let mut seen = BTreeSet::new();
    for error in every_error() {
        let code = error.code();
        assert!(
            code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{code}"
        );
        seen.insert(code);
    }
    assert_eq!(seen.len(), 31, "one code per variant: {seen:?}");
}

#[test]
fn waits_are_in_the_body_and_retry_after() {
    for error in every_error() {
        let body = error.body();
        assert_eq!(
            body.retry_after,
            error.retry_after().map(|w| w.as_secs().max(1))
        );
    }
    let locked = Error::AccountLocked {
        retry_after: 30 * MINUTE,
    };
    assert_eq!(locked.retry_after(), Some(30 * MINUTE));
    assert_eq!(locked.body().retry_after, Some(1800));
    // A part of a second counts as a whole one: trying again after the time shown is never
    // too soon.
    let soon = Error::ResendTooSoon {
        retry_after: Duration::from_millis(14_200),
    };
    assert_eq!(soon.body().retry_after, Some(15));
    assert!(soon.message_ja().contains("15秒"), "{}", soon.message_ja());
    let now = Error::Busy {
        retry_after: Duration::from_millis(1),
    };
    assert_eq!(now.body().retry_after, Some(1));
}

/// An error that is one field's fault is shown beside that field.
#[test]
fn a_taken_user_id_and_a_wrong_code_name_their_fields() {
    for (error, field) in [
        (Error::UserIdTaken, "user_id"),
        (Error::CodeMismatch { remaining: 2 }, "code"),
    ] {
        let body = error.body();
        assert_eq!(body.fields.get(field), Some(&body.message), "{error:?}");
        assert_eq!(body.fields.len(), 1);
    }
}

#[test]
fn a_registration_body_names_the_forms_fields() {
    let error = registration_with_every_field_bad();
    let json = serde_json::to_value(&error).unwrap();
    assert_eq!(json["code"], "registration_invalid");
    let fields = json["fields"].as_object().unwrap();
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["email", "password", "user_id"],
        "{json}"
    );
    assert!(fields["user_id"].as_str().unwrap().contains("6文字以上"));
    assert_eq!(error.kind().status(), 422);
}

#[test]
fn display_names_no_secret() {
    let fx = fixture();
    let ticket = block_on(fx.portal.authenticate_insured(&shoko())).unwrap();
    let secret = "Common#1";
    let form = RegistrationForm {
        password: secret.into(),
        ..registration_form()
    };
    if let Err(error) = block_on(fx.portal.begin_registration(&ticket, &form)) {
        assert!(!error.to_string().contains(secret), "{error}");
        assert!(!format!("{error:?}").contains(secret));
        assert!(!serde_json::to_string(&error).unwrap().contains(secret));
    }
}

#[test]
fn sub_errors_end_as_sentences_too() {
    let mut messages = Vec::new();
    for id in ["", "ab", "ＮＧＫ0001", "abc def", &"x".repeat(51)] {
        messages.push(UserId::parse(id).unwrap_err().message_ja());
    }
    for address in [
        "",
        "a",
        "a@b",
        "a b@c.jp",
        "\"q\"@example.jp",
        "ab..cd@docomo.ne.jp",
        "a@b.test",
    ] {
        messages.push(EmailAddress::parse(address).unwrap_err().message_ja());
    }
    for password in ["", "abc", "password", "ｱｲｳｴｵ", "Kenpo#2024xKenpo#2024x"] {
        messages.push(
            PasswordPolicy::default()
                .check(password, None)
                .unwrap_err()
                .message_ja(),
        );
    }
    for message in messages {
        for line in message.lines() {
            assert!(line.ends_with('。'), "{line}");
        }
    }
}
