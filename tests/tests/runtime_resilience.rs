//! The runtime against the fake Zoom on loopback: auth, retries, rate
//! limits, budgets, typed errors. Real HTTP; time is tokio's paused clock,
//! so waits cost nothing and nothing synchronises by sleeping.

#[path = "support/bodies.rs"]
mod bodies;

use std::time::Duration;

use bodies::subscribe_plan_request as subscribe_request;
use chrono::{SecondsFormat, Utc};
use fake_zoom::{CLIENT_SECRET, FakeZoom, Fault, FaultKind};
use futures::future::join_all;
use tokio::time::Instant;
use zoom_billing::AuthError;
use zoom_billing::{Client, Error, Operation, RateLimitKind, RateLimitPolicy, ResponseExt, RetryPolicy, types};

fn s2s(fake: &FakeZoom) -> zoom_billing::ClientBuilder {
    Client::builder().base_url(fake.base_url()).oauth_host(fake.oauth_host()).server_to_server(
        fake_zoom::ACCOUNT_ID,
        fake_zoom::CLIENT_ID,
        CLIENT_SECRET,
    )
}

fn bearer(fake: &FakeZoom) -> zoom_billing::ClientBuilder {
    Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN)
}

async fn usage(client: &Client) -> Result<types::PlanUsage, Error> {
    Ok(client.get_plan_usage().account_id("me").send().await?.into_inner())
}

fn api_requests(fake: &FakeZoom, fragment: &str) -> usize {
    fake.requests_to(fragment).len()
}

// ---- auth ---------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn token_is_renewed_a_margin_before_expiry() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_token_lifetime(300);
    let client = s2s(&fake).refresh_margin(Duration::from_secs(60)).build().unwrap();
    usage(&client).await.unwrap();
    usage(&client).await.unwrap();
    assert_eq!(fake.token_requests(), 1, "the cached token is reused");
    tokio::time::advance(Duration::from_secs(241)).await; // 59 s before expiry
    usage(&client).await.unwrap();
    assert_eq!(fake.token_requests(), 2, "renewed before it expired");
    assert!(fake.requests_to("/plans/usage").iter().all(|r| r.header("authorization").is_some()));
}

#[tokio::test(start_paused = true)]
async fn a_401_code_124_renews_the_token_once_and_replays() {
    let fake = FakeZoom::start().await.unwrap();
    let client = s2s(&fake).build().unwrap();
    usage(&client).await.unwrap();
    fake.revoke_tokens();
    usage(&client).await.unwrap();
    assert_eq!(fake.token_requests(), 2);
    let calls = fake.requests_to("/plans/usage");
    assert_eq!(calls.len(), 3, "first call, rejected call, replay");
    assert_ne!(calls[1].header("authorization"), calls[2].header("authorization"));
}

#[tokio::test(start_paused = true)]
async fn fifty_concurrent_calls_at_expiry_make_one_token_request() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_token_lifetime(120);
    let client = s2s(&fake).rate_limit_policy(RateLimitPolicy::off()).build().unwrap();
    usage(&client).await.unwrap();
    tokio::time::advance(Duration::from_secs(120)).await;
    let results = join_all((0..50).map(|_| usage(&client))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.token_requests(), 2, "one at start, one for all fifty");
}

#[tokio::test(start_paused = true)]
async fn a_rejected_fixed_token_is_a_typed_auth_error() {
    let fake = FakeZoom::start().await.unwrap();
    let client = Client::builder().base_url(fake.base_url()).bearer_token("not-a-valid-token").build().unwrap();
    let err = usage(&client).await.unwrap_err();
    assert!(matches!(err, Error::Auth { source: AuthError::TokenRejected { code: 124, .. }, .. }), "{err:?}");
    assert_eq!(err.zoom_code(), Some(124));
    assert_eq!(api_requests(&fake, "/plans/usage"), 1, "a fixed token is not replayed");
}

