//! The one error type of the crate: every call returns [`Result`].
//!
//! Each variant says which [`Operation`] failed, what happened and, where
//! there is something to do, what to do. Underlying errors (reqwest's, the
//! token endpoint's, the JSON decoder's) are exposed as [`source`]s, so
//! `anyhow`'s `{:#}` prints the whole chain without repeating itself.
//!
//! ```no_run
//! # async fn run(client: zoom_billing::Client) -> anyhow::Result<()> {
//! let usage = client.get_plan_usage().account_id("me").await?;
//! # Ok(()) }
//! ```
//!
//! [`source`]: std::error::Error::source

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use crate::human::{Dur, When};
use crate::metadata::{Operation, Verification};

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
    /// The daily limit of this operation is spent (counted by this client,
    /// or reported by a daily 429): the request was not sent.
    #[error(
        "{operation}: not sent: {}; it resets {}",
        match limit { 0 => "Zoom said its daily limit is reached (a daily 429)".to_owned(), n => format!("the daily limit of {n} requests is spent") },
        When { after: *resets_in, at: *resets_at }
    )]
    BudgetExhausted {
        /// The operation.
        operation: Operation,
        /// The daily limit that applies (0 when only a 429 told).
        limit: u32,
        /// When the budget resets (00:00 UTC, or the time Zoom named).
        resets_at: DateTime<Utc>,
        /// How long until then, from when the error was made.
        resets_in: Duration,
    },
    /// Pacing would have held the request longer than the policy's
    /// [`max_wait`](crate::RateLimitPolicy::max_wait): it was not sent and
    /// took no turn. Try again at `next_at` (or raise `max_wait`).
    #[error(
        "{operation}: not sent: Zoom's rate limit for this operation allows the next request {}, longer than max_wait ({}); try again then or raise max_wait",
        When { after: *wait, at: *next_at }, Dur(*max_wait)
    )]
    PacingWouldWait {
        /// The operation.
        operation: Operation,
        /// How long pacing would have waited.
        wait: Duration,
        /// When the operation's next turn is.
        next_at: DateTime<Utc>,
        /// The `max_wait` in force.
        max_wait: Duration,
    },
    /// No access token could be had (the request was not sent), or Zoom
    /// rejected the token (HTTP 401).
    #[error("{operation}: {}", match source {
        AuthError::TokenRejected { .. } => "Zoom rejected the access token",
        _ => "not sent: no access token",
    })]
    Auth {
        /// The operation.
        operation: Operation,
        /// What went wrong.
        #[source]
        source: AuthError,
    },
    /// The connection failed or broke; retries, if allowed, ran out.
    #[error("{operation}: the connection to Zoom failed ({attempts} attempt{})", plural(*attempts))]
    Transport {
        /// The operation.
        operation: Operation,
        /// Attempts made.
        attempts: u32,
        /// The underlying error (without the URL).
        #[source]
        source: reqwest::Error,
    },
    /// No response within the timeout; retries, if allowed, ran out.
    #[error(
        "{operation}: no response within {} ({attempts} attempt{}); Zoom may be slow or unreachable",
        Dur(*after), plural(*attempts)
    )]
    Timeout {
        /// The operation.
        operation: Operation,
        /// The per-attempt timeout that ran out.
        after: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// A streamed download stopped sending data for longer than the client's
    /// [`idle_timeout`](crate::ClientBuilder::idle_timeout).
    #[error("{operation}: the download stalled: no data for {}; try again", Dur(*idle))]
    Stalled {
        /// The operation.
        operation: Operation,
        /// The idle timeout that ran out.
        idle: Duration,
    },
    /// A response body did not have the documented shape.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// A response body was larger than the client accepts (see
    /// [`ClientBuilder::max_body_size`](crate::ClientBuilder::max_body_size)).
    #[error(
        "{operation}: the response body (HTTP {}) is larger than {limit} bytes, the client's limit; not read",
        status.as_u16()
    )]
    BodyTooLarge {
        /// The operation.
        operation: Operation,
        /// HTTP status of the response.
        status: StatusCode,
        /// The limit in bytes.
        limit: u64,
    },
    /// A request that creates something (a report, a subscription) may or
    /// may not have taken effect: it was not retried.
    #[error("{0}")]
    UnknownOutcome(Box<UnknownOutcome>),
    /// A `next_page_token` is older than Zoom keeps it (15 minutes), or Zoom
    /// rejected it: the listing must restart from the first page.
    #[error(
        "{operation}: the page token expired (Zoom keeps them 15 minutes) after {items_seen} items; restart the listing from the first page"
    )]
    PageTokenExpired {
        /// The operation.
        operation: Operation,
        /// Items yielded before the token expired.
        items_seen: u64,
    },
    /// Zoom's pagination does not advance (a repeated `next_page_token`, or
    /// too many empty pages in a row): the listing stopped instead of looping.
    #[error("{operation}: pagination stopped after {pages} pages: {reason}")]
    PaginationStuck {
        /// The operation.
        operation: Operation,
        /// Pages fetched.
        pages: u64,
        /// What went wrong.
        reason: String,
    },
    /// An invoice report finished in a state other than `Completed`.
    #[error("invoice report {report_id} ended with status {status}")]
    ReportFailed {
        /// The report id.
        report_id: String,
        /// Its final status.
        status: String,
    },
    /// An invoice report was not ready within the caller's `max_wait`.
    #[error(
        "invoice report {report_id} was not ready within {} (last status {status}); wait longer or poll list_invoice_reports",
        Dur(*waited)
    )]
    ReportNotReady {
        /// The report id.
        report_id: String,
        /// The last status seen.
        status: String,
        /// How long the call waited.
        waited: Duration,
    },
    /// The request could not be built (a missing or invalid parameter): it
    /// was not sent.
    #[error("{operation}: invalid request, not sent: {message}")]
    InvalidRequest {
        /// The operation.
        operation: Operation,
        /// What is wrong.
        message: String,
    },
    /// The shared state store (Redis, see [`crate::shared`]) could not be
    /// reached or answered wrongly, so the call was not sent: without the
    /// store the fleet's pacing and daily budgets cannot be checked, and
    /// guessing could spend the account's budget twice. Retryable: the call
    /// goes through once the store is back.
    #[error("{operation}: not sent: the shared state store failed")]
    SharedState {
        /// The operation.
        operation: Operation,
        /// What went wrong with the store.
        #[source]
        source: StoreError,
    },
    /// A job ([`crate::job`]) cannot go on: another runner has it, this
    /// runner lost its lease, or its journal cannot be used.
    // Only a job's calls can fail so, so the variant and `JobError` come with
    // the `jobs` feature; `Error` is `#[non_exhaustive]`, so adding the
    // variant with the feature breaks no match.
    #[cfg(feature = "jobs")]
    #[error("{0}")]
    Job(Box<JobError>),
    /// Writing a download failed.
    #[error("{operation}: cannot write the download{}", path.as_ref().map(|p| format!(" to {}", p.display())).unwrap_or_default())]
    Io {
        /// The operation.
        operation: Operation,
        /// The destination, when it is a file.
        path: Option<std::path::PathBuf>,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// An error response from Zoom.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation.
    pub operation: Operation,
    /// HTTP status.
    pub status: StatusCode,
    /// Zoom's error code (not the HTTP status), when the body had one.
    pub code: Option<i64>,
    /// Zoom's message, or a snippet of a body that was not a Zoom error
    /// (secrets removed).
    pub message: String,
    /// Field-level validation errors.
    pub errors: Vec<FieldError>,
    /// The `x-zm-trackingid` header: quote it to Zoom support.
    pub tracking_id: Option<String>,
    /// Attempts made (more than one when a 5xx was retried).
    pub attempts: u32,
    /// Whether the status is one the runtime retries (decided where statuses are classified).
    pub(crate) retryable: bool,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: Zoom answered HTTP {}", self.operation, self.status.as_u16())?;
        if let Some(code) = self.code {
            write!(f, ", code {code}")?;
        }
        write!(f, ": {}", self.message)?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.field.as_deref().unwrap_or("?"), e.message.as_deref().unwrap_or("invalid"))?;
        }
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
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
    /// The operation.
    pub operation: Operation,
    /// Per-second or daily (from `X-RateLimit-Type`, else the message).
    pub kind: RateLimitKind,
    /// `X-RateLimit-Category` (Light, Medium, Heavy, Resource-intensive).
    pub category: Option<String>,
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// When requests may resume (`Retry-After`, `X-RateLimit-Reset`, or
    /// 00:00 UTC for a daily limit without headers), never later than the
    /// next daily reset for a daily limit.
    pub reset_at: Option<DateTime<Utc>>,
    /// How long until `reset_at`, from when the answer came.
    pub reset_in: Option<Duration>,
    /// Zoom's message.
    pub message: String,
    /// The `x-zm-trackingid` header.
    pub tracking_id: Option<String>,
    /// Attempts made.
    pub attempts: u32,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            RateLimitKind::PerSecond => "per-second",
            RateLimitKind::Daily => "daily",
        };
        write!(f, "{}: Zoom's {kind} rate limit", self.operation)?;
        if let Some(c) = &self.category {
            write!(f, " ({c})")?;
        }
        write!(f, " was reached (HTTP 429")?;
        if self.attempts > 1 {
            write!(f, ", {} attempts", self.attempts)?;
        }
        write!(f, ")")?;
        match (self.reset_at, self.reset_in) {
            (Some(at), Some(after)) => write!(f, "; requests resume {}", When { after, at })?,
            _ => write!(f, "; try again in a few seconds")?,
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
    /// The operation.
    pub operation: Operation,
    /// HTTP status.
    pub status: StatusCode,
    /// The start of the body (at most 200 characters, secrets removed).
    pub snippet: String,
    /// What the JSON decoder said.
    pub reason: String,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: cannot decode the response (HTTP {}): {}; body starts {:?}",
            self.operation,
            self.status.as_u16(),
            self.reason,
            self.snippet
        )
    }
}

