//! Spec drift observation: its cost per response on the 1,000-invoice list.
//!
//! - `decode`: serde_json into the generated `InvoiceList`, what every call pays today.
//! - `parse_only`: serde_json over the same body keeping nothing (`IgnoredAny`): the floor
//!   of any check that reads the body.
//! - `observe`: the drift observer's walk of the same body (no drift in it: the common case).
//! - `observe_drifted`: a body where every invoice has an unknown property, an unlisted
//!   status and an amount sent as a string (3,000 sightings of 3 findings).
//! - `off`/`on`: whole calls against the loopback server with the observer absent and present,
//!   alternated round by round; the median per-round ratio is printed. Off is today's code
//!   path plus one `Option` check, so the off figure is the baseline itself.
//!
//! Goal: `observe` under 20% of `decode`.
//!
//! `cargo bench -p zoom-billing-benches --bench drift`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use zoom_billing::Operation;
use zoom_billing::drift::{DriftObserver, DriftOptions};
use zoom_billing::{Client, RateLimitPolicy, types};
use zoom_billing_benches as common;

/// The list with every status one the spec lists, so nothing is drift.
fn conforming(n: usize) -> String {
    common::invoice_list(n).replace("\"Posted\"", "\"Draft\"")
}

/// Every invoice drifted three ways.
fn drifted(n: usize) -> String {
    common::invoice_list(n)
        .replace("\"Posted\"", "\"Paid\"")
        .replace("\"tax_amount\":0", "\"tax_amount\":\"0.00\"")
        .replace("\"balance\":2039", "\"balance\":2039,\"payment_terms\":\"Net 30\"")
}

fn micro(c: &mut Criterion) {
    let body = conforming(1_000).into_bytes();
    let drifted = drifted(1_000).into_bytes();
    let observer = DriftObserver::new(DriftOptions::new()).unwrap();
    // The bodies are what the benchmark claims they are.
    observer.observe(Operation::ListBillingInvoices, &body);
    assert!(observer.findings().is_empty(), "{:?}", observer.findings());
    observer.observe(Operation::ListBillingInvoices, &drifted);
    assert_eq!(observer.findings().len(), 3, "{:?}", observer.findings());

    let mut group = c.benchmark_group("drift_invoices_1000");
    group.throughput(Throughput::Bytes(body.len() as u64));
    if !common::full_run() {
        group.sample_size(10).warm_up_time(Duration::from_millis(10)).measurement_time(Duration::from_millis(50));
    }
    group.bench_function("decode", |b| {
        b.iter(|| serde_json::from_slice::<types::InvoiceList>(&body).unwrap());
    });
    // The floor of any check that reads the body: a bare serde_json parse that keeps nothing.
    group.bench_function("parse_only", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap());
    });
    group.bench_function("observe", |b| b.iter(|| observer.observe(Operation::ListBillingInvoices, &body)));
    group.bench_function("observe_drifted", |b| b.iter(|| observer.observe(Operation::ListBillingInvoices, &drifted)));
    group.finish();
}

/// Whole calls, drift observation off and on, alternated; prints the median on/off ratio.
fn paired() {
    let server = common::start(common::Answers {
        invoices: bytes::Bytes::from(conforming(1_000)),
        ..common::Answers::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let build = |observer: Option<Arc<DriftObserver>>| {
        let builder = Client::builder()
            .base_url(server.base_url())
            .bearer_token(common::TOKEN)
            .rate_limit_policy(RateLimitPolicy::off());
        match observer {
            Some(o) => builder.drift_observer(o),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let off = build(None);
    let on = build(Some(Arc::new(DriftObserver::new(DriftOptions::new()).unwrap())));
    let (rounds, calls) = if common::full_run() { (21, 20) } else { (1, 2) };
    let time = |client: &Client| {
        runtime.block_on(async {
            let started = Instant::now();
            for _ in 0..calls {
                let list = client.list_billing_invoices().account_id("me").send().await.unwrap();
                assert_eq!(list.invoices.len(), 1_000);
            }
            started.elapsed() / calls
        })
    };
    let mut ratios = Vec::new();
    let (mut off_times, mut on_times) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so a burst on the shared machine hits both alike.
        let (a, b) = if round % 2 == 0 {
            (time(&off), time(&on))
        } else {
            let b = time(&on);
            (time(&off), b)
        };
        ratios.push(b.as_secs_f64() / a.as_secs_f64());
        off_times.push(a.as_secs_f64());
        on_times.push(b.as_secs_f64());
    }
    let (q1, q3) = common::quartiles(ratios.clone());
    println!(
        "drift paired, list_billing_invoices (1,000 invoices), {rounds} rounds x {calls} calls: off {:.3} ms, on {:.3} ms per call; on/off median {:.3} (quartiles {q1:.3}-{q3:.3})",
        common::median(off_times) * 1e3,
        common::median(on_times) * 1e3,
        common::median(ratios)
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    micro(&mut criterion);
    criterion.final_summary();
    paired();
}
