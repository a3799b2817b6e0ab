//! Finding the server, schemas of one's own, and the records the tests store.

use std::sync::{Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub use crate::records::*;

use kenpo_auth::postgres::PostgresOptions;
use kenpo_auth::{PostgresStore, Store};

/// The default server: the machine's own, trust authentication.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server's URL, from `KENPO_PG_URL` or [`DEFAULT_URL`].
pub fn url() -> String {
    std::env::var("KENPO_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Runs `work` on a fresh thread with a current-thread Tokio runtime of its own, so that it
/// can be called from anywhere (a test's runtime, a `Drop`).
pub fn on_runtime<T: Send>(work: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(work)
            })
            .join()
            .unwrap()
    })
}

/// Runs `sql` (simple queries, `;`-separated) on a connection of its own.
pub fn admin(sql: &str) -> Result<Vec<tokio_postgres::SimpleQueryMessage>, String> {
    let url = url();
    on_runtime(async move {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
        config.connect_timeout(Duration::from_secs(3));
        config.application_name("kenpo-test-admin");
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("{e}"))?;
        let driver = tokio::spawn(connection);
        let result = client.simple_query(sql).await.map_err(|e| format!("{e}"));
        drop(client);
        let _ = driver.await;
        result
    })
}

/// The first column of the first row of `sql`.
pub fn admin_value(sql: &str) -> Option<String> {
    admin(sql)
        .ok()?
        .into_iter()
        .find_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
}

/// Whether the server answers; `None` means skip (after saying why), and with
/// `KENPO_REQUIRE_PG=1` a missing server fails the test.
pub fn server() -> Option<String> {
    static ANSWER: OnceLock<Result<(), String>> = OnceLock::new();
    let answer = ANSWER.get_or_init(|| admin("SELECT 1").map(drop));
    match answer {
        Ok(()) => Some(url()),
        Err(reason) => {
            let required = std::env::var("KENPO_REQUIRE_PG").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "KENPO_REQUIRE_PG=1 but no PostgreSQL server answers at {}: {reason}",
                redacted(&url())
            );
            eprintln!(
                "PostgreSQL suite skipped: no server answers at {} ({reason}); set KENPO_PG_URL, \
                 or KENPO_REQUIRE_PG=1 to fail instead",
                redacted(&url())
            );
            None
        }
    }
}

/// `url` without a password.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Tests share the server; the one that restarts it has it alone.
static SERVER: RwLock<()> = RwLock::new(());

/// A test's use of the server: its URL, and a share of it (held until the test ends).
pub struct ServerUse {
    pub url: String,
    _shared: Option<RwLockReadGuard<'static, ()>>,
    _alone: Option<RwLockWriteGuard<'static, ()>>,
}

/// The server shared with the other tests, or `None` (skip).
pub fn shared_server() -> Option<ServerUse> {
    let url = server()?;
    Some(ServerUse {
        url,
        _shared: Some(SERVER.read().unwrap_or_else(PoisonError::into_inner)),
        _alone: None,
    })
}

/// The server to this test alone (waits for every other test to finish with it).
pub fn server_alone() -> Option<ServerUse> {
    let url = server()?;
    Some(ServerUse {
        url,
        _shared: None,
        _alone: Some(SERVER.write().unwrap_or_else(PoisonError::into_inner)),
    })
}

/// Skips the test (returning from it) when no server answers; otherwise a [`ServerUse`] to
/// keep until the test ends.
#[macro_export]
macro_rules! require_server {
    () => {
        match $crate::support::shared_server() {
            Some(server) => server,
            None => return,
        }
    };
}

/// A schema of the test's own, dropped (with everything in it) on drop.
pub struct TestSchema {
    name: String,
}