/// A creating request whose outcome is unknown.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UnknownOutcome {
    /// The operation.
    pub operation: Operation,
    /// What happened (timeout after sending, 5xx, broken connection).
    pub cause: String,
    /// The HTTP status, when Zoom answered.
    pub status: Option<StatusCode>,
    /// The `x-zm-trackingid` header, when Zoom answered: quote it to Zoom support.
    pub tracking_id: Option<String>,
    /// How to find out whether it took effect (from the spec's `x-zoom-verify-with`).
    pub verify_with: Option<Verification>,
    /// For a call of a job (feature `jobs`): the job whose journal holds the
    /// request as sent without an answer. Settle it with `Job::settle` once
    /// checked; until then the job does not send it again. Always `None`
    /// without the feature (the field stays, so code that reads it builds
    /// either way).
    pub job: Option<String>,
    /// The request's key in the job's journal.
    #[cfg(feature = "jobs")]
    pub(crate) journal_key: Option<String>,
}

impl std::fmt::Display for UnknownOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: outcome unknown ({}", self.operation, self.cause)?;
        if let Some(id) = &self.tracking_id {
            write!(f, ", tracking id {id}")?;
        }
        write!(f, "); not retried, since sending it twice could create it twice. ")?;
        if let Some(job) = &self.job {
            write!(f, "Job `{job}` will not send it again until it is settled (`Job::settle`). ")?;
        }
        match &self.verify_with {
            Some(v) => write!(f, "Check with {}: {}", v.operation, v.how),
            None => write!(f, "Read the resource back to see whether it took effect before trying again."),
        }
    }
}