#[tokio::test(start_paused = true)]
async fn bad_credentials_say_what_to_fix_without_the_secret() {
    let fake = FakeZoom::start().await.unwrap();
    let client = Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, "wrong-secret-value")
        .build()
        .unwrap();
    let err = usage(&client).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, Error::Auth { source: AuthError::Rejected { status: 401, .. }, .. }), "{err:?}");
    assert!(text.contains("ZOOM_CLIENT_SECRET"), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
    assert_eq!(api_requests(&fake, "/plans/usage"), 0);

    fake.inject(Fault::new(FaultKind::RawJson("<html>".into())).path_contains("/oauth/token")).unwrap();
    let err = usage(&s2s(&fake).build().unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::Auth { source: AuthError::InvalidResponse { status: 200, .. }, .. }), "{err:?}");
}

// ---- 429 ----------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn per_second_429_waits_for_retry_after_in_each_form_then_succeeds() {
    let soon = || Utc::now() + chrono::TimeDelta::seconds(3);
    let forms: Vec<(&str, String)> = vec![
        ("Retry-After", "2".to_owned()),
        ("Retry-After", soon().format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        ("Retry-After", soon().to_rfc3339_opts(SecondsFormat::Secs, true)),
        ("X-RateLimit-Reset", soon().timestamp().to_string()),
    ];
    for (header, value) in forms {
        let fake = FakeZoom::start().await.unwrap();
        let client = bearer(&fake).build().unwrap();
        fake.inject(Fault::qps_limit(&[(header, &value)]).operation("get_plan_usage")).unwrap();
        let start = Instant::now();
        usage(&client).await.unwrap_or_else(|e| panic!("{header}: {value}: {e}"));
        let calls = fake.requests_to("/plans/usage");
        assert_eq!(calls.len(), 2, "{header}: {value}");
        let waited = calls[1].at - calls[0].at;
        assert!(waited >= Duration::from_secs(1), "{header}: {value}: waited {waited:?}");
        assert!(start.elapsed() <= Duration::from_secs(4), "{header}: {value}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_daily_429_is_not_retried_and_says_when_it_resets() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::daily_limit("2099-01-01T00:00:00Z").operation("get_plan_usage")).unwrap();
    let err = usage(&client).await.unwrap_err();
    let Error::RateLimited(limited) = &err else { panic!("{err:?}") };
    assert_eq!(limited.kind, RateLimitKind::Daily);
    assert_eq!(limited.category.as_deref(), Some("Heavy"));
    // Zoom's daily limits reset at 00:00 UTC: a Retry-After in 2099 blocks until then (and a
    // five-minute margin), not for the client's life.
    let reset = limited.reset_at.unwrap();
    let next_midnight = Utc::now().date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    assert!(reset <= next_midnight + chrono::TimeDelta::minutes(5) && reset > next_midnight, "{reset}");
    assert!(err.to_string().contains(", at 00:05:00 UTC"), "{err}");
    assert!(limited.tracking_id.as_deref().is_some_and(|t| t.starts_with("fake-track-")));
    assert!(!err.is_retryable());
    assert_eq!(api_requests(&fake, "/plans/usage"), 1);
    // Until then, the operation fails at once without sending.
    let err = usage(&client).await.unwrap_err();
    assert!(matches!(err, Error::BudgetExhausted { operation: Operation::GetPlanUsage, .. }), "{err:?}");
    assert_eq!(api_requests(&fake, "/plans/usage"), 1);
    // After the reset it is sent again.
    let left = (reset - Utc::now()).to_std().unwrap();
    tokio::time::advance(left + Duration::from_secs(1)).await;
    usage(&client).await.unwrap();
    assert_eq!(api_requests(&fake, "/plans/usage"), 2);
}

// ---- pacing and budgets ---------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn pacing_spaces_calls_by_the_operations_interval() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    let start = Instant::now();
    for _ in 0..4 {
        client.list_billing_invoices().account_id("sub-1").send().await.unwrap();
    }
    // 1 request per 5 minutes per accountId: 4 calls take 3 intervals.
    assert!(start.elapsed() >= Duration::from_secs(15 * 60), "{:?}", start.elapsed());
    let calls = fake.requests_to("/billing/invoices");
    assert_eq!(calls.len(), 4, "no 429, no retry");
    for pair in calls.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_secs(300));
    }
    // Another accountId has its own interval.
    let other = Instant::now();
    client.list_billing_invoices().account_id("sub-2").send().await.unwrap();
    assert!(other.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn max_wait_turns_a_long_pacing_wait_into_an_error() {
    let fake = FakeZoom::start().await.unwrap();
    let policy = RateLimitPolicy::default().with_max_wait(Duration::from_secs(10));
    let client = bearer(&fake).rate_limit_policy(policy).build().unwrap();
    client.get_invoice_details().account_id("me").invoice_id("inv-1").send().await.unwrap();
    let start = Instant::now();
    let err: Error = client.get_invoice_details().account_id("me").invoice_id("inv-1").send().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(1), "failed fast");
    let Error::PacingWouldWait { operation: Operation::GetInvoiceDetails, wait, .. } = &err else { panic!("{err:?}") };
    assert!(*wait > Duration::from_secs(29 * 60), "{wait:?}");
    assert!(err.to_string().contains("not sent"), "{err}");
    assert_eq!(api_requests(&fake, "/billing/invoices/"), 1, "the refused call was not sent");
}

