//! The runtime state behind every [`Client`](crate::Client): shared by its clones.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Auth;
#[cfg(feature = "jobs")]
use crate::journal::Journal;
use crate::observer::SharedObserver;
use crate::pacing::Pacer;
use crate::retry::RetryPolicy;

/// The generated client's inner value: the runtime, and the journal of the
/// job the client runs for, if any. Public only because the generated code
/// names it; not reachable from outside the crate.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) runtime: Arc<Runtime>,
    /// Set on a job's client ([`crate::job::Job::client`]): its calls are journaled.
    #[cfg(feature = "jobs")]
    pub(crate) journal: Option<Arc<Journal>>,
}

impl ClientState {
    /// A client's state, running for no job.
    pub(crate) fn new(runtime: Arc<Runtime>) -> Self {
        ClientState {
            runtime,
            #[cfg(feature = "jobs")]
            journal: None,
        }
    }
}

/// Limits on response bodies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimits {
    /// Largest body read whole (JSON and error bodies).
    pub(crate) max_body_size: u64,
    /// Longest pause between two pieces of a streamed download.
    pub(crate) idle_timeout: Duration,
}

/// What is shared between clones of one client.
pub(crate) struct Runtime {
    pub(crate) auth: Auth,
    pub(crate) auth_kind: &'static str,
    /// The shared state store, namespaced: jobs keep their journals there (the
    /// pacer and auth hold their own handles).
    #[cfg(feature = "jobs")]
    pub(crate) store: Option<crate::shared::Store>,
    pub(crate) pacer: Pacer,
    pub(crate) retry: RetryPolicy,
    /// Per attempt, from sending: until the response headers, and for JSON
    /// bodies until the whole body is read.
    pub(crate) timeout: Duration,
    /// Where attempts wait for their timeout ([`crate::deadline`]).
    pub(crate) deadlines: crate::deadline::Deadlines,
    pub(crate) limits: BodyLimits,
    /// Called once per attempt, when set.
    pub(crate) observer: Option<SharedObserver>,
    /// Spec drift observation, when the program asked for it.
    #[cfg(feature = "drift")]
    pub(crate) drift: Option<Arc<crate::drift::DriftObserver>>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rt = &self.runtime;
        let mut debug = f.debug_struct("ClientState");
        debug
            .field("auth", &format_args!("{} ([REDACTED])", rt.auth_kind))
            .field("retry", &rt.retry)
            .field("timeout", &rt.timeout)
            .field("limits", &rt.limits)
            .field("pacer", &rt.pacer)
            .field("observer", &rt.observer.is_some());
        #[cfg(feature = "jobs")]
        debug.field("job", &self.journal.as_ref().map(|journal| &*journal.name));
        debug.finish()
    }
}
