//! The operations every shared store offers (reserve, commit, give back,
//! hold, block, the token's get, lock, put and forget), and the reading of
//! their answers, whichever backend runs them.
//!
//! A backend runs one [`Op`] atomically and answers a list of strings: the
//! Redis backend as a Lua script, the SQLite backend as one immediate
//! transaction that does what the script does. Both answer in the scripts'
//! format, so everything a store says is read, checked and bounded here,
//! once: a broken, foreign or hostile store gives a typed error, never a
//! panic, a wait past what the operation's limits allow, or a block past the
//! next 00:00 UTC.
//!
//! Without the `redis` and `sqlite` features no store can be made, but this
//! module still compiles (the pacer and auth hold an `Option<Store>` that is
//! always `None`), so the runtime has no per-feature forks.
#![cfg_attr(not(any(feature = "redis", feature = "sqlite")), allow(unused, unreachable_code))]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::WhenUnavailable;
use crate::error::StoreError;

/// How long a pending unit outlives the start of its turn: covers the token
/// request and sending. A process that dies mid-call frees its unit then.
const PENDING_GRACE: Duration = Duration::from_secs(300);

/// The longest wait for a turn the store may hand out; a longer one is a
/// store that is wrong (or another program on the same keys).
const MAX_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The default time allowed for one store operation.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The settings every store takes, checked the same way.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) namespace: Option<String>,
    pub(super) timeout: Duration,
    pub(super) when_unavailable: WhenUnavailable,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { namespace: None, timeout: DEFAULT_TIMEOUT, when_unavailable: WhenUnavailable::default() }
    }
}

impl Settings {
    /// A namespace that keeps the keys' hash tag, a timeout within an hour.
    pub(super) fn check(&self) -> Result<(), crate::error::BuildError> {
        let invalid = |setting, reason| crate::error::BuildError::InvalidSetting { setting, reason };
        if let Some(ns) = &self.namespace {
            check_namespace(ns).map_err(|reason| invalid("shared_state.namespace", reason))?;
        }
        if self.timeout.is_zero() || self.timeout > Duration::from_secs(3600) {
            return Err(invalid("shared_state.timeout", format!("{:?} is not between 0 and 1 hour", self.timeout)));
        }
        Ok(())
    }
}

/// What a backend runs, atomically. Each is one Lua script on Redis, one
/// transaction on SQLite; the comments in `lua/` say what each does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Script {
    /// `lua/reserve.lua`.
    Reserve,
    /// `lua/commit.lua`.
    Commit,
    /// `lua/give_back.lua`.
    GiveBack,
    /// `lua/hold.lua`.
    Hold,
    /// `lua/token_get.lua`.
    TokenGet,
    /// `lua/token_put.lua`.
    TokenPut,
    /// `lua/compare_delete.lua`.
    CompareDelete,
    /// `SET key value PXAT at`: KEYS[1]; ARGV[1] value, ARGV[2] expiry (Unix ms).
    /// Answers nothing.
    SetUntil,
    /// `SET key value NX PX ttl`: KEYS[1]; ARGV[1] value, ARGV[2] time to live (ms).
    /// Answers `["OK"]` when set, nothing when the key exists.
    SetIfAbsent,
    /// Jobs' leases and journals.
    #[cfg(feature = "jobs")]
    Job(super::jobs::JobScript),
}

/// One operation: a script with its keys and arguments.
#[derive(Debug)]
pub(super) struct Op {
    pub(super) script: Script,
    pub(super) keys: Vec<String>,
    pub(super) args: Vec<String>,
}

impl Op {
    pub(super) fn new(script: Script) -> Self {
        Op { script, keys: Vec::new(), args: Vec::new() }
    }

    pub(super) fn key(mut self, key: impl Into<String>) -> Self {
        self.keys.push(key.into());
        self
    }

    pub(super) fn arg(mut self, arg: impl ToString) -> Self {
        self.args.push(arg.to_string());
        self
    }
}

