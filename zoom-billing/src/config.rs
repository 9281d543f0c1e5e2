//! Building a [`Client`]: base URL, credentials, timeouts, policies, HTTP client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::Client;
use crate::auth::{AccessToken, Auth, DEFAULT_OAUTH_HOST, DEFAULT_REFRESH_MARGIN, ServerToServer, TokenProvider};
use crate::generated::client::Client as RawClient;
use crate::observer::{CallObserver, SharedObserver};
use crate::pacing::{Clock, Pacer, RateLimitPolicy};
use crate::retry::RetryPolicy;
use crate::state::{BodyLimits, ClientState, Runtime};

/// Default largest JSON or error body read whole (the largest real answers,
/// 1,000-invoice lists, are a few hundred KiB).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 32 * 1024 * 1024;

/// Default longest pause between two pieces of a streamed download.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest timeout a setting may have: longer is a mistake, and would
/// overflow deadlines.
const MAX_SETTING: Duration = Duration::from_secs(7 * 86400);

/// Zoom's API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.zoom.us/v2";

pub use crate::auth::USER_AGENT;
use crate::error::BuildError;

/// How requests are authorised.
#[derive(Clone)]
enum Credentials {
    /// A fixed OAuth access token.
    Bearer(SecretString),
    /// Server-to-Server OAuth app credentials.
    ServerToServer { account_id: String, client_id: String, client_secret: SecretString },
    /// A user-supplied provider.
    Provider(Arc<dyn TokenProvider>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Bearer(_) => f.write_str("Bearer([REDACTED])"),
            Credentials::ServerToServer { account_id, client_id, .. } => f
                .debug_struct("ServerToServer")
                .field("account_id", account_id)
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            Credentials::Provider(_) => f.write_str("Provider(..)"),
        }
    }
}

/// Configures and builds a [`Client`]. Start with [`Client::builder`].
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<String>,
    oauth_host: Option<String>,
    credentials: Option<Credentials>,
    refresh_margin: Option<Duration>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limits: RateLimitPolicy,
    max_body_size: Option<u64>,
    idle_timeout: Option<Duration>,
    observer: Option<SharedObserver>,
    http: Option<reqwest::Client>,
    #[cfg(feature = "drift")]
    drift: Option<Arc<crate::drift::DriftObserver>>,
    shared: Option<crate::shared::Store>,
}

impl Client {
    /// Start configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: `ZOOM_ACCESS_TOKEN`, or
    /// `ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID` and `ZOOM_CLIENT_SECRET`; and
    /// optionally `ZOOM_BASE_URL` and `ZOOM_OAUTH_HOST`.
    pub fn from_env() -> Result<Client, BuildError> {
        ClientBuilder::from_env()?.build()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ClientBuilder {
    /// A builder with what the environment gives (see [`Client::from_env`]),
    /// to adjust further.
    pub fn from_env() -> Result<Self, BuildError> {
        let mut builder = ClientBuilder::default();
        if let Some(url) = env("ZOOM_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(host) = env("ZOOM_OAUTH_HOST") {
            builder = builder.oauth_host(host);
        }
        if let Some(token) = env("ZOOM_ACCESS_TOKEN") {
            return Ok(builder.bearer_token(token));
        }
        let vars = [env("ZOOM_ACCOUNT_ID"), env("ZOOM_CLIENT_ID"), env("ZOOM_CLIENT_SECRET")];
        match vars {
            [None, None, None] => Err(BuildError::MissingCredentials),
            [Some(account), Some(id), Some(secret)] => Ok(builder.server_to_server(account, id, secret)),
            [None, ..] => Err(BuildError::MissingVariable("ZOOM_ACCOUNT_ID")),
            [_, None, _] => Err(BuildError::MissingVariable("ZOOM_CLIENT_ID")),
            [_, _, None] => Err(BuildError::MissingVariable("ZOOM_CLIENT_SECRET")),
        }
    }

    /// The API base URL, default [`DEFAULT_BASE_URL`]. A trailing `/` is ignored.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The OAuth host of the token endpoint, default `https://zoom.us`.
    pub fn oauth_host(mut self, url: impl Into<String>) -> Self {
        self.oauth_host = Some(url.into());
        self
    }

    /// Authorise every request with this OAuth access token (not renewed).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Bearer(SecretString::from(token.into())));
        self
    }

    /// Use Server-to-Server OAuth with these app credentials: tokens are
    /// requested, cached and renewed by the client.
    pub fn server_to_server(
        mut self,
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::ServerToServer {
            account_id: account_id.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        });
        self
    }

