//! A job's call before and after it is sent: what its journal
//! ([`crate::journal`]) says of the request, and what it records.
//!
//! Before: the lease must still be held; the request is built (not sent) to
//! take its key; a request the journal holds as done is answered from it (no
//! turn, no budget unit, nothing sent); a creating request the journal holds
//! as sent without an answer fails with [`UnknownOutcome`] and is not sent;
//! a new creating request is journaled as sent before it is. After: a
//! success is recorded; a creating request that surely did not take effect
//! is struck out, so a rerun sends it; one whose outcome is unknown stays
//! as sent.
//!
//! Downloads are journaled by `save_to` ([`crate::download`]), which can
//! check the file a rerun finds; here they pass through.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

use crate::error::{Error, JobError, Result, UnknownOutcome};
use crate::hooks::{Recorded, Sending};
use crate::journal::{Done, Entry, Journal, RequestKey};
use crate::metadata::Operation;
use crate::redact::Redactor;
use crate::shared::MAX_ENTRY;
use crate::types::ZoomError;

/// What progenitor's `send()` returns.
type RawResult<T> = std::result::Result<ResponseValue<T>, GenError<ZoomError>>;

/// What the journal says of a call before it is sent.
pub(crate) enum Before<T> {
    /// Answered from the journal, or refused by it: the call's result.
    Answered(Result<ResponseValue<T>>),
    /// Send it, then tell the journal how it went.
    Send(Pending),
}

/// A job's call being sent.
pub(crate) struct Pending {
    journal: Arc<Journal>,
    key: RequestKey,
    /// Whether it was journaled as sent (a creating request).
    intent: bool,
}

/// What the journal decided, before anything generic over the call's type:
/// compiled once, not per operation.
enum Decided {
    Send(Pending),
    /// Answer with this recorded success (decoded by progenitor, or the operation's empty value).
    Replay(Recorded),
}

/// Ask `journal` about the call `attempt` sends. Only the request's probe and
/// the replay are generic; the journal's logic is in [`decide`].
pub(crate) async fn before<'a, T, F, Fut>(
    journal: &Arc<Journal>,
    operation: Operation,
    empty: Option<fn() -> T>,
    attempt: &mut F,
) -> Before<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RawResult<T>> + Send + 'a,
{
    if let Err(error) = journal.check_held() {
        return Before::Answered(Err(error));
    }
    // progenitor's `send()` future behind a pointer: its (large) poll is not compiled again
    // into these two scopes, for every operation.
    let erased = |future: Fut| -> Pin<Box<dyn Future<Output = RawResult<T>> + Send + 'a>> { Box::pin(future) };
    let key = Sending::probe(operation, erased(attempt())).await;
    let recorded = match Box::pin(decide(journal, operation, key, empty.is_some())).await {
        Ok(Decided::Send(pending)) => return Before::Send(pending),
        Ok(Decided::Replay(recorded)) => recorded,
        Err(error) => return Before::Answered(Err(error)),
    };
    if let Some(empty) = empty {
        return Before::Answered(Ok(ResponseValue::new(empty(), recorded.status, HeaderMap::new())));
    }
    match Sending::replay(operation, recorded, erased(attempt())).await {
        Ok(value) => Before::Answered(Ok(value)),
        Err(error) => {
            // progenitor's message may quote the whole body: a bounded start of it.
            let reason: String = error.to_string().chars().take(300).collect();
            let reason = format!("its recorded answer no longer decodes ({reason})");
            Before::Answered(Err(not_replayable(journal, operation, reason)))
        }
    }
}

/// The job cannot answer this call from its journal, and will not send it again.
fn not_replayable(journal: &Journal, operation: Operation, reason: String) -> Error {
    Error::Job(Box::new(JobError::NotReplayable { job: journal.name.to_string(), operation, reason }))
}

