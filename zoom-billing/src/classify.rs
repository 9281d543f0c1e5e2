//! What an attempt's outcome means: success, retry, renew the token, or a
//! final error. Every outcome of an attempt is classified here ([`outcome`]):
//! the one place that knows which statuses are retried, which failures
//! surely did not reach Zoom and how Zoom's rate-limit headers read. The
//! retry *policy* (how often, how long) is [`crate::retry`]; the loop that
//! acts on a verdict is [`crate::call`].

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use progenitor_client::Error as GenError;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName};
use tokio::time::Instant;

use crate::body::{self, Limit};
use crate::error::{ApiError, DecodeError, Error, FieldError, RateLimitKind, RateLimited};
use crate::metadata::Operation;
use crate::redact::{Redactor, TEXT_CHARS};
use crate::types::ZoomError;

/// The header Zoom puts its request tracking id in.
pub(crate) const TRACKING_ID_HEADER: &str = "x-zm-trackingid";

/// The same name, ready to look up without parsing it each time.
const TRACKING_ID: HeaderName = HeaderName::from_static(TRACKING_ID_HEADER);

/// The most of an `x-zm-trackingid` kept (Zoom's are under 64 characters): a
/// 100 KB header is not copied into every error and log line.
pub(crate) const TRACKING_ID_CHARS: usize = 128;

/// The most field errors of one answer kept (Zoom sends a handful).
pub(crate) const FIELD_ERRORS: usize = 20;

/// Zoom's code for an invalid or expired access token (with HTTP 401).
const TOKEN_EXPIRED: i64 = 124;

/// How long past the next 00:00 UTC a daily block may last: Zoom's daily
/// limits reset then, whatever a `Retry-After` says.
const DAILY_RESET_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// The statuses retried for an idempotent operation (with 429 per-second,
/// which has its own handling). The single list.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 500 | 502 | 503 | 504)
}

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request surely did not reach Zoom (connect failure).
    NotSent(reqwest::Error),
    /// Zoom refused it with a per-second 429: it had no effect.
    Throttled(Box<RateLimited>),
    /// No answer in time after sending.
    Timeout,
    /// The connection broke after sending.
    Broken(reqwest::Error),
    /// A retryable status (5xx, 408).
    Status { error: Box<ApiError>, retry_after: Option<DateTime<Utc>> },
}

impl Failure {
    /// Whether the request surely had no effect at Zoom.
    pub(crate) fn surely_not_applied(&self) -> bool {
        matches!(self, Failure::NotSent(_) | Failure::Throttled(_))
    }

    /// A short description, for logs and `UnknownOutcome`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Failure::NotSent(_) => "connection failed".into(),
            Failure::Throttled(_) => "rate limited".into(),
            Failure::Timeout => "no response in time after the request was sent".into(),
            Failure::Broken(_) => "the connection broke after the request was sent".into(),
            Failure::Status { error, .. } => format!("Zoom answered HTTP {}", error.status.as_u16()),
        }
    }

    /// When the server asked to be called again, if it did.
    pub(crate) fn server_wait(&self) -> Option<DateTime<Utc>> {
        match self {
            Failure::Throttled(r) => r.reset_at,
            Failure::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The status and tracking id of Zoom's answer, if there was one.
    pub(crate) fn answer(&self) -> (Option<StatusCode>, Option<String>) {
        match self {
            Failure::Throttled(r) => (Some(StatusCode::TOO_MANY_REQUESTS), r.tracking_id.clone()),
            Failure::Status { error, .. } => (Some(error.status), error.tracking_id.clone()),
            _ => (None, None),
        }
    }

    /// The final error once retries are over.
    pub(crate) fn into_error(self, operation: Operation, timeout: Duration, attempts: u32) -> Error {
        match self {
            Failure::NotSent(e) | Failure::Broken(e) => {
                Error::Transport { operation, attempts, source: e.without_url() }
            }
            Failure::Throttled(mut r) => {
                r.attempts = attempts;
                Error::RateLimited(r)
            }
            Failure::Timeout => Error::Timeout { operation, after: timeout, attempts },
            Failure::Status { mut error, .. } => {
                error.attempts = attempts;
                Error::Api(error)
            }
        }
    }
}

/// What an error answer means.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// 401 with code 124: renew the token and replay once.
    Renew { message: String },
    /// Retry, if the operation and the policy allow.
    Retry(Failure),
    /// A daily 429: block the operation until `until`, and fail.
    Daily(Box<RateLimited>),
    /// A final error.
    Fail(Error),
}

