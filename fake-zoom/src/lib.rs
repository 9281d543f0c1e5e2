//! An in-process, stateful fake of Zoom's billing master-account API on
//! 127.0.0.1, for testing programs that use the [zoom-billing] client (or any
//! other HTTP client) without a Zoom account or a network.
//!
//! Like Zoom, a newly issued token invalidates the previous one of the same app and
//! `token_index`; optionally ([`FakeZoom::set_limits`]) the spec's rate limits are enforced
//! with Zoom's 429, on a scalable clock. `GET /fake/stats` answers counters as JSON, for
//! other processes (the `fake-zoom` binary serves the same fake on a fixed port).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fake_zoom::{FakeZoom, Fault};
//!
//! let fake = FakeZoom::start().await?; // a free port of 127.0.0.1, on this tokio runtime
//! fake.inject(Fault::status(503).path("/plans/usage")); // the next usage call fails
//!
//! let http = reqwest::Client::new();
//! let url = format!("{}/accounts/me/plans/usage", fake.base_url());
//! let first = http.get(&url).bearer_auth(fake_zoom::FIXED_TOKEN).send().await?;
//! assert_eq!(first.status(), 503);
//! let second = http.get(&url).bearer_auth(fake_zoom::FIXED_TOKEN).send().await?;
//! assert_eq!(second.status(), 200);
//! assert_eq!(fake.requests_to("/plans/usage").len(), 2);
//! # Ok(()) }
//! ```
//!
//! With zoom-billing, point the client at [`FakeZoom::base_url`] (and
//! [`FakeZoom::oauth_host`] for Server-to-Server OAuth) and turn its pacing
//! off, or run the test on tokio's paused clock: zoom-billing's README
//! ("Testing your code") tests a function both ways.
//!
//! # What it serves
//!
//! All 19 operations (the 18 billing operations and the newer invoice download) under `/v2`, with the response shapes of the spec. Every
//! response carries an `x-zm-trackingid` header (`fake-track-N`). The fake has
//! no rate limits unless [`FakeZoom::set_limits`] turns them on: otherwise a 429
//! comes only from a [`Fault`].
//!
//! | Resource | Ids that exist | Behaviour |
//! |---|---|---|
//! | accounts | any id (`me`, `sub-1`...) | each account keeps its own plans and billing contact |
//! | billing contact | every account | a default contact (Jill Chill) until `PATCH` merges fields into it |
//! | plans | none until subscribed | `GET` is `{}`; `POST .../plans` subscribes; changing or cancelling the base plan or an add-on before that is `400` code `200` |
//! | add-ons | the types subscribed | updating or cancelling another type is `404` code `2100` |
//! | plan usage | every account | the subscribed plans with `usage` 1 (base) and 0 (webinars) |
//! | invoices | `inv-1` in every list | `GET .../invoices/{id}` answers any id (details of `INV00000001`, total 2039 USD) |
//! | invoice PDFs | any id | a stream of [`FakeZoom::set_download_size`] bytes (64 KiB by default) starting `%PDF-1.7` |
//! | invoice reports | `rpt-N`, made by `POST` or [`FakeZoom::seed_reports`] | a posted report is `Processing` until a second list shows it, then `Completed` (seeded ones at once); downloading it before is `400` code `3001`; an unknown id (download or `DELETE`) is `404` code `3001` |
//! | renewals | `sub-0` ... (3 by default, [`FakeZoom::set_renewals`]) | paged by `page_size` (1 to 300, default 30) |
//!
//! Lists page with `next_page_token` (invoice reports: [`FakeZoom::set_report_page_size`],
//! 10 by default). A page token expires 15 minutes after it was issued, by
//! tokio's clock: the next request with it gets `400` code `300`, as Zoom answers.
//!
//! **A 404**: an unknown report or add-on type (above), any path the API does
//! not have (`404` code `404`), or, for any route, an injected
//! `Fault::status(404).path("/billing/invoices")`.
//!
//! # OAuth
//!
//! `POST /oauth/token?grant_type=account_credentials&account_id=ACCOUNT_ID` with
//! HTTP Basic `CLIENT_ID:CLIENT_SECRET` (by default [`ACCOUNT_ID`],
//! [`CLIENT_ID`], [`CLIENT_SECRET`]) issues a token (`fake-s2s-N`) that lives
//! [`FakeZoom::set_token_lifetime`] seconds (3600 by default, tokio's clock). A
//! wrong grant type is `400 unsupported_grant_type`, wrong client credentials
//! `401 invalid_client`, a wrong account id `400 invalid_request`, each with
//! Zoom's `reason`.
//!
//! API calls need `Authorization: Bearer` with an issued, unexpired token or the
//! fixed token [`FIXED_TOKEN`]; otherwise they get `401` code `124` ("Invalid
//! access token"), as Zoom answers an expired token. [`FakeZoom::revoke_tokens`]
//! expires every issued token at once; [`FakeZoom::token_requests`] counts the
//! token requests.
//!
//! # Faults
//!
//! [`FakeZoom::inject`] queues a [`Fault`]; the first queued fault that matches
//! a request (any request by default; narrowed by [`Fault::on`] a method and
//! [`Fault::path`] a path fragment, the token endpoint included) replaces the
//! answer for [`Fault::times`] requests (1 by default), then is gone.
//!
//! | Fault | What the client sees |
//! |---|---|
//! | [`Fault::status`]`(code)` | that status with a Zoom error body (`code`, `message`) |
//! | [`Fault::json`]`(code, body)` | that status with your JSON body |
//! | [`Fault::qps_limit`]`(headers)` | a per-second 429 (`X-RateLimit-Type: QPS`) with your headers, e.g. `Retry-After` in seconds, an HTTP date or ISO-8601 |
//! | [`Fault::daily_limit`]`(retry_after)` | a daily-limit 429 (`X-RateLimit-Type: Daily-limit`, `Remaining: 0`, `Retry-After`) |
//! | [`FaultKind::Respond`] | any status, body and headers |
//! | [`FaultKind::Delay`] | the normal answer after a delay (tokio's clock: a client timeout fires first if shorter) |
//! | [`FaultKind::Reset`] | the connection closes without an answer |
//! | [`FaultKind::RawJson`] | `200` with this body as `application/json` (malformed or truncated JSON, a wrong shape) |
//! | [`FaultKind::BreakBodyAfter`] | a download announces its full length, sends this many bytes, then the connection breaks |
//! | [`FaultKind::ExpirePageToken`] | `400` code `300`: the page token is expired |
//!
//! Every request, faulted or not, is in the log: [`FakeZoom::requests`] and
//! [`FakeZoom::requests_to`] give method, path, query, headers, body and
//! arrival time ([`Logged`]).
//!
//! # Time
//!
//! The server runs on the tokio runtime that starts it, and every duration
//! above (token lifetime, page-token expiry, delays) is measured with
//! `tokio::time`. On a paused clock (`#[tokio::test(start_paused = true)]`,
//! tokio's `test-util` feature) the client's pacing, backoff and the fake's
//! expiries advance together, without sleeping: a test can
//! `tokio::time::advance` past a token's expiry or a page token's 15 minutes.
//!
//! [zoom-billing]: https://docs.rs/zoom-billing

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub mod cli;
mod limits;

