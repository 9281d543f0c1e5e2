//! The Redis backend: connection, key names and the atomic operations
//! (each one Lua script or one command).
//!
//! Uses the `redis` crate (redis-rs), the maintained async Redis client for
//! tokio, for its protocol; the connection to one Redis is [`Link`] (metered
//! replies, reconnection on the next use), scripts are [`Lua`] (`EVALSHA`,
//! `EVAL` on a miss). Every operation, connecting included, is bounded by
//! the store's timeout, and a connection that timed out is dropped.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ::redis::aio::ConnectionLike;
use ::redis::cluster::{ClusterClient, ClusterConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, ErrorKind, RedisError, ServerErrorKind, Value};
use secrecy::{ExposeSecret, SecretString};

use super::WhenUnavailable;
use super::link::{Link, MAX_REPLY};
use super::script::{Call, Lua};
use crate::error::{BuildError, StoreError};

/// How long a pending unit outlives the start of its turn: covers the token
/// request and sending. A process that dies mid-call frees its unit then.
const PENDING_GRACE: Duration = Duration::from_secs(300);

/// The longest wait for a turn the store may hand out; a longer one is a
/// store that is wrong (or another program on the same keys).
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The default time allowed for one store operation.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis (7 or later, or Valkey) that a fleet of processes shares its
/// runtime state on. Cheap to clone: clones share one connection. Give it to
/// [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
    /// The Zoom account the keys belong to.
    namespace: Option<Arc<str>>,
}

