//! The generated client's hooks: every request passes through here.

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};

use crate::config::Credentials;
use crate::{Client, ClientState};

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        // progenitor sends the spec's `info.version` as `api-version`; Zoom
        // does not use that header.
        request.headers_mut().remove("api-version");
        match &self.inner().inner.credentials {
            Credentials::Bearer(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::InvalidRequest("the access token contains characters not allowed in a header".into())
                })?;
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        Ok(())
    }
}
