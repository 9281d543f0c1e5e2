//! The runtime against the fake Zoom on loopback: pagination, downloads, the
//! invoice-report helper, and secrets kept out of Debug output and logs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_zoom::{FakeZoom, Fault, FaultKind};
use futures::{StreamExt, TryStreamExt};
use zoom_billing::reports::ReportWait;
use zoom_billing::{Client, Error, Operation, RateLimitPolicy, types};

fn bearer(fake: &FakeZoom) -> Client {
    Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN).build().unwrap()
}

/// [`bearer`] with pacing and budgets off.
fn unpaced(fake: &FakeZoom) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::off())
        .build()
        .unwrap()
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zoom-billing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

// ---- pagination -----------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn invoice_reports_stream_across_three_pages_and_resume_from_a_cursor() {
    let fake = FakeZoom::start().await.unwrap();
    fake.seed_reports(25);
    fake.set_report_page_size(10);
    let client = bearer(&fake);
    let all: Vec<types::InvoiceReport> = client.list_invoice_reports().stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 25);
    let calls = fake.requests_to("/invoice_reports");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].query, None);
    assert!(calls[1].query.as_deref().is_some_and(|q| q.starts_with("next_page_token=")));

    // Lazy: taking 12 items reads 2 pages; the cursor resumes at item 13.
    let mut stream = client.list_invoice_reports().stream();
    let first: Vec<_> = stream.by_ref().take(12).try_collect().await.unwrap();
    let cursor = stream.cursor();
    assert_eq!((cursor.items_seen, cursor.skip), (12, 2));
    assert_eq!(fake.requests_to("/invoice_reports").len(), 3 + 2);
    let rest: Vec<_> = client.list_invoice_reports().stream_from(cursor).try_collect().await.unwrap();
    let ids: Vec<_> = first.iter().chain(&rest).map(|r| r.id.clone()).collect();
    assert_eq!(ids, all.iter().map(|r| r.id.clone()).collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn an_expired_page_token_is_a_typed_error_not_a_silent_stop() {
    let fake = FakeZoom::start().await.unwrap();
    fake.seed_reports(25);
    fake.set_report_page_size(10);
    let client = bearer(&fake);

    // Zoom rejects the token.
    let mut stream = client.list_invoice_reports().stream();
    let first: Vec<_> = stream.by_ref().take(10).try_collect().await.unwrap();
    assert_eq!(first.len(), 10);
    fake.inject(Fault::new(FaultKind::ExpirePageToken).operation("list_invoice_reports")).unwrap();
    let err = stream.try_next().await.unwrap_err();
    assert!(matches!(err, Error::PageTokenExpired { items_seen: 10, .. }), "{err:?}");
    assert!(stream.next().await.is_none());

    // The token is older than 15 minutes: not even sent.
    let mut stream = client.list_invoice_reports().stream();
    let _: Vec<_> = stream.by_ref().take(10).try_collect().await.unwrap();
    let sent = fake.requests_to("/invoice_reports").len();
    tokio::time::advance(Duration::from_secs(15 * 60 + 1)).await;
    let err = stream.try_next().await.unwrap_err();
    assert!(matches!(err, Error::PageTokenExpired { operation: Operation::ListInvoiceReports, .. }), "{err:?}");
    assert_eq!(fake.requests_to("/invoice_reports").len(), sent);
}

#[tokio::test(start_paused = true)]
async fn renewals_stream_honours_page_size() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_renewals(7);
    let client = bearer(&fake);
    let all: Vec<_> = client.list_upcoming_renewals().page_size(3).stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 7);
    let calls = fake.requests_to("/renewals");
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.query.as_deref().is_some_and(|q| q.contains("page_size=3"))));
}

/// The stream carries every parameter set on the builder: a 60-day window, page by page.
#[tokio::test(start_paused = true)]
async fn renewals_stream_lists_a_60_day_window_across_pages() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_renewals(7);
    let client = bearer(&fake);
    let mut stream = client.list_upcoming_renewals().interval(60).page_size(3).stream();
    let mut seen = 0;
    while let Some(account) = stream.try_next().await.unwrap() {
        assert!(account.account_id.is_some());
        seen += 1;
    }
    assert_eq!(seen, 7);
    let calls = fake.requests_to("/renewals");
    assert_eq!(calls.len(), 3, "three pages");
    for call in &calls {
        let query = call.query.as_deref().unwrap_or_default();
        assert!(query.contains("interval=60") && query.contains("page_size=3"), "{query}");
    }
    assert!(calls[1].query.as_deref().is_some_and(|q| q.contains("next_page_token=")));
}

