//! A month-end billing job, as a program that runs for hours against Zoom
//! would be written: straight-line code in a job, run again after any crash.
//! The job-restart test kills it with SIGKILL and starts it again; each run
//! goes on from the job's journal.
//!
//! It generates the month's invoice report for the sub accounts (a creating
//! call: at most once; an unknown outcome is checked with
//! `list_invoice_reports` and settled), then for each sub account lists its
//! invoices, saves each invoice's details as JSON and its PDF.
//!
//! Usage: `month-end BASE_URL OAUTH_HOST TIME_SCALE STORE OUT_DIR ACCOUNTS`
//! (STORE: a Redis URL or a SQLite file's path). Exit codes: 0 done, 3 the
//! job is held by another copy (the message on stderr), 1 anything else.

use std::path::Path;
use std::process::ExitCode;

use zoom_billing::job::Found;
use zoom_billing::{Client, Error, JobError, NaiveDate, RateLimitPolicy, types};

const JOB: &str = "month-end-2026-11";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("month-end: {error:#}");
            let held = matches!(error.downcast_ref::<Error>(), Some(Error::Job(job)) if matches!(**job, JobError::Held { .. }));
            ExitCode::from(if held { 3 } else { 1 })
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, oauth, scale, store, out, accounts] = args.as_slice() else {
        anyhow::bail!("usage: month-end BASE_URL OAUTH_HOST TIME_SCALE STORE OUT_DIR ACCOUNTS");
    };
    let accounts: usize = accounts.parse()?;
    let out = Path::new(out);
    let mut builder = Client::builder()
        .base_url(base.clone())
        .oauth_host(oauth.clone())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(scale.parse()?));
    builder = if store.starts_with("redis://") {
        builder.shared_state(zoom_billing::shared::RedisStore::new(store.clone())?)
    } else {
        builder.shared_state(zoom_billing::shared::SqliteStore::open(store)?)
    };
    let client = builder.build()?;
    let job = client.job(JOB).start().await?;
    let zoom = job.client();

    // The month's invoice report: a billing effect, made once whatever happens to this process.
    let (start, end) = (NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let ids: Vec<String> = (1..=accounts).map(|k| format!("sub-{k}")).collect();
    let request = || {
        types::GenerateInvoiceReportRequest::builder()
            .account_ids(ids.clone())
            .start_date(Some(start))
            .end_date(Some(end))
    };
    let report = match zoom.generate_invoice_report().body(request()).await {
        Ok(report) => report.into_inner(),
        Err(Error::UnknownOutcome(unknown)) => {
            // Checked as `x-zoom-verify-with` says, with the client itself (not journaled:
            // the check must see Zoom as it is now).
            let reports = client.list_invoice_reports().await?.into_inner().invoice_reports;
            let same = |r: &types::InvoiceReport| {
                r.start_date.as_ref().map(|d| d.to_string()) == Some(start.to_string())
                    && r.end_date.as_ref().map(|d| d.to_string()) == Some(end.to_string())
            };
            match reports.into_iter().find(same) {
                Some(found) => {
                    eprintln!("month-end: the report was generated before the restart: {:?}", found.id);
                    job.settle(&unknown, Found::Applied(Some(serde_json::to_value(&found)?))).await?;
                }
                None => job.settle(&unknown, Found::NotApplied).await?,
            }
            zoom.generate_invoice_report().body(request()).await?.into_inner()
        }
        Err(error) => return Err(error.into()),
    };
    write(&out.join("report.json"), &serde_json::to_vec_pretty(&serde_json::json!({"id": report.id}))?)?;

    // Each sub account's invoices: details, and the PDF.
    for account in &ids {
        let invoices = zoom.list_billing_invoices().account_id(account.as_str()).await?.into_inner();
        for invoice in invoices.invoices {
            let Some(id) = invoice.id else { continue };
            let details = zoom.get_invoice_details().account_id(account.as_str()).invoice_id(id.as_str()).await?;
            write(&out.join(format!("{account}-{id}.json")), &serde_json::to_vec_pretty(&details.into_inner())?)?;
            zoom.download_invoice_file().invoice_id(id.as_str()).save_to(out.join(format!("{id}.pdf"))).await?;
        }
    }
    job.finish().await?;
    Ok(())
}

/// Write a file whole or not at all (a kill mid-write leaves the old file).
fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("part");
    std::fs::write(&temp, bytes)?;
    std::fs::rename(temp, path)
}
