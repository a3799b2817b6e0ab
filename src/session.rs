//! The stamp a host keeps in a logged-in member's session, so that the session ends when the
//! member's credentials change — not only when the member logs out or goes idle.
//!
//! A session the host holds outlives what it was granted for unless someone checks it again:
//! a session stolen before a password reset would go on working after it (OWASP ASVS 5.0
//! V7.4.3), one of a deleted account or of an insured person whose coverage ended would too
//! (V7.4.2), and nothing would end a session that is used every few minutes (V7.3.2; NIST SP
//! 800-63B rev. 4 §2.2.3 asks AAL2 to re-authenticate at least every 24 hours). The stamp is a
//! MAC, under [`Config::secret_key`](crate::Config::secret_key), of the account's user key,
//! its password hash, its session epoch and the moment the stamp was issued. Every password
//! change or reset writes a new hash with a new salt, and every end of the member's sessions
//! (the help desk's, or the member's own from another device) raises the epoch, so every
//! stamp issued before either stops matching — by a count, not a time, so that no clock
//! between the host processes decides which sessions ended. The stamp reveals nothing about
//! the hash and cannot be made without the key.

use std::fmt;
use std::time::{Duration, SystemTime};

use blake2::digest::Mac;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::hashing::PasswordHash;
use crate::otp::SecretKey;
use crate::random;
use crate::user_id::UserKey;

/// Proof that a member logged in, at a moment, with the password their account still has.
///
/// Get one from [`Portal::login_with_stamp`](crate::Portal::login_with_stamp) (and a new one
/// from [`Portal::change_password`](crate::Portal::change_password) or
/// [`Portal::end_other_sessions`](crate::Portal::end_other_sessions) in the session that made
/// the change), keep it in the member's session, and pass it to
/// [`Portal::check_session`](crate::Portal::check_session) on every request. It serialises as
/// 80 hexadecimal digits. `Debug` prints `[REDACTED]`, and equality runs in constant time.
///
/// ```
/// use kenpo_auth::SessionStamp;
/// let stamp: SessionStamp = serde_json::from_str(&format!("\"{}\"", "ab".repeat(40))).unwrap();
/// assert_eq!(format!("{stamp:?}"), "SessionStamp([REDACTED])");
/// assert_eq!(serde_json::to_string(&stamp).unwrap(), format!("\"{}\"", "ab".repeat(40)));
/// ```
#[derive(Clone, Copy)]
pub struct SessionStamp {
    issued_at: u64,
    mac: [u8; 32],
}

impl SessionStamp {
    /// Bytes in the stamp: the issue time (seconds since the Unix epoch, big-endian) and the MAC.
    const BYTES: usize = 8 + 32;

    /// The stamp of `account`, issued at `now`.
    pub(crate) fn issue(key: &SecretKey, account: &Stamped<'_>, now: SystemTime) -> Self {
        let issued_at = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Self {
            issued_at,
            mac: mac(key, account, issued_at),
        }
    }

    /// Whether this stamp was issued for `account` as it is now, and no longer than
    /// `lifetime` before `now`. The MAC is compared in constant time.
    pub(crate) fn holds(
        &self,
        key: &SecretKey,
        account: &Stamped<'_>,
        now: SystemTime,
        lifetime: Duration,
    ) -> bool {
        let expected = mac(key, account, self.issued_at);
        let genuine: bool = expected.ct_eq(&self.mac).into();
        let issued = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(self.issued_at))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let age = now.duration_since(issued).unwrap_or(Duration::ZERO);
        genuine && age < lifetime
    }

    fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut bytes = [0_u8; Self::BYTES];
        let (time, mac) = bytes.split_at_mut(8);
        time.copy_from_slice(&self.issued_at.to_be_bytes());
        mac.copy_from_slice(&self.mac);
        bytes
    }
}

/// What a stamp binds of an account: a stamp holds only while all three are as they were.
#[derive(Clone, Copy)]
pub(crate) struct Stamped<'a> {
    pub(crate) user_key: &'a UserKey,
    pub(crate) password_hash: &'a PasswordHash,
    /// [`Account::session_epoch`](crate::store::Account::session_epoch).
    pub(crate) session_epoch: u64,
}