/// A value the spec forbids fails before anything is sent, saying what is allowed; no
/// pacing turn or daily unit is spent (a valid call right after does not wait).
#[tokio::test(start_paused = true)]
async fn constraint_errors_say_what_is_allowed_and_send_nothing() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake);
    let cases: Vec<(Error, &str)> = vec![
        (
            client.list_upcoming_renewals().page_size(50).send().await.unwrap_err(),
            "list_upcoming_renewals: invalid request, not sent: page_size must be from 1 to 49; got 50",
        ),
        (
            client.list_upcoming_renewals().interval(45).stream().try_next().await.unwrap_err(),
            "list_upcoming_renewals: invalid request, not sent: interval must be one of 30, 60, 90; got 45",
        ),
        (
            client.get_invoice_details().invoice_id("inv-1").send().await.unwrap_err(),
            "get_invoice_details: invalid request, not sent: account_id is required and was not set: the account ID",
        ),
        (
            client.get_invoice_details().account_id("").invoice_id("inv-1").send().await.unwrap_err(),
            "get_invoice_details: invalid request, not sent: account_id must not be empty",
        ),
        (
            client
                .update_base_plan()
                .account_id("sub-1")
                .body(types::UpdateBasePlanRequest::builder())
                .send()
                .await
                .unwrap_err(),
            "update_base_plan: invalid request, not sent: the request body's required field `type` is missing",
        ),
        (
            client.update_base_plan().account_id("sub-1").send().await.unwrap_err(),
            "update_base_plan: invalid request, not sent: the request body's required field `type` is missing",
        ),
    ];
    for (err, expected) in &cases {
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.starts_with(expected), "{text}\nexpected: {expected}");
    }
    assert!(fake.requests().is_empty(), "nothing sent: {:?}", fake.requests());

    // get_invoice_details allows one request per 30 minutes: the refused one took no turn.
    let start = tokio::time::Instant::now();
    client.get_invoice_details().account_id("sub-1").invoice_id("inv-1").send().await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
}

// ---- downloads ------------------------------------------------------------------

/// The sinks carry every parameter of the builder, and errors name the operation called.
#[tokio::test]
async fn download_sinks_carry_parameters_and_name_their_operation() {
    let fake = FakeZoom::start().await.unwrap();
    fake.seed_reports(1);
    let client = unpaced(&fake);
    let list = client.list_invoice_reports().await.unwrap().into_inner();
    let id = list.invoice_reports[0].id.clone().unwrap();
    let mut sink = Vec::new();
    let n = client.download_invoice_report().invoice_report_id(&id).download(true).write_to(&mut sink).await.unwrap();
    assert!(n > 0);
    let sent = fake.requests_to(&format!("/invoice_reports/{id}"));
    assert_eq!(sent.last().and_then(|r| r.query.clone()).as_deref(), Some("download=true"));

    fake.inject(Fault::status(404).operation("download_invoice_file")).unwrap();
    let err = client.download_invoice_file().invoice_id("inv-1").write_to(&mut sink).await.unwrap_err();
    assert_eq!(err.operation(), Some(Operation::DownloadInvoiceFile), "{err}");
    assert!(err.to_string().starts_with("download_invoice_file: "), "{err}");
}

