//! Per-call options (timeout, retry policy, pacing `max_wait`) and the
//! metrics observer, against the fake on loopback with tokio's paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_zoom::{FakeZoom, Fault};
use zoom_billing::observer::{AttemptEvent, CallObserver};
use zoom_billing::{CallOptions, Client, Error, Operation, RateLimitPolicy, RetryPolicy};

fn bearer(fake: &FakeZoom) -> zoom_billing::ClientBuilder {
    Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN)
}

#[tokio::test(start_paused = true)]
async fn one_call_overrides_the_timeout_and_the_retry_policy() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).timeout(Duration::from_secs(60)).build().unwrap();
    fake.inject(Fault::delay(Duration::from_secs(30)).operation("get_plan_usage").times(1)).unwrap();
    let options = CallOptions::new().with_timeout(Duration::from_secs(2)).with_retry_policy(RetryPolicy::none());
    let err = client.get_plan_usage().account_id("me").options(options).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { after, attempts: 1, .. } if after == Duration::from_secs(2)), "{err:?}");
    // The client's own settings are untouched: the next call waits out a 30 s delay and retries a 503.
    fake.inject(Fault::delay(Duration::from_secs(30)).operation("get_plan_usage").times(1)).unwrap();
    client.get_plan_usage().account_id("me").await.unwrap();
    fake.inject(Fault::status(503).operation("get_plan_usage").times(1)).unwrap();
    client.get_plan_usage().account_id("me").await.unwrap();
    fake.inject(Fault::status(503).operation("get_plan_usage").times(1)).unwrap();
    let no_retry = CallOptions::new().with_retry_policy(RetryPolicy::none());
    let err = client.get_plan_usage().account_id("me").options(no_retry).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[tokio::test(start_paused = true)]
async fn one_call_fails_fast_on_the_shared_pacer() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    client.get_invoice_details().account_id("me").invoice_id("inv-1").await.unwrap();
    let start = tokio::time::Instant::now();
    let fast = CallOptions::new().with_max_wait(Duration::ZERO);
    let err = client.get_invoice_details().account_id("me").invoice_id("inv-1").options(fast).await.unwrap_err();
    assert!(matches!(err, Error::PacingWouldWait { .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::ZERO);
    // Without the option, the same client waits for the turn the refused call did not take.
    client.get_invoice_details().account_id("me").invoice_id("inv-1").await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(30 * 60));
    assert_eq!(fake.requests_to("/billing/invoices/").len(), 2);
}

#[derive(Clone, Debug, PartialEq)]
struct Seen {
    operation: Operation,
    attempt: u32,
    status: Option<u16>,
    tracking: bool,
    retry_in: Option<Duration>,
    error: bool,
    pacing_wait: Duration,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl CallObserver for Recorder {
    fn on_attempt(&self, e: &AttemptEvent<'_>) {
        self.0.lock().unwrap().push(Seen {
            operation: e.operation,
            attempt: e.attempt,
            status: e.status.map(|s| s.as_u16()),
            tracking: e.tracking_id.is_some_and(|t| t.starts_with("fake-track-")),
            retry_in: e.retry_in,
            error: e.error.is_some(),
            pacing_wait: e.pacing_wait,
        });
    }
}

#[tokio::test(start_paused = true)]
async fn the_observer_sees_every_attempt() {
    let fake = FakeZoom::start().await.unwrap();
    let recorder = Recorder::default();
    let policy = RateLimitPolicy::default().with_label_pacing(false);
    let client = bearer(&fake).rate_limit_policy(policy).observer(recorder.clone()).build().unwrap();
    fake.inject(
        Fault::json(503, serde_json::json!({"code": 503, "message": "busy"})).operation("get_plan_usage").times(1),
    )
    .unwrap();
    fake.inject(Fault::qps_limit(&[("Retry-After", "2")]).operation("get_plan_usage").times(1)).unwrap();
    client.get_plan_usage().account_id("me").await.unwrap();
    client.get_invoice_details().account_id("me").invoice_id("inv-1").await.unwrap();
    client.get_invoice_details().account_id("me").invoice_id("inv-1").await.unwrap();
    fake.inject(
        Fault::json(404, serde_json::json!({"code": 1001, "message": "no such user"})).operation("get_plan_usage"),
    )
    .unwrap();
    client.get_plan_usage().account_id("x").await.unwrap_err();

    let seen = recorder.0.lock().unwrap().clone();
    let summary: Vec<_> =
        seen.iter().map(|s| (s.operation, s.attempt, s.status, s.retry_in.is_some(), s.error)).collect();
    assert_eq!(
        summary,
        [
            (Operation::GetPlanUsage, 1, Some(503), true, false),
            (Operation::GetPlanUsage, 2, Some(429), true, false),
            (Operation::GetPlanUsage, 3, Some(200), false, false),
            (Operation::GetInvoiceDetails, 1, Some(200), false, false),
            (Operation::GetInvoiceDetails, 1, Some(200), false, false),
            (Operation::GetPlanUsage, 1, Some(404), false, true),
        ]
    );
    assert!(seen.iter().all(|s| s.tracking), "{seen:?}");
    assert_eq!(seen[1].retry_in, Some(Duration::from_secs(2)), "Retry-After is the delay");
    assert_eq!(seen[4].pacing_wait, Duration::from_secs(30 * 60), "the second invoice waited its turn");
}
