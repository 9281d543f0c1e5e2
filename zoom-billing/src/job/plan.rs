//! How long a workload takes at least, from the spec's limits, and how far
//! a job is with it.
//!
//! The floor is what Zoom's limits allow, whatever the program does: per
//! operation, its own interval (per sub account or per account, as the spec
//! says) and its daily limit (a new day starts at 00:00 UTC); per label, the
//! plan's rate over every call of the label. The largest of these binds.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::human::Dur;
use crate::metadata::{Operation, RateLimitLabel, RateLimitScope};
use crate::pacing::RateLimitPolicy;

/// What a job has to do: how many calls of each operation, per sub account,
/// over how many sub accounts.
///
/// ```
/// use zoom_billing::job::Workload;
/// use zoom_billing::{Operation, RateLimitPolicy};
///
/// // 200 invoice PDFs of one account: one request per 30 minutes.
/// let pdfs = Workload::new().calls(Operation::DownloadInvoiceFile, 200, 1);
/// let floor = pdfs.floor(&RateLimitPolicy::default(), chrono::Utc::now());
/// assert_eq!(floor.total.as_secs(), 199 * 30 * 60); // 99.5 h
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workload {
    calls: BTreeMap<Operation, (u64, u64)>,
}

impl Workload {
    /// Nothing to do.
    pub fn new() -> Self {
        Self::default()
    }

    /// `per_account` calls of `operation` for each of `accounts` sub accounts
    /// (for an operation without an `accountId`, give 1 account). Adds to what
    /// the workload has of the operation for the same number of accounts, and
    /// replaces it otherwise.
    pub fn calls(mut self, operation: Operation, per_account: u64, accounts: u64) -> Self {
        let entry = self.calls.entry(operation).or_insert((0, accounts));
        if entry.1 == accounts {
            entry.0 = entry.0.saturating_add(per_account);
        } else {
            *entry = (per_account, accounts);
        }
        self
    }

    /// Calls of each operation in all.
    pub fn total(&self, operation: Operation) -> u64 {
        self.calls.get(&operation).map_or(0, |(n, m)| n.saturating_mul(*m))
    }

    /// The soonest Zoom's limits (as `policy` paces them) let the workload
    /// finish, started at `now`.
    pub fn floor(&self, policy: &RateLimitPolicy, now: DateTime<Utc>) -> Floor {
        let mut bindings = Vec::new();
        let mut labels: BTreeMap<RateLimitLabel, u64> = BTreeMap::new();
        for (&operation, &(per_account, accounts)) in &self.calls {
            if per_account == 0 || accounts == 0 {
                continue;
            }
            let limit = operation.meta().rate_limit;
            // How many calls count against one interval or one daily budget.
            let counted = match limit.per {
                RateLimitScope::AccountId => per_account,
                RateLimitScope::Account => per_account.saturating_mul(accounts),
            };
            *labels.entry(limit.label).or_default() += per_account.saturating_mul(accounts);
            if let Some(interval) = limit.min_interval.filter(|_| policy.pace_operations) {
                let interval = policy.scaled(interval);
                let takes = interval.saturating_mul(u32::try_from(counted - 1).unwrap_or(u32::MAX));
                bindings.push(Binding { operation: Some(operation), label: None, rule: Rule::Interval, takes });
            }
            if let Some(daily) = limit.daily_limit.filter(|d| policy.daily_budgets && *d > 0) {
                let days = counted.div_ceil(u64::from(daily));
                if days > 1 {
                    let next_day = (now.date_naive() + chrono::Days::new(1)).and_time(chrono::NaiveTime::MIN).and_utc();
                    let to_reset = (next_day - now).to_std().unwrap_or_default();
                    let more = Duration::from_secs(86_400).saturating_mul(u32::try_from(days - 2).unwrap_or(u32::MAX));
                    let takes = to_reset.saturating_add(more);
                    bindings.push(Binding { operation: Some(operation), label: None, rule: Rule::Daily, takes });
                }
            }
        }
        for (label, calls) in labels {
            if let Some(interval) = policy.label_interval(label) {
                let takes = interval.saturating_mul(u32::try_from(calls.saturating_sub(1)).unwrap_or(u32::MAX));
                bindings.push(Binding { operation: None, label: Some(label), rule: Rule::Label, takes });
            }
        }
        bindings.sort_by_key(|b| std::cmp::Reverse(b.takes));
        let total = bindings.first().map_or(Duration::ZERO, |b| b.takes);
        Floor { total, bindings }
    }
}

