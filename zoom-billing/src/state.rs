//! The runtime state every generated request passes through.

use std::fmt;
use std::sync::Arc;

use crate::config::Credentials;

/// Runtime state carried by every [`Client`](crate::Client): credentials now,
/// and the seams for pacing and retries. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct ClientState {
    pub(crate) inner: Arc<Runtime>,
}

/// What is shared between clones of one client.
pub(crate) struct Runtime {
    pub(crate) credentials: Credentials,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").field("credentials", &self.inner.credentials).finish()
    }
}
