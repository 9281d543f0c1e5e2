//! The call boundary as users see it: programs that use `anyhow` (or
//! `Box<dyn Error>`) and `?`. For each class of failure the runtime handles,
//! the `{:#}` text names the operation and the cause, the error downcasts to
//! `zoom_billing::Error`, `is_retryable()` is right, and nothing shows a
//! synthetic status or placeholder URL.

use std::time::Duration;

use anyhow::Context as _;
use fake_zoom::{FakeZoom, Fault, FaultKind};
use zoom_billing::{Client, Error, RateLimitPolicy, RetryPolicy, types};

/// User code, written as a user writes it.
async fn plan_usage(client: &Client, account: &str) -> anyhow::Result<types::PlanUsage> {
    let usage = client.get_plan_usage().account_id(account).await?;
    Ok(usage.into_inner())
}

async fn invoices(client: &Client) -> anyhow::Result<usize> {
    Ok(client.list_billing_invoices().account_id("sub-1").await?.invoices.len())
}

async fn invoice(client: &Client) -> anyhow::Result<()> {
    client.get_invoice_details().account_id("me").invoice_id("inv-1").send().await?;
    Ok(())
}

async fn subscribe(client: &Client) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let body: types::SubscribePlanRequest = serde_json::from_value(serde_json::json!({
        "contact": {"first_name": "Jill", "last_name": "Chill", "email": "jill@example.com", "phone_number": "1",
            "address": "55 Almaden", "city": "San Jose", "state": "CA", "zip": "95113", "country": "US", "company_name": "X"},
        "plan_base": {"type": "monthly", "hosts": 5}
    }))?;
    client.subscribe_plan().account_id("sub-1").body(body).await?;
    Ok(())
}

/// What a user sees, and the checks every class shares.
#[track_caller]
fn check(error: &anyhow::Error, operation: &str, cause: &[&str], retryable: bool) -> String {
    let text = format!("{error:#}");
    // Without anyhow's backtrace (captured when RUST_BACKTRACE is set): its line numbers are
    // not the error's words, and one of them may well be 599.
    let debug = format!("{error:?}");
    let debug = debug.split("\nStack backtrace:").next().unwrap_or_default().to_owned();
    println!("{text}");
    let typed = error.downcast_ref::<Error>().unwrap_or_else(|| panic!("not a zoom_billing::Error: {debug}"));
    assert!(text.starts_with(&format!("{operation}: ")), "the operation comes first: {text}");
    for c in cause {
        assert!(text.contains(c), "{c:?} missing from: {text}");
    }
    assert_eq!(typed.is_retryable(), retryable, "{text}");
    assert_eq!(typed.operation().map(|o| o.to_string()).as_deref(), Some(operation));
    for synthetic in ["599", "no.url.provided", "Unexpected Response", "x-zoom-billing-operation"] {
        assert!(!text.contains(synthetic) && !debug.contains(synthetic), "{synthetic}: {text}\n{debug}");
    }
    assert_reads_once(&text);
    text
}

/// The chain reads as one sentence: no clause said twice (an outer error repeating its
/// source's words) and no doubled full stop (Zoom's message ends with one already).
fn assert_reads_once(text: &str) {
    assert!(!text.contains(".."), "a doubled full stop: {text}");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut seen = std::collections::HashSet::new();
    for phrase in words.windows(4) {
        assert!(seen.insert(phrase), "{:?} is said twice: {text}", phrase.join(" "));
    }
}

fn bearer(fake: &FakeZoom) -> zoom_billing::ClientBuilder {
    Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN)
}

#[tokio::test(start_paused = true)]
async fn a_spent_daily_budget() {
    let fake = FakeZoom::start().await.unwrap();
    let client =
        bearer(&fake).rate_limit_policy(RateLimitPolicy::default().with_operation_pacing(false)).build().unwrap();
    for _ in 0..6 {
        invoices(&client).await.unwrap();
    }
    let error = invoices(&client).await.unwrap_err();
    check(&error, "list_billing_invoices", &["not sent", "daily limit of 6", "resets in", ":00:00 UTC"], false);
}

#[tokio::test(start_paused = true)]
async fn the_pacing_ceiling() {
    let fake = FakeZoom::start().await.unwrap();
    let policy = RateLimitPolicy::default().with_max_wait(Duration::from_secs(10));
    let client = bearer(&fake).rate_limit_policy(policy).build().unwrap();
    invoice(&client).await.unwrap();
    let error = invoice(&client).await.unwrap_err();
    let text = check(&error, "get_invoice_details", &["not sent", "in 30m 0s, at", "max_wait (10s)"], true);
    assert!(!text.contains("1799."), "durations are rounded: {text}");
}

#[tokio::test(start_paused = true)]
async fn a_daily_429() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::daily_limit("2099-01-01T00:00:00Z").operation("get_plan_usage")).unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    check(
        &error,
        "get_plan_usage",
        &["daily rate limit", "HTTP 429", "requests resume in", "tracking id fake-track-"],
        false,
    );
}

#[tokio::test(start_paused = true)]
async fn a_per_second_429_after_retries() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::qps_limit(&[("Retry-After", "1")]).operation("get_plan_usage").times(10)).unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    check(&error, "get_plan_usage", &["per-second rate limit", "HTTP 429, 4 attempts"], true);
}

