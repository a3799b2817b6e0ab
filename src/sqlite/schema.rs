//! The schema of [`SqliteStore`](crate::sqlite::SqliteStore) and its migrations.
//!
//! The schema version lives in SQLite's `PRAGMA user_version`. [`MIGRATIONS`] holds one
//! script per version: opening a database at version `v` runs the scripts after `v`, in one
//! `BEGIN IMMEDIATE` transaction, so that concurrent openers (threads or processes) migrate it
//! exactly once. A later release appends a script; it never edits an old one.

#![allow(clippy::doc_markdown)] // SQLite and PostgreSQL are names, not code.

use rusqlite::{Connection, TransactionBehavior};

use super::error::SqliteError;

/// Version 1: the roster, accounts, first authentications, challenges and counters.
///
/// Times are signed nanoseconds since the Unix epoch (exact round trips of `SystemTime`
/// until 2262); ids and MACs are BLOBs; password hashes are PHC strings.
const V1: &str = "
CREATE TABLE roster (
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    birth_date   TEXT NOT NULL,  -- YYYY-MM-DD
    name_kana    TEXT NOT NULL,  -- as the insurer spelled it
    PRIMARY KEY (insurer_code, symbol, number)
) WITHOUT ROWID;

CREATE TABLE accounts (
    user_key       TEXT NOT NULL PRIMARY KEY,  -- UserId::unique_key: NGK0001 and ngk0001 collide
    user_id        TEXT NOT NULL,              -- as registered
    insurer_code   TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    number         TEXT NOT NULL,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    terms_accepted INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (insurer_code, symbol, number)      -- one account per insured person
) WITHOUT ROWID;

