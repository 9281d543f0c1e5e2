//! The fleet with shared state: four OS processes (`fleet-worker`) of one
//! S2S app share one fake Zoom, itself a process (the `fake-zoom` program:
//! the spec's limits enforced at 1800x, 4 s tokens, counters read from
//! `GET /fake/stats`), and one store: a real `redis-server` started here on a
//! free port (many hosts), or a SQLite file (one host). The
//! same workload as `fleet_baseline.rs`, which shows what per-process state
//! does to it: here no 429, no 401 caused by the fleet, one token request
//! per token reuse period for the whole fleet, and the daily budget never
//! exceeded in total. Real time, ~6 s.

use std::time::Instant;

use zoom_billing_tests::fleet::FakeProcess;
use zoom_billing_tests::stores::Backing;

const WORKERS: usize = 4;
const SCALE: f64 = 1800.0;
const SECONDS: u64 = 5;
/// Token lifetime at the fake; the client reuses a token this short for half of it.
const TOKEN_LIFETIME: u64 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_fleet_on_redis_gets_no_429_no_thrash_and_keeps_the_budget() {
    a_fleet_on_shared_state_gets_no_429_no_thrash_and_keeps_the_budget(Backing::redis()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_on_one_sqlite_file_gets_no_429_no_thrash_and_keeps_the_budget() {
    a_fleet_on_shared_state_gets_no_429_no_thrash_and_keeps_the_budget(Backing::sqlite()).await;
}

async fn a_fleet_on_shared_state_gets_no_429_no_thrash_and_keeps_the_budget(backing: Backing) {
    // A 50% tolerance on the minimum intervals (83 ms on list_billing_invoices' scaled 167 ms):
    // on a 2-core machine running four workers, the fake, Redis and the test, a process can be
    // held that long between its committed turn and the fake reading its request (at 30%, 50 ms,
    // two of five full test-suite runs saw 4-6 such 429s), which is not what this test measures
    // (at Zoom's real intervals, minutes, it is nothing). Four processes pacing themselves apart
    // arrive ~42 ms apart on average and are still caught.
    let fake = FakeProcess::start(
        env!("CARGO_BIN_EXE_fleet-fake-zoom"),
        &[
            "--enforce-limits",
            "--time-scale",
            &SCALE.to_string(),
            "--tolerance",
            "0.5",
            "--token-lifetime",
            &TOKEN_LIFETIME.to_string(),
        ],
    );
    let (base_url, oauth_host) = (fake.base_url.clone(), fake.base_url.trim_end_matches("/v2").to_owned());
    let started = Instant::now();
    let totals = zoom_billing_tests::fleet::run_workers(
        env!("CARGO_BIN_EXE_fleet-worker"),
        WORKERS,
        &[base_url.clone(), oauth_host.clone(), SCALE.to_string(), SECONDS.to_string(), backing.location()],
    )
    .await;
    let elapsed = started.elapsed();
    let stats = fake.stats(&oauth_host).await;
    let count = |key: &str| stats[key].as_u64().unwrap_or_else(|| panic!("{key} in {stats}"));
    let (tokens, unauthorized, rate_limited) = (count("token_requests"), count("unauthorized"), count("rate_limited"));
    let listed = stats["requests_by_path"]["/v2/accounts/sub-1/billing/invoices"].as_u64().unwrap_or(0);
    // Reused for half of the 4 s lifetime: at most one request per 2 s of the run, and one more
    // for a renewal falling at its very end.
    let periods = elapsed.as_secs_f64() / (TOKEN_LIFETIME as f64 / 2.0);
    eprintln!(
        "shared state on {}, {WORKERS} processes, {SECONDS} s at {SCALE}x ({:.1} s with start-up): calls ok {}, 429 seen by \
         workers {}, refused by the shared budget {}, other errors {}; fake: token requests {tokens} ({periods:.1} reuse \
         periods), 401s {}, 429s {}, list_billing_invoices requests {listed} (daily limit 6 per accountId)",
        backing.kind(),
        elapsed.as_secs_f64(),
        totals.ok,
        totals.rate_limited,
        totals.budget_exhausted,
        totals.other,
        unauthorized,
        rate_limited,
    );
    assert_eq!(rate_limited, 0, "shared pacing and budgets: no 429");
    assert_eq!(unauthorized, 0, "no worker's renewal knocked out a token another was using");
    assert!(tokens as f64 <= periods.ceil() + 1.0, "one token request per reuse period for the fleet: {tokens}");
    assert!(listed <= 6, "the daily budget is the account's, not each process's: {listed} list requests");
    assert!(totals.budget_exhausted > 0, "the workers wanted more than the budget");
    assert_eq!(totals.other, 0, "no other error");
    assert!(totals.ok > 0);
}
