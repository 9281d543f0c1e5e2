//! Pacing accuracy: 20 calls of one operation, all started at once, paced at 1 per interval; the
//! server's arrival times give the spacing error, and no call may arrive early.
//!
//! Each arrival is checked against its earliest allowed time, `start + k * interval`, where `start`
//! is taken just before the calls are made: an arrival before it is early. Gaps between
//! consecutive arrivals are reported too; they also carry the loopback hop's jitter.
//!
//! The interval is set through the runtime's public API: the Medium rate-limit label's rate
//! ([`RateLimitPolicy::with_label_rate`]), which paces `get_billing_information` (Medium, no
//! per-operation interval). Real time, not paused: the error includes the timer's granularity and
//! the loopback hop, as a program would see it.
//!
//! `cargo bench -p zoom-billing-benches --bench pacing`

use std::time::{Duration, Instant};

use futures::future::join_all;
use zoom_billing::metadata::RateLimitLabel;
use zoom_billing::{Client, RateLimitPolicy};
use zoom_billing_benches as common;

const CALLS: usize = 20;

fn main() {
    let intervals: &[u64] = if common::full_run() { &[10, 50, 100] } else { &[10] };
    let server = common::start(common::Answers { report_size: 0, ..Default::default() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    println!("pacing accuracy: {CALLS} concurrent get_billing_information calls paced at 1 per interval");
    println!(
        "{:>10} {:>11} {:>11} {:>15} {:>14} {:>13} {:>6}",
        "interval", "min gap", "max gap", "mean |gap err|", "mean lateness", "max lateness", "early"
    );
    let mut all_on_time = true;
    for &interval_ms in intervals {
        let interval = Duration::from_millis(interval_ms);
        // The default policy (pacing and budgets on), with the Medium label at one call per interval.
        let policy = RateLimitPolicy::default().with_label_rate(RateLimitLabel::Medium, 1000.0 / interval_ms as f64);
        let client = Client::builder()
            .base_url(server.base_url())
            .bearer_token(common::TOKEN)
            .rate_limit_policy(policy)
            .build()
            .unwrap();
        // Warm up: one pooled connection per call, then wait out the pacer.
        rt.block_on(join_all((0..CALLS).map(|_| client.get_billing_information().account_id("me").send())));
        std::thread::sleep(interval * 2);
        server.take_arrivals();
        let started = Instant::now();
        let results =
            rt.block_on(join_all((0..CALLS).map(|_| client.get_billing_information().account_id("me").send())));
        assert!(results.iter().all(Result::is_ok));
        let arrivals = server.take_arrivals();
        assert_eq!(arrivals.len(), CALLS);
        let gaps: Vec<Duration> = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
        // Each call against its earliest allowed slot, start + k * interval (the pacer's first slot
        // is taken at the first call's acquire, a little after `started`).
        let offsets: Vec<f64> = arrivals
            .iter()
            .enumerate()
            .map(|(k, t)| t.saturating_duration_since(started).as_secs_f64() - (k as f64) * interval.as_secs_f64())
            .collect();
        // An arrival before `started + k * interval` would be early (`saturating_duration_since`
        // cannot hide one: an early arrival of the first call cannot happen, it is sent after it).
        let early = offsets.iter().filter(|&&o| o < 0.0).count();
        all_on_time &= early == 0;
        let mean_error: f64 =
            gaps.iter().map(|g| (g.as_secs_f64() - interval.as_secs_f64()).abs()).sum::<f64>() / gaps.len() as f64;
        let max_late = offsets.iter().copied().fold(0.0, f64::max);
        let mean_late = offsets.iter().sum::<f64>() / offsets.len() as f64;
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
        println!(
            "{:>10} {:>11} {:>11} {:>15} {:>14} {:>13} {:>6}",
            format!("{interval_ms} ms"),
            ms(*gaps.iter().min().unwrap()),
            ms(*gaps.iter().max().unwrap()),
            format!("{:.3} ms", mean_error * 1e3),
            format!("{:.3} ms", mean_late * 1e3),
            format!("{:.3} ms", max_late * 1e3),
            early,
        );
    }
    println!("goal: no call early: {}", if all_on_time { "met" } else { "MISSED" });
    // An early call is a bug, not noise: fail (also in the CI smoke run).
    assert!(all_on_time, "a paced call arrived before its turn");
}
