//! Where findings go: a `tracing` warning, an append-only JSON Lines file, a callback.

use std::fmt;
use std::fs::File;
use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::finding::Finding;

/// A program's own handler of new findings.
pub type Callback = Arc<dyn Fn(&Finding) + Send + Sync>;

/// An open JSON Lines file.
pub(crate) struct JsonLines {
    path: PathBuf,
    file: Mutex<File>,
    /// Failed writes; the first one is logged, none fails a call.
    pub(crate) errors: AtomicU64,
}

impl fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLines").field("path", &self.path).finish_non_exhaustive()
    }
}

impl JsonLines {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn open(path: &Path) -> std::io::Result<JsonLines> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(JsonLines { path: path.to_owned(), file: Mutex::new(file), errors: AtomicU64::new(0) })
    }

    /// Append one line per finding, in one write (lines of concurrent writers do not interleave).
    pub(crate) fn write(&self, findings: &[Finding]) {
        if findings.is_empty() {
            return;
        }
        let mut text = String::new();
        for finding in findings {
            if let Ok(line) = serde_json::to_string(finding) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(error) = file.write_all(text.as_bytes()).and_then(|()| file.flush())
            && self.errors.fetch_add(1, Ordering::Relaxed) == 0
        {
            tracing::warn!(path = %self.path.display(), %error, "zoom_billing drift: cannot append findings");
        }
    }
}

/// One `tracing` warning for a new finding: shape, never values beyond an enum's new value.
pub(crate) fn warn(finding: &Finding) {
    tracing::warn!(
        operation = %finding.operation,
        pointer = %finding.pointer,
        kind = finding.kind.as_str(),
        schema = %finding.schema,
        expected = finding.expected.as_deref().unwrap_or(""),
        observed = finding.observed.json_type.as_str(),
        value = finding.value.as_deref().unwrap_or(""),
        "zoom_billing drift: the response differs from the spec"
    );
}

/// Run a callback; a panic in it is contained so that the call still succeeds.
pub(crate) fn call(callback: &Callback, finding: &Finding) {
    if catch_unwind(AssertUnwindSafe(|| callback(finding))).is_err() {
        tracing::warn!("zoom_billing drift: a findings callback panicked");
    }
}