/// What the journal holds for `key` (`None`: progenitor could not build the
/// request, which then fails the same way when sent; nothing is journaled).
async fn decide(journal: &Arc<Journal>, operation: Operation, key: Option<RequestKey>, empty: bool) -> Result<Decided> {
    let Some(key) = key else {
        return Ok(Decided::Send(Pending {
            journal: Arc::clone(journal),
            key: RequestKey::none(operation),
            intent: false,
        }));
    };
    let answer = |status: u16, content_type: Option<&str>, body: &str| Recorded {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        content_type: content_type.and_then(|ct| HeaderValue::from_str(ct).ok()),
        body: bytes::Bytes::copy_from_slice(body.as_bytes()),
    };
    match journal.get(operation, &key).await? {
        None => {
            let intent = !operation.meta().idempotent;
            if intent && !journal.intend(operation, &key).await? {
                // Another call of this job journaled the same request since the lookup.
                let cause = format!("another call of job `{}` is sending this same request", journal.name);
                return Err(unknown(journal, operation, &key, cause));
            }
            Ok(Decided::Send(Pending { journal: Arc::clone(journal), key, intent }))
        }
        Some(Entry::Sent { at }) => {
            let cause = format!(
                "a run of job `{}` sent it at {}, and no answer was journaled",
                journal.name,
                at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            Err(unknown(journal, operation, &key, cause))
        }
        Some(Entry::Done(Done::Answer { status, content_type, body })) => {
            Ok(Decided::Replay(answer(status, content_type.as_deref(), &body)))
        }
        Some(Entry::Done(Done::Settled { body: Some(body) })) => {
            Ok(Decided::Replay(answer(operation.meta().success_status, Some("application/json"), &body)))
        }
        // Done without an answer: enough for an operation whose success has none.
        Some(Entry::Done(_)) if empty => Ok(Decided::Replay(answer(operation.meta().success_status, None, ""))),
        Some(Entry::Done(done)) => Err(not_replayable(
            journal,
            operation,
            match done {
                Done::Unkept { size, .. } => format!("its answer ({size} bytes) was too large to keep in the journal"),
                Done::Settled { .. } => "it was settled as done without an answer (`Found::Applied(None)`)".into(),
                _ => "the journal holds a download's entry for it".into(),
            },
        )),
    }
}

/// A creating request the journal holds as sent, with no answer: not sent again.
fn unknown(journal: &Journal, operation: Operation, key: &RequestKey, cause: String) -> Error {
    Error::UnknownOutcome(Box::new(UnknownOutcome {
        operation,
        cause,
        status: None,
        tracking_id: None,
        verify_with: operation.meta().verify_with,
        job: Some(journal.name.to_string()),
        journal_key: Some(key.as_str().to_owned()),
    }))
}

impl Pending {
    /// The call succeeded: record what it answered. A journal that cannot be
    /// written is logged, not the call's failure: the program has its answer,
    /// and a rerun finds the request as sent (a creating one) or sends it
    /// again (any other).
    /// `redactor` knows the token the call carried: a server that echoed it
    /// into a body must not get it into the journal.
    pub(crate) async fn succeeded(
        self,
        operation: Operation,
        status: StatusCode,
        recorded: Option<Recorded>,
        redactor: &Redactor,
    ) {
        if self.key.is_none() {
            return;
        }
        let done = match recorded {
            Some(recorded) if recorded.body.len() > MAX_ENTRY - 1024 => {
                Done::Unkept { status: recorded.status.as_u16(), size: recorded.body.len() as u64 }
            }
            Some(recorded) => match String::from_utf8(recorded.body.to_vec()) {
                Ok(body) => Done::Answer {
                    status: recorded.status.as_u16(),
                    content_type: recorded.content_type.and_then(|ct| ct.to_str().ok().map(str::to_owned)),
                    body: redactor.scrub(&body),
                },
                Err(_) => Done::Unkept { status: recorded.status.as_u16(), size: recorded.body.len() as u64 },
            },
            None => Done::Answer { status: status.as_u16(), content_type: None, body: String::new() },
        };
        if let Err(error) = self.journal.put(operation, &self.key, Some(&Entry::Done(done))).await {
            tracing::warn!(job = %self.journal.name, %operation, error = %error, "the answer was not journaled");
        }
    }

    /// The call failed with `error`: strike out a creating request that surely
    /// did not take effect; name the job in an unknown outcome.
    pub(crate) async fn failed(self, operation: Operation, error: Error) -> Error {
        if !self.intent {
            return error;
        }
        match error {
            Error::UnknownOutcome(mut unknown) => {
                unknown.job = Some(self.journal.name.to_string());
                unknown.journal_key = Some(self.key.as_str().to_owned());
                Error::UnknownOutcome(unknown)
            }
            error => {
                if let Err(journal) = self.journal.put(operation, &self.key, None).await {
                    tracing::warn!(job = %self.journal.name, %operation, error = %journal,
                        "a request that was not applied is still journaled as sent: the next run reports its outcome unknown");
                }
                error
            }
        }
    }
}
