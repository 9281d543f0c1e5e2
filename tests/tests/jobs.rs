//! Jobs (`zoom_billing::job`) against the in-process fake: replay without
//! sending, creating calls at most once, downloads not fetched twice, one
//! runner. Each test runs with the in-memory journal, a SQLite file and a
//! real `redis-server` (ignored, with how to install it, where the build
//! found none). The multi-process kill-and-restart test is `job_restart.rs`.

use std::time::Duration;

use fake_zoom::{FakeZoom, Fault};
use zoom_billing::job::{Found, JobBuilder, MemoryJournal};
use zoom_billing::{Client, Error, JobError, Operation, RateLimitPolicy, RetryPolicy, types};
use zoom_billing_tests::stores::Backing;

/// Where a test's journals live.
enum Journals {
    Memory(MemoryJournal),
    Store(Backing),
}

impl Journals {
    /// A client of the fake, with its own per-process state (as a new
    /// process of the job has), sharing the journal.
    fn client(&self, fake: &FakeZoom) -> Client {
        let builder = Client::builder()
            .base_url(fake.base_url())
            .oauth_host(fake.oauth_host())
            .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
            .rate_limit_policy(RateLimitPolicy::off())
            .retry_policy(RetryPolicy::none())
            .timeout(Duration::from_millis(500));
        match self {
            Journals::Memory(_) => builder.build().unwrap(),
            Journals::Store(backing) => builder.shared_state(backing.default_store()).build().unwrap(),
        }
    }

    fn job<'a>(&self, client: &'a Client, name: &str) -> JobBuilder<'a> {
        match self {
            Journals::Memory(journal) => client.job(name).in_memory(journal),
            Journals::Store(_) => client.job(name),
        }
    }
}

macro_rules! on_every_journal {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Journals::Memory(Default::default())).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(super::Journals::Store(zoom_billing_tests::stores::Backing::sqlite())).await
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(redis_server), ignore = "needs redis-server: apt-get install redis-server")]
                async fn $test() {
                    super::$test(super::Journals::Store(zoom_billing_tests::stores::Backing::redis())).await
                }
            )*
        }
    };
}

on_every_journal!(
    a_rerun_answers_what_was_done_without_sending,
    a_creating_call_cut_off_is_never_sent_again,
    a_settled_outcome_is_sent_again_or_answered,
    a_creating_call_refused_by_zoom_is_sent_again,
    a_saved_download_is_not_fetched_again,
    a_second_copy_is_told_who_holds_the_job,
    a_forgotten_journal_starts_afresh,
    an_update_is_journaled_and_not_sent_again,
    the_report_helper_polls_fresh_in_a_job,
    the_same_creating_request_sent_at_once_twice_is_sent_once,
);

/// A fake whose `sub-1` has a base plan (add-ons need one).
async fn fake_with_plan() -> FakeZoom {
    let account = fake_zoom::Account::new("sub-1").base_plan(fake_zoom::Plan::new("monthly").hosts(10));
    FakeZoom::builder().world(fake_zoom::World::standard().account(account)).start().await.unwrap()
}

fn api_requests(fake: &FakeZoom) -> usize {
    fake.requests().iter().filter(|r| r.path.starts_with("/v2")).count()
}

fn addon(kind: &str) -> types::SubscribeAddonPlanRequest {
    let addon: types::AddonPlanSubscription =
        types::AddonPlanSubscription::builder().type_(kind).hosts(18).try_into().unwrap();
    types::SubscribeAddonPlanRequest::AddonPlanSubscription(addon)
}

