//! Daily budgets and pacing slots are spent only by requests that are sent
//! (issue 9): calls dropped while waiting for their turn or for a token,
//! and calls whose token fetch fails, give back what they reserved; a call
//! is charged to the UTC day it is sent. Paused tokio clock (the client's
//! wall clock follows it); the API server is on loopback.

#[path = "support/hostile.rs"]
mod hostile;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use hostile::{Hostile, json};
use secrecy::SecretString;
use serde_json::json;
use tokio::time::Instant;
use zoom_billing::auth::TokenProvider;
use zoom_billing::{AuthError, Client, Error, RateLimitPolicy, RetryPolicy};

const HANG: u8 = 0;
const FAIL: u8 = 1;
const SERVE: u8 = 2;

/// A token provider whose behaviour the test switches: hang, fail, or serve.
#[derive(Clone)]
struct Switch(Arc<AtomicU8>);

impl Switch {
    fn set(&self, mode: u8) {
        self.0.store(mode, Ordering::SeqCst);
    }
}

impl TokenProvider for Switch {
    fn access_token(&self) -> BoxFuture<'_, Result<SecretString, AuthError>> {
        let mode = self.0.load(Ordering::SeqCst);
        Box::pin(async move {
            match mode {
                HANG => futures::future::pending().await,
                FAIL => Err(AuthError::Timeout { after: Duration::from_secs(1) }),
                _ => Ok(SecretString::from("quota-test-token")),
            }
        })
    }
}

async fn invoices_server() -> Hostile {
    Hostile::start(|_| Box::pin(async { json(200, json!({"currency": "USD", "invoices": []})) })).await
}

/// Default pacing and budgets (6 a day, one per 5 minutes per account), no retries.
fn client(server: &Hostile, tokens: &Switch) -> Client {
    Client::builder()
        .base_url(&server.base_url)
        .token_provider(tokens.clone())
        .rate_limit_policy(RateLimitPolicy::default())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

async fn list(client: &Client) -> Result<(), Error> {
    client.list_billing_invoices().account_id("sub-1").send().await.map(drop)
}

/// Moves the clock (tokio's, paused; the client's follows it) past the next 00:00 UTC when the
/// test's simulated `span` would cross it: the budgets counted here are per UTC day, and a run
/// at 23:40 would otherwise see a fresh budget half-way. Call it after building the client.
async fn clear_of_midnight(span: Duration) {
    let now = chrono::Utc::now();
    let midnight = now.date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let left = (midnight - now).to_std().unwrap_or_default();
    if left < span {
        tokio::time::advance(left + Duration::from_secs(60)).await;
    }
}

/// Sends calls until the budget refuses one; returns how many were sent.
async fn spend_the_rest(client: &Client) -> u32 {
    for sent in 0..20 {
        match list(client).await {
            Ok(()) => {}
            Err(Error::BudgetExhausted { limit: 6, .. }) => return sent,
            Err(e) => panic!("{e:?}"),
        }
    }
    panic!("the budget never ran out")
}

#[tokio::test(start_paused = true)]
async fn calls_dropped_while_the_token_endpoint_hangs_spend_nothing() {
    let server = invoices_server().await;
    let tokens = Switch(Arc::new(AtomicU8::new(HANG)));
    let client = client(&server, &tokens);
    clear_of_midnight(Duration::from_secs(2 * 3600)).await;
    let dropped = join_all((0..5).map(|_| tokio::time::timeout(Duration::from_secs(1), list(&client)))).await;
    assert!(dropped.iter().all(Result::is_err), "all five timed out");
    tokens.set(SERVE);
    let started = Instant::now();
    list(&client).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "the next call went at once: {:?}", started.elapsed());
    assert_eq!(spend_the_rest(&client).await, 5, "the whole daily budget of 6 is left");
    assert_eq!(server.requests(), 6);
}

#[tokio::test(start_paused = true)]
async fn calls_dropped_while_waiting_for_their_turn_give_it_back() {
    let server = invoices_server().await;
    let tokens = Switch(Arc::new(AtomicU8::new(SERVE)));
    let client = client(&server, &tokens);
    clear_of_midnight(Duration::from_secs(2 * 3600)).await;
    list(&client).await.unwrap();
    // Five calls queue behind it (turns at +5, +10, ... +25 minutes) and are dropped.
    let dropped = join_all((0..5).map(|_| tokio::time::timeout(Duration::from_secs(10), list(&client)))).await;
    assert!(dropped.iter().all(Result::is_err), "all five were still waiting");
    tokio::time::sleep(Duration::from_secs(300)).await;
    let started = Instant::now();
    list(&client).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the next turn is the first call's +5 min: {:?}",
        started.elapsed()
    );
    assert_eq!(spend_the_rest(&client).await, 4, "six sent, none lost to the dropped calls");
    assert_eq!(server.requests(), 6);
}

#[tokio::test(start_paused = true)]
async fn failed_token_fetches_spend_nothing() {
    let server = invoices_server().await;
    let tokens = Switch(Arc::new(AtomicU8::new(FAIL)));
    let client = client(&server, &tokens);
    clear_of_midnight(Duration::from_secs(2 * 3600)).await;
    let started = Instant::now();
    for _ in 0..50 {
        let err = list(&client).await.unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(1), "failed calls hold no pacing turn: {:?}", started.elapsed());
    assert_eq!(server.requests(), 0);
    tokens.set(SERVE);
    assert_eq!(spend_the_rest(&client).await, 6, "the whole daily budget is left");
}

#[tokio::test(start_paused = true)]
async fn a_call_sent_after_midnight_is_charged_to_the_new_day() {
    let server = invoices_server().await;
    let tokens = Switch(Arc::new(AtomicU8::new(SERVE)));
    let client = client(&server, &tokens);
    // Move to 10 s before the next 00:00 UTC (the client's clock follows tokio's).
    let now = chrono::Utc::now();
    let midnight = now.date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    tokio::time::advance((midnight - now).to_std().unwrap() - Duration::from_secs(10)).await;
    // Six calls queued on the old day: the first goes at once, the others
    // after midnight (+5 min each), and count against the new day.
    let queued = join_all((0..6).map(|_| list(&client))).await;
    assert!(queued.iter().all(Result::is_ok), "{queued:?}");
    assert_eq!(spend_the_rest(&client).await, 1, "5 of the new day's 6 units went to the queued calls");
    assert_eq!(server.requests(), 7);
}
