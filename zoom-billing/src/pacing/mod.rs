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
//! The [`Pacer`] works out which turn a call wants ([`Wanted`]: its pacing
//! keys and budget) and takes it where the state lives: in this process
//! ([`local`], the default: the budgets count this client's requests only)
//! or in a shared store ([`shared`]: Redis or a SQLite file, see
//! [`crate::shared`]), which every process of the account uses. Either way
//! the call gets a [`Ticket`]: wait for it, charge it just before sending,
//! and drop it (given back unless the request was sent).
//!
//! An operation's own interval ("1 request every 30 minutes") is a queue
//! position: its turn is reserved when the call starts. A label's rate is
//! a share of each second: when the operation also has its own interval,
//! the label's slot is taken only when the call is charged, just before
//! sending. Reserved together, a call waiting 30 minutes for its turn would
//! hold the label's schedule, and every other call of that label (nearly
//! every operation is Heavy), for those 30 minutes.

mod clock;
mod local;
mod policy;
mod shared;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

pub(crate) use self::clock::Clock;
use self::local::{Local, LocalTicket};
pub use self::policy::{Plan, RateLimitPolicy};
use self::shared::{Shared, SharedTicket};
use crate::Error;
use crate::metadata::{Operation, RateLimitLabel, RateLimitScope};

/// A pacing key: an operation's own interval (per scope), or a label's rate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Operation(Operation, String),
    Label(RateLimitLabel),
}

/// The turn a call wants: what either state reserves.
#[derive(Debug)]
struct Wanted {
    operation: Operation,
    /// The scope a per-operation limit is counted under (the `accountId`,
    /// or empty for the whole account).
    key: String,
    /// The pacing keys whose turn is reserved now, with their intervals: the
    /// operation's own interval, else its label's rate.
    keys: Vec<(Key, Duration)>,
    /// The label's rate when the operation has its own interval: its slot is
    /// taken when the ticket is charged.
    later: Vec<(Key, Duration)>,
    /// The longest the call may wait for its turn.
    max_wait: Option<Duration>,
    /// Whether daily budgets are kept.
    budgets: bool,
}

/// The pacing and budget state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    policy: RateLimitPolicy,
    clock: Clock,
    local: Local,
    /// The fleet's shared state, when the client has one.
    shared: Option<Shared>,
}

/// A reserved turn, in this process or in the shared store: wait for it
/// ([`Ticket::wait`]), charge its unit just before sending
/// ([`Ticket::charge`]), say it was sent ([`Ticket::sent`]); dropped unsent,
/// it gives its turn and unit back.
#[derive(Debug)]
pub(crate) enum Ticket {
    Local(LocalTicket),
    Shared(SharedTicket),
}

impl Pacer {
    /// The policy the pacer applies (a job's progress counts with it).
    #[cfg(feature = "jobs")]
    pub(crate) fn policy(&self) -> &RateLimitPolicy {
        &self.policy
    }

    pub(crate) fn new(policy: RateLimitPolicy, clock: Clock) -> Self {
        Pacer { policy, clock, local: Local::default(), shared: None }
    }

    /// Keep the state in `store`, shared with the rest of the fleet; a
    /// per-second 429 holds the fleet for at most `max_hold` (the client's
    /// retry policy's `max_retry_after`).
    pub(crate) fn with_shared(mut self, store: crate::shared::Store, max_hold: Duration) -> Self {
        self.shared = Some(Shared::new(store, max_hold));
        self
    }

    /// Whether a call of `operation` may wait for its turn: a pacing key
    /// applies, or the turn is taken in a shared store.
    pub(crate) fn may_wait(&self, operation: Operation) -> bool {
        self.shared.is_some() || self.paces(operation)
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

    /// The key a per-operation limit is counted under.
    fn scope_key(operation: Operation, account_id: Option<&str>) -> String {
        match operation.meta().rate_limit.per {
            RateLimitScope::Account => String::new(),
            RateLimitScope::AccountId => account_id.unwrap_or_default().to_owned(),
        }
    }

    fn wanted(&self, operation: Operation, account_id: Option<&str>, max_wait: Option<Duration>) -> Wanted {
        let key = Self::scope_key(operation, account_id);
        let (mut keys, mut later) = (self.pacing_keys(operation, &key), Vec::new());
        if keys.len() > 1 {
            // [own interval, label]: the label's slot comes at charge time.
            later = keys.split_off(1);
        }
        Wanted {
            operation,
            keys,
            later,
            key,
            max_wait: max_wait.or(self.policy.max_wait),
            budgets: self.policy.daily_budgets,
        }
    }

    /// Reserve this operation's next turn, in the shared store when there is
    /// one. `None` when the pacer keeps nothing for the operation (no pacing
    /// key, no daily budget, no shared store): there is no turn to wait for
    /// or give back. Fails at once, without waiting and without taking
    /// anything, when the daily budget is spent or the turn is further away
    /// than `max_wait` (the call's own, else the policy's).
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
        let wanted = self.wanted(operation, account_id, max_wait);
        if let Some(shared) = &self.shared {
            // Boxed: the store's round trip is a large future, which the in-memory path
            // (every call's hot path) should not carry in its own state.
            match Box::pin(shared.reserve(&wanted, self.clock)).await {
                Ok(outcome) => return outcome.map(|ticket| Some(Ticket::Shared(ticket))),
                Err(source) => shared.fall_back(operation, source)?,
            }
        }
        self.local.reserve(wanted, self.clock).map(|ticket| Some(Ticket::Local(ticket)))
    }

