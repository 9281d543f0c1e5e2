//! Streaming downloads (invoice PDFs, invoice reports) and the invoice-report
//! helper.
//!
//! Bodies are copied chunk by chunk: memory use does not grow with the size
//! of the file. Saving to a path writes a temporary file beside the target
//! and renames it on success; on any failure (including the future being
//! dropped) the temporary file is removed and the target is untouched.
//!
//! ```no_run
//! # async fn run(client: zoom_billing::Client) -> zoom_billing::Result<()> {
//! let bytes = client.download_invoice_pdf_to_path("2c92c0f8", "invoice.pdf").await?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::values::InvoiceReportStatus;
use crate::{ByteStream, Client, Error, ResponseValue, types};

/// Copy a binary response to `writer`; returns the number of bytes.
pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(
    response: ResponseValue<ByteStream>,
    writer: &mut W,
) -> Result<u64, Error> {
    let mut stream = response.into_inner().into_inner();
    let mut written = 0u64;
    while let Some(chunk) = stream.try_next().await.map_err(|e| Error::Transport { operation: None, source: e })? {
        writer.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    writer.flush().await?;
    Ok(written)
}

/// Removes the temporary file unless disarmed.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Write a binary response to `path` atomically (temporary file + rename).
pub async fn save_to_path(response: ResponseValue<ByteStream>, path: impl AsRef<Path>) -> Result<u64, Error> {
    let path = path.as_ref();
    let name =
        path.file_name().ok_or_else(|| Error::InvalidRequest(format!("{} is not a file path", path.display())))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{}.{}-{:x}.part", name.to_string_lossy(), std::process::id(), rand::random::<u64>()));
    let mut guard = TempFile(Some(temp.clone()));
    let mut file = tokio::fs::File::create(&temp).await?;
    let written = write_to(response, &mut file).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&temp, path).await?;
    guard.0 = None;
    Ok(written)
}

/// How the invoice-report helper waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportWait {
    /// Time between listings (default 5 s; never less than the list's
    /// minimum interval, which the pacer enforces anyway).
    pub poll_interval: Duration,
    /// Give up after this long (default 30 minutes).
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
    /// Stream an invoice PDF to `writer`.
    pub async fn download_invoice_pdf_to<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        invoice_id: &str,
        writer: &mut W,
    ) -> Result<u64, Error> {
        write_to(self.download_invoice_pdf().invoice_id(invoice_id).send().await?, writer).await
    }

    /// Save an invoice PDF to `path` atomically.
    pub async fn download_invoice_pdf_to_path(&self, invoice_id: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        save_to_path(self.download_invoice_pdf().invoice_id(invoice_id).send().await?, path).await
    }

    /// Stream an invoice report to `writer`.
    pub async fn download_invoice_report_to<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        report_id: &str,
        writer: &mut W,
    ) -> Result<u64, Error> {
        write_to(self.download_invoice_report().invoice_report_id(report_id).send().await?, writer).await
    }

    /// Save an invoice report to `path` atomically.
    pub async fn download_invoice_report_to_path(&self, report_id: &str, path: impl AsRef<Path>) -> Result<u64, Error> {
        save_to_path(self.download_invoice_report().invoice_report_id(report_id).send().await?, path).await
    }

    /// Generate an invoice report, wait until it is `Completed`, and save it
    /// to `path`. If waiting or downloading fails, resume with
    /// [`wait_and_download_invoice_report`](Client::wait_and_download_invoice_report)
    /// and the report id (logged, and in [`Error::Timeout`]'s context):
    /// generating again would spend another of the 100 daily reports.
    pub async fn generate_and_download_invoice_report(
        &self,
        request: types::GenerateInvoiceReportRequest,
        path: impl AsRef<Path>,
        wait: ReportWait,
    ) -> Result<ReportDownload, Error> {
        let report = self.generate_invoice_report().body(request).send().await?.into_inner();
        let id = report.id.ok_or_else(|| Error::ReportFailed {
            report_id: String::new(),
            status: "generated without an id".into(),
        })?;
        tracing::info!(report_id = %id, "invoice report generated");
        self.wait_and_download_invoice_report(&id, path, wait).await
    }

    /// Wait until report `report_id` is `Completed` (polling the list within
    /// its rate limit), then save it to `path`.
    pub async fn wait_and_download_invoice_report(
        &self,
        report_id: &str,
        path: impl AsRef<Path>,
        wait: ReportWait,
    ) -> Result<ReportDownload, Error> {
        let deadline = tokio::time::Instant::now() + wait.max_wait;
        loop {
            let mut reports = self.invoice_reports_stream();
            let mut found = None;
            while let Some(report) = reports.try_next().await? {
                if report.id.as_deref() == Some(report_id) {
                    found = Some(report.status);
                    break;
                }
            }
            match found {
                Some(Some(InvoiceReportStatus::Completed)) => {
                    let bytes = self.download_invoice_report_to_path(report_id, path).await?;
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
            if tokio::time::Instant::now() + wait.poll_interval > deadline {
                return Err(Error::Timeout { operation: "list_invoice_reports", after: wait.max_wait });
            }
            tokio::time::sleep(wait.poll_interval).await;
        }
    }
}
