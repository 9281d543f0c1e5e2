//! The Redis backend: connection, scripts and commands.
//!
//! Uses the `redis` crate (redis-rs), the maintained async Redis client for
//! tokio, for its protocol; the connection to one Redis is [`Link`] (metered
//! replies, reconnection on the next use), scripts are [`Lua`] (`EVALSHA`,
//! `EVAL` on a miss). Every operation, connecting included, is bounded by
//! the store's timeout, and a connection that timed out is dropped. What the
//! scripts answer is read in [`super::store`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::redis::aio::ConnectionLike;
use ::redis::cluster::{ClusterClient, ClusterConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, ErrorKind, RedisError, ServerErrorKind, Value};

use super::WhenUnavailable;
#[cfg(feature = "jobs")]
use super::jobs::JobScript;
use super::link::{Link, MAX_REPLY};
use super::script::{Call, Lua};
use super::store::{Backend as AnyBackend, Op, Script, Settings, Store, bounded};
use crate::error::{BuildError, StoreError};

/// A Redis (7 or later, or Valkey) that a fleet of processes shares its
/// runtime state on. Cheap to clone: clones share one connection. Give it to
/// [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state).
#[derive(Clone)]
pub struct RedisStore(pub(super) Store);

/// A Redis store's connection and scripts, shared by its clones.
pub(super) struct Backend {
    client: Target,
    /// The URL without credentials, for messages.
    shown_url: String,
    timeout: Duration,
    when_unavailable: WhenUnavailable,
    scripts: Scripts,
}

/// One Redis (or a primary behind a proxy), or a Redis Cluster.
enum Target {
    Single(Box<Link>),
    /// Routes each script by its first key (every key of a script shares the
    /// account's hash tag, so one slot) and follows the cluster's
    /// redirections; made on first use, dropped when an operation on it
    /// times out or breaks, made again on the next.
    Cluster(Box<ClusterClient>, Mutex<Option<ClusterConnection>>),
}

struct Scripts {
    reserve: Lua,
    commit: Lua,
    give_back: Lua,
    hold: Lua,
    token_get: Lua,
    token_put: Lua,
    compare_delete: Lua,
    #[cfg(feature = "jobs")]
    jobs: JobScripts,
}

/// Jobs' leases and journals.
#[cfg(feature = "jobs")]
struct JobScripts {
    lease_take: Lua,
    lease_renew: Lua,
    journal_get: Lua,
    journal_put: Lua,
    journal_add: Lua,
    journal_drop: Lua,
    journal_counts: Lua,
}

#[cfg(feature = "jobs")]
impl JobScripts {
    fn new() -> Self {
        JobScripts {
            lease_take: Lua::new(include_str!("lua/lease_take.lua")),
            lease_renew: Lua::new(include_str!("lua/lease_renew.lua")),
            journal_get: Lua::new(include_str!("lua/journal_get.lua")),
            journal_put: Lua::new(include_str!("lua/journal_put.lua")),
            journal_add: Lua::new(include_str!("lua/journal_add.lua")),
            journal_drop: Lua::new(include_str!("lua/journal_drop.lua")),
            journal_counts: Lua::new(include_str!("lua/journal_counts.lua")),
        }
    }

    fn get(&self, script: JobScript) -> &Lua {
        match script {
            JobScript::LeaseTake => &self.lease_take,
            JobScript::LeaseRenew => &self.lease_renew,
            JobScript::JournalGet => &self.journal_get,
            JobScript::JournalPut => &self.journal_put,
            JobScript::JournalAdd => &self.journal_add,
            JobScript::JournalDrop => &self.journal_drop,
            JobScript::JournalCounts => &self.journal_counts,
        }
    }
}

/// How one command went, before it is a [`StoreError`].
enum Sent {
    Answer(Value),
    /// The store does not know the script (`EVALSHA` only).
    NoScript,
    Failed(StoreError),
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisStore").field(&self.0).finish()
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.shown_url)
            .field("timeout", &self.timeout)
            .field("when_unavailable", &self.when_unavailable)
            .finish()
    }
}

