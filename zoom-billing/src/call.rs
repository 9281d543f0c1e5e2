//! The call pipeline every operation's `send()` runs: for each attempt,
//! pacing and the daily budget, the token, the request with its timeout
//! (all in [`crate::hooks`]), then classification of the outcome
//! ([`crate::classify`]), token renewal on 401 code 124, and retries by the
//! [`RetryPolicy`]. The result is always this crate's [`Result`].
//!
//! Each attempt sends a clone of progenitor's request builder, so a retry
//! sends exactly what the first attempt did.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use futures::FutureExt;
use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::Instrument;

use crate::body::{self, Limit};
use crate::classify::{self, Failure, Verdict};
use crate::error::AuthError;
use crate::error::{Error, Result, UnknownOutcome};
use crate::hooks::Attempt;
use crate::metadata::Operation;
use crate::metrics::AttemptEvent;
use crate::observe;
use crate::redact::Redactor;
use crate::retry::RetryPolicy;
use crate::state::Runtime;
use crate::types::ZoomError;

/// Settings for one call that override the client's: set them with the
/// builder's `options(..)`. The pacer, the token and the connection pool
/// stay the client's.
///
/// ```no_run
/// # async fn run(client: zoom_billing::Client) -> zoom_billing::Result<()> {
/// use std::time::Duration;
/// use zoom_billing::{CallOptions, RetryPolicy};
///
/// // A health check: fail fast instead of waiting for a turn or retrying.
/// let options = CallOptions::new()
///     .with_timeout(Duration::from_secs(5))
///     .with_retry_policy(RetryPolicy::none())
///     .with_max_wait(Duration::ZERO);
/// client.get_plan_usage().account_id("me").options(options).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct CallOptions {
    /// Per-attempt timeout (else the client's).
    pub timeout: Option<Duration>,
    /// Retry policy (else the client's).
    pub retry: Option<RetryPolicy>,
    /// The longest this call may wait for its turn (else the client's
    /// [`RateLimitPolicy::max_wait`](crate::RateLimitPolicy::max_wait)).
    pub max_wait: Option<Duration>,
}

impl CallOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Per-attempt timeout for this call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Retry policy for this call.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The longest this call may wait for its turn; a later turn fails with
    /// [`Error::PacingWouldWait`] at once.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }
}

/// What progenitor's `send()` returns.
type RawResult<T> = std::result::Result<ResponseValue<T>, GenError<ZoomError>>;

/// How an attempt ended: its value, if any, was put in the pipeline's slot
/// (a typed body can be kilobytes: `PlanUsage` is 2.3 KB, and every layer
/// between progenitor and the pipeline would otherwise copy it); `None`
/// when the attempt timed out.
type Ended = Option<std::result::Result<(), GenError<ZoomError>>>;

/// A call in flight: what every builder's `send()` returns, and what
/// `.await` on a builder runs. One allocation holds the whole call (its
/// retries, pacing and timeouts), so the future itself is a pointer.
pub type CallFuture<'a, T> = Pin<Box<dyn Future<Output = Result<ResponseValue<T>>> + Send + 'a>>;

/// Run a call: `attempt` sends one clone of the request; `empty` builds the
/// value of an operation whose success has no body (any 2xx then counts).
pub(crate) fn run<'a, T, F, Fut>(
    client: &'a crate::Client,
    operation: Operation,
    options: CallOptions,
    empty: Option<fn() -> T>,
    attempt: F,
) -> CallFuture<'a, T>
where
    T: Send + 'a,
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = RawResult<T>> + Send + 'a,
{
    // Written into its allocation rather than moved into it: the pipeline's state
    // is kilobytes, of which a new call fills a few hundred bytes.
    let boxed = Box::write(Box::new_uninit(), pipeline(client.runtime(), operation, options, empty, attempt));
    Box::into_pin(boxed)
}

/// A call its builder refused (see [`crate::request`]): it fails at once and spends nothing.
pub(crate) fn refused<'a, T: Send + 'a>(operation: Operation, message: String) -> CallFuture<'a, T> {
    Box::pin(std::future::ready(Err(Error::InvalidRequest { operation, message })))
}

