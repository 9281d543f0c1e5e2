//! Tracing: one span per call.
//!
//! Every call runs in a `zoom_billing.call` span (level INFO) with the fields
//! `operation`, `account_id`, `attempt`, `status`, `tracking_id` and
//! `duration_ms`; each attempt logs a DEBUG event, each retry a WARN event
//! with its delay. Tokens, client secrets and request bodies are never
//! recorded: the `Authorization` header is marked sensitive and no field
//! holds it.

use std::time::Duration;

use tracing::Span;

/// The span of one call.
pub(crate) fn call_span(operation: &'static str, account_id: Option<&str>) -> Span {
    tracing::info_span!(
        "zoom_billing.call",
        operation,
        account_id = account_id.unwrap_or(""),
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        tracking_id = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

pub(crate) fn record_attempt(span: &Span, attempt: u32) {
    span.record("attempt", attempt);
}

pub(crate) fn record_response(span: &Span, status: u16, tracking_id: Option<&str>) {
    span.record("status", status);
    if let Some(id) = tracking_id {
        span.record("tracking_id", id);
    }
    tracing::debug!(status, tracking_id, "response");
}

pub(crate) fn record_retry(span: &Span, attempt: u32, delay: Duration, reason: &str) {
    let _ = span;
    tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, reason, "retrying");
}

pub(crate) fn record_done(span: &Span, elapsed: Duration, outcome: &str) {
    span.record("duration_ms", elapsed.as_millis() as u64);
    tracing::info!(outcome, "done");
}