/// Settings of a [`RedisStore`]. Start with [`RedisStore::builder`] or
/// [`RedisStore::cluster_builder`].
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    /// The seed nodes of a Redis Cluster (then `url` is the first).
    cluster: Option<Vec<String>>,
    settings: Settings,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &without_credentials(&self.url))
            .field("cluster", &self.cluster.as_ref().map(|nodes| nodes.len()))
            .field("settings", &self.settings)
            .finish()
    }
}

impl RedisStore {
    /// A store at `url` (`redis://[user:password@]host:port/db`) with the
    /// default settings. Connects on first use, not here.
    pub fn new(url: impl Into<String>) -> Result<RedisStore, BuildError> {
        Self::builder(url).build()
    }

    /// Configure a store at `url`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder { url: url.into(), cluster: None, settings: Settings::default() }
    }

    /// Configure a store on a Redis Cluster, reached through any of `nodes`
    /// (`redis://host:port/`, one or more seed nodes; the cluster's map
    /// finds the rest). Every script touches one account's keys, which share
    /// one hash slot, so each runs on one node.
    pub fn cluster_builder(nodes: impl IntoIterator<Item = impl Into<String>>) -> RedisStoreBuilder {
        let nodes: Vec<String> = nodes.into_iter().map(Into::into).collect();
        let mut builder = Self::builder(nodes.first().cloned().unwrap_or_default());
        builder.cluster = Some(nodes);
        builder
    }
}

impl Backend {
    pub(super) fn when_unavailable(&self) -> WhenUnavailable {
        self.when_unavailable
    }

    pub(super) fn shown(&self) -> &str {
        &self.shown_url
    }

    fn no_answer(&self) -> StoreError {
        StoreError::Unavailable {
            url: self.shown_url.clone(),
            reason: format!("no answer within {}", crate::human::Dur(self.timeout)),
        }
    }

    fn unavailable(&self, error: &RedisError) -> StoreError {
        StoreError::Unavailable { url: self.shown_url.clone(), reason: reason(error) }
    }

    fn protocol(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Protocol { url: self.shown_url.clone(), reason: reason.into() }
    }

    /// Run one operation: a script, or the command that does it, and its
    /// answer as strings.
    pub(super) async fn run(&self, op: Op) -> Result<Vec<String>, StoreError> {
        let lua = match op.script {
            Script::Reserve => &self.scripts.reserve,
            Script::Commit => &self.scripts.commit,
            Script::GiveBack => &self.scripts.give_back,
            Script::Hold => &self.scripts.hold,
            Script::TokenGet => &self.scripts.token_get,
            Script::TokenPut => &self.scripts.token_put,
            Script::CompareDelete => &self.scripts.compare_delete,
            #[cfg(feature = "jobs")]
            Script::Job(script) => self.scripts.jobs.get(script),
            Script::SetUntil | Script::SetIfAbsent => {
                let [key] = op.keys.as_slice() else { return Err(self.protocol("a SET takes one key")) };
                let [value, time] = op.args.as_slice() else { return Err(self.protocol("a SET takes two arguments")) };
                let mut command = ::redis::cmd("SET");
                command.arg(key).arg(value);
                if op.script == Script::SetUntil {
                    command.arg("PXAT").arg(time);
                } else {
                    command.arg("NX").arg("PX").arg(time);
                }
                return match self.query(&command).await? {
                    Value::Okay | Value::SimpleString(_) => Ok(vec!["OK".to_owned()]),
                    Value::Nil => Ok(Vec::new()),
                    _ => Err(self.protocol("SET answered something unexpected")),
                };
            }
        };
        let mut call = lua.call();
        for key in &op.keys {
            call.key(key);
        }
        for arg in &op.args {
            call.arg(arg);
        }
        let value = self.run_script(&call).await?;
        self.strings(value)
    }

    /// Run a script: by its hash, and by its code when the store does not
    /// know it (which loads it). Each is one bounded [`send`](Self::send).
    async fn run_script(&self, call: &Call<'_>) -> Result<Value, StoreError> {
        match self.send(&call.by_hash()).await {
            Sent::Answer(value) => Ok(value),
            Sent::NoScript => match self.send(&call.by_code()).await {
                Sent::Answer(value) => Ok(value),
                Sent::NoScript => Err(self.protocol("NOSCRIPT answered to EVAL, which carries the script")),
                Sent::Failed(error) => Err(error),
            },
            Sent::Failed(error) => Err(error),
        }
    }

