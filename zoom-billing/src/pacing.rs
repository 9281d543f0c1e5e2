//! Client-side pacing and daily budgets, driven by the spec's limits in
//! [`metadata`](crate::metadata).
//!
//! - Each operation with a minimum interval ("1 request every 5 minutes") is
//!   spaced by it, per account or per `accountId` path value as the spec
//!   says, before the request is sent: a loop over invoices waits instead of
//!   collecting 429s.
//! - Each rate-limit label (Light, Medium, Heavy, Resource-intensive) is
//!   spaced by its per-second rate for the account's plan ([`Plan`]).
//! - Each operation with a daily limit has a budget per account that resets
//!   at 00:00 UTC. A spent budget fails at once with
//!   [`Error::BudgetExhausted`], without
//!   sending. A daily 429 from Zoom also marks the budget spent until the
//!   reset time Zoom names.
//!
//! The state lives in this process (the default: the budgets count this
//! client's requests only) or, with a [`RedisStore`](crate::shared::RedisStore),
//! in Redis, shared by every process of the account: the same reservation,
//! charge and give-back, each one atomic script there (see
//! [`crate::shared`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::time::Instant;

use crate::Error;
use crate::classify::next_utc_midnight;
use crate::metadata::{Operation, RateLimitLabel, RateLimitScope};

/// The account's Zoom plan, which sets the per-second rate of each label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Plan {
    /// Free accounts.
    Free,
    /// Pro accounts (the default: master accounts are Pro or higher).
    #[default]
    Pro,
    /// Business, Education, Enterprise and higher.
    BusinessPlus,
}

impl Plan {
    /// Requests per second of `label` on this plan (Zoom's published figures, from the
    /// spec's `x-zoom-label-rates`; Resource-intensive is per minute, expressed per second).
    pub fn rate(self, label: RateLimitLabel) -> f64 {
        let plan = match self {
            Plan::Free => "Free",
            Plan::Pro => "Pro",
            Plan::BusinessPlus => "BusinessPlus",
        };
        // The spec's `x-zoom-label-rates`, which codegen checks gives every plan every label.
        crate::generated::rates::LABEL_RATES
            .iter()
            .find(|(p, l, _)| *p == plan && *l == label)
            .map_or(0.0, |(_, _, rate)| *rate)
    }
}

/// How the client paces requests and keeps daily budgets.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RateLimitPolicy {
    /// Space requests by the per-operation minimum intervals of the spec.
    pub pace_operations: bool,
    /// Space requests by the per-label rates of `plan`.
    pub pace_labels: bool,
    /// Enforce the spec's daily limits client-side.
    pub daily_budgets: bool,
    /// The account's plan.
    pub plan: Plan,
    /// Per-label rate overrides (requests per second).
    pub label_rates: Vec<(RateLimitLabel, f64)>,
    /// The longest a request may be held for its turn. `None` (the default)
    /// waits as long as the spec's interval requires: a second invoice-PDF
    /// download in the same process waits up to 30 minutes. With a limit, a
    /// longer wait fails at once with [`Error::PacingWouldWait`] instead.
    pub max_wait: Option<Duration>,
    /// How much faster than real time the spacing runs (default 1): at
    /// 1800, "one request per 30 minutes" spaces requests one second apart,
    /// to match a fake Zoom run on a scaled clock. Daily budgets still count
    /// UTC days.
    pub time_scale: f64,
}

impl Default for RateLimitPolicy {
    fn default() -> Self {
        RateLimitPolicy {
            pace_operations: true,
            pace_labels: true,
            daily_budgets: true,
            plan: Plan::default(),
            label_rates: Vec::new(),
            max_wait: None,
            time_scale: 1.0,
        }
    }
}

impl RateLimitPolicy {
    /// No pacing and no budgets: every request is sent at once (Zoom's 429s
    /// are still handled by the retry policy).
    pub fn off() -> Self {
        RateLimitPolicy { pace_operations: false, pace_labels: false, daily_budgets: false, ..Self::default() }
    }

