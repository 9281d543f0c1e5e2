//! progenitor's hooks: where the generated code calls into the runtime, in
//! the middle of one attempt.
//!
//! progenitor 0.15 gives a hook the client (one for every call), the request
//! and an [`OperationInfo`] that holds the operation id; nothing of the call
//! being sent. So the pipeline ([`crate::call`]) runs each attempt's
//! `send()` inside a [`Sending`] scope, a scoped thread-local set around
//! each poll of the attempt, that carries what the hooks cannot get
//! otherwise: `pre` puts its `Authorization` value on the request, `exec`
//! notes Zoom's status (with an error answer's headers) in it, and the
//! redirect policy reads its operation. The token, the pacing
//! turn, classification and retries all stay in the pipeline, before and
//! after progenitor's `send()`. Each generated `send()` runs the hooks
//! through [`execute`] (codegen's lean pass puts it there).
//!
//! For a job's call (feature `jobs`, see `crate::resume`), the scope also
//! carries what the journal asks of the attempt (`Journaling`): `pre` takes
//! the request's key and stops it there (progenitor has no way to build a
//! request without sending it), `exec` answers from the journal without
//! sending, or keeps a success's body for the journal.

use std::cell::Cell;
use std::future::poll_fn;
use std::pin::pin;

#[cfg(feature = "jobs")]
use bytes::Bytes;

use progenitor_client::{ClientHooks, ClientInfo, Error as GenError, OperationInfo};
#[cfg(feature = "jobs")]
use reqwest::header::CONTENT_TYPE;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Response, ResponseBuilderExt, StatusCode};

use crate::body::{Capped, IdleTimeout};
use crate::generated::client::Client as RawClient;
#[cfg(feature = "jobs")]
use crate::journal::RequestKey;
use crate::metadata::{Operation, ResponseKind};
use crate::state::ClientState;

// Set only while an attempt is polled, by reference: the hooks (and the redirect policy) run
// inside that poll. Not a tokio task-local, which moves its value in and out on every poll.
scoped_tls::scoped_thread_local!(static SENDING: Sending);

/// What `f` finds in the [`Sending`] scope of the attempt being polled (`None` outside one).
fn in_scope<R>(f: impl FnOnce(&Sending) -> R) -> Option<R> {
    SENDING.is_set().then(|| SENDING.with(f))
}

/// Poll `attempt` to its end with `sending` in scope. Borrowed `&mut`, which is `Send`
/// (its `Cell`s make a shared reference not): the future holds it across polls.
async fn scoped<F: Future>(sending: &mut Sending, attempt: F) -> F::Output {
    let mut attempt = pin!(attempt);
    poll_fn(move |cx| {
        let sending: &Sending = sending;
        SENDING.set(sending, || attempt.as_mut().poll(cx))
    })
    .await
}

/// Zoom's status, and the headers of an answer that was not a success (its
/// body may not decode: the pipeline classifies it from these).
pub(crate) type Answer = (StatusCode, HeaderMap);

/// What the hooks read and write during one attempt's `send()`. Owned by the
/// pipeline's attempt and lent to each poll ([`Sending::send`]); touched only
/// from the task that polls the attempt.
pub(crate) struct Sending {
    operation: Operation,
    /// Taken by `pre` (a request is authorised once).
    authorization: Cell<Option<HeaderValue>>,
    /// Left by `exec` when Zoom answered.
    status: Cell<Option<StatusCode>>,
    /// Left by `exec` for an answer that was not a success (boxed: rare, and large).
    headers: Cell<Option<Box<HeaderMap>>>,
    /// For a job's call only (boxed: most calls have none).
    #[cfg(feature = "jobs")]
    journal: Option<Box<Journaled>>,
}

/// What `exec` takes from the scope, in one look.
struct Look {
    operation: Operation,
    /// What a job's journal asks of the sending: a replay, or a recording.
    #[cfg(feature = "jobs")]
    journal: Option<Journaling>,
}

/// What the journal asks of one attempt.
#[cfg(feature = "jobs")]
pub(crate) enum Journaling {
    /// Build the request and take its key; send nothing.
    Probe,
    /// Answer with a recorded success; send nothing.
    Replay(Recorded),
    /// Send, and keep a success's body for the journal.
    Record,
}

/// A success as the journal keeps it.
#[cfg(feature = "jobs")]
pub(crate) struct Recorded {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<HeaderValue>,
    pub(crate) body: Bytes,
}