struct Inner {
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
        f.debug_struct("RedisStore")
            .field("url", &self.inner.shown_url)
            .field("namespace", &self.namespace)
            .field("timeout", &self.inner.timeout)
            .field("when_unavailable", &self.inner.when_unavailable)
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
    namespace: Option<String>,
    timeout: Duration,
    when_unavailable: WhenUnavailable,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &without_credentials(&self.url))
            .field("cluster", &self.cluster.as_ref().map(|nodes| nodes.len()))
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .field("when_unavailable", &self.when_unavailable)
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
        RedisStoreBuilder {
            url: url.into(),
            cluster: None,
            namespace: None,
            timeout: DEFAULT_TIMEOUT,
            when_unavailable: WhenUnavailable::default(),
        }
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

    /// What calls do while the store cannot be used.
    pub(crate) fn when_unavailable(&self) -> WhenUnavailable {
        self.inner.when_unavailable
    }

    /// This store with `namespace`, unless one was set.
    pub(crate) fn or_namespace(&self, namespace: &str) -> RedisStore {
        RedisStore {
            inner: Arc::clone(&self.inner),
            namespace: Some(self.namespace.clone().unwrap_or_else(|| Arc::from(namespace))),
        }
    }

    pub(crate) fn has_namespace(&self) -> bool {
        self.namespace.is_some()
    }

    /// One of a budget's keys: `blocked`, `pending` or `used`.
    fn budget_key(&self, kind: &str, budget: &str) -> String {
        self.key(&format!("{kind}:{budget}"))
    }

    /// The name of one of the account's keys.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("zb:{{{}}}:{name}", self.namespace.as_deref().unwrap_or_default())
    }

    fn no_answer(&self) -> StoreError {
        StoreError::Unavailable {
            url: self.inner.shown_url.clone(),
            reason: format!("no answer within {}", crate::human::Dur(self.inner.timeout)),
        }
    }

    fn unavailable(&self, error: &RedisError) -> StoreError {
        StoreError::Unavailable { url: self.inner.shown_url.clone(), reason: reason(error) }
    }

    pub(crate) fn protocol(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Protocol { url: self.inner.shown_url.clone(), reason: reason.into() }
    }

    /// Run a script: by its hash, and by its code when the store does not
    /// know it (which loads it). Each is one bounded [`send`](Self::send).
    async fn run(&self, call: &Call<'_>) -> Result<Value, StoreError> {
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
        let inner = &self.inner;
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
    fn strings(&self, value: Value) -> Result<Vec<String>, StoreError> {
        let Value::Array(items) = value else {
            return Err(self.protocol("a script answered something other than an array"));
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::BulkString(bytes) => String::from_utf8(bytes).map_err(|_| self.protocol("non-UTF-8 answer")),
                Value::SimpleString(s) => Ok(s),
                Value::Int(i) => Ok(i.to_string()),
                _ => Err(self.protocol("a script answered an unexpected item")),
            })
            .collect()
    }

    fn number(&self, text: &str) -> Result<i64, StoreError> {
        text.parse().map_err(|_| self.protocol(format!("`{}` is not a number", snippet(text))))
    }

    /// Reserve a turn: `slots` are pacing keys with their intervals, and
    /// whether the interval is a strict minimum between sends (checked again
    /// at [`commit`](Self::commit)) rather than a rate; `limit`
    /// is the daily limit (`None`: no budget check beyond a daily-429 block;
    /// `budgets` false: none at all); `furthest` the latest turn a correct
    /// store can grant (a later one is [`StoreError::Protocol`], never a sleep).
    pub(crate) async fn reserve(
        &self,
        budget: &str,
        limit: Option<u32>,
        budgets: bool,
        slots: &[(String, Duration, bool)],
        max_wait: Option<Duration>,
        furthest: Duration,
    ) -> Result<Reserved, StoreError> {
        let id = reservation_id();
        if slots.is_empty() && !budgets {
            // Nothing to share: no round trip.
            return Ok(Reserved::Granted(Reservation {
                id,
                budget: None,
                wait: Duration::ZERO,
                turns: Vec::new(),
                spacing: Vec::new(),
                charged: None,
            }));
        }
        let limit_arg = match (budgets, limit) {
            (false, _) => -2,
            (true, None) => -1,
            (true, Some(n)) => i64::from(n),
        };
        let mut invocation = self.inner.scripts.reserve.call();
        invocation
            .key(self.budget_key("blocked", budget))
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(limit_arg)
            .arg(max_wait.map(micros).unwrap_or(-1))
            .arg(&id)
            .arg(micros(PENDING_GRACE));
        for (key, _, _) in slots {
            invocation.key(self.key(key));
        }
        for (_, interval, _) in slots {
            invocation.arg(micros(*interval));
        }
        let answer = self.strings(self.run(&invocation).await?)?;
        let budget = limit.filter(|_| budgets).map(|_| budget.to_owned());
        self.reserved_from(&answer, id, budget, slots, furthest)
    }

    /// Read `reserve.lua`'s answer. Whatever the store sends, this returns a
    /// value or a typed error, no wait longer than `furthest` (nor
    /// [`MAX_WAIT`]), and no daily block past the next 00:00 UTC and its margin.
    fn reserved_from(
        &self,
        answer: &[String],
        id: String,
        budget: Option<String>,
        slots: &[(String, Duration, bool)],
        furthest: Duration,
    ) -> Result<Reserved, StoreError> {
        let field = |i: usize| answer.get(i).map(String::as_str).ok_or_else(|| self.protocol("a short answer"));
        let now = self.number(field(2)?)?;
        let bounded = |wait: Duration| {
            if wait > MAX_WAIT.min(furthest) {
                Err(self.protocol(format!(
                    "a turn {} away, later than this operation's limits can make it (at most {})",
                    crate::human::Dur(wait),
                    crate::human::Dur(MAX_WAIT.min(furthest))
                )))
            } else {
                Ok(wait)
            }
        };
        Ok(match field(0)? {
            "ok" => {
                let start = self.number(field(1)?)?;
                let mut turns = Vec::with_capacity(slots.len());
                for (i, (key, _, _)) in slots.iter().enumerate() {
                    turns.push((self.key(key), field(3 + 2 * i)?.to_owned(), field(4 + 2 * i)?.to_owned()));
                }
                Reserved::Granted(Reservation {
                    id,
                    budget,
                    wait: bounded(duration_between(now, start))?,
                    turns,
                    spacing: slots
                        .iter()
                        .filter(|(_, _, strict)| *strict)
                        .map(|(key, interval, _)| (self.key(&format!("sent:{key}")), *interval))
                        .collect(),
                    charged: None,
                })
            }
            "blocked" => {
                let (until, now) = (utc(self.number(field(1)?)?), utc(now));
                // Zoom's daily limits reset at 00:00 UTC: a block past that is no block of theirs.
                if until > crate::classify::daily_block_limit(now) {
                    return Err(self.protocol(format!("a daily block until {until}, past the next 00:00 UTC")));
                }
                Reserved::Blocked { until, now }
            }
            "exhausted" => Reserved::Exhausted { now: utc(now) },
            "wait" => Reserved::WouldWait { wait: duration_between(0, self.number(field(1)?)?), now: utc(now) },
            other => return Err(self.protocol(format!("unknown answer `{}`", snippet(other)))),
        })
    }

    /// Commit the turn just before sending: the unit is charged to today
    /// (Redis's clock) and the send recorded, unless a previous request on one
    /// of its pacing keys went out less than the key's interval ago (then
    /// [`Charged::Wait`], nothing changed).
    pub(crate) async fn commit(&self, reservation: &mut Reservation, limit: u32) -> Result<Charged, StoreError> {
        if reservation.spacing.is_empty() && reservation.budget.is_none() {
            return Ok(Charged::Ok);
        }
        let budget = reservation.budget.as_deref().unwrap_or("none");
        let mut invocation = self.inner.scripts.commit.call();
        invocation
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(&reservation.id)
            .arg(if reservation.budget.is_some() { i64::from(limit) } else { -1 });
        for (key, interval) in &reservation.spacing {
            invocation.key(key).arg(micros(*interval));
        }
        let answer = self.strings(self.run(&invocation).await?)?;
        self.charged_from(&answer, reservation)
    }

    /// Read `commit.lua`'s answer: never a wait longer than the turn's
    /// longest strict interval (the most a correct store can ask for).
    fn charged_from(&self, answer: &[String], reservation: &mut Reservation) -> Result<Charged, StoreError> {
        let [verdict, value, now] = answer else {
            return Err(self.protocol("commit answered the wrong number of items"));
        };
        let now = utc(self.number(now)?);
        Ok(match verdict.as_str() {
            "ok" => {
                if reservation.budget.is_some() {
                    reservation.charged = Some(self.number(value)?);
                }
                Charged::Ok
            }
            "wait" => {
                let longest = reservation.spacing.iter().map(|(_, interval)| *interval).max().unwrap_or_default();
                Charged::Wait(duration_between(0, self.number(value)?).min(longest))
            }
            "exhausted" => Charged::Exhausted { now },
            other => return Err(self.protocol(format!("unknown answer `{}`", snippet(other)))),
        })
    }

    /// Give back what an unsent request took.
    pub(crate) async fn give_back(&self, reservation: Reservation) -> Result<(), StoreError> {
        if reservation.turns.is_empty() && reservation.budget.is_none() {
            return Ok(());
        }
        let budget = reservation.budget.as_deref().unwrap_or("none");
        let mut invocation = self.inner.scripts.give_back.call();
        invocation
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(&reservation.id)
            .arg(reservation.charged.unwrap_or(-1));
        for (key, prev, ours) in &reservation.turns {
            invocation.key(key).arg(prev).arg(ours);
        }
        self.run(&invocation).await.map(drop)
    }

    /// A per-second 429: no turn on `keys` starts within `hold` from now.
    pub(crate) async fn hold(&self, keys: &[String], hold: Duration) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut invocation = self.inner.scripts.hold.call();
        for key in keys {
            invocation.key(self.key(key));
        }
        invocation.arg(micros(hold.min(MAX_WAIT)));
        self.run(&invocation).await.map(drop)
    }

    /// A daily 429: block the budget until `until`.
    pub(crate) async fn block_until(
        &self,
        budget: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let micros = until.timestamp_micros().max(0);
        let millis = until.timestamp_millis().max(1);
        let mut command = ::redis::cmd("SET");
        command.arg(self.budget_key("blocked", budget)).arg(micros).arg("PXAT").arg(millis);
        self.query(&command).await.map(drop)
    }

    /// The shared token and how long it stays in use, if there is one.
    pub(crate) async fn token_get(&self, key: &str) -> Result<Option<(SecretString, Duration)>, StoreError> {
        let mut invocation = self.inner.scripts.token_get.call();
        invocation.key(key);
        let answer = self.strings(self.run(&invocation).await?)?;
        match answer.as_slice() {
            [] => Ok(None),
            [token, ttl] => {
                let ttl = self.number(ttl)?;
                // -1 (no expiry) or -2 (gone meanwhile): treat as due for renewal.
                let ttl = Duration::from_millis(u64::try_from(ttl).unwrap_or(0));
                Ok(Some((SecretString::from(token.clone()), ttl)))
            }
            _ => Err(self.protocol("token_get answered the wrong number of items")),
        }
    }

    /// Take the renewal lock for `ttl`; false when another process holds it.
    pub(crate) async fn token_lock(&self, key: &str, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut command = ::redis::cmd("SET");
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        command.arg(format!("{key}:lock")).arg(id).arg("NX").arg("PX").arg(millis);
        match self.query(&command).await? {
            Value::Okay | Value::SimpleString(_) => Ok(true),
            Value::Nil => Ok(false),
            _ => Err(self.protocol("SET NX answered something unexpected")),
        }
    }

    /// Store a new token for `ttl` and release the lock `id` holds.
    pub(crate) async fn token_put(
        &self,
        key: &str,
        id: &str,
        token: &SecretString,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut invocation = self.inner.scripts.token_put.call();
        invocation.key(key).key(format!("{key}:lock")).arg(token.expose_secret()).arg(millis).arg(id);
        self.run(&invocation).await.map(drop)
    }

    /// Release the lock `id` holds (a failed renewal).
    pub(crate) async fn token_unlock(&self, key: &str, id: &str) -> Result<(), StoreError> {
        let mut invocation = self.inner.scripts.compare_delete.call();
        invocation.key(format!("{key}:lock")).arg(id);
        self.run(&invocation).await.map(drop)
    }

    /// Delete the stored token only if it is still `rejected`.
    pub(crate) async fn token_forget(&self, key: &str, rejected: &SecretString) -> Result<(), StoreError> {
        let mut invocation = self.inner.scripts.compare_delete.call();
        invocation.key(key).arg(rejected.expose_secret());
        self.run(&invocation).await.map(drop)
    }
}

