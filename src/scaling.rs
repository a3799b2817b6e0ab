//! # Scaling out: many host processes, one store (documentation only)
//!
//! This module holds no code. It explains how to run the portal in many stateless processes
//! on several machines behind a load balancer, sharing one PostgreSQL database through
//! `PostgresStore` (feature `postgres`), as `SqliteStore` (feature `sqlite`) serves the
//! processes of one machine. Everything claimed here is tested or measured, and says where;
//! what is only on paper says so.
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
//! | a code is accepted once; two parallel right answers: one wins | the completing transaction locks the challenge row while its MAC matches (`SELECT … FOR UPDATE`) and deletes it with the account's insert; a parallel caller waits on the lock, then finds no row |
//! | at most five entries per code, each parallel guess counted | `UPDATE challenges SET attempts = attempts + 1 … RETURNING`, before the comparison |
//! | a resend voids the old code | the completing statements match the *live* `code_mac` |
//! | budgets: locks, ceilings, throttles | the counter row is locked (`SELECT … FOR UPDATE`) while [`AttemptCounter::acquire`](crate::store::AttemptCounter::acquire) runs |
//! | at most one live code per owner and purpose | unique constraint on `challenges (owner, purpose)`: a new challenge replaces the older one (`INSERT … ON CONFLICT … DO UPDATE`) |
//! | a rehash at login never undoes a reset | compare-and-set `UPDATE … WHERE password_hash = $expected` |
//!
//! `PostgresStore` makes each of these decisions with the statement or transaction that its
//! module documentation (`kenpo_auth::postgres`, "Atomicity and isolation") lists method by
//! method, all at `READ COMMITTED`, retrying serialization failures and deadlocks a bounded
//! number of times.
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
//! what scales out. The store's share of a login is a few short statements and their commits
//! (README, "PostgreSQL store": the share at the default parameters, measured).
//!
//! SQLite is the one-machine version of this picture: several processes on one host sharing
//! one file through WAL and a busy timeout. Do not put the file on a network file system
//! (its locks are unreliable there); use PostgreSQL for several machines.
//!
//! ## What is guaranteed with N hosts on one PostgreSQL
//!
//! Tested in `tests/postgres/` against a real server (`cargo test`; `.ci/run` requires it):
//!
//! - **Every duty of the store contract under races**: the conformance suite
//!   (`testkit::run`, its sixteen-thread races included) passes on one pool, on one
//!   connection, with unnamed statements (the PgBouncer mode), and with the racing threads
//!   spread over **four pools on one schema** — four host processes' worth of connections.
//! - **Separate OS processes**, each with its own pool, racing on one schema: exactly one
//!   consumes a code, every wrong entry is counted exactly once, one user ID
//!   (case-insensitively) gets one account, a shared budget lets exactly its limit through, one
//!   reset code stays live per user ID, and processes creating a new schema at the same instant
//!   all succeed (the migration runs once, under an advisory lock). The same harness catches a
//!   counter written with a read and a separate write, so it can fail.
//! - **Same answers as the reference**: a property test drives random sequences of store calls
//!   into `PostgresStore` and `MemoryStore` and compares every answer and the final state.
//! - **Load**: 8 threads × 10,000 mixed operations (registrations competing for user IDs and
//!   persons, shared consumptions, logins against shared budgets, resends, resets, purges),
//!   then: no account duplicated, no counter update lost, every success backed by exactly one
//!   consumed code, one reset code live per owner, every expired record purged exactly once.
//! - **Faults**: the store's backends killed (`pg_terminate_backend`) in the middle of flows,
//!   and the server restarted in the middle of a flow: the call fails with `Error::Store`,
//!   no account is half made, no code is consumed without its effect, no counter update is
//!   lost, and the next call works on a fresh connection. As with any database, a call whose
//!   commit reached the server just before the restart may have taken effect although its
//!   answer was lost (seen once under load: the account was made and the code used up);
//!   asked again, the portal answers that the code is spent.
//!
//! - **Through PgBouncer** (1.18, transaction mode, started by the test): the conformance
//!   suite with its races passes with `StatementMode::Unnamed`; with the default
//!   `StatementMode::Cached` it fails (named statements do not survive the transaction), as a
//!   second test shows on any PgBouncer older than 1.21.
//!
//! Not tested, and therefore not claimed: TLS to the server (the store connects with `NoTls`; put the
//! database on a private network or extend the pool's connector), failover to a standby, and
//! synchronous replication.
//!
//! ## What read replicas must not serve
//!
//! Nothing of the store. Every `Store` method either writes or reads what the next write
//! decides on, and a replica is behind the primary by its replay lag: a login read there
//! could accept the password that a reset has just replaced, count against a lock that has
//! already been lifted or miss one just set, and a code consumed on the primary would still
//! look live. Point `PostgresStore::connect` at the primary (or at a proxy that only reaches
//! the primary); on a hot standby every write fails with SQLSTATE `25006`, which surfaces as
//! `Error::Store`, not as a wrong answer. Reports and the union's statistics may read a
//! replica with their own SQL.
//!
//! ## Connection budgeting
//!
//! Each `PostgresStore::connect` opens its own pool of `PostgresOptions::pool_size`
//! connections (eight by default, opened as needed; clones share them). With *N* host processes
//! the server needs *N* × pool size connections, plus the union's own tools, below its
//! `max_connections` (100 by default, three of them reserved for superusers). A pool larger
//! than the host's concurrent requests only holds idle backends; a login holds a connection
//! for a few short statements, not for its argon2 run, so eight connections keep up with many
//! more concurrent logins (README, "PostgreSQL store": registrations and logins per second from
//! 1 to 32 tasks over 1, 2 and 4 pools). Past a few hundred connections, put PgBouncer in
//! transaction mode in front of the server and connect the stores with
//! `StatementMode::Unnamed` and `statement_timeout(None)` (set the timeout on the role).
//!
//! ## How far one primary goes
//!
//! A vendor serving many unions from one database: `cargo bench --bench postgres_scale`
//! generates 5,000,000 insured persons across 500 insurers and 1,000,000 accounts in the
//! store's schema, then measures first-authentication lookups and logins per second from eight
//! tasks on one pool, beside a nearly empty schema in the same run. Measured on 2026-12-06 on
//! a 2-core machine shared by PostgreSQL 15 (default settings: `shared_buffers` 128 MB) and
//! the bench, argon2id at test-sized parameters so that the store's cost shows:
//!
//! | run | schema | load | tables and indexes | first-authentication lookups/s | logins/s |
//! | --- | --- | ---: | ---: | ---: | ---: |
//! | 1 | nearly empty (20,000 persons, 64 accounts) | 0.1 s | 4 MiB | 1,459 | 1,139 |
//! | 1 | 5,000,000 persons, 1,000,000 accounts | 52.9 s | 1,007 MiB | 1,089 | 1,059 |
//! | 2 | nearly empty | 0.1 s | 4 MiB | 1,152 | 1,087 |
//! | 2 | 5,000,000 persons, 1,000,000 accounts | 48.1 s | 1,007 MiB | 1,279 | 1,193 |
//! | 3 | nearly empty | 0.2 s | 4 MiB | 1,201 | 1,284 |
//! | 3 | 5,000,000 persons, 1,000,000 accounts | 49.6 s | 1,007 MiB | 1,131 | 1,108 |
//!
//! The size makes no difference this machine can measure: from run to run the large schema
//! was 25 % slower to 11 % faster for lookups and 14 % slower to 10 % faster for logins, the
//! noise of a shared 2-core machine. Every lookup the flows make is a primary-key or
//! unique-index probe (the roster by insurer code, symbol and number; accounts by the
//! lower-cased user ID): a few index pages per call, which stay cached even when a gigabyte
//! of tables does not fit in the server's 128 MB of `shared_buffers` (the operating system's
//! cache holds them). On a server whose memory is smaller than its tables, give it
//! `shared_buffers` near the size of the indexes (`pg_indexes_size`). At the default argon2
//! parameters a login costs tens of milliseconds of one host core against about 3 ms of the
//! store (README), so the hosts, not this primary, run out first: add host processes before
//! thinking about the database.
//!
//! ## Going past one primary (on paper, untested)
//!
//! Most of the data divides by insurer: the roster, the sign-ups and the identity counters
//! (keyed by insurer code, symbol and number) belong to one union, and a first authentication
//! starts from the insurer code the member types. Split those by insurer code — PostgreSQL's
//! declarative partitioning on one primary, or one schema per group of insurers on separate
//! primaries (`PostgresOptions::schema` already isolates a tenant) — and route each request
//! by the insurer code.
//!
//! What must stay global is what the member reaches without an insurer code: **the
//! case-insensitive user ID**. A login, a password reset and its counters start from the user
//! ID alone, and the rule "one account per user ID" spans every union. So one small directory
//! stays on a single primary — `user_key` unique, pointing at the insurer's shard — and
//! registering claims the user ID there before creating the account on the shard (releasing
//! the claim if the account cannot be made). PostgreSQL's own partitioning does not help here:
//! a unique constraint on a partitioned table must include the partition key, so the accounts
//! cannot be partitioned by insurer and stay unique by user ID. None of this is built; a
//! vendor that needs it would also need the conformance suite run across the shards.
//!
//! ## Checking another store
//!
//! A host that brings its own store (another database, a cache in front of this one) runs the
//! conformance suite against it, on one connection pool shared by the racing threads (feature
//! `testkit`), as `tests/postgres/conformance.rs` does for this crate's store:
//!
//! ```text
//! kenpo_auth::testkit::run(|| my_store_on_a_fresh_schema(), |store, record| store.add(record))
//! ```
//!
//! and races separate processes against one database, as `tests/postgres/processes.rs` does.

#![allow(clippy::doc_markdown)] // SQLite and PostgreSQL are names, not code.
