//! progenitor's hooks, the one place the generated code calls into the
//! runtime, for one attempt of one call.
//!
//! The call pipeline ([`crate::call`]) runs each attempt inside an
//! [`Attempt`] scope (a task-local). `pre` then gets the access token, takes
//! the operation's turn (pacing and the daily budget, which need the
//! request's `accountId`) and charges the budget unit; `exec` sends the request,
//! notes what Zoom answered and puts a size cap (or, for downloads, an idle
//! timeout) on the body. Whatever `pre` refuses is left in the scope for the
//! pipeline as a typed error: nothing typed travels through progenitor's
//! error type.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, Error as GenError, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Response, ResponseBuilderExt, StatusCode};
use tokio::time::Instant;

use crate::body::{Capped, IdleTimeout};
use crate::error::AuthError;
use crate::error::Error;
use crate::generated::client::Client as RawClient;
use crate::metadata::{Operation, ResponseKind};
use crate::pacing::Ticket;
use crate::state::{ClientState, Runtime};

tokio::task_local! {
    static ATTEMPT: Arc<Attempt>;
}

/// Run `f` on the current task's attempt, if an attempt's scope is set.
fn with_attempt<R>(f: impl FnOnce(&Attempt) -> R) -> Option<R> {
    ATTEMPT.try_with(|attempt| f(attempt)).ok()
}

/// One attempt of one call, shared by the pipeline and the hooks (which
/// reach it through the task-local during the attempt). No lock on it is
/// held across an `.await`.
pub(crate) struct Attempt {
    operation: Operation,
    max_wait: Option<Duration>,
    /// The call's span (a clone of the pipeline's): cheaper than asking
    /// tracing for the current one on every call.
    span: tracing::Span,
    /// When the request was handed to the connection: the attempt's timeout
    /// runs from here (pacing waits do not count).
    sent_at: OnceLock<Instant>,
    state: Mutex<AttemptState>,
}

/// What the hooks leave for the pipeline.
#[derive(Default)]
pub(crate) struct AttemptState {
    /// Why `pre` refused to send.
    pub(crate) stop: Option<Error>,
    /// The turn taken; dropped with the attempt, it gives back what was not used.
    pub(crate) ticket: Option<Ticket>,
    /// The token the request carried.
    pub(crate) token: Option<crate::auth::Token>,
    /// The `accountId` of the request path.
    pub(crate) account_id: Option<String>,
    /// Status of Zoom's answer, with its headers when it was not a success.
    pub(crate) answer: Option<(StatusCode, HeaderMap)>,
    /// Zoom's tracking id, kept only for a call observer.
    pub(crate) tracking_id: Option<String>,
    /// How long the attempt waited for its pacing turn.
    pub(crate) pacing_wait: Duration,
}

impl Attempt {
    pub(crate) fn new(operation: Operation, max_wait: Option<Duration>, span: &tracing::Span) -> Arc<Self> {
        Arc::new(Attempt {
            operation,
            max_wait,
            span: span.clone(),
            sent_at: OnceLock::new(),
            state: Mutex::new(AttemptState::default()),
        })
    }

    /// Run `future` (which polls progenitor's `send()`) as this attempt.
    pub(crate) fn scope<F: Future>(self: &Arc<Self>, future: F) -> impl Future<Output = F::Output> {
        ATTEMPT.scope(Arc::clone(self), future)
    }

    /// When the current task's attempt sent its request, if it did.
    pub(crate) fn current_sent_at() -> Option<Instant> {
        with_attempt(|attempt| attempt.sent_at()).flatten()
    }