    /// Send one command.
    async fn query(&self, command: &Cmd) -> Result<Value, StoreError> {
        match self.send(command).await {
            Sent::Answer(value) => Ok(value),
            Sent::NoScript => Err(self.protocol("NOSCRIPT answered to a command that is no script")),
            Sent::Failed(error) => Err(error),
        }
    }

    /// Send one command and read its answer, connecting first if needed, all
    /// within the store's timeout. A connection that timed out, broke, or
    /// was sent a reply larger than [`MAX_REPLY`] is dropped: what it was
    /// reading is freed, and the next operation connects again.
    async fn send(&self, command: &Cmd) -> Sent {
        let inner = self;
        match &inner.client {
            Target::Single(link) => {
                let mut used = None;
                let exchange = async {
                    let live = link.get().await?;
                    used = Some(live.clone());
                    live.grant();
                    let mut connection = live.connection.clone();
                    Ok::<_, StoreError>(connection.req_packed_command(command).await)
                };
                let outcome = tokio::time::timeout(inner.timeout, exchange).await;
                let overdrawn = used.as_ref().is_some_and(|live| live.overdrawn());
                let sent = match outcome {
                    Ok(Ok(result)) => self.sent(result),
                    Ok(Err(error)) => Sent::Failed(error),
                    Err(_) => Sent::Failed(self.no_answer()),
                };
                if let Some(live) = &used
                    && (overdrawn || matches!(&sent, Sent::Failed(StoreError::Unavailable { .. })))
                {
                    link.drop_connection(live);
                }
                if overdrawn {
                    let limit = MAX_REPLY / 1024;
                    return Sent::Failed(self.protocol(format!(
                        "a reply larger than {limit} KiB, more than any operation needs; the connection was dropped"
                    )));
                }
                sent
            }
            Target::Cluster(client, slot) => {
                let lock = || slot.lock().unwrap_or_else(PoisonError::into_inner);
                let exchange = async {
                    let existing = lock().clone();
                    let mut connection = match existing {
                        Some(connection) => connection,
                        None => {
                            let config = ClusterConfig::new()
                                .set_connection_timeout(inner.timeout)
                                .set_response_timeout(inner.timeout);
                            let connection = client
                                .get_async_connection_with_config(config)
                                .await
                                .map_err(|e| self.unavailable(&e))?;
                            *lock() = Some(connection.clone());
                            connection
                        }
                    };
                    Ok::<_, StoreError>(connection.req_packed_command(command).await)
                };
                let sent = match tokio::time::timeout(inner.timeout, exchange).await {
                    Ok(Ok(result)) => self.sent(result),
                    Ok(Err(error)) => Sent::Failed(error),
                    Err(_) => Sent::Failed(self.no_answer()),
                };
                if matches!(&sent, Sent::Failed(StoreError::Unavailable { .. })) {
                    // Dropping the last handle ends the connection's tasks and what they read.
                    lock().take();
                }
                sent
            }
        }
    }

    /// What a command came back with.
    fn sent(&self, result: ::redis::RedisResult<Value>) -> Sent {
        match result {
            // A server's error reply arrives as a value of its own.
            Ok(Value::ServerError(e)) if e.kind() == Some(ServerErrorKind::NoScript) => Sent::NoScript,
            Ok(Value::ServerError(e)) => Sent::Failed(self.protocol(bounded(&e.to_string()))),
            Ok(value) => Sent::Answer(value),
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => Sent::NoScript,
            Err(e) if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() => {
                Sent::Failed(self.unavailable(&e))
            }
            Err(e) => Sent::Failed(self.protocol(reason(&e))),
        }
    }

    /// A script's answer as strings.
    /// A script's answer as strings: an array's items, a single value as
    /// one item (the scripts that only write answer `1`), nil as none.
    fn strings(&self, value: Value) -> Result<Vec<String>, StoreError> {
        let item = |item| match item {
            Value::BulkString(bytes) => String::from_utf8(bytes).map_err(|_| self.protocol("non-UTF-8 answer")),
            Value::SimpleString(s) => Ok(s),
            Value::Okay => Ok("OK".to_owned()),
            Value::Int(i) => Ok(i.to_string()),
            _ => Err(self.protocol("a script answered an unexpected item")),
        };
        match value {
            Value::Array(items) => items.into_iter().map(item).collect(),
            Value::Nil => Ok(Vec::new()),
            single => Ok(vec![item(single)?]),
        }
    }
}

