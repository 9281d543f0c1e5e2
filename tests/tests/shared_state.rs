//! One behavioural suite for every shared state store: each test runs on a
//! real `redis-server` (started on a free port of 127.0.0.1, stopped at the
//! end) and on a SQLite file (in a temporary directory). Several clients,
//! each with its own state as separate processes have, share budgets, pacing
//! and the token through the store; a store that goes away fails calls typed
//! and unsent, and nothing is lost or doubled when it comes back. Real time,
//! a few seconds each.
//!
//! The Redis runs are ignored, with how to install it, where the build did
//! not find `redis-server` (see build.rs); CI installs it and sets
//! `ZOOM_BILLING_REQUIRE_REDIS`, so there they always run.

use std::time::Duration;

use fake_zoom::{CLIENT_SECRET, FakeZoom};
use zoom_billing::shared::{SharedStore, WhenUnavailable};
use zoom_billing::{Client, Error, RateLimitPolicy, RetryPolicy, StoreError};
use zoom_billing_tests::stores::{Backing, Settings, enforcing_fake, invoices_listed, list_invoices, s2s_client};

/// 600x: "one list call per 5 minutes" is one per 0.5 s.
const SCALE: f64 = 600.0;

/// Each test, on each store.
macro_rules! on_every_store {
    ($($test:ident),* $(,)?) => {
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
                async fn $test() {
                    super::$test(zoom_billing_tests::stores::Backing::redis()).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(zoom_billing_tests::stores::Backing::sqlite()).await
                }
            )*
        }
    };
}

on_every_store!(
    clients_share_one_daily_budget_one_pace_and_one_token,
    budgets_stay_exact_under_concurrency,
    a_token_rejected_by_zoom_is_replaced_once_for_the_fleet,
    expiring_tokens_are_renewed_once_per_lifetime_by_the_fleet,
    a_store_that_goes_away_fails_calls_unsent_and_loses_no_unit,
    the_opt_in_fallback_uses_local_state_while_the_store_is_away,
    a_call_cancelled_while_waiting_gives_its_turn_and_unit_back,
    a_token_that_needs_the_missing_store_is_the_same_shared_state_error,
    a_per_second_429_holds_the_whole_fleet_for_its_retry_after,
);

fn bearer(fake: &FakeZoom, policy: RateLimitPolicy, store: SharedStore) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(policy)
        .shared_state(store)
        .build()
        .unwrap()
}

async fn clients_share_one_daily_budget_one_pace_and_one_token(backing: Backing) {
    let fake = enforcing_fake(SCALE).await;
    // Three clients with their own state, as three processes have.
    let clients: Vec<Client> = (0..3).map(|_| s2s_client(&fake, backing.default_store(), SCALE)).collect();
    // list_billing_invoices: 6 a day per accountId, one every 5 minutes (0.5 s at 600x).
    let calls = clients.iter().cycle().take(9).map(list_invoices);
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let spent = results.iter().filter(|r| matches!(r, Err(Error::BudgetExhausted { limit: 6, .. }))).count();
    assert_eq!((ok, spent), (6, 3), "{results:?}");
    assert_eq!(invoices_listed(&fake), 6, "the refused calls were not sent");
    assert_eq!(fake.rate_limited(), 0, "spaced across clients: no 429");
    assert_eq!(fake.token_requests(), 1, "one token for the fleet");
    assert_eq!(fake.unauthorized(), 0);
    // The budget is the account's: a fourth client starting now has none left either.
    let late = s2s_client(&fake, backing.default_store(), SCALE);
    assert!(matches!(list_invoices(&late).await, Err(Error::BudgetExhausted { .. })));
}

async fn budgets_stay_exact_under_concurrency(backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    // Pacing off, budgets on: eight clients race 40 calls at once for the day's 6 units.
    let policy = RateLimitPolicy::default().with_operation_pacing(false).with_label_pacing(false);
    let clients: Vec<Client> = (0..8).map(|_| bearer(&fake, policy.clone(), backing.store_for("acct-race"))).collect();
    let results = futures::future::join_all(clients.iter().cycle().take(40).map(list_invoices)).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let spent = results.iter().filter(|r| matches!(r, Err(Error::BudgetExhausted { limit: 6, .. }))).count();
    assert_eq!((ok, spent), (6, 34), "{results:?}");
    assert_eq!(invoices_listed(&fake), 6, "exactly the budget was sent");
}

async fn a_token_rejected_by_zoom_is_replaced_once_for_the_fleet(backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    let (a, b) = (s2s_client(&fake, backing.default_store(), SCALE), s2s_client(&fake, backing.default_store(), SCALE));
    let usage = |c: &Client| {
        let c = c.clone();
        async move { c.get_plan_usage().account_id("me").send().await.map(|_| ()) }
    };
    usage(&a).await.unwrap();
    usage(&b).await.unwrap();
    assert_eq!(fake.token_requests(), 1, "b read a's token");
    // Zoom revokes it: both get 401 code 124; the first to see it deletes the rejected token
    // (only if it is still the stored one), one renews, the other reads the new one.
    fake.revoke_tokens();
    usage(&a).await.unwrap();
    usage(&b).await.unwrap();
    assert_eq!(fake.token_requests(), 2, "one renewal for the fleet");
    assert_eq!(fake.unauthorized(), 2, "each held the revoked token once");
}

