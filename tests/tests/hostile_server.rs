//! The client against hostile API servers on loopback (issue 9): endless
//! and stalling bodies, pagination that never advances, reports that never
//! complete, far daily blocks, cancelled downloads, extreme settings. Every
//! wait is bounded by a guard; real time with short limits unless noted.

#[path = "support/hostile.rs"]
mod hostile;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hostile::{Hostile, Seen, endless, full, json, later, stalling};
use serde_json::json;
use tokio::time::Instant;
use zoom_billing::metadata::RateLimitLabel;
use zoom_billing::paginate::MAX_EMPTY_PAGES;
use zoom_billing::reports::ReportWait;
use zoom_billing::{BuildError, Client, ClientBuilder, Error, RateLimitPolicy, RetryPolicy};

/// No test waits on the client longer than this.
const GUARD: Duration = Duration::from_secs(20);

const GIB: u64 = 1024 * 1024 * 1024;

async fn guarded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(GUARD, future).await.expect("the client did not finish within the guard")
}

/// A client with no pacing and no retries: each call is one request.
fn builder(server: &Hostile) -> ClientBuilder {
    Client::builder()
        .base_url(&server.base_url)
        .bearer_token("hostile-test-token")
        .rate_limit_policy(RateLimitPolicy::off())
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
}

/// Peak resident memory of this process, in KiB (Linux), for the report.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

// ---- bodies -------------------------------------------------------------------

/// A 1 GiB body (made lazily by the server) with `status` for plan usage.
async fn gigabyte_body(status: u16) -> (Hostile, Arc<AtomicU64>) {
    let produced = Arc::new(AtomicU64::new(0));
    let counter = produced.clone();
    let server = Hostile::start(move |_| {
        let body = endless(b"{\"plan_base\":\"", b'x', GIB, counter.clone());
        Box::pin(async move {
            hyper::Response::builder().status(status).header("content-type", "application/json").body(body).unwrap()
        })
    })
    .await;
    (server, produced)
}