async fn pipeline<T, F, Fut>(
    runtime: &Runtime,
    operation: Operation,
    options: CallOptions,
    empty: Option<fn() -> T>,
    mut attempt: F,
) -> Result<ResponseValue<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RawResult<T>>,
{
    let meta = operation.meta();
    let timeout = options.timeout.unwrap_or(runtime.timeout);
    let span = observe::call_span(meta);
    // Only a span records the call's duration: no clock read without one.
    let started = (!span.is_disabled()).then(Instant::now);
    let mut calls = Calls { attempts: 0, retries: 0, renewed: false, retry: options.retry.unwrap_or(runtime.retry) };
    // The span is entered around each poll of an attempt and around the pipeline's own
    // records, as `Instrumented` would, without wrapping the loop in one more future.
    let result = loop {
        calls.attempts += 1;
        span.in_scope(|| observe::record_attempt(&span, calls.attempts));
        let scope = Attempt::new(operation, options.max_wait, &span);
        // Pinned here once and passed on by reference: progenitor's future is large, and
        // each move of it (into a scope, into a timeout) would copy it.
        let mut slot = None;
        let ended: Ended = {
            let slot = &mut slot;
            // A combinator, not an `async` block: a block would hold progenitor's future
            // twice (as its capture and as the future it awaits), 1.7 KB each.
            #[allow(clippy::result_large_err, reason = "progenitor's error, passed on as it came")]
            let future = pin!(attempt().map(|raw| raw.map(|value| *slot = Some(value))));
            let timer = pin!(None);
            scope.scope(with_deadline(&span, timeout, future, timer)).await
        };
        // A success leaves at once. Anything else is handled in a boxed future: every
        // call's state need not hold room for the failure path.
        let failure = match ended {
            Some(Ok(())) => {
                // Always filled by a successful attempt.
                let Some(value) = slot.take() else {
                    break Err(Error::InvalidRequest { operation, message: "the attempt's value was lost".into() });
                };
                if let Some(observer) = &runtime.observer {
                    let (answer, tracking_id, pacing_wait) = {
                        let mut state = scope.state();
                        (state.answer.take(), state.tracking_id.take(), state.pacing_wait)
                    };
                    let sent_at = scope.sent_at();
                    span.in_scope(|| {
                        observer.on_attempt(&AttemptEvent {
                            operation,
                            attempt: calls.attempts,
                            status: answer.map(|(status, _)| status),
                            tracking_id: tracking_id.as_deref(),
                            duration: sent_at.map(|at| at.elapsed()).unwrap_or_default(),
                            pacing_wait,
                            retry_in: None,
                            error: None,
                        })
                    });
                }
                // Returned from here: the value (kilobytes) is not moved once more through `result`.
                observe::record_ok(&span, started.map(|at| at.elapsed()));
                return Ok(value);
            }
            Some(Err(error)) => Some(error),
            None => None,
        };
        let failed = Failed { runtime, operation, empty, timeout, scope };
        if let Some(result) = Box::pin(failed.next(failure, &mut calls).instrument(span.clone())).await {
            break result;
        }
    };
    observe::record_done(&span, started.map(|at| at.elapsed()), &result);
    result
}

/// The counts and policy of one call's attempts.
struct Calls {
    attempts: u32,
    retries: u32,
    /// Whether the token was renewed once already.
    renewed: bool,
    retry: RetryPolicy,
}

/// An attempt that did not succeed.
struct Failed<'a, T> {
    runtime: &'a Runtime,
    operation: Operation,
    empty: Option<fn() -> T>,
    timeout: Duration,
    scope: std::sync::Arc<Attempt>,
}

