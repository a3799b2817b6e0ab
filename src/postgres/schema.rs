//! The schema of [`PostgresStore`](crate::PostgresStore) and its migrations.
//!
//! Every table lives in the store's own schema (`kenpo_auth` unless
//! [`PostgresOptions::schema`](super::PostgresOptions::schema) says otherwise), named in every
//! statement, so that nothing depends on the session's `search_path`. The version lives in the
//! one-row table `schema_version`. [`MIGRATIONS`] holds one script per version; connecting runs
//! the scripts after the stored version in one transaction that first takes
//! `pg_advisory_xact_lock` on a key derived from the schema name, so that many processes
//! starting at once migrate it exactly once and the others wait for the commit, then find it
//! done. A later release appends a script; it never edits an old one.

#![allow(clippy::doc_markdown)] // PostgreSQL is a name, not code.

use super::error::PostgresError;
use super::pool::{Backend, advisory_lock, begin};

/// Version 1: the roster, accounts, first authentications, challenges and counters, as the
/// SQLite store's version 3 (`@.` is the schema).
///
/// Times are `BIGINT` nanoseconds since the Unix epoch; ids and MACs `BYTEA`.
/// `challenges` holds unconsumed challenges only (consuming deletes the row), at most one per
/// owner and purpose: the unique constraint is the rule "a new challenge voids the older one",
/// kept by the database itself.
const V1: &str = "
CREATE TABLE @.roster (
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    birth_date   TEXT NOT NULL,  -- YYYY-MM-DD
    name_kana    TEXT NOT NULL,  -- as the insurer spelled it
    coverage_end TEXT,           -- YYYY-MM-DD, NULL while covered
    PRIMARY KEY (insurer_code, symbol, number)
);