    pub(crate) fn sent_at(&self) -> Option<Instant> {
        self.sent_at.get().copied()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, AttemptState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ClientHooks<ClientState> for RawClient {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), GenError<E>> {
        let Some((operation, max_wait, span_enabled)) =
            with_attempt(|attempt| (attempt.operation, attempt.max_wait, !attempt.span.is_disabled()))
        else {
            return Ok(());
        };
        match prepare(&self.inner().0, operation, max_wait, span_enabled, request).await {
            Ok(prepared) => {
                let _ = with_attempt(|attempt| {
                    let mut state = attempt.state();
                    state.ticket = prepared.ticket;
                    state.token = Some(prepared.token);
                    state.account_id = prepared.account_id;
                    state.pacing_wait = prepared.pacing_wait;
                    let _ = attempt.sent_at.set(prepared.sent_at);
                });
                Ok(())
            }
            Err(error) => {
                let _ = with_attempt(|attempt| attempt.state().stop = Some(error));
                // Never shown: the pipeline returns the typed error it finds in the attempt.
                Err(GenError::Custom("the runtime did not send the request".into()))
            }
        }
    }

    async fn exec(&self, request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        let sending = with_attempt(|attempt| {
            if let Some(ticket) = attempt.state().ticket.as_mut() {
                ticket.sent();
            }
            attempt.operation
        });
        let Some(operation) = sending else {
            return self.client().execute(request).await;
        };
        let response = self.client().execute(request).await?;
        let status = response.status();
        let runtime = &self.inner().0;
        let _ = with_attempt(|attempt| {
            // Bounded where it is read; scrubbed of the token before a log or an observer
            // keeps it (only when one listens: this runs on every call).
            let listening =
                runtime.observer.is_some() || !attempt.span.is_disabled() || tracing::enabled!(tracing::Level::DEBUG);
            let tracking_id = crate::classify::tracking_id(response.headers()).filter(|_| listening).map(|id| {
                let state = attempt.state();
                let token = state.token.as_ref().map(|t| secrecy::ExposeSecret::expose_secret(t.secret()).to_owned());
                crate::redact::Redactor::new(token).scrub(id)
            });
            crate::observe::record_response(&attempt.span, status.as_u16(), tracking_id.as_deref());
            // Headers are kept for error answers only (their body may not decode); a success needs none.
            let headers = if status.is_success() { HeaderMap::new() } else { response.headers().clone() };
            let tracking_id = tracking_id.filter(|_| runtime.observer.is_some());
            let mut state = attempt.state();
            state.answer = Some((status, headers));
            state.tracking_id = tracking_id;
        });
        let limits = &runtime.limits;
        let kind = operation.meta().response;
        if let Some(drift) = &runtime.drift
            && status.is_success()
            && kind == ResponseKind::Json
        {
            // Observation needs the bytes: read them here (capped), then hand them on.
            let max = limits.max_body_size;
            let response = rewrap(response, |body| reqwest::Body::wrap(Capped::new(body, max)));
            let url = response.url().clone();
            let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
            // A body that fails (too large, broken) fails the attempt here; the pipeline
            // classifies it like a body error.
            let bytes = http_body_util::BodyExt::collect(body).await?.to_bytes();
            drift.observe(operation, &bytes);
            return Ok(reassemble(parts, url, reqwest::Body::from(bytes)));
        }
        if status.is_success() && kind == ResponseKind::Binary {
            let idle = limits.idle_timeout;
            return Ok(rewrap(response, |body| reqwest::Body::wrap(IdleTimeout::new(body, idle))));
        }
        // The size is exact only when the body has a `Content-Length` (never for a body reqwest
        // decompresses), and hyper then reads no more than that: such a body within the cap
        // needs no counting wrapper, which saves rebuilding the response on every call.
        if response.content_length().is_some_and(|length| length <= limits.max_body_size) {
            return Ok(response);
        }
        let max = limits.max_body_size;
        Ok(rewrap(response, |body| reqwest::Body::wrap(Capped::new(body, max))))
    }
}

/// The redirect policy of the HTTP client the builder makes. A 301, 302 or 303
/// turns the request that follows it into a GET: for an operation that is not a
/// GET (one that creates, changes or deletes), the GET's answer would pass for
/// the operation's, an invented success. Those redirects are not followed: the
/// call fails with the redirect's status and where it pointed. Everything else
/// follows as reqwest's default does: at most 10 hops, and the token is not sent
/// to another host. Decided per attempt: the policy runs inside the attempt's poll,
/// where its scope names the operation.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let to_get = matches!(attempt.status().as_u16(), 301..=303);
        let is_get = with_attempt(|a| a.operation.meta().method.eq_ignore_ascii_case("get")).unwrap_or(true);
        if to_get && !is_get {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// What `pre` got for the attempt.
struct Prepared {
    /// `None` when the pacer keeps nothing for the operation.
    ticket: Option<Ticket>,
    token: crate::auth::Token,
    account_id: Option<String>,
    pacing_wait: Duration,
    sent_at: Instant,
}

/// Get the token, take the turn and the budget unit, then authorise the request.
async fn prepare(
    runtime: &Runtime,
    operation: Operation,
    max_wait: Option<Duration>,
    span_enabled: bool,
    request: &mut reqwest::Request,
) -> Result<Prepared, Error> {
    let meta = operation.meta();
    // Without pacing, budgets or a span to record it in, nothing needs the account id:
    // the hot path of an unpaced client skips finding it.
    let paced = runtime.pacer.uses_account_id(operation);
    let account_id = if paced || span_enabled {
        let path = request.url().path();
        let path = path.strip_prefix(runtime.base_path.as_str()).unwrap_or(path);
        path_param(meta.path, path, "accountId")
    } else {
        None
    };
    if span_enabled && let Some(id) = &account_id {
        let _ = with_attempt(|attempt| {
            attempt.span.record("account_id", id.as_str());
        });
    }
    // The token first: a renewal (with a shared token, a short hold before the switch) then
    // delays the reservation, not a send whose turn has started.
    let mut token = runtime.auth.access_token().await.map_err(|source| no_token(operation, source))?;
    // Timed only when the turn may have to wait (never when nothing paces the operation).
    let fetched = (paced && runtime.pacer.may_wait(operation)).then(Instant::now);
    // Dropped on any early return or cancellation: the turn is given back.
    let mut ticket = runtime.pacer.reserve(operation, account_id.as_deref(), max_wait).await?;
    let mut pacing_wait = Duration::ZERO;
    if let Some(ticket) = &mut ticket {
        ticket.wait().await;
        pacing_wait = fetched.map(|at| at.elapsed()).unwrap_or_default();
        // Charged just before sending; with a shared store it may wait for a strict interval.
        ticket.charge().await?;
    }
    let mut sent_at = Instant::now();
    if fetched.is_some_and(|at| sent_at - at >= Duration::from_millis(1)) {
        // The token may have been renewed meanwhile (a cache hit otherwise).
        token = runtime.auth.access_token().await.map_err(|source| no_token(operation, source))?;
        sent_at = Instant::now();
    }
    let value = token.header().ok_or(Error::Auth { operation, source: AuthError::InvalidToken })?;
    request.headers_mut().insert(AUTHORIZATION, value.clone());
    Ok(Prepared { ticket, token, account_id, pacing_wait, sent_at })
}

/// Why no token could be had: a shared store that failed is the same
/// [`Error::SharedState`] whether the token or the turn needed it.
fn no_token(operation: Operation, source: AuthError) -> Error {
    match source {
        AuthError::SharedState(source) => Error::SharedState { operation, source },
        source => Error::Auth { operation, source },
    }
}

/// The same response with its body wrapped. Headers and extensions move;
/// the URL is kept (without it reqwest parses a placeholder URL each time).
fn rewrap(response: Response, wrap: impl FnOnce(reqwest::Body) -> reqwest::Body) -> Response {
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    reassemble(parts, url, wrap(body))
}

/// A response from its parts and a body, with its URL.
fn reassemble(mut parts: http::response::Parts, url: reqwest::Url, body: reqwest::Body) -> Response {
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    Response::from(http::Response::from_parts(parts, body))
}

/// The value of `{name}` in `path`, matched against `template`.
fn path_param(template: &str, path: &str, name: &str) -> Option<String> {
    let is_wanted = |segment: &str| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) == Some(name);
    let index = template.trim_matches('/').split('/').position(is_wanted)?;
    path.trim_matches('/').split('/').nth(index).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_comes_from_the_path() {
        let t = "/accounts/{accountId}/billing/invoices/{invoiceId}";
        assert_eq!(path_param(t, "/accounts/sub-1/billing/invoices/x", "accountId").as_deref(), Some("sub-1"));
        assert_eq!(path_param("/accounts/billing/renewals", "/accounts/billing/renewals", "accountId"), None);
        assert_eq!(path_param("/accounts/{accountIds}/x", "/accounts/a/x", "accountId"), None);
    }
}