/// An attempt's outcome: a success after all (a bodiless one progenitor did
/// not expect), or a verdict. Not generic over the operation's value: the
/// caller builds it, so the failure path is compiled once, not per operation.
pub(crate) enum Outcome {
    Bodiless(Bodiless),
    Verdict(Verdict),
}

/// A success of an operation whose success has no body: its status and headers.
pub(crate) struct Bodiless {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
}

/// What an attempt that did not succeed at once means. `failure` is
/// progenitor's error, or `None` when the attempt timed out; `answer` is
/// Zoom's status (and an error answer's headers) if it answered; `bodiless`
/// when the operation's success has no body (any 2xx then counts); an error
/// body still to read is read by `deadline`.
pub(crate) async fn outcome(
    operation: Operation,
    bodiless: bool,
    failure: Option<GenError<ZoomError>>,
    answer: Option<(StatusCode, HeaderMap)>,
    deadline: Option<Instant>,
    now: DateTime<Utc>,
    redactor: &Redactor,
) -> Outcome {
    let retry = |failure| Outcome::Verdict(Verdict::Retry(failure));
    let fail = |error| Outcome::Verdict(Verdict::Fail(error));
    let Some(error) = failure else { return retry(Failure::Timeout) };
    let status_of = |answer: &Option<(StatusCode, _)>| answer.as_ref().map(|(s, _)| *s);
    match error {
        GenError::ErrorResponse(value) => {
            let (status, headers) = (value.status(), value.headers().clone());
            let zoom = value.into_inner();
            Outcome::Verdict(error_answer(operation, status, &headers, Some(&zoom), b"", now, redactor))
        }
        GenError::UnexpectedResponse(response) => {
            let status = response.status();
            if status.is_success() {
                return if bodiless {
                    Outcome::Bodiless(Bodiless { status, headers: response.headers().clone() })
                } else {
                    fail(undocumented_success(operation, status, redactor))
                };
            }
            let headers = response.headers().clone();
            let read = response.bytes();
            let body = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, read).await,
                None => Ok(read.await),
            };
            match body {
                Err(_) => retry(Failure::Timeout),
                Ok(Err(e)) => Outcome::Verdict(body_failure(operation, status, e)),
                Ok(Ok(body)) => {
                    let zoom = serde_json::from_slice::<ZoomError>(&body).ok();
                    Outcome::Verdict(error_answer(operation, status, &headers, zoom.as_ref(), &body, now, redactor))
                }
            }
        }
        GenError::InvalidResponsePayload(body, e) => match answer {
            Some((status, headers)) if !status.is_success() => {
                Outcome::Verdict(error_answer(operation, status, &headers, None, &body, now, redactor))
            }
            // The decoder's reason quotes the body: it is scrubbed and cut like the snippet.
            answer => fail(decode_error(
                operation,
                status_of(&answer).unwrap_or(StatusCode::OK),
                &body,
                &e.to_string(),
                redactor,
            )),
        },
        GenError::ResponseBodyError(e) => {
            Outcome::Verdict(body_failure(operation, status_of(&answer).unwrap_or(StatusCode::OK), e))
        }
        GenError::CommunicationError(e) | GenError::InvalidUpgrade(e) => {
            // A body read inside `exec` (drift observation) fails here, not as a body error.
            if body::limit_hit(&e).is_some() || e.is_body() {
                return Outcome::Verdict(body_failure(operation, status_of(&answer).unwrap_or(StatusCode::OK), e));
            }
            if e.is_connect() {
                retry(Failure::NotSent(e))
            } else if e.is_timeout() {
                retry(Failure::Timeout)
            } else {
                retry(Failure::Broken(e))
            }
        }
        // progenitor refuses a request it cannot build before sending it.
        GenError::InvalidRequest(message) | GenError::Custom(message) => {
            fail(Error::InvalidRequest { operation, message: crate::request::explain(&message) })
        }
    }
}

