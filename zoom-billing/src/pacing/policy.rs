//! What users configure: the account's plan and the pacing policy.

use std::time::Duration;

use crate::metadata::RateLimitLabel;

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
    /// longer wait fails at once with [`Error::PacingWouldWait`](crate::Error::PacingWouldWait) instead.
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

    /// Fail with [`Error::PacingWouldWait`](crate::Error::PacingWouldWait) instead of holding a request
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
    pub(crate) fn scaled(&self, interval: Duration) -> Duration {
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

    pub(crate) fn label_interval(&self, label: RateLimitLabel) -> Option<Duration> {
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
