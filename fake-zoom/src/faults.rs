//! Faults: answers the fake gives instead of (or before) the normal one, aimed at an
//! operation (and an account), a method, or explicitly at a path fragment.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde_json::{Value, json};

/// What a fault does instead of (or before) the normal answer.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer this status, body (sent byte for byte, as `application/json`) and headers.
    Respond {
        /// HTTP status.
        status: u16,
        /// Body bytes.
        body: Bytes,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Reset,
    /// Answer 200 with this raw body as `application/json`.
    RawJson(Bytes),
    /// Announce the full body, send this many bytes, then break the connection.
    BreakBodyAfter(u64),
    /// Reject the page token as expired (400, Zoom code 300).
    ExpirePageToken,
}

/// A fault for the next `times` requests that match.
///
/// By default a fault matches any request (the token endpoint included); aim it with
/// [`Fault::operation`] (and [`Fault::account`]), [`Fault::on`] a method, or
/// [`Fault::path_contains`].
#[derive(Clone, Debug)]
pub struct Fault {
    method: Option<Method>,
    operation: Option<String>,
    account: Option<String>,
    path_contains: Option<String>,
    pub(crate) times: usize,
    pub(crate) kind: FaultKind,
}

/// A fault aimed at an operation the fake's spec does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the spec has no operation `{}` (faults are aimed by operationId, e.g. `list_billing_invoices`)",
            self.0
        )
    }
}

impl std::error::Error for UnknownOperation {}

impl Fault {
    /// A fault of this kind, for the next request of any route.
    pub fn new(kind: FaultKind) -> Self {
        Fault { method: None, operation: None, account: None, path_contains: None, times: 1, kind }
    }

    /// Answer `status` with a Zoom error body (`code` the status, `message`).
    pub fn status(status: u16) -> Self {
        let body = json!({"code": status, "message": format!("Injected HTTP {status}.")});
        Self::body(status, &body.to_string())
    }

    /// Answer `status` with exactly this body text, as `application/json`: `2039.10` stays
    /// `2039.10` (which a `serde_json::Value` would turn into `2039.1`).
    pub fn body(status: u16, text: &str) -> Self {
        Self::new(FaultKind::Respond { status, body: Bytes::copy_from_slice(text.as_bytes()), headers: vec![] })
    }

    /// Answer `status` with this JSON body (numbers as serde_json writes them; see [`Fault::body`]).
    pub fn json(status: u16, body: Value) -> Self {
        Self::body(status, &body.to_string())
    }

    /// A per-second 429 with these headers (e.g. `Retry-After` in any form).
    pub fn qps_limit(headers: &[(&str, &str)]) -> Self {
        let body = json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."});
        let mut fault = Self::json(429, body).header("X-RateLimit-Type", "QPS");
        for (k, v) in headers {
            fault = fault.header(k, v);
        }
        fault
    }

    /// A daily-limit 429 whose `Retry-After` is `retry_after` (ISO-8601).
    pub fn daily_limit(retry_after: &str) -> Self {
        let body = json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."});
        Self::json(429, body)
            .header("X-RateLimit-Type", "Daily-limit")
            .header("X-RateLimit-Category", "Heavy")
            .header("X-RateLimit-Remaining", "0")
            .header("Retry-After", retry_after)
    }

    /// Answer normally after `delay` (tokio's clock).
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultKind::Delay(delay))
    }

    /// Close the connection without answering.
    pub fn reset() -> Self {
        Self::new(FaultKind::Reset)
    }

    /// Cut a download off: announce the full length, send `bytes`, then break the connection.
    pub fn cut_off_after(bytes: u64) -> Self {
        Self::new(FaultKind::BreakBodyAfter(bytes))
    }

    /// Add a header to the answer ([`FaultKind::Respond`] only; other kinds ignore it).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let FaultKind::Respond { headers, .. } = &mut self.kind {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Only requests of this operation (its operationId, e.g. `list_billing_invoices`).
    /// [`crate::FakeZoom::inject`] refuses an id the spec does not have.
    pub fn operation(mut self, operation_id: &str) -> Self {
        self.operation = Some(operation_id.to_owned());
        self
    }

    /// Only requests whose `accountId` path parameter is `account_id`.
    pub fn account(mut self, account_id: &str) -> Self {
        self.account = Some(account_id.to_owned());
        self
    }

    /// Only requests with this method.
    pub fn on(mut self, method: &str) -> Self {
        self.method = Method::from_bytes(method.as_bytes()).ok();
        self
    }

    /// Only requests whose path contains `fragment` (the token endpoint's `/oauth/token`
    /// included). Broad by design: `/billing/invoices` also matches invoice details; prefer
    /// [`Fault::operation`].
    pub fn path_contains(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.to_owned());
        self
    }

    /// Apply to this many matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// The operationId this fault is aimed at, if any.
    pub(crate) fn operation_id(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    pub(crate) fn matches(&self, method: &Method, path: &str, operation: Option<&str>, account: Option<&str>) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self.path_contains.as_ref().is_none_or(|p| path.contains(p))
            && self.operation.as_deref().is_none_or(|o| operation == Some(o))
            && self.account.as_deref().is_none_or(|a| account == Some(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aimed_fault_matches_its_operation_and_account_only() {
        let fault = Fault::status(503).operation("list_billing_invoices").account("sub-1");
        let get = Method::GET;
        assert!(fault.matches(
            &get,
            "/v2/accounts/sub-1/billing/invoices",
            Some("list_billing_invoices"),
            Some("sub-1")
        ));
        assert!(!fault.matches(
            &get,
            "/v2/accounts/sub-1/billing/invoices/i",
            Some("get_invoice_details"),
            Some("sub-1")
        ));
        assert!(!fault.matches(
            &get,
            "/v2/accounts/sub-2/billing/invoices",
            Some("list_billing_invoices"),
            Some("sub-2")
        ));
        assert!(Fault::reset().matches(&get, "/oauth/token", None, None));
    }

    #[test]
    fn an_exact_body_keeps_its_text() {
        let FaultKind::Respond { body, headers, .. } =
            Fault::body(200, r#"{"total_amount": 2039.10}"#).header("X-A", "1").kind
        else {
            unreachable!("body() responds")
        };
        assert_eq!((&body[..], headers.len()), (&br#"{"total_amount": 2039.10}"#[..], 1));
    }
}
