//! The generated client's hooks: every request passes through here.
//!
//! `pre` removes progenitor's `api-version` header. `exec` runs the whole
//! call: pacing and budgets, the access token, the attempt with its timeout,
//! classification of the answer, retries, token renewal on 401 code 124,
//! and the read of JSON bodies (decoded once, by the generated code). Outcomes progenitor's error type
//! cannot express travel back as carrier responses (see [`crate::error`]).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use progenitor_client::{ClientHooks, ClientInfo, Error as GenError, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Response, ResponseBuilderExt, StatusCode};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::{Instrument, Span};

use crate::auth::AuthError;
use crate::error::{Carried, DecodeError, OPERATION_HEADER, api_error, carrier_response, snippet, tracking_id};
use crate::metadata::Operation;
use crate::retry::{parse_rate_limited, retryable_status, until};
use crate::state::Runtime;
use crate::types::ZoomError;
use crate::{Client, ClientState, Error, RateLimitKind, decode, observe};

/// Error bodies larger than this are cut (they are never that large).
const MAX_ERROR_BODY: usize = 256 * 1024;

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), GenError<E>> {
        // progenitor sends the spec's `info.version` as `api-version`; Zoom
        // does not use that header.
        request.headers_mut().remove("api-version");
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let runtime = &self.inner().inner;
        let Some(operation) = Operation::from_operation_id(info.operation_id) else {
            return self.client().execute(request).await;
        };
        // Boxed: the whole call (retries, pacing, timeouts) is a state machine of some 4 KiB,
        // which would otherwise be moved with every future that holds a `send()`.
        match Box::pin(runtime.execute(self.client(), operation, request)).await {
            Ok(response) => Ok(response),
            Err(error) => Ok(carrier_response(error)),
        }
    }
}

/// What a successful response carries.
enum BodyKind {
    /// JSON, decoded by the generated code into the operation's response type.
    Json,
    /// Nothing (204).
    Empty,
    /// Bytes streamed to the caller.
    Binary,
}

/// The success body of each operation; exhaustive, so a new operation in the
/// spec does not compile until it is listed. The JSON ones name their
/// response type, for the reader.
fn body_kind(operation: Operation) -> BodyKind {
    use Operation as O;
    match operation {
        O::ListInvoiceReports // InvoiceReportList
        | O::GenerateInvoiceReport // InvoiceReport
        | O::ListUpcomingRenewals // RenewalList
        | O::GetBillingInformation // BillingContact
        | O::ListBillingInvoices // InvoiceList
        | O::GetInvoiceDetails // InvoiceDetails
        | O::GetAccountPlans // AccountPlans
        | O::SubscribePlan // SubscribedPlans
        | O::SubscribeAddonPlan // SubscribedPlans
        | O::GetPlanUsage => BodyKind::Json, // PlanUsage
        O::DownloadInvoiceReport | O::DownloadInvoicePdf | O::DownloadInvoiceFile => BodyKind::Binary,
        O::DeleteInvoiceReport
        | O::UpdateBillingInformation
        | O::UpdateAddonPlan
        | O::CancelAddonPlans
        | O::UpdateBasePlan
        | O::CancelBasePlan => BodyKind::Empty,
    }
}

/// How to find out whether a creating request took effect.
fn how_to_check(operation: Operation) -> &'static str {
    match operation {
        Operation::GenerateInvoiceReport => {
            "List the invoice reports (list_invoice_reports) and look for one with the same dates before generating again"
        }
        Operation::SubscribePlan => {
            "Get the account's plans (get_account_plans) to see whether the plan is subscribed before trying again"
        }
        Operation::SubscribeAddonPlan => {
            "Get the account's plans (get_account_plans) to see whether the add-on is subscribed before trying again"
        }
        _ => "Read the resource back to see whether the change was applied before trying again",
    }
}

