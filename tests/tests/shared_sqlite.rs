//! What only the SQLite store has: a file on the host that processes open,
//! die holding, and remove. Processes killed with SIGKILL in the middle of a
//! call (the `one-call` program) lose no unit and leave no lock held past its
//! expiry; a file removed while in use fails calls typed and unsent; a file
//! others can read is refused with the fix. The behaviour every store shares
//! is tests/shared_state.rs. Real time, real processes, each bounded.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_zoom::{FakeZoom, Fault};
use zoom_billing::shared::SqliteStore;
use zoom_billing::{Client, Error, RateLimitPolicy, StoreError};
use zoom_billing_tests::stores::{SqliteFile, invoices_listed, list_invoices, s2s_client};

/// Start `one-call` on `file` for `operation` at `scale`.
fn one_call(fake: &FakeZoom, file: &SqliteFile, operation: &str, scale: f64) -> Child {
    // The file exists before the process starts, so the test can watch it at once.
    drop(SqliteStore::open(file.path()).expect("the state file"));
    spawn_one_call(fake, file, operation, scale)
}

fn spawn_one_call(fake: &FakeZoom, file: &SqliteFile, operation: &str, scale: f64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_one-call"))
        .args([fake.base_url(), fake.oauth_host()])
        .arg(file.path())
        .args([operation, &scale.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("start one-call")
}

/// Wait (at most 10 s) until `query` on the state file counts at least one row.
fn wait_for_row(file: &SqliteFile, query: &str) {
    let reader = rusqlite::Connection::open(file.path()).expect("open the state file");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: i64 = reader.query_row(query, [], |row| row.get(0)).unwrap_or(0);
        if rows > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "no row for `{query}` within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigkill(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// A client with operation pacing off: it sends at once, counted by the same budget.
fn unpaced(fake: &FakeZoom, file: &SqliteFile) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default().with_operation_pacing(false))
        .shared_state(SqliteStore::open(file.path()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_on_a_new_file_all_open_it() {
    // They race to make the file WAL and to make its tables; SQLite refuses some lock
    // upgrades at once rather than wait (a fleet test's worker once failed so).
    let fake = FakeZoom::start().await.unwrap();
    for _ in 0..5 {
        let file = SqliteFile::new();
        std::fs::create_dir_all(file.path().parent().unwrap()).unwrap();
        let children: Vec<Child> = (0..8).map(|_| spawn_one_call(&fake, &file, "usage", 1000.0)).collect();
        for mut child in children {
            assert!(child.wait().expect("reaped").success(), "every process opened the new file");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_waiting_for_its_turn_holds_its_unit_only_until_it_expires() {
    let fake = FakeZoom::start().await.unwrap();
    let file = SqliteFile::new();
    // One list call now: the next turn is 5 minutes away (real time).
    let first = s2s_client(&fake, SqliteStore::open(file.path()).unwrap(), 1.0);
    list_invoices(&first).await.unwrap();
    // A process reserves that turn (a pending unit of the day's 6) and waits; it is killed.
    let child = one_call(&fake, &file, "list", 1.0);
    wait_for_row(&file, "SELECT count(*) FROM pending");
    sigkill(child);
    // The file is not left locked, and the dead call's unit is still counted: 6 - 1 sent
    // - 1 pending leaves 4.
    let other = unpaced(&fake, &file);
    let started = Instant::now();
    for _ in 0..4 {
        list_invoices(&other).await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(5), "no lock held: {:?}", started.elapsed());
    assert!(matches!(list_invoices(&other).await, Err(Error::BudgetExhausted { limit: 6, .. })));
    // Its reservation expires (the store's clock passes its grace): the unit comes back.
    let writer = rusqlite::Connection::open(file.path()).unwrap();
    assert_eq!(writer.execute("UPDATE pending SET until = 0", []).unwrap(), 1, "one dead reservation");
    list_invoices(&other).await.unwrap();
    assert!(matches!(list_invoices(&other).await, Err(Error::BudgetExhausted { .. })));
    assert_eq!(invoices_listed(&fake), 6, "the day's six, none lost and none doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_renewing_the_token_holds_the_lock_only_until_it_expires() {
    let fake = FakeZoom::start().await.unwrap();
    let file = SqliteFile::new();
    // The token endpoint answers the first request after 30 s: the process holds the renewal
    // lock (7 s: its 2 s timeout and 5 s) while it waits, and is killed.
    fake.inject(Fault::delay(Duration::from_secs(30)).path_contains("/oauth/token").times(1)).unwrap();
    let child = one_call(&fake, &file, "usage", 1.0);
    wait_for_row(&file, "SELECT count(*) FROM kv WHERE key LIKE '%:lock'");
    // Killed once its token request is at the fake (held there), not before it is sent.
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.token_requests() == 0 {
        assert!(Instant::now() < deadline, "the token request did not arrive within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sigkill(child);
    let started = Instant::now();
    let client = s2s_client(&fake, SqliteStore::open(file.path()).unwrap(), 1.0);
    client.get_plan_usage().account_id("me").send().await.unwrap();
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(9), "the dead process's lock expired within its 7 s: {waited:?}");
    assert_eq!(fake.token_requests(), 2, "the dead process's request and the renewal after it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_when_its_process_is_killed_stays_counted() {
    let fake = FakeZoom::start().await.unwrap();
    let file = SqliteFile::new();
    fake.inject(Fault::delay(Duration::from_secs(30)).operation("list_billing_invoices").times(1)).unwrap();
    let child = one_call(&fake, &file, "list", 1.0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while invoices_listed(&fake) == 0 {
        assert!(Instant::now() < deadline, "the request did not arrive within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sigkill(child);
    // Zoom may have served it: its unit stays spent. Five more fit in the day's six.
    let other = unpaced(&fake, &file);
    for _ in 0..5 {
        list_invoices(&other).await.unwrap();
    }
    assert!(matches!(list_invoices(&other).await, Err(Error::BudgetExhausted { limit: 6, .. })));
    assert_eq!(invoices_listed(&fake), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_removed_while_in_use_fails_calls_typed_and_unsent() {
    let fake = FakeZoom::start().await.unwrap();
    let file = SqliteFile::new();
    let client = s2s_client(&fake, SqliteStore::open(file.path()).unwrap(), 600.0);
    list_invoices(&client).await.unwrap();
    std::fs::remove_file(file.path()).unwrap();
    let err = list_invoices(&client).await.unwrap_err();
    assert!(matches!(&err, Error::SharedState { source: StoreError::Unavailable { .. }, .. }), "{err:?}");
    let shown = format!("{:#}", anyhow::Error::from(err));
    assert!(shown.contains("the file is gone"), "{shown}");
    assert_eq!(invoices_listed(&fake), 1, "nothing sent without the store");
}

#[cfg(unix)]
#[test]
fn a_state_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let file = SqliteFile::new();
    drop(SqliteStore::open(file.path()).unwrap());
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = SqliteStore::open(file.path()).unwrap_err();
    let shown = format!("{:#}", anyhow::Error::from(err));
    let path = file.path().display().to_string();
    assert!(
        shown.contains(&path) && shown.contains("mode 640") && shown.contains(&format!("chmod 600 {path}")),
        "{shown}"
    );
}
