//! Token single flight: 1,000 concurrent calls when the Server-to-Server token has expired must
//! make exactly one token request; the latency this adds at the 99th percentile is reported,
//! against 1,000 concurrent calls with a valid token right after (same connections, same server).
//!
//! The token server answers `expires_in: 3` and the client renews 1 s early, so each token is
//! good for 2 s (the margin rule, which beats half the lifetime here): every round waits for it to
//! lapse, then fires the expired burst, then the valid one.
//!
//! `cargo bench -p zoom-billing-benches --bench single_flight`

use std::time::{Duration, Instant};

use futures::future::join_all;
use zoom_billing::{Client, RateLimitPolicy};
use zoom_billing_benches as common;

const CALLS: usize = 1_000;

/// `CALLS` concurrent `get_plan_usage` calls; each one's latency.
async fn burst(client: &Client, calls: usize) -> Vec<Duration> {
    join_all((0..calls).map(|_| async {
        let started = Instant::now();
        client.get_plan_usage().account_id("me").send().await.expect("plan usage");
        started.elapsed()
    }))
    .await
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let full = common::full_run();
    let (calls, rounds) = if full { (CALLS, 7) } else { (50, 1) };
    let server = common::start(common::Answers { token_expires_in: 3, report_size: 0, ..Default::default() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = Client::builder()
        .base_url(server.base_url())
        .oauth_host(&server.origin)
        .server_to_server("bench-account", "bench-client", "bench-secret")
        .refresh_margin(Duration::from_secs(1))
        .rate_limit_policy(RateLimitPolicy::off())
        .build()
        .unwrap();
    // Warm up: a token and `calls` pooled connections.
    rt.block_on(burst(&client, calls));
    let mut token_requests = Vec::new();
    let (mut expired_p99, mut valid_p99, mut expired_p50, mut valid_p50, mut added) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        // Let the token lapse (2 s lifetime, plus a margin).
        std::thread::sleep(Duration::from_millis(2_100));
        let before = server.token_requests();
        let mut expired = rt.block_on(burst(&client, calls));
        let during = server.token_requests() - before;
        let mut valid = rt.block_on(burst(&client, calls));
        let after = server.token_requests() - before;
        assert_eq!(after, during, "a valid token was renewed");
        token_requests.push(during);
        let (e99, v99) = (common::quantile(&mut expired, 0.99), common::quantile(&mut valid, 0.99));
        expired_p99.push(ms(e99));
        valid_p99.push(ms(v99));
        expired_p50.push(ms(common::quantile(&mut expired, 0.5)));
        valid_p50.push(ms(common::quantile(&mut valid, 0.5)));
        added.push(ms(e99) - ms(v99));
    }
    let single = token_requests.iter().all(|&n| n == 1);
    println!("token single flight: {calls} concurrent get_plan_usage calls, token expired vs valid, {rounds} rounds");
    println!("  token requests per expired burst: {token_requests:?} (goal: exactly 1: {})", verdict(single));
    println!(
        "  p50: expired {:.2} ms, valid {:.2} ms;  p99: expired {:.2} ms, valid {:.2} ms (medians over rounds)",
        common::median(expired_p50),
        common::median(valid_p50),
        common::median(expired_p99.clone()),
        common::median(valid_p99.clone()),
    );
    println!(
        "  added p99 latency: {:.2} ms (median; ratio expired/valid p99 {:.3})",
        common::median(added),
        common::median(expired_p99) / common::median(valid_p99)
    );
    assert!(single, "more than one token request for one expiry");
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
