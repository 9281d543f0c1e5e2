//! One process making one call through a SQLite state store, then exiting:
//! the process the store tests kill with SIGKILL in the middle of a call
//! (waiting for its turn, renewing the token, or with its request in flight).
//! Prints `ok` or the error on one line.
//!
//! Usage: `one-call BASE_URL OAUTH_HOST STATE_FILE list|usage TIME_SCALE`

use std::time::Duration;

use zoom_billing::shared::SqliteStore;
use zoom_billing::{Client, RateLimitPolicy, RetryPolicy};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, oauth, file, operation, scale] = args.as_slice() else {
        return Err("usage: one-call BASE_URL OAUTH_HOST STATE_FILE list|usage TIME_SCALE".into());
    };
    let client = Client::builder()
        .base_url(base.clone())
        .oauth_host(oauth.clone())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        // A short call timeout: the token renewal lock it takes lives 5 s longer.
        .timeout(Duration::from_secs(2))
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(scale.parse()?))
        .retry_policy(RetryPolicy::none())
        .shared_state(SqliteStore::open(file)?)
        .build()?;
    let outcome = match operation.as_str() {
        "list" => client.list_billing_invoices().account_id("sub-1").send().await.map(drop),
        "usage" => client.get_plan_usage().account_id("me").send().await.map(drop),
        other => return Err(format!("unknown operation {other}").into()),
    };
    match outcome {
        Ok(()) => println!("ok"),
        Err(error) => println!("{error}"),
    }
    Ok(())
}
