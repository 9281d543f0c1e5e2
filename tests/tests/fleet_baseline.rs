//! The baseline a shared store must fix: four OS processes (`fleet-worker`)
//! of one S2S app, each with its own state, on one fake Zoom that behaves
//! like Zoom (one valid token per app, the spec's limits enforced at 1800x).
//! Every process renews the token the others hold (thrash) and spends the
//! account's limits as if it had them alone (429s). Real time, ~5 s.

use std::process::{Command, Stdio};
use std::time::Duration;

use fake_zoom::{FakeZoom, LimitConfig};
use serde_json::Value;

const WORKERS: usize = 4;
const SCALE: f64 = 1800.0;
const SECONDS: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_process_state_thrashes_the_token_and_overspends() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_limits(LimitConfig { enforce: true, time_scale: SCALE, ..LimitConfig::default() });
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_fleet-worker"))
                .args([fake.base_url(), fake.oauth_host(), SCALE.to_string(), SECONDS.to_string()])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || {
            children.into_iter().map(|c| c.wait_with_output().unwrap()).collect::<Vec<_>>()
        }),
    )
    .await
    .expect("the workers finish")
    .unwrap();
    let mut totals = [0u64; 4];
    for output in &outputs {
        assert!(output.status.success(), "{output:?}");
        let line: Value = serde_json::from_slice(&output.stdout).unwrap();
        for (total, key) in totals.iter_mut().zip(["ok", "rate_limited", "budget_exhausted", "other"]) {
            *total += line[key].as_u64().unwrap();
        }
    }
    let listed = fake.requests_to("/billing/invoices").iter().filter(|r| r.path.ends_with("/invoices")).count();
    let over_daily = fake.rate_limited_daily();
    eprintln!(
        "baseline, {WORKERS} processes with per-process state, {SECONDS} s at {SCALE}x: calls ok {}, 429 seen by workers {}, \
         refused by local budgets {}, other errors {}; fake: token requests {}, 401s {}, 429s {} (daily {over_daily}), \
         list_billing_invoices requests {listed} (daily limit 6 per accountId, 401s included)",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        fake.token_requests(),
        fake.unauthorized(),
        fake.rate_limited(),
    );
    assert!(fake.token_requests() > WORKERS, "each renewal knocks another worker's token out");
    assert!(fake.unauthorized() > 0);
    // 429s from per-process pacing show in most runs, but the thrash can leave too few
    // authorised requests for them: printed, not asserted.
    // Each process believes it has the whole daily budget: together they send more than the
    // account's 6 (Zoom answers the excess with daily 429s, or 401s when the token thrashes).
    assert!(listed > 6, "each process believes it has the whole daily budget: {listed} list requests");
}