/// A job's attempt: what the journal asked, and what the hooks found.
#[cfg(feature = "jobs")]
struct Journaled {
    asked: Cell<Option<Journaling>>,
    key: Cell<Option<RequestKey>>,
    recorded: Cell<Option<Recorded>>,
}

#[cfg(feature = "jobs")]
impl Journaled {
    fn new(asked: Journaling) -> Box<Self> {
        Box::new(Journaled { asked: Cell::new(Some(asked)), key: Cell::new(None), recorded: Cell::new(None) })
    }

    /// For `pre`: whether this is a probe, which takes the request's key (and
    /// is not sent).
    fn probed(&self, operation: Operation, request: &reqwest::Request) -> bool {
        let asked = self.asked.take();
        let probe = matches!(asked, Some(Journaling::Probe));
        if probe {
            self.key.set(Some(RequestKey::of(operation, request)));
        }
        self.asked.set(asked);
        probe
    }

    /// For `exec`: a replay (taken: it answers once), or a recording.
    fn asked(&self) -> Option<Journaling> {
        match self.asked.take() {
            Some(replay @ Journaling::Replay(_)) => Some(replay),
            asked => {
                let recording = matches!(asked, Some(Journaling::Record));
                self.asked.set(asked);
                recording.then_some(Journaling::Record)
            }
        }
    }
}

impl Sending {
    pub(crate) fn new(operation: Operation, authorization: HeaderValue) -> Self {
        Sending {
            operation,
            authorization: Cell::new(Some(authorization)),
            status: Cell::new(None),
            headers: Cell::new(None),
            #[cfg(feature = "jobs")]
            journal: None,
        }
    }

    /// Poll `attempt` (progenitor's `send()`) with this scope set, to its
    /// output. The scope keeps what the hooks left in it ([`answer`](Self::answer),
    /// and for a job `recorded`), read only by the path that needs it; lent,
    /// not moved in and out of the attempt.
    pub(crate) async fn send<F: Future>(&mut self, attempt: F) -> F::Output {
        scoped(self, attempt).await
    }

    /// The answer `exec` noted: Zoom's status and, for an answer that was not a
    /// success, its headers; `None` when nothing came back.
    pub(crate) fn answer(self) -> Option<Answer> {
        let headers = self.headers.into_inner().map(|h| *h).unwrap_or_default();
        self.status.get().map(|status| (status, headers))
    }

    /// What `exec` reads of the scope.
    fn look(&self) -> Look {
        Look {
            operation: self.operation,
            #[cfg(feature = "jobs")]
            journal: self.journal.as_deref().and_then(Journaled::asked),
        }
    }
}

/// A job's attempts (feature `jobs`).
#[cfg(feature = "jobs")]
impl Sending {
    /// A job's attempt that sends nothing: what the journal asks of it.
    fn journaled(operation: Operation, asked: Journaling) -> Self {
        Sending {
            operation,
            authorization: Cell::new(None),
            status: Cell::new(None),
            headers: Cell::new(None),
            journal: Some(Journaled::new(asked)),
        }
    }

    /// This attempt, keeping a success's body for the journal ([`Sending::recorded`]).
    pub(crate) fn recording(mut self) -> Self {
        self.journal = Some(Journaled::new(Journaling::Record));
        self
    }

    /// Build the request `attempt` would send and return its journal key;
    /// nothing is sent. `None` when progenitor could not build it (the call
    /// then fails the same way when sent).
    pub(crate) async fn probe<F: Future>(operation: Operation, attempt: F) -> Option<RequestKey> {
        let mut sending = Self::journaled(operation, Journaling::Probe);
        let _refused = scoped(&mut sending, attempt).await;
        sending.journal.and_then(|journal| journal.key.take())
    }

    /// Run `attempt` answered by `recorded`; nothing is sent.
    pub(crate) async fn replay<F: Future>(operation: Operation, recorded: Recorded, attempt: F) -> F::Output {
        scoped(&mut Self::journaled(operation, Journaling::Replay(recorded)), attempt).await
    }

    /// For a [`recording`](Self::recording) attempt, the success kept for the journal.
    pub(crate) fn recorded(&self) -> Option<Recorded> {
        self.journal.as_ref().and_then(|journal| journal.recorded.take())
    }
}