async fn expiring_tokens_are_renewed_once_per_lifetime_by_the_fleet(backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    // 2 s tokens are reused for half their life: one renewal per second for the fleet.
    fake.set_token_lifetime(2);
    let clients: Vec<Client> = (0..4).map(|_| s2s_client(&fake, backing.default_store(), SCALE)).collect();
    let started = std::time::Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(3_500) {
        let round = clients.iter().map(|c| c.get_plan_usage().account_id("me").send());
        for result in futures::future::join_all(round).await {
            result.unwrap();
            calls += 1;
        }
    }
    let renewals = fake.token_requests();
    eprintln!("{calls} calls by 4 clients in 3.5 s with 1 s token reuse: {renewals} token requests");
    assert!((3..=5).contains(&renewals), "one token request per reuse period, not one per client: {renewals}");
    assert_eq!(fake.unauthorized(), 0, "no client used a token another's renewal had replaced");
}

async fn a_store_that_goes_away_fails_calls_unsent_and_loses_no_unit(mut backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    let settings =
        Settings { namespace: Some("acct-1".into()), timeout: Some(Duration::from_millis(500)), ..Settings::default() };
    let client = bearer(&fake, RateLimitPolicy::default().with_time_scale(SCALE), backing.store(&settings));
    for _ in 0..3 {
        list_invoices(&client).await.unwrap();
    }
    backing.take_away();
    let err = list_invoices(&client).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(err.is_retryable());
    let shown = format!("{:#}", anyhow::Error::from(err));
    let expected =
        format!("list_billing_invoices: not sent: the shared state store failed: the store at {}", backing.shown());
    assert!(shown.starts_with(&expected) && shown.contains("is unavailable"), "{shown}");
    assert_eq!(shown.matches(&backing.shown()).count(), 1, "said once: {shown}");
    assert_eq!(invoices_listed(&fake), 3, "nothing sent while the store was away");
    // Back, with what it had stored: three units left, not six.
    backing.bring_back();
    let mut sent = 0;
    for _ in 0..5 {
        match list_invoices(&client).await {
            Ok(()) => sent += 1,
            Err(Error::BudgetExhausted { .. }) => {}
            Err(Error::SharedState { .. }) => panic!("the store is back"),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(sent, 3, "the day's six units, none lost and none doubled");
    assert_eq!(invoices_listed(&fake), 6);
}

async fn the_opt_in_fallback_uses_local_state_while_the_store_is_away(mut backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    let settings = Settings {
        timeout: Some(Duration::from_millis(500)),
        when_unavailable: WhenUnavailable::UseLocalState,
        ..Settings::default()
    };
    let client = s2s_client(&fake, backing.store(&settings), SCALE);
    client.get_plan_usage().account_id("me").send().await.unwrap();
    backing.take_away();
    // Token cached locally, pacing and budgets local: the call goes through.
    client.get_plan_usage().account_id("me").send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
}

async fn a_call_cancelled_while_waiting_gives_its_turn_and_unit_back(backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    // Real time here: one list call every 5 minutes at scale 1 would wait; at 60x, 5 s.
    let client = bearer(&fake, RateLimitPolicy::default().with_time_scale(60.0), backing.store_for("acct-2"));
    list_invoices(&client).await.unwrap();
    // The next turn is 5 s away: give up after 100 ms.
    let waiting = tokio::time::timeout(Duration::from_millis(100), list_invoices(&client)).await;
    assert!(waiting.is_err(), "the call was still waiting for its turn");
    tokio::time::sleep(Duration::from_millis(200)).await; // the give-back runs on the runtime
    // The cancelled call's unit came back: 5 more calls fit in the day's 6, not 4.
    let other = bearer(&fake, RateLimitPolicy::default().with_operation_pacing(false), backing.store_for("acct-2"));
    for _ in 0..5 {
        list_invoices(&other).await.unwrap();
    }
    assert!(matches!(list_invoices(&other).await, Err(Error::BudgetExhausted { .. })));
}

async fn a_token_that_needs_the_missing_store_is_the_same_shared_state_error(mut backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    let settings = Settings { timeout: Some(Duration::from_millis(300)), ..Settings::default() };
    let store = backing.store(&settings);
    backing.take_away();
    let client = Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, CLIENT_SECRET)
        .shared_state(store)
        .build()
        .unwrap();
    let err = client.get_plan_usage().account_id("me").send().await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!((fake.token_requests(), fake.requests().len()), (0, 0), "no token request, no call");
}

async fn a_per_second_429_holds_the_whole_fleet_for_its_retry_after(backing: Backing) {
    let fake = FakeZoom::start().await.unwrap();
    let client = |retry: RetryPolicy| {
        Client::builder()
            .base_url(fake.base_url())
            .bearer_token(fake_zoom::FIXED_TOKEN)
            .retry_policy(retry)
            .shared_state(backing.store_for("acct-429"))
            .build()
            .unwrap()
    };
    let (a, b) = (client(RetryPolicy::none()), client(RetryPolicy::default()));
    fake.inject(fake_zoom::Fault::qps_limit(&[("Retry-After", "1"), ("X-RateLimit-Category", "Heavy")])).unwrap();
    let err = a.get_plan_usage().account_id("me").send().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    // b never saw the 429, but its next Heavy call waits for Zoom's second too.
    let started = std::time::Instant::now();
    b.get_plan_usage().account_id("me").send().await.unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900), "held for the Retry-After: {waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}
