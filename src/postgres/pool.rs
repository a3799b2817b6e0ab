//! The connections of one [`PostgresStore`](crate::PostgresStore): the runtime that drives
//! them, the deadpool pool, and how a statement is sent ([`Session`]).
//!
//! A `tokio-postgres` connection is two halves: the `Client`, whose futures only talk to a
//! channel and may be polled by any executor, and the connection task, which owns the socket
//! and needs a Tokio runtime. Opening a connection (inside `Pool::get`) needs the runtime as
//! well. So the store keeps a [`Handle`] and takes each connection from the pool in a task
//! spawned there, awaiting its `JoinHandle` (which any executor can poll); everything else
//! runs in the caller's future on the client half.

#![allow(clippy::doc_markdown)] // PostgreSQL and PgBouncer are names, not code.

use std::fmt;
use std::sync::Arc;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Transaction,
};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{IsolationLevel, NoTls, Row};

use super::error::PostgresError;
use super::options::{PostgresOptions, StatementMode};

/// A statement parameter and its PostgreSQL type (the types let
/// [`StatementMode::Unnamed`] parse, bind and run in one round trip).
pub(super) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// Starts a transaction on `client` at the isolation every step of the store uses.
pub(super) async fn begin(client: &mut Object) -> Result<Transaction<'_>, PostgresError> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?)
}

/// Takes the advisory lock named `key` until `tx` ends. An unnamed statement: it leaves no
/// prepared statement behind, whatever the [`StatementMode`].
pub(super) async fn advisory_lock(tx: &Transaction<'_>, key: &str) -> Result<(), PostgresError> {
    tx.query_typed(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[text(&key)],
    )
    .await?;
    Ok(())
}

/// A `TEXT` parameter.
pub(super) fn text(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::TEXT)
}

/// A `BYTEA` parameter.
pub(super) fn bytea(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::BYTEA)
}

/// An `INT8` parameter.
pub(super) fn int8(value: &(dyn ToSql + Sync)) -> Param<'_> {
    (value, Type::INT8)
}

/// A runtime this crate built, shut down in the background when the last store drops (a
/// runtime dropped inside another runtime's task would panic).
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The pool, the runtime its connections run on, and the statement settings.
pub(super) struct Backend {
    pool: Pool,
    handle: Handle,
    _owned: Option<OwnedRuntime>,
    mode: StatementMode,
    max_tries: u32,
    /// `SET LOCAL statement_timeout = …` for a roster import's transaction, if any.
    import_timeout: Option<String>,
    /// `"schema".`, prefixed to every table name.
    prefix: String,
    schema: String,
    config: tokio_postgres::Config,
}