/// The soonest a workload can finish, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Floor {
    /// How long it takes at least.
    pub total: Duration,
    /// Each limit that applies, with how long it alone takes; the longest
    /// (the one that binds) first.
    pub bindings: Vec<Binding>,
}

/// One of Zoom's limits applied to a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding {
    /// The operation whose own limit this is (`None` for a label's rate).
    pub operation: Option<Operation>,
    /// The label whose rate this is.
    pub label: Option<RateLimitLabel>,
    /// Which limit.
    pub rule: Rule,
    /// How long it alone takes.
    pub takes: Duration,
}

/// Which of Zoom's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The operation's own minimum interval.
    Interval,
    /// The operation's daily limit.
    Daily,
    /// The label's per-second rate.
    Label,
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.operation, self.label, self.rule) {
            (Some(op), _, Rule::Interval) => write!(f, "{op}'s own interval: {}", Dur(self.takes)),
            (Some(op), _, Rule::Daily) => write!(f, "{op}'s daily limit: {}", Dur(self.takes)),
            (_, Some(label), _) => write!(f, "the {label:?} label's rate: {}", Dur(self.takes)),
            _ => write!(f, "{}", Dur(self.takes)),
        }
    }
}

impl fmt::Display for Floor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at least {}", Dur(self.total))?;
        if let Some(binding) = self.bindings.first() {
            write!(f, " (bound by {binding})")?;
        }
        Ok(())
    }
}

/// How far a job is with its workload.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Calls done, per operation (at most what the workload plans).
    pub done: BTreeMap<Operation, u64>,
    /// Calls done in all.
    pub done_total: u64,
    /// Calls left in all.
    pub remaining: u64,
    /// The soonest the rest can finish, from now.
    pub floor: Floor,
    /// When the rest can finish at the soonest.
    pub eta: DateTime<Utc>,
    /// When the operation that binds the rest (by its own interval) may be
    /// sent next, from this run's last call of it (`None` before this run
    /// made one, or when a label's rate or a daily limit binds).
    pub next_slot: Option<DateTime<Utc>>,
}

