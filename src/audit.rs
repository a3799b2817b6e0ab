//! The audit trail: every security-relevant decision is a [`tracing`] event with target
//! `kenpo_auth::audit`. A host subscribes with whatever it already uses (`tracing-subscriber`,
//! OpenTelemetry, a JSON log) and filters on the target.
//!
//! Events never carry a password, a code, a key, a hash or the identity fields a member typed.
//! The person an event is about is named by `subject`: a pseudonym (16 hex digits of a
//! BLAKE2s MAC under [`Config::secret_key`](crate::Config::secret_key)) of the user ID or the
//! insured person, so that a host can follow one person's events without the log holding who
//! they are; [`Portal::audit_subject_of_user`](crate::Portal::audit_subject_of_user) and
//! [`Portal::audit_subject_of_insured`](crate::Portal::audit_subject_of_insured) compute it for
//! a help-desk search. A user ID appears in clear only once its owner proved it (a login, a
//! registration, a reset) or an operator named it.
//!
//! ## Fields (stable within a major version)
//!
//! | field | on | meaning |
//! |---|---|---|
//! | `event` | every event | the name, one of the table below |
//! | `subject` | most | pseudonym of the user ID or insured person |
//! | `insurer` | identity and roster events | the insurer-designated code (which union, not who) |
//! | `user_id` | `login_succeeded`, `registration_completed`, `reset_completed`, `password_changed`, `account_unlocked`, `account_deleted`, `account_retired`, `sessions_ended` | the account's user ID |
//! | `flow` | identity events | `first_authentication`, `reminder`, `registration` |
//! | `matched` | `identity_checked` | whether all five fields matched |
//! | `differs` | `identity_checked` | which fields differed (for the host only) |
//! | `purpose` | code events | `registration`, `password_reset` or `email_change` |
//! | `remaining` | `code_wrong` | entries left on the challenge |
//! | `reason` | failures | why, in a word (`wrong_password`, `unknown_user_id`, `cost_too_high`, …) |
//! | `budget` | locks and ceilings | `login`, `reset_code`, `identity`, `reset_request`, `registration_mail`, `signup_mail`, `email_change` |
//! | `applied`, `dry_run`, `added`, `changed`, `removed`, `removes_too_many`, `refused`, `duplicates` | `roster_imported` | the import's outcome |
//! | `on` | `coverage_ended` | the 資格喪失日 |
//! | `found` | `coverage_ended`, `coverage_restored`, `help_desk_lookup` | whether the person (or account) was there |
//! | `retry_after_s` | locks | seconds until the lock ends |
//! | `error` | `mail_failed`, `config_refused` | the mailer's or the configuration's error, as it displays |
//!
//! ## Events
//!
//! | event | level | when |
//! |---|---|---|
//! | `identity_checked` | info | five fields compared with the roster |
//! | `code_issued` | info | a code was mailed (or handed to the mailer) |
//! | `decoy_issued` | info | a reset for a user ID without an account: a decoy challenge, no mail |
//! | `code_accepted` / `code_wrong` / `code_expired` / `code_exhausted` | info / warn | a code entry and its verdict |
//! | `registration_completed` | info | an account was created |
//! | `login_succeeded` / `login_failed` | info / warn | a login and why it failed |
//! | `locked` | warn | an attempt refused by a timed lock |
//! | `ceiling_reached` | warn | an attempt refused by a ceiling |
//! | `reset_completed` | info | a password was reset |
//! | `account_unlocked` | warn | the help desk cleared an account's budgets |
//! | `mail_failed` | error | the mailer refused a mail |
//! | `password_changed` / `email_changed` | info | a logged-in member changed a setting |
//! | `roster_imported` | info | an insurer's roster was replaced (or a dry run reported) |
//! | `coverage_ended` / `coverage_restored` | warn | an operator marked 資格喪失, or undid it |
//! | `help_desk_lookup` / `account_deleted` | warn | the help desk looked an account up, or deleted it |
//! | `account_retired` | warn | a first authentication deleted the account of its insured key that someone born on another date registered (`reason`: `insured_person_changed`) |
//! | `help_desk_refused` | warn | a union's desk ([`InsurerHelpDesk`](crate::InsurerHelpDesk)) was asked about another insurer's account (`insurer`: the desk's; `operation`) |
//! | `sessions_ended` | warn | the help desk ended every session of an account |
//! | `other_sessions_ended` | info | a member ended every other session of theirs |
//! | `session_ended` | info | [`Portal::check_session`](crate::Portal::check_session) ended a session (password changed, account gone, lifetime over, sessions ended) |
//! | `busy` | warn | an argon2 run was refused for lack of capacity |
//! | `config_refused` | error | a portal was built on a configuration [`Config::check`](crate::Config::check) refuses (no secret key, a budget out of range, …) |

use blake2::digest::Mac;

use crate::identity::InsuredKey;
use crate::otp::SecretKey;
use crate::random;
use crate::user_id::UserKey;

/// Emits one audit event: `audit!(Level, "name", field = value, …)`.
macro_rules! audit {
    ($level:ident, $name:literal $(, $($field:tt)+)?) => {
        ::tracing::event!(
            target: "kenpo_auth::audit",
            ::tracing::Level::$level,
            event = $name
            $(, $($field)+)?
        )
    };
}
pub(crate) use audit;

fn pseudonym(key: &SecretKey, kind: u8, value: &str) -> String {
    let mut mac = key.mac(b"kenpo-auth audit subject v1");
    mac.update(&[kind]);
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    random::to_hex(digest.get(..8).unwrap_or_default())
}

/// The pseudonym of a user ID in the audit trail.
pub(crate) fn user_subject(key: &SecretKey, user: &UserKey) -> String {
    pseudonym(key, 1, user.as_str())
}

/// The pseudonym of an insured person in the audit trail.
pub(crate) fn insured_subject(key: &SecretKey, insured: &InsuredKey) -> String {
    pseudonym(key, 2, &insured.storage_key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;

    #[test]
    fn pseudonyms_are_keyed_and_kind_separated() {
        let user = UserId::parse("NGK0001").unwrap().key();
        let a = user_subject(&SecretKey::from_bytes([1; 32]), &user);
        let b = user_subject(&SecretKey::from_bytes([2; 32]), &user);
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(a, user_subject(&SecretKey::from_bytes([1; 32]), &user));
        assert!(!a.contains("ngk"));
    }
}