    /// The preset for tests against `fake-zoom` (or any fake): no pacing and no
    /// daily budgets, so a test's second invoice call does not wait 30 minutes,
    /// and the crate's own waits on a clock 1000 times faster (the invoice-report
    /// helper polls every 5 ms instead of 5 s). Retries after Zoom's errors keep
    /// the client's [`RetryPolicy`](crate::RetryPolicy).
    /// To test the pacing itself, keep [`RateLimitPolicy::default`] and run on
    /// tokio's paused clock (`#[tokio::test(start_paused = true)]`): waits are
    /// then skipped, not slept.
    ///
    /// ```
    /// # fn main() -> Result<(), zoom_billing::BuildError> {
    /// let client = zoom_billing::Client::builder()
    ///     .base_url("http://127.0.0.1:9/v2")
    ///     .bearer_token("fake-token")
    ///     .rate_limit_policy(zoom_billing::RateLimitPolicy::for_tests())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn for_tests() -> Self {
        // The crate's own waits (report polling) run 1000 times faster.
        Self { time_scale: 1000.0, ..Self::off() }
    }

    /// Turn the per-operation minimum intervals on or off.
    pub fn with_operation_pacing(mut self, on: bool) -> Self {
        self.pace_operations = on;
        self
    }

    /// Turn the per-label rates on or off.
    pub fn with_label_pacing(mut self, on: bool) -> Self {
        self.pace_labels = on;
        self
    }

    /// Turn the client-side daily budgets on or off.
    pub fn with_daily_budgets(mut self, on: bool) -> Self {
        self.daily_budgets = on;
        self
    }

    /// Set the account's plan.
    pub fn with_plan(mut self, plan: Plan) -> Self {
        self.plan = plan;
        self
    }

    /// Fail with [`Error::PacingWouldWait`] instead of holding a request
    /// longer than `limit` for its turn.
    pub fn with_max_wait(mut self, limit: Duration) -> Self {
        self.max_wait = Some(limit);
        self
    }

    /// Run the spacing `scale` times faster than real time (tests against a
    /// fake Zoom on a scaled clock); non-positive or non-finite means 1.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        self
    }

    /// A real-time interval on the policy's clock.
    fn scaled(&self, interval: Duration) -> Duration {
        if self.time_scale == 1.0 {
            return interval;
        }
        Duration::try_from_secs_f64(interval.as_secs_f64() / self.time_scale).unwrap_or(interval)
    }

    /// Override one label's rate (requests per second; 0 turns it off).
    pub fn with_label_rate(mut self, label: RateLimitLabel, per_second: f64) -> Self {
        self.label_rates.retain(|(l, _)| *l != label);
        self.label_rates.push((label, per_second));
        self
    }

    fn label_interval(&self, label: RateLimitLabel) -> Option<Duration> {
        if !self.pace_labels {
            return None;
        }
        let rate = self.label_rates.iter().find(|(l, _)| *l == label).map(|(_, r)| *r).unwrap_or(self.plan.rate(label));
        // A rate so small its interval overflows is as good as no pacing.
        (rate.is_finite() && rate > 0.0)
            .then(|| Duration::try_from_secs_f64(1.0 / rate).ok())
            .flatten()
            .map(|interval| self.scaled(interval))
    }
}

/// Wall-clock time that follows tokio's clock (so paused-time tests move
/// it too): the UTC time at start plus tokio's elapsed time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    wall: DateTime<Utc>,
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { wall: Utc::now(), start: Instant::now() }
    }

    /// A clock that reads `wall` now: tests whose budgets must not see a UTC
    /// midnight that the real time of day would bring.
    #[cfg(test)]
    pub(crate) fn at(wall: DateTime<Utc>) -> Self {
        Clock { wall, start: Instant::now() }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::TimeDelta::from_std(self.start.elapsed()).unwrap_or(chrono::TimeDelta::MAX);
        self.wall.checked_add_signed(elapsed).unwrap_or(self.wall)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Operation(Operation, String),
    Label(RateLimitLabel),
}

impl Key {
    /// The key's name in the shared store (under the account's namespace).
    #[cfg(feature = "redis")]
    fn shared_name(&self) -> String {
        match self {
            Key::Operation(operation, scope) => format!("tat:op:{}:{scope}", operation.operation_id()),
            Key::Label(label) => format!("tat:label:{label:?}"),
        }
    }
}

#[derive(Debug)]
struct Budget {
    /// The UTC day `used` counts.
    day: NaiveDate,
    /// Requests sent that day.
    used: u32,
    /// Reservations made and not yet sent or given back (any day).
    pending: u32,
    /// Until when a daily 429 blocks the operation.
    blocked_until: Option<DateTime<Utc>>,
}

/// The turns of one pacing key: the end of the latest turn used by a sent
/// request, and the ends of the turns reserved by tickets still alive.
/// The next free turn is the latest of them, so a dropped ticket's turn is
/// given back whatever order tickets are dropped in.
#[derive(Debug, Default)]
struct Turns {
    committed: Option<Instant>,
    live: Vec<Instant>,
}

impl Turns {
    fn next_free(&self) -> Option<Instant> {
        self.live.iter().copied().chain(self.committed).max()
    }

    /// Forget the live turn ending at `ours`; keep it when it was used.
    fn release(&mut self, ours: Instant, used: bool) {
        if let Some(i) = self.live.iter().position(|t| *t == ours) {
            self.live.swap_remove(i);
        }
        if used {
            self.committed = self.committed.max(Some(ours));
        }
    }
}