impl RedisStoreBuilder {
    /// The namespace of the keys: the Zoom account whose limits they count
    /// (default: the account id of the client's Server-to-Server
    /// credentials; a client with other credentials must set it). Every
    /// process of one account must use the same.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.settings.namespace = Some(namespace.into());
        self
    }

    /// Time allowed for one store operation, connecting included (default
    /// 2 s). Past it, the store counts as unavailable.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// What calls do while the store cannot be used (default
    /// [`WhenUnavailable::Fail`]).
    pub fn when_unavailable(mut self, policy: WhenUnavailable) -> Self {
        self.settings.when_unavailable = policy;
        self
    }

    /// Check the settings. Does not connect: the first call does.
    pub fn build(self) -> Result<RedisStore, BuildError> {
        let shown_url = without_credentials(&self.url);
        let invalid = |setting, reason: String| BuildError::InvalidSetting { setting, reason };
        let bad_url = |url: &str, e: ::redis::RedisError| {
            invalid("shared_state.url", format!("`{}`: {}", without_credentials(url), e.detail().unwrap_or("invalid")))
        };
        let client = match &self.cluster {
            None => Target::Single(Box::new(Link::new(
                ::redis::Client::open(self.url.as_str()).map_err(|e| bad_url(&self.url, e))?,
                shown_url.clone(),
            ))),
            Some(nodes) => {
                if nodes.is_empty() {
                    return Err(invalid("shared_state.url", "a cluster needs at least one node".into()));
                }
                for node in nodes {
                    ::redis::Client::open(node.as_str()).map_err(|e| bad_url(node, e))?;
                }
                let client = ClusterClient::new(nodes.iter().map(String::as_str)).map_err(|e| bad_url(&self.url, e))?;
                Target::Cluster(Box::new(client), Mutex::new(None))
            }
        };
        self.settings.check()?;
        let backend = Backend {
            client,
            shown_url,
            timeout: self.settings.timeout,
            when_unavailable: self.settings.when_unavailable,
            scripts: Scripts {
                reserve: Lua::new(include_str!("lua/reserve.lua")),
                commit: Lua::new(include_str!("lua/commit.lua")),
                give_back: Lua::new(include_str!("lua/give_back.lua")),
                hold: Lua::new(include_str!("lua/hold.lua")),
                token_get: Lua::new(include_str!("lua/token_get.lua")),
                token_put: Lua::new(include_str!("lua/token_put.lua")),
                compare_delete: Lua::new(include_str!("lua/compare_delete.lua")),
                #[cfg(feature = "jobs")]
                jobs: JobScripts::new(),
            },
        };
        Ok(RedisStore(Store::new(AnyBackend::Redis(Arc::new(backend)), self.settings.namespace)))
    }
}

/// What a redis-rs error says, bounded: a store's error reply is its own
/// text, of any length.
pub(super) fn reason(error: &RedisError) -> String {
    bounded(&error.to_string())
}

/// The URL with any password (and user) removed.
fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() || !parsed.username().is_empty() {
                let _ = parsed.set_password(None);
                let _ = parsed.set_username("");
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_errors_never_show_the_password() {
        let store = RedisStore::new("redis://user:hunter2@127.0.0.1:6379/0").unwrap();
        let builder = RedisStore::builder("redis://:hunter2@127.0.0.1:1/");
        let shown = format!("{store:?} {builder:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let error = RedisStore::new("redis://:hunter2@[::1").unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn namespaces_keep_the_hash_tag() {
        assert!(super::super::store::check_namespace("abc-123").is_ok());
        assert!(super::super::store::check_namespace("a}b").is_err());
        assert!(super::super::store::check_namespace("").is_err());
        let store = RedisStore::new("redis://127.0.0.1/").unwrap().0.or_namespace("acct");
        assert_eq!(store.key("tat:x"), "zb:{acct}:tat:x");
        assert_eq!(store.or_namespace("other").key("t"), "zb:{acct}:t", "a set namespace stays");
    }
}
