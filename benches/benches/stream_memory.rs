//! Streaming memory: download a 256 MiB invoice report from a loopback server to a file and report
//! how much the peak resident memory of the process grew (`VmHWM` of `/proc/self/status`, the
//! figure `getrusage` reports as `ru_maxrss`), against the same download read whole with
//! `reqwest::Response::bytes()`. Goal: growth under 16 MiB, whatever the file size.
//!
//! Each variant runs in its own process (this binary re-runs itself with `--variant NAME`), so
//! the peaks never mix. `ZOOM_BENCH_REPORT_MIB` changes the size (default 256).
//!
//! `cargo bench -p zoom-billing-benches --bench stream_memory`

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use zoom_billing::Client;
use zoom_billing_benches as common;

const VARIANTS: [(&str, &str); 2] = [
    ("zoom-billing stream", "`DownloadInvoiceReport::save_to`: streamed to a temporary file, renamed"),
    ("reqwest bytes()", "raw reqwest, body read whole with `bytes()`, then written"),
];

/// Peak and current resident set size in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn report_size() -> u64 {
    let mib = std::env::var("ZOOM_BENCH_REPORT_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(256u64);
    mib << 20
}

/// Runs one variant in this process and prints `RESULT <growth KiB> <seconds>`.
fn child(variant: usize) {
    let size = report_size();
    let server = common::start(common::Answers { report_size: size, ..Default::default() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{variant}.csv"));
    let client = Client::builder().base_url(server.base_url()).bearer_token(common::TOKEN).build().unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/accounts/billing/invoice_reports/r1", server.base_url());
    // Warm up both paths (connection pool, runtime threads, allocator arenas) on a small answer.
    rt.block_on(async {
        client.get_billing_information().account_id("me").send().await.unwrap();
        http.get(format!("{}/accounts/me/billing", server.base_url()))
            .bearer_auth(common::TOKEN)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    });
    let (before, _) = memory_kib();
    let started = Instant::now();
    let written = rt.block_on(async {
        if variant == 0 {
            client.download_invoice_report().invoice_report_id("r1").save_to(&path).await.unwrap()
        } else {
            let body = http.get(&url).bearer_auth(common::TOKEN).send().await.unwrap().bytes().await.unwrap();
            let mut file = tokio::fs::File::create(&path).await.unwrap();
            file.write_all(&body).await.unwrap();
            file.flush().await.unwrap();
            body.len() as u64
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let (after, _) = memory_kib();
    assert_eq!(written, size, "short download");
    assert_eq!(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0), size);
    let _ = std::fs::remove_file(&path);
    println!("RESULT {} {seconds}", after.saturating_sub(before));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--variant") {
        child(args[i + 1].parse().unwrap());
        return;
    }
    if !common::full_run() {
        // `cargo test --benches`: a 4 MiB download through each variant.
        for variant in 0..VARIANTS.len() {
            let status = Command::new(std::env::current_exe().unwrap())
                .args(["--variant", &variant.to_string()])
                .env("ZOOM_BENCH_REPORT_MIB", "4")
                .status()
                .unwrap();
            assert!(status.success());
        }
        return;
    }
    let size = report_size();
    println!("streaming memory: {} MiB invoice report over loopback to a file; peak RSS growth (VmHWM)", size >> 20);
    let mut growth = Vec::new();
    for (variant, (name, what)) in VARIANTS.iter().enumerate() {
        let output =
            Command::new(std::env::current_exe().unwrap()).args(["--variant", &variant.to_string()]).output().unwrap();
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).expect("RESULT line");
        let mut parts = line.split_whitespace();
        let kib: u64 = parts.next().unwrap().parse().unwrap();
        let seconds: f64 = parts.next().unwrap().parse().unwrap();
        println!(
            "  {name:<20} peak growth {:>8.1} MiB   {:>6.0} MiB/s   ({what})",
            kib as f64 / 1024.0,
            (size >> 20) as f64 / seconds
        );
        growth.push(kib as f64);
    }
    let goal = if growth[0] < 16.0 * 1024.0 { "met" } else { "MISSED" };
    println!("  ratio stream / bytes(): {:.3}; goal: stream growth < 16 MiB: {goal}", growth[0] / growth[1].max(1.0));
}
