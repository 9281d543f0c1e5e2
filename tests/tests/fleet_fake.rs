//! fake-zoom behaving like Zoom for a fleet: one valid token per app and
//! token index, and the spec's rate limits enforced with Zoom's 429 on a
//! scaled clock, matched by the client's time scale. Paused tokio time.

use std::time::Duration;

use fake_zoom::{CLIENT_SECRET, FakeZoom, LimitConfig};
use tokio::time::Instant;
use zoom_billing::{Client, Error, RateLimitKind, RateLimitPolicy, RetryPolicy, types};

const SCALE: f64 = 1800.0;

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

async fn enforcing_fake() -> FakeZoom {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_limits(LimitConfig { enforce: true, time_scale: SCALE, ..LimitConfig::default() });
    fake
}

async fn usage(client: &Client) -> Result<types::PlanUsage, Error> {
    Ok(client.get_plan_usage().account_id("me").send().await?.into_inner())
}

async fn invoice(client: &Client) -> Result<(), Error> {
    client.get_invoice_details().account_id("sub-1").invoice_id("inv-1").send().await.map(|_| ())
}

#[tokio::test(start_paused = true)]
async fn a_new_token_invalidates_the_previous_one_so_two_clients_thrash() {
    let fake = FakeZoom::start().await.unwrap();
    // Two clients with their own state, like two processes of one app.
    let (a, b) = (s2s(&fake).build().unwrap(), s2s(&fake).build().unwrap());
    usage(&a).await.unwrap();
    usage(&b).await.unwrap(); // b's token knocks a's out
    usage(&a).await.unwrap(); // a gets 401 code 124, renews, knocks b's out
    usage(&b).await.unwrap();
    assert_eq!(fake.unauthorized(), 2, "each call after the other's renewal is refused once");
    assert_eq!(fake.token_requests(), 4, "one token per call: thrash");
}

