//! The shared state store against hostile "Redis" servers on loopback and a
//! real `redis-server` restarted mid-run (issue 23): a reply without end, a
//! store that never knows a script, a turn days away, a store that is down
//! or comes back. Each call is bounded by a guard; nothing is sent to the
//! fake Zoom on a store's word that could not be read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fake_zoom::{CLIENT_SECRET, FakeZoom};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use zoom_billing::shared::RedisStore;
use zoom_billing::{Client, Error, RateLimitPolicy, RetryPolicy, StoreError};

/// No call waits longer than this.
const GUARD: Duration = Duration::from_secs(20);

async fn guarded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future).await.expect("the call did not finish within the guard")
}

/// One RESP command (an array of bulk strings), or `None` at the end of the stream.
async fn command(reader: &mut (impl AsyncRead + Unpin)) -> Option<Vec<Vec<u8>>> {
    async fn line(reader: &mut (impl AsyncRead + Unpin)) -> Option<String> {
        let mut line = Vec::new();
        // Bounded: a client's header lines are short.
        while line.len() < 64 {
            let byte = reader.read_u8().await.ok()?;
            if byte == b'\n' {
                return String::from_utf8(line).ok().map(|l| l.trim_end().to_owned());
            }
            line.push(byte);
        }
        None
    }
    let count: usize = line(reader).await?.strip_prefix('*')?.parse().ok()?;
    let mut parts = Vec::new();
    for _ in 0..count.min(64) {
        let len: usize = line(reader).await?.strip_prefix('$')?.parse().ok()?;
        let mut part = vec![0; len.min(1 << 20) + 2];
        reader.read_exact(&mut part).await.ok()?;
        part.truncate(len);
        parts.push(part);
    }
    Some(parts)
}

/// What the fake answers to one command (its name upper-cased, its parts).
type Answer = Arc<dyn Fn(&str, &[Vec<u8>]) -> Reply + Send + Sync>;

enum Reply {
    Bytes(Vec<u8>),
    /// `$2147483647` and then `bytes` of filler, as fast as the client reads.
    Endless(u64),
}

/// A fake "Redis" on 127.0.0.1 answering each command with `answer`; counts
/// the bytes it managed to stream. Returns its URL.
async fn fake_redis(answer: Answer, streamed: Arc<AtomicU64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (answer, streamed) = (answer.clone(), streamed.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                // Bounded: a test's client sends a few hundred commands at most.
                for _ in 0..10_000 {
                    let Some(parts) = command(&mut read).await else { return };
                    let name = String::from_utf8_lossy(parts.first().map_or(&[][..], |p| p)).to_ascii_uppercase();
                    match answer(&name, &parts) {
                        Reply::Bytes(bytes) => {
                            if write.write_all(&bytes).await.is_err() {
                                return;
                            }
                        }
                        Reply::Endless(total) => {
                            if write.write_all(b"$2147483647\r\n").await.is_err() {
                                return;
                            }
                            let chunk = vec![b'x'; 64 * 1024];
                            let mut sent = 0;
                            while sent < total {
                                if write.write_all(&chunk).await.is_err() {
                                    return;
                                }
                                sent += chunk.len() as u64;
                                streamed.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                            }
                        }
                    }
                }
            });
        }
    });
    format!("redis://127.0.0.1:{port}/")
}

/// The usual answers to the handshake (`HELLO`, `CLIENT SETINFO`...): OK.
fn handshake(name: &str) -> Option<Reply> {
    (!matches!(name, "EVALSHA" | "EVAL" | "SCRIPT" | "SET" | "GET")).then(|| Reply::Bytes(b"+OK\r\n".to_vec()))
}

fn bulk_array(items: &[String]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for item in items {
        out.extend_from_slice(format!("${}\r\n{item}\r\n", item.len()).as_bytes());
    }
    out
}

fn bearer(fake: &FakeZoom, store: RedisStore, policy: RateLimitPolicy) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .retry_policy(RetryPolicy::none())
        .rate_limit_policy(policy)
        .shared_state(store)
        .build()
        .unwrap()
}

fn store(url: &str, timeout: Duration) -> RedisStore {
    RedisStore::builder(url).namespace("acct-hostile").timeout(timeout).build().unwrap()
}