/// Why an attempt failed, as far as retrying is concerned.
enum Failure {
    /// The request surely did not reach Zoom (connect failure).
    NotSent(reqwest::Error),
    /// Zoom refused it with a per-second 429: it had no effect.
    Throttled(Box<crate::RateLimited>),
    /// No answer in time after sending.
    Timeout,
    /// The connection broke after sending.
    Broken(reqwest::Error),
    /// A 5xx or 408 answer.
    Status { status: StatusCode, headers: HeaderMap, body: Bytes },
}

impl Failure {
    fn surely_not_applied(&self) -> bool {
        matches!(self, Failure::NotSent(_) | Failure::Throttled(_))
    }

    fn describe(&self) -> String {
        match self {
            Failure::NotSent(e) => format!("connection failed: {e}"),
            Failure::Throttled(_) => "rate limited".into(),
            Failure::Timeout => "no response in time after the request was sent".into(),
            Failure::Broken(e) => format!("the connection broke after the request was sent: {e}"),
            Failure::Status { status, .. } => format!("Zoom answered HTTP {}", status.as_u16()),
        }
    }

    fn into_error(self, operation: &'static str, timeout: Duration) -> Error {
        match self {
            Failure::NotSent(e) | Failure::Broken(e) => {
                if e.is_timeout() {
                    Error::Timeout { operation, after: timeout }
                } else {
                    Error::Transport { operation: Some(operation), source: e.without_url() }
                }
            }
            Failure::Throttled(r) => Error::RateLimited(r),
            Failure::Timeout => Error::Timeout { operation, after: timeout },
            Failure::Status { status, headers, body } => {
                let zoom = serde_json::from_slice::<ZoomError>(&body).ok();
                api_error(Some(operation), status, &headers, zoom.as_ref(), &body)
            }
        }
    }
}

/// A response as parts (headers and extensions move, nothing is copied), its URL and its body.
fn split(response: Response) -> (http::response::Parts, reqwest::Url, reqwest::Body) {
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    (parts, url, body)
}

/// Read an error body, at most `limit` bytes.
async fn read_error_body(mut body: reqwest::Body, limit: usize) -> Result<Bytes, reqwest::Error> {
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            buf.extend_from_slice(&data);
            if buf.len() >= limit {
                buf.truncate(limit);
                break;
            }
        }
    }
    Ok(buf.freeze())
}

/// A response from its parts and an already-read body. It keeps the original
/// URL: without one, reqwest parses a placeholder URL for every rebuilt
/// response, a cost the benchmarks showed on small bodies.
fn reassemble(mut parts: http::response::Parts, url: reqwest::Url, body: Bytes, carried: Option<Error>) -> Response {
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    if let Some(error) = carried {
        parts.extensions.insert(Carried::new(error));
    }
    Response::from(http::Response::from_parts(parts, reqwest::Body::from(body)))
}

/// The value of `{name}` in `path`, matched against `template`.
fn path_param(template: &str, path: &str, name: &str) -> Option<String> {
    let wanted = format!("{{{name}}}");
    let index = template.trim_matches('/').split('/').position(|s| s == wanted)?;
    path.trim_matches('/').split('/').nth(index).map(str::to_owned)
}

