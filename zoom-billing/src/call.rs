//! One call, top to bottom: every operation's `send()` runs [`run`], and
//! each attempt of the call goes through these steps, in this order:
//!
//! 1. [`prepare`]: the access token, then the pacing turn and the daily
//!    budget unit ([`crate::pacing`]), with the `accountId` the builder was
//!    given (codegen passes it in [`Call`]);
//! 2. [`Sending::send`]: progenitor's `send()` for a clone of the request
//!    builder, timed from here ([`with_deadline`]), inside the scope its
//!    hooks read ([`crate::hooks`]: the `Authorization` header in, Zoom's
//!    status out);
//! 3. [`classify::outcome`]: what the result means;
//! 4. [`Failed::next`]: renew the token once, block on a daily limit, hold
//!    the label on a per-second 429, give an unsent turn back, or retry by
//!    the [`RetryPolicy`]; the observer and the span hear of each attempt.
//!
//! Each attempt sends a clone of progenitor's request builder, so a retry
//! sends exactly what the first attempt did. The per-attempt state (the
//! ticket, the token, the answer) lives in this module's locals and is
//! passed down; only what progenitor's hooks need crosses into them.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::{Instrument, Span};

use crate::auth::Token;
use crate::classify::{self, Bodiless, Failure, Outcome, Verdict};
use crate::deadline::{Deadlines, Wait};
use crate::error::AuthError;
use crate::error::{Error, Result, UnknownOutcome};
use crate::hooks::{Answer, Sending};
use crate::metadata::Operation;
#[cfg(feature = "jobs")]
use crate::metadata::ResponseKind;
use crate::observer::AttemptEvent;
use crate::pacing::Ticket;
use crate::redact::Redactor;
#[cfg(feature = "jobs")]
use crate::resume::{self, Before};
use crate::retry::RetryPolicy;
use crate::spans;
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

/// What the generated builder knows of its call, handed to [`run`] as values:
/// codegen writes them per operation from the spec.
pub(crate) struct Call<T> {
    pub(crate) operation: Operation,
    /// The `accountId` the builder was given, for an operation that has one
    /// (in its path): pacing and daily budgets are per account.
    pub(crate) account_id: Option<String>,
    pub(crate) options: CallOptions,
    /// For an operation whose success has no body: its value (any 2xx then counts).
    pub(crate) empty: Option<fn() -> T>,
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

/// Run a call: `attempt` sends one clone of the request.
pub(crate) fn run<'a, T, F, Fut>(client: &'a crate::Client, call: Call<T>, attempt: F) -> CallFuture<'a, T>
where
    T: Send + 'a,
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = RawResult<T>> + Send + 'a,
{
    // Written into its allocation rather than moved into it: the pipeline's state
    // is kilobytes, of which a new call fills a few hundred bytes.
    let boxed = Box::write(Box::new_uninit(), pipeline(client, call, attempt));
    Box::into_pin(boxed)
}

/// A call its builder refused (see [`crate::request`]): it fails at once and spends nothing.
pub(crate) fn refused<'a, T: Send + 'a>(operation: Operation, message: String) -> CallFuture<'a, T> {
    Box::pin(std::future::ready(Err(Error::InvalidRequest { operation, message })))
}

/// The call: its [`attempts`] leave the result in `slot`, from which it is moved once,
/// into the output (returned from inside the attempts' loop, a value of kilobytes was
/// copied to the stack first, then out).
async fn pipeline<'a, T, F, Fut>(client: &crate::Client, call: Call<T>, attempt: F) -> Result<ResponseValue<T>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RawResult<T>> + Send + 'a,
{
    let operation = call.operation;
    // Every way out of `attempts` sets the slot: this placeholder is never returned, and
    // costs no allocation. One source for the output, success or failure: a value of
    // kilobytes is moved from here once (with two sources, it went through the stack).
    let mut slot = Err(Error::InvalidRequest { operation, message: String::new() });
    attempts(client, call, attempt, &mut slot).await;
    slot
}

/// Where a call's result is left, success or failure.
type Slot<T> = Result<ResponseValue<T>>;

