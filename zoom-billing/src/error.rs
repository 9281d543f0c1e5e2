//! One error type for every call: [`Error`].
//!
//! # How typed errors get out of progenitor's hooks
//!
//! The generated `send()` methods return `progenitor_client::Error<ZoomError>`,
//! and the hook that sends the request (`ClientHooks::exec`) can only return
//! `reqwest::Result<reqwest::Response>`, a type nobody outside reqwest can
//! construct an error of. So the runtime in `exec` classifies every outcome
//! itself (rate limits, budgets, auth, retries, decode checks), and when the
//! outcome is an error it returns a *carrier response*: a synthetic
//! `reqwest::Response` with status 599, which no operation of the spec
//! declares, whose `http::Extensions` hold the typed [`Error`]. The generated
//! code hands such a response back as `Error::UnexpectedResponse`, and
//! `From<progenitor_client::Error<ZoomError>> for Error` takes the typed error
//! back out of it. Nothing is kept in shared state, so nothing can leak or
//! be matched to the wrong request; `?` on any `send()` in a function that
//! returns `zoom_billing::Result` yields the typed error.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::auth::AuthError;
use crate::types::ZoomError;

/// The header Zoom puts its request tracking id in.
pub const TRACKING_ID_HEADER: &str = "x-zm-trackingid";

/// The header the runtime adds to error responses it hands back to the
/// generated code: the operation id, so the conversion can name it.
pub const OPERATION_HEADER: &str = "x-zoom-billing-operation";

/// The status of a carrier response (see the module docs).
pub(crate) const CARRIER_STATUS: u16 = 599;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call to Zoom.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Zoom answered with an error status and (usually) a Zoom error body.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// Zoom refused the request because of a rate limit (HTTP 429).
    #[error("{0}")]
    RateLimited(Box<RateLimited>),
    /// The client-side daily budget of this operation is spent: the request
    /// was not sent.
    #[error(
        "{operation}: the daily budget of {limit} requests is spent (Zoom's limit); not sent. It resets at {resets_at}"
    )]
    BudgetExhausted {
        /// The operation id.
        operation: &'static str,
        /// The daily limit that applies.
        limit: u32,
        /// When the budget resets (00:00 UTC, or the time Zoom named).
        resets_at: DateTime<Utc>,
    },
    /// Pacing would have held the request longer than the policy's
    /// [`max_wait`](crate::RateLimitPolicy::max_wait): it was not sent and
    /// takes no turn. Try again at `next_at` (or raise `max_wait`).
    #[error(
        "{operation}: the spec's rate limit allows the next request in {wait:?} (at {next_at}), longer than max_wait; not sent"
    )]
    PacingWouldWait {
        /// The operation id.
        operation: &'static str,
        /// How long pacing would have waited.
        wait: Duration,
        /// When the operation's next turn is.
        next_at: DateTime<Utc>,
    },
    /// No valid access token could be obtained, or Zoom rejected it.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The connection failed or broke.
    #[error("{}: connection failed: {source}", operation.unwrap_or("request"))]
    Transport {
        /// The operation id, when known.
        operation: Option<&'static str>,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// No response within the configured timeout.
    #[error("{operation}: no response within {after:?}")]
    Timeout {
        /// The operation id.
        operation: &'static str,
        /// The timeout that ran out.
        after: Duration,
    },
    /// A response body did not have the documented shape.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// A request that creates something (a report, a subscription) may or
    /// may not have reached Zoom: it was not retried.
    #[error("{operation}: outcome unknown ({cause}); the request was not retried. {how_to_check}")]
    UnknownOutcome {
        /// The operation id.
        operation: &'static str,
        /// What happened (timeout after sending, 5xx, broken connection).
        cause: String,
        /// How to find out whether it took effect.
        how_to_check: &'static str,
    },
    /// A `next_page_token` is older than Zoom keeps it (15 minutes), or Zoom
    /// rejected it: the listing must restart from the first page.
    #[error(
        "{operation}: the page token expired (tokens live 15 minutes) after {items_seen} items; restart the listing"
    )]
    PageTokenExpired {
        /// The operation id.
        operation: &'static str,
        /// Items yielded before the token expired.
        items_seen: u64,
    },
    /// An invoice report finished in a state other than `Completed`.
    #[error("invoice report {report_id} ended with status {status}")]
    ReportFailed {
        /// The report id.
        report_id: String,
        /// Its final status.
        status: String,
    },
    /// The request could not be built (a missing or invalid parameter).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Writing a download failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// An error response from Zoom.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation id, when known.
    pub operation: Option<&'static str>,
    /// HTTP status.
    pub status: StatusCode,
    /// Zoom's error code (not the HTTP status), when the body had one.
    pub code: Option<i64>,
    /// Zoom's message, or a snippet of a body that was not a Zoom error.
    pub message: String,
    /// Field-level validation errors.
    pub errors: Vec<FieldError>,
    /// The `x-zm-trackingid` header: quote it to Zoom support.
    pub tracking_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: HTTP {}", self.operation.unwrap_or("request"), self.status.as_u16())?;
        if let Some(code) = self.code {
            write!(f, ", Zoom code {code}")?;
        }
        write!(f, ": {}", self.message)?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.field.as_deref().unwrap_or("?"), e.message.as_deref().unwrap_or("invalid"))?;
        }
        if let Some(id) = &self.tracking_id {
            write!(f, " (tracking id {id})")?;
        }
        Ok(())
    }
}

