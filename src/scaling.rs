//! # Scaling out: many host processes, one store (documentation only)
//!
//! This module holds no code. It explains how to run the portal in many stateless processes
//! behind a load balancer, and gives the PostgreSQL schema and statements that keep the
//! [`Store`](crate::Store) contract there, as `SqliteStore` (feature `sqlite`) keeps it on one
//! machine.
//!
//! ## The shape
//!
//! ```text
//!              ┌──────────── load balancer (no sticky sessions needed) ────────────┐
//!              │                         │                                         │
//!        host process A            host process B            …             host process N
//!        Portal + Store impl       Portal + Store impl                     Portal + Store impl
//!              └─────────────────────────┼─────────────────────────────────────────┘
//!                                 one PostgreSQL database
//! ```
//!
//! A [`Portal`](crate::Portal) keeps nothing between calls. Everything a later request needs
//! — first authentications, pending codes, attempt counters, accounts — lives in the store,
//! and the member's browser holds only opaque tickets ([`SignupTicket`](crate::SignupTicket)
//! and friends: 128 random bits naming a row). So any process can serve any request: the one
//! that mailed a code need not be the one that checks it.
//!
//! ## Why it stays correct
//!
//! Every rule that two requests could race on is decided by the database in one atomic step,
//! never by a check in one process followed by a write from it:
//!
//! | rule | decided by |
//! |---|---|
//! | one account per user ID, case-insensitively | primary key on `accounts.user_key` ([`UserKey`](crate::UserKey)) |
//! | one account per insured person | unique constraint on `accounts (insurer_code, symbol, number)` |
//! | a code is accepted once; two parallel right answers: one wins | the consuming `DELETE … WHERE id = $1 AND code_mac = $2` (row lock; the loser finds no row) in the transaction that creates the account |
//! | at most five entries per code, each parallel guess counted | `UPDATE challenges SET attempts = attempts + 1 … RETURNING`, before the comparison |
//! | a resend voids the old code | the consuming statements compare the *live* `code_mac` |
//! | budgets: locks, ceilings, throttles | the counter row is locked (`SELECT … FOR UPDATE`) while [`AttemptCounter::acquire`](crate::store::AttemptCounter::acquire) runs |
//! | at most one live reset code per user ID | the new challenge's insert deletes the owner's older one in the same transaction |
//! | a rehash at login never undoes a reset | compare-and-set `UPDATE … WHERE password_hash = $expected` |
//!
//! Because the contract is stated for the store and not for a process, adding processes adds
//! no new interleavings the store has not already been tested against: the
//! `testkit` races run sixteen threads against one store, and the SQLite tests
//! run separate OS processes against one file.
//!
//! What the processes must share besides the database:
//!
//! - **The same [`SecretKey`](crate::SecretKey)** in [`Config::secret_key`](crate::Config):
//!   codes are stored as MACs under it, so a process with another key rejects every code the
//!   others issued. The default is random per process: set it from your secret store.
//! - **The same argon2 parameters and pepper**, or every login in a process with other
//!   parameters rehashes the password (harmless, but wasteful).
//! - **Synchronised clocks** (NTP). Expiry times are written by the issuing process and
//!   compared by the checking one; a skew of *s* moves the ten-minute window by *s*.
//! - **The same terms version**, or members are asked again by some processes.
//!
//! Argon2 hashing is CPU-bound and runs in the host processes, not in the database; this is
//! what scales out. The store's share of a login is a few short statements.
//!
//! SQLite is the one-machine version of this picture: several processes on one host sharing
//! one file through WAL and a busy timeout. Do not put the file on a network file system
//! (its locks are unreliable there); use PostgreSQL for several machines.
//!
//! ## PostgreSQL schema
//!
//! ```sql
//! CREATE TABLE roster (
//!     insurer_code text NOT NULL,
//!     symbol       text NOT NULL,
//!     number       text NOT NULL,
//!     birth_date   date NOT NULL,
//!     name_kana    text NOT NULL,              -- as the insurer spelled it
//!     PRIMARY KEY (insurer_code, symbol, number)
//! );
//!
//! CREATE TABLE accounts (
//!     user_key       text PRIMARY KEY,         -- UserKey: NGK0001 = ngk0001
//!     user_id        text NOT NULL,            -- as registered
//!     insurer_code   text NOT NULL,
//!     symbol         text NOT NULL,
//!     number         text NOT NULL,
//!     email          text NOT NULL,
//!     password_hash  text NOT NULL,            -- argon2id PHC string
//!     terms_accepted integer,
//!     created_at     timestamptz NOT NULL,
//!     CONSTRAINT one_account_per_insured UNIQUE (insurer_code, symbol, number)
//! );
//!
//! CREATE TABLE signups (
//!     id           bytea PRIMARY KEY,          -- TicketId::as_bytes(), 16 bytes
//!     insurer_code text NOT NULL,
//!     symbol       text NOT NULL,
//!     number       text NOT NULL,
//!     expires_at   timestamptz NOT NULL
//! );
//! CREATE INDEX ON signups (expires_at);
//!
//! -- Unconsumed challenges only: consuming one deletes it.
//! CREATE TABLE challenges (
//!     id             bytea PRIMARY KEY,
//!     purpose        smallint NOT NULL,        -- 1 registration, 2 password reset
//!     code_mac       bytea NOT NULL,           -- CodeMac::as_bytes(), 32 bytes
//!     issued_at      timestamptz NOT NULL,
//!     expires_at     timestamptz NOT NULL,
//!     attempts       integer NOT NULL DEFAULT 0,
//!     sends          integer NOT NULL DEFAULT 1,
//!     owner          text NOT NULL,            -- ChallengeOwner::storage_key()
//!     kind           smallint NOT NULL,        -- 1 creates an account, 2 sets a password, 3 decoy
//!     user_key text, user_id text, insurer_code text, symbol text, number text,
//!     email text, password_hash text           -- kind 1: the account to create
//! );
//! CREATE INDEX ON challenges (expires_at);
//! CREATE INDEX ON challenges (owner, purpose);
//!
//! -- AttemptCounter, as the sans-I/O rule leaves it.
//! CREATE TABLE counters (
//!     key          text PRIMARY KEY,           -- CounterKey::storage_key()
//!     attempts     integer NOT NULL,
//!     locked_until timestamptz,
//!     last_attempt timestamptz,
//!     forget_at    timestamptz                 -- NULL: never forgotten
//! );
//! ```
//!
//! `timestamptz` keeps microseconds: convert `SystemTime` by truncating to microseconds in one
//! place, or store `bigint` nanoseconds as the SQLite store does.
//!
//! ## PostgreSQL statements
//!
//! The default isolation level, `READ COMMITTED`, is enough: each decision below is one
//! statement on one row (PostgreSQL re-checks the `WHERE` clause of an `UPDATE` or `DELETE`
//! after waiting for a concurrent writer of the row), or is made under a row lock, or is made
//! by a unique index. Under `SERIALIZABLE` the same statements work, but the host must retry
//! on SQLSTATE `40001`.
//!
//! **Count an attempt** ([`Store::count_code_attempt`](crate::Store::count_code_attempt)) —
//! one statement; `None` when no row comes back:
//!
//! ```sql
//! UPDATE challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING *;
//! ```
//!
//! **Create the account and consume the code**
//! ([`Store::complete_registration`](crate::Store::complete_registration)) — one transaction:
//!
//! ```sql
//! BEGIN;
//! -- Lock the challenge if its live code is the one that was checked; no row: ChallengeGone.
//! -- A parallel caller waits here, then finds the row gone.
//! SELECT user_key FROM challenges
//!  WHERE id = $1 AND kind = 1 AND code_mac = $2
//!    FOR UPDATE;
//! -- The unique indexes decide; a concurrent insert of the same user key or insured person
//! -- waits for the other transaction and then does nothing.
//! INSERT INTO accounts (user_key, user_id, insurer_code, symbol, number, email,
//!                       password_hash, terms_accepted, created_at)
//! SELECT user_key, user_id, insurer_code, symbol, number, email, password_hash, NULL, $3
//!   FROM challenges WHERE id = $1
//! ON CONFLICT DO NOTHING
//! RETURNING user_key;
//! -- No row returned: ROLLBACK (the challenge stays live), then tell the two refusals apart:
//! --   SELECT EXISTS (SELECT 1 FROM accounts WHERE user_key = $user_key)
//! --   true: UserIdTaken; false: InsuredHasAccount.
//! DELETE FROM challenges WHERE id = $1;
//! DELETE FROM signups WHERE id = $owner_ticket;  -- the sign-up ticket is used up
//! COMMIT;                                   -- Created
//! ```
//!
//! **Set a new password and consume the reset code**
//! ([`Store::complete_password_reset`](crate::Store::complete_password_reset)):
//!
//! ```sql
//! BEGIN;
//! DELETE FROM challenges WHERE id = $1 AND kind = 2 AND code_mac = $2
//! RETURNING owner;                          -- no row: ROLLBACK, false
//! UPDATE accounts SET password_hash = $3 WHERE user_key = $owner_user_key;
//!                                           -- 0 rows: ROLLBACK, false
//! DELETE FROM challenges WHERE owner = $owner;  -- every other code of the account dies
//! COMMIT;                                   -- true
//! ```
//!
//! **Save a challenge** ([`Store::insert_challenge`](crate::Store::insert_challenge)), voiding
//! the owner's older one of the same purpose:
//!
//! ```sql
//! BEGIN;
//! DELETE FROM challenges WHERE owner = $owner AND purpose = $purpose;
//! INSERT INTO challenges (…) VALUES (…);
//! COMMIT;
//! ```
//!
//! **Counters and live codes: load, apply, save.** The rules stay in Rust — the store never
//! decides when a counter locks ([`AttemptCounter::acquire`](crate::store::AttemptCounter::acquire))
//! or when a code may be resent ([`CodeChallenge::resend`](crate::store::CodeChallenge::resend)).
//! [`Store::acquire_attempt`](crate::Store::acquire_attempt) and
//! [`Store::update_code`](crate::Store::update_code) read the row under a lock, apply the rule
//! and write the row back:
//!
//! ```sql
//! BEGIN;
//! INSERT INTO counters (key, attempts) VALUES ($1, 0) ON CONFLICT DO NOTHING;
//! SELECT attempts, locked_until, last_attempt, forget_at FROM counters WHERE key = $1 FOR UPDATE;
//! -- counter.acquire(now, &policy) in the host
//! UPDATE counters SET attempts = $2, locked_until = $3, last_attempt = $4, forget_at = $5
//!  WHERE key = $1;
//! COMMIT;
//! ```
//!
//! [`Store::clear_attempts`](crate::Store::clear_attempts) is
//! `DELETE FROM counters WHERE key = $1`.
//!
//! **Rehash at login** ([`Store::update_password_hash`](crate::Store::update_password_hash)),
//! a compare-and-set that loses to a concurrent reset:
//!
//! ```sql
//! UPDATE accounts SET password_hash = $3 WHERE user_key = $1 AND password_hash = $2;
//! ```
//!
//! **Terms consent** ([`Store::record_terms_acceptance`](crate::Store::record_terms_acceptance)),
//! keeping the newest version (`GREATEST` ignores `NULL`):
//!
//! ```sql
//! UPDATE accounts SET terms_accepted = GREATEST(terms_accepted, $2) WHERE user_key = $1;
//! ```
//!
//! **Saving** signups and challenges (ids are random, an existing id may be overwritten):
//!
//! ```sql
//! INSERT INTO signups (id, insurer_code, symbol, number, expires_at)
//! VALUES ($1, $2, $3, $4, $5)
//! ON CONFLICT (id) DO UPDATE SET insurer_code = excluded.insurer_code,
//!     symbol = excluded.symbol, number = excluded.number, expires_at = excluded.expires_at;
//! ```
//!
//! **Housekeeping** ([`Store::purge_expired`](crate::Store::purge_expired)), from a timer in
//! any one process (running it in several at once is harmless):
//!
//! ```sql
//! DELETE FROM signups    WHERE expires_at <= $now - $grace;
//! DELETE FROM challenges WHERE expires_at <= $now - $grace;
//! -- AttemptCounter::is_idle: forgotten, or nothing counted and no lock. A counter that time
//! -- does not reset (forget_at NULL) and holds attempts never goes, whatever the grace.
//! DELETE FROM counters   WHERE (forget_at IS NOT NULL AND forget_at <= $now - $grace)
//!                           OR (attempts = 0 AND (locked_until IS NULL
//!                                                  OR locked_until <= $now - $grace));
//! ```
//!
//! ## Checking a PostgreSQL store
//!
//! Run the conformance suite against it, on one connection pool shared by the racing threads
//! (feature `testkit`):
//!
//! ```text
//! kenpo_auth::testkit::run(|| my_pg_store_on_a_fresh_schema(), |store, record| store.add(record))
//! ```
//!
//! and, as this crate does for SQLite (`tests/sqlite_processes.rs`), race separate processes
//! against one database.

#![allow(clippy::doc_markdown)] // SQLite and PostgreSQL are names, not code.
