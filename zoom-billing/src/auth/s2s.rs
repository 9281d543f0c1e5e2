//! The Server-to-Server OAuth provider: cache, one shared token request,
//! backoff after failures (see the [module docs](super)).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared, WeakShared};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::USER_AGENT;
use super::response::{self, ReadError, Token};
use super::{
    DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_TOKEN_BODY, DEFAULT_OAUTH_HOST, DEFAULT_REFRESH_MARGIN, MAX_FAILURE_BACKOFF,
    TokenProvider,
};
use crate::error::AuthError;
use crate::error::BuildError;
use crate::redact::Redactor;

/// The timeout of a token request, unless configured (the client's default
/// attempt timeout).
const DEFAULT_TOKEN_TIMEOUT: Duration = Duration::from_secs(60);

/// The connect timeout of the HTTP client a [`ServerToServerBuilder`] makes.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One token request, as a future.
type Request = BoxFuture<'static, Result<SecretString, AuthError>>;

/// One token request, awaited by every caller that needs a token meanwhile.
type Flight = Shared<Request>;

/// Server-to-Server OAuth: `account_credentials` grant with HTTP Basic client
/// credentials, token cached and renewed before it expires.
///
/// The client builds one from
/// [`ClientBuilder::server_to_server`](crate::ClientBuilder::server_to_server);
/// [`ServerToServer::builder`] makes one to use on its own or to wrap in
/// your own [`TokenProvider`].
pub struct ServerToServer {
    inner: Arc<Inner>,
}

struct Inner {
    account_id: String,
    token_index: Option<u32>,
    client_id: String,
    client_secret: SecretString,
    token_url: String,
    margin: Duration,
    timeout: Duration,
    max_body: usize,
    backoff: Duration,
    http: reqwest::Client,
    /// Knows the client secret and `base64(client_id:client_secret)`.
    redactor: Redactor,
    state: Mutex<State>,
    requests: AtomicU64,
    /// The fleet's shared token, when the provider has a store.
    shared: Option<SharedToken>,
}

/// Where the fleet's token lives in the shared store.
struct SharedToken {
    store: crate::shared::Store,
    /// `zb:{account}:token:<client id>:<token index>`.
    key: String,
}

#[derive(Default)]
struct State {
    token: Option<Cached>,
    /// The request in flight, if a caller still waits on it (weak: when every
    /// caller has dropped its future, the request is cancelled).
    flight: Option<(u64, WeakShared<Request>)>,
    /// Numbers flights, so a finished one only clears itself.
    flights: u64,
    /// Failed requests in a row.
    failures: u32,
    /// No request before this instant (set after a failure).
    retry_at: Option<Instant>,
    /// The last token Zoom rejected: never taken from the shared store again.
    rejected: Option<SecretString>,
}

struct Cached {
    token: super::Token,
    renew_at: Instant,
}

impl fmt::Debug for ServerToServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("ServerToServer")
            .field("account_id", &inner.account_id)
            .field("client_id", &inner.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("token_url", &inner.token_url)
            .field("margin", &inner.margin)
            .field("timeout", &inner.timeout)
            .field("max_body", &inner.max_body)
            .finish_non_exhaustive()
    }
}

impl ServerToServer {
    /// Configure a provider for these app credentials.
    pub fn builder(
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> ServerToServerBuilder {
        ServerToServerBuilder {
            account_id: account_id.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            oauth_host: DEFAULT_OAUTH_HOST.to_owned(),
            margin: DEFAULT_REFRESH_MARGIN,
            timeout: DEFAULT_TOKEN_TIMEOUT,
            max_body: DEFAULT_MAX_TOKEN_BODY,
            backoff: DEFAULT_FAILURE_BACKOFF,
            http: None,
            token_index: None,
            shared: None,
        }
    }

    /// Credentials of a Server-to-Server OAuth app (the client's settings;
    /// the body cap and failure backoff take their defaults).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        account_id: String,
        client_id: String,
        client_secret: SecretString,
        oauth_host: &str,
        margin: Duration,
        timeout: Duration,
        http: reqwest::Client,
        shared: Option<crate::shared::Store>,
    ) -> Self {
        ServerToServerBuilder {
            account_id,
            client_id,
            client_secret,
            oauth_host: oauth_host.to_owned(),
            margin,
            timeout,
            max_body: DEFAULT_MAX_TOKEN_BODY,
            backoff: DEFAULT_FAILURE_BACKOFF,
            http: None,
            token_index: None,
            shared,
        }
        .assemble(http)
    }

