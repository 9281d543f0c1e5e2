//! Zoom's rate limits, as the spec's `x-zoom-rate-limit` states them:
//! per-operation minimum intervals, per-label rates shared by the whole
//! account, and daily limits, answered with Zoom's 429 (headers and body).
//! Off by default, so fault-injection tests see only what they inject.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::contract::{Contract, RateLimitSpec};

/// How the fake enforces Zoom's limits.
#[derive(Clone, Debug)]
pub struct LimitConfig {
    /// Answer 429 when a limit is exceeded (default off).
    pub enforce: bool,
    /// How much faster than real time the limits run: at 1800, "one request
    /// per 30 minutes" is one per second, a label rate of 10/s is 18,000/s
    /// and a "day" lasts 48 seconds (counted from the server's start).
    pub time_scale: f64,
    /// Requests per second of each label (by default the Pro plan's, from the spec's
    /// `x-zoom-label-rates`: the table zoom-billing paces by).
    pub label_rates: Vec<(String, f64)>,
    /// Share of a minimum interval a request may come early by (network
    /// jitter between processes) before it is rejected; default 0.05.
    pub tolerance: f64,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            enforce: false,
            time_scale: 1.0,
            label_rates: Contract::spec().map(|c| c.label_rates("Pro")).unwrap_or_default(),
            tolerance: 0.05,
        }
    }
}

impl LimitConfig {
    fn scaled(&self, real: Duration) -> Duration {
        let scale = if self.time_scale.is_finite() && self.time_scale > 0.0 { self.time_scale } else { 1.0 };
        Duration::try_from_secs_f64(real.as_secs_f64() / scale).unwrap_or(real)
    }

    fn day(&self) -> Duration {
        self.scaled(Duration::from_secs(86_400))
    }
}

/// A 429 the fake answers with.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) daily: bool,
    pub(crate) label: String,
    pub(crate) limit: u64,
    /// When the request may be made again, on the fake's wall clock.
    pub(crate) retry_at: DateTime<Utc>,
    /// Seconds until then (for the per-second form's `Retry-After`).
    pub(crate) retry_in: Duration,
}

/// What the limits have counted so far.
#[derive(Debug)]
pub(crate) struct Counters {
    start: Instant,
    wall: DateTime<Utc>,
    last: HashMap<(String, String), Instant>,
    windows: HashMap<String, VecDeque<Instant>>,
    daily: HashMap<(String, String), (u64, u32)>,
    /// 429s answered by enforcement (not injected ones).
    pub(crate) rejected: u64,
    /// Of those, the daily-limit ones.
    pub(crate) rejected_daily: u64,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            start: Instant::now(),
            wall: Utc::now(),
            last: HashMap::new(),
            windows: HashMap::new(),
            daily: HashMap::new(),
            rejected: 0,
            rejected_daily: 0,
        }
    }

    fn wall_at(&self, at: Instant) -> DateTime<Utc> {
        let elapsed = chrono::TimeDelta::from_std(at.saturating_duration_since(self.start)).unwrap_or_default();
        self.wall.checked_add_signed(elapsed).unwrap_or(self.wall)
    }

    /// Count this request against its operation's limits, or say why not.
    pub(crate) fn admit(
        &mut self,
        config: &LimitConfig,
        operation: &str,
        limit: &RateLimitSpec,
        key: &str,
        now: Instant,
    ) -> Result<(), Rejection> {
        let reject = |this: &mut Self, daily: bool, limit_value: u64, retry_at: Instant| {
            this.rejected += 1;
            this.rejected_daily += u64::from(daily);
            Rejection {
                daily,
                label: limit.label.clone(),
                limit: limit_value,
                retry_at: this.wall_at(retry_at),
                retry_in: retry_at.saturating_duration_since(now),
            }
        };
        let op_key = (operation.to_owned(), key.to_owned());
        // Daily limit: days of the scaled length, counted from the start.
        let day_len = config.day().as_secs_f64().max(f64::MIN_POSITIVE);
        let day = (now.saturating_duration_since(self.start).as_secs_f64() / day_len) as u64;
        if let Some(daily) = limit.daily_limit {
            let used = match self.daily.get(&op_key) {
                Some((d, used)) if *d == day => *used,
                _ => 0,
            };
            if used >= daily {
                let next = self.start + Duration::from_secs_f64(day_len * (day + 1) as f64);
                return Err(reject(self, true, u64::from(daily), next));
            }
        }
        // Per-operation minimum interval.
        if let Some(secs) = limit.min_interval_secs {
            let interval = config.scaled(Duration::from_secs(secs));
            let slack = interval.mul_f64(config.tolerance.clamp(0.0, 1.0));
            if let Some(last) = self.last.get(&op_key)
                && now + slack < *last + interval
            {
                let at = *last + interval;
                return Err(reject(self, false, 1, at));
            }
        }
        // Label rate: `burst` requests per window, shared by the account.
        let rate = config.label_rates.iter().find(|(l, _)| *l == limit.label).map_or(0.0, |(_, r)| *r);
        if rate.is_finite() && rate > 0.0 {
            let burst = rate.floor().max(1.0);
            let window = config.scaled(Duration::try_from_secs_f64(burst / rate).unwrap_or(Duration::from_secs(1)));
            let times = self.windows.entry(limit.label.clone()).or_default();
            while times.front().is_some_and(|t| *t + window <= now) {
                times.pop_front();
            }
            if times.len() as f64 >= burst {
                let at = times.front().map_or(now, |t| *t + window);
                return Err(reject(self, false, burst as u64, at));
            }
            times.push_back(now);
        }
        if limit.min_interval_secs.is_some() {
            self.last.insert(op_key.clone(), now);
        }
        if limit.daily_limit.is_some() {
            let entry = self.daily.entry(op_key).or_insert((day, 0));
            if entry.0 != day {
                *entry = (day, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rates_are_the_specs_pro_rates() {
        let rates = LimitConfig::default().label_rates;
        assert!(rates.contains(&("Heavy".to_owned(), 10.0)), "{rates:?}");
        assert_eq!(rates.len(), 4);
    }

    #[test]
    fn a_second_call_within_the_interval_is_rejected() {
        let contract = Contract::spec().unwrap();
        let limit = &contract.operation("list_billing_invoices").unwrap().rate_limit;
        let config = LimitConfig { enforce: true, ..LimitConfig::default() };
        let mut counters = Counters::new();
        let now = Instant::now();
        assert!(counters.admit(&config, "list_billing_invoices", limit, "sub-1", now).is_ok());
        assert!(counters.admit(&config, "list_billing_invoices", limit, "sub-2", now).is_ok());
        let rejected = counters.admit(&config, "list_billing_invoices", limit, "sub-1", now).unwrap_err();
        assert_eq!((rejected.daily, rejected.retry_in), (false, Duration::from_secs(300)));
    }
}
