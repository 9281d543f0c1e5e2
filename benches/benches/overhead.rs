//! Request overhead: the full zoom-billing client (auth hook, metadata lookup, retry policy, body read
//! and pacing off) against raw reqwest sending the same request and decoding into the same
//! generated type, both against one HTTP/1.1 server on 127.0.0.1.
//!
//! Bodies: (a) the spec's `get_plan_usage` 200 example, (b) an invoice list of 1,000 invoices.
//! Concurrency 1 (sequential calls) and 64 (batches of 64 concurrent calls).
//!
//! Criterion reports each variant's own time; the ratios come from a paired run at the end that
//! alternates the two variants round by round (so machine drift hits both alike) and prints the
//! median per-round ratio. Goals: latency ratio at most 1.05, throughput ratio at least 0.95.
//!
//! `cargo bench -p zoom-billing-benches --bench overhead` (`ZOOM_BENCH_CASES=plan_usage` runs one case;
//! a criterion filter that matches nothing, e.g. `-- paired`, runs the paired ratios only;
//! `ZOOM_BENCH_PROFILE=zoom-billing` or `=reqwest` runs one variant alone, for a profiler)

use std::future::Future;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use futures::future::join_all;
use zoom_billing::{Client, RateLimitPolicy, USER_AGENT, types};
use zoom_billing_benches as common;

/// One call of one variant; returns whether it succeeded with the expected body.
trait Call: Sync {
    fn call(&self) -> impl Future<Output = ()> + Send;
}

/// The body a case serves.
#[derive(Clone, Copy, Debug)]
enum Case {
    PlanUsage,
    Invoices,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::PlanUsage => "plan_usage",
            Case::Invoices => "invoices_1000",
        }
    }
}

struct ZoomBilling {
    client: Client,
    case: Case,
}

impl Call for ZoomBilling {
    async fn call(&self) {
        match self.case {
            Case::PlanUsage => {
                let usage = self.client.get_plan_usage().account_id("me").send().await.expect("plan usage");
                assert!(usage.plan_base.is_some());
            }
            Case::Invoices => {
                let list = self.client.list_billing_invoices().account_id("me").send().await.expect("invoices");
                assert_eq!(list.invoices.len(), 1_000);
            }
        }
    }
}

/// What a careful hand-written caller does: the same URL, headers and decoding into the same
/// generated type, with reqwest alone.
struct RawReqwest {
    http: reqwest::Client,
    base_url: String,
    case: Case,
}

impl Call for RawReqwest {
    async fn call(&self) {
        let path = match self.case {
            Case::PlanUsage => "/accounts/me/plans/usage",
            Case::Invoices => "/accounts/me/billing/invoices",
        };
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .header(reqwest::header::ACCEPT, "application/json")
            .bearer_auth(common::TOKEN)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("raw request");
        match self.case {
            Case::PlanUsage => {
                let usage: types::PlanUsage = response.json().await.expect("plan usage");
                assert!(usage.plan_base.is_some());
            }
            Case::Invoices => {
                let list: types::InvoiceList = response.json().await.expect("invoices");
                assert_eq!(list.invoices.len(), 1_000);
            }
        }
    }
}

/// The cases to run: all, or those `ZOOM_BENCH_CASES` names (comma separated), e.g. to profile one.
fn cases() -> Vec<Case> {
    let wanted = std::env::var("ZOOM_BENCH_CASES").unwrap_or_default();
    [Case::PlanUsage, Case::Invoices]
        .into_iter()
        .filter(|case| wanted.is_empty() || wanted.split(',').any(|w| w.trim() == case.name()))
        .collect()
}

/// `n` calls, `concurrency` at a time; returns the wall time and each call's latency.
async fn run<C: Call>(target: &C, n: usize, concurrency: usize) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 {
        let batch = left.min(concurrency);
        let timed = (0..batch).map(|_| async {
            let t = Instant::now();
            target.call().await;
            t.elapsed()
        });
        latencies.extend(join_all(timed).await);
        left -= batch;
    }
    (started.elapsed(), latencies)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn clients(server: &common::Server, case: Case) -> (ZoomBilling, RawReqwest) {
    let client = Client::builder()
        .base_url(server.base_url())
        .bearer_token(common::TOKEN)
        .rate_limit_policy(RateLimitPolicy::off())
        .build()
        .unwrap();
    let http = reqwest::Client::builder().user_agent(USER_AGENT).build().unwrap();
    (ZoomBilling { client, case }, RawReqwest { http, base_url: server.base_url(), case })
}

fn criterion_benches(c: &mut Criterion, server: &common::Server, rt: &tokio::runtime::Runtime) {
    for case in cases() {
        let (zb, raw) = clients(server, case);
        for concurrency in [1usize, 64] {
            let mut group = c.benchmark_group(format!("overhead/{}/c{concurrency}", case.name()));
            group.sampling_mode(SamplingMode::Flat).throughput(Throughput::Elements(concurrency as u64));
            group.bench_function("zoom-billing", |b| {
                b.iter_custom(|iters| rt.block_on(run(&zb, iters as usize * concurrency, concurrency)).0)
            });
            group.bench_function("reqwest", |b| {
                b.iter_custom(|iters| rt.block_on(run(&raw, iters as usize * concurrency, concurrency)).0)
            });
            group.finish();
        }
    }
}