    /// Get tokens from your own provider.
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.credentials = Some(Credentials::Provider(Arc::new(provider)));
        self
    }

    /// Renew S2S tokens this long before they expire (default 60 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = Some(margin);
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt (default 60 s): until the response
    /// headers, and for JSON answers until the whole body is read. Streaming
    /// downloads are not cut off once their headers have arrived.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest JSON or error body the client reads (default
    /// [`DEFAULT_MAX_BODY_SIZE`]); a larger one fails with
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge). Downloads stream
    /// and have no size limit.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The longest pause between two pieces of a streamed download (default
    /// [`DEFAULT_IDLE_TIMEOUT`]); a stalled download then fails instead of
    /// waiting for the server to close the connection.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Report every attempt of every call to `observer` (for metrics): see
    /// [`observer`](crate::observer).
    pub fn observer(mut self, observer: impl CallObserver) -> Self {
        self.observer = Some(SharedObserver(Arc::new(observer)));
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The pacing and budget policy (default [`RateLimitPolicy::default`]).
    pub fn rate_limit_policy(mut self, policy: RateLimitPolicy) -> Self {
        self.rate_limits = policy;
        self
    }

    /// Use this `reqwest::Client` (its own proxy, TLS settings and user
    /// agent apply; the connect timeout and the redirect policy are then its
    /// own: the client the builder makes does not follow a redirect that would
    /// turn a request other than a GET into a GET, see `docs/runtime.md`).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Check every JSON success body against the spec with this observer (off by
    /// default; see [`crate::drift`]). The response still decodes as without it.
    #[cfg(feature = "drift")]
    pub fn drift_observer(mut self, observer: Arc<crate::drift::DriftObserver>) -> Self {
        self.drift = Some(observer);
        self
    }

    /// Share pacing, daily budgets and the Server-to-Server token with every
    /// process that uses the same Zoom account, through a
    /// [`RedisStore`](crate::shared::RedisStore) (feature `redis`: many hosts)
    /// or a [`SqliteStore`](crate::shared::SqliteStore) (feature `sqlite`:
    /// one host; see [`crate::shared`]). The keys' namespace is the credentials' account
    /// id unless the store sets one; with a bearer token or your own token
    /// provider the store must set it (only pacing and budgets are shared
    /// then).
    #[cfg(any(feature = "redis", feature = "sqlite"))]
    pub fn shared_state(mut self, store: impl Into<crate::shared::SharedStore>) -> Self {
        self.shared = Some(store.into().0);
        self
    }

    /// Build the client. Settings out of their range fail with
    /// [`BuildError::InvalidSetting`].
    pub fn build(self) -> Result<Client, BuildError> {
        self.validate()?;
        let credentials = self.credentials.ok_or(BuildError::MissingCredentials)?;
        let base_url = normalise_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let oauth_host = normalise_base_url(self.oauth_host.as_deref().unwrap_or(DEFAULT_OAUTH_HOST))?;
        let timeout = self.timeout.unwrap_or(Duration::from_secs(60));
        crate::tls::ensure_provider(); // before reqwest builds a client: see `tls`
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .redirect(crate::hooks::redirect_policy())
                .build()
                .map_err(BuildError::Http)?,
        };
        let shared = match (&self.shared, &credentials) {
            (None, _) => None,
            (Some(store), Credentials::ServerToServer { account_id, .. }) => {
                if !store.has_namespace() {
                    crate::shared::check_namespace(account_id).map_err(|reason| BuildError::InvalidSetting {
                        setting: "shared_state.namespace",
                        reason: format!("the account id as the namespace: {reason}"),
                    })?;
                }
                Some(store.or_namespace(account_id))
            }
            (Some(store), _) if store.has_namespace() => Some(store.clone()),
            (Some(_), _) => {
                return Err(BuildError::InvalidSetting {
                    setting: "shared_state.namespace",
                    reason: "a shared store needs the Zoom account id as its namespace \
                             (`RedisStore::builder(url).namespace(account_id)`, `SqliteStore::builder(path).namespace(account_id)`) unless the client uses \
                             Server-to-Server credentials"
                        .into(),
                });
            }
        };
        let (auth, auth_kind) = match credentials {
            Credentials::Bearer(token) => (Auth::Fixed(AccessToken::new(token)), "fixed token"),
            Credentials::ServerToServer { account_id, client_id, client_secret } => (
                Auth::ServerToServer(ServerToServer::new(
                    account_id,
                    client_id,
                    client_secret,
                    &oauth_host,
                    self.refresh_margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
                    timeout,
                    http.clone(),
                    shared.clone(),
                )),
                "server-to-server OAuth",
            ),
            Credentials::Provider(provider) => (Auth::Provider(provider), "token provider"),
        };
        let runtime = Runtime {
            auth,
            auth_kind,
            #[cfg(feature = "jobs")]
            store: shared.clone(),
            pacer: match shared {
                Some(store) => {
                    Pacer::new(self.rate_limits, Clock::new()).with_shared(store, self.retry.max_retry_after)
                }
                None => Pacer::new(self.rate_limits, Clock::new()),
            },
            retry: self.retry,
            timeout,
            deadlines: Default::default(),
            limits: BodyLimits {
                max_body_size: self.max_body_size.unwrap_or(DEFAULT_MAX_BODY_SIZE),
                idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
            },
            observer: self.observer,
            #[cfg(feature = "drift")]
            drift: self.drift,
        };
        let state = ClientState::new(Arc::new(runtime));
        Ok(Client::from_raw(RawClient::new_with_client(&base_url, http, state)))
    }

    /// Every duration and rate within a range the runtime can compute with.
    fn validate(&self) -> Result<(), BuildError> {
        let invalid = |setting, reason: String| Err(BuildError::InvalidSetting { setting, reason });
        let durations = [
            ("timeout", self.timeout),
            ("connect_timeout", self.connect_timeout),
            ("refresh_margin", self.refresh_margin),
            ("idle_timeout", self.idle_timeout),
            ("rate_limit_policy.max_wait", self.rate_limits.max_wait),
            ("retry_policy.base_delay", Some(self.retry.base_delay)),
            ("retry_policy.max_delay", Some(self.retry.max_delay)),
            ("retry_policy.max_retry_after", Some(self.retry.max_retry_after)),
        ];
        for (setting, value) in durations {
            if let Some(d) = value
                && d > MAX_SETTING
            {
                return invalid(setting, format!("{d:?} is longer than the 7 days allowed"));
            }
        }
        for (setting, value) in [("timeout", self.timeout), ("idle_timeout", self.idle_timeout)] {
            if value == Some(Duration::ZERO) {
                return invalid(setting, "must be longer than zero".into());
            }
        }
        if self.retry.max_retries > 100 {
            return invalid("retry_policy.max_retries", format!("{} retries is more than 100", self.retry.max_retries));
        }
        if self.max_body_size == Some(0) {
            return invalid("max_body_size", "must be at least 1 byte".into());
        }
        for (label, rate) in &self.rate_limits.label_rates {
            // 0 turns a label off; any other rate must give an interval of at most 7 days.
            if !rate.is_finite() || *rate < 0.0 || (*rate > 0.0 && 1.0 / rate > MAX_SETTING.as_secs_f64()) {
                return invalid(
                    "rate_limit_policy.label_rates",
                    format!(
                        "{label:?}: {rate} requests per second is not a usable rate (0, or one every 7 days at least)"
                    ),
                );
            }
        }
        Ok(())
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
    fn debug_never_shows_secrets() {
        let client = Client::builder().bearer_token("super-secret-token").build().unwrap();
        let builder = Client::builder().server_to_server("acct", "cid", "client-secret-value");
        let debug = format!("{client:?} {builder:?} {:?}", Client::builder().bearer_token("super-secret-token"));
        assert!(!debug.contains("super-secret-token"), "{debug}");
        assert!(!debug.contains("client-secret-value"), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
    }

    #[test]
    fn base_url_is_checked_and_normalised() {
        assert_eq!(normalise_base_url("http://127.0.0.1:8080/v2/").unwrap(), "http://127.0.0.1:8080/v2");
        assert!(matches!(normalise_base_url("ftp://x"), Err(BuildError::InvalidBaseUrl { .. })));
        assert!(matches!(normalise_base_url("not a url"), Err(BuildError::InvalidBaseUrl { .. })));
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        use crate::metadata::RateLimitLabel;
        let base = || Client::builder().bearer_token("t");
        let refused = [
            base().timeout(Duration::MAX).build(),
            base().timeout(Duration::ZERO).build(),
            base().idle_timeout(Duration::MAX).build(),
            base().rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 1e-20)).build(),
            base()
                .rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, f64::NAN))
                .build(),
            base().rate_limit_policy(RateLimitPolicy::default().with_max_wait(Duration::MAX)).build(),
            base().retry_policy(RetryPolicy::default().with_backoff(Duration::MAX, Duration::MAX)).build(),
            base().max_body_size(0).build(),
        ];
        for result in refused {
            let Err(error) = result else { panic!("accepted") };
            assert!(matches!(error, BuildError::InvalidSetting { .. }), "{error}");
        }
        base()
            .rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 0.0))
            .build()
            .unwrap();
    }

    #[test]
    fn credentials_are_required() {
        assert!(matches!(Client::builder().build(), Err(BuildError::MissingCredentials)));
    }
}