#[tokio::test(start_paused = true)]
async fn a_spent_daily_budget_fails_without_sending() {
    let fake = FakeZoom::start().await.unwrap();
    let policy = RateLimitPolicy::default().with_operation_pacing(false);
    let client = bearer(&fake).rate_limit_policy(policy).build().unwrap();
    for _ in 0..6 {
        client.list_billing_invoices().account_id("sub-1").send().await.unwrap();
    }
    let err: Error = client.list_billing_invoices().account_id("sub-1").send().await.unwrap_err();
    let Error::BudgetExhausted { limit: 6, resets_at, .. } = err else { panic!("{err:?}") };
    assert_eq!(resets_at.time(), chrono::NaiveTime::MIN, "resets at 00:00 UTC");
    assert!(err_text_names_reset(&err), "{err}");
    assert_eq!(api_requests(&fake, "/billing/invoices"), 6);
}

fn err_text_names_reset(err: &Error) -> bool {
    err.to_string().contains(", at 00:00:00 UTC")
}

// ---- retries and unknown outcomes --------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_503_on_a_get_is_retried_then_succeeds() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::status(503).operation("get_plan_usage").times(2)).unwrap();
    let response = client.get_plan_usage().account_id("me").send().await.unwrap();
    assert!(response.tracking_id().is_some_and(|t| t.starts_with("fake-track-")));
    assert_eq!(api_requests(&fake, "/plans/usage"), 3);

    fake.inject(Fault::status(503).operation("get_plan_usage").times(10)).unwrap();
    let err = usage(&client).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(api_requests(&fake, "/plans/usage"), 3 + 4, "first attempt and three retries");
}

#[tokio::test(start_paused = true)]
async fn a_503_or_timeout_on_a_creating_post_is_sent_once_with_an_unknown_outcome() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).timeout(Duration::from_secs(5)).build().unwrap();
    fake.inject(Fault::status(503).operation("subscribe_plan")).unwrap();
    let err: Error = client.subscribe_plan().account_id("sub-1").body(subscribe_request()).send().await.unwrap_err();
    let Error::UnknownOutcome(unknown) = &err else { panic!("{err:?}") };
    assert_eq!(unknown.operation, Operation::SubscribePlan);
    assert_eq!(unknown.status.map(|s| s.as_u16()), Some(503), "Zoom's answer is kept");
    assert!(unknown.tracking_id.as_deref().is_some_and(|t| t.starts_with("fake-track-")), "{err:?}");
    assert!(err.to_string().contains("Check with get_account_plans"), "{err}");
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 1);

    fake.inject(Fault::delay(Duration::from_secs(60)).operation("subscribe_plan")).unwrap();
    let err: Error = client.subscribe_plan().account_id("sub-1").body(subscribe_request()).send().await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownOutcome(u) if u.cause.contains("no response") && u.status.is_none()),
        "{err:?}"
    );
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 2);

    // A 429 surely had no effect: it is retried even for a creating POST.
    fake.inject(Fault::qps_limit(&[("Retry-After", "1")]).operation("subscribe_plan")).unwrap();
    client.subscribe_plan().account_id("sub-1").body(subscribe_request()).send().await.unwrap();
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_is_retried_for_a_get_and_unknown_for_a_post() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    fake.inject(Fault::reset().operation("get_plan_usage")).unwrap();
    usage(&client).await.unwrap();
    assert_eq!(api_requests(&fake, "/plans/usage"), 2);

    fake.inject(Fault::reset().operation("generate_invoice_report")).unwrap();
    let request = types::GenerateInvoiceReportRequest::builder().account_ids(vec!["sub-1".to_owned()]);
    let err: Error = client.generate_invoice_report().body(request).send().await.unwrap_err();
    assert!(matches!(&err, Error::UnknownOutcome(u) if u.operation == Operation::GenerateInvoiceReport), "{err:?}");
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 1);

    let client = bearer(&fake).retry_policy(RetryPolicy::none()).build().unwrap();
    fake.inject(Fault::reset().operation("get_plan_usage")).unwrap();
    let err = usage(&client).await.unwrap_err();
    assert!(matches!(err, Error::Transport { operation: Operation::GetPlanUsage, .. }), "{err:?}");
}