CREATE TABLE @.accounts (
    user_key       TEXT NOT NULL PRIMARY KEY,  -- UserId::unique_key: NGK0001 and ngk0001 collide
    user_id        TEXT NOT NULL,              -- as registered
    insurer_code   TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    number         TEXT NOT NULL,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    terms_accepted BIGINT,
    created_at     BIGINT NOT NULL,
    last_login_at  BIGINT,
    CONSTRAINT accounts_one_per_insured UNIQUE (insurer_code, symbol, number),
    CONSTRAINT accounts_user_key_is_lower CHECK (user_key = lower(user_id COLLATE \"C\"))
);

CREATE TABLE @.signups (
    id           BYTEA NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX signups_by_expiry ON @.signups (expires_at);

CREATE TABLE @.challenges (
    id             BYTEA NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    purpose        BIGINT NOT NULL CHECK (purpose IN (1, 2, 3)),
    code_mac       BYTEA NOT NULL CHECK (length(code_mac) = 32),
    issued_at      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    attempts       BIGINT NOT NULL CHECK (attempts >= 0),
    sends          BIGINT NOT NULL CHECK (sends >= 0),
    owner          TEXT NOT NULL,              -- ChallengeOwner::storage_key
    -- registration, reset, decoy reset, e-mail change
    kind           BIGINT NOT NULL CHECK (kind IN (1, 2, 3, 4)),
    -- kind 1: the account to create; kind 4: the new address in `email`
    user_key       TEXT,
    user_id        TEXT,
    insurer_code   TEXT,
    symbol         TEXT,
    number         TEXT,
    email          TEXT,
    password_hash  TEXT,
    CONSTRAINT challenges_one_live_per_owner UNIQUE (owner, purpose),
    CHECK (kind <> 1 OR (user_key IS NOT NULL AND user_id IS NOT NULL
        AND insurer_code IS NOT NULL AND symbol IS NOT NULL AND number IS NOT NULL
        AND email IS NOT NULL AND password_hash IS NOT NULL)),
    CHECK (kind <> 4 OR email IS NOT NULL)
);
CREATE INDEX challenges_by_expiry ON @.challenges (expires_at);

CREATE TABLE @.counters (
    key          TEXT NOT NULL PRIMARY KEY,  -- CounterKey::storage_key
    attempts     BIGINT NOT NULL CHECK (attempts >= 0),
    locked_until BIGINT,
    last_attempt BIGINT,
    forget_at    BIGINT                      -- NULL: never forgotten
);
CREATE INDEX counters_by_forget_at ON @.counters (forget_at) WHERE forget_at IS NOT NULL;
";

/// Version 2: how many times a member's sessions were ended all at once
/// (`Store::end_sessions`), as the SQLite store's version 4; 0 for every existing account.
const V2: &str = "
ALTER TABLE @.accounts ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0
    CHECK (session_epoch >= 0);
";

/// Version 3: the date of birth of the person who registered an account, as the SQLite
/// store's version 5 (which says why and how existing rows are filled in).
const V3: &str = "
ALTER TABLE @.accounts ADD COLUMN birth_date TEXT;  -- YYYY-MM-DD; NULL: held by no one
ALTER TABLE @.signups ADD COLUMN birth_date TEXT;
ALTER TABLE @.challenges ADD COLUMN birth_date TEXT;  -- kind 1 only
UPDATE @.accounts AS a SET birth_date = r.birth_date FROM @.roster AS r
    WHERE r.insurer_code = a.insurer_code AND r.symbol = a.symbol AND r.number = a.number;
UPDATE @.signups AS s SET birth_date = r.birth_date FROM @.roster AS r
    WHERE r.insurer_code = s.insurer_code AND r.symbol = s.symbol AND r.number = s.number;
DELETE FROM @.signups WHERE birth_date IS NULL;
UPDATE @.challenges AS c SET birth_date = r.birth_date FROM @.roster AS r
    WHERE c.kind = 1
        AND r.insurer_code = c.insurer_code AND r.symbol = c.symbol AND r.number = c.number;
DELETE FROM @.challenges WHERE kind = 1 AND birth_date IS NULL;
ALTER TABLE @.signups ALTER COLUMN birth_date SET NOT NULL;
ALTER TABLE @.challenges ADD CHECK (kind <> 1 OR birth_date IS NOT NULL);
";

/// One script per schema version, oldest first: `MIGRATIONS[v]` takes version `v` to `v + 1`.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// The schema version this release writes and reads.
pub(super) const SCHEMA_VERSION: u32 = 3;

// A new migration must come with a new version.
const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// Creates the schema if needed and brings it to [`SCHEMA_VERSION`], in one transaction under
/// an advisory lock.
///
/// # Errors
/// [`PostgresError::SchemaTooNew`] for a schema written by a newer release; server errors.
pub(super) async fn migrate(backend: &Backend) -> Result<(), PostgresError> {
    let mut client = backend.get().await?;
    let tx = begin(&mut client).await?;
    // Unnamed statements: the migration must not leave prepared statements behind either.
    let lock_key = format!("kenpo-auth schema {}", backend.schema());
    advisory_lock(&tx, &lock_key).await?;
    tx.batch_execute(
        &backend
            .sql(
                "CREATE SCHEMA IF NOT EXISTS \"@\";
         CREATE TABLE IF NOT EXISTS @.schema_version (
             only_row BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
             version  BIGINT NOT NULL
         );
         INSERT INTO @.schema_version (version) VALUES (0) ON CONFLICT DO NOTHING;",
            )
            .replace("\"@\"", &format!("\"{}\"", backend.schema())),
    )
    .await?;
    let found: i64 = tx
        .query_typed(&backend.sql("SELECT version FROM @.schema_version"), &[])
        .await?
        .first()
        .map(|row| row.try_get(0))
        .transpose()?
        .unwrap_or(0);
    let supported = SCHEMA_VERSION;
    let done =
        usize::try_from(found).map_err(|_| PostgresError::SchemaTooNew { found, supported })?;
    if done > MIGRATIONS.len() {
        return Err(PostgresError::SchemaTooNew { found, supported });
    }
    if done == MIGRATIONS.len() {
        tx.commit().await?;
        return Ok(());
    }
    for script in MIGRATIONS.iter().skip(done) {
        tx.batch_execute(&backend.sql(script)).await?;
    }
    // The version is a constant of this crate, not input.
    tx.batch_execute(&backend.sql(&format!(
        "UPDATE @.schema_version SET version = {SCHEMA_VERSION}"
    )))
    .await?;
    tx.commit().await?;
    Ok(())
}
