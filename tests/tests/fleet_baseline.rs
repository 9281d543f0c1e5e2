//! The baseline a shared store must fix: four OS processes (`fleet-worker`)
//! of one S2S app, each with its own state, on one fake Zoom that behaves
//! like Zoom (one valid token per app, the spec's limits enforced at 1800x).
//! Every process renews the token the others hold (thrash) and spends the
//! account's limits as if it had them alone (429s). Real time, ~5 s.

use fake_zoom::{FakeZoom, LimitConfig};

const WORKERS: usize = 4;
const SCALE: f64 = 1800.0;
const SECONDS: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_process_state_thrashes_the_token_and_overspends() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_limits(LimitConfig { enforce: true, time_scale: SCALE, ..LimitConfig::default() });
    let totals = zoom_billing_tests::fleet::run_workers(
        env!("CARGO_BIN_EXE_fleet-worker"),
        WORKERS,
        &[fake.base_url(), fake.oauth_host(), SCALE.to_string(), SECONDS.to_string()],
    )
    .await;
    let listed = fake.requests_to("/billing/invoices").iter().filter(|r| r.path.ends_with("/invoices")).count();
    let over_daily = fake.rate_limited_daily();
    eprintln!(
        "baseline, {WORKERS} processes with per-process state, {SECONDS} s at {SCALE}x: calls ok {}, 429 seen by workers {}, \
         refused by local budgets {}, other errors {}; fake: token requests {}, 401s {}, 429s {} (daily {over_daily}), \
         list_billing_invoices requests {listed} (daily limit 6 per accountId, 401s included)",
        totals.ok,
        totals.rate_limited,
        totals.budget_exhausted,
        totals.other,
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
