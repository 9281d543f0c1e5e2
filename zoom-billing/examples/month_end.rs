//! A month-end billing job that survives being stopped: it generates the
//! month's invoice report for the sub accounts (once, whatever happens), then
//! saves each sub account's invoice details and PDF. Zoom allows one invoice
//! detail and one PDF per 30 minutes, so over 200 sub accounts this takes
//! days; a job ([`zoom_billing::job`]) lets a restarted program go on where it
//! stopped, without sending anything twice.
//!
//! It runs against the in-process fake Zoom with Zoom's limits enforced 3600
//! times faster (30 minutes is half a second), a SQLite state file in a
//! temporary directory, and 6 sub accounts. The first run is stopped half way
//! through (as a crash or a deploy would); the second goes on from the journal:
//!
//! ```text
//! cargo run -p zoom-billing --example month_end --features sqlite,jobs
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use zoom_billing::job::{Found, Workload};
use zoom_billing::shared::SqliteStore;
use zoom_billing::{Client, Error, NaiveDate, Operation, RateLimitPolicy, types};

const SCALE: f64 = 3600.0;

/// The job: the same straight-line code for the first run and every rerun.
async fn month_end(client: &Client, accounts: &[String], out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let job = client.job("month-end-2026-11").wait_for_lease(Duration::from_secs(60)).start().await?;
    let workload = Workload::new()
        .calls(Operation::GenerateInvoiceReport, 1, 1)
        .calls(Operation::ListBillingInvoices, 1, accounts.len() as u64)
        .calls(Operation::GetInvoiceDetails, 1, accounts.len() as u64)
        .calls(Operation::DownloadInvoiceFile, 1, accounts.len() as u64);
    println!("  progress: {}", job.progress(&workload).await?);
    let zoom = job.client();

    // A billing effect: journaled before it is sent, never sent twice.
    let (start, end) = (NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    let request = || {
        types::GenerateInvoiceReportRequest::builder()
            .account_ids(accounts.to_vec())
            .start_date(Some(start))
            .end_date(Some(end))
    };
    let report = match zoom.generate_invoice_report().body(request()).await {
        Ok(report) => report.into_inner(),
        Err(Error::UnknownOutcome(unknown)) => {
            // Sent by a run that stopped before the answer: check as the spec says
            // (`unknown.verify_with`), with the plain client, and record what was found.
            let reports = client.list_invoice_reports().await?.into_inner().invoice_reports;
            let found =
                reports.into_iter().find(|r| r.start_date.as_ref().map(|d| d.to_string()) == Some(start.to_string()));
            match found {
                Some(found) => job.settle(&unknown, Found::Applied(Some(serde_json::to_value(&found)?))).await?,
                None => job.settle(&unknown, Found::NotApplied).await?,
            }
            zoom.generate_invoice_report().body(request()).await?.into_inner()
        }
        Err(error) => return Err(error.into()),
    };
    println!("  invoice report {:?}", report.id);

    for account in accounts {
        let invoices = zoom.list_billing_invoices().account_id(account.as_str()).await?.into_inner();
        for invoice in invoices.invoices {
            let Some(id) = invoice.id else { continue };
            let details = zoom.get_invoice_details().account_id(account.as_str()).invoice_id(id.as_str()).await?;
            std::fs::write(
                out.join(format!("{account}-{id}.json")),
                serde_json::to_vec_pretty(&details.into_inner())?,
            )?;
            let bytes =
                zoom.download_invoice_file().invoice_id(id.as_str()).save_to(out.join(format!("{id}.pdf"))).await?;
            println!("  {account}: invoice {id}, PDF {bytes} bytes");
        }
    }
    println!("  progress: {}", job.progress(&workload).await?);
    job.finish().await?;
    Ok(())
}

/// A fake Zoom enforcing Zoom's limits 3600x faster, with `n` sub accounts of one November invoice each.
async fn fake(n: usize) -> Result<fake_zoom::FakeZoom, Box<dyn std::error::Error>> {
    let date = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    let mut world = fake_zoom::World::standard();
    for k in 1..=n {
        let invoice = fake_zoom::Invoice::new(&format!("inv-{k}"), date, fake_zoom::Amount::from(100 + k as u32));
        world = world.account(fake_zoom::Account::new(&format!("sub-{k}")).invoice(invoice));
    }
    let fake = fake_zoom::FakeZoom::builder().world(world).start().await?;
    fake.set_limits(fake_zoom::LimitConfig { enforce: true, time_scale: SCALE, tolerance: 0.3, ..Default::default() });
    Ok(fake)
}

/// A client of the fake's Server-to-Server app, with its state (and the job's journal) in `state`.
fn client(fake: &fake_zoom::FakeZoom, state: &Path) -> Result<Client, Box<dyn std::error::Error>> {
    Ok(Client::builder()
        .base_url(fake.base_url())
        .oauth_host(fake.oauth_host())
        .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(SCALE))
        .shared_state(SqliteStore::open(state)?)
        .build()?)
}

/// Both runs; what the fake was sent, per operation.
async fn demo(dir: &Path, accounts: usize) -> Result<fake_zoom::FakeZoom, Box<dyn std::error::Error>> {
    let fake = fake(accounts).await?;
    let ids: Vec<String> = (1..=accounts).map(|k| format!("sub-{k}")).collect();
    let (state, out) = (dir.join("state.sqlite3"), dir.join("out"));
    std::fs::create_dir_all(&out)?;

    println!("first run, stopped after 1.5 s:");
    // Each run is a new client, as a new process would make.
    let first = client(&fake, &state)?;
    let stopped = tokio::time::timeout(Duration::from_millis(1500), month_end(&first, &ids, &out)).await;
    assert!(stopped.is_err(), "stopped half way through");
    drop(first);

    println!("second run:");
    month_end(&client(&fake, &state)?, &ids, &out).await?;
    for operation in
        ["generate_invoice_report", "list_billing_invoices", "get_invoice_details", "download_invoice_file"]
    {
        println!("{operation}: {} requests to Zoom", fake.requests_for(operation).len());
    }
    Ok(fake)
}

fn temp_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    std::env::temp_dir().join(format!("month-end-example-{}-{nanos}", std::process::id()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = temp_dir();
    demo(&dir, 6).await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` runs the example: stopped and run again, every request is sent once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stopped_month_end_job_goes_on_without_sending_anything_twice() {
        let dir = temp_dir();
        let fake = demo(&dir, 6).await.unwrap();
        assert_eq!(fake.requests_for("generate_invoice_report").len(), 1);
        for operation in ["list_billing_invoices", "get_invoice_details", "download_invoice_file"] {
            assert_eq!(fake.requests_for(operation).len(), 6, "{operation}");
        }
        assert_eq!(std::fs::read_dir(dir.join("out")).unwrap().count(), 12);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
