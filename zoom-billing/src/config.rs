//! Building a [`Client`]: base URL, credentials, timeouts, HTTP client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Client;
use crate::state::{ClientState, Runtime};

/// Zoom's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.zoom.us/v2";

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("zoom-billing/", env!("CARGO_PKG_VERSION"));

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone)]
pub(crate) struct Secret(Arc<str>);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How requests are authorised.
#[derive(Clone, Debug)]
pub(crate) enum Credentials {
    /// A fixed OAuth access token.
    Bearer(Secret),
}

/// Why a [`ClientBuilder`] could not build a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No credentials were given.
    #[error("no credentials: call `bearer_token(..)`")]
    MissingCredentials,
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// reqwest could not build its client (e.g. the TLS backend failed to start).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Configures and builds a [`Client`]. Start with [`Client::builder`].
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<Credentials>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl Client {
    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl ClientBuilder {
    /// The API base URL, default [`DEFAULT_BASE_URL`]. A trailing `/` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Authorise every request with this OAuth access token.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Bearer(Secret::new(token)));
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for a whole request, body included (default 60 s).
    /// Streaming downloads are not cut off by this: it applies until the
    /// response headers arrive and to JSON bodies.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Use this `reqwest::Client` (its own timeouts, proxy, TLS settings and
    /// user agent apply; the builder's timeouts are then ignored).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let credentials = self.credentials.ok_or(BuildError::MissingCredentials)?;
        let base_url = normalise_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .read_timeout(self.timeout.unwrap_or(Duration::from_secs(60)))
                .build()
                .map_err(BuildError::Http)?,
        };
        let state = ClientState { inner: Arc::new(Runtime { credentials }) };
        Ok(Client::new_with_client(&base_url, http, state))
    }
}

fn normalise_base_url(url: &str) -> Result<String, BuildError> {
    let invalid = |reason: &str| BuildError::InvalidBaseUrl { url: url.to_owned(), reason: reason.to_owned() };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    // Generated code appends `/path` to the base URL as text.
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let client = Client::builder().bearer_token("super-secret-token").build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("super-secret-token"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn base_url_is_checked_and_normalised() {
        assert_eq!(normalise_base_url("http://127.0.0.1:8080/v2/").unwrap(), "http://127.0.0.1:8080/v2");
        assert!(matches!(normalise_base_url("ftp://x"), Err(BuildError::InvalidBaseUrl { .. })));
        assert!(matches!(normalise_base_url("not a url"), Err(BuildError::InvalidBaseUrl { .. })));
    }

    #[test]
    fn credentials_are_required() {
        assert!(matches!(Client::builder().build(), Err(BuildError::MissingCredentials)));
    }
}