pub use limits::LimitConfig;
use limits::{Counters, Rejection, SpecLimit};

/// Default S2S account id the token endpoint accepts.
pub const ACCOUNT_ID: &str = "fake-account";
/// Default S2S client id.
pub const CLIENT_ID: &str = "fake-client";
/// Default S2S client secret.
pub const CLIENT_SECRET: &str = "fake-secret";
/// The fixed bearer token accepted by default.
pub const FIXED_TOKEN: &str = "fake-token";

type Body = BoxBody<Bytes, std::io::Error>;

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Logged {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Bytes,
    /// When it arrived (tokio's clock).
    pub at: Instant,
}

impl Logged {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What a fault does instead of (or before) the normal answer.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer this status, JSON body and headers.
    Respond {
        /// HTTP status.
        status: u16,
        /// Body bytes.
        body: Bytes,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Reset,
    /// Answer 200 with this raw body as `application/json`.
    RawJson(Bytes),
    /// Announce the full body, send this many bytes, then break the connection.
    BreakBodyAfter(u64),
    /// Reject the page token as expired (400, Zoom code 300).
    ExpirePageToken,
}

/// A fault for the next `times` requests that match.
#[derive(Clone, Debug)]
pub struct Fault {
    method: Option<Method>,
    path_contains: Option<String>,
    times: usize,
    kind: FaultKind,
}

impl Fault {
    /// A fault of this kind, for the next request of any route.
    pub fn new(kind: FaultKind) -> Self {
        Fault { method: None, path_contains: None, times: 1, kind }
    }