impl<T> Failed<'_, T> {
    /// What to do after this attempt: return (`Some`) or, after any delay, try again (`None`).
    /// `failure` is progenitor's error, or `None` when the attempt timed out.
    async fn next(self, failure: Option<GenError<ZoomError>>, calls: &mut Calls) -> Option<Result<ResponseValue<T>>> {
        let Failed { runtime, operation, empty, timeout, scope } = self;
        let meta = operation.meta();
        let retry = calls.retry;
        let attempts = calls.attempts;
        let (stop, token, account_id, answer, tracking_id, pacing_wait) = {
            let mut state = scope.state();
            (
                state.stop.take(),
                state.token.take(),
                state.account_id.take(),
                state.answer.take(),
                state.tracking_id.take(),
                state.pacing_wait,
            )
        };
        let status = answer.as_ref().map(|(status, _)| *status);
        let sent_at = scope.sent_at();
        let step: Step<T> = 'attempt: {
            if let Some(error) = stop {
                break 'attempt Step::Return(Err(error));
            }
            let deadline = sent_at.and_then(|at| at.checked_add(timeout));
            // Everything a failed attempt keeps from the server is scrubbed of the token
            // (a success never comes here).
            let redactor = Redactor::new(token.as_ref().map(|t| t.secret().expose_secret()));
            let verdict = classify_outcome(runtime, operation, empty, failure, answer, deadline, &redactor).await;
            let failure = match verdict {
                Outcome::Done(value) => break 'attempt Step::Return(Ok(value)),
                Outcome::Verdict(Verdict::Fail(error)) => break 'attempt Step::Return(Err(error)),
                Outcome::Verdict(Verdict::Daily(limited)) => {
                    if let Some(reset) = limited.reset_at {
                        runtime.pacer.block_until(operation, account_id.as_deref(), reset).await;
                    }
                    break 'attempt Step::Return(Err(Error::RateLimited(limited)));
                }
                Outcome::Verdict(Verdict::Renew { message }) => {
                    if !calls.renewed && runtime.auth.can_renew() {
                        if let Some(token) = &token {
                            runtime.auth.invalidate(token.secret());
                        }
                        calls.renewed = true;
                        break 'attempt Step::Renew;
                    }
                    let hint = if runtime.auth.can_renew() {
                        "The renewed token was rejected too. Most likely another process or app using the same \
                         Server-to-Server credentials renewed it meanwhile (Zoom keeps one valid token per app): \
                         share the token with `ClientBuilder::shared_state`, or give each process its own Zoom \
                         `token_index` (`auth::ServerToServerBuilder::token_index`). Otherwise check the app's scopes and that \
                         it is activated"
                    } else {
                        "The fixed access token is invalid or expired: supply a new one, or use Server-to-Server OAuth credentials"
                    };
                    let source = AuthError::TokenRejected { code: 124, message, hint };
                    break 'attempt Step::Return(Err(Error::Auth { operation, source }));
                }
                Outcome::Verdict(Verdict::Retry(failure)) => failure,
            };
            if let Failure::Throttled(_) = &failure
                && let Some(at) = failure.server_wait()
            {
                // Zoom's per-second 429: every call of the label waits for it, not only a
                // retry of this one (every process, with a shared store). No longer than a
                // retry would wait: a server asking more must not stall every later call.
                let hold = classify::until(at, runtime.pacer.clock().now()).min(retry.max_retry_after);
                runtime.pacer.hold(operation, account_id.as_deref(), hold).await;
            }
            if matches!(failure, Failure::NotSent(_))
                && let Some(ticket) = scope.state().ticket.as_mut()
            {
                // Zoom never saw it: the turn and the unit are given back.
                ticket.not_sent();
            }
            if !meta.idempotent && !failure.surely_not_applied() {
                let (status, tracking_id) = failure.answer();
                break 'attempt Step::Return(Err(Error::UnknownOutcome(Box::new(UnknownOutcome {
                    operation,
                    cause: failure.describe(),
                    status,
                    tracking_id,
                    verify_with: meta.verify_with,
                }))));
            }
            if calls.retries >= retry.max_retries {
                break 'attempt Step::Return(Err(failure.into_error(operation, timeout, attempts)));
            }
            let now = runtime.pacer.clock().now();
            match failure.server_wait().map(|at| classify::until(at, now)) {
                Some(wait) if wait > retry.max_retry_after => {
                    Step::Return(Err(failure.into_error(operation, timeout, attempts)))
                }
                Some(wait) => Step::Again(wait, failure.describe()),
                None => Step::Again(retry.backoff(calls.retries + 1), failure.describe()),
            }
        };
        drop(scope);
        if let Some(observer) = &runtime.observer {
            let (retry_in, error) = match &step {
                Step::Again(delay, _) => (Some(*delay), None),
                Step::Renew => (Some(Duration::ZERO), None),
                Step::Return(Err(error)) => (None, Some(error)),
                Step::Return(Ok(_)) => (None, None),
            };
            let tracking_id = match (&step, &tracking_id) {
                (_, Some(id)) => Some(id.as_str()),
                (Step::Return(Err(error)), None) => error.tracking_id(),
                _ => None,
            };
            observer.on_attempt(&AttemptEvent {
                operation,
                attempt: attempts,
                status: status.or_else(|| error.and_then(Error::status)),
                tracking_id,
                duration: sent_at.map(|at| at.elapsed()).unwrap_or_default(),
                pacing_wait,
                retry_in,
                error,
            });
        }
        match step {
            Step::Return(result) => Some(result),
            // A renewed token replays at once and is not a retry.
            Step::Renew => None,
            Step::Again(delay, reason) => {
                calls.retries += 1;
                observe::record_retry(attempts, delay, &reason);
                tokio::time::sleep(delay).await;
                None
            }
        }
    }
}

