//! Server-side sessions in memory, bounded. tower-sessions' own `MemoryStore` never forgets a
//! session that nobody loads again, and every visitor without a cookie gets one (the CSRF
//! token of the login form), so a client fetching pages without cookies would grow it without
//! limit. This store holds at most `capacity` sessions. When it is full it forgets the expired
//! ones, then the oldest sessions that hold nothing but a CSRF token — what a flood of
//! cookie-less requests makes — then those without a logged-in member (a notice, a flow
//! begun), and only then, if every session is a member's, the least recently active; each
//! time down to nine tenths, so that a flood pays for one sweep in ten thousand requests.
//! Sessions that carry state are made only by form posts, which the per-client rate limit
//! holds back, and a session with a member only by a login; so a flood from many clients
//! costs members their half-finished flows before it costs anyone a login. Several host
//! processes need a shared store
//! instead (Redis, the database): the portal's state is in the `Store`, only these sessions
//! are per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

use crate::guard::CSRF;
use crate::pages::MEMBER;

/// Clones share the sessions.
#[derive(Clone, Debug)]
pub struct BoundedSessions {
    records: Arc<Mutex<HashMap<Id, Record>>>,
    capacity: usize,
}

impl BoundedSessions {
    pub fn new(capacity: usize) -> Self {
        Self {
            records: Arc::new(Mutex::new(HashMap::new())),
            capacity: capacity.max(10),
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Record>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Inserts a new `record`, making room first if the store is full.
    fn insert(&self, record: &Record) {
        let mut records = self.records();
        if records.len() >= self.capacity {
            make_room(&mut records, self.capacity - self.capacity / 10);
            tracing::warn!(target: "web", event = "sessions_swept", kept = records.len());
        }
        records.insert(record.id, record.clone());
    }
}

/// What forgetting a session costs, cheapest first: an anonymous visit (nothing but its CSRF
/// token), a visit with state but no member (a notice, a flow begun), a logged-in member.
fn worth(record: &Record) -> u8 {
    let bare = record.data.keys().all(|key| key == CSRF);
    match (record.data.contains_key(MEMBER), bare) {
        (true, _) => 2,
        (false, false) => 1,
        (false, true) => 0,
    }
}

/// Forgets sessions until at most `keep` are left: the expired, then by [`worth`], each
/// group least recently active (earliest expiry) first.
fn make_room(records: &mut HashMap<Id, Record>, keep: usize) {
    let now = OffsetDateTime::now_utc();
    records.retain(|_, r| r.expiry_date > now);
    let excess = records.len().saturating_sub(keep);
    if excess == 0 {
        return;
    }
    let mut order: Vec<(u8, OffsetDateTime, Id)> = records
        .values()
        .map(|r| (worth(r), r.expiry_date, r.id))
        .collect();
    order.sort_unstable_by_key(|&(worth, expiry, _)| (worth, expiry));
    for (_, _, id) in order.into_iter().take(excess) {
        records.remove(&id);
    }
}

#[async_trait::async_trait]
impl SessionStore for BoundedSessions {
    /// Always under a new id: the record may carry one the client presented (tower-sessions
    /// recreates a flushed session under its old id), and a session id the client chose, or
    /// one a thief still holds, must never name a session again.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        record.id = Id::default();
        while self.records().contains_key(&record.id) {
            record.id = Id::default();
        }
        self.insert(record);
        Ok(())
    }

    /// Updates a session that is still here; never brings back one that logout deleted (a
    /// request still in flight saves the session it loaded) or that was swept away.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some(stored) = self.records().get_mut(&record.id) {
            stored.clone_from(record);
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        Ok(self
            .records()
            .get(id)
            .filter(|r| r.expiry_date > now)
            .cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.records().remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions::cookie::time::Duration;

    fn record(minutes_left: i64, keys: &[&str]) -> Record {
        Record {
            id: Id::default(),
            data: keys
                .iter()
                .map(|key| ((*key).to_owned(), serde_json::Value::Bool(true)))
                .collect(),
            expiry_date: OffsetDateTime::now_utc() + Duration::minutes(minutes_left),
        }
    }

    /// Floods of sessions each newer than the member's last request: cookie-less visits, and
    /// sessions with state but no member (a logout notice, a flow begun) that many clients
    /// leave, each within its rate limit. Memory stays bounded and the member, idle the
    /// longest, keeps the session.
    #[tokio::test]
    async fn floods_of_sessions_stay_bounded_and_do_not_log_members_out() {
        for flood in [&[CSRF][..], &[CSRF, "flash"]] {
            let store = BoundedSessions::new(1_000);
            let mut member = record(1, &[CSRF, MEMBER]);
            store.create(&mut member).await.unwrap();
            for _ in 0..100_000 {
                store.create(&mut record(30, flood)).await.unwrap();
                assert!(store.records().len() <= 1_000);
            }
            let kept = store.load(&member.id).await.unwrap();
            assert!(kept.is_some(), "the member was pushed out by {flood:?}");
        }
    }

    #[tokio::test]
    async fn expired_sessions_go_first_and_are_never_loaded() {
        let store = BoundedSessions::new(10);
        let mut old = record(-1, &[CSRF, MEMBER]);
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        for _ in 0..10 {
            store
                .create(&mut record(30, &[CSRF, MEMBER]))
                .await
                .unwrap();
        }
        assert!(!store.records().contains_key(&old.id));
        assert_eq!(store.records().len(), 10);
    }

    /// Logout flushes the session and then stores its notice: the session that comes back
    /// must not have the id the logged-out cookie still carries.
    #[tokio::test]
    async fn a_created_session_never_keeps_the_id_it_came_with() {
        let store = BoundedSessions::new(10);
        let mut member = record(30, &[CSRF, MEMBER]);
        store.create(&mut member).await.unwrap();
        let old = member.id;
        store.delete(&old).await.unwrap();
        let mut after_logout = record(30, &["flash"]);
        after_logout.id = old;
        store.create(&mut after_logout).await.unwrap();
        assert_ne!(after_logout.id, old);
        assert!(store.load(&old).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_deleted_session_is_not_brought_back_by_a_late_save() {
        let store = BoundedSessions::new(10);
        let mut member = record(30, &[CSRF, MEMBER]);
        store.create(&mut member).await.unwrap();
        store.delete(&member.id).await.unwrap();
        store.save(&member).await.unwrap();
        assert!(store.load(&member.id).await.unwrap().is_none());
    }
}
