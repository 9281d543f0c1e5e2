//! Decoding a 1,000-invoice `list_billing_invoices` body: exact money and tolerant dates
//! (`zoom_billing::Money` from the number's own text, `ZoomDate`) against the shape the client
//! had before (money as `rust_decimal::Decimal` through `f64`, dates as `NaiveDate`).
//!
//! Both decode the same bytes with `serde_json::from_slice`, as the client does. Criterion
//! reports each; the ratio comes from a paired run that alternates the two round by round and
//! prints the median per-round ratio with its quartiles. Goal: after/before at most 1.05.
//!
//! `cargo bench -p zoom-billing-benches --bench decode`

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput};
use rust_decimal::Decimal;
use serde::Deserialize;
use zoom_billing::types;
use zoom_billing::values::InvoiceStatus;
use zoom_billing_benches as common;

/// The generated `InvoiceList` as it was before exact money (same fields and serde shape).
#[derive(Deserialize)]
#[allow(dead_code)]
struct BeforeInvoiceList {
    currency: Option<String>,
    #[serde(default)]
    invoices: Vec<BeforeInvoiceSummary>,
}

/// The generated `InvoiceSummary` as it was: `Decimal` through `f64`, `NaiveDate`.
#[derive(Deserialize)]
#[allow(dead_code)]
struct BeforeInvoiceSummary {
    balance: Option<Decimal>,
    due_date: Option<NaiveDate>,
    id: Option<String>,
    invoice_date: Option<NaiveDate>,
    invoice_number: Option<String>,
    status: Option<InvoiceStatus>,
    target_date: Option<NaiveDate>,
    tax_amount: Option<Decimal>,
    total_amount: Option<Decimal>,
}

/// `n` invoices with fractional amounts written as Zoom writes them (`2039.10`).
fn body(n: usize) -> Vec<u8> {
    let invoices: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"2c92c12348d07e{i:06}","invoice_number":"S8INsdf4534{i:06}","total_amount":{}.{:02},"tax_amount":0.00,"balance":{}.10,"due_date":"2020-08-07","invoice_date":"2020-08-07","target_date":"2020-08-07","status":"{}"}}"#,
                2039 + i % 100,
                i % 100,
                2039 + i % 7,
                if i % 3 == 0 { "Posted" } else { "Draft" }
            )
        })
        .collect();
    format!(r#"{{"currency":"USD","invoices":[{}]}}"#, invoices.join(",")).into_bytes()
}

fn before(bytes: &[u8]) -> usize {
    let list: BeforeInvoiceList = serde_json::from_slice(bytes).expect("before decodes");
    list.invoices.len()
}

fn after(bytes: &[u8]) -> usize {
    let list: types::InvoiceList = serde_json::from_slice(bytes).expect("after decodes");
    list.invoices.len()
}

fn main() {
    let full = common::full_run();
    // At least 11: the check below reads the eleventh invoice.
    let n = if full { 1_000 } else { 11 };
    let bytes = body(n);
    // Correctness first: the exact decode keeps what `f64` loses.
    let exact: types::InvoiceList = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(exact.invoices[10].total_amount.unwrap().to_string(), "2049.10");
    let lossy: BeforeInvoiceList = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(lossy.invoices[10].total_amount.unwrap().to_string(), "2049.1");

    let mut criterion = Criterion::default().configure_from_args();
    if full {
        let mut group = criterion.benchmark_group("decode_invoices_1000");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("before_decimal_via_f64", |b| b.iter(|| before(black_box(&bytes))));
        group.bench_function("after_exact_money", |b| b.iter(|| after(black_box(&bytes))));
        group.finish();
    }

    // Paired: alternate the two, a batch of decodes each, so drift hits both alike.
    let (rounds, batch) = if full { (41, 200) } else { (1, 1) };
    let mut ratios = Vec::with_capacity(rounds);
    let (mut before_ns, mut after_ns) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let time = |f: fn(&[u8]) -> usize| {
            let start = Instant::now();
            for _ in 0..batch {
                assert_eq!(f(black_box(&bytes)), n);
            }
            start.elapsed().as_nanos() as f64 / batch as f64
        };
        // Which goes first alternates too.
        let (b, a) = if round % 2 == 0 {
            let b = time(before);
            (b, time(after))
        } else {
            let a = time(after);
            (time(before), a)
        };
        before_ns.push(b);
        after_ns.push(a);
        ratios.push(a / b);
    }
    let (q1, q3) = common::quartiles(ratios.clone());
    println!(
        "paired decode of {n} invoices ({} bytes), {rounds} rounds x {batch}: before median {:.1} us, after median {:.1} us, after/before median {:.3} (quartiles {q1:.3}..{q3:.3})",
        bytes.len(),
        common::median(before_ns) / 1e3,
        common::median(after_ns) / 1e3,
        common::median(ratios),
    );
    criterion.final_summary();
}