#[derive(Debug, Default)]
struct State {
    turns: HashMap<Key, Turns>,
    budgets: HashMap<(Operation, String), Budget>,
}

/// The pacing and budget state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    policy: RateLimitPolicy,
    clock: Clock,
    state: Arc<Mutex<State>>,
    /// The fleet's shared state, when the client has one.
    #[cfg(feature = "redis")]
    shared: Option<crate::shared::RedisStore>,
    /// The longest a per-second 429 holds the fleet's turns (the client's
    /// `max_retry_after`): part of the furthest turn a store may hand out.
    #[cfg(feature = "redis")]
    max_hold: Duration,
}

/// How many turns of one pacing key may be queued ahead of a call in the
/// fleet, for a key no daily limit bounds (a label, an operation without a
/// daily limit): a store answering a turn further than this many intervals
/// away is wrong, not busy. 10,000 Heavy turns on Pro are 16 minutes.
#[cfg(feature = "redis")]
pub(crate) const MAX_QUEUED_TURNS: u32 = 10_000;

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// A reserved turn: the pacing slots and (when the operation has a daily
/// limit) a pending unit of the budget. The unit is charged to the UTC day
/// the request is sent on ([`Ticket::charge`]); a ticket dropped before its
/// request was sent ([`Ticket::sent`]) gives back its slots and its unit.
/// (Tickets already waiting keep the start they were given: a turn given
/// back before them serves the calls reserved after the drop.)
#[derive(Debug)]
pub(crate) struct Ticket {
    state: Arc<Mutex<State>>,
    clock: Clock,
    operation: Operation,
    key: String,
    /// When the turn starts; `None` when nothing paces the operation.
    start: Option<Instant>,
    /// Each slot's key and the end of this ticket's turn there.
    slots: Vec<(Key, Instant)>,
    /// Whether a budget unit is pending for this ticket.
    pending: bool,
    /// The day a unit was charged to.
    charged: Option<NaiveDate>,
    sent: bool,
    /// The turn taken in the shared store (then `slots` and `pending` are empty).
    #[cfg(feature = "redis")]
    shared: Option<(crate::shared::RedisStore, crate::shared::Reservation)>,
}

impl Pacer {
    pub(crate) fn new(policy: RateLimitPolicy, clock: Clock) -> Self {
        Pacer {
            policy,
            clock,
            state: Arc::new(Mutex::new(State::default())),
            #[cfg(feature = "redis")]
            shared: None,
            #[cfg(feature = "redis")]
            max_hold: crate::RetryPolicy::default().max_retry_after,
        }
    }

    /// The longest a per-second 429 holds the fleet's turns (the client's
    /// retry policy's `max_retry_after`).
    #[cfg(feature = "redis")]
    pub(crate) fn with_max_hold(mut self, max_hold: Duration) -> Self {
        self.max_hold = max_hold;
        self
    }

    /// The furthest turn a correct store can hand `operation` out: every
    /// turn that can be queued before it on each of its keys (its daily
    /// limit's worth on its own key when a budget bounds it, else
    /// [`MAX_QUEUED_TURNS`]), a 429's hold, and never past `max_wait`, which
    /// the store itself refuses beyond. A later turn is the store's error.
    #[cfg(feature = "redis")]
    fn furthest_turn(&self, operation: Operation, slots: &[(Key, Duration)], max_wait: Option<Duration>) -> Duration {
        let daily = operation.meta().rate_limit.daily_limit.filter(|_| self.policy.daily_budgets);
        let queued = slots.iter().fold(Duration::ZERO, |sum, (key, interval)| {
            let depth = match key {
                Key::Operation(..) => daily.unwrap_or(MAX_QUEUED_TURNS),
                Key::Label(_) => MAX_QUEUED_TURNS,
            };
            sum.saturating_add(interval.saturating_mul(depth))
        });
        let furthest = queued.saturating_add(self.max_hold);
        max_wait.map_or(furthest, |max_wait| furthest.min(max_wait))
    }

    /// Keep the state in `store`, shared with the rest of the fleet.
    #[cfg(feature = "redis")]
    pub(crate) fn with_shared(mut self, store: crate::shared::RedisStore) -> Self {
        self.shared = Some(store);
        self
    }

    /// Whether a call of `operation` may wait for its turn: a pacing key
    /// applies, or the turn is taken in a shared store.
    pub(crate) fn may_wait(&self, operation: Operation) -> bool {
        #[cfg(feature = "redis")]
        if self.shared.is_some() {
            return true;
        }
        self.paces(operation)
    }

    /// Whether the pacer keeps anything per account for `operation` (then the
    /// request's `accountId` is needed to take a turn, or to hold after a 429).
    pub(crate) fn uses_account_id(&self, operation: Operation) -> bool {
        self.policy.daily_budgets || self.may_wait(operation)
    }

