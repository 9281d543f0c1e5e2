//! The Server-to-Server token provider against hostile token endpoints on
//! loopback: hanging, failing, echoing secrets, streaming without end, odd
//! `expires_in`. Real time with short timeouts; every wait is bounded.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use futures::StreamExt;
use futures::future::{BoxFuture, join_all};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::time::Instant;
use zoom_billing::AuthError;
use zoom_billing::auth::TokenProvider;
use zoom_billing::auth::{DEFAULT_MAX_TOKEN_BODY, MAX_TOKEN_LIFETIME, ServerToServer, ServerToServerBuilder};

const CLIENT_ID: &str = "hostile-client-id";
const SECRET: &str = "QzSecretValue9x8y7w6v5u4t3s2r1q";

/// No test waits on a server longer than this.
const GUARD: Duration = Duration::from_secs(10);

type Body = BoxBody<Bytes, Infallible>;
type Handler = dyn Fn(String) -> BoxFuture<'static, Response<Body>> + Send + Sync;

/// A token endpoint on 127.0.0.1 that answers with `handler(authorization
/// header)`; it counts requests and stops when dropped.
struct Endpoint {
    origin: String,
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    async fn start(handler: impl Fn(String) -> BoxFuture<'static, Response<Body>> + Send + Sync + 'static) -> Endpoint {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU64::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let count = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (handler, count) = (handler.clone(), count.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        count.fetch_add(1, Ordering::SeqCst);
                        let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                        let reply = handler(auth.to_owned());
                        async move { Ok::<_, Infallible>(reply.await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Endpoint { origin, requests, task }
    }

    /// Always the same answer.
    async fn answering(status: u16, body: impl Into<Bytes>) -> Endpoint {
        let body: Bytes = body.into();
        Endpoint::start(move |_| {
            let body = body.clone();
            Box::pin(async move { reply(status, body) })
        })
        .await
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    fn provider(&self) -> ServerToServerBuilder {
        ServerToServer::builder("acct", CLIENT_ID, SECRET).oauth_host(&self.origin).timeout(Duration::from_secs(5))
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: u16, body: Bytes) -> Response<Body> {
    Response::builder().status(status).header("content-type", "application/json").body(Full::new(body).boxed()).unwrap()
}

/// A token answer; the token is `tok-` and the alphanumerics of `expires_in`.
fn token(expires_in: &str) -> Bytes {
    let name: String = expires_in.chars().filter(char::is_ascii_alphanumeric).collect();
    Bytes::from(format!(r#"{{"access_token":"tok-{name}","token_type":"bearer","expires_in":{expires_in}}}"#))
}

/// Every way the secret could show in an error: plain, its first 6
/// characters, the base64 of `id:secret` (minus the edge characters that
/// also encode the id or padding).
fn shows_secret(text: &str) -> bool {
    let pair = format!("{CLIENT_ID}:{SECRET}");
    let forms = [STANDARD.encode(&pair), URL_SAFE_NO_PAD.encode(&pair)];
    text.contains(&SECRET[..6]) || forms.iter().any(|b| text.contains(&b[b.len() - 30..b.len() - 4]))
}

async fn guarded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future).await.expect("the provider did not finish within the guard")
}

// ---- one token request, shared -------------------------------------------------

#[tokio::test]
async fn thirty_callers_on_a_hanging_endpoint_share_one_request_and_one_timeout() {
    let endpoint = Endpoint::start(|_| Box::pin(futures::future::pending())).await;
    let provider = endpoint.provider().timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let results = guarded(join_all((0..30).map(|_| provider.access_token()))).await;
    let elapsed = started.elapsed();
    eprintln!("hanging endpoint: 30 callers, {} token request(s), {elapsed:?}", endpoint.requests());
    assert_eq!(endpoint.requests(), 1);
    assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(2500), "{elapsed:?}");
    for result in results {
        let err = result.err().unwrap();
        assert!(matches!(err, AuthError::Timeout { after } if after == Duration::from_secs(1)), "{err:?}");
        assert!(err.is_retryable());
        assert!(err.to_string().contains("did not answer within"), "{err}");
    }
}

#[tokio::test]
async fn five_hundred_callers_on_a_failing_endpoint_share_one_failure_then_back_off() {
    let endpoint = Endpoint::answering(503, r#"{"reason":"Internal Error","error":"server_error"}"#).await;
    let backoff = Duration::from_millis(300);
    let provider = endpoint.provider().failure_backoff(backoff).build().unwrap();
    let mut rounds = Vec::new();
    for round in 1..=3u64 {
        let started = Instant::now();
        let results = guarded(join_all((0..500).map(|_| provider.access_token()))).await;
        let elapsed = started.elapsed();
        rounds.push((endpoint.requests(), elapsed));
        assert_eq!(endpoint.requests(), round, "one request per round of 500 callers");
        assert!(results.iter().all(|r| matches!(r, Err(AuthError::Rejected { status: 503, .. }))));
        if round > 1 {
            // The second round waits 300 ms, the third 600 ms (doubling).
            // The backoff runs from the previous failure, not from this round's start, and the
            // gap between them grows on a loaded machine: half the wait proves the backoff.
            let wait = backoff * (1 << (round - 2));
            assert!(elapsed >= wait / 2, "round {round} waited {elapsed:?}, less than half of {wait:?}");
        }
    }
    eprintln!("failing endpoint: 3 rounds of 500 callers, (requests so far, elapsed): {rounds:?}");
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_cancel_the_request_for_the_others() {
    let endpoint = Endpoint::start(|_| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            reply(200, token("3600"))
        })
    })
    .await;
    let provider = endpoint.provider().build().unwrap();
    let impatient = tokio::time::timeout(Duration::from_millis(50), provider.access_token());
    let patient = join_all((0..9).map(|_| provider.access_token()));
    let (gave_up, results) = guarded(futures::future::join(impatient, patient)).await;
    assert!(gave_up.is_err(), "the impatient caller timed out");
    assert!(results.iter().all(|r| r.as_ref().is_ok_and(|t| t.expose_secret() == "tok-3600")));
    assert_eq!(endpoint.requests(), 1);
}

// ---- caching and expires_in ----------------------------------------------------

#[tokio::test]
async fn a_token_living_less_than_the_margin_is_reused_for_half_its_life() {
    let endpoint = Endpoint::answering(200, token("30")).await;
    let provider = endpoint.provider().refresh_margin(Duration::from_secs(60)).build().unwrap();
    let started = Instant::now();
    for _ in 0..500 {
        guarded(provider.access_token()).await.unwrap();
    }
    eprintln!(
        "expires_in 30, margin 60: 500 sequential calls, {} token request(s), {:?}",
        endpoint.requests(),
        started.elapsed()
    );
    assert_eq!(endpoint.requests(), 1);

    let short = Endpoint::answering(200, token("1")).await;
    let provider = short.provider().build().unwrap();
    guarded(provider.access_token()).await.unwrap();
    guarded(provider.access_token()).await.unwrap();
    assert_eq!(short.requests(), 1, "reused for half of its 1 s");
    tokio::time::sleep(Duration::from_millis(600)).await;
    guarded(provider.access_token()).await.unwrap();
    assert_eq!(short.requests(), 2, "renewed after half its life");
}

#[tokio::test]
async fn odd_expires_in_values_never_panic() {
    // (expires_in, token requests after two calls)
    let cases = [
        ("9223372036854775808", 1), // 2^63: clamped to a day, cached
        ("18446744073709551617", 1),
        ("-1", 2), // already expired: not cached
        ("-9223372036854775809", 2),
        ("3599.9", 1),
        ("\"3600\"", 1),
        ("\"soon\"", 1), // unusable: the default lifetime
        ("null", 1),
        ("[1]", 1),
    ];
    for (raw, requests) in cases {
        let endpoint = Endpoint::answering(200, token(raw)).await;
        let provider = endpoint.provider().build().unwrap();
        for _ in 0..2 {
            let token = guarded(provider.access_token()).await.unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert!(token.expose_secret().starts_with("tok-"));
        }
        assert_eq!(endpoint.requests(), requests, "expires_in {raw}");
    }
    assert_eq!(MAX_TOKEN_LIFETIME, Duration::from_secs(86_400));
    // Out of f64 range: not JSON serde can read; an error, without the token.
    let endpoint = Endpoint::answering(200, token("1e400")).await;
    let err = guarded(endpoint.provider().build().unwrap().access_token()).await.err().unwrap();
    assert!(matches!(err, AuthError::InvalidResponse { status: 200, .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("tok-1e400"), "{err:?}");
}

// ---- bounded memory -------------------------------------------------------------

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    let produced = Arc::new(AtomicU64::new(0));
    let counter = produced.clone();
    let endpoint = Endpoint::start(move |_| {
        let counter = counter.clone();
        // 1 GiB in 64 KiB chunks, made lazily, no Content-Length.
        let chunks = futures::stream::iter(0..16_384).map(move |_| {
            counter.fetch_add(65_536, Ordering::SeqCst);
            Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b' '; 65_536])))
        });
        Box::pin(async move {
            let body = BodyExt::boxed(StreamBody::new(chunks));
            Response::builder().status(200).header("content-type", "application/json").body(body).unwrap()
        })
    })
    .await;
    let provider = endpoint.provider().build().unwrap();
    let started = Instant::now();
    let err = guarded(provider.access_token()).await.err().unwrap();
    let elapsed = started.elapsed();
    // Give the server a moment to notice the closed connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = produced.load(Ordering::SeqCst);
    eprintln!("endless body: {err}; server produced {} KiB before the client hung up, {elapsed:?}", sent / 1024);
    assert!(matches!(err, AuthError::BodyTooLarge { status: 200, limit: DEFAULT_MAX_TOKEN_BODY }), "{err:?}");
    assert!(!err.is_retryable());
    assert!(sent < 64 * 1024 * 1024, "the client kept reading: {sent} bytes");
}