#[tokio::test]
async fn a_64_mib_download_is_written_atomically() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_download_size(64 * 1024 * 1024);
    let client = bearer(&fake);
    let dir = scratch("download");
    let target = dir.join("invoice.pdf");
    let bytes = client.download_invoice_file().invoice_id("inv-1").save_to(&target).await.unwrap();
    assert_eq!(bytes, 64 * 1024 * 1024);
    assert_eq!(std::fs::metadata(&target).unwrap().len(), bytes);
    assert_eq!(entries(&dir), ["invoice.pdf"], "no temporary file left");
    let mut head = [0u8; 8];
    std::io::Read::read_exact(&mut std::fs::File::open(&target).unwrap(), &mut head).unwrap();
    assert_eq!(&head, b"%PDF-1.7");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_failure_mid_download_leaves_no_file() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_download_size(4 * 1024 * 1024);
    // Invoice PDFs are paced at one per 30 minutes: this test turns pacing off.
    let client = unpaced(&fake);
    let dir = scratch("broken");
    let target = dir.join("invoice.pdf");
    fake.inject(Fault::new(FaultKind::BreakBodyAfter(1024 * 1024 + 17)).operation("download_invoice_file")).unwrap();
    let err = client.download_invoice_file().invoice_id("inv-1").save_to(&target).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));

    // Streaming to any AsyncWrite works too.
    let mut sink = Vec::new();
    let n = client.download_invoice_file().invoice_id("inv-1").write_to(&mut sink).await.unwrap();
    assert_eq!((n, sink.len()), (4 * 1024 * 1024, 4 * 1024 * 1024));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_report_helper_generates_waits_and_downloads_and_can_resume() {
    let fake = FakeZoom::start().await.unwrap();
    let client = bearer(&fake);
    let dir = scratch("report");
    let request = types::GenerateInvoiceReportRequest::builder().account_ids(vec!["sub-1".to_owned()]);
    let wait = ReportWait::default().with_poll_interval(Duration::from_secs(2));
    let done = client.generate_and_download_invoice_report(request, dir.join("report.csv"), wait).await.unwrap();
    assert!(done.bytes > 0);
    assert_eq!(entries(&dir), ["report.csv"]);
    assert_eq!(fake.requests_to("/invoice_reports").iter().filter(|r| r.method == "GET").count(), 3, "polled twice");

    // Resume from the id without generating again.
    let again = client.wait_and_download_invoice_report(&done.report_id, dir.join("again.csv"), wait).await.unwrap();
    assert_eq!(again.bytes, done.bytes);
    assert_eq!(fake.requests().iter().filter(|r| r.method == "POST").count(), 1);
    let err = client.wait_and_download_invoice_report("rpt-missing", dir.join("x.csv"), wait).await.unwrap_err();
    assert!(matches!(err, Error::ReportFailed { .. }), "{err:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

// ---- secrets and tracing -----------------------------------------------------------

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged up to `level` on this thread, until the guard drops.
fn capture_logs(level: tracing::Level) -> (Capture, tracing::subscriber::DefaultGuard) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(level).with_writer(move || writer.clone()).with_ansi(false).finish();
    (capture, tracing::subscriber::set_default(subscriber))
}

#[tokio::test(start_paused = true)]
async fn debug_output_and_logs_contain_no_secret() {
    let (capture, _guard) = capture_logs(tracing::Level::TRACE);

    let fake = FakeZoom::start().await.unwrap();
    let builder = Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default());
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    client.get_plan_usage().account_id("sub-9").send().await.unwrap();
    fake.revoke_tokens();
    fake.inject(Fault::status(503).operation("get_plan_usage")).unwrap();
    client.get_plan_usage().account_id("sub-9").send().await.unwrap();
    fake.inject(Fault::status(403).operation("get_plan_usage")).unwrap();
    let err: Error = client.get_plan_usage().account_id("sub-9").send().await.unwrap_err();

    let tokens: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).map(str::to_owned))
        .collect();
    assert!(tokens.len() >= 2);
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let everything = format!("{logs}\n{builder_debug}\n{client:?}\n{err:?}\n{err}");
    assert!(!everything.contains(fake_zoom::CLIENT_SECRET), "client secret leaked");
    for token in &tokens {
        assert!(!everything.contains(token.as_str()), "token leaked: {everything}");
    }
    // The span carries what an operator needs.
    assert!(logs.contains("zoom_billing.call"), "{logs}");
    assert!(logs.contains("operation=\"get_plan_usage\""), "{logs}");
    assert!(logs.contains("account_id=\"sub-9\""), "{logs}");
    assert!(logs.contains("attempt=2"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(logs.contains("tracking_id=\"fake-track-"), "{logs}");
    assert!(logs.contains("duration_ms="), "{logs}");
}

/// Without pacing the runtime skips finding the account id unless a subscriber
/// listens: with one, the span still carries it (and Zoom's answer).
#[tokio::test]
async fn the_span_names_the_account_when_pacing_is_off() {
    let (capture, _guard) = capture_logs(tracing::Level::DEBUG);

    let fake = FakeZoom::start().await.unwrap();
    let client = unpaced(&fake);
    client.get_plan_usage().account_id("sub-7").send().await.unwrap();
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("account_id=\"sub-7\""), "{logs}");
    assert!(logs.contains("status=200"), "{logs}");
    assert!(logs.contains("tracking_id=\"fake-track-"), "{logs}");
    assert!(!logs.contains(fake_zoom::FIXED_TOKEN), "{logs}");
}

/// A failed call's last log line carries the whole chain: the call's error leaves its cause
/// (here the refused connection) to its source, which a log line would otherwise drop.
#[tokio::test]
async fn the_log_line_of_a_failed_call_names_its_cause() {
    let (capture, _guard) = capture_logs(tracing::Level::INFO);
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}/v2"))
        .bearer_token("t")
        .retry_policy(zoom_billing::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_plan_usage().account_id("me").send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let done = logs
        .lines()
        .find(|l| l.contains("outcome=\"error\"") && l.contains("done"))
        .unwrap_or_else(|| panic!("{logs}"));
    assert!(done.contains("the connection to Zoom failed (1 attempt): "), "{done}");
    assert!(done.contains("error sending request"), "reqwest's cause is in the line: {done}");
}
