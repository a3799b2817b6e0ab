//! Server-side sessions in memory, bounded. tower-sessions' own `MemoryStore` never forgets a
//! session that nobody loads again, and every visitor without a cookie gets one (the CSRF
//! token of the login form), so a client fetching pages without cookies would grow it without
//! limit. This store forgets expired sessions, and when it is full it drops the least recently
//! active tenth: memory stays bounded, and under such a flood the members who are active now
//! keep their sessions longest. Several host processes need a shared store instead (Redis,
//! the database): the portal's state is in the `Store`, only these sessions are per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::{SessionStore, session_store};

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

    /// Stores `record`, making room first if it is new and the store is full.
    fn put(&self, record: &Record) {
        let mut records = self.records();
        if records.len() >= self.capacity && !records.contains_key(&record.id) {
            let now = OffsetDateTime::now_utc();
            records.retain(|_, r| r.expiry_date > now);
            if records.len() >= self.capacity {
                // Expiry is last activity plus the idle timeout: the earliest are the idlest.
                let mut expiries: Vec<_> = records.values().map(|r| r.expiry_date).collect();
                expiries.sort_unstable();
                if let Some(&cut) = expiries.get(expiries.len() / 10) {
                    records.retain(|_, r| r.expiry_date > cut);
                }
                tracing::warn!(target: "web", event = "sessions_evicted", kept = records.len());
            }
        }
        records.insert(record.id, record.clone());
    }
}

#[async_trait::async_trait]
impl SessionStore for BoundedSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while self.records().contains_key(&record.id) {
            record.id = Id::default();
        }
        self.put(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.put(record);
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

    fn record(minutes_left: i64) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::default(),
            expiry_date: OffsetDateTime::now_utc() + Duration::minutes(minutes_left),
        }
    }

    #[tokio::test]
    async fn a_flood_of_new_sessions_stays_within_the_capacity_and_the_active_stay() {
        let store = BoundedSessions::new(1_000);
        let mut active = record(30);
        store.create(&mut active).await.unwrap();
        for _ in 0..100_000 {
            store.create(&mut record(29)).await.unwrap();
            assert!(store.records().len() <= 1_000);
        }
        assert!(store.load(&active.id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn expired_sessions_are_not_loaded_and_go_first() {
        let store = BoundedSessions::new(10);
        let mut old = record(-1);
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        for _ in 0..10 {
            store.create(&mut record(30)).await.unwrap();
        }
        assert!(!store.records().contains_key(&old.id));
        assert_eq!(store.records().len(), 10);
    }
}