#[tokio::test(start_paused = true)]
async fn a_client_on_the_same_time_scale_gets_no_429() {
    let fake = enforcing_fake().await;
    let policy = RateLimitPolicy::default().with_time_scale(SCALE);
    let client = bearer(&fake).rate_limit_policy(policy).retry_policy(RetryPolicy::none()).build().unwrap();
    let start = Instant::now();
    for _ in 0..4 {
        invoice(&client).await.unwrap();
    }
    // "One request per 30 minutes" is one per second at 1800x.
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(fake.rate_limited(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_unpaced_client_gets_zoom_s_429() {
    let fake = enforcing_fake().await;
    let client =
        bearer(&fake).rate_limit_policy(RateLimitPolicy::off()).retry_policy(RetryPolicy::none()).build().unwrap();
    invoice(&client).await.unwrap();
    let err = invoice(&client).await.unwrap_err();
    let Error::RateLimited(limited) = &err else { panic!("{err:?}") };
    assert_eq!(limited.kind, RateLimitKind::PerSecond);
    assert_eq!((limited.category.as_deref(), limited.remaining), (Some("Heavy"), Some(0)));
    assert_eq!(fake.rate_limited(), 1);
    // After the scaled interval the next one passes.
    tokio::time::advance(Duration::from_secs(1)).await;
    invoice(&client).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_daily_limit_is_enforced_per_account_id() {
    let fake = enforcing_fake().await;
    let policy = RateLimitPolicy::default().with_daily_budgets(false).with_time_scale(SCALE);
    let client = bearer(&fake).rate_limit_policy(policy).retry_policy(RetryPolicy::none()).build().unwrap();
    let list = |id: &'static str| {
        let client = &client;
        async move { client.list_billing_invoices().account_id(id).send().await.map(|_| ()) }
    };
    for _ in 0..6 {
        list("sub-1").await.unwrap();
    }
    let err = list("sub-1").await.unwrap_err();
    let Error::RateLimited(limited) = &err else { panic!("{err:?}") };
    assert_eq!(limited.kind, RateLimitKind::Daily);
    list("sub-2").await.unwrap();
    // A scaled day is 48 s: the next one resets sub-1's limit.
    tokio::time::advance(Duration::from_secs(48)).await;
    list("sub-1").await.unwrap();
    assert_eq!(fake.rate_limited(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_label_rate_is_shared_by_the_account() {
    let fake = enforcing_fake().await;
    fake.set_limits(LimitConfig { enforce: true, label_rates: vec![("Heavy".into(), 2.0)], ..LimitConfig::default() });
    let client =
        bearer(&fake).rate_limit_policy(RateLimitPolicy::off()).retry_policy(RetryPolicy::none()).build().unwrap();
    usage(&client).await.unwrap();
    usage(&client).await.unwrap();
    assert!(matches!(usage(&client).await, Err(Error::RateLimited(_))));
    let paced = bearer(&fake)
        .rate_limit_policy(
            RateLimitPolicy::default().with_label_rate(zoom_billing::metadata::RateLimitLabel::Heavy, 2.0),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    tokio::time::advance(Duration::from_secs(1)).await;
    for _ in 0..6 {
        usage(&paced).await.unwrap();
    }
    assert_eq!(fake.rate_limited(), 1);
}

#[tokio::test(start_paused = true)]
async fn programs_on_different_token_indexes_keep_their_tokens() {
    let fake = FakeZoom::start().await.unwrap();
    let provider = |index: u32| {
        zoom_billing::auth::ServerToServer::builder(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, CLIENT_SECRET)
            .oauth_host(fake.oauth_host())
            .token_index(index)
            .build()
            .unwrap()
    };
    let client =
        |index: u32| Client::builder().base_url(fake.base_url()).token_provider(provider(index)).build().unwrap();
    let (a, b) = (client(1), client(2));
    for _ in 0..3 {
        usage(&a).await.unwrap();
        usage(&b).await.unwrap();
    }
    assert_eq!((fake.token_requests(), fake.unauthorized()), (2, 0));
    assert!(
        fake.requests_to("/oauth/token").iter().all(|r| r.query.as_deref().is_some_and(|q| q.contains("token_index=")))
    );
}

#[tokio::test(start_paused = true)]
async fn a_per_second_429_holds_the_label_for_every_call_but_no_longer_than_a_retry_would_wait() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake).retry_policy(RetryPolicy::none()).build().unwrap();
    fake.inject(fake_zoom::Fault::qps_limit(&[("Retry-After", "10")])).unwrap();
    assert!(matches!(usage(&client).await, Err(Error::RateLimited(_))));
    // The next Heavy call (another operation, same label) waits for Zoom's 10 seconds.
    let start = Instant::now();
    invoice(&client).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    // A server asking for a day holds later calls no longer than the retry policy's
    // max_retry_after (60 s by default).
    fake.inject(fake_zoom::Fault::qps_limit(&[("Retry-After", "86400")])).unwrap();
    assert!(matches!(usage(&client).await, Err(Error::RateLimited(_))));
    let start = Instant::now();
    usage(&client).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn after_a_daily_429_the_refusal_says_zoom_told_not_that_the_count_is_spent() {
    let fake = FakeZoom::start().await.unwrap();
    let client =
        bearer(&fake).rate_limit_policy(RateLimitPolicy::default().with_operation_pacing(false)).build().unwrap();
    fake.inject(fake_zoom::Fault::daily_limit("2099-01-01T00:00:00Z").operation("list_billing_invoices")).unwrap();
    let list = || client.list_billing_invoices().account_id("sub-1").send();
    assert!(matches!(list().await, Err(Error::RateLimited(_))));
    let err = list().await.unwrap_err();
    assert!(matches!(err, Error::BudgetExhausted { limit: 0, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("Zoom said its daily limit is reached") && !text.contains("of 6"), "{text}");
}