impl Runtime {
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        operation: Operation,
        request: reqwest::Request,
    ) -> Result<Response, Error> {
        let meta = operation.meta();
        let path = request.url().path();
        let path = path.strip_prefix(self.base_path.as_str()).unwrap_or(path);
        let account_id = path_param(meta.path, path, "accountId");
        let span = observe::call_span(meta.operation_id, account_id.as_deref());
        let started = Instant::now();
        let result =
            self.attempts(http, operation, account_id.as_deref(), request, &span).instrument(span.clone()).await;
        let outcome = match &result {
            Ok(r) if r.status().as_u16() == crate::error::CARRIER_STATUS => "error",
            Ok(r) if r.status().is_success() => "ok",
            Ok(_) => "error response",
            Err(_) => "error",
        };
        span.in_scope(|| observe::record_done(&span, started.elapsed(), outcome));
        result
    }

    async fn attempts(
        &self,
        http: &reqwest::Client,
        operation: Operation,
        account_id: Option<&str>,
        request: reqwest::Request,
        span: &Span,
    ) -> Result<Response, Error> {
        let meta = operation.meta();
        let op_id = meta.operation_id;
        let replayable = request.try_clone().is_some();
        let mut original = Some(request);
        let mut attempt = 0u32;
        let mut retries = 0u32;
        let mut renewed = false;
        loop {
            attempt += 1;
            observe::record_attempt(span, attempt);
            let mut request = match original.as_ref().and_then(reqwest::Request::try_clone) {
                Some(clone) => clone,
                None => {
                    original.take().ok_or_else(|| Error::InvalidRequest("the request cannot be replayed".into()))?
                }
            };
            self.pacer.acquire(operation, account_id).await?;
            let token = self.auth.access_token().await?;
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| AuthError::InvalidToken)?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);

            let deadline = Instant::now() + self.timeout;
            let failure = match tokio::time::timeout_at(deadline, http.execute(request)).await {
                Err(_) => Failure::Timeout,
                Ok(Err(e)) if e.is_connect() => Failure::NotSent(e),
                Ok(Err(e)) if e.is_timeout() => Failure::Timeout,
                Ok(Err(e)) => Failure::Broken(e),
                Ok(Ok(response)) => {
                    let status = response.status();
                    observe::record_response(span, status.as_u16(), tracking_id(response.headers()));
                    if status.is_success() {
                        match self.success(operation, response, deadline).await {
                            Ok(result) => return result,
                            Err(failure) => failure,
                        }
                    } else {
                        let (parts, url, body) = split(response);
                        match tokio::time::timeout_at(deadline, read_error_body(body, MAX_ERROR_BODY)).await {
                            Err(_) => Failure::Timeout,
                            Ok(Err(e)) => Failure::Broken(e),
                            Ok(Ok(body)) => {
                                match self.error_status(operation, account_id, Answer { parts, url, body }, renewed) {
                                    Verdict::Return(result) => return result,
                                    Verdict::Renew => {
                                        self.auth.invalidate(&token);
                                        renewed = true;
                                        continue;
                                    }
                                    Verdict::Retry(failure) => failure,
                                }
                            }
                        }
                    }
                }
            };

            if !meta.idempotent && !failure.surely_not_applied() {
                return Err(Error::UnknownOutcome {
                    operation: op_id,
                    cause: failure.describe(),
                    how_to_check: how_to_check(operation),
                });
            }
            if retries >= self.retry.max_retries || !replayable {
                return Err(failure.into_error(op_id, self.timeout));
            }
            retries += 1;
            let now = self.pacer.clock().now();
            let server_wait = match &failure {
                Failure::Throttled(r) => r.reset_at.map(|at| until(at, now)),
                Failure::Status { headers, .. } => headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| crate::retry::parse_retry_after(v, now))
                    .map(|at| until(at, now)),
                _ => None,
            };
            let delay = match server_wait {
                Some(wait) if wait > self.retry.max_retry_after => {
                    return Err(failure.into_error(op_id, self.timeout));
                }
                Some(wait) => wait,
                None => self.retry.backoff(retries),
            };
            observe::record_retry(span, attempt, delay, &failure.describe());
            tokio::time::sleep(delay).await;
        }
    }

    /// A 2xx answer: check JSON bodies, stream binary ones.
    async fn success(
        &self,
        operation: Operation,
        response: Response,
        deadline: Instant,
    ) -> Result<Result<Response, Error>, Failure> {
        match body_kind(operation) {
            BodyKind::Json => {}
            BodyKind::Empty | BodyKind::Binary => return Ok(Ok(response)),
        }
        let status = response.status();
        // The body is collected without a copy when it came in one piece.
        let (parts, url, body) = split(response);
        let body = match tokio::time::timeout_at(deadline, body.collect()).await {
            Err(_) => return Err(Failure::Timeout),
            Ok(Err(e)) => return Err(Failure::Broken(e)),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        // The body is read here, not by the generated code, so that a
        // connection that breaks mid-body is retried like any other. It is
        // decoded once, by the generated code; see `crate::decode`.
        if let Some(reason) = decode::plainly_not_json(&body) {
            return Ok(Err(Error::Decode(Box::new(DecodeError {
                operation: Some(operation.operation_id()),
                status: Some(status),
                snippet: snippet(&body),
                reason: reason.to_owned(),
            }))));
        }
        decode::remember(&body, operation.operation_id(), status);
        Ok(Ok(reassemble(parts, url, body, None)))
    }

    /// A non-2xx answer.
    fn error_status(&self, operation: Operation, account_id: Option<&str>, answer: Answer, renewed: bool) -> Verdict {
        let Answer { mut parts, url, body } = answer;
        let status = parts.status;
        let op_id = operation.operation_id();
        let zoom = serde_json::from_slice::<ZoomError>(&body).ok();
        match status.as_u16() {
            401 if zoom.as_ref().is_some_and(|z| z.code == 124) => {
                if !renewed && self.auth.can_renew() {
                    return Verdict::Renew;
                }
                let message = zoom.map(|z| z.message).unwrap_or_default();
                let hint = if self.auth.can_renew() {
                    "A freshly issued token was rejected too: check the app's scopes and that it is activated"
                } else {
                    "The fixed access token is invalid or expired: supply a new one, or use Server-to-Server OAuth credentials"
                };
                Verdict::Return(Err(AuthError::TokenRejected { code: 124, message, hint }.into()))
            }
            429 => {
                let message = zoom.map(|z| z.message).unwrap_or_else(|| snippet(&body));
                let limited = parse_rate_limited(Some(op_id), &parts.headers, &message, self.pacer.clock().now());
                if limited.kind == RateLimitKind::Daily {
                    if let Some(reset) = limited.reset_at {
                        self.pacer.block_until(operation, account_id, reset);
                    }
                    return Verdict::Return(Err(Error::RateLimited(Box::new(limited))));
                }
                Verdict::Retry(Failure::Throttled(Box::new(limited)))
            }
            s if retryable_status(s) => Verdict::Retry(Failure::Status { status, headers: parts.headers, body }),
            _ => {
                // A final error answer goes back to the generated code as it
                // came (so `send()` gives `ErrorResponse` with the Zoom
                // body), carrying the typed error for statuses the spec does
                // not declare, and the operation id for the conversion.
                let typed = api_error(Some(op_id), status, &parts.headers, zoom.as_ref(), &body);
                if zoom.is_none() {
                    return Verdict::Return(Err(typed));
                }
                parts.headers.insert(OPERATION_HEADER, HeaderValue::from_static(op_id));
                Verdict::Return(Ok(reassemble(parts, url, body, Some(typed))))
            }
        }
    }
}

/// A non-2xx answer with its body read.
struct Answer {
    parts: http::response::Parts,
    url: reqwest::Url,
    body: Bytes,
}

enum Verdict {
    Return(Result<Response, Error>),
    Renew,
    Retry(Failure),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_comes_from_the_path() {
        let t = "/accounts/{accountId}/billing/invoices/{invoiceId}";
        assert_eq!(path_param(t, "/accounts/sub-1/billing/invoices/x", "accountId").as_deref(), Some("sub-1"));
        assert_eq!(path_param("/accounts/billing/renewals", "/accounts/billing/renewals", "accountId"), None);
    }

    #[test]
    fn every_operation_has_a_body_kind_and_creating_ones_say_how_to_check() {
        for op in Operation::ALL {
            let _ = body_kind(op);
            if !op.meta().idempotent {
                assert!(!how_to_check(op).starts_with("Read the resource"), "{op:?}");
            }
        }
    }
}