    /// Reserve in this process's state only (tests of the local state).
    #[cfg(test)]
    fn reserve_local(
        &self,
        operation: Operation,
        account_id: Option<&str>,
        max_wait: Option<Duration>,
    ) -> Result<Ticket, Error> {
        self.local.reserve(self.wanted(operation, account_id, max_wait), self.clock).map(Ticket::Local)
    }

    /// Zoom answered a per-second 429 asking for `hold`: no turn of this
    /// operation's pacing keys (its interval and its label) starts before
    /// then, in this process and, with a shared store, in the whole fleet.
    pub(crate) async fn hold(&self, operation: Operation, account_id: Option<&str>, hold: Duration) {
        let key = Self::scope_key(operation, account_id);
        let keys: Vec<Key> = self.pacing_keys(operation, &key).into_iter().map(|(k, _)| k).collect();
        if let Some(shared) = &self.shared {
            shared.hold(operation, &keys, hold).await;
        }
        // The local schedule too: with a shared store it is the fallback's.
        self.local.hold(keys, hold);
    }

    /// Zoom said the daily limit is reached: block until `reset_at` (in the
    /// shared store too, so the rest of the fleet stops as well).
    pub(crate) async fn block_until(&self, operation: Operation, account_id: Option<&str>, reset_at: DateTime<Utc>) {
        let key = Self::scope_key(operation, account_id);
        if let Some(shared) = &self.shared {
            shared.block_until(operation, &key, reset_at).await;
        }
        self.local.block_until(operation, key, self.clock.now().date_naive(), reset_at);
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
        self.local.used(operation, Self::scope_key(operation, account_id))
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

impl Ticket {
    /// The operation, when its turn starts (`None`: nothing paces it) and
    /// the clock to tell the time of day on.
    fn turn(&self) -> (Operation, Option<Instant>, &Clock) {
        match self {
            Ticket::Local(ticket) => (ticket.operation, ticket.start, &ticket.clock),
            Ticket::Shared(ticket) => (ticket.operation, Some(ticket.start), &ticket.clock),
        }
    }

    /// When the turn starts (tests).
    #[cfg(test)]
    fn start(&self) -> Option<Instant> {
        self.turn().1
    }

    /// Wait for the reserved turn.
    pub(crate) async fn wait(&self) {
        let (operation, Some(start), clock) = self.turn() else { return };
        let wait = start.saturating_duration_since(Instant::now());
        if wait >= Duration::from_secs(1) {
            // A long, silent wait looks like a hang; say why, for how long and until when.
            let until = chrono::Duration::from_std(wait).ok().and_then(|w| clock.now().checked_add_signed(w));
            tracing::info!(
                operation = operation.operation_id(),
                wait_secs = (wait.as_secs_f64() * 10.0).round() / 10.0,
                until = %until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
                limit = %operation.meta().rate_limit,
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
    /// Then wait for the label's slot, when it is taken now.
    pub(crate) async fn charge(&mut self) -> Result<(), Error> {
        let slot = match self {
            Ticket::Local(ticket) => ticket.charge()?,
            // Boxed, as in `Pacer::reserve`: the in-memory path stays small.
            Ticket::Shared(ticket) => Box::pin(ticket.charge()).await?,
        };
        if let Some(start) = slot
            && start > Instant::now()
        {
            tokio::time::sleep_until(start).await;
        }
        Ok(())
    }

    /// The request went out: keep the turn and the unit.
    pub(crate) fn sent(&mut self) {
        self.set_sent(true);
    }

    /// The request surely did not reach Zoom after all (connect failure):
    /// give the turn and the unit back on drop.
    pub(crate) fn not_sent(&mut self) {
        self.set_sent(false);
    }

    fn set_sent(&mut self, sent: bool) {
        match self {
            Ticket::Local(ticket) => ticket.sent = sent,
            Ticket::Shared(ticket) => ticket.sent = sent,
        }
    }
}

fn exhausted(operation: Operation, limit: u32, resets_at: DateTime<Utc>, now: DateTime<Utc>) -> Error {
    Error::BudgetExhausted { operation, limit, resets_at, resets_in: crate::classify::until(resets_at, now) }
}

fn would_wait(operation: Operation, wait: Duration, now: DateTime<Utc>, max_wait: Duration) -> Error {
    let next_at = now.checked_add_signed(chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX));
    Error::PacingWouldWait { operation, wait, next_at: next_at.unwrap_or(DateTime::<Utc>::MAX_UTC), max_wait }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::next_utc_midnight;

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
        assert_eq!(waiting[4].start().unwrap() - Instant::now(), Duration::from_secs(1500));
        drop(waiting);
        let next = pacer.reserve_local(op, Some("a"), None).unwrap();
        assert_eq!(next.start().unwrap() - Instant::now(), Duration::from_secs(300), "the sent call's interval only");
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
    async fn a_call_waiting_for_its_own_interval_does_not_hold_its_label() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 2.0), noon());
        // get_invoice_details: one every 30 minutes, Heavy. The second waits 30 minutes.
        pacer.acquire(Operation::GetInvoiceDetails, Some("a")).await.unwrap();
        let waiting = pacer.reserve(Operation::GetInvoiceDetails, Some("a"), None).await.unwrap().unwrap();
        assert_eq!(waiting.start().unwrap() - Instant::now(), Duration::from_secs(1800));
        // Meanwhile another Heavy operation goes at the label's rate, not after 30 minutes.
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire(Operation::GetPlanUsage, Some("a")).await.unwrap();
        }
        assert!(start.elapsed() <= Duration::from_secs(2), "{:?}", start.elapsed());
        drop(waiting);
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