/// A success status the spec does not document for an operation whose success has a body.
pub(crate) fn undocumented_success(operation: Operation, status: StatusCode, redactor: &Redactor) -> Error {
    decode_error(
        operation,
        status,
        b"",
        "Zoom answered a success status the spec does not document for this operation",
        redactor,
    )
}

/// A body that could not be read: too large (final), idle or broken (retry).
fn body_failure(operation: Operation, status: StatusCode, error: reqwest::Error) -> Verdict {
    match body::limit_hit(&error) {
        Some(Limit::TooLarge(limit)) => Verdict::Fail(Error::BodyTooLarge { operation, status, limit }),
        Some(Limit::Idle(_)) => Verdict::Retry(Failure::Timeout),
        None if error.is_timeout() => Verdict::Retry(Failure::Timeout),
        None => Verdict::Retry(Failure::Broken(error)),
    }
}

/// Every text a server sent, as an error or a log line keeps it: secrets
/// scrubbed, then cut to [`TEXT_CHARS`].
pub(crate) fn kept(redactor: &Redactor, text: &str) -> String {
    redactor.bounded(text, TEXT_CHARS)
}

/// A non-2xx answer: `zoom` is its body when it was a Zoom error, `raw` the
/// body as read (for a snippet when it was not). Every text kept from it
/// goes through [`kept`] (the snippet through [`Redactor::snippet`]).
pub(crate) fn error_answer(
    operation: Operation,
    status: StatusCode,
    headers: &HeaderMap,
    zoom: Option<&ZoomError>,
    raw: &[u8],
    now: DateTime<Utc>,
    redactor: &Redactor,
) -> Verdict {
    match status.as_u16() {
        401 if zoom.is_some_and(|z| z.code == TOKEN_EXPIRED) => {
            Verdict::Renew { message: zoom.map(|z| kept(redactor, &z.message)).unwrap_or_default() }
        }
        429 => {
            let message = zoom.map(|z| kept(redactor, &z.message)).unwrap_or_else(|| redactor.snippet(raw));
            let limited = parse_rate_limited(operation, headers, &message, now, redactor);
            match limited.kind {
                RateLimitKind::Daily => Verdict::Daily(Box::new(limited)),
                RateLimitKind::PerSecond => Verdict::Retry(Failure::Throttled(Box::new(limited))),
            }
        }
        _ => {
            let error = api_error(operation, status, headers, zoom, raw, redactor);
            if retryable_status(status) {
                let retry_after = header(headers, "retry-after").and_then(|v| parse_retry_after(v, now));
                Verdict::Retry(Failure::Status { error, retry_after })
            } else {
                Verdict::Fail(Error::Api(error))
            }
        }
    }
}

/// A 2xx body that did not decode. The decoder's `reason` quotes the body
/// (`invalid type: string "..."`), so it is kept like every server text.
pub(crate) fn decode_error(
    operation: Operation,
    status: StatusCode,
    body: &[u8],
    reason: &str,
    redactor: &Redactor,
) -> Error {
    Error::Decode(Box::new(DecodeError {
        operation,
        status,
        snippet: redactor.snippet(body),
        reason: kept(redactor, reason),
    }))
}

/// The typed error for an error answer.
pub(crate) fn api_error(
    operation: Operation,
    status: StatusCode,
    headers: &HeaderMap,
    zoom: Option<&ZoomError>,
    raw: &[u8],
    redactor: &Redactor,
) -> Box<ApiError> {
    let tracking_id = tracking_id(headers).map(|id| redactor.scrub(id));
    let text = |t: &Option<String>| t.as_deref().map(|t| kept(redactor, t));
    let (code, message, errors) = match zoom {
        Some(b) => (
            Some(b.code),
            kept(redactor, &b.message),
            b.errors
                .iter()
                .take(FIELD_ERRORS)
                .map(|e| FieldError { field: text(&e.field), message: text(&e.message) })
                .collect(),
        ),
        // Not followed (see `hooks::redirect_policy`): say where it pointed, not the empty body.
        None if status.is_redirection() => (None, redactor.scrub(&redirect_message(headers)), Vec::new()),
        None if raw.is_empty() => (None, "(no body)".to_owned(), Vec::new()),
        // An HTML page's trailing newline would end the message with a blank line.
        None => (None, redactor.snippet(raw).trim_end().to_owned(), Vec::new()),
    };
    Box::new(ApiError {
        operation,
        status,
        code,
        message,
        errors,
        tracking_id,
        attempts: 1,
        retryable: retryable_status(status),
    })
}

