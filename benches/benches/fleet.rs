//! Fleet efficiency against Zoom's limit, and what the shared store adds to a call, for each
//! store: a `redis-server` (many hosts) and a SQLite file (one host).
//!
//! 1. **Efficiency.** 8 OS processes (this binary, re-run as workers) share one label-paced
//!    operation (`get_plan_usage`, Heavy) through one store, against fake-zoom
//!    enforcing the label's rate with Zoom's 429. Each worker calls as fast as the pacer lets it
//!    for a fixed time. Reported: the aggregate rate the fake accepted ÷ the rate it allows, and
//!    its 429s (goal: ≥ 0.95 with 0). The client paces at 97% of the allowed rate: the 3% is the
//!    headroom for the jitter between a send leaving the client and arriving at Zoom.
//! 2. **Latency.** One process, sequential calls, the label paced at a rate it never reaches (so
//!    every call reserves and commits a turn without waiting): per-call latency with the
//!    in-memory state against each store, p50 and p99, alternated in rounds.
//!
//! The Redis runs need `redis-server` (apt-get install redis-server); without it the bench says
//! so and runs the SQLite ones only.
//! `cargo bench -p zoom-billing-benches --bench fleet`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_zoom::{FakeZoom, LimitConfig};
use zoom_billing::metadata::RateLimitLabel;
use zoom_billing::shared::{RedisStore, SharedStore, SqliteStore};
use zoom_billing::{Client, RateLimitPolicy, RetryPolicy};
use zoom_billing_benches as common;
use zoom_billing_tests::redis_server::RedisServer;
use zoom_billing_tests::stores::SqliteFile;

/// The rate the fake allows for the Heavy label, requests per second.
const ALLOWED: f64 = 100.0;
/// The share of it the clients pace at.
const HEADROOM: f64 = 0.97;

fn main() {
    if let Ok(role) = std::env::var("ZB_FLEET_BENCH_WORKER") {
        worker(&role);
        return;
    }
    let full = common::full_run();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let redis = redis_available().then(RedisServer::start);
    if redis.is_none() {
        println!("fleet bench: redis-server not found (apt-get install redis-server): the SQLite store only");
    }
    let file = SqliteFile::new();
    let mut stores = vec![format!("sqlite:{}", file.path().display())];
    stores.extend(redis.as_ref().map(|r| format!("redis:{}", r.url())));
    let (workers, seconds) = if full { (8, 10.0) } else { (2, 1.0) };
    for store in &stores {
        efficiency(&rt, store, workers, seconds);
    }
    latency(&rt, &stores, if full { 15 } else { 1 }, if full { 200 } else { 20 });
}

/// A store from its description: `redis:URL` or `sqlite:PATH`, under `namespace` when given.
fn open_store(store: &str, namespace: Option<&str>) -> SharedStore {
    match store.split_once(':') {
        Some(("redis", url)) => match namespace {
            Some(ns) => RedisStore::builder(url).namespace(ns).build().unwrap().into(),
            None => RedisStore::new(url).unwrap().into(),
        },
        Some(("sqlite", path)) => match namespace {
            Some(ns) => SqliteStore::builder(path).namespace(ns).build().unwrap().into(),
            None => SqliteStore::open(path).unwrap().into(),
        },
        _ => panic!("unknown store {store}"),
    }
}

/// What the bench prints for a store: its kind.
fn kind(store: &str) -> &str {
    if store.starts_with("redis:") { "Redis" } else { "SQLite" }
}