#[tokio::test(start_paused = true)]
async fn the_unknown_outcome_of_a_creating_post() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::status(503).operation("subscribe_plan")).unwrap();
    // `Box<dyn Error>` users downcast the box.
    let boxed = subscribe(&client).await.unwrap_err();
    assert!(boxed.to_string().starts_with("subscribe_plan: outcome unknown"), "{boxed}");
    let error = anyhow::Error::new(*boxed.downcast::<Error>().expect("a zoom_billing::Error in the box"));
    let text = check(
        &error,
        "subscribe_plan",
        &["outcome unknown", "HTTP 503", "tracking id fake-track-", "not retried", "Check with get_account_plans"],
        false,
    );
    assert_eq!(fake.requests_to("/plans").len(), 1, "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token() {
    let fake = FakeZoom::start().await.unwrap();
    let client = Client::builder().base_url(fake.base_url()).bearer_token("not-a-valid-token").build().unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    let text =
        check(&error, "get_plan_usage", &["Zoom rejected the access token", "code 124", "supply a new one"], false);
    assert!(!text.contains("not-a-valid-token"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn refused_credentials() {
    let fake = FakeZoom::start().await.unwrap();
    let client = Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, "wrong-secret-value")
        .build()
        .unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    let text = check(&error, "get_plan_usage", &["not sent: no access token", "HTTP 401", "ZOOM_CLIENT_SECRET"], false);
    assert!(!format!("{text} {error:?}").contains("wrong-secret-value"), "{text}");
    assert!(fake.requests_to("/plans/usage").is_empty());
}

#[tokio::test(start_paused = true)]
async fn connection_refused() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v2"))
        .bearer_token("t")
        .retry_policy(RetryPolicy::default().with_max_retries(2))
        .build()
        .unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    check(&error, "get_plan_usage", &["connection to Zoom failed (3 attempts)", "onnect"], true);
}

#[tokio::test]
async fn the_shared_store_is_down() {
    // No Redis needed: a store nobody listens on fails the call before it is sent.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let fake = FakeZoom::start().await.unwrap();
    let store = zoom_billing::shared::RedisStore::builder(format!("redis://127.0.0.1:{port}/"))
        .namespace(fake_zoom::ACCOUNT_ID)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let client = bearer(&fake).shared_state(store).build().unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    let text = check(
        &error,
        "get_plan_usage",
        &["not sent: the shared state store failed", "is unavailable", "WhenUnavailable"],
        true,
    );
    assert_eq!(text.matches("redis://").count(), 1, "{text}");
    assert!(fake.requests_to("/plans/usage").is_empty(), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_timeout() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).timeout(Duration::from_secs(2)).retry_policy(RetryPolicy::none()).build().unwrap();
    fake.inject(Fault::delay(Duration::from_secs(60)).operation("get_plan_usage")).unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    check(&error, "get_plan_usage", &["no response within 2.0s (1 attempt)"], true);
}

#[tokio::test(start_paused = true)]
async fn a_decode_failure() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(
        Fault::new(FaultKind::RawJson(bytes::Bytes::from_static(br#"{"plan_base": 42}"#))).operation("get_plan_usage"),
    )
    .unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    check(&error, "get_plan_usage", &["cannot decode the response (HTTP 200)", "body starts", "plan_base"], false);
}

#[tokio::test(start_paused = true)]
async fn a_404_with_a_zoom_body() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    let body = serde_json::json!({"code": 1001, "message": "User does not exist: sub-x."});
    fake.inject(Fault::json(404, body).operation("get_plan_usage")).unwrap();
    // Context added by the user comes first, then the crate's own text.
    let error = plan_usage(&client, "sub-x").await.context("reading sub-x's usage").unwrap_err();
    let text = format!("{error:#}");
    assert!(text.starts_with("reading sub-x's usage: get_plan_usage: Zoom answered HTTP 404, code 1001"), "{text}");
    assert!(text.contains("User does not exist: sub-x."), "{text}");
    let typed = error.downcast_ref::<Error>().expect("downcasts through the context");
    assert_eq!(typed.status().map(|s| s.as_u16()), Some(404));
    assert!(!typed.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn an_error_body_that_echoes_the_bearer_token_does_not_leak_it() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).rate_limit_policy(RateLimitPolicy::for_tests()).build().unwrap();
    let token = fake_zoom::FIXED_TOKEN;
    // A gateway quoting the request back: plain, and cut right through the token.
    let long = format!("{}Bearer {token}", "x".repeat(190));
    for message in [format!("bad token {token} for this call"), long] {
        let body = serde_json::json!({"code": 300, "message": message, "errors": [{"field": token, "message": token}]});
        fake.inject(Fault::json(400, body).operation("get_plan_usage")).unwrap();
        let error = plan_usage(&client, "me").await.unwrap_err();
        let text = format!("{error:#} {error:?}");
        assert!(!text.contains(token), "{text}");
        assert!(!text.contains(&token[..4]) || !text.contains("Bearer fake"), "a cut token shows its start: {text}");
        assert!(text.contains("[REDACTED]"), "{text}");
    }
    // A non-JSON error body too.
    fake.inject(
        Fault::new(FaultKind::Respond {
            status: 502,
            body: format!("<html>Authorization: Bearer {token}</html>").into(),
            headers: vec![],
        })
        .operation("get_plan_usage")
        .times(4),
    )
    .unwrap();
    let error = plan_usage(&client, "me").await.unwrap_err();
    let text = format!("{error:#} {error:?}");
    assert!(!text.contains(token), "{text}");
}
