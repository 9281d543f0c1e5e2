//! One process of a fleet test: calls a mix of rate-limited operations on
//! a fake Zoom as one S2S app for a while, with its own (per-process)
//! state or, given a store (a Redis URL, or the path of a SQLite state
//! file), the fleet's shared state, and prints what happened as one JSON line.
//!
//! Usage: `fleet-worker BASE_URL OAUTH_HOST TIME_SCALE SECONDS [REDIS_URL | STATE_FILE]`

use std::time::Duration;

use serde_json::json;
use zoom_billing::{Client, Error, RateLimitPolicy};

/// The worker's counts of outcomes.
#[derive(Default)]
struct Counts {
    ok: u64,
    rate_limited: u64,
    budget_exhausted: u64,
    other: u64,
}

impl Counts {
    fn add(&mut self, result: Result<(), Error>) {
        match result {
            Ok(()) => self.ok += 1,
            Err(Error::RateLimited(_)) => self.rate_limited += 1,
            Err(Error::BudgetExhausted { .. }) => self.budget_exhausted += 1,
            Err(e) => {
                eprintln!("fleet-worker: {e}");
                self.other += 1;
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base, oauth, scale, secs, store) = match args.as_slice() {
        [base, oauth, scale, secs] => (base, oauth, scale, secs, None),
        [base, oauth, scale, secs, store] => (base, oauth, scale, secs, Some(store)),
        _ => return Err("usage: fleet-worker BASE_URL OAUTH_HOST TIME_SCALE SECONDS [REDIS_URL | STATE_FILE]".into()),
    };
    let scale: f64 = scale.parse()?;
    let secs: f64 = secs.parse()?;
    let mut builder = Client::builder()
        .base_url(base.clone())
        .oauth_host(oauth.clone())
        .server_to_server(fake_account(), "fake-client", "fake-secret")
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(scale).with_max_wait(Duration::from_secs(5)));
    // The one builder call that makes a process part of the fleet.
    if let Some(url) = store.filter(|s| s.starts_with("redis://")) {
        builder = builder.shared_state(zoom_billing::shared::RedisStore::new(url.clone())?);
    } else if let Some(path) = store {
        builder = builder.shared_state(zoom_billing::shared::SqliteStore::open(path)?);
    }
    let client = builder.build()?;
    let deadline = tokio::time::Instant::now() + Duration::try_from_secs_f64(secs)?;
    let mut counts = Counts::default();
    while tokio::time::Instant::now() < deadline {
        let list = client.list_billing_invoices().account_id("sub-1").send().await;
        counts.add(list.map(|_| ()));
        let details = client.get_invoice_details().account_id("sub-1").invoice_id("inv-1").send().await;
        counts.add(details.map(|_| ()));
        let usage = client.get_plan_usage().account_id("sub-1").send().await;
        counts.add(usage.map(|_| ()));
    }
    println!(
        "{}",
        json!({"ok": counts.ok, "rate_limited": counts.rate_limited, "budget_exhausted": counts.budget_exhausted, "other": counts.other})
    );
    Ok(())
}

/// The fake's account id (fake-zoom's `ACCOUNT_ID`).
fn fake_account() -> &'static str {
    "fake-account"
}