    /// Answer `status` with a Zoom error body.
    pub fn status(status: u16) -> Self {
        let body = json!({"code": status, "message": format!("Injected HTTP {status}.")});
        Self::new(FaultKind::Respond { status, body: body.to_string().into(), headers: vec![] })
    }

    /// Answer `status` with this JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self::new(FaultKind::Respond { status, body: body.to_string().into(), headers: vec![] })
    }

    /// A per-second 429 with these headers (e.g. `Retry-After` in any form).
    pub fn qps_limit(headers: &[(&str, &str)]) -> Self {
        let body = json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."});
        let mut all = vec![("X-RateLimit-Type".to_owned(), "QPS".to_owned())];
        all.extend(headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Self::new(FaultKind::Respond { status: 429, body: body.to_string().into(), headers: all })
    }

    /// A daily-limit 429 whose `Retry-After` is `retry_after` (ISO-8601).
    pub fn daily_limit(retry_after: &str) -> Self {
        let body = json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."});
        let headers = vec![
            ("X-RateLimit-Type".to_owned(), "Daily-limit".to_owned()),
            ("X-RateLimit-Category".to_owned(), "Heavy".to_owned()),
            ("X-RateLimit-Remaining".to_owned(), "0".to_owned()),
            ("Retry-After".to_owned(), retry_after.to_owned()),
        ];
        Self::new(FaultKind::Respond { status: 429, body: body.to_string().into(), headers })
    }

    /// Only requests with this method.
    pub fn on(mut self, method: &str) -> Self {
        self.method = Method::from_bytes(method.as_bytes()).ok();
        self
    }

    /// Only requests whose path contains `fragment`.
    pub fn path(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.to_owned());
        self
    }

    /// Apply to this many matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method) && self.path_contains.as_ref().is_none_or(|p| path.contains(p))
    }
}

#[derive(Debug)]
struct Report {
    id: String,
    start_date: String,
    end_date: String,
    accounts: usize,
    listings: u32,
}

#[derive(Debug)]
struct State {
    log: Vec<Logged>,
    faults: VecDeque<Fault>,
    credentials: (String, String, String),
    accepted: Vec<String>,
    /// Issued tokens: expiry and `token_index`.
    issued: HashMap<String, (Instant, u32)>,
    limits: LimitConfig,
    counters: Counters,
    unauthorized: u64,
    token_lifetime: u64,
    next_id: u64,
    reports: Vec<Report>,
    report_page_size: usize,
    page_tokens: HashMap<String, (usize, Instant)>,
    renewals: usize,
    plans: HashMap<String, Value>,
    contacts: HashMap<String, Value>,
    download_size: u64,
    drifted_invoices: Option<usize>,
}

