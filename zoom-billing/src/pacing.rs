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
//! The budgets count this client's requests only: other programs using the
//! same account share Zoom's limits without this client knowing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::time::Instant;

use crate::Error;
use crate::metadata::{Operation, RateLimitLabel, RateLimitScope};
use crate::retry::next_utc_midnight;

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
    /// Requests per second of `label` on this plan (Zoom's published
    /// figures; Resource-intensive is per minute, expressed per second).
    pub fn rate(self, label: RateLimitLabel) -> f64 {
        match (self, label) {
            (Plan::Free, RateLimitLabel::Light) => 4.0,
            (Plan::Free, RateLimitLabel::Medium) => 2.0,
            (Plan::Free, RateLimitLabel::Heavy) => 1.0,
            (Plan::Free, RateLimitLabel::ResourceIntensive) => 1.0 / 60.0,
            (Plan::Pro, RateLimitLabel::Light) => 30.0,
            (Plan::Pro, RateLimitLabel::Medium) => 20.0,
            (Plan::Pro, RateLimitLabel::Heavy) => 10.0,
            (Plan::Pro, RateLimitLabel::ResourceIntensive) => 10.0 / 60.0,
            (Plan::BusinessPlus, RateLimitLabel::Light) => 80.0,
            (Plan::BusinessPlus, RateLimitLabel::Medium) => 60.0,
            (Plan::BusinessPlus, RateLimitLabel::Heavy) => 40.0,
            (Plan::BusinessPlus, RateLimitLabel::ResourceIntensive) => 20.0 / 60.0,
        }
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
        }
    }
}

impl RateLimitPolicy {
    /// No pacing and no budgets: every request is sent at once (Zoom's 429s
    /// are still handled by the retry policy).
    pub fn off() -> Self {
        RateLimitPolicy { pace_operations: false, pace_labels: false, daily_budgets: false, ..Self::default() }
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
        (rate.is_finite() && rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate))
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

#[derive(Debug)]
struct Budget {
    day: NaiveDate,
    used: u32,
    blocked_until: Option<DateTime<Utc>>,
}

/// The pacing and budget state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    policy: RateLimitPolicy,
    clock: Clock,
    next_free: Mutex<HashMap<Key, Instant>>,
    budgets: Mutex<HashMap<(Operation, String), Budget>>,
}

impl Pacer {
    pub(crate) fn new(policy: RateLimitPolicy, clock: Clock) -> Self {
        Pacer { policy, clock, next_free: Mutex::new(HashMap::new()), budgets: Mutex::new(HashMap::new()) }
    }

    /// The key a per-operation limit is counted under.
    fn scope_key(operation: Operation, account_id: Option<&str>) -> String {
        match operation.meta().rate_limit.per {
            RateLimitScope::Account => String::new(),
            RateLimitScope::AccountId => account_id.unwrap_or_default().to_owned(),
        }
    }

    /// Wait for this operation's turn and take one unit of its daily budget.
    /// Fails at once, without waiting, when the budget is spent.
    pub(crate) async fn acquire(&self, operation: Operation, account_id: Option<&str>) -> Result<(), Error> {
        let key = Self::scope_key(operation, account_id);
        self.take_budget(operation, &key)?;
        let limit = operation.meta().rate_limit;
        let mut slots = Vec::new();
        if self.policy.pace_operations
            && let Some(interval) = limit.min_interval
        {
            slots.push((Key::Operation(operation, key), interval));
        }
        if let Some(interval) = self.policy.label_interval(limit.label) {
            slots.push((Key::Label(limit.label), interval));
        }
        if slots.is_empty() {
            return Ok(());
        }
        let (start, wait) = {
            let mut next_free = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let start = slots.iter().map(|(k, _)| next_free.get(k).copied().unwrap_or(now).max(now)).max();
            let start = start.unwrap_or(now);
            let wait = start - now;
            if let Some(max_wait) = self.policy.max_wait
                && wait > max_wait
            {
                // Not sent, so it takes no turn; give the budget unit back.
                drop(next_free);
                self.return_budget(operation, &Self::scope_key(operation, account_id));
                let next_at = self.clock.now() + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
                return Err(Error::PacingWouldWait { operation: operation.operation_id(), wait, next_at });
            }
            for (k, interval) in slots {
                next_free.insert(k, start + interval);
            }
            (start, wait)
        };
        if wait >= Duration::from_secs(1) {
            // A long, silent wait looks like a hang; say why.
            tracing::info!(
                operation = operation.operation_id(),
                wait_secs = wait.as_secs_f64(),
                "waiting for the operation's rate limit (x-zoom-rate-limit)"
            );
        }
        tokio::time::sleep_until(start).await;
        Ok(())
    }