#[tokio::test]
async fn the_cap_is_configurable_and_an_announced_length_is_checked_first() {
    let endpoint = Endpoint::answering(200, token("3600")).await;
    let err = guarded(endpoint.provider().max_token_body(32).build().unwrap().access_token()).await.err().unwrap();
    assert!(matches!(err, AuthError::BodyTooLarge { status: 200, limit: 32 }), "{err:?}");
    guarded(endpoint.provider().max_token_body(1024).build().unwrap().access_token()).await.unwrap();

    let big = Endpoint::answering(502, vec![b'<'; 1024 * 1024]).await;
    let err = guarded(big.provider().build().unwrap().access_token()).await.err().unwrap();
    assert!(matches!(err, AuthError::BodyTooLarge { status: 502, .. }), "{err:?}");
    assert!(err.is_retryable(), "a 5xx stays retryable");
}

#[tokio::test]
async fn extreme_settings_do_not_panic() {
    // A hostile Content-Length with no cap to speak of: nothing is preallocated from it.
    let endpoint = Endpoint::start(|_| {
        Box::pin(async {
            let mut response = reply(200, token("3600"));
            response.headers_mut().insert("content-length", hyper::header::HeaderValue::from_static("1099511627776"));
            response
        })
    })
    .await;
    let provider = endpoint
        .provider()
        .timeout(Duration::MAX)
        .refresh_margin(Duration::MAX)
        .failure_backoff(Duration::MAX)
        .max_token_body(usize::MAX)
        .build()
        .unwrap();
    // The body ends before the announced length: a transport error, not an abort.
    let err = guarded(provider.access_token()).await.err().unwrap();
    assert!(matches!(err, AuthError::Transport(_)), "{err:?}");

    let endpoint = Endpoint::answering(200, token("3600")).await;
    let provider = endpoint.provider().timeout(Duration::MAX).refresh_margin(Duration::MAX).build().unwrap();
    guarded(provider.access_token()).await.unwrap();
    guarded(provider.access_token()).await.unwrap();
    assert_eq!(endpoint.requests(), 1, "a margin longer than the life still reuses the token for half of it");
}