/// The fake server. Dropping it stops nothing (the task ends with the runtime).
#[derive(Clone, Debug)]
pub struct FakeZoom {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeZoom {
    /// Start on a free port of 127.0.0.1, on the current tokio runtime.
    pub async fn start() -> std::io::Result<FakeZoom> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start on `addr` (port 0 picks a free one), on the current tokio runtime.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakeZoom> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            log: Vec::new(),
            faults: VecDeque::new(),
            credentials: (ACCOUNT_ID.into(), CLIENT_ID.into(), CLIENT_SECRET.into()),
            accepted: vec![FIXED_TOKEN.into()],
            issued: HashMap::new(),
            limits: LimitConfig::default(),
            counters: Counters::new(),
            unauthorized: 0,
            token_lifetime: 3600,
            next_id: 1,
            reports: Vec::new(),
            report_page_size: 10,
            page_tokens: HashMap::new(),
            renewals: 3,
            plans: HashMap::new(),
            contacts: HashMap::new(),
            download_size: 64 * 1024,
            drifted_invoices: None,
        }));
        let server = FakeZoom { addr, state };
        let accept = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let fake = accept.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let fake = fake.clone();
                        async move { fake.handle(req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(server)
    }

    /// The API base URL (`http://127.0.0.1:PORT/v2`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// The OAuth host (`http://127.0.0.1:PORT`).
    pub fn oauth_host(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Every request received so far (token requests included).
    pub fn requests(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Requests whose path contains `fragment`.
    pub fn requests_to(&self, fragment: &str) -> Vec<Logged> {
        self.lock().log.iter().filter(|r| r.path.contains(fragment)).cloned().collect()
    }

    /// How many token requests were made.
    pub fn token_requests(&self) -> usize {
        self.requests_to("/oauth/token").len()
    }

    /// Lifetime (`expires_in`) of the tokens the OAuth endpoint issues.
    pub fn set_token_lifetime(&self, secs: u64) {
        self.lock().token_lifetime = secs;
    }

    /// Make every issued token invalid (the next call with one gets 401 code 124).
    pub fn revoke_tokens(&self) {
        self.lock().issued.clear();
    }

    /// Set how the spec's rate limits are enforced (see [`LimitConfig`]).
    pub fn set_limits(&self, limits: LimitConfig) {
        self.lock().limits = limits;
    }

    /// Turn enforcement of the spec's rate limits on or off.
    pub fn enforce_limits(&self, on: bool) {
        self.lock().limits.enforce = on;
    }

    /// How many 429s enforcement answered (injected faults not counted).
    pub fn rate_limited(&self) -> u64 {
        self.lock().counters.rejected
    }

    /// How many of those were daily-limit 429s.
    pub fn rate_limited_daily(&self) -> u64 {
        self.lock().counters.rejected_daily
    }

    /// How many API calls were refused with 401 (code 124).
    pub fn unauthorized(&self) -> u64 {
        self.lock().unauthorized
    }

    /// Page size of the invoice-report list.
    pub fn set_report_page_size(&self, size: usize) {
        self.lock().report_page_size = size.max(1);
    }

    /// Number of upcoming renewal accounts.
    pub fn set_renewals(&self, count: usize) {
        self.lock().renewals = count;
    }

    /// Size of downloaded reports and invoice PDFs.
    pub fn set_download_size(&self, bytes: u64) {
        self.lock().download_size = bytes;
    }

    /// Serve drifted invoice lists ([`drifted_invoice_list`] of `count` invoices) from
    /// `list_billing_invoices`; `None` goes back to the normal list.
    pub fn set_drifted_invoices(&self, count: Option<usize>) {
        self.lock().drifted_invoices = count;
    }

    /// Add `n` completed invoice reports.
    pub fn seed_reports(&self, n: usize) {
        let mut state = self.lock();
        for _ in 0..n {
            let id = format!("rpt-{}", state.next_id);
            state.next_id += 1;
            state.reports.push(Report {
                id,
                start_date: "2024-01-01".into(),
                end_date: "2024-01-31".into(),
                accounts: 2,
                listings: 2,
            });
        }
    }

    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Body>, std::io::Error> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().map(str::to_owned);
        let fault = {
            let mut state = self.lock();
            state.log.push(Logged {
                method: parts.method.to_string(),
                path: path.clone(),
                query: query.clone(),
                headers: parts.headers.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
            let index = state.faults.iter().position(|f| f.matches(&parts.method, &path));
            match index {
                Some(i) => {
                    let fault = &mut state.faults[i];
                    fault.times = fault.times.saturating_sub(1);
                    let kind = fault.kind.clone();
                    if fault.times == 0 {
                        state.faults.remove(i);
                    }
                    Some(kind)
                }
                None => None,
            }
        };
        let mut break_after = None;
        match fault {
            Some(FaultKind::Respond { status, body, headers }) => {
                let mut response = raw(status, "application/json", body);
                for (k, v) in headers {
                    if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
                        response.headers_mut().insert(k, v);
                    }
                }
                return Ok(response);
            }
            Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
            Some(FaultKind::Reset) => return Err(std::io::Error::other("injected connection reset")),
            Some(FaultKind::RawJson(body)) => return Ok(raw(200, "application/json", body)),
            Some(FaultKind::ExpirePageToken) => return Ok(page_token_expired()),
            Some(FaultKind::BreakBodyAfter(n)) => break_after = Some(n),
            None => {}
        }
        let query: HashMap<String, String> = query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if path == "/fake/stats" && parts.method == Method::GET {
            return Ok(self.stats());
        }
        if path == "/oauth/token" && parts.method == Method::POST {
            return Ok(self.token(&parts.headers, &query));
        }
        let Some(api_path) = path.strip_prefix("/v2") else {
            return Ok(error(404, 404, "Not found."));
        };
        if let Some(rejection) = self.check_token(&parts.headers) {
            return Ok(rejection);
        }
        let segments: Vec<&str> = api_path.trim_matches('/').split('/').collect();
        if let Some(rejection) = self.check_limits(&parts.method, &segments) {
            return Ok(rejection);
        }
        let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(self.route(&parts.method, &segments, &query, json_body, break_after))
    }

    fn token(&self, headers: &HeaderMap, query: &HashMap<String, String>) -> Response<Body> {
        let mut state = self.lock();
        if query.get("grant_type").map(String::as_str) != Some("account_credentials") {
            return json_response(400, json!({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}));
        }
        let (account, id, secret) = state.credentials.clone();
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return json_response(
                401,
                json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
            );
        }
        if query.get("account_id") != Some(&account) {
            return json_response(400, json!({"reason": "Invalid account_id", "error": "invalid_request"}));
        }
        let token = format!("fake-s2s-{}", state.next_id);
        state.next_id += 1;
        let lifetime = state.token_lifetime;
        let index = query.get("token_index").and_then(|i| i.parse::<u32>().ok()).unwrap_or(0);
        // Zoom keeps one valid token per app and token index: a new one
        // invalidates the previous one.
        state.issued.retain(|_, (_, i)| *i != index);
        state.issued.insert(token.clone(), (Instant::now() + Duration::from_secs(lifetime), index));
        json_response(
            200,
            json!({"access_token": token, "token_type": "bearer", "expires_in": lifetime, "scope": "billing:master", "api_url": "https://api.zoom.us"}),
        )
    }

    fn check_token(&self, headers: &HeaderMap) -> Option<Response<Body>> {
        let mut state = self.lock();
        let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let valid = match token {
            Some(t) => {
                state.accepted.iter().any(|a| a == t)
                    || state.issued.get(t).is_some_and(|(exp, _)| Instant::now() < *exp)
            }
            None => false,
        };
        if valid {
            return None;
        }
        state.unauthorized += 1;
        Some(error(401, 124, "Invalid access token."))
    }

    /// Count the call against the spec's limits (when enforced); Zoom's 429
    /// when one is exceeded.
    fn check_limits(&self, method: &Method, segments: &[&str]) -> Option<Response<Body>> {
        let mut state = self.lock();
        if !state.limits.enforce {
            return None;
        }
        let (limit, key) = SpecLimit::find(method.as_str(), segments)?;
        let state = &mut *state;
        state.counters.admit(&state.limits, limit, &key, Instant::now()).err().map(too_many)
    }

    fn stats(&self) -> Response<Body> {
        let state = self.lock();
        let tokens = state.log.iter().filter(|r| r.path == "/oauth/token").count();
        let api = state.log.iter().filter(|r| r.path.starts_with("/v2")).count();
        let mut by_path = serde_json::Map::new();
        for request in state.log.iter().filter(|r| r.path.starts_with("/v2")) {
            let count = by_path.entry(request.path.clone()).or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
        json_response(
            200,
            json!({"api_requests": api, "token_requests": tokens, "rate_limited": state.counters.rejected,
                "rate_limited_daily": state.counters.rejected_daily,
                "unauthorized": state.unauthorized, "requests_by_path": by_path}),
        )
    }

    fn route(
        &self,
        method: &Method,
        segments: &[&str],
        query: &HashMap<String, String>,
        body: Value,
        break_after: Option<u64>,
    ) -> Response<Body> {
        let mut state = self.lock();
        let m = method.as_str();
        match (m, segments) {
            ("GET", ["accounts", "billing", "invoice_reports"]) => {
                let offset = match query.get("next_page_token").filter(|t| !t.is_empty()) {
                    Some(token) => match state.page_tokens.get(token) {
                        Some((offset, issued)) if issued.elapsed() < Duration::from_secs(15 * 60) => *offset,
                        _ => return page_token_expired(),
                    },
                    None => 0,
                };
                let size = state.report_page_size;
                for r in state.reports.iter_mut().skip(offset).take(size) {
                    r.listings += 1;
                }
                let page: Vec<Value> = state.reports.iter().skip(offset).take(size).map(report_json).collect();
                let next = if offset + size < state.reports.len() {
                    let token = format!("rpt-page-{}", state.next_id);
                    state.next_id += 1;
                    state.page_tokens.insert(token.clone(), (offset + size, Instant::now()));
                    token
                } else {
                    String::new()
                };
                json_response(200, json!({"invoice_reports": page, "next_page_token": next}))
            }
            ("POST", ["accounts", "billing", "invoice_reports"]) => {
                let id = format!("rpt-{}", state.next_id);
                state.next_id += 1;
                let report = Report {
                    id,
                    start_date: body["start_date"].as_str().unwrap_or("2024-01-01").to_owned(),
                    end_date: body["end_date"].as_str().unwrap_or("2024-01-31").to_owned(),
                    accounts: body["account_ids"].as_array().map_or(0, Vec::len),
                    listings: 0,
                };
                let value = report_json(&report);
                state.reports.push(report);
                json_response(201, value)
            }
            ("GET", ["accounts", "billing", "invoice_reports", id]) => {
                match state.reports.iter().find(|r| r.id == *id) {
                    Some(r) if r.listings >= 2 => {
                        download(state.download_size, "text/csv", b"account_id,amount\n", break_after)
                    }
                    Some(_) => error(400, 3001, "The invoice report is still being generated."),
                    None => error(404, 3001, "Invoice report does not exist."),
                }
            }
            ("DELETE", ["accounts", "billing", "invoice_reports", id]) => {
                let before = state.reports.len();
                state.reports.retain(|r| r.id != *id);
                if state.reports.len() < before {
                    empty(204)
                } else {
                    error(404, 3001, "Invoice report does not exist.")
                }
            }
            ("GET", ["accounts", "billing", "renewals"]) => {
                let size = query.get("page_size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(30).clamp(1, 300);
                let offset = match query.get("next_page_token").filter(|t| !t.is_empty()) {
                    Some(token) => match state.page_tokens.get(token) {
                        Some((offset, issued)) if issued.elapsed() < Duration::from_secs(15 * 60) => *offset,
                        _ => return page_token_expired(),
                    },
                    None => 0,
                };
                let total = state.renewals;
                let results: Vec<Value> = (offset..total.min(offset + size)).map(renewal_json).collect();
                let next = if offset + size < total {
                    let token = format!("renewal-page-{}", state.next_id);
                    state.next_id += 1;
                    state.page_tokens.insert(token.clone(), (offset + size, Instant::now()));
                    token
                } else {
                    String::new()
                };
                json_response(
                    200,
                    json!({"interval": 30, "page_size": size, "total_records": total, "next_page_token": next, "results": results}),
                )
            }
            ("GET", ["accounts", account, "billing"]) => {
                let contact = state.contacts.get(*account).cloned().unwrap_or_else(default_contact);
                json_response(200, contact)
            }
            ("PATCH", ["accounts", account, "billing"]) => {
                let mut contact = state.contacts.get(*account).cloned().unwrap_or_else(default_contact);
                if let (Some(c), Some(update)) = (contact.as_object_mut(), body.as_object()) {
                    for (k, v) in update {
                        c.insert(k.clone(), v.clone());
                    }
                }
                state.contacts.insert((*account).to_owned(), contact);
                empty(204)
            }
            ("GET", ["accounts", _account, "billing", "invoices"]) => match state.drifted_invoices {
                Some(count) => json_response(200, drifted_invoice_list(count)),
                None => json_response(
                    200,
                    json!({"currency": "USD", "invoices": [{"id": "inv-1", "invoice_number": "INV00000001", "total_amount": 2039, "tax_amount": 0, "balance": 2039, "due_date": "2024-08-07", "invoice_date": "2024-08-07", "target_date": "2024-08-07", "status": "Posted"}]}),
                ),
            },
            ("GET", ["accounts", _account, "billing", "invoices", id]) => json_response(
                200,
                json!({"id": id, "invoice_number": "INV00000001", "currency": "USD", "total_amount": 2039, "tax_amount": 0, "balance": 2039, "invoice_date": "2024-08-07", "due_date": "2024-08-07", "target_date": "2024-08-07", "status": "Posted", "invoice_items": [{"charge_name": "Standard Biz Annual", "charge_number": "C-00000004", "charge_type": "Recurring", "quantity": 10, "start_date": "2024-08-07", "end_date": "2025-08-06", "total_amount": 1999, "tax_amount": 0}]}),
            ),
            ("GET", ["accounts", account, "plans"]) => {
                json_response(200, state.plans.get(*account).cloned().unwrap_or_else(|| json!({})))
            }
            ("POST", ["accounts", account, "plans"]) => {
                let base = &body["plan_base"];
                let mut plans = json!({
                    // Date-times where dates are documented, as in Zoom's own Postman sample for GET plans.
                    "plan_base": {"type": base["type"], "hosts": base["hosts"], "status": "active",
                        "service_effective_date": "2024-08-07T00:00:00Z", "next_invoice_date": "2025-08-07T00:00:00Z"},
                });
                let webinars: Vec<Value> = body["plan_webinar"]
                    .as_array()
                    .map(|l| {
                        l.iter().map(|p| json!({"type": p["type"], "hosts": p["hosts"], "status": "active"})).collect()
                    })
                    .unwrap_or_default();
                plans["plan_webinar"] = Value::Array(webinars);
                state.plans.insert((*account).to_owned(), plans.clone());
                let mut subscribed = json!({"plan_base": {"type": base["type"], "hosts": base["hosts"]}});
                subscribed["plan_webinar"] = plans["plan_webinar"].clone();
                json_response(201, subscribed)
            }
            ("PUT", ["accounts", account, "plans", "base"]) => match state.plans.get_mut(*account) {
                Some(plans) => {
                    plans["plan_base"]["type"] = body["type"].clone();
                    if !body["hosts"].is_null() {
                        plans["plan_base"]["hosts"] = body["hosts"].clone();
                    }
                    empty(204)
                }
                None => error(400, 200, "You do not have a subscription yet."),
            },
            ("PATCH", ["accounts", account, "plans", "base", "status"]) => match state.plans.get_mut(*account) {
                Some(plans) => {
                    plans["plan_base"]["status"] = json!("cancelled");
                    empty(204)
                }
                None => error(400, 200, "You do not have a subscription yet."),
            },
            ("POST", ["accounts", account, "plans", "addons"]) => {
                let Some(plans) = state.plans.get_mut(*account) else {
                    return error(400, 200, "You do not have a subscription yet.");
                };
                let item = json!({"type": body["type"], "hosts": body["hosts"], "status": "active"});
                match plans["plan_webinar"].as_array_mut() {
                    Some(list) => list.push(item.clone()),
                    None => plans["plan_webinar"] = json!([item.clone()]),
                }
                json_response(201, json!({"plan_webinar": [{"type": body["type"], "hosts": body["hosts"]}]}))
            }
            ("PUT", ["accounts", account, "plans", "addons"]) => {
                let Some(list) = state.plans.get_mut(*account).and_then(|p| p["plan_webinar"].as_array_mut()) else {
                    return error(400, 200, "You do not have a subscription yet.");
                };
                match list.iter_mut().find(|p| p["type"] == body["type"]) {
                    Some(p) => {
                        p["hosts"] = body["hosts"].clone();
                        empty(204)
                    }
                    None => error(404, 2100, "Add-on plan not found."),
                }
            }
            ("PATCH", ["accounts", account, "plans", "addons", "status"]) => {
                let Some(list) = state.plans.get_mut(*account).and_then(|p| p["plan_webinar"].as_array_mut()) else {
                    return error(400, 200, "You do not have a subscription yet.");
                };
                match list.iter_mut().find(|p| p["type"] == body["type"]) {
                    Some(p) => {
                        p["status"] = json!("cancelled");
                        empty(204)
                    }
                    None => error(404, 2100, "Add-on plan not found."),
                }
            }
            ("GET", ["accounts", account, "plans", "usage"]) => {
                let plans = state.plans.get(*account).cloned().unwrap_or_else(|| json!({}));
                let mut usage = json!({});
                if plans["plan_base"].is_object() {
                    usage["plan_base"] =
                        json!({"type": plans["plan_base"]["type"], "hosts": plans["plan_base"]["hosts"], "usage": 1});
                }
                if let Some(list) = plans["plan_webinar"].as_array() {
                    usage["plan_webinar"] =
                        list.iter().map(|p| json!({"type": p["type"], "hosts": p["hosts"], "usage": 0})).collect();
                }
                json_response(200, usage)
            }
            // The deprecated path and its replacement (Zoom's changelog, 2025-01-09) serve the same file.
            ("GET", ["api", "download", "billing", "invoices", _id] | ["billing", "invoices", _id, "download"]) => {
                download(state.download_size, "application/pdf", b"%PDF-1.7\n", break_after)
            }
            _ => error(404, 404, "Not found."),
        }
    }
}

/// An invoice list that has drifted from the spec in exactly three ways, on every
/// invoice: a property the spec does not list (`payment_terms`, a string), a status
/// the spec's open enum does not list (`Paid`), and an amount sent as a string
/// (`total_amount: "2039.00"`, where the spec says number). Everything else
/// conforms, and it still decodes with today's tolerant types.
pub fn drifted_invoice_list(count: usize) -> Value {
    let invoices: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": format!("inv-{i}"), "invoice_number": format!("INV{i:08}"),
                "total_amount": "2039.00", "tax_amount": 0, "balance": 2039,
                "due_date": "2024-08-07", "invoice_date": "2024-08-07", "target_date": "2024-08-07",
                "status": if i % 2 == 0 { "Paid" } else { "Draft" }, "payment_terms": "Net 30"
            })
        })
        .collect();
    json!({"currency": "USD", "invoices": invoices})
}