/// The steps of every attempt, in order; the call's result is left in `slot`.
async fn attempts<'a, T, F, Fut>(client: &crate::Client, call: Call<T>, mut attempt: F, slot: &mut Slot<T>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RawResult<T>> + Send + 'a,
{
    let runtime = client.runtime();
    let Call { operation, account_id, options, empty } = call;
    // 0. A job's call: its journal may answer it, or refuse it, before anything is spent.
    #[cfg(feature = "jobs")]
    let pending = match client.journal().filter(|_| operation.meta().response != ResponseKind::Binary) {
        Some(journal) => match Box::pin(resume::before(journal, operation, empty, &mut attempt)).await {
            Before::Answered(result) => {
                *slot = result;
                return;
            }
            Before::Send(pending) => Some(pending),
        },
        None => None,
    };
    let timeout = options.timeout.unwrap_or(runtime.timeout);
    let span = spans::call_span(operation.meta(), account_id.as_deref());
    // Only a span records the call's duration: no clock read without one.
    let started = (!span.is_disabled()).then(Instant::now);
    let mut calls = Calls { attempts: 0, retries: 0, renewed: false, retry: options.retry.unwrap_or(runtime.retry) };
    // The span is entered around each poll of an attempt and around the pipeline's own
    // records, as `Instrumented` would, without wrapping the loop in one more future.
    let result = loop {
        calls.attempts += 1;
        span.in_scope(|| spans::record_attempt(&span, calls.attempts));
        // 1. The token and the turn.
        let prepared = in_span(&span, pin!(prepare(runtime, operation, account_id.as_deref(), options.max_wait))).await;
        let Prepared { mut ticket, token, authorization, pacing_wait, sent_at } = match prepared {
            Ok(prepared) => prepared,
            Err(error) => {
                let event = Event {
                    attempt: calls.attempts,
                    status: None,
                    tracking_id: None,
                    sent_at: None,
                    pacing_wait: Duration::ZERO,
                };
                event.tell(runtime, operation, None, Some(&error));
                break Err(error);
            }
        };
        // Counted as sent from here, so that a call dropped while in flight never gives a
        // turn back that Zoom may have used; `Failed::next` gives back what surely was not.
        if let Some(ticket) = &mut ticket {
            ticket.sent();
        }
        // 2. The request, timed from here (waiting for a turn or a token is not timed).
        // Pinned here once and passed on by reference: progenitor's future is large, and
        // each move of it (into a scope, into a timeout) would copy it.
        let mut sending = Sending::new(operation, authorization);
        // A job's attempt also keeps a success's body for the journal.
        #[cfg(feature = "jobs")]
        if pending.is_some() {
            sending = sending.recording();
        }
        let ended: Ended = {
            let future = pin!(attempt());
            let deadline = sent_at.checked_add(timeout);
            sending.send(with_deadline(&span, &runtime.deadlines, deadline, future, slot)).await
        };
        // 3 and 4. A success leaves at once. Anything else is classified and decided in a
        // boxed future: every call's state need not hold room for the failure path.
        let failure = match ended {
            Some(Ok(())) => {
                // Read where it lies: the value (kilobytes) is moved once, into the call's output.
                if let Ok(value) = &*slot {
                    let event = Event {
                        attempt: calls.attempts,
                        status: Some(value.status()),
                        tracking_id: None,
                        sent_at: Some(sent_at),
                        pacing_wait,
                    };
                    event.succeeded(runtime, operation, &span, &token, value.headers());
                }
                spans::record_ok(&span, started.map(|at| at.elapsed()));
                #[cfg(feature = "jobs")]
                if let (Some(pending), Some(status)) = (pending, slot.as_ref().ok().map(ResponseValue::status)) {
                    let redactor = Redactor::new([token.secret().expose_secret()]);
                    Box::pin(pending.succeeded(operation, status, sending.recorded(), &redactor)).await;
                }
                // Returned from here, not through `result`; the value stays in the slot.
                return;
            }
            Some(Err(error)) => Some(error),
            None => None,
        };
        let failed = Failed {
            runtime,
            operation,
            account_id: account_id.as_deref(),
            bodiless: empty.is_some(),
            timeout,
            ticket,
            token,
            answer: sending.answer(),
            sent_at,
            pacing_wait,
        };
        if let Some(result) = Box::pin(failed.next(failure, &mut calls, &span).instrument(span.clone())).await {
            // The failure path is not generic: a bodiless success gets its value here.
            let result = result.and_then(|Bodiless { status, headers }| match empty {
                Some(empty) => Ok(ResponseValue::new(empty(), status, headers)),
                // Never: `classify::outcome` answers `Bodiless` only when told the operation is
                // (and the error has no body to scrub).
                None => Err(classify::undocumented_success(operation, status, &Redactor::default())),
            });
            #[cfg(feature = "jobs")]
            let result = match (result, pending) {
                (Err(error), Some(pending)) => Err(Box::pin(pending.failed(operation, error)).await),
                (result, _) => result,
            };
            break result;
        }
    };
    spans::record_done(&span, started.map(|at| at.elapsed()), result.as_ref().err());
    *slot = result;
}

/// What [`prepare`] got for an attempt.
struct Prepared {
    /// `None` when the pacer keeps nothing for the operation. Dropped with the
    /// attempt, it gives back what was not used.
    ticket: Option<Ticket>,
    /// The token the request carries.
    token: Token,
    /// Its `Authorization` value.
    authorization: HeaderValue,
    /// How long the attempt waited for its pacing turn.
    pacing_wait: Duration,
    /// When the request is handed to progenitor: the attempt's timeout runs from here.
    sent_at: Instant,
}