/// The response's `x-zm-trackingid`, at most [`TRACKING_ID_CHARS`] of it
/// (a header value that is text is ASCII, so this is a character count).
pub(crate) fn tracking_id(headers: &HeaderMap) -> Option<&str> {
    let id = headers.get(TRACKING_ID).and_then(|v| v.to_str().ok())?;
    Some(id.get(..TRACKING_ID_CHARS).unwrap_or(id))
}

/// A redirect the client did not follow, and where it pointed: the `Location`
/// without its query or fragment (which may carry anything), at most 200 characters.
fn redirect_message(headers: &HeaderMap) -> String {
    let location = header(headers, "location").map(|l| l.split(['?', '#']).next().unwrap_or_default());
    match location {
        Some(to) if !to.is_empty() => format!("a redirect to {}, not followed", snippet(to.as_bytes())),
        _ => "a redirect, not followed".to_owned(),
    }
}

/// At most 200 characters of a body, lossily decoded.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(800)]);
    text.chars().take(200).collect()
}

/// Parse a `Retry-After` value: delay seconds, an HTTP date, or an ISO-8601
/// (RFC 3339) date-time. Returns the instant it names; absurd values are
/// clamped (at most ten years ahead), never an overflow.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let ceiling = now.checked_add_signed(TimeDelta::days(3650)).unwrap_or(now);
    let at = if let Ok(secs) = value.parse::<u64>() {
        let secs = i64::try_from(secs.min(3650 * 86400)).ok()?;
        now.checked_add_signed(TimeDelta::seconds(secs))?
    } else if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        at.with_timezone(&Utc)
    } else if let Ok(at) = DateTime::parse_from_rfc2822(value) {
        at.with_timezone(&Utc)
    } else {
        // ISO-8601 without an offset: Zoom means UTC.
        chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S").ok()?.and_utc()
    };
    Some(at.min(ceiling))
}

/// The next 00:00 UTC after `now`.
pub(crate) fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    tomorrow.and_time(NaiveTime::MIN).and_utc()
}

