//! Metrics from the call observer: attempts per operation and status, retries
//! and time spent waiting for pacing turns, printed after a few calls against
//! the in-process fake Zoom.
//!
//! ```text
//! cargo run --example metrics
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_zoom::{FakeZoom, Fault};
use zoom_billing::observer::{AttemptEvent, CallObserver};
use zoom_billing::{Client, RateLimitPolicy};

/// Attempts, retries and pacing wait of one (operation, status).
type Counts = (u64, u64, Duration);

/// Counters keyed by (operation, status); exported however the program likes.
#[derive(Clone, Default)]
struct Metrics(Arc<Mutex<BTreeMap<(String, String), Counts>>>);

impl CallObserver for Metrics {
    fn on_attempt(&self, event: &AttemptEvent<'_>) {
        let status = event.status.map_or_else(|| "none".to_owned(), |s| s.as_u16().to_string());
        let mut counters = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = counters.entry((event.operation.to_string(), status)).or_default();
        entry.0 += 1;
        entry.1 += u64::from(event.retry_in.is_some());
        entry.2 += event.pacing_wait;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake = FakeZoom::start().await?;
    let metrics = Metrics::default();
    let client = Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::default().with_operation_pacing(false))
        .observer(metrics.clone())
        .build()?;

    fake.inject(Fault::status(503).operation("get_plan_usage").times(1))?;
    client.get_plan_usage().account_id("me").await?;
    client.get_account_plans().account_id("sub-1").await?;
    for _ in 0..3 {
        client.get_billing_information().account_id("sub-1").await?;
    }

    println!("{:<28} {:>6} {:>8} {:>7} {:>12}", "operation", "status", "attempts", "retries", "pacing wait");
    for ((operation, status), (attempts, retries, wait)) in metrics.0.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        println!("{operation:<28} {status:>6} {attempts:>8} {retries:>7} {:>12?}", wait);
    }
    Ok(())
}
