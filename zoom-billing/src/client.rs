//! The [`Client`]: one method per operation (generated from the spec), each
//! returning a request builder whose `send()` runs the call pipeline.

use std::fmt;

use progenitor_client::ClientInfo;

use crate::generated::client::Client as RawClient;
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
        &self.raw.inner().0
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.raw.baseurl()
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
