//! [`PostgresOptions`]: how [`PostgresStore::connect_with`](crate::PostgresStore::connect_with)
//! connects, and [`StatementMode`]: how statements reach the server.

#![allow(clippy::doc_markdown)] // PostgreSQL and PgBouncer are names, not code.

use std::time::Duration;

use super::error::PostgresError;

/// How the store sends its statements.
///
/// ```
/// use kenpo_auth::postgres::{PostgresOptions, StatementMode};
/// // Behind PgBouncer in transaction mode (before 1.21, or without `max_prepared_statements`):
/// let options = PostgresOptions::default().statements(StatementMode::Unnamed);
/// assert_eq!(options.statement_mode(), StatementMode::Unnamed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatementMode {
    /// Each connection prepares each statement once, as a named prepared statement, and
    /// reuses it (deadpool's per-connection statement cache). The fastest; for a direct
    /// connection to PostgreSQL, or PgBouncer 1.21+ with `max_prepared_statements` set.
    #[default]
    Cached,
    /// Every statement is sent as an unnamed statement with its parameter types, parsed,
    /// bound and run in one round trip (`query_typed`); nothing outlives the statement. Safe
    /// behind any connection pooler in transaction mode.
    Unnamed,
}

/// How [`PostgresStore::connect_with`](crate::PostgresStore::connect_with) connects.
///
/// ```
/// use std::time::Duration;
/// use kenpo_auth::postgres::PostgresOptions;
///
/// let options = PostgresOptions::default()
///     .pool_size(16)
///     .statement_timeout(Some(Duration::from_secs(2)))
///     .schema("union_06139999");
/// assert_eq!(options.pool_size_value(), 16);
/// assert_eq!(options.schema_name(), "union_06139999");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostgresOptions {
    pub(super) pool_size: usize,
    pub(super) statement_timeout: Option<Duration>,
    pub(super) import_statement_timeout: Option<Duration>,
    pub(super) connect_timeout: Duration,
    pub(super) schema: String,
    pub(super) statements: StatementMode,
    pub(super) application_name: String,
    pub(super) verify_connections: bool,
    pub(super) dedicated_runtime: bool,
    pub(super) max_tries: u32,
    pub(super) synchronous_commit: bool,
}

impl Default for PostgresOptions {
    /// Eight connections, a 10 s statement timeout (10 minutes within a roster import), a
    /// 10 s connect timeout, schema
    /// `kenpo_auth`, [`StatementMode::Cached`], application name `kenpo-auth`, connections
    /// verified when taken from the pool, the caller's runtime when it is a multi-threaded
    /// Tokio runtime, eight tries for a transaction that loses to a concurrent one, synchronous
    /// commits.
    fn default() -> Self {
        Self {
            pool_size: 8,
            statement_timeout: Some(Duration::from_secs(10)),
            import_statement_timeout: Some(Duration::from_secs(10 * 60)),
            connect_timeout: Duration::from_secs(10),
            schema: "kenpo_auth".to_owned(),
            statements: StatementMode::Cached,
            application_name: "kenpo-auth".to_owned(),
            verify_connections: true,
            dedicated_runtime: false,
            max_tries: 8,
            synchronous_commit: true,
        }
    }
}

/// `timeout`, at most [`PostgresOptions::MAX_STATEMENT_TIMEOUT`].
const fn capped(timeout: Option<Duration>) -> Option<Duration> {
    match timeout {
        Some(timeout) if timeout.as_secs() >= PostgresOptions::MAX_STATEMENT_TIMEOUT.as_secs() => {
            Some(PostgresOptions::MAX_STATEMENT_TIMEOUT)
        }
        other => other,
    }
}

