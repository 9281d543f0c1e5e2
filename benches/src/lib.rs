//! The benchmarks of zoom-billing (`cargo bench`, see BENCHMARKS.md) and what they share: a tiny
//! HTTP/1.1 server on 127.0.0.1 serving fixed Zoom answers, and small statistics helpers.
//!
//! The benches live in this package, not in `zoom-billing`, so that they build zoom-billing as a
//! user's program does: `zoom-billing`'s own dev-dependencies turn on tokio's `test-util`, whose
//! clock takes a lock on every `Instant::now()`, a cost no user pays.
//!
//! The server runs on its own single-threaded tokio runtime in its own thread, so the client under
//! test never shares an executor with it. Every answer is prepared before the first request, so
//! the server's own cost is the same for zoom-billing and for the raw reqwest baseline.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The access token the server hands out and expects.
pub const TOKEN: &str = "bench-access-token";

/// The `get_plan_usage` 200 example of `spec/zoom-billing.yaml`, as JSON.
pub const PLAN_USAGE: &str = r#"{"plan_base":{"type":"monthly","hosts":2,"usage":1},"plan_zoom_rooms":{"type":"zroom_monthly","hosts":1,"usage":0},"plan_webinar":[{"type":"webinar1000","hosts":1,"usage":1}],"plan_zoom_events":[{"type":"zoomevents500_monthly","hosts":1,"usage":1}],"plan_large_meeting":[{"type":"large500_monthly","hosts":1,"usage":1}],"plan_recording":{"free_storage":"3 GB","free_storage_usage":"0","plan_storage":"0","plan_storage_usage":"0","plan_storage_exceed":"0"}}"#;

/// An invoice list of `n` invoices shaped like the `list_billing_invoices` 200 example.
pub fn invoice_list(n: usize) -> String {
    let invoices: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("2c92c12348d07e{i:06}"),
                "invoice_number": format!("S8INsdf4534{i:06}"),
                "total_amount": 2039 + (i % 100) as i64,
                "tax_amount": 0,
                "balance": 2039,
                "due_date": "2020-08-07",
                "invoice_date": "2020-08-07",
                "target_date": "2020-08-07",
                "status": if i % 3 == 0 { "Posted" } else { "Draft" },
            })
        })
        .collect();
    serde_json::json!({ "currency": "USD", "invoices": invoices }).to_string()
}

/// What the server answers; fixed before it starts.
#[derive(Clone)]
pub struct Answers {
    /// Body of `GET /v2/accounts/{id}/plans/usage`.
    pub plan_usage: Bytes,
    /// Body of `GET /v2/accounts/{id}/billing/invoices`.
    pub invoices: Bytes,
    /// Size of `GET /v2/accounts/billing/invoice_reports/{id}` (streamed in 64 KiB chunks).
    pub report_size: u64,
    /// `expires_in` of the tokens `POST /oauth/token` issues.
    pub token_expires_in: u64,
    /// How long `POST /oauth/token` takes to answer.
    pub token_delay: Duration,
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            plan_usage: Bytes::from_static(PLAN_USAGE.as_bytes()),
            invoices: Bytes::from(invoice_list(1_000)),
            report_size: 256 << 20,
            token_expires_in: 3600,
            token_delay: Duration::ZERO,
        }
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    token_requests: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    arrivals: Arc<std::sync::Mutex<Vec<Instant>>>,
}

impl Server {
    /// The API base URL (`{origin}/v2`).
    pub fn base_url(&self) -> String {
        format!("{}/v2", self.origin)
    }

    /// Token requests served so far.
    pub fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::SeqCst)
    }

    /// API requests served so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Arrival times of the API requests, in order (cleared by the call).
    pub fn take_arrivals(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.arrivals.lock().unwrap())
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// Starts the server on 127.0.0.1 on its own thread and runtime.
pub fn start(answers: Answers) -> Server {
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    let token_requests = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    let state = (Arc::new(answers), token_requests.clone(), requests.clone(), arrivals.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let (answers, tokens, requests, arrivals) = state.clone();
                        async move { Ok::<_, Infallible>(answer(&answers, &tokens, &requests, &arrivals, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    let addr = rx.recv().unwrap();
    Server { origin: format!("http://{addr}"), token_requests, requests, arrivals }
}

fn json(body: Bytes) -> Response<Body> {
    Response::builder().header("content-type", "application/json; charset=utf-8").body(Full::new(body).boxed()).unwrap()
}

async fn answer(
    answers: &Answers,
    tokens: &AtomicU64,
    requests: &AtomicU64,
    arrivals: &std::sync::Mutex<Vec<Instant>>,
    request: Request<Incoming>,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    if path == "/oauth/token" {
        tokens.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(answers.token_delay).await;
        let body = serde_json::json!({
            "access_token": TOKEN,
            "token_type": "bearer",
            "expires_in": answers.token_expires_in,
            "scope": "billing:master",
        });
        return json(Bytes::from(body.to_string()));
    }
    requests.fetch_add(1, Ordering::SeqCst);
    arrivals.lock().unwrap().push(Instant::now());
    let authorised =
        request.headers().get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    // Drain the request body (none is sent by the benched operations).
    let _ = request.into_body().collect().await;
    if !authorised {
        let body = r#"{"code":124,"message":"Invalid access token."}"#;
        let mut response = json(Bytes::from_static(body.as_bytes()));
        *response.status_mut() = hyper::StatusCode::UNAUTHORIZED;
        return response;
    }
    if path.ends_with("/plans/usage") {
        json(answers.plan_usage.clone())
    } else if path.ends_with("/billing/invoices") {
        json(answers.invoices.clone())
    } else if path.starts_with("/v2/accounts/billing/invoice_reports/") {
        report(answers.report_size)
    } else if path.ends_with("/billing") {
        json(Bytes::from_static(br#"{"first_name":"Jill","last_name":"Chill","email":"jchill@example.com"}"#))
    } else {
        let mut response = json(Bytes::from_static(br#"{"code":1001,"message":"Not found."}"#));
        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
        response
    }
}

/// A body of `size` bytes streamed in 64 KiB chunks of one shared buffer.
fn report(size: u64) -> Response<Body> {
    const CHUNK: usize = 64 << 10;
    let line = b"account_id,account_name,invoice_id,amount,currency\nsub-0001,Acme Sub,2c92c0f8,2039.00,USD\n";
    let chunk = Bytes::from(line.iter().copied().cycle().take(CHUNK).collect::<Vec<u8>>());
    let chunks = size.div_ceil(CHUNK as u64);
    let stream = futures::stream::iter((0..chunks).map(move |i| {
        let len = (size - i * CHUNK as u64).min(CHUNK as u64) as usize;
        Ok::<_, Infallible>(Frame::data(chunk.slice(..len)))
    }));
    Response::builder()
        .header("content-type", "application/octet-stream")
        .header("content-length", size.to_string())
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .unwrap()
}

/// The `q`-quantile (0..=1) of `values`, sorted in place.
pub fn quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index]
}

/// Median of `values`.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// The first and third quartiles of `values` (NaN when empty).
pub fn quartiles(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.75))
}

/// Whether the binary runs as `cargo bench` runs it (`--bench`), rather than as a smoke test
/// (`cargo test --benches`), in which case the benches do the least that exercises them.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}
