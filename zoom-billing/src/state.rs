//! The runtime state every generated request passes through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::SharedProvider;
use crate::pacing::Pacer;
use crate::retry::RetryPolicy;

/// Runtime state carried by every [`Client`](crate::Client): the token
/// provider, the pacer and daily budgets, the retry policy and timeouts.
/// Cheap to clone (one `Arc`); clones of a client share it.
#[derive(Clone)]
pub struct ClientState {
    pub(crate) inner: Arc<Runtime>,
}

/// What is shared between clones of one client.
pub(crate) struct Runtime {
    pub(crate) auth: SharedProvider,
    pub(crate) auth_kind: &'static str,
    pub(crate) pacer: Pacer,
    pub(crate) retry: RetryPolicy,
    /// Per attempt: until the response headers, and for JSON bodies until the
    /// whole body is read.
    pub(crate) timeout: Duration,
    /// The path of the base URL (e.g. `/v2`), stripped to find the operation's path.
    pub(crate) base_path: String,
    /// Spec drift observation, when the program asked for it.
    pub(crate) drift: Option<Arc<crate::drift::DriftObserver>>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rt = &self.inner;
        f.debug_struct("ClientState")
            .field("auth", &format_args!("{} ([REDACTED])", rt.auth_kind))
            .field("retry", &rt.retry)
            .field("timeout", &rt.timeout)
            .field("pacer", &rt.pacer)
            .finish()
    }
}