impl Progress {
    pub(super) fn new(
        workload: &Workload,
        counts: &[(String, u64)],
        policy: &RateLimitPolicy,
        now: DateTime<Utc>,
        last_done: impl Fn(Operation) -> Option<DateTime<Utc>>,
    ) -> Progress {
        let counted: BTreeMap<Operation, u64> =
            counts.iter().filter_map(|(id, n)| Operation::from_operation_id(id).map(|op| (op, *n))).collect();
        let mut rest = Workload::new();
        let mut done = BTreeMap::new();
        let (mut done_total, mut remaining) = (0u64, 0u64);
        for (&operation, &(per_account, accounts)) in &workload.calls {
            let planned = per_account.saturating_mul(accounts);
            let finished = counted.get(&operation).copied().unwrap_or(0).min(planned);
            done.insert(operation, finished);
            done_total += finished;
            remaining += planned - finished;
            // What is left, spread over the accounts as evenly as it can be.
            let left_per_account = (planned - finished).div_ceil(accounts.max(1));
            let accounts_left = (planned - finished).div_ceil(left_per_account.max(1));
            rest = rest.calls(operation, left_per_account, accounts_left);
        }
        let floor = rest.floor(policy, now);
        let eta = now + chrono::Duration::from_std(floor.total).unwrap_or(chrono::Duration::MAX);
        let next_slot = floor.bindings.first().filter(|b| b.rule == Rule::Interval).and_then(|binding| {
            let operation = binding.operation?;
            let interval = policy.scaled(operation.meta().rate_limit.min_interval?);
            let at = last_done(operation)? + chrono::Duration::from_std(interval).ok()?;
            Some(at.max(now))
        });
        Progress { done, done_total, remaining, floor, eta, next_slot }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} calls done; the rest takes {} (done at the soonest {})",
            self.done_total,
            self.done_total + self.remaining,
            self.floor,
            self.eta.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        if let Some(next) = self.next_slot {
            write!(f, "; next slot {}", next.format("%H:%M:%S UTC"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn two_hundred_pdfs_take_99_and_a_half_hours() {
        let floor = Workload::new()
            .calls(Operation::DownloadInvoiceFile, 200, 1)
            .floor(&RateLimitPolicy::default(), at("2026-12-01T00:00:00Z"));
        assert_eq!(floor.total, Duration::from_secs(199 * 1800));
        assert_eq!(floor.bindings[0].operation, Some(Operation::DownloadInvoiceFile));
        assert_eq!(floor.bindings[0].rule, Rule::Interval);
    }

    #[test]
    fn a_daily_limit_binds_past_a_days_calls() {
        // 6 a day per account: 13 listings of one account need two resets.
        let floor = Workload::new()
            .calls(Operation::ListBillingInvoices, 13, 1)
            .floor(&RateLimitPolicy::default(), at("2026-12-01T18:00:00Z"));
        assert_eq!(floor.total, Duration::from_secs(6 * 3600 + 86_400));
        assert_eq!(floor.bindings[0].rule, Rule::Daily);
    }

    #[test]
    fn sub_accounts_run_side_by_side_on_a_per_account_id_limit() {
        let policy = RateLimitPolicy::default();
        // list_billing_invoices: one every 5 minutes per accountId.
        let one = Workload::new().calls(Operation::ListBillingInvoices, 3, 1).floor(&policy, Utc::now());
        let fifty = Workload::new().calls(Operation::ListBillingInvoices, 3, 50).floor(&policy, Utc::now());
        assert_eq!(one.total, Duration::from_secs(600));
        assert_eq!(fifty.total, one.total, "per-accountId intervals run side by side");
        // get_invoice_details: one every 30 minutes per (master) account: in turn.
        let details = Workload::new().calls(Operation::GetInvoiceDetails, 1, 50).floor(&policy, Utc::now());
        assert_eq!(details.total, Duration::from_secs(49 * 1800));
        let scaled = Workload::new()
            .calls(Operation::GetInvoiceDetails, 1, 50)
            .floor(&policy.clone().with_time_scale(1800.0), Utc::now());
        assert_eq!(scaled.total, Duration::from_secs(49));
        assert!(
            scaled.to_string().starts_with("at least 49s (bound by get_invoice_details's own interval"),
            "{scaled}"
        );
    }

    #[test]
    fn progress_counts_what_the_journal_holds() {
        let workload = Workload::new().calls(Operation::ListBillingInvoices, 3, 2);
        let now = at("2026-12-01T00:00:00Z");
        let counts = vec![("list_billing_invoices".to_owned(), 4), ("unknown_op".to_owned(), 9)];
        let progress = Progress::new(&workload, &counts, &RateLimitPolicy::default(), now, |_| None);
        assert_eq!((progress.done_total, progress.remaining), (4, 2));
        assert!(progress.floor.total < Duration::from_secs(1), "one call left per account: {progress}");
        let counts = vec![("list_billing_invoices".to_owned(), 0)];
        let last = |op| (op == Operation::ListBillingInvoices).then(|| at("2026-11-30T23:58:00Z"));
        let progress = Progress::new(&workload, &counts, &RateLimitPolicy::default(), now, last);
        assert_eq!(progress.floor.total, Duration::from_secs(600));
        assert_eq!(progress.eta, at("2026-12-01T00:10:00Z"));
        assert_eq!(progress.next_slot, Some(at("2026-12-01T00:03:00Z")), "5 minutes after the last");
        assert!(progress.to_string().ends_with("; next slot 00:03:00 UTC"), "{progress}");
        assert!(progress.to_string().starts_with("0 of 6 calls done"), "{progress}");
    }
}