/// The latest a daily block may last from `now`: the next reset plus a margin.
pub(crate) fn daily_block_limit(now: DateTime<Utc>) -> DateTime<Utc> {
    next_utc_midnight(now).checked_add_signed(DAILY_RESET_MARGIN).unwrap_or(now)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Read a 429's headers and message into [`RateLimited`].
pub(crate) fn parse_rate_limited(
    operation: Operation,
    headers: &HeaderMap,
    message: &str,
    now: DateTime<Utc>,
    redactor: &Redactor,
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
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .filter(|at| *at >= now)
        // Clamped like Retry-After: a reset years away is a server's mistake.
        .map(|at| at.min(now.checked_add_signed(TimeDelta::days(3650)).unwrap_or(now)));
    let reset_at = match kind {
        // Zoom's daily limits reset at 00:00 UTC: never believe a later time.
        RateLimitKind::Daily => {
            Some(retry_after.or(reset).unwrap_or_else(|| next_utc_midnight(now)).min(daily_block_limit(now)))
        }
        RateLimitKind::PerSecond => retry_after.or(reset),
    };
    RateLimited {
        operation,
        kind,
        category: header(headers, "x-ratelimit-category").map(|c| kept(redactor, c)),
        limit: header(headers, "x-ratelimit-limit").and_then(|v| v.parse().ok()),
        remaining: header(headers, "x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        reset_at,
        reset_in: reset_at.map(|at| until(at, now)),
        message: kept(redactor, message),
        tracking_id: tracking_id(headers).map(|id| redactor.scrub(id)),
        attempts: 1,
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
        // Absurd values are clamped, not overflowed.
        let far = parse_retry_after("18446744073709551615", n).unwrap();
        assert_eq!(far, n + TimeDelta::days(3650));
        assert_eq!(parse_retry_after("9999-12-31T23:59:59Z", n), Some(n + TimeDelta::days(3650)));
    }

    #[test]
    fn daily_limit_from_headers_or_message_and_never_past_the_reset() {
        let op = Operation::ListBillingInvoices;
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-type", HeaderValue::from_static("Daily-limit"));
        h.insert("retry-after", HeaderValue::from_static("2024-05-31T00:00:00Z"));
        let r = parse_rate_limited(op, &h, "", now(), &Redactor::default());
        assert_eq!(r.kind, RateLimitKind::Daily);
        assert_eq!(r.reset_at, Some(next_utc_midnight(now())));
        assert_eq!(r.reset_in, Some(Duration::from_secs(12 * 3600)));
        let r = parse_rate_limited(
            op,
            &HeaderMap::new(),
            "You have reached the maximum daily rate limit",
            now(),
            &Redactor::default(),
        );
        assert_eq!((r.kind, r.reset_at), (RateLimitKind::Daily, Some(next_utc_midnight(now()))));
        // A Retry-After in the year 9999 blocks until the next reset (and a margin), no longer.
        h.insert("retry-after", HeaderValue::from_static("9999-12-31T23:59:59Z"));
        let r = parse_rate_limited(op, &h, "", now(), &Redactor::default());
        assert_eq!(r.reset_at, Some(daily_block_limit(now())));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-type", HeaderValue::from_static("QPS"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1717070402"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("garbage"));
        let r = parse_rate_limited(op, &h, "", now(), &Redactor::default());
        assert_eq!(r.kind, RateLimitKind::PerSecond);
        assert_eq!(r.reset_at, DateTime::from_timestamp(1717070402, 0));
        assert_eq!(r.remaining, None);
        h.insert("x-ratelimit-reset", HeaderValue::from_static("99999999999999999"));
        assert_eq!(parse_rate_limited(op, &h, "", now(), &Redactor::default()).reset_at, None);
    }

    // ---- property tests: no panic and bounded output for any server input ----

    use proptest::prelude::*;

    /// Any instant chrono can represent a few years around, as "now".
    fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..8_000_000_000, 0u32..1_000_000_000)
            .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap_or_else(now))
    }

    /// Strings a Retry-After or a reset header could hold: any text, and
    /// near-misses of every accepted form (huge numbers, odd dates).
    fn header_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[0-9]{0,40}",
            "-?[0-9]{1,25}(\\.[0-9]{0,5})?",
            "[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(Z|[+-][0-9]{2}:[0-9]{2})?",
            "(Mon|Thu|Fri), [0-9]{1,2} (Jan|May|Dec) [0-9]{1,6} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|[+-][0-9]{4})",
        ]
    }

    fn ten_years_after(now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_add_signed(TimeDelta::days(3650)).unwrap_or(now)
    }

    fn headers(values: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in values {
            // A value no HTTP stack would deliver (control bytes) is skipped.
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(*name, v);
            }
        }
        h
    }

    proptest! {
        #[test]
        fn a_redirect_says_where_without_its_query(location in prop_oneof![
            any::<String>(),
            "https?://[a-z.]{0,20}(:[0-9]{1,6})?(/[a-zA-Z0-9_%.-]{0,30}){0,4}(\\?[a-z=&]{0,30})?(#[a-z]{0,10})?",
        ]) {
            let message = redirect_message(&headers(&[("location", location.clone())]));
            prop_assert!(message.starts_with("a redirect") && message.ends_with(", not followed"), "{message}");
            prop_assert!(!message.contains('?') && !message.contains('#'), "{location:?} -> {message}");
            prop_assert!(message.chars().count() <= 200 + "a redirect to , not followed".len(), "{message}");
        }

        #[test]
        fn retry_after_never_panics_and_is_at_most_ten_years_ahead(value in header_text(), now in any_now()) {
            if let Some(at) = parse_retry_after(&value, now) {
                prop_assert!(at <= ten_years_after(now), "{value:?} -> {at}");
            }
        }

        #[test]
        fn rate_limit_headers_never_panic_and_stay_bounded(
            kind in prop_oneof![Just("Daily-limit".to_owned()), Just("QPS".to_owned()), any::<String>()],
            retry_after in header_text(),
            reset in header_text(),
            limit in header_text(),
            remaining in header_text(),
            message in any::<String>(),
            now in any_now(),
        ) {
            let h = headers(&[
                ("x-ratelimit-type", kind),
                ("retry-after", retry_after),
                ("x-ratelimit-reset", reset),
                ("x-ratelimit-limit", limit),
                ("x-ratelimit-remaining", remaining),
            ]);
            let r = parse_rate_limited(Operation::ListBillingInvoices, &h, &message, now, &Redactor::default());
            if let Some(at) = r.reset_at {
                prop_assert!(at <= ten_years_after(now), "reset at {at}");
                if r.kind == RateLimitKind::Daily {
                    prop_assert!(at <= daily_block_limit(now), "a daily block past the next reset: {at}");
                }
            }
            prop_assert_eq!(r.reset_in, r.reset_at.map(|at| until(at, now)));
            // Displaying it (which formats durations and instants) never panics either.
            let _ = Error::RateLimited(Box::new(r)).to_string();
        }

        #[test]
        fn any_error_body_is_classified_without_panic(
            status in 100u16..600,
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..2000),
                (any::<i64>(), any::<String>(), any::<String>()).prop_map(|(code, message, field)| {
                    serde_json::json!({"code": code, "message": message, "errors": [{"field": field, "message": message}]})
                        .to_string()
                        .into_bytes()
                }),
            ],
            retry_after in header_text(),
            now in any_now(),
        ) {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let h = headers(&[("retry-after", retry_after), (TRACKING_ID_HEADER, "t".to_owned())]);
            let zoom = serde_json::from_slice::<ZoomError>(&body).ok();
            let verdict = error_answer(Operation::GetPlanUsage, status, &h, zoom.as_ref(), &body, now, &Redactor::default());
            let message = match &verdict {
                Verdict::Renew { message } => message.clone(),
                Verdict::Retry(failure) => {
                    if let Some(at) = failure.server_wait() {
                        prop_assert!(at <= ten_years_after(now));
                    }
                    failure.describe()
                }
                Verdict::Daily(r) => r.message.clone(),
                Verdict::Fail(e) => e.to_string(),
            };
            if zoom.is_none() {
                // Not a Zoom body: only a short snippet of it is kept.
                prop_assert!(message.chars().count() <= 400, "{} chars", message.chars().count());
            }
        }
    }

    #[test]
    fn snippet_is_bounded_and_lossy() {
        let body = [b'x'; 5000];
        assert_eq!(snippet(&body).len(), 200);
        assert_eq!(snippet(&[0xff, b'a']), "\u{fffd}a");
    }

    #[test]
    fn statuses_are_classified_once() {
        let op = Operation::GetPlanUsage;
        let h = HeaderMap::new();
        let zoom = |code| ZoomError { code, message: "m".into(), errors: vec![] };
        assert!(matches!(
            error_answer(op, StatusCode::UNAUTHORIZED, &h, Some(&zoom(124)), b"", now(), &Redactor::default()),
            Verdict::Renew { .. }
        ));
        assert!(matches!(
            error_answer(op, StatusCode::UNAUTHORIZED, &h, Some(&zoom(200)), b"", now(), &Redactor::default()),
            Verdict::Fail(Error::Api(_))
        ));
        assert!(matches!(
            error_answer(op, StatusCode::SERVICE_UNAVAILABLE, &h, None, b"<html>", now(), &Redactor::default()),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            error_answer(op, StatusCode::NOT_FOUND, &h, Some(&zoom(1001)), b"", now(), &Redactor::default()),
            Verdict::Fail(Error::Api(_))
        ));
        assert!(matches!(
            error_answer(op, StatusCode::TOO_MANY_REQUESTS, &h, None, b"", now(), &Redactor::default()),
            Verdict::Retry(_)
        ));
    }
}
