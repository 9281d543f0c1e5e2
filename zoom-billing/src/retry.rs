//! Retry policy: how often and how long to wait. Policy only: what is
//! retryable is decided in one place, [`crate::classify`], and the loop that
//! applies both is [`crate::call`].
//!
//! Retried: connection failures, timeouts, 429 per-second and
//! 408/500/502/503/504, with exponential backoff and full jitter, honouring
//! `Retry-After` (seconds, HTTP date or ISO-8601) and `X-RateLimit-Reset` up
//! to a ceiling. A daily 429 is never retried.
//!
//! Operations the spec marks not idempotent (the three creating POSTs) are
//! retried only when the request surely did not reach Zoom (connect failure,
//! 429); after an ambiguous failure they return
//! [`Error::UnknownOutcome`](crate::Error::UnknownOutcome).

use std::time::Duration;

/// How failed requests are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 3).
    pub max_retries: u32,
    /// Base of the exponential backoff (default 0.5 s).
    pub base_delay: Duration,
    /// Upper bound of one backoff delay (default 8 s).
    pub max_delay: Duration,
    /// The longest server-requested wait (`Retry-After`) that is honoured
    /// (default 60 s); a longer one returns the error instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// Set the number of retries.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Set the backoff base and cap.
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max;
        self
    }

    /// Set the longest honoured `Retry-After`.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The backoff before retry number `retry` (1-based): full jitter, a
    /// uniformly random delay in `[0, min(max_delay, base_delay * 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1).min(30)));
        let cap = exp.min(self.max_delay);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::random_range(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_and_capped() {
        let p = RetryPolicy::default();
        for retry in 1..40 {
            let d = p.backoff(retry);
            assert!(d <= p.max_delay, "{retry}: {d:?}");
            assert!(d <= p.base_delay * 2u32.saturating_pow(retry - 1));
        }
        assert_eq!(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO).backoff(3), Duration::ZERO);
    }
}