fn report_json(r: &Report) -> Value {
    let status = if r.listings >= 2 { "Completed" } else { "Processing" };
    json!({"id": r.id, "start_date": r.start_date, "end_date": r.end_date, "accounts_total_number": r.accounts, "remaining_days": 5, "status": status})
}

fn renewal_json(i: usize) -> Value {
    json!({"account_id": format!("sub-{i}"), "account_name": format!("Sub account {i}"), "account_number": format!("{:09}", 100000000 + i),
        "email": "billing@example.com", "auto_renew": true, "next_renewal_date": "2024-08-07", "total_renewal_amount": 1999,
        "renewable_subscriptions": [{"billing_cycle": "Annual", "next_invoice_amount": 1999, "next_invoice_date": "2024-08-07", "plan_name": "Standard Biz Annual", "quantity": 10, "service_effective_date": "2023-08-07"}]})
}

fn default_contact() -> Value {
    json!({"first_name": "Jill", "last_name": "Chill", "email": "jill.chill@example.com", "phone_number": "+1 800 000 0000",
        "address": "55 Almaden Blvd", "apt": "Suite 600", "city": "San Jose", "state": "CA", "zip": "95113", "country": "US"})
}

fn tracked(mut response: Response<Body>) -> Response<Body> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = format!("fake-track-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    if let Ok(v) = id.parse() {
        response.headers_mut().insert("x-zm-trackingid", v);
    }
    response
}