    /// How many token requests this provider has made.
    pub fn token_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }
}

/// Settings of a [`ServerToServer`] provider. Start with [`ServerToServer::builder`].
#[must_use]
pub struct ServerToServerBuilder {
    account_id: String,
    client_id: String,
    client_secret: SecretString,
    oauth_host: String,
    margin: Duration,
    timeout: Duration,
    max_body: usize,
    backoff: Duration,
    http: Option<reqwest::Client>,
    token_index: Option<u32>,
    shared: Option<crate::shared::Store>,
}

impl fmt::Debug for ServerToServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerToServerBuilder")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("oauth_host", &self.oauth_host)
            .field("token_index", &self.token_index)
            .finish_non_exhaustive()
    }
}

impl ServerToServerBuilder {
    /// The OAuth host of the token endpoint, default `https://zoom.us`.
    pub fn oauth_host(mut self, url: impl Into<String>) -> Self {
        self.oauth_host = url.into();
        self
    }

    /// Renew tokens this long before they expire (default 60 s; a token that
    /// lives less than twice this is renewed at half its life).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Time allowed for one token request, body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Read at most this many bytes of a token endpoint's body (default
    /// [`DEFAULT_MAX_TOKEN_BODY`](super::DEFAULT_MAX_TOKEN_BODY)); a larger
    /// body is [`AuthError::BodyTooLarge`]. A real token answer is under 1 KiB.
    pub fn max_token_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Wait this long before the request that follows a failed one, doubled
    /// for each further failure in a row up to
    /// [`MAX_FAILURE_BACKOFF`](super::MAX_FAILURE_BACKOFF) (default 1 s).
    pub fn failure_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// Request tokens with Zoom's `token_index` (sent as a query parameter
    /// next to `account_id`). When Zoom has raised the app's token tolerance,
    /// each index holds its own valid token, so programs that cannot share
    /// one token (no shared store) use different indexes instead of
    /// invalidating each other's. Default: none sent (index 0).
    pub fn token_index(mut self, index: u32) -> Self {
        self.token_index = Some(index);
        self
    }

    /// Share the token with every process of the fleet through `store` (see
    /// [`crate::shared`]): one token per account, client id and token index,
    /// renewed by one process at a time.
    #[cfg(any(feature = "redis", feature = "sqlite"))]
    pub fn shared_state(mut self, store: impl Into<crate::shared::SharedStore>) -> Self {
        self.shared = Some(store.into().0);
        self
    }

    /// Use this `reqwest::Client` (default: a client with a 10 s connect timeout).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Build the provider. Fails when the OAuth host is not an absolute
    /// http(s) URL, or when the default HTTP client cannot be built.
    pub fn build(self) -> Result<ServerToServer, BuildError> {
        let host = self.oauth_host.clone();
        let invalid = |reason: &str| BuildError::InvalidBaseUrl { url: host.clone(), reason: reason.to_owned() };
        let parsed = reqwest::Url::parse(&self.oauth_host).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        let http = match self.http.clone() {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
                .build()
                .map_err(BuildError::Http)?,
        };
        Ok(self.assemble(http))
    }

    fn assemble(self, http: reqwest::Client) -> ServerToServer {
        let redactor = Redactor::default().with_basic_credentials(&self.client_id, self.client_secret.expose_secret());
        let shared = self.shared.map(|store| {
            let store = store.or_namespace(&self.account_id);
            let key = store.key(&format!("token:{}:{}", self.client_id, self.token_index.unwrap_or(0)));
            SharedToken { store, key }
        });
        ServerToServer {
            inner: Arc::new(Inner {
                token_url: format!("{}/oauth/token", self.oauth_host.trim_end_matches('/')),
                account_id: self.account_id,
                token_index: self.token_index,
                client_id: self.client_id,
                client_secret: self.client_secret,
                margin: self.margin,
                timeout: self.timeout,
                max_body: self.max_body,
                backoff: self.backoff,
                http,
                redactor,
                state: Mutex::new(State::default()),
                requests: AtomicU64::new(0),
                shared,
            }),
        }
    }
}