/// A field-level validation error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// JSON path of the field.
    pub field: Option<String>,
    /// What is wrong with it.
    pub message: Option<String>,
}

/// Which of Zoom's limits was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitKind {
    /// A per-second (QPS) limit: retried after a short wait.
    PerSecond,
    /// A daily limit: never retried; wait until the reset time.
    Daily,
}

/// A 429 from Zoom, with what its headers said.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RateLimited {
    /// The operation id.
    pub operation: Option<&'static str>,
    /// Per-second or daily (from `X-RateLimit-Type`, else the message).
    pub kind: RateLimitKind,
    /// `X-RateLimit-Category` (Light, Medium, Heavy, Resource-intensive).
    pub category: Option<String>,
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// When requests may resume (`Retry-After`, `X-RateLimit-Reset`, or
    /// 00:00 UTC for a daily limit without headers).
    pub reset_at: Option<DateTime<Utc>>,
    /// Zoom's message.
    pub message: String,
    /// The `x-zm-trackingid` header.
    pub tracking_id: Option<String>,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            RateLimitKind::PerSecond => "per-second",
            RateLimitKind::Daily => "daily",
        };
        write!(f, "{}: Zoom's {kind} rate limit", self.operation.unwrap_or("request"))?;
        if let Some(c) = &self.category {
            write!(f, " ({c})")?;
        }
        write!(f, " was reached")?;
        if let Some(at) = self.reset_at {
            write!(f, "; requests resume at {at}")?;
        }
        if let Some(id) = &self.tracking_id {
            write!(f, " (tracking id {id})")?;
        }
        Ok(())
    }
}

/// A response body that could not be decoded.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation id, when known.
    pub operation: Option<&'static str>,
    /// HTTP status, when known.
    pub status: Option<StatusCode>,
    /// The start of the body (at most 200 characters).
    pub snippet: String,
    /// What the JSON decoder said.
    pub reason: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: cannot decode the response", self.operation.unwrap_or("request"))?;
        if let Some(s) = self.status {
            write!(f, " (HTTP {})", s.as_u16())?;
        }
        write!(f, ": {}; body starts {:?}", self.reason, self.snippet)
    }
}

impl Error {
    /// Whether trying the same call again later may succeed (what the
    /// runtime itself retries, after its retries ran out).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => matches!(e.status.as_u16(), 408 | 500 | 502 | 503 | 504),
            Error::RateLimited(r) => r.kind == RateLimitKind::PerSecond,
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Auth(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// Zoom's error code, if Zoom sent one.
    pub fn zoom_code(&self) -> Option<i64> {
        match self {
            Error::Api(e) => e.code,
            Error::RateLimited(_) => Some(429),
            Error::Auth(AuthError::TokenRejected { code, .. }) => Some(*code),
            _ => None,
        }
    }

    /// The `x-zm-trackingid` of the response, if there was one.
    pub fn tracking_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.tracking_id.as_deref(),
            Error::RateLimited(r) => r.tracking_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the response, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited(_) => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Decode(d) => d.status,
            _ => None,
        }
    }
}