impl Error {
    /// Whether trying the same call again later may succeed without changing
    /// anything (what the runtime itself retries, once its retries ran out;
    /// plus a pacing refusal, which passes with time).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.retryable,
            Error::RateLimited(r) => r.kind == RateLimitKind::PerSecond,
            Error::Transport { .. } | Error::Timeout { .. } | Error::Stalled { .. } | Error::PacingWouldWait { .. } => {
                true
            }
            Error::Auth { source, .. } => source.is_retryable(),
            Error::SharedState { .. } => true,
            _ => false,
        }
    }

    /// The operation that failed, when the error comes from one.
    pub fn operation(&self) -> Option<Operation> {
        Some(match self {
            Error::Api(e) => e.operation,
            Error::RateLimited(r) => r.operation,
            Error::Decode(d) => d.operation,
            Error::UnknownOutcome(u) => u.operation,
            Error::BudgetExhausted { operation, .. }
            | Error::PacingWouldWait { operation, .. }
            | Error::Auth { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Stalled { operation, .. }
            | Error::BodyTooLarge { operation, .. }
            | Error::PageTokenExpired { operation, .. }
            | Error::PaginationStuck { operation, .. }
            | Error::InvalidRequest { operation, .. }
            | Error::SharedState { operation, .. }
            | Error::Io { operation, .. } => *operation,
            #[cfg(feature = "jobs")]
            Error::Job(e) => return e.operation(),
            Error::ReportFailed { .. } | Error::ReportNotReady { .. } => return None,
        })
    }

    /// Zoom's error code, if Zoom sent one.
    pub fn zoom_code(&self) -> Option<i64> {
        match self {
            Error::Api(e) => e.code,
            Error::RateLimited(_) => Some(429),
            Error::Auth { source: AuthError::TokenRejected { code, .. }, .. } => Some(*code),
            _ => None,
        }
    }

    /// The `x-zm-trackingid` of the response, if there was one.
    pub fn tracking_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.tracking_id.as_deref(),
            Error::RateLimited(r) => r.tracking_id.as_deref(),
            Error::UnknownOutcome(u) => u.tracking_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of Zoom's answer, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::RateLimited(_) => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Decode(d) => Some(d.status),
            Error::BodyTooLarge { status, .. } => Some(*status),
            Error::UnknownOutcome(u) => u.status,
            Error::Auth { source: AuthError::TokenRejected { .. }, .. } => Some(StatusCode::UNAUTHORIZED),
            _ => None,
        }
    }
}