    /// Whether any pacing key applies to `operation` under this policy.
    fn paces(&self, operation: Operation) -> bool {
        self.intervals(operation) != (None, None)
    }

    /// The intervals that pace `operation` under this policy: its own
    /// minimum interval, and its label's rate.
    fn intervals(&self, operation: Operation) -> (Option<Duration>, Option<Duration>) {
        let limit = operation.meta().rate_limit;
        let own = limit.min_interval.filter(|_| self.policy.pace_operations).map(|i| self.policy.scaled(i));
        (own, self.policy.label_interval(limit.label))
    }

    /// The pacing keys that apply to `operation` under this policy, with
    /// their intervals: its own minimum interval, then its label's rate.
    fn pacing_keys(&self, operation: Operation, key: &str) -> Vec<(Key, Duration)> {
        let (own, label) = self.intervals(operation);
        let own = own.map(|interval| (Key::Operation(operation, key.to_owned()), interval));
        let label = label.map(|interval| (Key::Label(operation.meta().rate_limit.label), interval));
        own.into_iter().chain(label).collect()
    }

    /// Reserve this operation's next turn, in the shared store when there is
    /// one. `None` when the pacer keeps nothing for the operation (no pacing
    /// key, no daily budget, no shared store): there is no turn to wait for
    /// or give back. See [`Pacer::reserve_local`] for what may fail.
    pub(crate) async fn reserve(
        &self,
        operation: Operation,
        account_id: Option<&str>,
        max_wait: Option<Duration>,
    ) -> Result<Option<Ticket>, Error> {
        if !self.uses_account_id(operation) {
            // Pacing off: no ticket, lock or clock read on every call's hot path.
            return Ok(None);
        }
        #[cfg(feature = "redis")]
        if let Some(store) = &self.shared {
            // Boxed: the store's round trip is a large future, which the in-memory path
            // (every call's hot path) should not carry in its own state.
            match Box::pin(self.reserve_shared(store, operation, account_id, max_wait)).await {
                Ok(outcome) => return outcome.map(Some),
                Err(source) => fall_back(store, operation, source)?,
            }
        }
        self.reserve_local(operation, account_id, max_wait).map(Some)
    }