async fn body_stops_at_the_cap(status: u16) {
    let (server, produced) = gigabyte_body(status).await;
    let cap = 1024 * 1024;
    let client = builder(&server).max_body_size(cap).build().unwrap();
    let started = Instant::now();
    let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = produced.load(Ordering::SeqCst);
    eprintln!(
        "HTTP {status} 1 GiB body: {err}; server produced {} KiB, {elapsed:?}, peak RSS {:?} KiB",
        sent / 1024,
        peak_rss_kib()
    );
    assert!(
        matches!(&err, Error::BodyTooLarge { status: s, limit, .. } if s.as_u16() == status && *limit == cap),
        "{err:?}"
    );
    // The client hung up soon after the cap (socket buffers hold a few MiB at most).
    assert!(sent < 64 * 1024 * 1024, "the client kept reading: {sent} bytes");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_gigabyte_success_body_fails_at_the_cap() {
    body_stops_at_the_cap(200).await;
}

#[tokio::test]
async fn a_gigabyte_error_body_fails_at_the_cap() {
    body_stops_at_the_cap(503).await;
}

/// A body with a `Content-Length` within the cap is read without the counting wrapper (hyper
/// reads no more than the length); one whose length is over the cap still fails at the cap.
#[tokio::test]
async fn a_body_with_a_content_length_is_held_to_the_cap_too() {
    let body = json!({ "plan_base": { "hosts": 1 }, "padding": "x".repeat(2000) }).to_string();
    let length = body.len() as u64;
    let server = Hostile::start(move |_| {
        let body = body.clone();
        Box::pin(async move { full(200, "application/json", body) })
    })
    .await;
    let within = builder(&server).max_body_size(length).build().unwrap();
    let usage = guarded(within.get_plan_usage().account_id("me").send()).await.unwrap();
    assert!(usage.plan_base.is_some());
    let over = builder(&server).max_body_size(length - 1).build().unwrap();
    let err = guarded(over.get_plan_usage().account_id("me").send()).await.unwrap_err();
    assert!(matches!(&err, Error::BodyTooLarge { limit, .. } if *limit == length - 1), "{err:?}");
}

#[tokio::test]
async fn a_stalled_download_times_out_after_the_idle_timeout() {
    let server =
        Hostile::start(|_| Box::pin(async { hyper::Response::builder().status(200).body(stalling(b"PK..")).unwrap() }))
            .await;
    let idle = Duration::from_millis(300);
    let client = builder(&server).idle_timeout(idle).build().unwrap();
    let mut sink = Vec::new();
    let started = Instant::now();
    let err = guarded(client.download_invoice_report().invoice_report_id("r1").write_to(&mut sink)).await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("stalled download: {err} after {elapsed:?}");
    assert!(matches!(err, Error::Stalled { idle: i, .. } if i == idle), "{err:?}");
    assert!(err.to_string().contains("the download stalled: no data for 300ms"), "{err}");
    assert!(err.is_retryable());
    assert!(elapsed >= idle && elapsed < idle + Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(sink, b"PK..", "the bytes before the stall were written");
}

// ---- pagination ---------------------------------------------------------------

fn report_page(items: &[(&str, &str)], next: Option<&str>) -> serde_json::Value {
    let reports: Vec<_> = items.iter().map(|(id, status)| json!({"id": id, "status": status})).collect();
    json!({"invoice_reports": reports, "next_page_token": next})
}

#[tokio::test]
async fn a_repeated_page_token_ends_the_listing() {
    let server =
        Hostile::start(|_| Box::pin(async { json(200, report_page(&[("r", "Completed")], Some("again"))) })).await;
    let client = builder(&server).build().unwrap();
    let mut reports = client.list_invoice_reports().stream();
    let mut items = 0;
    let err = guarded(async {
        for _ in 0..100 {
            match reports.try_next().await {
                Ok(Some(_)) => items += 1,
                Ok(None) => panic!("the listing ended without an error"),
                Err(e) => return e,
            }
        }
        panic!("no error after 100 items")
    })
    .await;
    eprintln!("repeated token: {err}; {items} items, {} requests", server.requests());
    assert!(matches!(err, Error::PaginationStuck { pages: 2, .. }), "{err:?}");
    assert_eq!(server.requests(), 2, "stopped at the first repeat");
    assert_eq!(items, 1);
    assert!(reports.try_next().await.unwrap().is_none(), "the stream ends after the error");
}

#[tokio::test]
async fn endless_empty_pages_end_the_listing_within_one_try_next() {
    let n = Arc::new(AtomicU64::new(0));
    let server = Hostile::start(move |_| {
        let token = format!("t{}", n.fetch_add(1, Ordering::SeqCst));
        Box::pin(async move { json(200, report_page(&[], Some(&token))) })
    })
    .await;
    let client = builder(&server).build().unwrap();
    let mut reports = client.list_invoice_reports().stream();
    let err = guarded(reports.try_next()).await.unwrap_err();
    eprintln!("empty pages: {err}; {} requests", server.requests());
    assert!(matches!(err, Error::PaginationStuck { .. }), "{err:?}");
    assert_eq!(server.requests(), u64::from(MAX_EMPTY_PAGES) + 1);
}

// ---- reports ------------------------------------------------------------------

async fn report_server(status: &'static str, download_stalls: bool) -> Hostile {
    Hostile::start(move |seen: Seen| {
        if seen.path.ends_with("/invoice_reports") {
            Box::pin(async move { json(200, report_page(&[("rep-1", status)], None)) })
        } else if download_stalls {
            Box::pin(async { hyper::Response::builder().status(200).body(stalling(b"a,b\n")).unwrap() })
        } else {
            Box::pin(async { full(200, "text/csv", "a,b\n1,2\n") })
        }
    })
    .await
}

async fn waits_at_most_max_wait(server: &Hostile, name: &str) {
    let client = builder(server).build().unwrap();
    let dir = tempdir(name);
    let max_wait = Duration::from_millis(800);
    let wait = ReportWait::default().with_poll_interval(Duration::from_millis(100)).with_max_wait(max_wait);
    let started = Instant::now();
    let err = guarded(client.wait_and_download_invoice_report("rep-1", dir.join("r.csv"), wait)).await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("report wait: {err}; {elapsed:?}, {} requests", server.requests());
    assert!(matches!(&err, Error::ReportNotReady { report_id, .. } if report_id == "rep-1"), "{err:?}");
    assert!(elapsed <= max_wait + Duration::from_millis(500), "{elapsed:?}");
    assert!(!dir.join("r.csv").exists());
    assert_eq!(part_files(&dir), 0);
}

#[tokio::test]
async fn a_report_that_never_completes_ends_within_max_wait() {
    let server = report_server("Processing", false).await;
    waits_at_most_max_wait(&server, "never").await;
    assert!(server.requests() >= 2, "it polled");
}

#[tokio::test]
async fn a_stalling_report_download_ends_within_max_wait() {
    let server = report_server("Completed", true).await;
    waits_at_most_max_wait(&server, "stall").await;
    assert!(server.paths().iter().any(|p| p.ends_with("/rep-1")), "the download was started");
}

#[tokio::test]
async fn a_report_wait_of_duration_max_does_not_panic() {
    let server = report_server("Completed", false).await;
    let client = builder(&server).build().unwrap();
    let dir = tempdir("report-max");
    let wait = ReportWait::default().with_poll_interval(Duration::MAX).with_max_wait(Duration::MAX);
    let done = guarded(client.wait_and_download_invoice_report("rep-1", dir.join("r.csv"), wait)).await.unwrap();
    assert_eq!(done.bytes, 8);

    // Still processing, and the next poll would come past the deadline: it says so at once.
    let server = report_server("Processing", false).await;
    let processing = builder(&server).build().unwrap();
    let wait = wait.with_max_wait(Duration::from_secs(5));
    let started = Instant::now();
    let err = guarded(processing.wait_and_download_invoice_report("rep-1", dir.join("p.csv"), wait)).await.unwrap_err();
    assert!(matches!(err, Error::ReportNotReady { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

// ---- daily limits -------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn a_daily_429_until_the_year_9999_blocks_only_until_the_next_reset() {
    let daily = Arc::new(AtomicU64::new(1));
    let first = daily.clone();
    let server = Hostile::start(move |_| {
        let limited = first.swap(0, Ordering::SeqCst) == 1;
        Box::pin(async move {
            if limited {
                let mut r = json(429, json!({"code": 429, "message": "You have reached the maximum daily rate limit"}));
                let h = r.headers_mut();
                h.insert("x-ratelimit-type", "Daily-limit".parse().unwrap());
                h.insert("retry-after", "9999-12-31T23:59:59Z".parse().unwrap());
                r
            } else {
                json(200, json!({"plan_base": {"type": "monthly", "usage": 1}}))
            }
        })
    })
    .await;
    let client = builder(&server).rate_limit_policy(RateLimitPolicy::default()).build().unwrap();
    let err = client.get_plan_usage().account_id("me").send().await.unwrap_err();
    assert!(matches!(err, Error::RateLimited(_)), "{err:?}");
    let err = client.get_plan_usage().account_id("me").send().await.unwrap_err();
    let Error::BudgetExhausted { resets_at, resets_in, .. } = err else { panic!("{err:?}") };
    eprintln!("daily 429 until 9999: blocked until {resets_at} ({resets_in:?})");
    assert!(resets_in <= Duration::from_secs(86_400 + 300), "{resets_in:?}");
    assert_eq!(resets_at.time(), chrono::NaiveTime::from_hms_opt(0, 5, 0).unwrap(), "{resets_at}");
    assert_eq!(server.requests(), 1, "the blocked call was not sent");
    // Past the reset (and its margin) the operation is free again.
    tokio::time::advance(resets_in + Duration::from_secs(1)).await;
    let outcome = client.get_plan_usage().account_id("me").send().await;
    assert!(!matches!(outcome, Err(Error::BudgetExhausted { .. })), "{outcome:?}");
    assert_eq!(server.requests(), 2);
}

// ---- downloads ----------------------------------------------------------------

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zb-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn part_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".part"))
        .count()
}

fn pdf_server() -> impl Future<Output = Hostile> {
    Hostile::start(|_| later(Duration::from_millis(5), full(200, "application/pdf", "%PDF-1.7 hostile")))
}

#[tokio::test]
async fn a_download_dropped_in_its_first_milliseconds_leaves_no_part_file() {
    let server = pdf_server().await;
    let client = builder(&server).build().unwrap();
    let dir = tempdir("drop");
    let mut dropped = 0;
    for i in 0..60u64 {
        let target = dir.join("invoice.pdf");
        let call = client.download_invoice_file().invoice_id("inv-1").save_to(&target);
        // From "before the first poll ends" to "during the body".
        if tokio::time::timeout(Duration::from_micros(i * 150), call).await.is_err() {
            dropped += 1;
        }
        assert_eq!(part_files(&dir), 0, "a .part file is left after a drop at {}us", i * 150);
        let _ = std::fs::remove_file(&target);
    }
    eprintln!("drops: {dropped} of 60 downloads dropped, {} requests, no .part left", server.requests());
    assert!(dropped > 10, "the loop must drop downloads mid-way ({dropped})");
}

#[tokio::test]
async fn a_254_byte_destination_name_works() {
    let server = pdf_server().await;
    let client = builder(&server).build().unwrap();
    let dir = tempdir("long");
    let name = format!("{}.pdf", "a".repeat(250));
    assert_eq!(name.len(), 254);
    let bytes = guarded(client.download_invoice_file().invoice_id("inv-1").save_to(dir.join(&name))).await.unwrap();
    assert_eq!(bytes, 16);
    assert_eq!(std::fs::read(dir.join(&name)).unwrap(), b"%PDF-1.7 hostile");
    assert_eq!(part_files(&dir), 0);
}

#[tokio::test]
async fn a_destination_in_a_missing_directory_fails_before_sending() {
    let server = pdf_server().await;
    let client = builder(&server).build().unwrap();
    let target = tempdir("missing").join("no-such-dir").join("invoice.pdf");
    let err = guarded(client.download_invoice_file().invoice_id("inv-1").save_to(&target)).await.unwrap_err();
    assert!(matches!(&err, Error::Io { path: Some(p), .. } if *p == target), "{err:?}");
    assert_eq!(server.requests(), 0, "nothing was sent");
}

// ---- settings -----------------------------------------------------------------

#[tokio::test]
async fn extreme_settings_are_refused_not_panicked_on() {
    let server = pdf_server().await;
    let refused = [
        builder(&server).timeout(Duration::MAX).build(),
        builder(&server)
            .rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, 1e-20))
            .build(),
        builder(&server)
            .rate_limit_policy(RateLimitPolicy::default().with_label_rate(RateLimitLabel::Heavy, f64::NAN))
            .build(),
    ];
    for outcome in refused {
        let err = outcome.expect_err("an extreme setting was accepted");
        assert!(matches!(err, BuildError::InvalidSetting { .. }), "{err}");
    }
}

