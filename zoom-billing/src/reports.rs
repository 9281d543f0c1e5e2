//! Invoice reports end to end: generate one, wait until Zoom has built it,
//! save it to a file.
//!
//! ```no_run
//! # async fn run(client: zoom_billing::Client) -> zoom_billing::Result<()> {
//! use zoom_billing::{reports::ReportWait, types};
//!
//! let request = types::GenerateInvoiceReportRequest::builder()
//!     .start_date(zoom_billing::NaiveDate::from_ymd_opt(2026, 10, 1))
//!     .end_date(zoom_billing::NaiveDate::from_ymd_opt(2026, 10, 31));
//! let report = client.generate_and_download_invoice_report(request, "october.csv", ReportWait::default()).await?;
//! println!("report {} saved, {} bytes", report.report_id, report.bytes);
//! # Ok(()) }
//! ```

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use crate::values::InvoiceReportStatus;
use crate::{Client, Error, types};

/// How the invoice-report helper waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportWait {
    /// Time between listings (default 5 s; never less than the list's
    /// minimum interval, which the pacer enforces anyway). It runs on the
    /// client's [`RateLimitPolicy`](crate::RateLimitPolicy) clock: its
    /// `time_scale` shortens it as it shortens the pacing, so
    /// [`RateLimitPolicy::for_tests`](crate::RateLimitPolicy::for_tests) polls every 5 ms.
    pub poll_interval: Duration,
    /// Give up after this long, whatever is under way: listing, waiting for
    /// a turn, or downloading (default 30 minutes).
    pub max_wait: Duration,
}

impl Default for ReportWait {
    fn default() -> Self {
        ReportWait { poll_interval: Duration::from_secs(5), max_wait: Duration::from_secs(30 * 60) }
    }
}

impl ReportWait {
    /// Set the polling interval.
    pub fn with_poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }

    /// Set the deadline.
    pub fn with_max_wait(mut self, d: Duration) -> Self {
        self.max_wait = d;
        self
    }
}

/// A downloaded invoice report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportDownload {
    /// The report id (keep it to resume or delete).
    pub report_id: String,
    /// Bytes written.
    pub bytes: u64,
}

impl Client {
    /// Generate an invoice report, wait until it is `Completed`, and save it
    /// to `path`. If waiting or downloading fails, resume with
    /// [`wait_and_download_invoice_report`](Client::wait_and_download_invoice_report)
    /// and the report id (logged, and in [`Error::ReportNotReady`]):
    /// generating again would spend another of the 100 daily reports.
    ///
    /// `request` is what [`GenerateInvoiceReport::body`](crate::builder::GenerateInvoiceReport::body)
    /// takes: the request or its builder.
    pub async fn generate_and_download_invoice_report<V>(
        &self,
        request: V,
        path: impl AsRef<Path>,
        wait: ReportWait,
    ) -> Result<ReportDownload, Error>
    where
        V: TryInto<types::GenerateInvoiceReportRequest>,
        V::Error: std::fmt::Display,
    {
        let report = self.generate_invoice_report().body(request).await?.into_inner();
        let id = report.id.ok_or_else(|| Error::ReportFailed {
            report_id: String::new(),
            status: "generated without an id".into(),
        })?;
        tracing::info!(report_id = %id, "invoice report generated");
        self.wait_and_download_invoice_report(&id, path, wait).await
    }

    /// Wait until report `report_id` is `Completed` (polling the list within
    /// its rate limit), then save it to `path`; all within `wait.max_wait`.
    pub async fn wait_and_download_invoice_report(
        &self,
        report_id: &str,
        path: impl AsRef<Path>,
        wait: ReportWait,
    ) -> Result<ReportDownload, Error> {
        let started = tokio::time::Instant::now();
        let last_status = Mutex::new(String::from("not listed yet"));
        let work = self.wait_and_download(report_id, path.as_ref(), wait, started, &last_status);
        // `timeout` saturates a `max_wait` too far to represent.
        match tokio::time::timeout(wait.max_wait, work).await {
            Ok(result) => result,
            Err(_) => Err(Error::ReportNotReady {
                report_id: report_id.to_owned(),
                status: last_status.lock().map(|s| s.clone()).unwrap_or_default(),
                waited: started.elapsed(),
            }),
        }
    }

    async fn wait_and_download(
        &self,
        report_id: &str,
        path: &Path,
        wait: ReportWait,
        started: tokio::time::Instant,
        last_status: &Mutex<String>,
    ) -> Result<ReportDownload, Error> {
        // Polled without a job's journal, which would answer every poll with the first one's
        // "Processing"; the generation and the download (through `self`) are journaled.
        #[cfg(feature = "jobs")]
        let polling = &self.unjournaled();
        #[cfg(not(feature = "jobs"))]
        let polling = self;
        loop {
            let mut reports = polling.list_invoice_reports().stream();
            let mut found = None;
            while let Some(report) = reports.try_next().await? {
                if report.id.as_deref() == Some(report_id) {
                    found = Some(report.status);
                    break;
                }
            }
            if let (Some(Some(status)), Ok(mut last)) = (&found, last_status.lock()) {
                *last = status.to_string();
            }
            match found {
                Some(Some(InvoiceReportStatus::Completed)) => {
                    let bytes = self.download_invoice_report().invoice_report_id(report_id).save_to(path).await?;
                    return Ok(ReportDownload { report_id: report_id.to_owned(), bytes });
                }
                Some(Some(InvoiceReportStatus::Processing) | None) => {}
                Some(Some(other)) => {
                    return Err(Error::ReportFailed { report_id: report_id.to_owned(), status: other.to_string() });
                }
                None => {
                    return Err(Error::ReportFailed { report_id: report_id.to_owned(), status: "not found".into() });
                }
            }
            if started.elapsed().saturating_add(self.runtime().pacer.scaled(wait.poll_interval)) > wait.max_wait {
                // The next listing would start after the deadline: say so now.
                return Err(Error::ReportNotReady {
                    report_id: report_id.to_owned(),
                    status: last_status.lock().map(|s| s.clone()).unwrap_or_default(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(self.runtime().pacer.scaled(wait.poll_interval)).await;
        }
    }
}
