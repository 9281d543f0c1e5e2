//! Access tokens: Server-to-Server OAuth with a cache, a fixed token, or your
//! own [`TokenProvider`].
//!
//! The S2S provider caches its token and renews it a margin (default 60 s)
//! before it expires. Renewal is single-flight: however many calls need a
//! token at once, one token request is made. When Zoom answers a call with
//! 401 and code 124 (invalid or expired token), the runtime tells the
//! provider ([`TokenProvider::invalidate`]) and replays the call once with a
//! new token.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

/// Zoom's OAuth host.
pub const DEFAULT_OAUTH_HOST: &str = "https://zoom.us";

/// Renew a cached token this long before it expires, unless configured.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why no usable access token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The OAuth endpoint refused the credentials.
    #[error("Zoom's OAuth endpoint refused the token request (HTTP {status}{}): {message}. {hint}", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Rejected {
        /// HTTP status of the token endpoint.
        status: u16,
        /// Zoom's error code or OAuth error string, if any.
        code: Option<String>,
        /// Zoom's message (secrets removed).
        message: String,
        /// What to fix.
        hint: &'static str,
    },
    /// The OAuth endpoint answered something that is not a token.
    #[error("Zoom's OAuth endpoint answered HTTP {status} with an unexpected body {snippet:?}")]
    InvalidResponse {
        /// HTTP status.
        status: u16,
        /// The start of the body (secrets removed).
        snippet: String,
    },
    /// The OAuth endpoint could not be reached.
    #[error("cannot reach Zoom's OAuth endpoint: {0}")]
    Transport(#[source] reqwest::Error),
    /// Zoom rejected the access token on an API call, even after renewal
    /// (or the token cannot be renewed).
    #[error("Zoom rejected the access token (code {code}): {message}. {hint}")]
    TokenRejected {
        /// Zoom's error code (124: invalid or expired token).
        code: i64,
        /// Zoom's message.
        message: String,
        /// What to do.
        hint: &'static str,
    },
    /// A user-supplied [`TokenProvider`] failed.
    #[error("the token provider failed: {0}")]
    Provider(String),
    /// The token contains bytes not allowed in an HTTP header.
    #[error("the access token contains characters not allowed in an HTTP header")]
    InvalidToken,
}

impl AuthError {
    /// Whether the same request may succeed later (only transport failures
    /// and 5xx answers of the token endpoint).
    pub fn is_retryable(&self) -> bool {
        match self {
            AuthError::Transport(_) => true,
            AuthError::Rejected { status, .. } | AuthError::InvalidResponse { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Supplies access tokens to the client.
///
/// Implement this to share tokens between processes (a token store), or to
/// use another OAuth flow. Tokens are [`SecretString`]s so they never show
/// in `Debug` output.
pub trait TokenProvider: Send + Sync + 'static {
    /// A token to use now. Called before every request; cache inside.
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, AuthError>>;

    /// Zoom rejected `rejected` (401, code 124): forget it, so the next
    /// [`access_token`](TokenProvider::access_token) returns a new one.
    fn invalidate(&self, rejected: &SecretString) {
        let _ = rejected;
    }

    /// Whether [`invalidate`](TokenProvider::invalidate) can lead to a
    /// different token (false for a fixed token: no replay is attempted).
    fn can_renew(&self) -> bool {
        true
    }
}

/// A fixed access token (no renewal).
pub struct FixedToken(SecretString);

impl FixedToken {
    /// Use this token for every request.
    pub fn new(token: impl Into<String>) -> Self {
        FixedToken(SecretString::from(token.into()))
    }

    /// Use this token for every request.
    pub fn from_secret(token: SecretString) -> Self {
        FixedToken(token)
    }
}

impl fmt::Debug for FixedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FixedToken([REDACTED])")
    }
}

impl TokenProvider for FixedToken {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, AuthError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }

    fn can_renew(&self) -> bool {
        false
    }
}

/// Server-to-Server OAuth: `account_credentials` grant with HTTP Basic client
/// credentials, token cached and renewed before it expires.
pub struct ServerToServer {
    account_id: String,
    client_id: String,
    client_secret: SecretString,
    token_url: String,
    margin: Duration,
    timeout: Duration,
    http: reqwest::Client,
    cache: Mutex<Option<Cached>>,
    gate: tokio::sync::Mutex<()>,
    requests: AtomicU64,
}

struct Cached {
    token: SecretString,
    renew_at: Instant,
}

