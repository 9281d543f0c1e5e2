//! State shared by every process that uses one Zoom account: pacing turns,
//! daily budgets, daily-limit blocks and the Server-to-Server token, on
//! Redis (cargo feature `redis`).
//!
//! Zoom counts its limits per account, across every process and app, and
//! a Server-to-Server app has one valid token at a time: a new token
//! invalidates the previous one. With per-process state (the default), two
//! workers each believe they have the whole daily budget, and each token
//! renewal knocks out the token the others hold. With a [`RedisStore`]
//! given to [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state),
//! every process of the fleet takes its turns, budget units and token from
//! one place:
//!
//! ```no_run
//! # #[cfg(feature = "redis")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use zoom_billing::shared::RedisStore;
//!
//! let client = zoom_billing::Client::builder()
//!     .server_to_server("account-id", "client-id", "client-secret")
//!     .shared_state(RedisStore::new("redis://127.0.0.1:6379/")?)
//!     .build()?;
//! # Ok(()) }
//! # #[cfg(not(feature = "redis"))]
//! # fn main() {}
//! ```
//!
//! - **Pacing and budgets.** One Lua script per call reserves the turn
//!   atomically: a GCRA-style key per pacing scope holds the end of the
//!   latest turn taken, a hash counts the units used per UTC day, a sorted
//!   set holds the units reserved and not yet sent (each expires, so a
//!   process that dies mid-wait does not hold a unit forever). Times come
//!   from Redis's clock (`TIME`), so the processes need not agree on theirs.
//!   A request that is never sent gives its turn and unit back.
//! - **Token.** One token per Zoom account, client id and `token_index`.
//!   The process that finds it missing takes a lock (`SET NX PX`), requests
//!   a token and stores it until its renewal time; the others wait for it
//!   and read it, so a fleet makes one token request per token lifetime. On
//!   a 401 (code 124) a process deletes the stored token only if it is
//!   still the one Zoom rejected.
//! - **Keys.** `zb:{<namespace>}:…`, the namespace being the Zoom account id
//!   (the Server-to-Server credentials' account id unless
//!   [`RedisStoreBuilder::namespace`] sets one). The braces are a hash tag:
//!   all of an account's keys live in one Redis Cluster slot, so each script
//!   runs on one node ([`RedisStore::cluster_builder`] connects to a
//!   cluster). Every key has a time to live: nothing grows forever.
//! - **When Redis is unavailable** (down, unreachable, or no answer within
//!   [`RedisStoreBuilder::timeout`]): by default the call fails at once with
//!   [`Error::SharedState`](crate::Error::SharedState), not sent and
//!   retryable, because guessing could spend the account's daily budget
//!   twice and lock billing automation out for a day.
//!   [`WhenUnavailable::UseLocalState`] instead falls back to this process's
//!   own state (with a warning) until Redis answers again.
//!
//! Budgets survive a Redis restart only when Redis persists its data (AOF,
//! `appendonly yes`); a Redis that forgets them lets the fleet spend a day's
//! budget again. The token is stored in Redis in clear text: protect Redis
//! as you protect the client secret (ACLs, TLS with a `rediss://` URL
//! needs the crate's TLS support in `redis` and is not enabled here).
//! docs/fleet.md in the repository has the deployment guide and the cost.

#[cfg(feature = "redis")]
mod link;
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