/// Resident memory of this process, in KiB: (now, peak).
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_reply_without_end_costs_a_bounded_amount_of_memory() {
    let fake = FakeZoom::start().await.unwrap();
    let streamed = Arc::new(AtomicU64::new(0));
    let answer: Answer = Arc::new(|name, _| handshake(name).unwrap_or(Reply::Endless(300 << 20)));
    let url = fake_redis(answer, streamed.clone()).await;
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), RateLimitPolicy::default());
    let (before, _) = rss_kib();
    for _ in 0..3 {
        let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
        assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
        assert!(format!("{:#}", anyhow::Error::from(err)).contains("larger than 64 KiB"));
    }
    let (_, peak) = rss_kib();
    let growth = peak.saturating_sub(before);
    eprintln!(
        "a 300 MiB reply, three times: the fake streamed {} KiB; peak RSS {} KiB, {growth} KiB above the start",
        streamed.load(Ordering::Relaxed) / 1024,
        peak
    );
    // Before: the whole reply was buffered (gigabytes). The client reads at most 1 MiB ahead.
    assert!(growth < 64 * 1024, "peak RSS grew {growth} KiB");
    assert!(streamed.load(Ordering::Relaxed) < 100 << 20, "the connection was dropped, not drained");
    assert!(fake.requests().is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_never_knows_a_script_fails_typed_and_never_panics() {
    let fake = FakeZoom::start().await.unwrap();
    let answer: Answer = Arc::new(|name, _| {
        handshake(name).unwrap_or_else(|| match name {
            // A wrong hash to SCRIPT LOAD panicked redis-rs's debug_assert.
            "SCRIPT" => Reply::Bytes(bulk_array(&["0000000000000000000000000000000000000000".into()])[4..].to_vec()),
            _ => Reply::Bytes(b"-NOSCRIPT No matching script. Please use EVAL.\r\n".to_vec()),
        })
    });
    let url = fake_redis(answer, Arc::new(AtomicU64::new(0))).await;
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), RateLimitPolicy::default());
    for _ in 0..20 {
        let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
        assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
    }
    assert!(fake.requests().is_empty(), "nothing sent");
}

/// A store granting every turn `ahead` from now (its clock, microseconds).
fn granting(ahead: Duration) -> Answer {
    Arc::new(move |name, parts| {
        handshake(name).unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
            let start = now + ahead.as_micros();
            // EVALSHA <sha> <number of keys>: the pacing keys follow the three budget keys.
            let keys: usize = parts.get(2).and_then(|n| String::from_utf8_lossy(n).parse().ok()).unwrap_or(3);
            let mut items = vec!["ok".to_owned(), start.to_string(), now.to_string()];
            for _ in 3..keys {
                items.extend(["0".to_owned(), (start + 1_800_000_000).to_string()]);
            }
            Reply::Bytes(bulk_array(&items))
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_further_than_the_limits_allow_is_the_stores_error_not_a_sleep() {
    let fake = FakeZoom::start().await.unwrap();
    // Invoice details: one per 30 minutes, 100 a day, so at most 50 hours of queued turns.
    let url = fake_redis(granting(Duration::from_secs(6 * 86_400)), Arc::new(AtomicU64::new(0))).await;
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), RateLimitPolicy::default());
    let err = guarded(client.get_invoice_details().account_id("me").invoice_id("inv-1").send()).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
    assert!(format!("{:#}", anyhow::Error::from(err)).contains("later than this operation's limits"));
    // A label-paced call (Heavy, 10 a second on Pro) and a day's wait.
    let url = fake_redis(granting(Duration::from_secs(86_400)), Arc::new(AtomicU64::new(0))).await;
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), RateLimitPolicy::default());
    let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
    // With a max_wait, a correct store refuses beyond it: a longer grant is wrong too.
    let url = fake_redis(granting(Duration::from_secs(120)), Arc::new(AtomicU64::new(0))).await;
    let policy = RateLimitPolicy::default().with_max_wait(Duration::from_secs(60));
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), policy);
    let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
    assert!(fake.requests().is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_block_past_the_next_reset_is_the_stores_error() {
    let fake = FakeZoom::start().await.unwrap();
    let answer: Answer = Arc::new(|name, _| {
        handshake(name).unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros();
            let until = now + 6 * 86_400 * 1_000_000;
            Reply::Bytes(bulk_array(&["blocked".into(), until.to_string(), now.to_string()]))
        })
    });
    let url = fake_redis(answer, Arc::new(AtomicU64::new(0))).await;
    let client = bearer(&fake, store(&url, Duration::from_secs(2)), RateLimitPolicy::default());
    let err = guarded(client.list_billing_invoices().account_id("sub-1").send()).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Protocol { .. }, .. }), "{err:?}");
}

/// An S2S client whose calls each take a turn in the store (label pacing).
fn s2s(fake: &FakeZoom, store: RedisStore) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, CLIENT_SECRET)
        .retry_policy(RetryPolicy::none())
        .rate_limit_policy(RateLimitPolicy::default())
        .shared_state(store)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_is_down_fails_every_s2s_call_within_its_timeout() {
    let fake = FakeZoom::start().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let timeout = Duration::from_millis(300);
    let client = s2s(&fake, store(&format!("redis://127.0.0.1:{port}/"), timeout));
    for call in 0..6 {
        let started = std::time::Instant::now();
        let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
        let took = started.elapsed();
        assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
        // Before: the token backoff (1, 2, 4, 8 s...) held each later call.
        assert!(took < timeout + Duration::from_millis(700), "call {call} took {took:?}");
    }
    assert_eq!((fake.token_requests(), fake.requests().len()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn the_first_call_after_the_store_is_back_goes_through() {
    let mut redis = zoom_billing_tests::redis_server::RedisServer::start();
    let fake = FakeZoom::start().await.unwrap();
    let client = s2s(&fake, store(&redis.url(), Duration::from_millis(500)));
    guarded(client.get_plan_usage().account_id("me").send()).await.unwrap();
    redis.stop();
    for _ in 0..3 {
        let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
        assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    }
    redis.restart();
    assert!(redis.ping(), "redis-server answers PING again");
    guarded(client.get_plan_usage().account_id("me").send()).await.expect("the first call after the restart");
}
