//! The server: accepting connections, the order a request goes through (log, fault, token
//! endpoint, auth, route, limits, validation, model), the OAuth token endpoint, and the
//! controls a test uses ([`FakeZoom`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::contract::{Contract, parse_query};
use crate::faults::{Fault, FaultKind, UnknownOperation};
use crate::limits::{Counters, LimitConfig};
use crate::respond::{Body, error, invalid, json_response, page_token_expired, raw, too_many};
use crate::routes::{Call, Model, answer};
use crate::validate::{Refusal, check};
use crate::world::{Account, InvoiceReport, Renewal, World};

/// Default S2S account id the token endpoint accepts.
pub const ACCOUNT_ID: &str = "fake-account";
/// Default S2S client id.
pub const CLIENT_ID: &str = "fake-client";
/// Default S2S client secret.
pub const CLIENT_SECRET: &str = "fake-secret";
/// The fixed bearer token accepted by default.
pub const FIXED_TOKEN: &str = "fake-token";

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
    /// The operationId the request calls, if it calls one of the spec's.
    pub operation: Option<String>,
}

impl Logged {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug)]
struct State {
    log: Vec<Logged>,
    faults: std::collections::VecDeque<Fault>,
    credentials: (String, String, String),
    accepted: Vec<String>,
    /// Issued tokens: expiry and `token_index`.
    issued: std::collections::HashMap<String, (Instant, u32)>,
    limits: LimitConfig,
    counters: Counters,
    unauthorized: u64,
    token_lifetime: u64,
    refused: Vec<Refusal>,
    model: Model,
}

/// How to start a [`FakeZoom`]: its world, its contract and its address.
#[derive(Debug, Default)]
pub struct Builder {
    world: Option<World>,
    contract: Option<Contract>,
    addr: Option<SocketAddr>,
}

impl Builder {
    /// Serve this world instead of [`World::standard`].
    pub fn world(mut self, world: World) -> Builder {
        self.world = Some(world);
        self
    }

    /// Serve and check this contract instead of [`Contract::spec`] (e.g. one built from a
    /// changed spec with `zoom_billing_codegen::fake::contract_json`).
    pub fn contract(mut self, contract: Contract) -> Builder {
        self.contract = Some(contract);
        self
    }

    /// Listen on `addr` (port 0 picks a free one) instead of a free port of 127.0.0.1.
    pub fn addr(mut self, addr: SocketAddr) -> Builder {
        self.addr = Some(addr);
        self
    }

    /// Start serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<FakeZoom> {
        let contract = match self.contract {
            Some(contract) => contract,
            None => Contract::spec().map_err(std::io::Error::other)?,
        };
        let addr = self.addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            log: Vec::new(),
            faults: Default::default(),
            credentials: (ACCOUNT_ID.into(), CLIENT_ID.into(), CLIENT_SECRET.into()),
            accepted: vec![FIXED_TOKEN.into()],
            issued: Default::default(),
            limits: LimitConfig::default(),
            counters: Counters::new(),
            unauthorized: 0,
            token_lifetime: 3600,
            refused: Vec::new(),
            model: Model::new(self.world.unwrap_or_else(World::standard)),
        }));
        let server = FakeZoom { addr, state, contract };
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
}

/// The fake server. Dropping it stops nothing (the task ends with the runtime).
#[derive(Clone, Debug)]
pub struct FakeZoom {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    contract: Contract,
}

impl FakeZoom {
    /// Start on a free port of 127.0.0.1, on the current tokio runtime, serving
    /// [`World::standard`].
    pub async fn start() -> std::io::Result<FakeZoom> {
        Self::builder().start().await
    }

    /// Start on a free port of 127.0.0.1 serving `world`.
    pub async fn start_with(world: World) -> std::io::Result<FakeZoom> {
        Self::builder().world(world).start().await
    }