/// The backends a store can run on. Without the `redis` and `sqlite`
/// features only the in-memory one (feature `jobs`), which keeps jobs'
/// journals for tests (and runs nothing else); with none of the three, none.
#[derive(Clone)]
pub(super) enum Backend {
    #[cfg(feature = "jobs")]
    Memory(Arc<super::memory::Backend>),
    #[cfg(feature = "redis")]
    Redis(Arc<super::redis::Backend>),
    #[cfg(feature = "sqlite")]
    Sqlite(Arc<super::sqlite::Backend>),
}

impl Backend {
    pub(super) async fn run(&self, op: Op) -> Result<Vec<String>, StoreError> {
        match *self {
            #[cfg(feature = "jobs")]
            Backend::Memory(ref memory) => memory.run(op),
            #[cfg(feature = "redis")]
            Backend::Redis(ref redis) => redis.run(op).await,
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(ref sqlite) => sqlite.run(op).await,
        }
    }

    /// Where the store is, for messages (no credentials).
    fn shown(&self) -> &str {
        match *self {
            #[cfg(feature = "jobs")]
            Backend::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            Backend::Redis(ref redis) => redis.shown(),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(ref sqlite) => sqlite.shown(),
        }
    }

    fn when_unavailable(&self) -> WhenUnavailable {
        match *self {
            #[cfg(feature = "jobs")]
            Backend::Memory(_) => WhenUnavailable::Fail,
            #[cfg(feature = "redis")]
            Backend::Redis(ref redis) => redis.when_unavailable(),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(ref sqlite) => sqlite.when_unavailable(),
        }
    }
}

/// A shared store: a backend and the namespace (the Zoom account) its keys
/// belong to. Cheap to clone: clones share the backend's connection.
#[derive(Clone)]
pub(crate) struct Store {
    backend: Backend,
    namespace: Option<Arc<str>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Store");
        match self.backend {
            #[cfg(feature = "jobs")]
            Backend::Memory(_) => debug.field("memory", &"journal"),
            #[cfg(feature = "redis")]
            Backend::Redis(ref redis) => debug.field("redis", redis),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(ref sqlite) => debug.field("sqlite", sqlite),
        };
        debug.field("namespace", &self.namespace).finish()
    }
}

impl Store {
    /// A store in this process's memory that keeps jobs' journals only.
    #[cfg(feature = "jobs")]
    pub(crate) fn memory() -> Self {
        Store::new(Backend::Memory(Arc::default()), Some("memory".into()))
    }

    /// For jobs' operations (`super::jobs`).
    #[cfg(feature = "jobs")]
    pub(super) fn backend(&self) -> &Backend {
        &self.backend
    }

    pub(super) fn new(backend: Backend, namespace: Option<String>) -> Self {
        Store { backend, namespace: namespace.map(Arc::from) }
    }

    /// What calls do while the store cannot be used.
    pub(crate) fn when_unavailable(&self) -> WhenUnavailable {
        self.backend.when_unavailable()
    }