impl RedisStoreBuilder {
    /// The namespace of the keys: the Zoom account whose limits they count
    /// (default: the account id of the client's Server-to-Server
    /// credentials; a client with other credentials must set it). Every
    /// process of one account must use the same.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Time allowed for one store operation, connecting included (default
    /// 2 s). Past it, the store counts as unavailable.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What calls do while the store cannot be used (default
    /// [`WhenUnavailable::Fail`]).
    pub fn when_unavailable(mut self, policy: WhenUnavailable) -> Self {
        self.when_unavailable = policy;
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
        if let Some(ns) = &self.namespace {
            check_namespace(ns).map_err(|reason| invalid("shared_state.namespace", reason))?;
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(3600) {
            return Err(invalid("shared_state.timeout", format!("{:?} is not between 0 and 1 hour", self.timeout)));
        }
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shown_url,
                timeout: self.timeout,
                when_unavailable: self.when_unavailable,
                scripts: Scripts {
                    reserve: Lua::new(include_str!("lua/reserve.lua")),
                    commit: Lua::new(include_str!("lua/commit.lua")),
                    give_back: Lua::new(include_str!("lua/give_back.lua")),
                    hold: Lua::new(include_str!("lua/hold.lua")),
                    token_get: Lua::new(include_str!("lua/token_get.lua")),
                    token_put: Lua::new(include_str!("lua/token_put.lua")),
                    compare_delete: Lua::new(include_str!("lua/compare_delete.lua")),
                },
            }),
            namespace: self.namespace.map(Arc::from),
        })
    }
}