impl fmt::Debug for Backend {
    /// Hosts, ports, database, user, schema: never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|host| match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        f.debug_struct("PostgresStore")
            .field("hosts", &hosts)
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .field("schema", &self.schema)
            .field("pool_size", &self.pool.status().max_size)
            .field("statements", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The runtime for the connections: the caller's if it is a multi-threaded Tokio runtime
/// (and `dedicated` is false), else a new one with one worker thread.
fn runtime(dedicated: bool) -> Result<(Handle, Option<OwnedRuntime>), PostgresError> {
    if !dedicated {
        if let Ok(handle) = Handle::try_current() {
            if handle.runtime_flavor() == RuntimeFlavor::MultiThread {
                return Ok((handle, None));
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("kenpo-postgres")
        .enable_all()
        .build()
        .map_err(|error| PostgresError::Pool(format!("cannot start a Tokio runtime: {error}")))?;
    let handle = runtime.handle().clone();
    Ok((handle, Some(OwnedRuntime(Some(runtime)))))
}

impl Backend {
    /// Reads `url`, builds the pool (no connection is opened yet).
    pub(super) fn new(url: &str, options: &PostgresOptions) -> Result<Self, PostgresError> {
        let schema = options.checked_schema()?.to_owned();
        let mut config: tokio_postgres::Config = url.parse().map_err(|error| {
            // tokio-postgres's parse errors name the option, never its value.
            PostgresError::InvalidUrl(format!("{error}"))
        })?;
        config.application_name(&options.application_name);
        config.connect_timeout(options.connect_timeout);
        let mut startup = Vec::new();
        if let Some(timeout) = options.statement_timeout {
            startup.push(format!(
                "-c statement_timeout={}",
                timeout.as_millis().max(1)
            ));
        }
        if !options.synchronous_commit {
            startup.push("-c synchronous_commit=off".to_owned());
        }
        if !startup.is_empty() {
            config.options(startup.join(" "));
        }
        let recycling_method = if options.verify_connections {
            RecyclingMethod::Verified
        } else {
            RecyclingMethod::Fast
        };
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method });
        let (handle, owned) = runtime(options.dedicated_runtime)?;
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|error| PostgresError::Pool(error.to_string()))?;
        Ok(Self {
            pool,
            handle,
            _owned: owned,
            mode: options.statements,
            max_tries: options.max_tries,
            import_timeout: options
                .import_statement_timeout
                // At least 1 ms, as the startup option: 0 would mean no timeout at all.
                .map(|timeout| {
                    let millis = timeout.as_millis().max(1);
                    format!("SET LOCAL statement_timeout = {millis}")
                }),
            prefix: format!("\"{schema}\"."),
            schema,
            config,
        })
    }

    /// A connection of the pool, taken on the store's runtime (where new connections start
    /// their tasks), awaited from any executor.
    pub(super) async fn get(&self) -> Result<Object, PostgresError> {
        let pool = self.pool.clone();
        self.handle
            .spawn(async move { pool.get().await })
            .await
            .map_err(|_| PostgresError::RuntimeGone)?
            .map_err(PostgresError::from)
    }

    /// `template` with every `@.` replaced by the schema prefix (`"kenpo_auth".`).
    pub(super) fn sql(&self, template: &str) -> String {
        template.replace("@.", &self.prefix)
    }

    pub(super) fn schema(&self) -> &str {
        &self.schema
    }

    pub(super) const fn mode(&self) -> StatementMode {
        self.mode
    }

    /// The statement that sets a roster import's statement timeout
    /// ([`PostgresOptions::import_statement_timeout`]), if one is set.
    pub(super) fn import_timeout(&self) -> Option<&str> {
        self.import_timeout.as_deref()
    }

    pub(super) const fn max_tries(&self) -> u32 {
        self.max_tries
    }

    pub(super) fn max_size(&self) -> usize {
        self.pool.status().max_size
    }
}

/// A shared backend (the store's clones share one).
pub(super) type SharedBackend = Arc<Backend>;

/// Where statements go: a pooled connection, or an open transaction on one.
pub(super) enum On<'a> {
    Client(&'a Object),
    Tx(&'a deadpool_postgres::Transaction<'a>),
}

/// Sends statements in the store's [`StatementMode`].
pub(super) struct Session<'a> {
    pub(super) on: On<'a>,
    pub(super) mode: StatementMode,
}

impl Session<'_> {
    /// Runs `sql` and returns its rows.
    pub(super) async fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, PostgresError> {
        let rows = match self.mode {
            StatementMode::Cached => {
                let types: Vec<Type> = params.iter().map(|(_, ty)| ty.clone()).collect();
                let values: Vec<&(dyn ToSql + Sync)> =
                    params.iter().map(|(value, _)| *value).collect();
                match self.on {
                    On::Client(client) => {
                        let statement = client.prepare_typed_cached(sql, &types).await?;
                        client.query(&statement, &values).await?
                    }
                    On::Tx(tx) => {
                        let statement = tx.prepare_typed_cached(sql, &types).await?;
                        tx.query(&statement, &values).await?
                    }
                }
            }
            StatementMode::Unnamed => match self.on {
                On::Client(client) => client.query_typed(sql, params).await?,
                On::Tx(tx) => tx.query_typed(sql, params).await?,
            },
        };
        Ok(rows)
    }

    /// Runs `sql`, which yields at most one row.
    pub(super) async fn query_opt(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, PostgresError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Runs `sql` (a statement ending in `RETURNING 1`, or a query) and counts its rows.
    pub(super) async fn count(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, PostgresError> {
        let rows = self.query(sql, params).await?;
        Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
    }
}