    /// Start on `addr` (port 0 picks a free one), on the current tokio runtime.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakeZoom> {
        Self::builder().addr(addr).start().await
    }

    /// Choose the world, the contract or the address before starting.
    pub fn builder() -> Builder {
        Builder::default()
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

    /// Queue a fault. A fault aimed at an operation the spec does not have is refused.
    pub fn inject(&self, fault: Fault) -> Result<(), UnknownOperation> {
        if let Some(id) = fault.operation_id()
            && self.contract.operation(id).is_none()
        {
            return Err(UnknownOperation(id.to_owned()));
        }
        self.lock().faults.push_back(fault);
        Ok(())
    }

    /// The world as it is now: what was seeded, and what the client subscribed, updated,
    /// cancelled or generated since (accounts made from [`World::any_account`] included).
    pub fn world(&self) -> World {
        self.lock().model.world.clone()
    }

    /// One account as it is now (see [`FakeZoom::world`]).
    pub fn account(&self, id: &str) -> Option<Account> {
        self.lock().model.world.accounts.iter().find(|a| a.id == id).cloned()
    }

    /// Replace the world.
    pub fn set_world(&self, world: World) {
        self.lock().model.world = world;
    }

    /// Requests the fake refused as invalid against the spec (`400` code `300`), with the field.
    pub fn refused(&self) -> Vec<Refusal> {
        self.lock().refused.clone()
    }

    /// Every request received so far (token requests included).
    pub fn requests(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Requests of one operation (by operationId).
    pub fn requests_for(&self, operation_id: &str) -> Vec<Logged> {
        self.lock().log.iter().filter(|r| r.operation.as_deref() == Some(operation_id)).cloned().collect()
    }

    /// Requests whose path contains `fragment` (see [`FakeZoom::requests_for`] for one operation).
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
        self.lock().model.report_page_size = size.max(1);
    }

    /// Replace the upcoming renewals with `count` standard ones (`sub-0`..., a week from today).
    pub fn set_renewals(&self, count: usize) {
        self.lock().model.world.renewals = (0..count).map(Renewal::standard).collect();
    }

    /// Size of downloaded reports and invoice PDFs.
    pub fn set_download_size(&self, bytes: u64) {
        self.lock().model.download_size = bytes;
    }

    /// Serve drifted invoice lists ([`crate::drifted_invoice_list`] of `count` invoices) from
    /// `list_billing_invoices`; `None` goes back to the normal list.
    pub fn set_drifted_invoices(&self, count: Option<usize>) {
        self.lock().model.drifted_invoices = count;
    }

    /// Add `n` completed invoice reports (`rpt-N`, January 2024).
    pub fn seed_reports(&self, n: usize) {
        let mut state = self.lock();
        let (start, end) = (chrono::NaiveDate::from_ymd_opt(2024, 1, 1), chrono::NaiveDate::from_ymd_opt(2024, 1, 31));
        for _ in 0..n {
            let id = format!("rpt-{}", state.model.next_id);
            state.model.next_id += 1;
            let mut report = InvoiceReport::new(&id, start.unwrap_or_default(), end.unwrap_or_default());
            report.accounts_total_number = 2;
            state.model.world.invoice_reports.push(report);
        }
    }

    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Body>, std::io::Error> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let path = parts.uri.path().to_owned();
        let query_text = parts.uri.query().map(str::to_owned);
        let matched = path.strip_prefix("/v2").and_then(|api| self.contract.find(parts.method.as_str(), api));
        let operation = matched.as_ref().map(|m| m.operation.operation_id.clone());
        let account = matched.as_ref().and_then(|m| m.param("accountId").map(str::to_owned));
        let fault = {
            let mut state = self.lock();
            state.log.push(Logged {
                method: parts.method.to_string(),
                path: path.clone(),
                query: query_text.clone(),
                headers: parts.headers.clone(),
                body: body.clone(),
                at: Instant::now(),
                operation: operation.clone(),
            });
            let index = state
                .faults
                .iter()
                .position(|f| f.matches(&parts.method, &path, operation.as_deref(), account.as_deref()));
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
        let query = parse_query(query_text.as_deref().unwrap_or(""));
        if path == "/fake/stats" && parts.method == Method::GET {
            return Ok(self.stats());
        }
        if path == "/oauth/token" && parts.method == Method::POST {
            return Ok(self.token(&parts.headers, &query));
        }
        if !path.starts_with("/v2") {
            return Ok(error(404, 404, "Not found."));
        }
        if let Some(rejection) = self.check_token(&parts.headers) {
            return Ok(rejection);
        }
        let Some(matched) = matched else { return Ok(error(404, 404, "Not found.")) };
        let mut state = self.lock();
        let state = &mut *state;
        if state.limits.enforce {
            let limit = &matched.operation.rate_limit;
            let key = if limit.per_account_id { account.clone().unwrap_or_default() } else { String::new() };
            if let Err(rejection) =
                state.counters.admit(&state.limits, &matched.operation.operation_id, limit, &key, Instant::now())
            {
                return Ok(too_many(rejection));
            }
        }
        let body = match check(&matched, &query, &body) {
            Ok(body) => body,
            Err(refusal) => {
                let response = invalid(&refusal.field, &refusal.reason);
                state.refused.push(refusal);
                return Ok(response);
            }
        };
        Ok(answer(&mut state.model, &Call { matched: &matched, query: &query, body: &body, break_after }))
    }

    fn token(&self, headers: &HeaderMap, query: &[(String, String)]) -> Response<Body> {
        let mut state = self.lock();
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if get("grant_type") != Some("account_credentials") {
            return json_response(400, &json!({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}));
        }
        let (account, id, secret) = state.credentials.clone();
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")));
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return json_response(
                401,
                &json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}),
            );
        }
        if get("account_id") != Some(account.as_str()) {
            return json_response(400, &json!({"reason": "Invalid account_id", "error": "invalid_request"}));
        }
        let token = format!("fake-s2s-{}", state.model.next_id);
        state.model.next_id += 1;
        let lifetime = state.token_lifetime;
        let index = get("token_index").and_then(|i| i.parse::<u32>().ok()).unwrap_or(0);
        // Zoom keeps one valid token per app and token index: a new one
        // invalidates the previous one.
        state.issued.retain(|_, (_, i)| *i != index);
        state.issued.insert(token.clone(), (Instant::now() + Duration::from_secs(lifetime), index));
        json_response(
            200,
            &json!({"access_token": token, "token_type": "bearer", "expires_in": lifetime, "scope": "billing:master", "api_url": "https://api.zoom.us"}),
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

    fn stats(&self) -> Response<Body> {
        let state = self.lock();
        let tokens = state.log.iter().filter(|r| r.path == "/oauth/token").count();
        let api = state.log.iter().filter(|r| r.path.starts_with("/v2")).count();
        let mut by_path = serde_json::Map::new();
        let mut by_operation = serde_json::Map::new();
        for request in state.log.iter().filter(|r| r.path.starts_with("/v2")) {
            let count = by_path.entry(request.path.clone()).or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
            if let Some(operation) = &request.operation {
                let count = by_operation.entry(operation.clone()).or_insert(json!(0));
                *count = json!(count.as_u64().unwrap_or(0) + 1);
            }
        }
        json_response(
            200,
            &json!({"api_requests": api, "token_requests": tokens, "rate_limited": state.counters.rejected,
                "rate_limited_daily": state.counters.rejected_daily,
                "unauthorized": state.unauthorized, "requests_by_path": by_path, "requests_by_operation": by_operation, "refused": state.refused.len()}),
        )
    }
}