impl PostgresOptions {
    /// At most `size` connections (at least one). Connections are opened as needed.
    #[must_use]
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// The longest statement timeout: a day. PostgreSQL refuses more than `i32::MAX`
    /// milliseconds (about 24 days) at connection, and no statement of the store is meant to
    /// run for hours.
    pub const MAX_STATEMENT_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    /// The server cancels any statement of the store that runs longer than `timeout` (`None`:
    /// no limit), at most [`MAX_STATEMENT_TIMEOUT`](Self::MAX_STATEMENT_TIMEOUT), which a
    /// longer `timeout` becomes. Sent as the startup option `statement_timeout`; behind
    /// PgBouncer, which refuses startup options, choose `None` and set it on the role instead
    /// (`ALTER ROLE … SET statement_timeout = '10s'`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::postgres::PostgresOptions;
    ///
    /// let forever = PostgresOptions::default().statement_timeout(Some(Duration::MAX));
    /// let longest = Some(PostgresOptions::MAX_STATEMENT_TIMEOUT);
    /// assert_eq!(forever, PostgresOptions::default().statement_timeout(longest));
    /// ```
    #[must_use]
    pub const fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = capped(timeout);
        self
    }

    /// The statement timeout within a roster import
    /// ([`Store::import_roster`](crate::Store::import_roster)), in place of
    /// [`statement_timeout`](Self::statement_timeout) (`None`: the same as every statement),
    /// at most [`MAX_STATEMENT_TIMEOUT`](Self::MAX_STATEMENT_TIMEOUT), at least 1 ms. Set
    /// with `SET LOCAL` in the import's transaction, so it holds behind PgBouncer too and for
    /// nothing else — including the wait for another import of the same insurer to finish.
    ///
    /// An import's statements grow with the file: a million rows take about 8 s in the
    /// longest of them on a two-core test machine (`cargo bench --bench roster_import`), so the
    /// 10 s meant for a login would refuse a larger union's file every month. The default,
    /// 10 minutes, still ends an import that hangs.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kenpo_auth::postgres::PostgresOptions;
    ///
    /// let hour = Some(Duration::from_secs(3600));
    /// let options = PostgresOptions::default().import_statement_timeout(hour);
    /// let day = Some(PostgresOptions::MAX_STATEMENT_TIMEOUT);
    /// let forever = PostgresOptions::default().import_statement_timeout(Some(Duration::MAX));
    /// assert_eq!(forever, PostgresOptions::default().import_statement_timeout(day));
    /// ```
    #[must_use]
    pub const fn import_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.import_statement_timeout = capped(timeout);
        self
    }

    /// How long to wait for a new connection, and for a free one of the pool.
    #[must_use]
    pub const fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The schema that holds the store's tables, created if missing: one per tenant, or one
    /// per test. 1 to 63 characters of `a-z`, `0-9` and `_`, not starting with a digit
    /// (checked by [`connect_with`](crate::PostgresStore::connect_with)).
    #[must_use]
    pub fn schema(mut self, name: &str) -> Self {
        name.clone_into(&mut self.schema);
        self
    }

    /// How statements are sent; see [`StatementMode`].
    #[must_use]
    pub const fn statements(mut self, mode: StatementMode) -> Self {
        self.statements = mode;
        self
    }

    /// The `application_name` the connections report (`pg_stat_activity`).
    #[must_use]
    pub fn application_name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.application_name);
        self
    }

    /// Whether a connection taken from the pool is first checked with an empty query (one
    /// round trip), so that a connection the server closed (restart, `pg_terminate_backend`,
    /// idle timeout) is replaced before a call uses it. On by default; off saves the round
    /// trip, and a call on a dead connection then fails once with a transient error.
    #[must_use]
    pub const fn verify_connections(mut self, verify: bool) -> Self {
        self.verify_connections = verify;
        self
    }

    /// Whether the store runs its connections on a Tokio runtime of its own (one worker
    /// thread) even when connected from inside a multi-threaded runtime. See "Runtime" in the
    /// [module documentation](crate::postgres).
    #[must_use]
    pub const fn dedicated_runtime(mut self, dedicated: bool) -> Self {
        self.dedicated_runtime = dedicated;
        self
    }

    /// How many times a transaction that lost to a concurrent one (serialization failure,
    /// deadlock) runs before the store gives up with
    /// [`PostgresError::Contention`](super::PostgresError::Contention). At least one.
    #[must_use]
    pub fn max_tries(mut self, tries: u32) -> Self {
        self.max_tries = tries.max(1);
        self
    }

    /// Whether a commit waits for the server's write-ahead log to reach the disk (on, the
    /// server's default). Off (`synchronous_commit = off` for the store's sessions, sent as a
    /// startup option): every step stays atomic and the database consistent after a crash, but
    /// a server crash may undo the last acknowledged steps (an account, a consumed code, a
    /// counted attempt — so a crash could hand an attacker back a few guesses). For tests and
    /// measurements.
    #[must_use]
    pub const fn synchronous_commit(mut self, on: bool) -> Self {
        self.synchronous_commit = on;
        self
    }

    /// The pool size.
    #[must_use]
    pub const fn pool_size_value(&self) -> usize {
        self.pool_size
    }

    /// The schema name.
    #[must_use]
    pub fn schema_name(&self) -> &str {
        &self.schema
    }

    /// The statement mode.
    #[must_use]
    pub const fn statement_mode(&self) -> StatementMode {
        self.statements
    }

    /// The schema name, checked.
    pub(super) fn checked_schema(&self) -> Result<&str, PostgresError> {
        let name = self.schema.as_str();
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if first_ok && rest_ok && name.len() <= 63 {
            Ok(name)
        } else {
            Err(PostgresError::InvalidSchemaName)
        }
    }
}