/// Tracking id and headers of a successful response.
pub trait ResponseExt {
    /// The `x-zm-trackingid` header, if present.
    fn tracking_id(&self) -> Option<&str>;
}

impl<T> ResponseExt for crate::ResponseValue<T> {
    fn tracking_id(&self) -> Option<&str> {
        tracking_id(self.headers())
    }
}

pub(crate) fn tracking_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(TRACKING_ID_HEADER).and_then(|v| v.to_str().ok())
}

/// At most 200 characters of a body, lossily decoded.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(800)]);
    text.chars().take(200).collect()
}

/// The typed error a carrier response carries.
#[derive(Clone)]
pub(crate) struct Carried(Arc<Mutex<Option<Error>>>);

impl Carried {
    pub(crate) fn new(error: Error) -> Self {
        Carried(Arc::new(Mutex::new(Some(error))))
    }
}

/// Wrap `error` in a carrier response (see the module docs).
pub(crate) fn carrier_response(error: Error) -> reqwest::Response {
    let mut response = http::Response::new(reqwest::Body::from(Vec::<u8>::new()));
    *response.status_mut() = StatusCode::from_u16(CARRIER_STATUS).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.extensions_mut().insert(Carried::new(error));
    reqwest::Response::from(response)
}

fn take_carried(response: &reqwest::Response) -> Option<Error> {
    let carried = response.extensions().get::<Carried>()?;
    carried.0.lock().ok()?.take()
}

/// Build the typed error for an error response from its parts.
pub(crate) fn api_error(
    operation: Option<&'static str>,
    status: StatusCode,
    headers: &HeaderMap,
    body: Option<&ZoomError>,
    raw: &[u8],
) -> Error {
    let tracking = tracking_id(headers).map(str::to_owned);
    let (code, message, errors) = match body {
        Some(b) => (
            Some(b.code),
            b.message.clone(),
            b.errors.iter().map(|e| FieldError { field: e.field.clone(), message: e.message.clone() }).collect(),
        ),
        None => (None, snippet(raw), Vec::new()),
    };
    Error::Api(Box::new(ApiError { operation, status, code, message, errors, tracking_id: tracking }))
}

impl From<progenitor_client::Error<ZoomError>> for Error {
    fn from(error: progenitor_client::Error<ZoomError>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::UnexpectedResponse(response) => match take_carried(&response) {
                Some(error) => error,
                None => {
                    api_error(None, response.status(), response.headers(), None, b"response not declared by the spec")
                }
            },
            P::ErrorResponse(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                let body = value.into_inner();
                let operation = headers
                    .get(OPERATION_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::metadata::Operation::from_operation_id)
                    .map(crate::metadata::Operation::operation_id);
                if status == StatusCode::TOO_MANY_REQUESTS {
                    Error::RateLimited(Box::new(crate::retry::parse_rate_limited(
                        operation,
                        &headers,
                        &body.message,
                        Utc::now(),
                    )))
                } else {
                    api_error(operation, status, &headers, Some(&body), b"")
                }
            }
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
                Error::Transport { operation: None, source: e }
            }
            P::InvalidResponsePayload(bytes, e) => {
                let (operation, status) = crate::decode::recall(&bytes).unzip();
                Error::Decode(Box::new(DecodeError {
                    operation,
                    status,
                    snippet: snippet(&bytes),
                    reason: e.to_string(),
                }))
            }
            P::InvalidRequest(s) | P::Custom(s) => Error::InvalidRequest(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_round_trips_the_typed_error() {
        let response = carrier_response(Error::Timeout { operation: "get_plan_usage", after: Duration::from_secs(3) });
        let error: Error = progenitor_client::Error::<ZoomError>::UnexpectedResponse(response).into();
        assert!(matches!(error, Error::Timeout { operation: "get_plan_usage", .. }), "{error:?}");
        assert!(error.is_retryable());
    }

    #[test]
    fn snippet_is_bounded_and_lossy() {
        let body = [b'x'; 5000];
        assert_eq!(snippet(&body).len(), 200);
        assert_eq!(snippet(&[0xff, b'a']), "\u{fffd}a");
    }
}