// ---- what an error keeps of a server's answer (issue 23) ---------------------------

const TOKEN: &str = "hostile-test-token";

/// Everything logged on this thread while the guard lives.
fn capture_logs() -> (Arc<std::sync::Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    let logs = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Sink(sink.clone()))
        .with_ansi(false)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a user and an operator see of `err`: `{}`, `{:#}` after `?` into anyhow, `{:?}`.
fn every_rendering(err: Error) -> String {
    let debug = format!("{err:?}");
    let anyhow = anyhow::Error::from(err);
    format!("{anyhow}\n{anyhow:#}\n{debug}")
}

/// A server whose 200 answers with `body` to every call.
async fn answering(status: u16, body: String, tracking_id: String) -> Hostile {
    Hostile::start(move |_| {
        let (body, tracking_id) = (body.clone(), tracking_id.clone());
        Box::pin(async move {
            let mut response = full(status, "application/json", body);
            response.headers_mut().insert("x-zm-trackingid", tracking_id.parse().unwrap());
            response
        })
    })
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_echoed_in_any_answer_never_reaches_an_error_or_a_log() {
    let (logs, _guard) = capture_logs();
    let bodies = [
        // A wrong-typed field quoting the token: serde's reason quotes it back.
        (200, json!({"plan_base": {"hosts": format!("Bearer {TOKEN}")}}).to_string()),
        // In a date and in a money amount (of the account's plans).
        (200, json!({"plan_base": {"type": "x", "hosts": 1, "next_invoice_date": TOKEN}}).to_string()),
        (200, json!({"plan_base": {"type": "x", "hosts": 1, "overage_price": TOKEN}}).to_string()),
        // In a Zoom error's message and field errors, and a rate limit's message.
        (400, json!({"code": 300, "message": TOKEN, "errors": [{"field": TOKEN, "message": TOKEN}]}).to_string()),
        (429, json!({"code": 429, "message": format!("daily {TOKEN}")}).to_string()),
        (401, json!({"code": 124, "message": format!("Invalid {TOKEN}")}).to_string()),
    ];
    for (status, body) in bodies {
        let server = answering(status, body.clone(), format!("track-{TOKEN}")).await;
        let client = builder(&server).build().unwrap();
        let err = match body.contains("invoice_date") || body.contains("overage") {
            true => guarded(client.get_account_plans().account_id("me").send()).await.map(drop).unwrap_err(),
            false => guarded(client.get_plan_usage().account_id("me").send()).await.map(drop).unwrap_err(),
        };
        let shown = every_rendering(err);
        assert!(!shown.contains(TOKEN), "HTTP {status} {body}: {shown}");
        assert!(shown.contains("[REDACTED]"), "HTTP {status} {body}: {shown}");
    }
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logs.contains("get_plan_usage"), "the calls were logged: {logs}");
    assert!(!logs.contains(TOKEN), "{logs}");
}

