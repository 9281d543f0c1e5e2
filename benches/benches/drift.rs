//! Spec drift observation: its cost per response on the 1,000-invoice list.
//!
//! - `decode`: serde_json into the generated `InvoiceList`, what every call pays today.
//! - `parse_only`: serde_json over the same body keeping nothing (`IgnoredAny`): the floor
//!   of any check that reads the body.
//! - `observe`: the drift observer's scan of the same body (no drift in it: the common case).
//! - `observe_drifted`: a body where every invoice has an unknown property, an unlisted
//!   status and an amount sent as a string (3,000 sightings of 3 findings).
//!
//! Then the paired ratios (alternated rounds, median with quartiles, as in the overhead bench):
//! - `observe/decode` and `observe_drifted/decode`: the added cost per response. Goal: < 0.20.
//! - `off check`: what observation off adds to a response, measured in isolation: the one
//!   `Option` test the client's pipeline makes (`if let Some(drift) = &runtime.drift`), per
//!   response, against `decode`. "Today" (the pipeline without that test) cannot be built
//!   beside it, so this is the off cost itself rather than an off/today ratio of two builds.
//! - whole calls against the loopback server: on/off, and off/off (two identical clients
//!   without an observer: what "no difference" looks like on this machine).
//!
//! `cargo bench -p zoom-billing-benches --bench drift` (a criterion filter that matches nothing,
//! e.g. `-- paired`, runs the paired ratios only)

use std::hint::black_box;
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

/// Median and quartiles of per-round ratios, for printing.
fn summary(ratios: Vec<f64>) -> String {
    let (q1, q3) = common::quartiles(ratios.clone());
    format!("{:.3} (quartiles {q1:.3}-{q3:.3})", common::median(ratios))
}

/// Time `reps` runs of `f`, per run.
fn per_run(reps: u32, mut f: impl FnMut()) -> f64 {
    let started = Instant::now();
    for _ in 0..reps {
        f();
    }
    started.elapsed().as_secs_f64() / f64::from(reps)
}

/// The added cost per response: observe (and observe_drifted) against decode, alternated.
fn paired_micro(rounds: usize, reps: u32) {
    let body = conforming(1_000).into_bytes();
    let drifted = drifted(1_000).into_bytes();
    let observer = DriftObserver::new(DriftOptions::new()).unwrap();
    let decode = || {
        black_box(serde_json::from_slice::<types::InvoiceList>(black_box(&body)).unwrap());
    };
    let observe = || observer.observe(Operation::ListBillingInvoices, black_box(&body));
    let observe_drifted = || observer.observe(Operation::ListBillingInvoices, black_box(&drifted));
    // The off pipeline's only drift work: the test of an absent observer, before the body is
    // handed on. `black_box` keeps the compiler from deciding it once for the whole loop.
    let absent: Option<Arc<DriftObserver>> = None;
    let off_check = || {
        if let Some(drift) = black_box(&absent) {
            drift.observe(Operation::ListBillingInvoices, &body);
        }
    };
    let (mut on, mut on_drifted, mut off, mut times) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so a burst on the shared machine hits both alike.
        let (d, o, od) = if round % 2 == 0 {
            (per_run(reps, decode), per_run(reps, observe), per_run(reps, observe_drifted))
        } else {
            let od = per_run(reps, observe_drifted);
            let o = per_run(reps, observe);
            (per_run(reps, decode), o, od)
        };
        // A million checks per round: one is far below the clock's resolution.
        let check = per_run(1_000_000, off_check);
        on.push(o / d);
        on_drifted.push(od / d);
        off.push(check / d);
        times.push((d, o, od, check));
    }
    let decode_time = common::median(times.iter().map(|t| t.0).collect());
    let observe_time = common::median(times.iter().map(|t| t.1).collect());
    let drifted_time = common::median(times.iter().map(|t| t.2).collect());
    let check_time = common::median(times.iter().map(|t| t.3).collect());
    println!("\ndrift paired, 1,000-invoice list ({} bytes), {rounds} alternated rounds x {reps} bodies:", body.len());
    println!(
        "  decode {:.1} µs, observe {:.1} µs, observe_drifted {:.1} µs, off check {:.2} ns per body",
        decode_time * 1e6,
        observe_time * 1e6,
        drifted_time * 1e6,
        check_time * 1e9
    );
    println!("  observe/decode         {}   (goal < 0.20)", summary(on));
    println!("  observe_drifted/decode {}", summary(on_drifted));
    println!("  off check/decode       {:.2e} (goal: zero)", common::median(off));
}

/// Whole calls, drift observation off and on, alternated; prints the median on/off and off/off
/// ratios.
fn paired_calls(rounds: usize, calls: u32) {
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
    let off_again = build(None);
    let on = build(Some(Arc::new(DriftObserver::new(DriftOptions::new()).unwrap())));
    let time = |client: &Client| {
        runtime.block_on(async {
            let started = Instant::now();
            for _ in 0..calls {
                let list = client.list_billing_invoices().account_id("me").send().await.unwrap();
                assert_eq!(list.invoices.len(), 1_000);
            }
            started.elapsed().as_secs_f64() / f64::from(calls)
        })
    };
    let (mut on_off, mut off_off, mut off_times, mut on_times) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b, c) = if round % 2 == 0 {
            (time(&off), time(&on), time(&off_again))
        } else {
            let c = time(&off_again);
            let b = time(&on);
            (time(&off), b, c)
        };
        on_off.push(b / a);
        off_off.push(c / a);
        off_times.push(a);
        on_times.push(b);
    }
    println!(
        "drift paired, whole calls of list_billing_invoices (1,000 invoices), {rounds} rounds x {calls} calls: off {:.3} ms, on {:.3} ms per call",
        common::median(off_times) * 1e3,
        common::median(on_times) * 1e3,
    );
    println!("  on/off  {}", summary(on_off));
    println!("  off/off {}   (two clients without an observer: the noise floor)", summary(off_off));
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    micro(&mut criterion);
    criterion.final_summary();
    if common::full_run() {
        paired_micro(41, 20);
        paired_calls(21, 20);
    } else {
        paired_micro(1, 1);
        paired_calls(1, 2);
    }
}