    fn take_budget(&self, operation: Operation, key: &str) -> Result<(), Error> {
        if !self.policy.daily_budgets {
            return Ok(());
        }
        let now = self.clock.now();
        let today = now.date_naive();
        let limit = operation.meta().rate_limit.daily_limit;
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        let budget =
            budgets.entry((operation, key.to_owned())).or_insert(Budget { day: today, used: 0, blocked_until: None });
        if budget.day != today {
            *budget = Budget { day: today, used: 0, blocked_until: budget.blocked_until };
        }
        if let Some(until) = budget.blocked_until {
            if until > now {
                return Err(Error::BudgetExhausted {
                    operation: operation.operation_id(),
                    limit: limit.unwrap_or(0),
                    resets_at: until,
                });
            }
            budget.blocked_until = None;
        }
        if let Some(limit) = limit {
            if budget.used >= limit {
                return Err(Error::BudgetExhausted {
                    operation: operation.operation_id(),
                    limit,
                    resets_at: next_utc_midnight(now),
                });
            }
            budget.used += 1;
        }
        Ok(())
    }

    fn return_budget(&self, operation: Operation, key: &str) {
        if !self.policy.daily_budgets || operation.meta().rate_limit.daily_limit.is_none() {
            return;
        }
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(budget) = budgets.get_mut(&(operation, key.to_owned())) {
            budget.used = budget.used.saturating_sub(1);
        }
    }

    /// Zoom said the daily limit is reached: block until `reset_at`.
    pub(crate) fn block_until(&self, operation: Operation, account_id: Option<&str>, reset_at: DateTime<Utc>) {
        let key = Self::scope_key(operation, account_id);
        let today = self.clock.now().date_naive();
        let mut budgets = self.budgets.lock().unwrap_or_else(|p| p.into_inner());
        let budget = budgets.entry((operation, key)).or_insert(Budget { day: today, used: 0, blocked_until: None });
        budget.blocked_until = Some(reset_at);
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn budget_resets_at_midnight_utc() {
        let pacer = Pacer::new(RateLimitPolicy { pace_operations: false, ..Default::default() }, Clock::new());
        let op = Operation::ListBillingInvoices; // 6 a day per accountId
        for _ in 0..6 {
            pacer.acquire(op, Some("a")).await.unwrap();
        }
        let Err(Error::BudgetExhausted { limit: 6, resets_at, .. }) = pacer.acquire(op, Some("a")).await else {
            panic!("budget not enforced")
        };
        assert_eq!(resets_at, next_utc_midnight(pacer.clock().now()));
        pacer.acquire(op, Some("other-account")).await.unwrap();
        tokio::time::advance(crate::retry::until(resets_at, pacer.clock().now()) + Duration::from_secs(1)).await;
        pacer.acquire(op, Some("a")).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_fails_fast_without_taking_a_turn() {
        let policy = RateLimitPolicy::default().with_label_pacing(false).with_max_wait(Duration::from_secs(60));
        let pacer = Pacer::new(policy, Clock::new());
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
        let budgets = pacer.budgets.lock().unwrap();
        assert_eq!(budgets[&(op, String::new())].used, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn label_pacing_spaces_requests() {
        let pacer = Pacer::new(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 2.0), Clock::new());
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire(Operation::GetPlanUsage, Some("x")).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let off = Pacer::new(RateLimitPolicy::off(), Clock::new());
        let start = Instant::now();
        for _ in 0..5 {
            off.acquire(Operation::GetInvoiceDetails, Some("x")).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