/// A job journals a success's body: a token a server echoed into it is scrubbed first, so
/// it never reaches the state store (and a replay shows the placeholder).
#[tokio::test(flavor = "current_thread")]
async fn a_token_echoed_in_a_journaled_answer_never_reaches_the_journal() {
    let body = json!({"plan_base": {"type": format!("Bearer {TOKEN}"), "hosts": 1}}).to_string();
    let server = answering(200, body, "t-1".into()).await;
    let client = builder(&server).build().unwrap();
    let journal = zoom_billing::job::MemoryJournal::new();
    let first = {
        let job = client.job("echo").in_memory(&journal).start().await.unwrap();
        let usage = job.client().get_plan_usage().account_id("me").await.unwrap().into_inner();
        job.finish().await.unwrap();
        usage
    };
    assert!(format!("{first:?}").contains(TOKEN), "the live answer is Zoom's, as it came");
    let job = client.job("echo").in_memory(&journal).start().await.unwrap();
    let replayed = job.client().get_plan_usage().account_id("me").await.unwrap().into_inner();
    job.finish().await.unwrap();
    assert_eq!(server.requests(), 1, "replayed");
    let shown = format!("{replayed:?}");
    assert!(!shown.contains(TOKEN) && shown.contains("[REDACTED]"), "{shown}");
}