/// The MAC of `account` at `issued_at`, under `key`. The user key and the hash are
/// length-prefixed so that no two accounts' inputs run together.
fn mac(key: &SecretKey, account: &Stamped<'_>, issued_at: u64) -> [u8; 32] {
    // v2: the session epoch joined the MAC (v1 stamps no longer hold).
    let mut mac = key.mac(b"kenpo-auth session v2");
    mac.update(&issued_at.to_be_bytes());
    mac.update(&account.session_epoch.to_be_bytes());
    for part in [account.user_key.as_str(), account.password_hash.as_str()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

/// In constant time, as every comparison of a secret.
impl PartialEq for SessionStamp {
    fn eq(&self, other: &Self) -> bool {
        self.to_bytes().ct_eq(&other.to_bytes()).into()
    }
}

impl Eq for SessionStamp {}

impl fmt::Debug for SessionStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionStamp([REDACTED])")
    }
}

impl Serialize for SessionStamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&random::to_hex(&self.to_bytes()))
    }
}

impl<'de> Deserialize<'de> for SessionStamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = random::decode_secret(&text, Self::BYTES, Self::BYTES)
            .map_err(serde::de::Error::custom)?;
        let (time, mac) = bytes.split_at(8);
        let issued_at = u64::from_be_bytes(time.try_into().map_err(serde::de::Error::custom)?);
        let mac = mac.try_into().map_err(serde::de::Error::custom)?;
        Ok(Self { issued_at, mac })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    struct Parts {
        key: SecretKey,
        user: UserKey,
        hash: PasswordHash,
        now: SystemTime,
    }

    impl Parts {
        fn new() -> Self {
            Self {
                key: SecretKey::from_bytes([7; 32]),
                user: crate::UserId::parse("NGK000123").unwrap().key(),
                hash: PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
                now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000),
            }
        }

        fn account(&self, session_epoch: u64) -> Stamped<'_> {
            Stamped {
                user_key: &self.user,
                password_hash: &self.hash,
                session_epoch,
            }
        }
    }

    #[test]
    fn a_stamp_holds_for_its_account_until_its_lifetime_ends() {
        let p = Parts::new();
        let stamp = SessionStamp::issue(&p.key, &p.account(0), p.now);
        assert!(stamp.holds(&p.key, &p.account(0), p.now + HOUR, 12 * HOUR));
        assert!(!stamp.holds(&p.key, &p.account(0), p.now + 12 * HOUR, 12 * HOUR));
    }

    #[test]
    fn a_new_password_hash_session_epoch_user_or_key_ends_it() {
        let p = Parts::new();
        let stamp = SessionStamp::issue(&p.key, &p.account(3), p.now);
        let new_hash = PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$b3RoZXJzYWx0$aGFzaA");
        let other = crate::UserId::parse("NGK000124").unwrap().key();
        for changed in [
            Stamped {
                password_hash: &new_hash,
                ..p.account(3)
            },
            p.account(4),
            Stamped {
                user_key: &other,
                ..p.account(3)
            },
        ] {
            assert!(!stamp.holds(&p.key, &changed, p.now, 12 * HOUR));
        }
        let other_key = SecretKey::from_bytes([8; 32]);
        assert!(!stamp.holds(&other_key, &p.account(3), p.now, 12 * HOUR));
        assert!(stamp.holds(&p.key, &p.account(3), p.now, 12 * HOUR));
    }

    #[test]
    fn a_stamp_moved_to_a_later_issue_time_is_refused() {
        let p = Parts::new();
        let mut stamp = SessionStamp::issue(&p.key, &p.account(0), p.now);
        stamp.issued_at += 11 * 3600;
        assert!(!stamp.holds(&p.key, &p.account(0), p.now + 12 * HOUR, 12 * HOUR));
    }

    #[test]
    fn it_round_trips_through_serde() {
        let p = Parts::new();
        let stamp = SessionStamp::issue(&p.key, &p.account(0), p.now);
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json.len(), 2 + 80);
        assert_eq!(serde_json::from_str::<SessionStamp>(&json).unwrap(), stamp);
        assert!(serde_json::from_str::<SessionStamp>("\"abcd\"").is_err());
    }
}