/// Poll `future`, inside the call's `span`, until it completes or, once the
/// request has been sent, its timeout runs out (`None`). Waiting for a turn
/// or a token is not timed. The `timer` is only made when the request is
/// sent. Runs inside the attempt's scope, where the hooks note when the
/// request was sent. Not an `async fn`: the caller pins everything, so
/// nothing large is moved and the value passes through no extra future.
fn with_deadline<'a, F: Future>(
    span: &'a tracing::Span,
    timeout: Duration,
    mut future: Pin<&'a mut F>,
    mut timer: Pin<&'a mut Option<tokio::time::Sleep>>,
) -> impl Future<Output = Option<F::Output>> + 'a {
    let mut armed = false;
    poll_fn(move |cx| {
        let _entered = span.enter();
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if !armed && let Some(sent_at) = Attempt::current_sent_at() {
            armed = true;
            // A deadline too far to represent never comes: no timer.
            if let Some(deadline) = sent_at.checked_add(timeout) {
                timer.set(Some(tokio::time::sleep_until(deadline)));
            }
        }
        if let Some(sleep) = timer.as_mut().as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
}

/// What the pipeline does after an attempt.
enum Step<T> {
    Return(Result<ResponseValue<T>>),
    /// Try again after the delay; why.
    Again(Duration, String),
    /// Replay at once with a renewed token.
    Renew,
}

enum Outcome<T> {
    Done(ResponseValue<T>),
    Verdict(Verdict),
}

/// What an attempt's result means.
async fn classify_outcome<T>(
    runtime: &Runtime,
    operation: Operation,
    empty: Option<fn() -> T>,
    failure: Option<GenError<ZoomError>>,
    answer: Option<(StatusCode, reqwest::header::HeaderMap)>,
    deadline: Option<Instant>,
    redactor: &Redactor,
) -> Outcome<T> {
    let now = runtime.pacer.clock().now();
    let retry = |failure| Outcome::Verdict(Verdict::Retry(failure));
    let fail = |error| Outcome::Verdict(Verdict::Fail(error));
    let Some(error) = failure else { return retry(Failure::Timeout) };
    let status_of = |answer: &Option<(StatusCode, _)>| answer.as_ref().map(|(s, _)| *s);
    match error {
        GenError::ErrorResponse(value) => {
            let (status, headers) = (value.status(), value.headers().clone());
            let zoom = value.into_inner();
            Outcome::Verdict(classify::error_answer(operation, status, &headers, Some(&zoom), b"", now, redactor))
        }
        GenError::UnexpectedResponse(response) => {
            let status = response.status();
            if status.is_success() {
                return match empty {
                    Some(empty) => Outcome::Done(ResponseValue::new(empty(), status, response.headers().clone())),
                    None => fail(classify::decode_error(
                        operation,
                        status,
                        b"",
                        "Zoom answered a success status the spec does not document for this operation",
                        redactor,
                    )),
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
                Ok(Err(e)) => body_failure(operation, status, e),
                Ok(Ok(body)) => {
                    let zoom = serde_json::from_slice::<ZoomError>(&body).ok();
                    let verdict =
                        classify::error_answer(operation, status, &headers, zoom.as_ref(), &body, now, redactor);
                    Outcome::Verdict(verdict)
                }
            }
        }
        GenError::InvalidResponsePayload(body, e) => match answer {
            Some((status, headers)) if !status.is_success() => {
                Outcome::Verdict(classify::error_answer(operation, status, &headers, None, &body, now, redactor))
            }
            // The decoder's reason quotes the body: it is scrubbed and cut like the snippet.
            answer => fail(classify::decode_error(
                operation,
                status_of(&answer).unwrap_or(StatusCode::OK),
                &body,
                &e.to_string(),
                redactor,
            )),
        },
        GenError::ResponseBodyError(e) => body_failure(operation, status_of(&answer).unwrap_or(StatusCode::OK), e),
        GenError::CommunicationError(e) | GenError::InvalidUpgrade(e) => {
            // A body read inside `exec` (drift observation) fails here, not as a body error.
            if body::limit_hit(&e).is_some() || e.is_body() {
                return body_failure(operation, status_of(&answer).unwrap_or(StatusCode::OK), e);
            }
            if e.is_connect() {
                retry(Failure::NotSent(e))
            } else if e.is_timeout() {
                retry(Failure::Timeout)
            } else {
                retry(Failure::Broken(e))
            }
        }
        GenError::InvalidRequest(message) | GenError::Custom(message) => {
            fail(Error::InvalidRequest { operation, message: crate::request::explain(&message) })
        }
    }
}

/// A body that could not be read: too large (final), idle or broken (retry).
fn body_failure<T>(operation: Operation, status: StatusCode, error: reqwest::Error) -> Outcome<T> {
    match body::limit_hit(&error) {
        Some(Limit::TooLarge(limit)) => {
            Outcome::Verdict(Verdict::Fail(Error::BodyTooLarge { operation, status, limit }))
        }
        Some(Limit::Idle(_)) => Outcome::Verdict(Verdict::Retry(Failure::Timeout)),
        None if error.is_timeout() => Outcome::Verdict(Verdict::Retry(Failure::Timeout)),
        None => Outcome::Verdict(Verdict::Retry(Failure::Broken(error))),
    }
}
