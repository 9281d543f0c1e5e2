//! What only the Redis store has: its settings and URL, servers that are not
//! Redis (never answering, answering garbage), and Redis Cluster. The
//! behaviour every store shares is tests/shared_state.rs.
//!
//! The cluster test is ignored, with how to install it, where the build did
//! not find `redis-server` (see build.rs); CI installs it and sets
//! `ZOOM_BILLING_REQUIRE_REDIS`, so there it always runs.

use std::time::Duration;

use fake_zoom::FakeZoom;
use zoom_billing::shared::RedisStore;
use zoom_billing::{Client, Error, RetryPolicy, StoreError};
use zoom_billing_tests::stores::{enforcing_fake, invoices_listed, list_invoices, s2s_client};

/// 600x: "one list call per 5 minutes" is one per 0.5 s.
const SCALE: f64 = 600.0;

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
    let err = list_invoices(&client).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    assert!(took < Duration::from_secs(5), "bounded by the store's timeout (a few operations of 300 ms): {took:?}");
    assert!(invoices_listed(&fake) == 0, "not sent");
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
        let result = tokio::time::timeout(Duration::from_secs(10), list_invoices(&client)).await.expect("bounded");
        let err = result.expect_err("no real store: the call cannot go through");
        assert!(matches!(err, Error::SharedState { .. }), "{reply:?}: {err:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "{reply:?}");
    }
    assert_eq!(invoices_listed(&fake), 0, "nothing was sent on a store's word that could not be read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn on_a_redis_cluster_clients_share_the_budget_and_the_token() {
    let cluster = zoom_billing_tests::redis_server::RedisCluster::start();
    let fake = enforcing_fake(SCALE).await;
    // One seed node is enough: the client reads the cluster's slot map.
    let store = RedisStore::cluster_builder(cluster.urls().into_iter().take(1)).build().unwrap();
    let clients: Vec<Client> = (0..3).map(|_| s2s_client(&fake, store.clone(), SCALE)).collect();
    let results = futures::future::join_all(clients.iter().cycle().take(8).map(list_invoices)).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let spent = results.iter().filter(|r| matches!(r, Err(Error::BudgetExhausted { limit: 6, .. }))).count();
    assert_eq!((ok, spent), (6, 2), "{results:?}");
    assert_eq!((fake.rate_limited(), fake.token_requests(), fake.unauthorized()), (0, 1, 0));
}