/// Step 1: get the token, take the turn and the budget unit.
async fn prepare(
    runtime: &Runtime,
    operation: Operation,
    account_id: Option<&str>,
    max_wait: Option<Duration>,
) -> Result<Prepared> {
    // The token first: a renewal (with a shared token, a short hold before the switch) then
    // delays the reservation, not a send whose turn has started.
    let mut token = runtime.auth.access_token().await.map_err(|source| no_token(operation, source))?;
    // Timed only when the turn may have to wait (never when nothing paces the operation).
    let fetched = (runtime.pacer.uses_account_id(operation) && runtime.pacer.may_wait(operation)).then(Instant::now);
    // Dropped on any early return or cancellation: the turn is given back.
    let mut ticket = runtime.pacer.reserve(operation, account_id, max_wait).await?;
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
    let authorization =
        token.header().ok_or_else(|| Error::Auth { operation, source: AuthError::InvalidToken })?.clone();
    Ok(Prepared { ticket, token, authorization, pacing_wait, sent_at })
}

/// Why no token could be had: a shared store that failed is the same
/// [`Error::SharedState`] whether the token or the turn needed it.
fn no_token(operation: Operation, source: AuthError) -> Error {
    match source {
        AuthError::SharedState(source) => Error::SharedState { operation, source },
        source => Error::Auth { operation, source },
    }
}

/// A tracking id as logs and observers keep it: scrubbed of the token.
fn scrub(token: &Token, id: &str) -> String {
    Redactor::new([token.secret().expose_secret()]).scrub(id)
}

/// The counts and policy of one call's attempts.
struct Calls {
    attempts: u32,
    retries: u32,
    /// Whether the token was renewed once already.
    renewed: bool,
    retry: RetryPolicy,
}

/// What the observer hears of an attempt, besides its decision.
struct Event<'a> {
    attempt: u32,
    status: Option<StatusCode>,
    tracking_id: Option<&'a str>,
    /// `None` when nothing was sent.
    sent_at: Option<Instant>,
    pacing_wait: Duration,
}

impl Event<'_> {
    /// A success: the span and the observer hear of it (its tracking id, scrubbed of
    /// `token`, looked up only for someone listening: a header lookup per call otherwise).
    fn succeeded(self, runtime: &Runtime, operation: Operation, span: &Span, token: &Token, headers: &HeaderMap) {
        let listening = runtime.observer.is_some() || spans::listening(span);
        let tracking_id = listening.then(|| classify::tracking_id(headers)).flatten().map(|id| scrub(token, id));
        if let Some(status) = self.status {
            spans::record_response(span, status.as_u16(), tracking_id.as_deref());
        }
        if runtime.observer.is_some() {
            let event = Event { tracking_id: tracking_id.as_deref(), ..self };
            span.in_scope(|| event.tell(runtime, operation, None, None));
        }
    }

    /// Tell the client's observer, if it has one.
    fn tell(self, runtime: &Runtime, operation: Operation, retry_in: Option<Duration>, error: Option<&Error>) {
        if let Some(observer) = &runtime.observer {
            observer.on_attempt(&AttemptEvent {
                operation,
                attempt: self.attempt,
                status: self.status.or_else(|| error.and_then(Error::status)),
                tracking_id: self.tracking_id.or_else(|| error.and_then(Error::tracking_id)),
                duration: self.sent_at.map(|at| at.elapsed()).unwrap_or_default(),
                pacing_wait: self.pacing_wait,
                retry_in,
                error,
            });
        }
    }
}

/// An attempt that did not succeed, with everything it had. Not generic over the
/// operation's value: the failure path is compiled once, not per operation.
struct Failed<'a> {
    runtime: &'a Runtime,
    operation: Operation,
    account_id: Option<&'a str>,
    /// Whether the operation's success has no body (any 2xx then counts).
    bodiless: bool,
    timeout: Duration,
    ticket: Option<Ticket>,
    token: Token,
    answer: Option<Answer>,
    sent_at: Instant,
    pacing_wait: Duration,
}

