//! Tracing: one span per call, and the events inside it.
//!
//! Every call runs in a `zoom_billing.call` span (level INFO) with the fields
//! `operation`, `account_id`, `attempt`, `status`, `tracking_id`,
//! `duration_ms` and `outcome` (and OpenTelemetry's `otel.name`, `otel.kind`,
//! `http.request.method`, `url.template`); each attempt logs a DEBUG event, each retry
//! a WARN event with its delay. Tokens, client secrets and request bodies
//! are never recorded: the `Authorization` header is marked sensitive and no
//! field holds it.

use std::time::Duration;

use tracing::Span;

/// The span of one call. Besides its own fields it carries OpenTelemetry's
/// names (`otel.name`, `otel.kind`, `http.request.method`, `url.template`),
/// so a tracing-opentelemetry layer exports it as a proper client span.
/// `account_id` is the one the builder was given, for an operation that has one.
pub(crate) fn call_span(meta: &crate::metadata::OperationMeta, account_id: Option<&str>) -> Span {
    tracing::info_span!(
        "zoom_billing.call",
        operation = meta.operation_id,
        "otel.name" = meta.operation_id,
        "otel.kind" = "client",
        "http.request.method" = meta.method,
        "url.template" = meta.path,
        account_id,
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        tracking_id = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

/// Whether anything records what the span's events would say: only then is a
/// response's tracking id looked up and scrubbed (this runs on every call).
pub(crate) fn listening(span: &Span) -> bool {
    !span.is_disabled() || tracing::enabled!(tracing::Level::DEBUG)
}

/// An attempt starts (inside the call span).
pub(crate) fn record_attempt(span: &Span, attempt: u32) {
    span.record("attempt", attempt);
    tracing::debug!(attempt, "attempt");
}

/// Zoom answered an attempt (inside the call span). Nothing is looked up
/// when no subscriber listens: this runs on every call.
/// `tracking_id` is the response's, bounded and scrubbed (`None` when no one listens).
pub(crate) fn record_response(span: &Span, status: u16, tracking_id: Option<&str>) {
    if !span.is_disabled() {
        span.record("status", status);
        if let Some(id) = tracking_id {
            span.record("tracking_id", id);
        }
    }
    tracing::debug!(status, tracking_id, "response");
}

/// A retry is planned (inside the call span).
pub(crate) fn record_retry(attempt: u32, delay: Duration, reason: &str) {
    tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, reason, "retrying");
}

/// The call succeeded.
pub(crate) fn record_ok(span: &Span, elapsed: Option<Duration>) {
    if let Some(elapsed) = elapsed {
        span.record("duration_ms", elapsed.as_millis() as u64);
    }
    span.record("outcome", "ok");
    span.in_scope(|| tracing::info!(outcome = "ok", "done"));
}

/// The call ended.
pub(crate) fn record_done(span: &Span, elapsed: Option<Duration>, error: Option<&crate::Error>) {
    let Some(e) = error else { return record_ok(span, elapsed) };
    if let Some(elapsed) = elapsed {
        span.record("duration_ms", elapsed.as_millis() as u64);
    }
    span.record("outcome", "error");
    if let Some(status) = e.status() {
        span.record("status", status.as_u16());
    }
    if let Some(id) = e.tracking_id() {
        span.record("tracking_id", id);
    }
    // The whole chain: the error's own text leaves its cause (the connection's, the
    // token endpoint's) to its source.
    span.in_scope(|| tracing::info!(outcome = "error", error = %crate::human::Chain(e), "done"));
}
