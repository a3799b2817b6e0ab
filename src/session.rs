//! The stamp a host keeps in a logged-in member's session, so that the session ends when the
//! member's credentials change — not only when the member logs out or goes idle.
//!
//! A session the host holds outlives what it was granted for unless someone checks it again:
//! a session stolen before a password reset would go on working after it (OWASP ASVS 5.0
//! V7.4.3), one of a deleted account or of an insured person whose coverage ended would too
//! (V7.4.2), and nothing would end a session that is used every few minutes (V7.3.2; NIST SP
//! 800-63B rev. 4 §2.2.3 asks AAL2 to re-authenticate at least every 24 hours). The stamp is a
//! MAC, under [`Config::secret_key`](crate::Config::secret_key), of the account's user key,
//! its password hash and the moment the stamp was issued; every password change or reset
//! writes a new hash with a new salt, so every stamp issued before it stops matching. The
//! stamp reveals nothing about the hash and cannot be made without the key.

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
/// Get one from [`Portal::session_stamp`](crate::Portal::session_stamp) right after a
/// successful [`login`](crate::Portal::login) (and again after the member changes their own
/// password), keep it in the member's session, and pass it to
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
    /// Milliseconds since the Unix epoch: fine enough that a stamp issued right after the
    /// account's sessions were ended is told from one issued right before.
    issued_ms: u64,
    mac: [u8; 32],
}

impl SessionStamp {
    /// Bytes in the stamp: the issue time (milliseconds since the Unix epoch, big-endian) and
    /// the MAC.
    const BYTES: usize = 8 + 32;

    /// The stamp of the account with `user_key` and `password_hash`, issued at `now`.
    pub(crate) fn issue(
        key: &SecretKey,
        user_key: &UserKey,
        password_hash: &PasswordHash,
        now: SystemTime,
    ) -> Self {
        let issued_ms = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        Self {
            issued_ms,
            mac: mac(key, user_key, password_hash, issued_ms),
        }
    }

    /// Whether this stamp was issued for the account as it is now, no longer than `lifetime`
    /// before `now`, and after the help desk last ended the account's sessions
    /// (`sessions_ended_at`). The MAC is compared in constant time. The stamp keeps whole
    /// milliseconds, so one issued in the millisecond of the end has ended too.
    pub(crate) fn holds(
        &self,
        key: &SecretKey,
        user_key: &UserKey,
        password_hash: &PasswordHash,
        sessions_ended_at: Option<SystemTime>,
        now: SystemTime,
        lifetime: Duration,
    ) -> bool {
        let expected = mac(key, user_key, password_hash, self.issued_ms);
        let genuine: bool = expected.ct_eq(&self.mac).into();
        let issued = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_millis(self.issued_ms))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let age = now.duration_since(issued).unwrap_or(Duration::ZERO);
        let ended = sessions_ended_at.is_some_and(|ended| ended >= issued);
        genuine && age < lifetime && !ended
    }

    fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut bytes = [0_u8; Self::BYTES];
        let (time, mac) = bytes.split_at_mut(8);
        time.copy_from_slice(&self.issued_ms.to_be_bytes());
        mac.copy_from_slice(&self.mac);
        bytes
    }
}

/// The MAC of the account's user key and password hash at `issued_ms`, under `key`. The user
/// key and the hash are length-prefixed so that no two accounts' inputs run together.
fn mac(
    key: &SecretKey,
    user_key: &UserKey,
    password_hash: &PasswordHash,
    issued_ms: u64,
) -> [u8; 32] {
    // v2: the time in milliseconds (v1 had seconds; its stamps no longer hold).
    let mut mac = key.mac(b"kenpo-auth session v2");
    mac.update(&issued_ms.to_be_bytes());
    for part in [user_key.as_str(), password_hash.as_str()] {
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
        let issued_ms = u64::from_be_bytes(time.try_into().map_err(serde::de::Error::custom)?);
        let mac = mac.try_into().map_err(serde::de::Error::custom)?;
        Ok(Self { issued_ms, mac })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn parts() -> (SecretKey, UserKey, PasswordHash, SystemTime) {
        let user = crate::UserId::parse("NGK000123").unwrap().key();
        let hash = PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        (SecretKey::from_bytes([7; 32]), user, hash, now)
    }

    #[test]
    fn a_stamp_holds_for_its_account_until_its_lifetime_ends() {
        let (key, user, hash, now) = parts();
        let stamp = SessionStamp::issue(&key, &user, &hash, now);
        assert!(stamp.holds(&key, &user, &hash, None, now + HOUR, 12 * HOUR));
        assert!(!stamp.holds(&key, &user, &hash, None, now + 12 * HOUR, 12 * HOUR));
    }

    #[test]
    fn a_new_password_hash_another_user_or_another_key_ends_it() {
        let (key, user, hash, now) = parts();
        let stamp = SessionStamp::issue(&key, &user, &hash, now);
        let new_hash = PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$b3RoZXJzYWx0$aGFzaA");
        assert!(!stamp.holds(&key, &user, &new_hash, None, now, 12 * HOUR));
        let other = crate::UserId::parse("NGK000124").unwrap().key();
        assert!(!stamp.holds(&key, &other, &hash, None, now, 12 * HOUR));
        let other_key = SecretKey::from_bytes([8; 32]);
        assert!(!stamp.holds(&other_key, &user, &hash, None, now, 12 * HOUR));
    }

    #[test]
    fn a_stamp_moved_to_a_later_issue_time_is_refused() {
        let (key, user, hash, now) = parts();
        let mut stamp = SessionStamp::issue(&key, &user, &hash, now);
        stamp.issued_ms += 11 * 3600 * 1000;
        assert!(!stamp.holds(&key, &user, &hash, None, now + 12 * HOUR, 12 * HOUR));
    }

    #[test]
    fn a_help_desk_end_ends_the_stamps_issued_until_then_and_no_later_one() {
        let (key, user, hash, now) = parts();
        let stamp = SessionStamp::issue(&key, &user, &hash, now);
        let later = |secs| Some(now + Duration::from_secs(secs));
        assert!(!stamp.holds(&key, &user, &hash, later(0), now, 12 * HOUR));
        assert!(!stamp.holds(&key, &user, &hash, later(3600), now + HOUR, 12 * HOUR));
        let before = Some(now - Duration::from_secs(1));
        assert!(stamp.holds(&key, &user, &hash, before, now + HOUR, 12 * HOUR));
        // Whole milliseconds: a stamp issued in the millisecond of the end has ended with it,
        // one issued in the next holds.
        let same_ms = Some(now + Duration::from_micros(999));
        assert!(!stamp.holds(&key, &user, &hash, same_ms, now, 12 * HOUR));
        let next = SessionStamp::issue(&key, &user, &hash, now + Duration::from_millis(1));
        assert!(next.holds(&key, &user, &hash, same_ms, now + HOUR, 12 * HOUR));
    }

    #[test]
    fn it_round_trips_through_serde() {
        let (key, user, hash, now) = parts();
        let stamp = SessionStamp::issue(&key, &user, &hash, now);
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json.len(), 2 + 80);
        assert_eq!(serde_json::from_str::<SessionStamp>(&json).unwrap(), stamp);
        assert!(serde_json::from_str::<SessionStamp>("\"abcd\"").is_err());
    }
}