impl Failed<'_> {
    /// Step 4: what to do after this attempt: return (`Some`) or, after any delay, try
    /// again (`None`). `failure` is progenitor's error, or `None` when the attempt timed out;
    /// `Some(Ok(_))` is a bodiless success after all.
    async fn next(
        self,
        failure: Option<GenError<ZoomError>>,
        calls: &mut Calls,
        span: &Span,
    ) -> Option<Result<Bodiless>> {
        let Failed {
            runtime,
            operation,
            account_id,
            bodiless,
            timeout,
            mut ticket,
            token,
            answer,
            sent_at,
            pacing_wait,
        } = self;
        let meta = operation.meta();
        let retry = calls.retry;
        let attempts = calls.attempts;
        let status = answer.as_ref().map(|(status, _)| *status);
        // Everything a failed attempt keeps from the server is scrubbed of the token
        // (a success never comes here).
        let redactor = Redactor::new([token.secret().expose_secret()]);
        let listening = runtime.observer.is_some() || spans::listening(span);
        let tracking_id = answer
            .as_ref()
            .and_then(|(_, headers)| classify::tracking_id(headers))
            .filter(|_| listening)
            .map(|id| redactor.scrub(id));
        if let Some(status) = status {
            spans::record_response(span, status.as_u16(), tracking_id.as_deref());
        }
        let deadline = sent_at.checked_add(timeout);
        let now = runtime.pacer.clock().now();
        let verdict = classify::outcome(operation, bodiless, failure, answer, deadline, now, &redactor).await;
        let step: Step = 'attempt: {
            let failure = match verdict {
                Outcome::Bodiless(done) => break 'attempt Step::Return(Ok(done)),
                Outcome::Verdict(Verdict::Fail(error)) => {
                    if let (Error::InvalidRequest { .. }, Some(ticket)) = (&error, &mut ticket) {
                        // progenitor could not build the request: Zoom never saw it.
                        ticket.not_sent();
                    }
                    break 'attempt Step::Return(Err(error));
                }
                Outcome::Verdict(Verdict::Daily(limited)) => {
                    if let Some(reset) = limited.reset_at {
                        runtime.pacer.block_until(operation, account_id, reset).await;
                    }
                    break 'attempt Step::Return(Err(Error::RateLimited(limited)));
                }
                Outcome::Verdict(Verdict::Renew { message }) => {
                    if !calls.renewed && runtime.auth.can_renew() {
                        runtime.auth.invalidate(token.secret());
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
                runtime.pacer.hold(operation, account_id, hold).await;
            }
            if let (Failure::NotSent(_), Some(ticket)) = (&failure, &mut ticket) {
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
                    job: None,
                    #[cfg(feature = "jobs")]
                    journal_key: None,
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
        // The turn is settled (kept, or given back) before the observer hears of it.
        drop(ticket);
        let (retry_in, error) = match &step {
            Step::Again(delay, _) => (Some(*delay), None),
            Step::Renew => (Some(Duration::ZERO), None),
            Step::Return(Err(error)) => (None, Some(error)),
            Step::Return(Ok(_)) => (None, None),
        };
        let event = Event {
            attempt: attempts,
            status,
            tracking_id: tracking_id.as_deref().filter(|_| runtime.observer.is_some()),
            sent_at: Some(sent_at),
            pacing_wait,
        };
        event.tell(runtime, operation, retry_in, error);
        match step {
            Step::Return(result) => Some(result),
            // A renewed token replays at once and is not a retry.
            Step::Renew => None,
            Step::Again(delay, reason) => {
                calls.retries += 1;
                spans::record_retry(attempts, delay, &reason);
                tokio::time::sleep(delay).await;
                None
            }
        }
    }
}

/// Poll `future` inside the call's `span`.
fn in_span<'a, F: Future>(span: &'a Span, mut future: Pin<&'a mut F>) -> impl Future<Output = F::Output> + 'a {
    poll_fn(move |cx| {
        let _entered = span.enter();
        future.as_mut().poll(cx)
    })
}

/// Poll `future` (progenitor's `send()`), inside the call's `span`, until it
/// completes, its value put in `slot`, or its `deadline` passes (`None`). The
/// attempt waits in the client's [`Deadlines`] only once it has to wait, and
/// leaves them when this future is dropped. Not an `async fn`, and no
/// combinator: the caller pins everything, so nothing large is moved, and the
/// value (kilobytes) goes from progenitor's output straight into the slot.
fn with_deadline<'a, T, F: Future<Output = RawResult<T>>>(
    span: &'a Span,
    deadlines: &'a Deadlines,
    deadline: Option<Instant>,
    mut future: Pin<&'a mut F>,
    slot: &'a mut Slot<T>,
) -> impl Future<Output = Ended> + 'a {
    let mut wait = Wait::default();
    poll_fn(move |cx| {
        let _entered = span.enter();
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output.map(|value| *slot = Ok(value))));
        }
        // A deadline too far to represent never comes: no wait.
        if let Some(deadline) = deadline
            && deadlines.poll_expired(&mut wait, deadline, cx).is_ready()
        {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
}

/// What the pipeline does after an attempt.
enum Step {
    /// The call's result: an error, or a bodiless success.
    Return(Result<Bodiless>),
    /// Try again after the delay; why.
    Again(Duration, String),
    /// Replay at once with a renewed token.
    Renew,
}