impl Inner {
    /// The state; a poisoned lock is still usable (every update is one assignment).
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One flight: wait out the backoff, request, record the outcome.
    async fn fly(self: Arc<Self>, id: u64, not_before: Option<Instant>) -> Result<SecretString, AuthError> {
        if let Some(at) = not_before {
            tokio::time::sleep_until(at).await;
        }
        let outcome = self.token().await;
        let now = Instant::now();
        let mut state = self.state();
        if state.flight.as_ref().is_some_and(|(current, _)| *current == id) {
            state.flight = None;
        }
        match outcome {
            Ok((secret, reuse)) => {
                state.failures = 0;
                state.retry_at = None;
                state.token = now
                    .checked_add(reuse)
                    .map(|renew_at| Cached { token: super::AccessToken::new(secret.clone()), renew_at });
                Ok(secret)
            }
            // The shared store failed, not the token endpoint: the next call asks the
            // store again at once (it fails within the store's timeout, or goes through
            // once the store is back), and no backoff meant for Zoom holds it.
            Err(error @ AuthError::SharedState(_)) => Err(error),
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let wait =
                    self.backoff.saturating_mul(1 << state.failures.saturating_sub(1).min(16)).min(MAX_FAILURE_BACKOFF);
                state.retry_at = now.checked_add(wait);
                tracing::debug!(
                    target: "zoom_billing::auth",
                    failures = state.failures,
                    ?wait,
                    error = %crate::human::Chain(&error),
                    "token request failed"
                );
                Err(error)
            }
        }
    }

    /// A token and how long to reuse it: the fleet's shared one when there is
    /// a store, else one requested from Zoom.
    async fn token(&self) -> Result<(SecretString, Duration), AuthError> {
        if let Some(shared) = &self.shared {
            match self.shared_token(shared).await {
                Err(AuthError::SharedState(error))
                    if shared.store.when_unavailable() == crate::shared::WhenUnavailable::UseLocalState =>
                {
                    tracing::warn!(target: "zoom_billing::auth", %error, "shared token unavailable: requesting one for this process");
                }
                outcome => return outcome,
            }
        }
        let Token { secret, lifetime } = self.request().await?;
        Ok((secret, response::reuse_for(lifetime, self.margin)))
    }

    /// The fleet's token from the shared store: read it, or, when it is
    /// missing, renew it under the store's lock while the others wait and
    /// read what the lock holder stores. Bounded: a lock holder that dies
    /// frees the lock when it expires, and the wait ends with
    /// [`StoreError::TokenWait`](crate::StoreError::TokenWait).
    async fn shared_token(&self, shared: &SharedToken) -> Result<(SecretString, Duration), AuthError> {
        use crate::StoreError;
        // Stop using a token this long before the store lets it go: a renewal is
        // then never racing calls still carrying the old one.
        const SWITCH_AHEAD: Duration = Duration::from_millis(500);
        const POLL: Duration = Duration::from_millis(20);
        let SharedToken { store, key } = shared;
        let lock_ttl = self.timeout.saturating_add(Duration::from_secs(5));
        let started = Instant::now();
        let give_up = started + lock_ttl.saturating_mul(2);
        let lock_id = format!("{:032x}", rand::random::<u128>());
        let rejected = |token: &SecretString| {
            self.state().rejected.as_ref().is_some_and(|r| r.expose_secret() == token.expose_secret())
        };
        let usable = |found: Option<(SecretString, Duration)>| match found {
            Some((token, ttl)) if ttl > SWITCH_AHEAD && !rejected(&token) => Some((token, ttl - SWITCH_AHEAD)),
            _ => None,
        };
        loop {
            // Checked on every round, whatever the store answers: the wait is bounded.
            if Instant::now() >= give_up {
                return Err(AuthError::SharedState(StoreError::TokenWait { waited: started.elapsed() }));
            }
            match store.token_get(key).await.map_err(AuthError::SharedState)? {
                Some((token, _)) if rejected(&token) => {
                    store.token_forget(key, &token).await.map_err(AuthError::SharedState)?;
                }
                Some((token, ttl)) if ttl > SWITCH_AHEAD => return Ok((token, ttl - SWITCH_AHEAD)),
                // About to be renewed (or kept without a time to live, which this
                // runtime never does): wait until the store lets it go.
                Some((_, ttl)) => {
                    tokio::time::sleep(ttl.clamp(POLL, SWITCH_AHEAD)).await;
                    continue;
                }
                None => {}
            }
            if store.token_lock(key, &lock_id, lock_ttl).await.map_err(AuthError::SharedState)? {
                // Another process may have stored one between the read and the lock.
                if let Some(found) = usable(store.token_get(key).await.map_err(AuthError::SharedState)?) {
                    let _ = store.token_unlock(key, &lock_id).await;
                    return Ok(found);
                }
                return match self.request().await {
                    Ok(Token { secret, lifetime }) => {
                        let reuse = response::reuse_for(lifetime, self.margin);
                        store.token_put(key, &lock_id, &secret, reuse).await.map_err(AuthError::SharedState)?;
                        Ok((secret, reuse.saturating_sub(SWITCH_AHEAD)))
                    }
                    Err(error) => {
                        let _ = store.token_unlock(key, &lock_id).await;
                        Err(error)
                    }
                };
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// One token request, bounded in time and body size.
    async fn request(&self) -> Result<Token, AuthError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .post(&self.token_url)
            .query(&[("grant_type", "account_credentials"), ("account_id", self.account_id.as_str())]);
        if let Some(index) = self.token_index {
            request = request.query(&[("token_index", index)]);
        }
        let request = request
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json");
        let exchange = async {
            let response = request.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            match response::read_capped(response, self.max_body).await {
                Ok(body) => Ok((status, body)),
                Err(ReadError::TooLarge) => Err(AuthError::BodyTooLarge { status, limit: self.max_body }),
                Err(ReadError::Transport(e)) => Err(transport(e)),
            }
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| AuthError::Timeout { after: self.timeout })??;
        response::parse(status, &body, &self.redactor)
    }
}

fn transport(error: reqwest::Error) -> AuthError {
    AuthError::Transport(Arc::new(error.without_url()))
}

impl ServerToServer {
    /// The cached token, while it is not due for renewal: what most calls
    /// take, without a future or a copy of the secret.
    pub(crate) fn cached(&self) -> Option<super::Token> {
        let state = self.inner.state();
        state.token.as_ref().filter(|cached| Instant::now() < cached.renew_at).map(|cached| Arc::clone(&cached.token))
    }
}

impl TokenProvider for ServerToServer {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, AuthError>> {
        let flight: Flight = {
            let mut state = self.inner.state();
            if let Some(cached) = &state.token
                && Instant::now() < cached.renew_at
            {
                let token = cached.token.secret().clone();
                return Box::pin(async move { Ok(token) });
            }
            match state.flight.as_ref().and_then(|(_, weak)| weak.upgrade()) {
                Some(flight) => flight,
                None => {
                    state.flights = state.flights.wrapping_add(1);
                    let id = state.flights;
                    let flight = self.inner.clone().fly(id, state.retry_at).boxed().shared();
                    state.flight = flight.downgrade().map(|weak| (id, weak));
                    flight
                }
            }
        };
        Box::pin(flight)
    }

    fn invalidate(&self, rejected: &SecretString) {
        let mut state = self.inner.state();
        if self.inner.shared.is_some() {
            // The next flight deletes it from the store, if it is still there.
            state.rejected = Some(rejected.clone());
        }
        if state.token.as_ref().is_some_and(|c| c.token.secret().expose_secret() == rejected.expose_secret()) {
            state.token = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s2s = ServerToServer::new(
            "acct".into(),
            "cid".into(),
            SecretString::from("top-secret".to_owned()),
            DEFAULT_OAUTH_HOST,
            DEFAULT_REFRESH_MARGIN,
            Duration::from_secs(5),
            reqwest::Client::new(),
            None,
        );
        let builder = ServerToServer::builder("acct", "cid", "top-secret");
        let debug = format!("{s2s:?} {builder:?}");
        assert!(!debug.contains("top-secret"), "{debug}");
    }

    #[test]
    fn the_oauth_host_is_checked() {
        assert!(matches!(
            ServerToServer::builder("a", "b", "c").oauth_host("ftp://x").build(),
            Err(BuildError::InvalidBaseUrl { .. })
        ));
        assert!(ServerToServer::builder("a", "b", "c").oauth_host("http://127.0.0.1:1").build().is_ok());
    }

    #[test]
    fn hints_say_what_to_fix() {
        assert!(response::hint(400, Some("4717"), "").contains("disabled"));
        assert!(response::hint(401, Some("invalid_client"), "").contains("ZOOM_CLIENT_SECRET"));
        assert!(response::hint(400, None, "Invalid account_id").contains("ZOOM_ACCOUNT_ID"));
    }
}