/// A namespace must keep the key's hash tag intact.
pub(crate) fn check_namespace(namespace: &str) -> Result<(), String> {
    if namespace.is_empty() {
        return Err("must not be empty".into());
    }
    if namespace.contains(['{', '}']) || namespace.chars().any(char::is_control) {
        return Err(format!("`{}` must not contain braces or control characters", snippet(namespace)));
    }
    Ok(())
}

/// What a reservation found.
#[derive(Debug)]
pub(crate) enum Reserved {
    /// The turn is taken; wait `wait` for it.
    Granted(Reservation),
    /// A daily 429 blocks the budget until `until`.
    Blocked { until: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc> },
    /// The day's budget is spent (used and pending).
    Exhausted { now: chrono::DateTime<chrono::Utc> },
    /// The turn is further away than the maximum wait; nothing was taken.
    WouldWait { wait: Duration, now: chrono::DateTime<chrono::Utc> },
}

/// A turn taken in the store.
#[derive(Debug)]
pub(crate) struct Reservation {
    id: String,
    /// The budget key, when a unit is pending or charged.
    budget: Option<String>,
    /// How long until the turn starts.
    pub(crate) wait: Duration,
    /// Each pacing key: full key name, the value before, the turn's end.
    turns: Vec<(String, String, String)>,
    /// Each pacing key's last-send key and interval.
    spacing: Vec<(String, Duration)>,
    /// The day (days since the Unix epoch, Redis's clock) a unit was charged to.
    charged: Option<i64>,
}

/// What charging found.
#[derive(Debug)]
pub(crate) enum Charged {
    Ok,
    /// A request on one of the turn's keys went out too recently: wait, then commit again.
    Wait(Duration),
    Exhausted {
        now: chrono::DateTime<chrono::Utc>,
    },
}