    /// Reserve the turn in the shared store.
    #[cfg(feature = "redis")]
    async fn reserve_shared(
        &self,
        store: &crate::shared::RedisStore,
        operation: Operation,
        account_id: Option<&str>,
        max_wait: Option<Duration>,
    ) -> Result<Result<Ticket, Error>, crate::StoreError> {
        use crate::shared::Reserved;
        let key = Self::scope_key(operation, account_id);
        let limit = operation.meta().rate_limit;
        let id = operation.operation_id();
        // An operation's interval is a strict minimum between two sends ("1 request every 30
        // minutes"), checked again when the request goes out in case it was held up after its
        // turn started; a label's is a rate counted over a window, which the turns keep.
        let keys = self.pacing_keys(operation, &key);
        let max_wait = max_wait.or(self.policy.max_wait);
        let furthest = self.furthest_turn(operation, &keys, max_wait);
        let slots: Vec<_> = keys
            .into_iter()
            .map(|(k, interval)| (k.shared_name(), interval, matches!(k, Key::Operation(..))))
            .collect();
        let budget = format!("{id}:{key}");
        let reserved =
            store.reserve(&budget, limit.daily_limit, self.policy.daily_budgets, &slots, max_wait, furthest).await?;
        Ok(match reserved {
            Reserved::Granted(reservation) => Ok(Ticket {
                state: Arc::clone(&self.state),
                clock: self.clock,
                operation,
                key,
                // Bounded by `furthest` (and at most 7 days), so this cannot overflow.
                start: Some(Instant::now().checked_add(reservation.wait).unwrap_or_else(Instant::now)),
                slots: Vec::new(),
                pending: false,
                charged: None,
                sent: false,
                shared: Some((store.clone(), reservation)),
            }),
            Reserved::Blocked { until, now } => Err(exhausted(operation, 0, until, now)),
            Reserved::Exhausted { now } => {
                Err(exhausted(operation, limit.daily_limit.unwrap_or(0), next_utc_midnight(now), now))
            }
            Reserved::WouldWait { wait, now } => Err(Error::PacingWouldWait {
                operation,
                wait,
                next_at: now
                    .checked_add_signed(chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
                max_wait: max_wait.unwrap_or(Duration::MAX),
            }),
        })
    }

    /// The key a per-operation limit is counted under.
    fn scope_key(operation: Operation, account_id: Option<&str>) -> String {
        match operation.meta().rate_limit.per {
            RateLimitScope::Account => String::new(),
            RateLimitScope::AccountId => account_id.unwrap_or_default().to_owned(),
        }
    }

    /// Reserve this operation's next turn in this process's state. Fails at
    /// once, without waiting and without taking anything, when the daily
    /// budget is spent (counting turns already reserved) or the turn is
    /// further away than `max_wait` (the call's own, else the policy's).
    pub(crate) fn reserve_local(
        &self,
        operation: Operation,
        account_id: Option<&str>,
        max_wait: Option<Duration>,
    ) -> Result<Ticket, Error> {
        let key = Self::scope_key(operation, account_id);
        let limit = operation.meta().rate_limit;
        let wall = self.clock.now();
        let mut state = lock(&self.state);
        let pending = if self.policy.daily_budgets {
            let budget =
                state.budgets.entry((operation, key.clone())).or_insert_with(|| Budget::new(wall.date_naive()));
            budget.roll(wall.date_naive());
            if let Some(until) = budget.blocked_until {
                if until > wall {
                    // Zoom told, not this client's count: limit 0 says so.
                    return Err(exhausted(operation, 0, until, wall));
                }
                budget.blocked_until = None;
            }
            match limit.daily_limit {
                Some(daily) if budget.used.saturating_add(budget.pending) >= daily => {
                    return Err(exhausted(operation, daily, next_utc_midnight(wall), wall));
                }
                Some(_) => {
                    budget.pending += 1;
                    true
                }
                None => false,
            }
        } else {
            false
        };

        let wanted = self.pacing_keys(operation, &key);
        let now = Instant::now();
        let start =
            wanted.iter().map(|(k, _)| state.turns.get(k).and_then(Turns::next_free).unwrap_or(now).max(now)).max();
        let start = start.unwrap_or(now);
        let wait = start - now;
        if let Some(max_wait) = max_wait.or(self.policy.max_wait)
            && wait > max_wait
        {
            if pending && let Some(budget) = state.budgets.get_mut(&(operation, key)) {
                budget.pending = budget.pending.saturating_sub(1);
            }
            let next_at = wall.checked_add_signed(chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX));
            return Err(Error::PacingWouldWait {
                operation,
                wait,
                next_at: next_at.unwrap_or(chrono::DateTime::<Utc>::MAX_UTC),
                max_wait,
            });
        }
        let mut slots = Vec::with_capacity(wanted.len());
        for (k, interval) in wanted {
            // A turn too far to represent is as good as never; saturate.
            let ours = start.checked_add(interval).unwrap_or(start);
            state.turns.entry(k.clone()).or_default().live.push(ours);
            slots.push((k, ours));
        }
        drop(state);
        // Without a pacing key (a daily budget alone) there is no turn to wait for.
        let start = (!slots.is_empty()).then_some(start);
        Ok(Ticket {
            state: Arc::clone(&self.state),
            clock: self.clock,
            operation,
            key,
            start,
            slots,
            pending,
            charged: None,
            sent: false,
            #[cfg(feature = "redis")]
            shared: None,
        })
    }

    /// Zoom answered a per-second 429 asking for `hold`: no turn of this
    /// operation's pacing keys (its interval and its label) starts before
    /// then, in this process and, with a shared store, in the whole fleet.
    pub(crate) async fn hold(&self, operation: Operation, account_id: Option<&str>, hold: Duration) {
        let key = Self::scope_key(operation, account_id);
        let keys: Vec<Key> = self.pacing_keys(operation, &key).into_iter().map(|(k, _)| k).collect();
        #[cfg(feature = "redis")]
        if let Some(store) = &self.shared {
            let names: Vec<String> = keys.iter().map(Key::shared_name).collect();
            // Never a hold this client would itself take for a broken store's turn.
            if let Err(error) = store.hold(&names, hold.min(self.max_hold)).await {
                tracing::warn!(operation = operation.operation_id(), %error, "cannot share a 429's wait");
            }
        }
        // The local schedule too: with a shared store it is the fallback's.
        let until = Instant::now().checked_add(hold).unwrap_or_else(Instant::now);
        let mut state = lock(&self.state);
        for key in keys {
            let turns = state.turns.entry(key).or_default();
            turns.committed = turns.committed.max(Some(until));
        }
    }