async fn a_rerun_answers_what_was_done_without_sending(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    let first = {
        let client = journals.client(&fake);
        let job = journals.job(&client, "month-end-2026-11").start().await.unwrap();
        let zoom = job.client();
        let invoices = zoom.list_billing_invoices().account_id("sub-1").await.unwrap().into_inner();
        let usage = zoom.get_plan_usage().account_id("sub-1").await.unwrap().into_inner();
        job.finish().await.unwrap();
        (invoices, usage)
    };
    let sent = api_requests(&fake);
    assert_eq!(sent, 2);
    // A new process: its own state, the same journal.
    let client = journals.client(&fake);
    let job = journals.job(&client, "month-end-2026-11").start().await.unwrap();
    let zoom = job.client();
    // Parameters set in another order are the same request.
    let invoices = zoom.list_billing_invoices().account_id("sub-1").await.unwrap().into_inner();
    let usage = zoom.get_plan_usage().account_id("sub-1").await.unwrap().into_inner();
    assert_eq!(format!("{:?}", (&invoices, &usage)), format!("{first:?}"), "the same typed values");
    assert_eq!(api_requests(&fake), sent, "nothing sent again");
    // A request the first run did not make is sent.
    zoom.get_plan_usage().account_id("sub-2").await.unwrap();
    assert_eq!(api_requests(&fake), sent + 1);
    // The client the job was made from is not journaled.
    client.get_plan_usage().account_id("sub-1").await.unwrap();
    assert_eq!(api_requests(&fake), sent + 2);
    job.finish().await.unwrap();
}

/// The add-on is subscribed, and the answer is lost: the rerun must not subscribe again.
async fn a_creating_call_cut_off_is_never_sent_again(journals: Journals) {
    let fake = fake_with_plan().await;
    let client = journals.client(&fake);
    let job = journals.job(&client, "addons").start().await.unwrap();
    fake.inject(Fault::delay(Duration::from_secs(3)).operation("subscribe_addon_plan")).unwrap();
    let error =
        job.client().subscribe_addon_plan().account_id("sub-1").body(addon("webinar500_monthly")).await.unwrap_err();
    let Error::UnknownOutcome(unknown) = &error else { panic!("{error:?}") };
    assert_eq!(unknown.job.as_deref(), Some("addons"));
    job.finish().await.unwrap();
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), 1);

    let client = journals.client(&fake);
    let job = journals.job(&client, "addons").start().await.unwrap();
    let error =
        job.client().subscribe_addon_plan().account_id("sub-1").body(addon("webinar500_monthly")).await.unwrap_err();
    let shown = format!("{:#}", anyhow::Error::from(error));
    assert!(shown.contains("subscribe_addon_plan: outcome unknown (a run of job `addons` sent it at"), "{shown}");
    assert!(shown.contains("Check with get_account_plans"), "{shown}");
    assert!(shown.contains("`Job::settle`"), "{shown}");
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), 1, "not sent again");
    // Another add-on is another request: sent.
    job.client().subscribe_addon_plan().account_id("sub-1").body(addon("large_meeting500_monthly")).await.unwrap();
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), 2);
    job.finish().await.unwrap();
}

async fn a_settled_outcome_is_sent_again_or_answered(journals: Journals) {
    let fake = fake_with_plan().await;
    let client = journals.client(&fake);
    let job = journals.job(&client, "settle").start().await.unwrap();
    fake.inject(Fault::delay(Duration::from_secs(3)).operation("subscribe_addon_plan").times(2)).unwrap();
    let subscribe = |kind: &'static str| job.client().subscribe_addon_plan().account_id("sub-1").body(addon(kind));
    let Err(Error::UnknownOutcome(first)) = subscribe("webinar500_monthly").await else { panic!() };
    let Err(Error::UnknownOutcome(second)) = subscribe("large_meeting500_monthly").await else { panic!() };
    // Checked: the first did not take effect, the second did.
    job.settle(&first, Found::NotApplied).await.unwrap();
    let answer = serde_json::json!({"plan_webinar": [{"type": "webinar500_monthly", "hosts": 18}]});
    job.settle(&second, Found::Applied(Some(answer))).await.unwrap();
    let sent = fake.requests_for("subscribe_addon_plan").len();
    subscribe("webinar500_monthly").await.unwrap();
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), sent + 1, "a request that did not take effect is sent");
    let settled = subscribe("large_meeting500_monthly").await.unwrap();
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), sent + 1, "one that did is answered as settled");
    assert!(format!("{settled:?}").contains("webinar500_monthly"), "{settled:?}");
    // An outcome that is not this job's is refused.
    let other = journals.job(&client, "another").start().await.unwrap();
    let error = other.settle(&first, Found::NotApplied).await.unwrap_err();
    assert!(error.to_string().contains("job `settle`'s, not this one's"), "{error}");
    other.finish().await.unwrap();
    job.finish().await.unwrap();
}