/// What every generated `send()` awaits for the request it built (codegen's
/// lean pass writes this call in place of progenitor's three hook steps):
/// `pre`, `exec` and `post`, in progenitor's order and with its errors. One
/// future, compiled once, not three awaits compiled into each operation's.
pub(crate) async fn execute<E>(
    client: &RawClient,
    mut request: reqwest::Request,
    info: &OperationInfo,
) -> Result<Response, GenError<E>> {
    client.pre(&mut request, info).await?;
    let result = client.exec(request, info).await;
    client.post(&result, info).await?;
    Ok(result?)
}

impl ClientHooks<ClientState> for RawClient {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), GenError<E>> {
        let probed = in_scope(|sending| {
            if let Some(value) = sending.authorization.take() {
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            #[cfg(feature = "jobs")]
            if let Some(journal) = sending.journal.as_deref() {
                return journal.probed(sending.operation, request);
            }
            false
        });
        if let Some(true) = probed {
            return Err(GenError::Custom("a journal probe: not sent".into()));
        }
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        // One look at the scope: the operation, and what a job's journal asks of the attempt.
        let Some(look) = in_scope(Sending::look) else {
            return self.client().execute(request).await;
        };
        let operation = look.operation;
        #[cfg(feature = "jobs")]
        let recording = match look.journal {
            Some(Journaling::Replay(recorded)) => return Ok(replayed(request.url().clone(), recorded)),
            asked => matches!(asked, Some(Journaling::Record)),
        };
        let response = self.client().execute(request).await?;
        let status = response.status();
        in_scope(|sending| {
            sending.status.set(Some(status));
            // Headers are kept for error answers only (their body may not decode); a success needs none.
            if !status.is_success() {
                sending.headers.set(Some(Box::new(response.headers().clone())));
            }
        });
        let runtime = &self.inner().runtime;
        let limits = &runtime.limits;
        let kind = operation.meta().response;
        #[cfg(feature = "jobs")]
        if recording && status.is_success() && kind != ResponseKind::Binary {
            // The journal needs the bytes: read them here (capped), keep a copy, hand them on.
            let max = limits.max_body_size;
            let response = rewrap(response, |body| reqwest::Body::wrap(Capped::new(body, max)));
            let url = response.url().clone();
            let content_type = response.headers().get(CONTENT_TYPE).cloned();
            let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
            let bytes = http_body_util::BodyExt::collect(body).await?.to_bytes();
            #[cfg(feature = "drift")]
            if let Some(drift) = &runtime.drift
                && kind == ResponseKind::Json
            {
                drift.observe(operation, &bytes);
            }
            in_scope(|sending| {
                if let Some(journal) = &sending.journal {
                    journal.recorded.set(Some(Recorded { status, content_type, body: bytes.clone() }));
                }
            });
            return Ok(reassemble(parts, url, reqwest::Body::from(bytes)));
        }
        #[cfg(feature = "drift")]
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
/// to another host. reqwest asks the policy inside the attempt's poll, where the
/// [`Sending`] scope names the operation (the policy itself is one per client).
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let to_get = matches!(attempt.status().as_u16(), 301..=303);
        let is_get = in_scope(|s| s.operation.meta().method.eq_ignore_ascii_case("get")).unwrap_or(true);
        if to_get && !is_get {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The same response with its body wrapped. Headers and extensions move;
/// the URL is kept (without it reqwest parses a placeholder URL each time).
fn rewrap(response: Response, wrap: impl FnOnce(reqwest::Body) -> reqwest::Body) -> Response {
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    reassemble(parts, url, wrap(body))
}

/// The response a recorded success gives again.
#[cfg(feature = "jobs")]
fn replayed(url: reqwest::Url, recorded: Recorded) -> Response {
    let mut response = http::Response::new(reqwest::Body::from(recorded.body));
    *response.status_mut() = recorded.status;
    if let Some(content_type) = recorded.content_type {
        response.headers_mut().insert(CONTENT_TYPE, content_type);
    }
    let (parts, body) = response.into_parts();
    reassemble(parts, url, body)
}

/// A response from its parts and a body, with its URL.
fn reassemble(mut parts: http::response::Parts, url: reqwest::Url, body: reqwest::Body) -> Response {
    if let Ok(carrier) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(carrier.into_parts().0.extensions);
    }
    Response::from(http::Response::from_parts(parts, body))
}