    /// Zoom said the daily limit is reached: block until `reset_at` (in the
    /// shared store too, so the rest of the fleet stops as well).
    pub(crate) async fn block_until(&self, operation: Operation, account_id: Option<&str>, reset_at: DateTime<Utc>) {
        let key = Self::scope_key(operation, account_id);
        #[cfg(feature = "redis")]
        if let Some(store) = &self.shared {
            let budget = format!("{}:{key}", operation.operation_id());
            if let Err(error) = store.block_until(&budget, reset_at).await {
                // The 429 is returned to the caller anyway; the block is kept locally.
                tracing::warn!(operation = operation.operation_id(), %error, "cannot share a daily-limit block");
            }
        }
        let today = self.clock.now().date_naive();
        let mut state = lock(&self.state);
        let budget = state.budgets.entry((operation, key)).or_insert_with(|| Budget::new(today));
        budget.blocked_until = Some(reset_at);
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A wait of the crate's own (report polling) on the policy's clock.
    pub(crate) fn scaled(&self, wait: Duration) -> Duration {
        self.policy.scaled(wait)
    }

    #[cfg(test)]
    fn used(&self, operation: Operation, account_id: Option<&str>) -> (u32, u32) {
        let state = lock(&self.state);
        state
            .budgets
            .get(&(operation, Self::scope_key(operation, account_id)))
            .map(|b| (b.used, b.pending))
            .unwrap_or_default()
    }

    #[cfg(test)]
    async fn acquire(&self, operation: Operation, account_id: Option<&str>) -> Result<Option<Ticket>, Error> {
        let Some(mut ticket) = self.reserve(operation, account_id, None).await? else { return Ok(None) };
        ticket.wait().await;
        ticket.charge().await?;
        ticket.sent();
        Ok(Some(ticket))
    }
}

/// What a call does when the shared store fails: the typed error, or (when
/// the store's policy allows) nothing, and the caller goes on with local state.
#[cfg(feature = "redis")]
fn fall_back(store: &crate::shared::RedisStore, operation: Operation, source: crate::StoreError) -> Result<(), Error> {
    match store.when_unavailable() {
        crate::shared::WhenUnavailable::UseLocalState => {
            tracing::warn!(
                operation = operation.operation_id(),
                %source,
                "shared state unavailable: using this process's own pacing and budgets"
            );
            Ok(())
        }
        _ => Err(Error::SharedState { operation, source }),
    }
}

/// Commit a turn taken in the shared store: charge its unit, after waiting
/// out a strict interval another process's send still holds.
#[cfg(feature = "redis")]
async fn commit_shared(
    store: &crate::shared::RedisStore,
    reservation: &mut crate::shared::Reservation,
    operation: Operation,
) -> Result<(), Error> {
    use crate::shared::Charged;
    let limit = operation.meta().rate_limit.daily_limit.unwrap_or(u32::MAX);
    // Each wait is at most one interval past a send that happened; a few rounds at most.
    for _ in 0..100 {
        match store.commit(reservation, limit).await {
            Ok(Charged::Ok) => return Ok(()),
            Ok(Charged::Wait(wait)) => tokio::time::sleep(wait).await,
            Ok(Charged::Exhausted { now }) => return Err(exhausted(operation, limit, next_utc_midnight(now), now)),
            // The unit stays pending in the store until it expires: never spent twice.
            Err(source) => return fall_back(store, operation, source),
        }
    }
    let source = store.protocol("the turn stayed taken by other sends after 100 waits");
    Err(Error::SharedState { operation, source })
}

fn exhausted(operation: Operation, limit: u32, resets_at: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    Error::BudgetExhausted { operation, limit, resets_at, resets_in: crate::classify::until(resets_at, now) }
}

impl Budget {
    fn new(day: NaiveDate) -> Self {
        Budget { day, used: 0, pending: 0, blocked_until: None }
    }

    /// A new UTC day starts with nothing used.
    fn roll(&mut self, today: NaiveDate) {
        if self.day != today {
            self.day = today;
            self.used = 0;
        }
    }
}

impl Ticket {
    /// Wait for the reserved turn.
    pub(crate) async fn wait(&self) {
        let Some(start) = self.start else { return };
        let wait = start.saturating_duration_since(Instant::now());
        if wait >= Duration::from_secs(1) {
            // A long, silent wait looks like a hang; say why, for how long and until when.
            let until = chrono::Duration::from_std(wait).ok().and_then(|w| self.clock.now().checked_add_signed(w));
            tracing::info!(
                operation = self.operation.operation_id(),
                wait_secs = (wait.as_secs_f64() * 10.0).round() / 10.0,
                until = %until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
                limit = %self.operation.meta().rate_limit,
                "waiting for Zoom's rate limit"
            );
        }
        // A turn that is already due needs no timer: tokio's timers tick per millisecond,
        // so even a sleep until now would cost up to a millisecond on every call.
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
    }

