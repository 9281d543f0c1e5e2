//! The shared state store on a real `redis-server` (started by each test on
//! a free port of 127.0.0.1, stopped at the end): several clients, each with
//! its own state as separate processes have, share budgets, pacing and the
//! token through it; a store that goes away fails calls typed, unsent, and
//! nothing is lost or doubled when it comes back. Real time, a few seconds.
//!
//! Ignored, with how to install it, where the build did not find
//! `redis-server` (see build.rs); CI installs it and sets
//! `ZOOM_BILLING_REQUIRE_REDIS`, so there they always run.

use std::time::Duration;

use fake_zoom::{CLIENT_SECRET, FakeZoom, LimitConfig};
use zoom_billing::shared::{RedisStore, WhenUnavailable};
use zoom_billing::{Client, Error, RateLimitPolicy, RetryPolicy, StoreError};
use zoom_billing_tests::redis_server::RedisServer;

/// 600x: "one list call per 5 minutes" is one per 0.5 s.
const SCALE: f64 = 600.0;

fn s2s(fake: &FakeZoom, store: &RedisStore) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(SCALE))
        .retry_policy(RetryPolicy::none())
        .shared_state(store.clone())
        .build()
        .unwrap()
}

async fn enforcing_fake() -> FakeZoom {
    let fake = FakeZoom::start().await.unwrap();
    // A 30% tolerance on minimum intervals (150 ms here): on a 2-core machine shared with
    // compilers a thread can be held that long between its turn and its send, which is not
    // what these tests measure (at Zoom's real intervals, minutes, it is nothing). Clients
    // without shared pacing send at the same instant and are still caught.
    fake.set_limits(LimitConfig { enforce: true, time_scale: SCALE, tolerance: 0.3, ..LimitConfig::default() });
    fake
}

async fn list(client: &Client) -> Result<(), Error> {
    client.list_billing_invoices().account_id("sub-1").send().await.map(|_| ())
}

