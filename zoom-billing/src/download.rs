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
//! In a job (feature `jobs`), `save_to` journals the file's size and SHA-256;
//! a rerun that finds the same file at the destination does not download it
//! again (a file that differs, or is missing, is downloaded again).
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

use std::future::Future;
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use progenitor_client::Error as GenError;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::{self, Limit};
use crate::metadata::Operation;
use crate::types::ZoomError;
use crate::{ByteStream, CallFuture, Client, Error, ResponseValue};

/// Each chunk of a download, as it is written (a job's digest).
type Tap<'a> = &'a mut (dyn FnMut(&[u8]) + Send);

/// Copy a binary response to `writer`, feeding each chunk to `tap`; returns the number of bytes.
async fn copy<W: AsyncWrite + Unpin + ?Sized>(
    operation: Operation,
    response: ResponseValue<ByteStream>,
    writer: &mut W,
    path: Option<&Path>,
    tap: Tap<'_>,
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
        tap(&chunk);
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

    async fn write(
        mut self,
        operation: Operation,
        response: ResponseValue<ByteStream>,
        tap: Tap<'_>,
    ) -> Result<u64, Error> {
        let io = |source| Error::Io { operation, path: Some(self.path.clone()), source };
        let written = copy(operation, response, &mut self.file, Some(&self.path), tap).await?;
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
/// `call` is polled, so nothing is sent when it cannot be written. `probe` builds the
/// request `call` sends: for a job's client (feature `jobs`), its key in the journal,
/// where a file saved already, still at `path`, is not downloaded again. Any other
/// client never calls it.
pub(crate) async fn save_to<F, Fut>(
    client: &Client,
    operation: Operation,
    probe: F,
    call: CallFuture<'_, ByteStream>,
    path: &Path,
) -> Result<u64, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<ByteStream>, GenError<ZoomError>>>,
{
    #[cfg(feature = "jobs")]
    if let Some(journaled) = journaled::Journaled::find(client, operation, probe).await {
        return journaled.save_to(operation, call, path).await;
    }
    // Without jobs no client has a journal: nothing to probe.
    #[cfg(not(feature = "jobs"))]
    let _ = (client, probe);
    Destination::create(operation, path)?.write(operation, call.await?, &mut |_| {}).await
}

/// What a binary operation's builder `write_to(writer)` runs.
pub(crate) async fn write_to<W: AsyncWrite + Unpin + ?Sized>(
    operation: Operation,
    call: CallFuture<'_, ByteStream>,
    writer: &mut W,
) -> Result<u64, Error> {
    copy(operation, call.await?, writer, None, &mut |_| {}).await
}

/// A job's downloads (feature `jobs`): journaled with the file's size and digest.
#[cfg(feature = "jobs")]
mod journaled {
    use std::future::Future;
    use std::path::Path;
    use std::sync::Arc;

    use progenitor_client::Error as GenError;
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncReadExt;

    use super::Destination;
    use crate::hooks::Sending;
    use crate::journal::{Done, Entry, Journal, RequestKey};
    use crate::metadata::Operation;
    use crate::types::ZoomError;
    use crate::{ByteStream, CallFuture, Client, Error, ResponseValue};

    /// A job's download: its journal and the request's key there.
    pub(super) struct Journaled {
        journal: Arc<Journal>,
        key: RequestKey,
    }

    impl Journaled {
        /// For a job's client, the journal and key of the request `attempt` would
        /// send (built, not sent); `None` for any other client.
        pub(super) async fn find<F, Fut>(client: &Client, operation: Operation, mut attempt: F) -> Option<Journaled>
        where
            F: FnMut() -> Fut,
            Fut: Future<Output = Result<ResponseValue<ByteStream>, GenError<ZoomError>>>,
        {
            let journal = Arc::clone(client.journal()?);
            let key = Sending::probe(operation, attempt()).await?;
            Some(Journaled { journal, key })
        }

        /// `save_to` in a job: a file the journal says was saved, still at `path`, is
        /// not downloaded again; a new one is journaled.
        pub(super) async fn save_to(
            self,
            operation: Operation,
            call: CallFuture<'_, ByteStream>,
            path: &Path,
        ) -> Result<u64, Error> {
            if let Some(size) = self.saved(operation, path).await? {
                return Ok(size);
            }
            let destination = Destination::create(operation, path)?;
            let mut hash = Sha256::new();
            let size = destination.write(operation, call.await?, &mut |chunk| hash.update(chunk)).await?;
            self.record(operation, size, hex(&hash.finalize())).await;
            Ok(size)
        }

        /// The size of the file at `path` if it is the one the journal says was saved.
        async fn saved(&self, operation: Operation, path: &Path) -> Result<Option<u64>, Error> {
            self.journal.check_held()?;
            let Some(Entry::Done(Done::Saved { size, sha256 })) = self.journal.get(operation, &self.key).await? else {
                return Ok(None);
            };
            match digest_of(path, size).await {
                Ok(Some(digest)) if digest == sha256 => Ok(Some(size)),
                _ => Ok(None),
            }
        }

        /// Record the file saved; a journal that cannot be written is logged (the
        /// file is there; a rerun downloads it again).
        async fn record(self, operation: Operation, size: u64, sha256: String) {
            let entry = Entry::Done(Done::Saved { size, sha256 });
            if let Err(error) = self.journal.put(operation, &self.key, Some(&entry)).await {
                tracing::warn!(job = %self.journal.name, %operation, error = %error, "the download was not journaled");
            }
        }
    }

    /// The SHA-256 of the file at `path`, if it exists and has `size` bytes.
    async fn digest_of(path: &Path, size: u64) -> std::io::Result<Option<String>> {
        let mut file = match tokio::fs::File::open(path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if file.metadata().await?.len() != size {
            return Ok(None);
        }
        let mut hash = Sha256::new();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
        }
        Ok(Some(hex(&hash.finalize())))
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