impl fmt::Debug for ServerToServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerToServer")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("token_url", &self.token_url)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize)]
struct OAuthError {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl ServerToServer {
    /// Credentials of a Server-to-Server OAuth app.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        account_id: String,
        client_id: String,
        client_secret: SecretString,
        oauth_host: &str,
        margin: Duration,
        timeout: Duration,
        http: reqwest::Client,
    ) -> Self {
        ServerToServer {
            account_id,
            client_id,
            client_secret,
            token_url: format!("{}/oauth/token", oauth_host.trim_end_matches('/')),
            margin,
            timeout,
            http,
            cache: Mutex::new(None),
            gate: tokio::sync::Mutex::new(()),
            requests: AtomicU64::new(0),
        }
    }

    /// How many token requests this provider has made.
    pub fn token_requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<SecretString> {
        let cache = self.cache.lock().ok()?;
        cache.as_ref().filter(|c| Instant::now() < c.renew_at).map(|c| c.token.clone())
    }

    async fn fetch(&self) -> Result<SecretString, AuthError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let request = self
            .http
            .post(&self.token_url)
            .query(&[("grant_type", "account_credentials"), ("account_id", self.account_id.as_str())])
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json");
        let send = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        };
        let (status, body) = match tokio::time::timeout(self.timeout, send).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(AuthError::Transport(e.without_url())),
            Err(_) => {
                return Err(AuthError::InvalidResponse { status: 0, snippet: "no answer within the timeout".into() });
            }
        };
        if (200..300).contains(&status) {
            let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| AuthError::InvalidResponse {
                status,
                snippet: self.scrub(&crate::classify::snippet(&body)),
            })?;
            if parsed.access_token.is_empty() {
                return Err(AuthError::InvalidResponse { status, snippet: "empty access_token".into() });
            }
            let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
            let renew_at = Instant::now() + lifetime.saturating_sub(self.margin);
            let token = SecretString::from(parsed.access_token);
            if let Ok(mut cache) = self.cache.lock() {
                *cache = Some(Cached { token: token.clone(), renew_at });
            }
            return Ok(token);
        }
        match serde_json::from_slice::<OAuthError>(&body) {
            Ok(e) => {
                let code = e
                    .code
                    .map(|c| match c {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .or(e.error.clone());
                let message = e.reason.or(e.message).or(e.error).unwrap_or_else(|| "no reason given".into());
                let hint = hint(status, code.as_deref(), &message);
                Err(AuthError::Rejected { status, code, message: self.scrub(&message), hint })
            }
            Err(_) => Err(AuthError::InvalidResponse { status, snippet: self.scrub(&crate::classify::snippet(&body)) }),
        }
    }

    /// Remove the client secret from text that came from the network.
    fn scrub(&self, text: &str) -> String {
        let secret = self.client_secret.expose_secret();
        if secret.is_empty() { text.to_owned() } else { text.replace(secret, "[REDACTED]") }
    }
}

fn hint(status: u16, code: Option<&str>, message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    match code {
        Some("4717") => "The app is disabled: activate it in the Zoom App Marketplace",
        Some("4702" | "4704" | "invalid_client") => {
            "Check the client id and secret (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET) of the Server-to-Server OAuth app"
        }
        Some("4705" | "unsupported_grant_type") => "The app is not a Server-to-Server OAuth app",
        Some("4706" | "4700") => "The client id, secret or account id is missing",
        _ if message.contains("account") => "Check the account id (ZOOM_ACCOUNT_ID) of the Server-to-Server OAuth app",
        _ if status == 401 || status == 400 => {
            "Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET of the Server-to-Server OAuth app"
        }
        _ if status >= 500 => "Zoom's OAuth service failed; try again later",
        _ => "Check the app's credentials and that it is activated",
    }
}

impl TokenProvider for ServerToServer {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, AuthError>> {
        Box::pin(async move {
            if let Some(token) = self.cached() {
                return Ok(token);
            }
            // Single flight: the first caller fetches, the others wait here
            // and then find the fresh token in the cache.
            let _gate = self.gate.lock().await;
            if let Some(token) = self.cached() {
                return Ok(token);
            }
            self.fetch().await
        })
    }

    fn invalidate(&self, rejected: &SecretString) {
        if let Ok(mut cache) = self.cache.lock()
            && cache.as_ref().is_some_and(|c| c.token.expose_secret() == rejected.expose_secret())
        {
            *cache = None;
        }
    }
}

/// The client's token provider.
pub(crate) type SharedProvider = std::sync::Arc<dyn TokenProvider>;

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
        );
        let debug = format!("{s2s:?} {:?}", FixedToken::new("tok-secret"));
        assert!(!debug.contains("top-secret") && !debug.contains("tok-secret"), "{debug}");
    }

    #[test]
    fn hints_say_what_to_fix() {
        assert!(hint(400, Some("4717"), "").contains("disabled"));
        assert!(hint(401, Some("invalid_client"), "").contains("ZOOM_CLIENT_SECRET"));
        assert!(hint(400, None, "Invalid account_id").contains("ZOOM_ACCOUNT_ID"));
    }
}