fn listed(fake: &FakeZoom) -> usize {
    fake.requests_to("/billing/invoices").iter().filter(|r| r.path.ends_with("/invoices")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn clients_share_one_daily_budget_one_pace_and_one_token() {
    let redis = RedisServer::start();
    let fake = enforcing_fake().await;
    let store = RedisStore::new(redis.url()).unwrap();
    // Three clients with their own state, as three processes have.
    let clients: Vec<Client> = (0..3).map(|_| s2s(&fake, &store)).collect();
    // list_billing_invoices: 6 a day per accountId, one every 5 minutes (0.5 s at 600x).
    let calls = clients.iter().cycle().take(9).map(list);
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let spent = results.iter().filter(|r| matches!(r, Err(Error::BudgetExhausted { limit: 6, .. }))).count();
    assert_eq!((ok, spent), (6, 3), "{results:?}");
    assert_eq!(listed(&fake), 6, "the refused calls were not sent");
    assert_eq!(fake.rate_limited(), 0, "spaced across clients: no 429");
    assert_eq!(fake.token_requests(), 1, "one token for the fleet");
    assert_eq!(fake.unauthorized(), 0);
    // The budget is the account's: a fourth client starting now has none left either.
    let late = s2s(&fake, &store);
    assert!(matches!(list(&late).await, Err(Error::BudgetExhausted { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_token_rejected_by_zoom_is_replaced_once_for_the_fleet() {
    let redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    let store = RedisStore::new(redis.url()).unwrap();
    let (a, b) = (s2s(&fake, &store), s2s(&fake, &store));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn expiring_tokens_are_renewed_once_per_lifetime_by_the_fleet() {
    let redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    // 2 s tokens are reused for half their life: one renewal per second for the fleet.
    fake.set_token_lifetime(2);
    let store = RedisStore::new(redis.url()).unwrap();
    let clients: Vec<Client> = (0..4).map(|_| s2s(&fake, &store)).collect();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_store_that_goes_away_fails_calls_unsent_and_loses_no_unit() {
    let mut redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    let store =
        RedisStore::builder(redis.url()).namespace("acct-1").timeout(Duration::from_millis(500)).build().unwrap();
    let client = Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(SCALE))
        .shared_state(store)
        .build()
        .unwrap();
    for _ in 0..3 {
        list(&client).await.unwrap();
    }
    redis.stop();
    let err = list(&client).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(err.is_retryable());
    let shown = format!("{:#}", anyhow::Error::from(err));
    assert!(
        shown.starts_with(
            "list_billing_invoices: not sent: the shared state store failed: the store at redis://127.0.0.1:"
        ) && shown.contains("is unavailable"),
        "{shown}"
    );
    assert_eq!(shown.matches("redis://").count(), 1, "said once: {shown}");
    assert_eq!(listed(&fake), 3, "nothing sent while the store was away");
    // Back, with what it had stored (append-only file): three units left, not six.
    redis.restart();
    let mut sent = 0;
    for _ in 0..5 {
        match list(&client).await {
            Ok(()) => sent += 1,
            Err(Error::BudgetExhausted { .. }) => {}
            Err(Error::SharedState { .. }) => panic!("the store is back"),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(sent, 3, "the day's six units, none lost and none doubled");
    assert_eq!(listed(&fake), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn the_opt_in_fallback_uses_local_state_while_the_store_is_away() {
    let mut redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    let store = RedisStore::builder(redis.url())
        .timeout(Duration::from_millis(500))
        .when_unavailable(WhenUnavailable::UseLocalState)
        .build()
        .unwrap();
    let client = s2s(&fake, &store);
    client.get_plan_usage().account_id("me").send().await.unwrap();
    redis.stop();
    // Token cached locally, pacing and budgets local: the call goes through.
    client.get_plan_usage().account_id("me").send().await.unwrap();
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_call_cancelled_while_waiting_gives_its_turn_and_unit_back() {
    let redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    // Real time here: one list call every 5 minutes at scale 1 would wait; at 60x, 5 s.
    let client = Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(60.0))
        .shared_state(RedisStore::builder(redis.url()).namespace("acct-2").build().unwrap())
        .build()
        .unwrap();
    list(&client).await.unwrap();
    // The next turn is 5 s away: give up after 100 ms.
    let waiting = tokio::time::timeout(Duration::from_millis(100), list(&client)).await;
    assert!(waiting.is_err(), "the call was still waiting for its turn");
    tokio::time::sleep(Duration::from_millis(200)).await; // the give-back runs on the runtime
    // The cancelled call's unit came back: 5 more calls fit in the day's 6, not 4.
    let other = Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::default().with_operation_pacing(false))
        .shared_state(RedisStore::builder(redis.url()).namespace("acct-2").build().unwrap())
        .build()
        .unwrap();
    for _ in 0..5 {
        list(&other).await.unwrap();
    }
    assert!(matches!(list(&other).await, Err(Error::BudgetExhausted { .. })));
}

#[test]
fn store_settings_are_checked_without_secrets_in_messages() {
    let err = RedisStore::builder("redis://:pw-secret@127.0.0.1:6379/").namespace("a{b}").build().unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("namespace") && !shown.contains("pw-secret"), "{shown}");
    let err = Client::builder()
        .bearer_token("t")
        .shared_state(RedisStore::new("redis://127.0.0.1:6379/").unwrap())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("namespace"), "{err}");
}

/// A "Redis" on loopback that reads what it is sent and answers `reply` to each read (or
/// nothing). Returns its URL.
async fn hostile_redis(reply: Option<&'static [u8]>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // Bounded: a test's client sends a few commands at most.
                for _ in 0..1000 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {
                            if let Some(reply) = reply
                                && socket.write_all(reply).await.is_err()
                            {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("redis://127.0.0.1:{port}/")
}

fn bearer_with(fake: &FakeZoom, url: String) -> Client {
    let store = RedisStore::builder(url).namespace("acct-h").timeout(Duration::from_millis(300)).build().unwrap();
    Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .retry_policy(RetryPolicy::none())
        .shared_state(store)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_never_answers_fails_typed_within_its_timeout() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer_with(&fake, hostile_redis(None).await);
    let started = std::time::Instant::now();
    let err = list(&client).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(took < Duration::from_secs(5), "bounded by the store's timeout (a few operations of 300 ms): {took:?}");
    assert!(listed(&fake) == 0, "not sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_answers_garbage_fails_typed_and_never_panics() {
    let fake = FakeZoom::start().await.unwrap();
    let replies: [&'static [u8]; 6] = [
        b"+OK\r\n",
        b"-ERR not redis\r\n",
        b":99999999999999999999999\r\n",
        b"*3\r\n$2\r\nok\r\n$20\r\n99999999999999999999\r\n$1\r\n0\r\n",
        b"*7\r\n$2\r\nok\r\n:9223372036854775807\r\n:0\r\n:0\r\n:1\r\n:0\r\n:1\r\n",
        b"\x00\xff garbage \r\n\r\n",
    ];
    for reply in replies {
        let client = bearer_with(&fake, hostile_redis(Some(reply)).await);
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(10), list(&client)).await.expect("bounded");
        let err = result.expect_err("no real store: the call cannot go through");
        assert!(matches!(err, Error::SharedState { .. }), "{reply:?}: {err:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{reply:?}");
    }
    assert_eq!(listed(&fake), 0, "nothing was sent on a store's word that could not be read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn on_a_redis_cluster_clients_share_the_budget_and_the_token() {
    let cluster = zoom_billing_tests::redis_server::RedisCluster::start();
    let fake = enforcing_fake().await;
    // One seed node is enough: the client reads the cluster's slot map.
    let store = RedisStore::cluster_builder(cluster.urls().into_iter().take(1)).build().unwrap();
    let clients: Vec<Client> = (0..3).map(|_| s2s(&fake, &store)).collect();
    let results = futures::future::join_all(clients.iter().cycle().take(8).map(list)).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let spent = results.iter().filter(|r| matches!(r, Err(Error::BudgetExhausted { limit: 6, .. }))).count();
    assert_eq!((ok, spent), (6, 2), "{results:?}");
    assert_eq!((fake.rate_limited(), fake.token_requests(), fake.unauthorized()), (0, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_needs_the_missing_store_is_the_same_shared_state_error() {
    let fake = FakeZoom::start().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = RedisStore::builder(format!("redis://127.0.0.1:{port}/")).timeout(Duration::from_millis(300));
    let client = Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, CLIENT_SECRET)
        .shared_state(store.build().unwrap())
        .build()
        .unwrap();
    let err = client.get_plan_usage().account_id("me").send().await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!((fake.token_requests(), fake.requests().len()), (0, 0), "no token request, no call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_per_second_429_holds_the_whole_fleet_for_its_retry_after() {
    let redis = RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    let store = RedisStore::builder(redis.url()).namespace("acct-429").build().unwrap();
    let client = |retry: RetryPolicy| {
        Client::builder()
            .base_url(fake.base_url())
            .bearer_token(fake_zoom::FIXED_TOKEN)
            .retry_policy(retry)
            .shared_state(store.clone())
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