// ---- bodies ---------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn malformed_and_truncated_json_are_decode_errors_naming_the_operation() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    // Malformed, truncated, not JSON at all, and well-formed JSON of the wrong shape: the first
    // two and the last are found by the generated code's decode, the others by the hook.
    let bodies = [
        &b"{not json at all"[..],
        br#"{"invoice_reports": [{"id": "rpt-1", "status": "Compl"#,
        b"\xff\xfe\x00",
        b"<html><body>502 Bad Gateway</body></html>",
        b"  ",
        br#"{"invoice_reports": "not a list"}"#,
    ];
    for body in bodies {
        fake.inject(
            Fault::new(FaultKind::RawJson(bytes::Bytes::copy_from_slice(body))).operation("list_invoice_reports"),
        )
        .unwrap();
        let err: Error = client.list_invoice_reports().send().await.unwrap_err();
        let Error::Decode(decode) = &err else { panic!("{err:?}") };
        assert_eq!(decode.operation, Operation::ListInvoiceReports);
        assert_eq!(decode.status.as_u16(), 200);
        assert_eq!(decode.snippet, String::from_utf8_lossy(body));
        assert!(err.to_string().contains("list_invoice_reports"), "{err}");
        assert!(!err.is_retryable());
    }
    // A JSON error body of an undeclared status keeps status, code and tracking id.
    fake.inject(
        Fault::json(409, serde_json::json!({"code": 2100, "message": "Conflict."})).operation("get_plan_usage"),
    )
    .unwrap();
    let err = usage(&client).await.unwrap_err();
    assert_eq!((err.status().map(|s| s.as_u16()), err.zoom_code()), (Some(409), Some(2100)), "{err:?}");
    assert!(err.tracking_id().is_some());
    // A declared error status with a non-JSON body.
    fake.inject(Fault::new(FaultKind::Respond { status: 404, body: "<html>nope</html>".into(), headers: vec![] }))
        .unwrap();
    let err = usage(&client).await.unwrap_err();
    assert!(matches!(&err, Error::Api(api) if api.status == 404 && api.message.contains("nope")), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn zoom_errors_keep_code_fields_and_operation() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).build().unwrap();
    let body = serde_json::json!({"code": 300, "message": "Validation Failed.", "errors": [{"field": "plan_base.hosts", "message": "Invalid field."}]});
    fake.inject(Fault::json(400, body).operation("subscribe_plan")).unwrap();
    let err: Error = client.subscribe_plan().account_id("sub-1").body(subscribe_request()).send().await.unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!((api.status.as_u16(), api.code, api.operation), (400, Some(300), Operation::SubscribePlan));
    assert_eq!(api.errors[0].field.as_deref(), Some("plan_base.hosts"));
    assert!(err.to_string().contains("plan_base.hosts"), "{err}");
}
