//! The [`Client`]: one method per operation (generated from the spec), each
//! returning a request builder whose `send()` runs the call pipeline.

use std::fmt;
#[cfg(feature = "jobs")]
use std::sync::Arc;

use progenitor_client::ClientInfo;

use crate::generated::client::Client as RawClient;
#[cfg(feature = "jobs")]
use crate::journal::Journal;
#[cfg(feature = "jobs")]
use crate::state::ClientState;
use crate::state::Runtime;

/// A client of Zoom's billing master-account API.
///
/// Cheap to clone: clones share the connection pool, the token and the
/// pacing state. Build one with [`Client::builder`] or [`Client::from_env`].
#[derive(Clone)]
pub struct Client {
    raw: RawClient,
}

impl Client {
    pub(crate) fn from_raw(raw: RawClient) -> Self {
        Client { raw }
    }

    /// progenitor's client, which the generated builders wrap.
    pub(crate) fn raw(&self) -> &RawClient {
        &self.raw
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        &self.raw.inner().runtime
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
    }
}

/// A job's client: the same connections, token and pacing, with a journal.
#[cfg(feature = "jobs")]
impl Client {
    /// The journal of the job this client runs for, if any.
    pub(crate) fn journal(&self) -> Option<&Arc<Journal>> {
        self.raw.inner().journal.as_ref()
    }

    /// This client without a job's journal: for reads that must see Zoom as
    /// it is now (a poll), which a job's journal would answer as it was.
    pub(crate) fn unjournaled(&self) -> Client {
        let inner = self.raw.inner();
        if inner.journal.is_none() {
            return self.clone();
        }
        let state = ClientState::new(Arc::clone(&inner.runtime));
        Client { raw: RawClient::new_with_client(self.raw.baseurl(), self.raw.client().clone(), state) }
    }

    /// This client, running for `journal`'s job: same connections, token and pacing.
    pub(crate) fn for_job(&self, journal: Arc<Journal>) -> Client {
        let state = ClientState { runtime: Arc::clone(&self.raw.inner().runtime), journal: Some(journal) };
        Client { raw: RawClient::new_with_client(self.raw.baseurl(), self.raw.client().clone(), state) }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("base_url", &self.base_url()).field("state", self.raw.inner()).finish()
    }
}

/// The tracking id of a successful response.
pub trait ResponseExt {
    /// The `x-zm-trackingid` header, if present: quote it to Zoom support.
    fn tracking_id(&self) -> Option<&str>;
}

impl<T> ResponseExt for crate::ResponseValue<T> {
    fn tracking_id(&self) -> Option<&str> {
        crate::classify::tracking_id(self.headers())
    }
}