#[tokio::test(flavor = "current_thread")]
async fn server_texts_in_errors_and_logs_are_bounded() {
    let (logs, _guard) = capture_logs();
    let huge = "x".repeat(10 * 1024 * 1024);
    let long_id = "t".repeat(100 * 1024);
    let cases = [
        // A 10 MiB string where an integer is expected.
        (200, json!({"plan_base": {"hosts": huge}}).to_string()),
        // A 10 MiB Zoom message and thousands of field errors.
        (400, json!({"code": 300, "message": huge, "errors": [{"field": huge, "message": "m"}]}).to_string()),
        (
            400,
            json!({"code": 300, "message": "m", "errors": vec![json!({"field": "f", "message": "m"}); 5000]})
                .to_string(),
        ),
        (503, json!({"code": 503, "message": huge}).to_string()),
        (429, json!({"code": 429, "message": huge}).to_string()),
    ];
    for (status, body) in cases {
        logs.lock().unwrap().clear();
        let server = answering(status, body, long_id.clone()).await;
        let client = builder(&server).build().unwrap();
        let err = guarded(client.get_plan_usage().account_id("me").send()).await.unwrap_err();
        assert!(err.tracking_id().is_none_or(|id| id.len() <= 128), "{:?}", err.tracking_id().map(str::len));
        let display = err.to_string().len();
        let shown = every_rendering(err).len();
        let logged = logs.lock().unwrap().len();
        eprintln!("HTTP {status}: Display {display} bytes, all renderings {shown} bytes, logs {logged} bytes");
        assert!(display < 4_000, "HTTP {status}: a Display of {display} bytes");
        assert!(shown < 12_000, "HTTP {status}: {shown} bytes shown");
        assert!(logged < 16_000, "HTTP {status}: {logged} bytes logged");
    }
}
