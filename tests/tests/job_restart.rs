//! A month-end job over 50 sub accounts (the `month-end` program) on the
//! fake-zoom program with Zoom's limits enforced at 3600x (one invoice
//! detail or PDF per 0.5 s), on each store:
//!
//! - killed with SIGKILL at 5 random points and started again each time, it
//!   ends with the same files as an uninterrupted run, the invoice report
//!   generated once, no more API requests than the uninterrupted run's plus
//!   the number of kills, no 429, and a makespan within 1.05x the floor
//!   Zoom's limits allow, plus what each restart costs (one pacing slot and
//!   the process's start);
//! - two copies started at once: one runs it, the other is told who holds it.
//!
//! The random points come from a seed printed by the test (set
//! `JOB_RESTART_SEED` to replay one). The tests run one at a time (the
//! makespans are measured on 2 cores). Real time, about 80 s per store.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zoom_billing::job::Workload;
use zoom_billing::{Operation, RateLimitPolicy};
use zoom_billing_tests::fleet::FakeProcess;
use zoom_billing_tests::stores::Backing;

const ACCOUNTS: usize = 50;
const SCALE: f64 = 3600.0;
const KILLS: usize = 5;

/// One test at a time: each measures a makespan.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_end_job_killed_five_times_on_sqlite_ends_as_an_uninterrupted_run() {
    killed_and_restarted(Backing::sqlite, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn a_month_end_job_killed_five_times_on_redis_ends_as_an_uninterrupted_run() {
    killed_and_restarted(Backing::redis, "redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_copies_on_sqlite_run_the_job_once() {
    two_copies(Backing::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
async fn two_copies_on_redis_run_the_job_once() {
    two_copies(Backing::redis()).await;
}

/// The fake's world: sub accounts `sub-1`... each with one November invoice `inv-k`.
fn seed(dir: &Path) -> PathBuf {
    let date = zoom_billing::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    let mut world = fake_zoom::World::standard();
    for k in 1..=ACCOUNTS {
        let total = fake_zoom::Amount::from(100 + k as u32);
        let invoice = fake_zoom::Invoice::new(&format!("inv-{k}"), date, total).number(&format!("INV{k:08}"));
        world = world.account(fake_zoom::Account::new(&format!("sub-{k}")).invoice(invoice));
    }
    let path = dir.join("world.json");
    std::fs::write(&path, serde_json::to_vec(&world).unwrap()).unwrap();
    path
}

/// A fresh directory under the system's temporary one.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("zb-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fake(seed: &Path) -> FakeProcess {
    let seed = seed.display().to_string();
    let args = ["--enforce-limits", "--time-scale", "3600", "--tolerance", "0.3", "--seed", seed.as_str()];
    FakeProcess::start(env!("CARGO_BIN_EXE_fleet-fake-zoom"), &args)
}

/// One run of the program.
fn spawn(fake: &FakeProcess, store: &str, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_month-end"))
        .args([
            &fake.base_url,
            &fake.origin(),
            &SCALE.to_string(),
            store,
            &out.display().to_string(),
            &ACCOUNTS.to_string(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start month-end")
}

/// Wait for a run to end (bounded); its exit code and stderr.
async fn finish(mut child: Child) -> (i32, String) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return (status.code().unwrap_or(-1), stderr);
        }
        assert!(Instant::now() < deadline, "month-end did not finish within 180 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The files a run left (temporary ones aside), with their bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .filter(|(name, _)| !name.ends_with(".part") && name != "world.json")
        .map(|(name, path)| (name, std::fs::read(path).unwrap()))
        .collect();
    files.sort();
    files
}

/// What the fake counted.
struct Counted {
    api: u64,
    generated: u64,
    rate_limited: u64,
}

async fn counted(fake: &FakeProcess) -> Counted {
    let stats = fake.stats(&fake.origin()).await;
    let n = |value: &serde_json::Value| value.as_u64().unwrap_or(0);
    Counted {
        api: n(&stats["api_requests"]),
        generated: n(&stats["requests_by_operation"]["generate_invoice_report"]),
        rate_limited: n(&stats["rate_limited"]),
    }
}

/// The floor Zoom's limits (at 3600x) set on the program's workload.
fn floor() -> Duration {
    let workload = Workload::new()
        .calls(Operation::GenerateInvoiceReport, 1, 1)
        .calls(Operation::ListBillingInvoices, 1, ACCOUNTS as u64)
        .calls(Operation::GetInvoiceDetails, 1, ACCOUNTS as u64)
        .calls(Operation::DownloadInvoiceFile, 1, ACCOUNTS as u64);
    let floor = workload.floor(&RateLimitPolicy::default().with_time_scale(SCALE), chrono::Utc::now());
    eprintln!("floor: {floor}");
    floor.total
}

/// A small deterministic generator for the kill points (xorshift64*).
struct Random(u64);

impl Random {
    fn between(&mut self, low: Duration, high: Duration) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let unit = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
        low + (high - low).mul_f64(unit)
    }
}

async fn killed_and_restarted(backing: fn() -> Backing, kind: &str) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = temp_dir("job-restart");
    let seed_file = seed(&dir);
    let floor = floor();
    let slot = Duration::from_secs(1800).div_f64(SCALE);

    // The uninterrupted run.
    let (store, fake_zoom, out) = (backing(), fake(&seed_file), dir.join("uninterrupted"));
    std::fs::create_dir_all(&out).unwrap();
    let started = Instant::now();
    let (code, stderr) = finish(spawn(&fake_zoom, &store.location(), &out)).await;
    let uninterrupted = started.elapsed();
    assert_eq!(code, 0, "{stderr}");
    let reference = counted(&fake_zoom).await;
    drop((fake_zoom, store));

    // Killed at 5 random points, started again each time.
    let seed: u64 = std::env::var("JOB_RESTART_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    let mut random = Random(seed);
    let (store, fake_zoom, out) = (backing(), fake(&seed_file), dir.join("killed"));
    std::fs::create_dir_all(&out).unwrap();
    let started = Instant::now();
    let mut respawning = Duration::ZERO;
    let mut child = spawn(&fake_zoom, &store.location(), &out);
    for kill in 1..=KILLS {
        tokio::time::sleep(random.between(Duration::from_millis(300), Duration::from_millis(3500))).await;
        if child.try_wait().unwrap().is_some() {
            let (code, stderr) = finish(child).await;
            panic!("the job ended (exit {code}) before kill {kill} (seed {seed}): {stderr}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let at = Instant::now();
        child = spawn(&fake_zoom, &store.location(), &out);
        respawning += at.elapsed();
    }
    let (code, stderr) = finish(child).await;
    let makespan = started.elapsed();
    assert_eq!(code, 0, "{stderr}");
    let killed = counted(&fake_zoom).await;

    let allowance = (slot + respawning.div_f64(KILLS as f64)) * KILLS as u32;
    eprintln!(
        "{kind}: floor {:.2} s; uninterrupted {:.2} s ({:.3}x the floor), {} API requests; killed {KILLS} times \
         (seed {seed}): {:.2} s ({:.3}x the floor plus {:.2} s for the restarts), {} API requests, reports generated {}, 429s {}",
        floor.as_secs_f64(),
        uninterrupted.as_secs_f64(),
        uninterrupted.as_secs_f64() / floor.as_secs_f64(),
        reference.api,
        makespan.as_secs_f64(),
        (makespan.saturating_sub(allowance)).as_secs_f64() / floor.as_secs_f64(),
        allowance.as_secs_f64(),
        killed.api,
        killed.generated,
        killed.rate_limited,
    );
    assert_eq!(files(&dir.join("killed")), files(&dir.join("uninterrupted")), "the same files (seed {seed})");
    assert_eq!(files(&dir.join("killed")).len(), 2 * ACCOUNTS + 1);
    assert_eq!((reference.generated, killed.generated), (1, 1), "the report generated once (seed {seed})");
    assert!(killed.api <= reference.api + KILLS as u64, "{} > {} + {KILLS} (seed {seed})", killed.api, reference.api);
    assert_eq!((reference.rate_limited, killed.rate_limited), (0, 0), "no 429 (seed {seed})");
    assert!(uninterrupted <= floor.mul_f64(1.05), "uninterrupted {uninterrupted:?} against the floor {floor:?}");
    assert!(makespan <= floor.mul_f64(1.05) + allowance, "{makespan:?} (seed {seed})");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn two_copies(store: Backing) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = temp_dir("job-two-copies");
    let seed_file = seed(&dir);
    let fake_zoom = fake(&seed_file);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (one, two) = (spawn(&fake_zoom, &store.location(), &out), spawn(&fake_zoom, &store.location(), &out));
    let (first, second) = (finish(one).await, finish(two).await);
    let mut codes = [first.0, second.0];
    codes.sort_unstable();
    assert_eq!(codes, [0, 3], "one runs it, one is refused: {first:?} {second:?}");
    let refused = if first.0 == 3 { &first.1 } else { &second.1 };
    assert!(refused.contains("job `month-end-2026-11` is being run by "), "{refused}");
    assert!(refused.contains(" since 20"), "{refused}");
    eprintln!("the second copy said: {}", refused.trim());
    let counted = counted(&fake_zoom).await;
    assert_eq!(counted.generated, 1);
    assert_eq!(counted.rate_limited, 0);
    assert_eq!(files(&out).len(), 2 * ACCOUNTS + 1);
    let _ = std::fs::remove_dir_all(&dir);
}