impl TestSchema {
    pub fn new(tag: &str) -> Self {
        let tag: String = tag
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(16)
            .collect();
        let name = format!("kt_{tag}_{}", unique_suffix());
        Self { name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Options for a store on this schema, with an application name the fault tests can find.
    pub fn options(&self) -> PostgresOptions {
        PostgresOptions::default()
            .schema(&self.name)
            .application_name(&format!("kenpo-test-{}", self.name))
    }

    /// A store on this schema with `options` (whose schema this sets), connected from a plain
    /// thread.
    pub fn store_with(&self, options: PostgresOptions) -> PostgresStore {
        self.store_at(&url(), options)
    }

    /// A store on this schema through the server at `url` (a proxy in front of it, say).
    pub fn store_at(&self, url: &str, options: PostgresOptions) -> PostgresStore {
        block_on(PostgresStore::connect_with(url, options.schema(&self.name))).unwrap()
    }

    pub fn store(&self) -> PostgresStore {
        self.store_with(self.options())
    }

    /// The application name of stores made with [`options`](Self::options).
    pub fn application_name(&self) -> String {
        format!("kenpo-test-{}", self.name)
    }

    /// Terminates every backend of this schema's stores; how many.
    pub fn terminate_backends(&self) -> usize {
        admin_value(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = '{}'",
            self.application_name()
        ))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let _ = admin(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
    }
}

/// A fresh schema for each store the conformance suite makes, every one kept (so not dropped)
/// until this is.
#[derive(Default)]
pub struct FreshSchemas(Mutex<Vec<TestSchema>>);

impl FreshSchemas {
    /// What `make` makes on a new schema tagged `tag`, the schema kept.
    pub fn with_new<T>(&self, tag: &str, make: impl FnOnce(&TestSchema) -> T) -> T {
        let schema = TestSchema::new(tag);
        let store = make(&schema);
        self.0.lock().unwrap().push(schema);
        store
    }

    /// How many schemas were made.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Adds `record` to `store`'s roster, from any thread.
pub fn add<S: std::ops::Deref<Target = PostgresStore>>(
    store: &S,
    record: kenpo_auth::InsuredRecord,
) {
    block_on(store.add_insured(record)).unwrap();
}

/// Sanity: the store's futures need no runtime of the caller.
pub fn count_roster(store: &PostgresStore, insurer: &str) -> u64 {
    block_on(store.count_roster(insurer)).unwrap()
}

/// The flow-level helpers of the SQLite tests, on a store whose schema the test owns.
impl Inspect for PostgresStore {
    fn fresh() -> Self {
        panic!("a PostgresStore needs a schema the test owns: use TestSchema::store")
    }
    fn add(&self, record: kenpo_auth::InsuredRecord) {
        block_on(self.add_insured(record)).unwrap();
    }
    fn accounts(&self) -> Vec<kenpo_auth::store::Account> {
        block_on(Self::accounts(self)).unwrap()
    }
    fn challenges(&self) -> usize {
        usize::try_from(block_on(self.challenge_count()).unwrap()).unwrap()
    }
    fn counters(&self) -> usize {
        usize::try_from(block_on(self.counter_count()).unwrap()).unwrap()
    }
}

/// A connection of the test's own, to hold locks with.
pub async fn holder() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Begins `statement` (a lock on one of the schema's tables) in a transaction on `client`, and
/// holds it until the transaction is rolled back or dropped.
pub async fn hold<'a>(
    client: &'a mut tokio_postgres::Client,
    statement: &str,
) -> tokio_postgres::Transaction<'a> {
    let tx = client.transaction().await.unwrap();
    tx.batch_execute(statement).await.unwrap();
    tx
}

/// Waits until a backend of `schema`'s stores waits for a lock.
pub async fn wait_until_blocked(schema: &TestSchema) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity
         WHERE application_name = '{}' AND wait_event_type = 'Lock'",
        schema.application_name()
    );
    loop {
        let blocked = tokio::task::block_in_place(|| admin_value(&sql));
        if blocked.as_deref().is_some_and(|n| n != "0") {
            return;
        }
        assert!(Instant::now() < deadline, "the store's step never blocked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
