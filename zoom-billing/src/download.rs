//! Streaming downloads to a writer or a file.
//!
//! Bodies are copied chunk by chunk: memory use does not grow with the size
//! of the file, and a body that stalls longer than the client's
//! [`idle_timeout`](crate::ClientBuilder::idle_timeout) fails. Saving to a
//! path first creates a temporary file beside the target (so a destination
//! that cannot be written fails before the request spends a rate-limit turn),
//! then renames it on success; on any failure, including the future being
//! dropped, the temporary file is removed and the target is untouched.
//!
//! Every operation whose success is a file (a binary response in the spec) has
//! `save_to(path)` and `write_to(writer)` on its builder:
//!
//! ```no_run
//! # async fn run(client: zoom_billing::Client) -> zoom_billing::Result<()> {
//! let bytes = client.download_invoice_file().invoice_id("2c92c0f8").save_to("invoice.pdf").await?;
//! let mut pdf = Vec::new();
//! client.download_invoice_file().invoice_id("2c92c0f8").write_to(&mut pdf).await?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::{self, Limit};
use crate::metadata::Operation;
use crate::{ByteStream, CallFuture, Error, ResponseValue};

/// Copy a binary response to `writer`; returns the number of bytes.
async fn copy<W: AsyncWrite + Unpin + ?Sized>(
    operation: Operation,
    response: ResponseValue<ByteStream>,
    writer: &mut W,
    path: Option<&Path>,
) -> Result<u64, Error> {
    let io = |source| Error::Io { operation, path: path.map(Path::to_path_buf), source };
    let mut stream = response.into_inner().into_inner();
    let mut written = 0u64;
    loop {
        let chunk = match stream.try_next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(match body::limit_hit(&e) {
                    Some(Limit::Idle(idle)) => Error::Stalled { operation, idle },
                    _ => Error::Transport { operation, attempts: 1, source: e.without_url() },
                });
            }
        };
        writer.write_all(&chunk).await.map_err(io)?;
        written += chunk.len() as u64;
    }
    writer.flush().await.map_err(io)?;
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

/// A download to a file: the temporary file exists before anything is sent.
struct Destination {
    path: PathBuf,
    temp: TempFile,
    file: tokio::fs::File,
}

impl Destination {
    fn create(operation: Operation, path: &Path) -> Result<Self, Error> {
        let io = |source| Error::Io { operation, path: Some(path.to_path_buf()), source };
        if path.file_name().is_none() {
            let source = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path");
            return Err(io(source));
        }
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // A short name of its own, not the target's plus a suffix: a legal
        // target name near the file system's limit stays legal.
        let temp = dir.join(format!(".zb-{:x}-{:x}.part", std::process::id(), rand::random::<u32>()));
        // Created synchronously, so that no cancellation can fall between
        // the file's creation and its guard.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp).map_err(io)?;
        Ok(Destination { path: path.to_path_buf(), temp: TempFile(Some(temp)), file: tokio::fs::File::from_std(file) })
    }

    async fn write(mut self, operation: Operation, response: ResponseValue<ByteStream>) -> Result<u64, Error> {
        let io = |source| Error::Io { operation, path: Some(self.path.clone()), source };
        let written = copy(operation, response, &mut self.file, Some(&self.path)).await?;
        self.file.sync_all().await.map_err(io)?;
        drop(self.file);
        if let Some(temp) = self.temp.0.as_ref() {
            tokio::fs::rename(temp, &self.path).await.map_err(io)?;
        }
        self.temp.0 = None;
        Ok(written)
    }
}

/// What a binary operation's builder `save_to(path)` runs: the destination exists before
/// `call` is polled, so nothing is sent when it cannot be written.
pub(crate) async fn save_to(operation: Operation, call: CallFuture<'_, ByteStream>, path: &Path) -> Result<u64, Error> {
    let destination = Destination::create(operation, path)?;
    destination.write(operation, call.await?).await
}

/// What a binary operation's builder `write_to(writer)` runs.
pub(crate) async fn write_to<W: AsyncWrite + Unpin + ?Sized>(
    operation: Operation,
    call: CallFuture<'_, ByteStream>,
    writer: &mut W,
) -> Result<u64, Error> {
    copy(operation, call.await?, writer, None).await
}