// ---- secrets --------------------------------------------------------------------

#[tokio::test]
async fn a_secret_echoed_anywhere_never_shows_in_an_error() {
    let pair = format!("{CLIENT_ID}:{SECRET}");
    let cases: Vec<(u16, String)> = vec![
        (401, format!(r#"{{"error":"{SECRET}","code":"{SECRET}","reason":"bad {SECRET}"}}"#)),
        (401, format!(r#"{{"code":4702,"message":"Invalid client secret {SECRET}"}}"#)),
        // Straddles the 200-character cut of a snippet.
        (400, format!("{}{SECRET} trailing", "x".repeat(195))),
        (400, format!(r#"{{"detail":"{}{SECRET}"}}"#, "y".repeat(180))),
        (200, format!("<html>{SECRET}</html>")),
        // A gateway echoing the Authorization header, each alphabet.
        (502, format!("upstream refused Authorization: Basic {}", STANDARD.encode(&pair))),
        (400, format!(r#"{{"reason":"bad header {}"}}"#, URL_SAFE_NO_PAD.encode(&pair))),
        (400, format!(r#"{{"reason":"x","code":"Basic {}"}}"#, STANDARD.encode(&pair))),
    ];
    for (status, body) in cases {
        let endpoint = Endpoint::answering(status, body.clone()).await;
        let err = guarded(endpoint.provider().build().unwrap().access_token()).await.err().unwrap();
        let shown = format!("{err} | {err:?}");
        assert!(!shows_secret(&shown), "HTTP {status} {body}: {shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }

    // Echo whatever Authorization header arrives: the real one.
    let echo =
        Endpoint::start(|auth| Box::pin(async move { reply(401, Bytes::from(format!(r#"{{"reason":"{auth}"}}"#))) }))
            .await;
    let err = guarded(echo.provider().build().unwrap().access_token()).await.err().unwrap();
    let shown = format!("{err} | {err:?}");
    assert!(!shows_secret(&shown) && shown.contains("Basic [REDACTED]"), "{shown}");
}