/// Alternates the two variants for `rounds` rounds of `n` calls each and prints the median ratios.
fn paired(server: &common::Server, rt: &tokio::runtime::Runtime, rounds: usize) {
    println!("\npaired ratios (zoom-billing / reqwest), median of {rounds} alternating rounds:");
    println!(
        "{:<16} {:>4} {:>6} {:>11} {:>11} {:>21} {:>21} {:>7}",
        "case", "conc", "calls", "zb mean", "raw mean", "latency [q1, q3]", "throughput [q1, q3]", "p99"
    );
    for case in cases() {
        let (zb, raw) = clients(server, case);
        for concurrency in [1usize, 64] {
            let n = match (case, concurrency) {
                (Case::PlanUsage, 1) => 100,
                (Case::PlanUsage, _) => 320,
                (Case::Invoices, 1) => 16,
                (Case::Invoices, _) => 128,
            };
            // Warm both (connections, allocator).
            rt.block_on(run(&zb, concurrency, concurrency));
            rt.block_on(run(&raw, concurrency, concurrency));
            let (mut latency, mut throughput, mut p99) = (Vec::new(), Vec::new(), Vec::new());
            let (mut zb_mean, mut raw_mean) = (Vec::new(), Vec::new());
            for round in 0..rounds {
                let ((zb_wall, mut zb_lat), (raw_wall, mut raw_lat)) = if round % 2 == 0 {
                    let a = rt.block_on(run(&zb, n, concurrency));
                    (a, rt.block_on(run(&raw, n, concurrency)))
                } else {
                    let b = rt.block_on(run(&raw, n, concurrency));
                    (rt.block_on(run(&zb, n, concurrency)), b)
                };
                let mean = |l: &[Duration]| l.iter().sum::<Duration>().as_secs_f64() / l.len() as f64;
                zb_mean.push(mean(&zb_lat));
                raw_mean.push(mean(&raw_lat));
                latency.push(mean(&zb_lat) / mean(&raw_lat));
                throughput.push(raw_wall.as_secs_f64() / zb_wall.as_secs_f64());
                let zb_p99 = common::quantile(&mut zb_lat, 0.99).as_secs_f64();
                p99.push(zb_p99 / common::quantile(&mut raw_lat, 0.99).as_secs_f64());
            }
            let (lat_q1, lat_q3) = common::quartiles(latency.clone());
            let (thr_q1, thr_q3) = common::quartiles(throughput.clone());
            println!(
                "{:<16} {:>4} {:>6} {:>8.1} µs {:>8.1} µs {:>5.3} [{:.3}, {:.3}] {:>5.3} [{:.3}, {:.3}] {:>7.3}",
                case.name(),
                concurrency,
                n,
                common::median(zb_mean) * 1e6,
                common::median(raw_mean) * 1e6,
                common::median(latency),
                lat_q1,
                lat_q3,
                common::median(throughput),
                thr_q1,
                thr_q3,
                common::median(p99),
            );
        }
    }
    println!(
        "goals: latency ratio <= 1.05; throughput ratio >= 0.95 one call at a time, >= 0.90 at 64 (latency and p99 are per call)"
    );
    // What each in-flight call holds in memory (a program with 64 calls in flight holds 64).
    let (zb, raw) = clients(server, Case::PlanUsage);
    let zb_send = zb.client.get_plan_usage().account_id("me").send();
    let raw_send = raw.http.get(format!("{}/accounts/me/plans/usage", raw.base_url)).send();
    println!(
        "size of one in-flight call's future: zoom-billing send() {} bytes, reqwest send() {} bytes",
        std::mem::size_of_val(&zb_send),
        std::mem::size_of_val(&raw_send)
    );
}

/// `ZOOM_BENCH_PROFILE=zoom-billing` (or `reqwest`): only that variant, 64 calls at a time on the
/// cases `ZOOM_BENCH_CASES` names, for `ZOOM_BENCH_ROUNDS` batches, so that a profiler's samples
/// all belong to one side. Prints the mean wall time of a batch.
fn profile(server: &common::Server, rt: &tokio::runtime::Runtime, variant: &str, rounds: usize) {
    for case in cases() {
        let (zb, raw) = clients(server, case);
        let wall = match variant {
            "zoom-billing" => rt.block_on(run(&zb, 64 * rounds, 64)).0,
            "reqwest" => rt.block_on(run(&raw, 64 * rounds, 64)).0,
            other => panic!("ZOOM_BENCH_PROFILE: `{other}` is neither `zoom-billing` nor `reqwest`"),
        };
        println!("{variant} {}: {:.1} µs per batch of 64", case.name(), wall.as_secs_f64() * 1e6 / rounds as f64);
    }
}

fn main() {
    let server = common::start(common::Answers { report_size: 0, ..Default::default() });
    let rt = runtime();
    if let Ok(variant) = std::env::var("ZOOM_BENCH_PROFILE") {
        let rounds = std::env::var("ZOOM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(2_000);
        profile(&server, &rt, &variant, rounds);
        return;
    }
    if !common::full_run() {
        // `cargo test --benches`: one call of each variant is enough to show they work.
        for case in [Case::PlanUsage, Case::Invoices] {
            let (zb, raw) = clients(&server, case);
            rt.block_on(async {
                zb.call().await;
                raw.call().await;
            });
        }
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    criterion_benches(&mut c, &server, &rt);
    c.final_summary();
    // Many short alternating rounds: the median ratio is then robust to the bursts of a shared
    // machine. `ZOOM_BENCH_ROUNDS` changes the count.
    let rounds = std::env::var("ZOOM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(41);
    paired(&server, &rt, rounds);
}
