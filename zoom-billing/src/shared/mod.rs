//! State shared by every process that uses one Zoom account: pacing turns,
//! daily budgets, daily-limit blocks and the Server-to-Server token, in a
//! SQLite file for the processes of one host (cargo feature `sqlite`) or in
//! Redis for many hosts (cargo feature `redis`).
//!
//! Zoom counts its limits per account, across every process and app, and
//! a Server-to-Server app has one valid token at a time: a new token
//! invalidates the previous one. With per-process state (the default), two
//! workers each believe they have the whole daily budget, each token
//! renewal knocks out the token the others hold, and each run of a cron job
//! starts blind. Given a [`SqliteStore`] or a [`RedisStore`] through
//! [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state),
//! every process takes its turns, budget units and token from one place:
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use zoom_billing::shared::SqliteStore;
//!
//! let client = zoom_billing::Client::builder()
//!     .server_to_server("account-id", "client-id", "client-secret")
//!     .shared_state(SqliteStore::open("/var/lib/billing/zoom-state.sqlite3")?)
//!     .build()?;
//! # Ok(()) }
//! # #[cfg(not(feature = "sqlite"))]
//! # fn main() {}
//! ```
//!
//! Both stores run the same operations with the same meaning (the store
//! module reads and checks their answers once, whichever ran them); only
//! where the state lives differs:
//!
//! - **Pacing and budgets.** One atomic operation per call reserves the
//!   turn: a GCRA-style key per pacing scope holds the end of the latest
//!   turn taken, a count per UTC day holds the units used, a set holds the
//!   units reserved and not yet sent (each expires, so a process that dies
//!   mid-wait does not hold a unit forever). A label's slot is taken when
//!   the call is charged, just before sending, when the operation also has
//!   its own interval. A request that is never sent gives its turn and unit
//!   back.
//! - **Token.** One token per Zoom account, client id and `token_index`.
//!   The process that finds it missing takes a lock (set if absent, with an
//!   expiry), requests a token and stores it until its renewal time; the
//!   others wait for it and read it, so the processes make one token request
//!   per token lifetime. On a 401 (code 124) a process deletes the stored
//!   token only if it is still the one Zoom rejected.
//! - **Keys.** `zb:{<namespace>}:…`, the namespace being the Zoom account id
//!   (the Server-to-Server credentials' account id unless the store's
//!   builder sets one).
//! - **When the store is unavailable** (Redis down or not answering, the
//!   SQLite file locked by another process past the store's timeout, or
//!   removed): by default the call fails at once with
//!   [`Error::SharedState`](crate::Error::SharedState), not sent and
//!   retryable, because guessing could spend the account's daily budget
//!   twice and lock billing automation out for a day.
//!   [`WhenUnavailable::UseLocalState`] instead falls back to this process's
//!   own state (with a warning) until the store answers again.
//!
//! [`SqliteStore`] says how the file is kept (WAL, one immediate transaction
//! per operation, created 0600 and refused when others can read it: it holds
//! the token). [`RedisStore`] says how Redis is used (Lua scripts on Redis's
//! clock, a hash tag per account for Redis Cluster); budgets survive a Redis
//! restart only when Redis persists its data (AOF), and the token is stored
//! in clear text: protect Redis as you protect the client secret.
//! docs/fleet.md in the repository has the deployment guide, the choice
//! between the stores and their cost.
#![cfg_attr(
    not(any(feature = "redis", feature = "sqlite")),
    doc = "\n\n*This build has neither store: enable the `sqlite` or `redis` feature.*"
)]

// Jobs' leases and journals: their operations, and the in-memory store of tests.
#[cfg(feature = "jobs")]
mod jobs;
#[cfg(feature = "redis")]
mod link;
#[cfg(feature = "jobs")]
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod script;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder};
#[cfg(feature = "sqlite")]
pub use self::sqlite::{SqliteStore, SqliteStoreBuilder};

#[cfg(feature = "jobs")]
pub(crate) use self::jobs::{Fenced, MAX_ENTRY};
pub(crate) use self::store::{Charged, Reservation, Reserved, Store, check_namespace};

/// A state store of either kind, as
/// [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state) takes
/// it: made from a [`RedisStore`] (feature `redis`) or a [`SqliteStore`]
/// (feature `sqlite`) with `into()`. Both run the same operations with the
/// same meaning; only where the state lives differs.
#[cfg(any(feature = "redis", feature = "sqlite"))]
#[derive(Clone, Debug)]
pub struct SharedStore(pub(crate) Store);

#[cfg(feature = "redis")]
impl From<RedisStore> for SharedStore {
    fn from(store: RedisStore) -> Self {
        SharedStore(store.0)
    }
}

#[cfg(feature = "sqlite")]
impl From<SqliteStore> for SharedStore {
    fn from(store: SqliteStore) -> Self {
        SharedStore(store.0)
    }
}

/// What a call does when the shared state store cannot be used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenUnavailable {
    /// Fail the call with [`Error::SharedState`](crate::Error::SharedState),
    /// without sending it (the default).
    #[default]
    Fail,
    /// Use this process's own pacing, budgets and token until the store
    /// answers again, with a warning. The fleet may then exceed Zoom's limits
    /// (each process counts alone) and renew tokens the others hold.
    UseLocalState,
}