async fn a_creating_call_refused_by_zoom_is_sent_again(journals: Journals) {
    let fake = fake_with_plan().await;
    let client = journals.client(&fake);
    let job = journals.job(&client, "refused").start().await.unwrap();
    fake.inject(Fault::status(400).operation("subscribe_addon_plan")).unwrap();
    let error =
        job.client().subscribe_addon_plan().account_id("sub-1").body(addon("webinar500_monthly")).await.unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    // Zoom refused it: it surely did not take effect, so the rerun sends it.
    job.client().subscribe_addon_plan().account_id("sub-1").body(addon("webinar500_monthly")).await.unwrap();
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), 2);
    job.finish().await.unwrap();
}

async fn a_saved_download_is_not_fetched_again(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("zb-job-download-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inv-1.pdf");
    let run = || async {
        let client = journals.client(&fake);
        let job = journals.job(&client, "pdfs").start().await.unwrap();
        let size = job.client().download_invoice_file().invoice_id("inv-1").save_to(&path).await.unwrap();
        job.finish().await.unwrap();
        size
    };
    let size = run().await;
    assert!(size > 0);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(run().await, size);
    assert_eq!(fake.requests_for("download_invoice_file").len(), 1, "the file is there: not fetched again");
    // A file that is not the one saved is downloaded again, and replaced.
    std::fs::write(&path, vec![b'x'; bytes.len()]).unwrap();
    assert_eq!(run().await, size);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(run().await, size);
    assert_eq!(fake.requests_for("download_invoice_file").len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn a_second_copy_is_told_who_holds_the_job(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    let (one, two) = (journals.client(&fake), journals.client(&fake));
    let job = journals.job(&one, "once").start().await.unwrap();
    let error = journals.job(&two, "once").start().await.unwrap_err();
    let shown = format!("{:#}", anyhow::Error::from(error));
    assert!(shown.starts_with("job `once` is being run by "), "{shown}");
    assert!(shown.contains(&format!("pid {}", std::process::id())), "{shown}");
    assert!(shown.contains(" since 20"), "{shown}");
    let Err(Error::Job(held)) = journals.job(&two, "once").start().await else { panic!() };
    assert!(matches!(*held, JobError::Held { .. }));
    // Waiting: the first copy finishes within the wait.
    let finishing = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        job.finish().await.unwrap();
    });
    let started = std::time::Instant::now();
    let second = journals
        .job(&two, "once")
        .lease(Duration::from_secs(4))
        .wait_for_lease(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600));
    finishing.await.unwrap();
    // Renewed while it runs: still held past its lease. (A killed holder's lease
    // expiring is `job_restart.rs`'s, with real processes.)
    tokio::time::sleep(Duration::from_secs(5)).await;
    let Err(Error::Job(held)) = journals.job(&one, "once").start().await else { panic!() };
    assert!(matches!(*held, JobError::Held { .. }));
    second.finish().await.unwrap();
    journals.job(&one, "once").start().await.unwrap().finish().await.unwrap();
}

async fn a_forgotten_journal_starts_afresh(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    let client = journals.client(&fake);
    let job = journals.job(&client, "afresh").start().await.unwrap();
    job.client().get_plan_usage().account_id("sub-1").await.unwrap();
    job.forget().await.unwrap();
    let job = journals.job(&client, "afresh").start().await.unwrap();
    job.client().get_plan_usage().account_id("sub-1").await.unwrap();
    assert_eq!(fake.requests_for("get_plan_usage").len(), 2);
    let progress =
        job.progress(&zoom_billing::job::Workload::new().calls(Operation::GetPlanUsage, 1, 3)).await.unwrap();
    assert_eq!((progress.done_total, progress.remaining), (1, 2), "{progress}");
    job.finish().await.unwrap();
}

#[tokio::test]
async fn a_job_needs_a_place_for_its_journal() {
    let client = Client::builder().bearer_token("t").build().unwrap();
    let error = client.job("month-end").start().await.unwrap_err();
    let shown = format!("{:#}", anyhow::Error::from(error));
    assert!(shown.contains("this client has none: give it one with `ClientBuilder::shared_state`"), "{shown}");
    let error = client.job("a{b}").in_memory(&MemoryJournal::new()).start().await.unwrap_err();
    assert!(error.to_string().contains("must not contain braces"), "{error}");
    let error = client.job("x").in_memory(&MemoryJournal::new()).lease(Duration::from_secs(1)).await.unwrap_err();
    assert!(error.to_string().contains("is not between 3 s and 1 hour"), "{error}");
}