/// Why a job cannot go on.
#[cfg(feature = "jobs")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// Another runner holds the job's lease.
    #[error(
        "job `{job}` is being run by {holder}{}; it runs once at a time. A copy that is gone is taken over at once on its own host, and elsewhere once its lease expires ({} after its last renewal); or wait with `JobBuilder::wait_for_lease`",
        since.map(|at| format!(" since {}", at.format("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_default(),
        Dur(*lease)
    )]
    Held {
        /// The job's name.
        job: String,
        /// Who holds it: host, process id and a random id.
        holder: String,
        /// Since when, as the holder wrote it.
        since: Option<DateTime<Utc>>,
        /// How long a lease lasts without renewal.
        lease: Duration,
    },
    /// This runner lost the job's lease: it was not renewed in time (the
    /// process was paused, or the store unreachable), and another runner may
    /// have the job now. Nothing more is sent or journaled by this handle.
    #[error(
        "job `{job}`: this runner ({holder}) lost the job's lease{}; nothing more is sent for it. Start the job again to go on from its journal",
        if now.is_empty() { String::new() } else { format!(", now held by {now}") }
    )]
    LeaseLost {
        /// The job's name.
        job: String,
        /// This runner.
        holder: String,
        /// Who holds it now (empty: nobody).
        now: String,
    },
    /// The job's store failed while starting, renewing or ending it.
    #[error("job `{job}`: the state store failed")]
    Store {
        /// The job's name.
        job: String,
        /// What went wrong with the store.
        #[source]
        source: StoreError,
    },
    /// The journal holds an entry this version cannot use.
    #[error("job `{job}`: its journal {reason}; drop it with `Job::forget` to start over")]
    Journal {
        /// The job's name.
        job: String,
        /// What is wrong.
        reason: String,
    },
    /// A request this job recorded as done cannot be answered from the journal.
    #[error("job `{job}`: {operation}: the request is done (not sent again), but {reason}")]
    NotReplayable {
        /// The job's name.
        job: String,
        /// The operation.
        operation: Operation,
        /// Why it cannot be replayed.
        reason: String,
    },
    /// The job cannot be started as configured.
    #[error("job `{job}`: {reason}")]
    Invalid {
        /// The job's name (as given).
        job: String,
        /// What is wrong, and what to do.
        reason: String,
    },
}

