//! Access tokens: Server-to-Server OAuth with a cache, a fixed token, or your
//! own [`TokenProvider`].
//!
//! # Server-to-Server OAuth ([`ServerToServer`])
//! - **Cache.** A token is renewed a margin (default 60 s) before it expires,
//!   or at half its life if that is later: a token whose `expires_in` is at
//!   or below the margin is still reused for half its life, not fetched again
//!   for every call. `expires_in` is read leniently and never panics: a
//!   number (a fraction is rounded down), a numeric string, negative (no
//!   caching), above one day (clamped to [`MAX_TOKEN_LIFETIME`]); missing or
//!   not a number means [`DEFAULT_TOKEN_LIFETIME`].
//! - **One token request, shared.** However many calls need a token at once,
//!   one token request is in flight, and its outcome, success or failure, is
//!   handed to every caller waiting on it. After a failure the next request
//!   waits a backoff (default 1 s, doubling with each consecutive failure up to
//!   [`MAX_FAILURE_BACKOFF`]); callers arriving meanwhile join that next
//!   request. A caller that gives up (its future dropped) does not cancel the
//!   request for the others; the request is cancelled when no caller waits.
//! - **Bounded.** The whole exchange (connect, headers, body) has a timeout:
//!   [`AuthError::Timeout`], retryable. The body is read up to a cap (default
//!   [`DEFAULT_MAX_TOKEN_BODY`]); past it the read stops with
//!   [`AuthError::BodyTooLarge`], so memory stays bounded whatever is sent.
//! - **Secrets.** The client secret (plain, JSON-escaped, and in base64 as a
//!   gateway echoing the `Authorization: Basic` header shows it) is scrubbed
//!   from every field of every [`AuthError`] before any text is cut to a
//!   snippet (plain, JSON-escaped and base64 forms); a token in a malformed success body is
//!   scrubbed too. `Debug` and `Display` are both clean.
//!
//! When Zoom answers a call with 401 and code 124 (invalid or expired token),
//! the runtime tells the provider ([`TokenProvider::invalidate`]) and replays
//! the call once with a new token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

mod response;
mod s2s;

pub use s2s::{ServerToServer, ServerToServerBuilder};

use crate::error::AuthError;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("zoom-billing/", env!("CARGO_PKG_VERSION"));

/// Zoom's OAuth host.
pub const DEFAULT_OAUTH_HOST: &str = "https://zoom.us";

/// Renew a cached token this long before it expires, unless configured.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The most bytes of a token endpoint's body that are read, unless configured.
pub const DEFAULT_MAX_TOKEN_BODY: usize = 64 * 1024;

/// The lifetime assumed when a token response has no usable `expires_in`
/// (Zoom's tokens last one hour).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// Longer `expires_in` values are clamped to this.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The wait before the token request that follows a failed one, unless configured.
pub const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(1);

/// The longest wait between failed token requests.
pub const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(30);

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

/// A token as the runtime holds it during a call: shared by reference count,
/// so taking it for a call copies nothing.
pub(crate) type Token = Arc<AccessToken>;

/// An access token with its `Authorization` header value, made once per
/// token rather than once per request. The header value is a second copy of
/// the secret that is not zeroized on drop, as every request's header
/// already was; it is marked sensitive, so `Debug` and HTTP/2 indexing skip it.
pub(crate) struct AccessToken {
    secret: SecretString,
    /// `Bearer <token>`, marked sensitive; `None` when the token cannot be a
    /// header value (a control character), which fails the call that uses it.
    header: Option<HeaderValue>,
}

impl AccessToken {
    pub(crate) fn new(secret: SecretString) -> Token {
        let header = bearer(&secret).ok();
        Arc::new(AccessToken { secret, header })
    }

    pub(crate) fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The `Authorization` header value, if the token can be one.
    pub(crate) fn header(&self) -> Option<&HeaderValue> {
        self.header.as_ref()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// `Bearer <token>`, marked sensitive, built in one buffer that the header value then keeps.
fn bearer(token: &SecretString) -> Result<HeaderValue, reqwest::header::InvalidHeaderValue> {
    let secret = token.expose_secret().as_bytes();
    let mut value = Vec::with_capacity(7 + secret.len());
    value.extend_from_slice(b"Bearer ");
    value.extend_from_slice(secret);
    let mut value = HeaderValue::from_maybe_shared(bytes::Bytes::from(value))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The client's source of tokens. The two built-in sources are matched
/// directly, so a call whose token is at hand (a fixed token, or a cached
/// Server-to-Server token) allocates nothing for it; any other provider goes
/// through the [`TokenProvider`] trait.
pub(crate) enum Auth {
    Fixed(Token),
    ServerToServer(ServerToServer),
    Provider(Arc<dyn TokenProvider>),
}

impl Auth {
    /// A token to use now.
    pub(crate) async fn access_token(&self) -> Result<Token, AuthError> {
        match self {
            Auth::Fixed(token) => Ok(Arc::clone(token)),
            Auth::ServerToServer(provider) => match provider.cached() {
                Some(token) => Ok(token),
                None => provider.access_token().await.map(AccessToken::new),
            },
            Auth::Provider(provider) => provider.access_token().await.map(AccessToken::new),
        }
    }

    /// See [`TokenProvider::invalidate`].
    pub(crate) fn invalidate(&self, rejected: &SecretString) {
        match self {
            Auth::Fixed(_) => {}
            Auth::ServerToServer(provider) => provider.invalidate(rejected),
            Auth::Provider(provider) => provider.invalidate(rejected),
        }
    }

    /// See [`TokenProvider::can_renew`].
    pub(crate) fn can_renew(&self) -> bool {
        match self {
            Auth::Fixed(_) => false,
            Auth::ServerToServer(provider) => provider.can_renew(),
            Auth::Provider(provider) => provider.can_renew(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_and_server_failures_are_retryable() {
        assert!(AuthError::Timeout { after: Duration::from_secs(1) }.is_retryable());
        assert!(AuthError::BodyTooLarge { status: 502, limit: 1 }.is_retryable());
        assert!(!AuthError::BodyTooLarge { status: 200, limit: 1 }.is_retryable());
        assert!(!AuthError::InvalidToken.is_retryable());
    }

    #[test]
    fn the_bearer_header_is_sensitive_and_refuses_a_newline() {
        let token = AccessToken::new(SecretString::from("tok-1"));
        let value = token.header().unwrap();
        assert_eq!(value.as_bytes(), b"Bearer tok-1");
        assert!(value.is_sensitive());
        assert!(AccessToken::new(SecretString::from("tok\n1")).header().is_none());
        assert!(!format!("{token:?}").contains("tok-1"));
    }

    #[test]
    fn fixed_token_debug_redacts() {
        let debug = format!("{:?}", FixedToken::new("tok-secret"));
        assert!(!debug.contains("tok-secret"), "{debug}");
    }
}