/// An update (idempotent, no body in its answer) is journaled once it succeeds.
async fn an_update_is_journaled_and_not_sent_again(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    for _ in 0..2 {
        let client = journals.client(&fake);
        let job = journals.job(&client, "contacts").start().await.unwrap();
        let body = types::BillingContactUpdate::builder().city(Some("San Jose".to_owned()));
        let answer = job.client().update_billing_information().account_id("sub-1").body(body).await.unwrap();
        assert!(answer.status().is_success());
        job.finish().await.unwrap();
    }
    assert_eq!(fake.requests_for("update_billing_information").len(), 1);
}

/// A runner whose lease was taken (it expired while the process was paused, and
/// another runner took it) sends and journals nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_lost_its_lease_sends_nothing_more() {
    let fake = FakeZoom::start().await.unwrap();
    let journals = Journals::Store(Backing::sqlite());
    let Journals::Store(backing) = &journals else { unreachable!() };
    let client = journals.client(&fake);
    let job = journals.job(&client, "lost").lease(Duration::from_secs(3)).start().await.unwrap();
    job.client().get_plan_usage().account_id("sub-1").await.unwrap();
    // What a pause past the lease looks like from the store: another runner has it now.
    let file = rusqlite::Connection::open(backing.location()).unwrap();
    let changed = file
        .execute(
            "UPDATE kv SET value = 'other-host/pid 1/00000000/-@2026-12-01T00:00:00Z' WHERE key LIKE '%job:lost:lease'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    tokio::time::sleep(Duration::from_millis(1500)).await; // a renewal, every third of the lease
    let error = job.client().get_plan_usage().account_id("sub-2").await.unwrap_err();
    let shown = format!("{:#}", anyhow::Error::from(error));
    assert!(shown.contains("lost the job's lease, now held by other-host/pid 1/"), "{shown}");
    assert_eq!(fake.requests_for("get_plan_usage").len(), 1, "nothing more sent");
}

/// The invoice-report helper in a job: its polls see Zoom as it is now (a journaled poll would
/// answer "Processing" forever), the generation and the download are journaled.
async fn the_report_helper_polls_fresh_in_a_job(journals: Journals) {
    let fake = FakeZoom::start().await.unwrap();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("zb-job-report-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wait = zoom_billing::reports::ReportWait::default().with_poll_interval(Duration::from_millis(10));
    for _ in 0..2 {
        let client = journals.client(&fake);
        let job = journals.job(&client, "report").start().await.unwrap();
        let request = types::GenerateInvoiceReportRequest::builder().account_ids(vec!["sub-1".to_owned()]);
        let done =
            job.client().generate_and_download_invoice_report(request, dir.join("report.csv"), wait).await.unwrap();
        assert!(done.bytes > 0);
        job.finish().await.unwrap();
    }
    assert_eq!(fake.requests_for("generate_invoice_report").len(), 1, "generated once");
    assert_eq!(fake.requests_for("download_invoice_report").len(), 1, "the saved file is there");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Two calls of one job send the same creating request at once: one is sent, the
/// other is told its outcome is the first one's.
async fn the_same_creating_request_sent_at_once_twice_is_sent_once(journals: Journals) {
    let fake = fake_with_plan().await;
    let client = journals.client(&fake);
    let job = journals.job(&client, "twice").start().await.unwrap();
    fake.inject(Fault::delay(Duration::from_millis(300)).operation("subscribe_addon_plan")).unwrap();
    let send = || job.client().subscribe_addon_plan().account_id("sub-1").body(addon("webinar500_monthly"));
    let (one, two) = tokio::join!(send().send(), send().send());
    assert_eq!(fake.requests_for("subscribe_addon_plan").len(), 1, "sent once");
    let (ok, unknown): (Vec<_>, Vec<_>) = [one, two].into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 1);
    let Err(Error::UnknownOutcome(unknown)) = &unknown[0] else { panic!("{unknown:?}") };
    assert_eq!(unknown.job.as_deref(), Some("twice"));
    job.finish().await.unwrap();
}