    /// Charge the pending budget unit to the UTC day of sending. Fails,
    /// without sending, when that day's budget is spent (the day may have
    /// changed while the ticket waited).
    pub(crate) async fn charge(&mut self) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        if let Some((store, reservation)) = &mut self.shared {
            // Boxed, as in `Pacer::reserve`: the in-memory path stays small.
            return Box::pin(commit_shared(store, reservation, self.operation)).await;
        }
        if !self.pending {
            return Ok(());
        }
        self.pending = false;
        let wall = self.clock.now();
        let today = wall.date_naive();
        let limit = self.operation.meta().rate_limit.daily_limit.unwrap_or(u32::MAX);
        let mut state = lock(&self.state);
        let budget = state.budgets.entry((self.operation, self.key.clone())).or_insert_with(|| Budget::new(today));
        budget.pending = budget.pending.saturating_sub(1);
        budget.roll(today);
        if budget.used >= limit {
            return Err(exhausted(self.operation, limit, next_utc_midnight(wall), wall));
        }
        budget.used += 1;
        self.charged = Some(today);
        Ok(())
    }

    /// The request went out: keep the turn and the unit.
    pub(crate) fn sent(&mut self) {
        self.sent = true;
    }

    /// The request surely did not reach Zoom after all (connect failure):
    /// give the turn and the unit back on drop.
    pub(crate) fn not_sent(&mut self) {
        self.sent = false;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        #[cfg(feature = "redis")]
        if let Some((store, reservation)) = self.shared.take() {
            // Giving back needs a round trip: on the runtime, if there is one. When it
            // cannot run, the unit stays pending until it expires and the turn passes:
            // the fleet waits a little longer, it never overspends.
            if !self.sent
                && let Ok(runtime) = tokio::runtime::Handle::try_current()
            {
                runtime.spawn(async move {
                    if let Err(error) = store.give_back(reservation).await {
                        tracing::debug!(%error, "cannot give a shared turn back");
                    }
                });
            }
            return;
        }
        if !self.pending && self.charged.is_none() && self.slots.is_empty() {
            return;
        }
        let mut state = lock(&self.state);
        for (key, ours) in self.slots.drain(..) {
            if let Some(turns) = state.turns.get_mut(&key) {
                turns.release(ours, self.sent);
            }
        }
        if self.sent {
            return;
        }
        if let Some(budget) = state.budgets.get_mut(&(self.operation, std::mem::take(&mut self.key))) {
            if self.pending {
                budget.pending = budget.pending.saturating_sub(1);
            }
            if self.charged == Some(budget.day) {
                budget.used = budget.used.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plan_rates_every_label_from_the_spec() {
        use RateLimitLabel::*;
        for plan in [Plan::Free, Plan::Pro, Plan::BusinessPlus] {
            for label in [Light, Medium, Heavy, ResourceIntensive] {
                assert!(plan.rate(label) > 0.0, "{plan:?} {label:?}");
            }
        }
        assert_eq!((Plan::Pro.rate(Heavy), Plan::Free.rate(ResourceIntensive)), (10.0, 1.0 / 60.0));
    }

    /// Midday UTC: these tests advance time by up to an hour, and a budget must not
    /// roll over to a new day because the suite ran just before midnight.
    fn noon() -> Clock {
        Clock::at(chrono::NaiveDate::from_ymd_opt(2026, 3, 10).and_then(|d| d.and_hms_opt(12, 0, 0)).unwrap().and_utc())
    }

    #[tokio::test(start_paused = true)]
    async fn budget_resets_at_midnight_utc() {
        let pacer = Pacer::new(RateLimitPolicy { pace_operations: false, ..Default::default() }, noon());
        let op = Operation::ListBillingInvoices; // 6 a day per accountId
        for _ in 0..6 {
            pacer.acquire(op, Some("a")).await.unwrap();
        }
        let Err(Error::BudgetExhausted { limit: 6, resets_at, .. }) = pacer.acquire(op, Some("a")).await else {
            panic!("budget not enforced")
        };
        assert_eq!(resets_at, next_utc_midnight(pacer.clock().now()));
        pacer.acquire(op, Some("other-account")).await.unwrap();
        tokio::time::advance(crate::classify::until(resets_at, pacer.clock().now()) + Duration::from_secs(1)).await;
        pacer.acquire(op, Some("a")).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_fails_fast_without_taking_a_turn() {
        let policy = RateLimitPolicy::default().with_label_pacing(false).with_max_wait(Duration::from_secs(60));
        let pacer = Pacer::new(policy, noon());
        let op = Operation::GetInvoiceDetails; // one every 30 minutes, 100 a day
        pacer.acquire(op, Some("me")).await.unwrap();
        let start = Instant::now();
        let Err(Error::PacingWouldWait { wait, next_at, .. }) = pacer.acquire(op, Some("me")).await else {
            panic!("expected PacingWouldWait")
        };
        assert_eq!(start.elapsed(), Duration::ZERO, "must not wait");
        assert_eq!(wait, Duration::from_secs(1800));
        assert_eq!(next_at, pacer.clock().now() + chrono::TimeDelta::seconds(1800));
        // The refused call took neither the turn nor a unit of the budget.
        tokio::time::advance(Duration::from_secs(1800)).await;
        pacer.acquire(op, Some("me")).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(1800));
        assert_eq!(pacer.used(op, Some("me")), (2, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_ticket_dropped_before_sending_gives_its_turn_and_unit_back() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_pacing(false), noon());
        let op = Operation::ListBillingInvoices; // one every 5 minutes, 6 a day per accountId
        // Five calls cancelled before sending (their futures dropped while waiting, or a token
        // failure): nothing is spent.
        for _ in 0..5 {
            let ticket = pacer.reserve_local(op, Some("a"), None).unwrap();
            drop(ticket);
        }
        assert_eq!(pacer.used(op, Some("a")), (0, 0));
        let start = Instant::now();
        pacer.acquire(op, Some("a")).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO, "the dropped turns were given back");
        // A charged ticket whose request did not go out gives its unit back too.
        tokio::time::advance(Duration::from_secs(300)).await;
        let mut ticket = pacer.reserve_local(op, Some("a"), None).unwrap();
        ticket.wait().await;
        ticket.charge().await.unwrap();
        assert_eq!(pacer.used(op, Some("a")), (2, 0));
        drop(ticket);
        assert_eq!(pacer.used(op, Some("a")), (1, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn tickets_dropped_oldest_first_give_every_turn_back() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_pacing(false), noon());
        let op = Operation::ListBillingInvoices; // one every 5 minutes
        pacer.acquire(op, Some("a")).await.unwrap();
        // Five waiting turns (+5 .. +25 minutes), dropped in the order they were reserved:
        // each but the last is followed by a later one when it is dropped.
        let waiting: Vec<_> = (0..5).map(|_| pacer.reserve_local(op, Some("a"), None).unwrap()).collect();
        assert_eq!(waiting[4].start.unwrap() - Instant::now(), Duration::from_secs(1500));
        drop(waiting);
        let next = pacer.reserve_local(op, Some("a"), None).unwrap();
        assert_eq!(next.start.unwrap() - Instant::now(), Duration::from_secs(300), "the sent call's interval only");
    }

    #[tokio::test(start_paused = true)]
    async fn units_are_charged_to_the_day_of_sending() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_pacing(false), noon());
        let op = Operation::ListBillingInvoices; // one every 5 minutes, 6 a day
        let midnight = next_utc_midnight(pacer.clock().now());
        // Go to 20 minutes before midnight: four turns fit today, the rest fall tomorrow.
        let to = crate::classify::until(midnight, pacer.clock().now()) - Duration::from_secs(20 * 60)
            + Duration::from_millis(1);
        tokio::time::advance(to).await;
        let today = pacer.clock().now().date_naive();
        // Six reservations are allowed (the budget counts pending ones).
        let mut tickets: Vec<_> = (0..6).map(|_| pacer.reserve_local(op, Some("a"), None).unwrap()).collect();
        assert!(matches!(pacer.reserve_local(op, Some("a"), None), Err(Error::BudgetExhausted { .. })));
        let mut sent_days = Vec::new();
        for ticket in &mut tickets {
            ticket.wait().await;
            ticket.charge().await.unwrap();
            ticket.sent();
            sent_days.push(pacer.clock().now().date_naive());
        }
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(sent_days.iter().filter(|d| **d == today).count(), 4);
        assert_eq!(sent_days.iter().filter(|d| **d == tomorrow).count(), 2);
        drop(tickets);
        // Tomorrow's budget holds the two sent on it: four more, not six.
        for _ in 0..4 {
            pacer.acquire(op, Some("a")).await.unwrap();
        }
        assert!(matches!(pacer.acquire(op, Some("a")).await, Err(Error::BudgetExhausted { limit: 6, .. })));
    }

    #[tokio::test(start_paused = true)]
    async fn label_pacing_spaces_requests() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 2.0), noon());
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire(Operation::GetPlanUsage, Some("x")).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let off = Pacer::new(RateLimitPolicy::off(), noon());
        let start = Instant::now();
        for _ in 0..5 {
            off.acquire(Operation::GetInvoiceDetails, Some("x")).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
    #[tokio::test(start_paused = true)]
    async fn time_scale_shortens_the_spacing() {
        let policy = RateLimitPolicy::default().with_label_pacing(false).with_time_scale(1800.0);
        let pacer = Pacer::new(policy, noon());
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire(Operation::GetInvoiceDetails, Some("x")).await.unwrap();
        }
        // Two 30-minute intervals at 1800x are two seconds.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(RateLimitPolicy::default().with_time_scale(-1.0).time_scale, 1.0);
    }
}