fn raw(status: u16, content_type: &str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).map_err(|e: Infallible| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        response.headers_mut().insert("content-type", v);
    }
    tracked(response)
}

fn json_response(status: u16, body: Value) -> Response<Body> {
    raw(status, "application/json", body.to_string().into())
}

fn empty(status: u16) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).map_err(|e: Infallible| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    tracked(response)
}

fn error(status: u16, code: i64, message: &str) -> Response<Body> {
    json_response(status, json!({"code": code, "message": message}))
}

/// Zoom's 429: the daily form (ISO-8601 `Retry-After`) or the per-second one.
fn too_many(r: Rejection) -> Response<Body> {
    let (kind, message, retry_after) = if r.daily {
        (
            "Daily-limit",
            "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
            r.retry_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    } else {
        (
            "QPS",
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            // Whole seconds, rounded up so a client waiting that long is in time.
            r.retry_in.as_secs_f64().ceil().to_string(),
        )
    };
    let mut response = error(429, 429, message);
    let headers = [
        ("x-ratelimit-type", kind.to_owned()),
        ("x-ratelimit-category", r.label.to_owned()),
        ("x-ratelimit-limit", r.limit.to_string()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("retry-after", retry_after),
    ];
    for (name, value) in headers {
        if let Ok(v) = value.parse() {
            response.headers_mut().insert(name, v);
        }
    }
    if !r.daily
        && let Ok(v) = r.retry_at.timestamp().to_string().parse()
    {
        response.headers_mut().insert("x-ratelimit-reset", v);
    }
    response
}

fn page_token_expired() -> Response<Body> {
    error(400, 300, "The next page token is invalid or expired.")
}

/// A streamed body of `size` bytes, generated chunk by chunk; when
/// `break_after` is set the connection breaks after that many bytes.
fn download(size: u64, content_type: &str, header: &'static [u8], break_after: Option<u64>) -> Response<Body> {
    const CHUNK: u64 = 64 * 1024;
    let limit = break_after.unwrap_or(u64::MAX);
    let chunks = size.div_ceil(CHUNK);
    let stream = futures::stream::iter(0..chunks).map(move |i| {
        let start = i * CHUNK;
        if start >= limit {
            return Err(std::io::Error::other("injected failure mid-download"));
        }
        let len = (size - start).min(CHUNK).min(limit - start);
        let mut chunk: Vec<u8> = (start..start + len).map(|b| (b % 251) as u8).collect();
        if i == 0 {
            let n = header.len().min(chunk.len());
            chunk[..n].copy_from_slice(&header[..n]);
        }
        Ok(Frame::data(Bytes::from(chunk)))
    });
    // After the limit, one more item yields the error that breaks the body.
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    if let Ok(v) = content_type.parse() {
        response.headers_mut().insert("content-type", v);
    }
    if let Ok(v) = size.to_string().parse() {
        response.headers_mut().insert("content-length", v);
    }
    tracked(response)
}