    /// This store with `namespace`, unless one was set.
    pub(crate) fn or_namespace(&self, namespace: &str) -> Store {
        Store {
            backend: self.backend.clone(),
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

    /// The name of one of the account's keys. The braces are a Redis Cluster
    /// hash tag: every key of one account lives in one slot.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("zb:{{{}}}:{name}", self.namespace.as_deref().unwrap_or_default())
    }

    pub(crate) fn protocol(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Protocol { url: self.backend.shown().to_owned(), reason: reason.into() }
    }

    pub(super) fn number(&self, text: &str) -> Result<i64, StoreError> {
        text.parse().map_err(|_| self.protocol(format!("`{}` is not a number", snippet(text))))
    }

    /// Reserve a turn: `slots` are pacing keys with their intervals, and
    /// whether the interval is a strict minimum between sends (checked again
    /// at [`commit`](Self::commit)) rather than a rate; `limit`
    /// is the daily limit (`None`: no budget check beyond a daily-429 block;
    /// `budgets` false: none at all); `furthest` the latest turn a correct
    /// store can grant (a later one is [`StoreError::Protocol`], never a sleep).
    /// `later` are rate keys whose slot [`commit`](Self::commit) takes, at
    /// most `later_bound` away.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn reserve(
        &self,
        budget: &str,
        limit: Option<u32>,
        budgets: bool,
        slots: &[(String, Duration, bool)],
        later: &[(String, Duration)],
        max_wait: Option<Duration>,
        (furthest, later_bound): (Duration, Duration),
    ) -> Result<Reserved, StoreError> {
        let id = reservation_id();
        let later: Vec<_> = later.iter().map(|(key, interval)| (self.key(key), *interval)).collect();
        if slots.is_empty() && !budgets && later.is_empty() {
            // Nothing to share: no round trip.
            return Ok(Reserved::Granted(Reservation {
                id,
                budget: None,
                wait: Duration::ZERO,
                turns: Vec::new(),
                spacing: Vec::new(),
                later,
                later_bound,
                charged: None,
            }));
        }
        let limit_arg = match (budgets, limit) {
            (false, _) => -2,
            (true, None) => -1,
            (true, Some(n)) => i64::from(n),
        };
        let mut op = Op::new(Script::Reserve)
            .key(self.budget_key("blocked", budget))
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(limit_arg)
            .arg(max_wait.map(micros).unwrap_or(-1))
            .arg(&id)
            .arg(micros(PENDING_GRACE));
        for (key, _, _) in slots {
            op = op.key(self.key(key));
        }
        for (_, interval, _) in slots {
            op = op.arg(micros(*interval));
        }
        let answer = self.backend.run(op).await?;
        let budget = limit.filter(|_| budgets).map(|_| budget.to_owned());
        let mut reserved = self.reserved_from(&answer, id, budget, slots, furthest)?;
        if let Reserved::Granted(reservation) = &mut reserved {
            (reservation.later, reservation.later_bound) = (later, later_bound);
        }
        Ok(reserved)
    }

    /// Read `reserve`'s answer. Whatever the store sends, this returns a
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
                    later: Vec::new(),
                    later_bound: Duration::ZERO,
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
    /// (the store's clock), the label's slot taken (its wait is in
    /// [`Charged::Ok`]) and the send recorded, unless a previous request on
    /// one of its strict keys went out less than the key's interval ago
    /// (then [`Charged::Wait`], nothing changed).
    pub(crate) async fn commit(&self, reservation: &mut Reservation, limit: u32) -> Result<Charged, StoreError> {
        if reservation.spacing.is_empty() && reservation.budget.is_none() && reservation.later.is_empty() {
            return Ok(Charged::Ok(Duration::ZERO));
        }
        let budget = reservation.budget.as_deref().unwrap_or("none");
        let mut op = Op::new(Script::Commit)
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(&reservation.id)
            .arg(if reservation.budget.is_some() { i64::from(limit) } else { -1 })
            .arg(reservation.spacing.len());
        for (key, interval) in reservation.spacing.iter().chain(&reservation.later) {
            op = op.key(key).arg(micros(*interval));
        }
        let answer = self.backend.run(op).await?;
        self.charged_from(&answer, reservation)
    }

