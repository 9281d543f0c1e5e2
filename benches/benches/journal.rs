//! What a job's journal costs a call, on each place a journal lives: the
//! in-memory journal (tests), a SQLite file and a `redis-server` on loopback.
//! One process, sequential `get_plan_usage` calls to a local server, pacing
//! off (only the journal is measured), alternated in rounds:
//!
//! - **new**: a call the journal has not seen: the request is built once more
//!   to take its key, looked up (a miss), sent, and its answer recorded;
//! - **replayed**: the same call in a rerun of the job: looked up (a hit) and
//!   answered from the journal, nothing sent.
//!
//! Reported: p50 and p99 per call against the same calls without a job.
//! `cargo bench -p zoom-billing-benches --bench journal` (the Redis runs need
//! `redis-server`; without it the bench says so and skips them).

use std::time::{Duration, Instant};

use zoom_billing::job::MemoryJournal;
use zoom_billing::shared::{RedisStore, SharedStore, SqliteStore};
use zoom_billing::{Client, RateLimitPolicy};
use zoom_billing_benches as common;
use zoom_billing_tests::redis_server::RedisServer;
use zoom_billing_tests::stores::SqliteFile;

fn main() {
    let full = common::full_run();
    let (rounds, calls) = if full { (10, 200) } else { (1, 20) };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = common::start(common::Answers { report_size: 0, ..Default::default() });
    let redis = redis_available().then(RedisServer::start);
    if redis.is_none() {
        println!("journal bench: redis-server not found (apt-get install redis-server): no Redis runs");
    }
    let file = SqliteFile::new();
    let client = |store: Option<SharedStore>| {
        let builder = Client::builder()
            .base_url(server.base_url())
            .bearer_token(common::TOKEN)
            .rate_limit_policy(RateLimitPolicy::off());
        match store {
            Some(store) => builder.shared_state(store),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let mut places: Vec<(&str, Client, Option<MemoryJournal>)> =
        vec![("in-memory", client(None), Some(MemoryJournal::new()))];
    let sqlite = SqliteStore::builder(file.path()).namespace("bench").build().unwrap();
    places.push(("SQLite", client(Some(sqlite.into())), None));
    if let Some(redis) = &redis {
        let store = RedisStore::builder(redis.url()).namespace("bench").build().unwrap();
        places.push(("Redis", client(Some(store.into())), None));
    }
    let plain = client(None);

    // Calls `first..first + calls`, each its own request (another account id).
    let run = |client: &Client, first: usize, out: &mut Vec<Duration>| {
        rt.block_on(async {
            for i in first..first + calls {
                let started = Instant::now();
                client.get_plan_usage().account_id(format!("acct-{i}")).send().await.unwrap();
                out.push(started.elapsed());
            }
        })
    };
    let job = |client: &Client, memory: &Option<MemoryJournal>, name: &str| {
        rt.block_on(async {
            let builder = client.job(name);
            let builder = match memory {
                Some(journal) => builder.in_memory(journal),
                None => builder,
            };
            builder.start().await.unwrap()
        })
    };
    let mut without = Vec::new();
    let mut new = vec![Vec::new(); places.len()];
    let mut replayed = vec![Vec::new(); places.len()];
    // Warm up (connections, scripts, prepared statements).
    run(&plain, 0, &mut Vec::new());
    for (i, (_, client, memory)) in places.iter().enumerate() {
        let warm = job(client, memory, &format!("warm-{i}"));
        run(warm.client(), 0, &mut Vec::new());
        rt.block_on(warm.forget()).unwrap();
    }
    for round in 0..rounds {
        let first = round * calls;
        run(&plain, first, &mut without);
        for i in 0..places.len() {
            // Each round in another order, so no place always runs first.
            let i = (i + round) % places.len();
            let (_, client, memory) = &places[i];
            let name = format!("bench-{round}");
            let running = job(client, memory, &name);
            run(running.client(), first, &mut new[i]);
            rt.block_on(running.finish()).unwrap();
            let rerun = job(client, memory, &name);
            run(rerun.client(), first, &mut replayed[i]);
            rt.block_on(rerun.forget()).unwrap();
        }
    }
    let (w50, w99) = (common::quantile(&mut without, 0.5), common::quantile(&mut without, 0.99));
    println!("journal bench, {} calls each: without a job p50 {w50:?} p99 {w99:?}", without.len());
    for (i, (name, _, _)) in places.iter().enumerate() {
        let (n50, n99) = (common::quantile(&mut new[i], 0.5), common::quantile(&mut new[i], 0.99));
        let (r50, r99) = (common::quantile(&mut replayed[i], 0.5), common::quantile(&mut replayed[i], 0.99));
        println!(
            "  {name}: new call p50 {n50:?} p99 {n99:?} (added p50 {:?} p99 {:?}); replayed p50 {r50:?} p99 {r99:?}",
            n50.saturating_sub(w50),
            n99.saturating_sub(w99),
        );
    }
}

fn redis_available() -> bool {
    std::process::Command::new("redis-server")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