CREATE TABLE signups (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    insurer_code TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    number       TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX signups_by_expiry ON signups (expires_at);

-- Unconsumed challenges only: consuming one deletes its row in the transaction that creates
-- the account or sets the password.
CREATE TABLE challenges (
    id             BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    purpose        INTEGER NOT NULL CHECK (purpose IN (1, 2)),
    code_mac       BLOB NOT NULL CHECK (length(code_mac) = 32),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    attempts       INTEGER NOT NULL CHECK (attempts >= 0),
    sends          INTEGER NOT NULL CHECK (sends >= 0),
    kind           INTEGER NOT NULL CHECK (kind IN (1, 2)),  -- 1 registration, 2 reset
    -- kind 1: the account to create
    user_key       TEXT,
    user_id        TEXT,
    insurer_code   TEXT,
    symbol         TEXT,
    number         TEXT,
    email          TEXT,
    password_hash  TEXT,
    -- kind 2: the account whose password to set (NULL for a decoy)
    reset_user_key TEXT,
    CHECK (kind <> 1 OR (user_key IS NOT NULL AND user_id IS NOT NULL
        AND insurer_code IS NOT NULL AND symbol IS NOT NULL AND number IS NOT NULL
        AND email IS NOT NULL AND password_hash IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

CREATE TABLE counters (
    key          TEXT NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    window_start INTEGER,
    locked_until INTEGER
) WITHOUT ROWID;
";

/// Version 2: budgets that time does not reset, and challenges with an owner.
///
/// Counters keep the sans-I/O `AttemptCounter` as it is (`forget_at` NULL: never forgotten).
/// Login counters of version 1 carry over, since their failures must never expire; version 1's
/// windowed throttles held at most fifteen minutes of history and are dropped.
///
/// A challenge's `owner` is `ChallengeOwner::storage_key`; a new challenge voids the others of
/// the same owner and purpose, so the index serves that delete. Version 1's challenges live at
/// most ten minutes and are dropped (their members ask for a new code).
const V2: &str = "
CREATE TABLE counters_v2 (
    key          TEXT NOT NULL PRIMARY KEY,  -- CounterKey::storage_key
    attempts     INTEGER NOT NULL CHECK (attempts >= 0),
    locked_until INTEGER,
    last_attempt INTEGER,
    forget_at    INTEGER                     -- NULL: never forgotten
) WITHOUT ROWID;
INSERT INTO counters_v2 (key, attempts, locked_until, last_attempt, forget_at)
    SELECT key, failures, locked_until, window_start, NULL FROM counters
    WHERE key LIKE 'login:%';
DROP TABLE counters;
ALTER TABLE counters_v2 RENAME TO counters;
CREATE INDEX counters_by_forget_at ON counters (forget_at) WHERE forget_at IS NOT NULL;

DROP TABLE challenges;
CREATE TABLE challenges (
    id             BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    purpose        INTEGER NOT NULL CHECK (purpose IN (1, 2)),
    code_mac       BLOB NOT NULL CHECK (length(code_mac) = 32),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    attempts       INTEGER NOT NULL CHECK (attempts >= 0),
    sends          INTEGER NOT NULL CHECK (sends >= 0),
    owner          TEXT NOT NULL,
    kind           INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),  -- registration, reset, decoy
    -- kind 1: the account to create
    user_key       TEXT,
    user_id        TEXT,
    insurer_code   TEXT,
    symbol         TEXT,
    number         TEXT,
    email          TEXT,
    password_hash  TEXT,
    CHECK (kind <> 1 OR (user_key IS NOT NULL AND user_id IS NOT NULL
        AND insurer_code IS NOT NULL AND symbol IS NOT NULL AND number IS NOT NULL
        AND email IS NOT NULL AND password_hash IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX challenges_by_expiry ON challenges (expires_at);
CREATE INDEX challenges_by_owner ON challenges (owner, purpose);
";

/// Version 3: the union's side — end of coverage, last login, e-mail change codes.
///
/// `roster.coverage_end` is the 資格喪失日 (`YYYY-MM-DD`, NULL while covered);
/// `accounts.last_login_at` is for the help desk; `roster_versions` lets an import compare
/// outside the write lock (`src/sqlite/import.rs`). The challenges table is rebuilt because its
/// CHECK constraints name the purposes and kinds (SQLite cannot alter a constraint); its rows
/// carry over unchanged. An e-mail change (kind 4, purpose 3) keeps its new address in
/// `email`.
const V3: &str = "
ALTER TABLE roster ADD COLUMN coverage_end TEXT;  -- YYYY-MM-DD, NULL while covered
ALTER TABLE accounts ADD COLUMN last_login_at INTEGER;

-- Bumped by every write to an insurer's roster, in the writing transaction: an import compares
-- without the write lock, then applies only if the version it compared against still holds.
CREATE TABLE roster_versions (
    insurer_code TEXT NOT NULL PRIMARY KEY,
    version      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE challenges_v3 (
    id             BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    purpose        INTEGER NOT NULL CHECK (purpose IN (1, 2, 3)),
    code_mac       BLOB NOT NULL CHECK (length(code_mac) = 32),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    attempts       INTEGER NOT NULL CHECK (attempts >= 0),
    sends          INTEGER NOT NULL CHECK (sends >= 0),
    owner          TEXT NOT NULL,
    -- registration, reset, decoy reset, e-mail change
    kind           INTEGER NOT NULL CHECK (kind IN (1, 2, 3, 4)),
    -- kind 1: the account to create; kind 4: the new address in `email`
    user_key       TEXT,
    user_id        TEXT,
    insurer_code   TEXT,
    symbol         TEXT,
    number         TEXT,
    email          TEXT,
    password_hash  TEXT,
    CHECK (kind <> 1 OR (user_key IS NOT NULL AND user_id IS NOT NULL
        AND insurer_code IS NOT NULL AND symbol IS NOT NULL AND number IS NOT NULL
        AND email IS NOT NULL AND password_hash IS NOT NULL)),
    CHECK (kind <> 4 OR email IS NOT NULL)
) WITHOUT ROWID;
INSERT INTO challenges_v3 SELECT id, purpose, code_mac, issued_at, expires_at, attempts, sends,
    owner, kind, user_key, user_id, insurer_code, symbol, number, email, password_hash
    FROM challenges;
DROP TABLE challenges;
ALTER TABLE challenges_v3 RENAME TO challenges;
CREATE INDEX challenges_by_expiry ON challenges (expires_at);
CREATE INDEX challenges_by_owner ON challenges (owner, purpose);
";

/// Version 4: how many times a member's sessions were ended all at once
/// (`Store::end_sessions`); 0 for every existing account.
const V4: &str = "
ALTER TABLE accounts ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0 CHECK (session_epoch >= 0);
";

/// Version 5: the date of birth of the person who registered an account (`Account::is_held_by`:
/// an insurer may later give the same 記号・番号 to someone else), carried from the sign-up
/// through the registration challenge.
///
/// Existing rows take the roster's birth date of their insured key, the best the store knows.
/// An account whose person is off the roster keeps NULL (held by no one: their first
/// authentication, should they come back, retires it and they register again); a sign-up or
/// registration code without a roster entry is dropped (they live at most 30 minutes).
const V5: &str = "
ALTER TABLE accounts ADD COLUMN birth_date TEXT;  -- YYYY-MM-DD; NULL: held by no one
ALTER TABLE signups ADD COLUMN birth_date TEXT;
ALTER TABLE challenges ADD COLUMN birth_date TEXT;  -- kind 1 only
UPDATE accounts SET birth_date = (SELECT roster.birth_date FROM roster
    WHERE roster.insurer_code = accounts.insurer_code AND roster.symbol = accounts.symbol
        AND roster.number = accounts.number);
UPDATE signups SET birth_date = (SELECT roster.birth_date FROM roster
    WHERE roster.insurer_code = signups.insurer_code AND roster.symbol = signups.symbol
        AND roster.number = signups.number);
DELETE FROM signups WHERE birth_date IS NULL;
UPDATE challenges SET birth_date = (SELECT roster.birth_date FROM roster
    WHERE roster.insurer_code = challenges.insurer_code AND roster.symbol = challenges.symbol
        AND roster.number = challenges.number)
    WHERE kind = 1;
DELETE FROM challenges WHERE kind = 1 AND birth_date IS NULL;
";

/// One script per schema version, oldest first: `MIGRATIONS[v]` takes version `v` to `v + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this release writes and reads.
pub(crate) const SCHEMA_VERSION: u32 = 5;

// A new migration must come with a new version.
const _: () = assert!(MIGRATIONS.len() == SCHEMA_VERSION as usize);

/// Brings the database to [`SCHEMA_VERSION`], in one immediate transaction.
///
/// # Errors
/// [`SqliteError::SchemaTooNew`] for a database written by a newer release; SQLite errors.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let found = u32::try_from(found).map_err(|_| SqliteError::SchemaTooNew {
        found,
        supported: SCHEMA_VERSION,
    })?;
    if found > SCHEMA_VERSION {
        return Err(SqliteError::SchemaTooNew {
            found: i64::from(found),
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let done = usize::try_from(found).unwrap_or(usize::MAX);
    for script in MIGRATIONS.iter().skip(done) {
        tx.execute_batch(script)?;
    }
    // PRAGMA takes no bound parameters; the value is a constant of this crate.
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    Ok(())
}