#[cfg(feature = "jobs")]
impl JobError {
    /// The operation the error is about, if any.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            JobError::NotReplayable { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// The job's name.
    pub fn job(&self) -> &str {
        match self {
            JobError::Held { job, .. }
            | JobError::LeaseLost { job, .. }
            | JobError::Store { job, .. }
            | JobError::Journal { job, .. }
            | JobError::NotReplayable { job, .. }
            | JobError::Invalid { job, .. } => job,
        }
    }
}

/// Why no usable access token could be had.
///
/// Every text field has had the client secret scrubbed out, so `Debug` and
/// `Display` are safe to log. Cloning is cheap: one failed token request is
/// handed to every caller that waited on it.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The OAuth endpoint refused the credentials.
    #[error("Zoom's OAuth endpoint refused the token request (HTTP {status}{}): {}. {hint}", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default(), message.trim_end_matches('.'))]
    Rejected {
        /// HTTP status of the token endpoint.
        status: u16,
        /// Zoom's error code or OAuth error string, if any (secrets removed).
        code: Option<String>,
        /// Zoom's message (secrets removed).
        message: String,
        /// What to fix.
        hint: &'static str,
    },
    /// The OAuth endpoint answered something that is not a token.
    #[error("Zoom's OAuth endpoint answered HTTP {status} with an unexpected body {snippet:?}")]
    InvalidResponse {
        /// HTTP status.
        status: u16,
        /// The start of the body, or what is wrong with it (secrets removed
        /// before the body was cut).
        snippet: String,
    },
    /// The OAuth endpoint's body is larger than the configured cap; reading
    /// stopped there.
    #[error("Zoom's OAuth endpoint answered HTTP {status} with a body over the {limit}-byte cap")]
    BodyTooLarge {
        /// HTTP status.
        status: u16,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The OAuth endpoint did not answer (status, headers and body) in time.
    #[error("Zoom's OAuth endpoint did not answer within {}", Dur(*after))]
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The OAuth endpoint could not be reached, or the connection broke.
    #[error("cannot reach Zoom's OAuth endpoint")]
    Transport(#[source] Arc<reqwest::Error>),
    /// Zoom rejected the access token on an API call, even after renewal
    /// (or the token cannot be renewed).
    // The call's error says the token was rejected; this says what Zoom answered.
    #[error("Zoom's answer (code {code}): {}. {hint}", message.trim_end_matches('.'))]
    TokenRejected {
        /// Zoom's error code (124: invalid or expired token).
        code: i64,
        /// Zoom's message.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// A user-supplied [`TokenProvider`](crate::auth::TokenProvider) failed.
    #[error("the token provider failed: {0}")]
    Provider(String),
    /// The token contains bytes not allowed in an HTTP header.
    #[error("the access token contains characters not allowed in an HTTP header")]
    InvalidToken,
    /// The shared token could not be read from or written to the shared
    /// state store (see [`crate::shared`]).
    #[error("the shared token could not be read or renewed")]
    SharedState(#[source] StoreError),
}

/// What went wrong with the shared state store (see [`crate::shared`]).
/// Never contains the store's password.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached, or did not answer in time.
    #[error("the store at {url} is unavailable ({reason}); start it again, or see `WhenUnavailable`")]
    Unavailable {
        /// The store's address, without credentials.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The store answered something the runtime does not understand (a
    /// different program using the same keys, or a store that is not Redis).
    #[error("the store at {url} answered unexpectedly: {reason}")]
    Protocol {
        /// The store's address, without credentials.
        url: String,
        /// What was wrong with the answer.
        reason: String,
    },
    /// Another process holds the token renewal lock and no new token
    /// appeared in the store within the wait allowed.
    #[error("no shared token appeared within {}; the process renewing it may have stopped", crate::human::Dur(*waited))]
    TokenWait {
        /// How long this process waited.
        waited: Duration,
    },
}

impl AuthError {
    /// Whether the same request may succeed later: transport failures,
    /// timeouts, and answers of the token endpoint with a 5xx status.
    pub fn is_retryable(&self) -> bool {
        match self {
            AuthError::Transport(_) | AuthError::Timeout { .. } | AuthError::SharedState(_) => true,
            AuthError::Rejected { status, .. }
            | AuthError::InvalidResponse { status, .. }
            | AuthError::BodyTooLarge { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Why a [`ClientBuilder`](crate::ClientBuilder) could not build a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No credentials were given.
    #[error(
        "no credentials: call `bearer_token(..)`, `server_to_server(..)` or `token_provider(..)`, or set ZOOM_ACCESS_TOKEN or ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
    )]
    MissingCredentials,
    /// Some but not all Server-to-Server variables are set.
    #[error("incomplete Server-to-Server OAuth credentials: {0} is not set")]
    MissingVariable(&'static str),
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is out of its range.
    #[error("invalid setting `{setting}`: {reason}")]
    InvalidSetting {
        /// The builder method.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// reqwest could not build its client (e.g. the TLS backend failed to start).
    #[error("cannot build the HTTP client")]
    Http(#[source] reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `{:#}` shows after `?` into anyhow (and a log line, [`Chain`]): the
    /// error, then each source. Fails on an error that prints its source as
    /// well as returning it (`{:#}` would show it twice); the end-to-end tests
    /// (`tests/error_boundary.rs`) check the wording of real calls' chains.
    fn chain(error: &(dyn std::error::Error + 'static)) -> String {
        let mut outer = error.to_string();
        let mut source = error.source();
        while let Some(e) = source {
            let inner = e.to_string();
            assert!(!outer.ends_with(&inner), "{outer:?} prints its source {inner:?}, which follows it again");
            outer = inner;
            source = e.source();
        }
        crate::human::Chain(error).to_string()
    }

    /// A real reqwest error with a source of its own (a URL that does not parse).
    fn reqwest_error() -> reqwest::Error {
        reqwest::Client::new().get("not a url").build().expect_err("a relative URL does not build")
    }

    #[test]
    fn no_message_repeats_its_source() {
        let op = Operation::GetPlanUsage;
        let at = DateTime::<Utc>::from_timestamp(1_764_000_000, 0).unwrap();
        let store = || StoreError::Unavailable { url: "redis://127.0.0.1:6379/".into(), reason: "refused".into() };
        let errors: Vec<Error> = vec![
            Error::Api(Box::new(ApiError {
                operation: op,
                status: StatusCode::BAD_REQUEST,
                code: Some(300),
                message: "Invalid field.".into(),
                errors: vec![FieldError { field: Some("plan_base.hosts".into()), message: Some("Too large.".into()) }],
                tracking_id: Some("t-1".into()),
                attempts: 2,
                retryable: false,
            })),
            Error::RateLimited(Box::new(RateLimited {
                operation: op,
                kind: RateLimitKind::Daily,
                category: Some("Heavy".into()),
                limit: Some(6),
                remaining: Some(0),
                reset_at: Some(at),
                reset_in: Some(Duration::from_secs(3600)),
                message: "You have reached the maximum daily rate limit.".into(),
                tracking_id: Some("t-2".into()),
                attempts: 1,
            })),
            Error::BudgetExhausted { operation: op, limit: 6, resets_at: at, resets_in: Duration::from_secs(60) },
            Error::PacingWouldWait {
                operation: op,
                wait: Duration::from_secs(90),
                next_at: at,
                max_wait: Duration::ZERO,
            },
            Error::Auth {
                operation: op,
                source: AuthError::TokenRejected {
                    code: 124,
                    message: "Invalid access token.".into(),
                    hint: "Renew it.",
                },
            },
            Error::Auth {
                operation: op,
                source: AuthError::Rejected {
                    status: 401,
                    code: Some("invalid_client".into()),
                    message: "Invalid client_id or client_secret.".into(),
                    hint: "Check the credentials.",
                },
            },
            Error::Auth { operation: op, source: AuthError::Transport(Arc::new(reqwest_error())) },
            Error::Auth { operation: op, source: AuthError::Timeout { after: Duration::from_millis(10_500) } },
            Error::Auth { operation: op, source: AuthError::SharedState(store()) },
            Error::Auth {
                operation: op,
                source: AuthError::SharedState(StoreError::TokenWait { waited: Duration::from_secs(5) }),
            },
            Error::Transport { operation: op, attempts: 3, source: reqwest_error() },
            Error::Timeout { operation: op, after: Duration::from_secs(30), attempts: 2 },
            Error::Stalled { operation: op, idle: Duration::from_secs(30) },
            Error::Decode(Box::new(DecodeError {
                operation: op,
                status: StatusCode::OK,
                snippet: "{\"plan_base\": [".into(),
                reason: "expected ident at line 1 column 17".into(),
            })),
            Error::BodyTooLarge { operation: op, status: StatusCode::OK, limit: 1024 },
            Error::UnknownOutcome(Box::new(UnknownOutcome {
                operation: Operation::SubscribePlan,
                cause: "Zoom answered HTTP 503: Service unavailable.".into(),
                status: Some(StatusCode::SERVICE_UNAVAILABLE),
                tracking_id: Some("t-3".into()),
                verify_with: Some(Verification { operation: Operation::GetAccountPlans, how: "look for the plan" }),
                job: Some("month-end".into()),
                #[cfg(feature = "jobs")]
                journal_key: None,
            })),
            Error::PageTokenExpired { operation: op, items_seen: 300 },
            Error::PaginationStuck { operation: op, pages: 4, reason: "the same next_page_token twice".into() },
            Error::InvalidRequest { operation: op, message: "account_id is required".into() },
            Error::SharedState { operation: op, source: store() },
            Error::SharedState {
                operation: op,
                source: StoreError::Protocol { url: "redis://127.0.0.1:6379/".into(), reason: "not a number".into() },
            },
            Error::Io { operation: op, path: Some("/tmp/x.pdf".into()), source: std::io::Error::other("disk full") },
        ];
        for error in &errors {
            let text = chain(error);
            assert!(text.starts_with("get_plan_usage: ") || text.starts_with("subscribe_plan: "), "{text}");
            assert!(!text.contains(".."), "a doubled full stop: {text}");
        }
        for error in [
            BuildError::Http(reqwest_error()),
            BuildError::InvalidSetting { setting: "timeout", reason: "must be above zero".into() },
        ] {
            chain(&error);
        }
    }

    #[cfg(feature = "jobs")]
    #[test]
    fn no_job_message_repeats_its_source() {
        let op = Operation::GetPlanUsage;
        let store = || StoreError::Unavailable { url: "redis://127.0.0.1:6379/".into(), reason: "refused".into() };
        let job = |source: JobError| Error::Job(Box::new(source));
        let since = Some("2026-12-01T08:00:00Z".parse().unwrap());
        for error in [
            job(JobError::Held { job: "j".into(), holder: "vm/pid 7/1".into(), since, lease: Duration::from_secs(30) }),
            job(JobError::LeaseLost { job: "j".into(), holder: "vm/pid 7/1".into(), now: "vm/pid 8/2".into() }),
            job(JobError::LeaseLost { job: "j".into(), holder: "vm/pid 7/1".into(), now: String::new() }),
            job(JobError::Store { job: "j".into(), source: store() }),
            job(JobError::Journal { job: "j".into(), reason: "holds an entry this version cannot read".into() }),
            job(JobError::NotReplayable { job: "j".into(), operation: op, reason: "its answer was too large".into() }),
            job(JobError::Invalid { job: "j".into(), reason: "a lease of 1s is not between 3 s and 1 hour".into() }),
        ] {
            let text = chain(&error);
            assert!(text.starts_with("job `j`"), "{text}");
            assert!(!text.contains(".."), "a doubled full stop: {text}");
        }
    }
}