    /// Read `commit`'s answer: never a wait longer than the turn's longest
    /// strict interval (the most a correct store can ask for), nor a label
    /// slot further than the reservation's bound.
    fn charged_from(&self, answer: &[String], reservation: &mut Reservation) -> Result<Charged, StoreError> {
        let ([verdict, value, now] | [verdict, value, now, _]) = answer else {
            return Err(self.protocol("commit answered the wrong number of items"));
        };
        let now = utc(self.number(now)?);
        Ok(match verdict.as_str() {
            "ok" => {
                let label_wait = match answer.get(3) {
                    Some(wait) => duration_between(0, self.number(wait)?),
                    None => Duration::ZERO,
                };
                if label_wait > reservation.later_bound {
                    return Err(self.protocol(format!(
                        "a label slot {} away, later than the label's rate can make it (at most {})",
                        crate::human::Dur(label_wait),
                        crate::human::Dur(reservation.later_bound)
                    )));
                }
                if reservation.budget.is_some() {
                    reservation.charged = Some(self.number(value)?);
                }
                Charged::Ok(label_wait)
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
        let mut op = Op::new(Script::GiveBack)
            .key(self.budget_key("pending", budget))
            .key(self.budget_key("used", budget))
            .arg(&reservation.id)
            .arg(reservation.charged.unwrap_or(-1));
        for (key, prev, ours) in reservation.turns {
            op = op.key(key).arg(prev).arg(ours);
        }
        self.backend.run(op).await.map(drop)
    }

    /// A per-second 429: no turn on `keys` starts within `hold` from now.
    pub(crate) async fn hold(&self, keys: &[String], hold: Duration) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut op = Op::new(Script::Hold);
        for key in keys {
            op = op.key(self.key(key));
        }
        self.backend.run(op.arg(micros(hold.min(MAX_WAIT)))).await.map(drop)
    }

    /// A daily 429: block the budget until `until`.
    pub(crate) async fn block_until(&self, budget: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        let op = Op::new(Script::SetUntil)
            .key(self.budget_key("blocked", budget))
            .arg(until.timestamp_micros().max(0))
            .arg(until.timestamp_millis().max(1));
        self.backend.run(op).await.map(drop)
    }

    /// The shared token and how long it stays in use, if there is one.
    pub(crate) async fn token_get(&self, key: &str) -> Result<Option<(SecretString, Duration)>, StoreError> {
        let answer = self.backend.run(Op::new(Script::TokenGet).key(key)).await?;
        match <[String; 2]>::try_from(answer) {
            Ok([token, ttl]) => {
                let ttl = self.number(&ttl)?;
                // -1 (no expiry) or -2 (gone meanwhile): treat as due for renewal.
                let ttl = Duration::from_millis(u64::try_from(ttl).unwrap_or(0));
                Ok(Some((SecretString::from(token), ttl)))
            }
            Err(answer) if answer.is_empty() => Ok(None),
            Err(_) => Err(self.protocol("token_get answered the wrong number of items")),
        }
    }

    /// Take the renewal lock for `ttl`; false when another process holds it.
    pub(crate) async fn token_lock(&self, key: &str, id: &str, ttl: Duration) -> Result<bool, StoreError> {
        let op = Op::new(Script::SetIfAbsent).key(format!("{key}:lock")).arg(id).arg(millis(ttl));
        match self.backend.run(op).await?.as_slice() {
            [ok] if ok == "OK" => Ok(true),
            [] => Ok(false),
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
        let op = Op::new(Script::TokenPut)
            .key(key)
            .key(format!("{key}:lock"))
            .arg(token.expose_secret())
            .arg(millis(ttl))
            .arg(id);
        self.backend.run(op).await.map(drop)
    }

    /// Release the lock `id` holds (a failed renewal).
    pub(crate) async fn token_unlock(&self, key: &str, id: &str) -> Result<(), StoreError> {
        self.backend.run(Op::new(Script::CompareDelete).key(format!("{key}:lock")).arg(id)).await.map(drop)
    }

    /// Delete the stored token only if it is still `rejected`.
    pub(crate) async fn token_forget(&self, key: &str, rejected: &SecretString) -> Result<(), StoreError> {
        self.backend.run(Op::new(Script::CompareDelete).key(key).arg(rejected.expose_secret())).await.map(drop)
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
    Blocked { until: DateTime<Utc>, now: DateTime<Utc> },
    /// The day's budget is spent (used and pending).
    Exhausted { now: DateTime<Utc> },
    /// The turn is further away than the maximum wait; nothing was taken.
    WouldWait { wait: Duration, now: DateTime<Utc> },
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
    /// The label keys whose slot the commit takes, and their intervals.
    later: Vec<(String, Duration)>,
    /// The furthest a correct store can put that slot.
    later_bound: Duration,
    /// The day (days since the Unix epoch, the store's clock) a unit was charged to.
    charged: Option<i64>,
}

/// What charging found.
#[derive(Debug)]
pub(crate) enum Charged {
    /// Charged; the label's slot starts after this wait.
    Ok(Duration),
    /// A request on one of the turn's keys went out too recently: wait, then commit again.
    Wait(Duration),
    Exhausted {
        now: DateTime<Utc>,
    },
}

fn reservation_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A time to live in whole milliseconds, at least one (zero means "none" to Redis).
pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn duration_between(from_micros: i64, to_micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(to_micros.saturating_sub(from_micros)).unwrap_or(0))
}

fn utc(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub(super) fn snippet(text: &str) -> String {
    text.chars().take(40).collect()
}

/// A store's own error text, bounded: it may be of any length.
pub(super) fn bounded(text: &str) -> String {
    crate::redact::Redactor::default().bounded(text, crate::redact::TEXT_CHARS)
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reading answers needs a store but no connection: one that is never used.
    fn store() -> Store {
        super::super::RedisStore::new("redis://127.0.0.1:1/").unwrap().0.or_namespace("acct")
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
            later: Vec::new(),
            later_bound: Duration::from_secs(60),
            charged: None,
        }
    }

    fn slots() -> [(String, Duration, bool); 2] {
        [
            ("tat:op:x:".to_owned(), Duration::from_secs(1800), true),
            ("tat:label:Heavy".to_owned(), Duration::from_millis(100), false),
        ]
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
            match store.reserved_from(&answer, "id".into(), Some("b".into()), &slots(), MAX_WAIT) {
                Ok(Reserved::Granted(reservation)) => prop_assert!(reservation.wait <= MAX_WAIT),
                Ok(_) => prop_assert!(verdict != "ok"),
                Err(_) => prop_assert!(verdict == "ok" || verdict == "blocked", "only an over-long turn or block is refused"),
            }
            let mut reservation = reservation_for_commit();
            match store.charged_from(&answer[..4], &mut reservation) {
                Ok(Charged::Wait(wait)) => prop_assert!(wait <= Duration::from_secs(300)),
                Ok(Charged::Ok(wait)) => prop_assert!(wait <= Duration::from_secs(60)),
                _ => {}
            }
        }

        /// Whatever a store (or an impostor) answers, reading it never panics, and no
        /// granted turn is further than MAX_WAIT nor any commit wait longer than the
        /// turn's longest strict interval.
        #[test]
        fn answers_never_panic_and_waits_are_bounded(answer in proptest::collection::vec(answer_item(), 0..9)) {
            let store = store();
            if let Ok(Reserved::Granted(mut reservation)) = store.reserved_from(&answer, "id".into(), Some("b".into()), &slots(), MAX_WAIT) {
                prop_assert!(reservation.wait <= MAX_WAIT);
                // The start of a granted turn is usable on tokio's clock.
                prop_assert!(tokio::time::Instant::now().checked_add(reservation.wait).is_some());
                if let Ok(Charged::Wait(wait)) = store.charged_from(&answer[..answer.len().min(3)], &mut reservation) {
                    prop_assert!(wait <= Duration::from_secs(1800));
                }
            }
            let mut reservation = reservation_for_commit();
            match store.charged_from(&answer, &mut reservation) {
                Ok(Charged::Wait(wait)) => prop_assert!(wait <= Duration::from_secs(300)),
                Ok(Charged::Ok(wait)) => prop_assert!(wait <= Duration::from_secs(60)),
                _ => {}
            }
        }
    }
}