fn reservation_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn duration_between(from_micros: i64, to_micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(to_micros.saturating_sub(from_micros)).unwrap_or(0))
}

fn utc(micros: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

fn snippet(text: &str) -> String {
    text.chars().take(40).collect()
}

/// What a redis-rs error says, bounded: a store's error reply is its own
/// text, of any length.
pub(super) fn reason(error: &RedisError) -> String {
    bounded(&error.to_string())
}

fn bounded(text: &str) -> String {
    crate::redact::Redactor::default().bounded(text, crate::redact::TEXT_CHARS)
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
    use proptest::prelude::*;

    fn store() -> RedisStore {
        RedisStore::new("redis://127.0.0.1:1/").unwrap().or_namespace("acct")
    }

    fn answer_item() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("ok".to_owned()),
            Just("wait".to_owned()),
            Just("blocked".to_owned()),
            Just("exhausted".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            (0i64..4_000_000_000_000_000).prop_map(|n| n.to_string()),
            ".{0,12}",
        ]
    }

    fn reservation_for_commit() -> Reservation {
        Reservation {
            id: "id".into(),
            budget: Some("b".into()),
            wait: Duration::ZERO,
            turns: Vec::new(),
            spacing: vec![("k".into(), Duration::from_secs(300))],
            charged: None,
        }
    }

    proptest! {
        /// Well-formed answers with any numbers: granted turns and commit waits stay bounded.
        #[test]
        fn well_formed_answers_with_any_numbers_stay_bounded(
            verdict in prop_oneof![Just("ok"), Just("wait"), Just("blocked"), Just("exhausted")],
            numbers in proptest::collection::vec(any::<i64>(), 6),
        ) {
            let store = store();
            let mut answer = vec![verdict.to_owned()];
            answer.extend(numbers.iter().map(i64::to_string));
            let slots = [("tat:op:x:".to_owned(), Duration::from_secs(1800), true), ("tat:label:Heavy".to_owned(), Duration::from_millis(100), false)];
            match store.reserved_from(&answer, "id".into(), Some("b".into()), &slots, MAX_WAIT) {
                Ok(Reserved::Granted(reservation)) => prop_assert!(reservation.wait <= MAX_WAIT),
                Ok(_) => prop_assert!(verdict != "ok"),
                Err(_) => prop_assert!(verdict == "ok" || verdict == "blocked", "only an over-long turn or block is refused"),
            }
            let mut reservation = reservation_for_commit();
            if let Ok(Charged::Wait(wait)) = store.charged_from(&answer[..3], &mut reservation) {
                prop_assert!(wait <= Duration::from_secs(300));
            }
        }

        /// Whatever Redis (or an impostor) answers, reading it never panics, and no
        /// granted turn is further than MAX_WAIT nor any commit wait longer than the
        /// turn's longest strict interval.
        #[test]
        fn answers_never_panic_and_waits_are_bounded(answer in proptest::collection::vec(answer_item(), 0..9)) {
            let store = store();
            let slots = [("tat:op:x:".to_owned(), Duration::from_secs(1800), true), ("tat:label:Heavy".to_owned(), Duration::from_millis(100), false)];
            if let Ok(Reserved::Granted(mut reservation)) = store.reserved_from(&answer, "id".into(), Some("b".into()), &slots, MAX_WAIT) {
                prop_assert!(reservation.wait <= MAX_WAIT);
                // The start of a granted turn is usable on tokio's clock.
                prop_assert!(tokio::time::Instant::now().checked_add(reservation.wait).is_some());
                if let Ok(Charged::Wait(wait)) = store.charged_from(&answer[..answer.len().min(3)], &mut reservation) {
                    prop_assert!(wait <= Duration::from_secs(1800));
                }
            }
            let mut reservation = reservation_for_commit();
            if let Ok(Charged::Wait(wait)) = store.charged_from(&answer, &mut reservation) {
                prop_assert!(wait <= Duration::from_secs(300));
            }
        }
    }

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
        assert!(check_namespace("abc-123").is_ok());
        assert!(check_namespace("a}b").is_err());
        assert!(check_namespace("").is_err());
        let store = RedisStore::new("redis://127.0.0.1/").unwrap().or_namespace("acct");
        assert_eq!(store.key("tat:x"), "zb:{acct}:tat:x");
        assert_eq!(store.or_namespace("other").key("t"), "zb:{acct}:t", "a set namespace stays");
    }
}
