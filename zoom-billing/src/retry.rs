//! Retry policy: what is retried, how long to wait, and when not to retry.
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

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use reqwest::header::HeaderMap;

use crate::error::{RateLimitKind, RateLimited, tracking_id};

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

/// Is this status retried for an idempotent operation?
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 500 | 502 | 503 | 504)
}

/// Parse a `Retry-After` value: delay seconds, an HTTP date, or an ISO-8601
/// (RFC 3339) date-time. Returns the instant it names.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return now.checked_add_signed(TimeDelta::seconds(i64::try_from(secs.min(10 * 365 * 86400)).ok()?));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        return Some(at.with_timezone(&Utc));
    }
    // ISO-8601 without an offset: Zoom means UTC.
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S").ok().map(|n| n.and_utc())
}

/// The next 00:00 UTC after `now`.
pub fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    tomorrow.and_time(NaiveTime::MIN).and_utc()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Read a 429's headers and message into [`RateLimited`].
pub(crate) fn parse_rate_limited(
    operation: Option<&'static str>,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
) -> RateLimited {
    let kind = match header(headers, "x-ratelimit-type").map(str::to_ascii_lowercase) {
        Some(t) if t.contains("daily") => RateLimitKind::Daily,
        Some(t) if t.contains("qps") || t.contains("second") => RateLimitKind::PerSecond,
        // The headers are not always sent: fall back to the message
        // ("...maximum daily rate limit..." / "resume at GMT 00:00:00").
        _ if message.to_ascii_lowercase().contains("daily") => RateLimitKind::Daily,
        _ => RateLimitKind::PerSecond,
    };
    let retry_after = header(headers, "retry-after").and_then(|v| parse_retry_after(v, now));
    let reset = header(headers, "x-ratelimit-reset")
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0));
    let reset_at = match kind {
        RateLimitKind::Daily => retry_after.or(reset).or(Some(next_utc_midnight(now))),
        RateLimitKind::PerSecond => retry_after.or(reset),
    };
    RateLimited {
        operation,
        kind,
        category: header(headers, "x-ratelimit-category").map(str::to_owned),
        limit: header(headers, "x-ratelimit-limit").and_then(|v| v.parse().ok()),
        remaining: header(headers, "x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        reset_at,
        message: message.to_owned(),
        tracking_id: tracking_id(headers).map(str::to_owned),
    }
}

/// How long until `at`, zero if it is past.
pub(crate) fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-30T12:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn retry_after_in_every_form() {
        let n = now();
        assert_eq!(parse_retry_after("7", n), Some(n + TimeDelta::seconds(7)));
        assert_eq!(parse_retry_after("2024-05-31T00:00:00Z", n).unwrap().to_rfc3339(), "2024-05-31T00:00:00+00:00");
        assert_eq!(parse_retry_after("Thu, 30 May 2024 12:00:09 GMT", n), Some(n + TimeDelta::seconds(9)));
        assert_eq!(parse_retry_after("2024-05-31T00:00:00", n), Some(next_utc_midnight(n)));
        assert_eq!(parse_retry_after("soon", n), None);
        assert_eq!(parse_retry_after("", n), None);
    }

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

    #[test]
    fn daily_limit_from_headers_or_message() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-type", HeaderValue::from_static("Daily-limit"));
        h.insert("retry-after", HeaderValue::from_static("2024-05-31T00:00:00Z"));
        let r = parse_rate_limited(None, &h, "", now());
        assert_eq!(r.kind, RateLimitKind::Daily);
        assert_eq!(r.reset_at, Some(next_utc_midnight(now())));
        let r = parse_rate_limited(None, &HeaderMap::new(), "You have reached the maximum daily rate limit", now());
        assert_eq!((r.kind, r.reset_at), (RateLimitKind::Daily, Some(next_utc_midnight(now()))));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-type", HeaderValue::from_static("QPS"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1717070402"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("garbage"));
        let r = parse_rate_limited(None, &h, "", now());
        assert_eq!(r.kind, RateLimitKind::PerSecond);
        assert_eq!(r.reset_at, DateTime::from_timestamp(1717070402, 0));
        assert_eq!(r.remaining, None);
    }
}