fn redis_available() -> bool {
    Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn efficiency(rt: &tokio::runtime::Runtime, store: &str, workers: usize, seconds: f64) {
    let fake = rt.block_on(FakeZoom::start()).unwrap();
    fake.set_limits(LimitConfig {
        enforce: true,
        label_rates: vec![("Heavy".into(), ALLOWED)],
        ..LimitConfig::default()
    });
    let exe = std::env::current_exe().unwrap();
    let role = format!("{}|{}|{}|{}", fake.base_url(), fake.oauth_host(), store, seconds);
    let children: Vec<_> = (0..workers)
        .map(|_| {
            Command::new(&exe)
                .env("ZB_FLEET_BENCH_WORKER", &role)
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a worker")
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut window = (f64::MAX, 0.0f64);
    let mut ok = 0u64;
    let mut failed = 0u64;
    for output in &outputs {
        assert!(output.status.success(), "worker failed: {output:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<f64> = text.trim().split(' ').map(|f| f.parse().unwrap()).collect();
        let [calls, errors, first, last] = fields[..] else { panic!("worker said {text}") };
        ok += calls as u64;
        failed += errors as u64;
        window = (window.0.min(first), window.1.max(last));
    }
    let accepted = fake.requests_to("/plans/usage").len() as f64 - fake.rate_limited() as f64;
    let span = window.1 - window.0;
    // The first call of the fleet starts the clock: n calls span n - 1 intervals.
    let rate = (accepted - 1.0).max(0.0) / span;
    println!(
        "fleet efficiency on {}: {workers} processes, {seconds} s, Heavy label allowed {ALLOWED}/s, paced at {:.0}%: \
         {accepted} accepted in {span:.3} s = {rate:.2}/s, rate / allowed = {:.3}; 429s {}; calls ok {ok}, failed {failed}",
        kind(store),
        HEADROOM * 100.0,
        rate / ALLOWED,
        fake.rate_limited(),
    );
    assert_eq!(fake.rate_limited(), 0, "the fleet must stay under the limit");
}

/// One worker: calls for `seconds`, then prints `ok errors first_send_unix last_send_unix`.
fn worker(role: &str) {
    let [base, oauth, store, seconds] = role.split('|').collect::<Vec<_>>()[..] else { panic!("bad role {role}") };
    let seconds: f64 = seconds.parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = Client::builder()
        .base_url(base)
        .oauth_host(oauth)
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, ALLOWED * HEADROOM))
        .retry_policy(RetryPolicy::none())
        .shared_state(open_store(store, None))
        .build()
        .unwrap();
    let (ok, errors, first, last) = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let (mut ok, mut errors) = (0u64, 0u64);
        let (mut first, mut last) = (f64::MAX, 0.0f64);
        while Instant::now() < deadline {
            let result = client.get_plan_usage().account_id("me").send().await;
            let now = unix_now();
            match result {
                Ok(_) => {
                    ok += 1;
                    first = first.min(now);
                    last = last.max(now);
                }
                Err(e) => {
                    eprintln!("worker: {e}");
                    errors += 1;
                }
            }
        }
        (ok, errors, first, last)
    });
    println!("{ok} {errors} {first} {last}");
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

fn latency(rt: &tokio::runtime::Runtime, stores: &[String], rounds: usize, calls: usize) {
    let server = common::start(common::Answers { report_size: 0, ..Default::default() });
    // Paced, at a rate never reached: each call takes and commits a turn, none waits.
    let policy = RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 1e6);
    let build = |store: Option<&String>| {
        let builder =
            Client::builder().base_url(server.base_url()).bearer_token(common::TOKEN).rate_limit_policy(policy.clone());
        let builder = match store {
            Some(store) => builder.shared_state(open_store(store, Some("bench"))),
            None => builder,
        };
        builder.build().unwrap()
    };
    let mut clients = vec![("in-memory", build(None))];
    clients.extend(stores.iter().map(|store| (kind(store), build(Some(store)))));
    let run = |client: &Client, out: &mut Vec<Duration>| {
        rt.block_on(async {
            for _ in 0..calls {
                let started = Instant::now();
                client.get_plan_usage().account_id("me").send().await.unwrap();
                out.push(started.elapsed());
            }
        });
    };
    // Warm up each (connections, script cache, prepared statements).
    for (_, client) in &clients {
        run(client, &mut Vec::new());
    }
    let mut samples = vec![Vec::new(); clients.len()];
    for round in 0..rounds {
        // Each round in another order, so no client always runs first.
        for i in 0..clients.len() {
            let i = (i + round) % clients.len();
            run(&clients[i].1, &mut samples[i]);
        }
    }
    let quantiles: Vec<(Duration, Duration)> =
        samples.iter_mut().map(|s| (common::quantile(s, 0.5), common::quantile(s, 0.99))).collect();
    let (m50, m99) = quantiles[0];
    for ((name, _), (p50, p99)) in clients.iter().zip(&quantiles).skip(1) {
        println!(
            "store latency, {} sequential calls each: in-memory p50 {m50:?} p99 {m99:?}; {name} p50 {p50:?} p99 \
             {p99:?}; added p50 {:?} p99 {:?}",
            samples[0].len(),
            p50.saturating_sub(m50),
            p99.saturating_sub(m99),
        );
    }
}
