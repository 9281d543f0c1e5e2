//! Spec drift: what Zoom sends that the spec does not say.
//!
//! Off by default. With a [`DriftObserver`] given to
//! [`ClientBuilder::drift_observer`](crate::ClientBuilder::drift_observer),
//! every JSON success body is checked against its operation's response schema
//! (compiled from the spec into the crate) before it is decoded as usual. Each
//! difference becomes a [`Finding`]: an unknown property, a missing required
//! property, an unlisted value of an open enum, a type or a format that differs,
//! with where (a JSON pointer), when first seen and how often. Findings hold
//! shapes, not values (see [`privacy`]); they go to a `tracing` warning, an
//! append-only JSON Lines file and/or a callback, once each, and
//! `cargo xtask spec-drift` turns JSON Lines files into a proposed spec change
//! (docs/spec-drift.md).
//!
//! Observation never fails a call and never panics; memory is bounded by
//! [`DriftOptions::max_findings`].

mod finding;
#[cfg(test)]
mod oracle;
pub mod privacy;
mod scan;
#[cfg(test)]
mod scan_tests;
/// The compiled form of the spec's response schemas, as codegen writes it into
/// `generated/schemas.rs`: a flat table of nodes that refer to each other by
/// index. A `$ref` is one node shared by every place that uses it and a
/// recursive schema is a cycle of indices, so the table is small and walking it
/// allocates nothing.
pub mod schema;
mod sinks;
mod walk;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use finding::{Finding, FindingKind};
pub use privacy::{JsonType, LooksLike, Observed};
pub use sinks::Callback;

use crate::generated::schemas;
use crate::metadata::Operation;
use finding::Store;
use sinks::JsonLines;

/// Distinct findings kept by default.
pub const DEFAULT_MAX_FINDINGS: usize = 256;

/// How to observe drift: where findings go, whether samples are kept, how many.
#[derive(Clone)]
#[must_use]
pub struct DriftOptions {
    tracing: bool,
    json_lines: Option<PathBuf>,
    callbacks: Vec<Callback>,
    samples: bool,
    max_findings: usize,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions::new()
    }
}

impl fmt::Debug for DriftOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriftOptions")
            .field("tracing", &self.tracing)
            .field("json_lines", &self.json_lines)
            .field("callbacks", &self.callbacks.len())
            .field("samples", &self.samples)
            .field("max_findings", &self.max_findings)
            .finish()
    }
}

impl DriftOptions {
    /// No sinks (findings are only kept in memory, see [`DriftObserver::findings`]),
    /// no samples, at most [`DEFAULT_MAX_FINDINGS`] distinct findings.
    pub fn new() -> Self {
        DriftOptions {
            tracing: false,
            json_lines: None,
            callbacks: Vec::new(),
            samples: false,
            max_findings: DEFAULT_MAX_FINDINGS,
        }
    }

    /// Log a `tracing` warning the first time each finding is seen.
    pub fn tracing(mut self) -> Self {
        self.tracing = true;
        self
    }

    /// Append findings to this JSON Lines file (created if absent): a line when a
    /// finding is first seen, and on [`DriftObserver::flush`] (and drop) a line with
    /// the sightings since.
    pub fn json_lines(mut self, path: impl Into<PathBuf>) -> Self {
        self.json_lines = Some(path.into());
        self
    }

    /// Call `callback` the first time each finding is seen (on the calling task:
    /// keep it short).
    pub fn callback(mut self, callback: impl Fn(&Finding) + Send + Sync + 'static) -> Self {
        self.callbacks.push(std::sync::Arc::new(callback));
        self
    }

    /// Keep a redacted sample of the offending value in each finding (off by
    /// default; see [`privacy`] for what is redacted).
    pub fn samples(mut self, on: bool) -> Self {
        self.samples = on;
        self
    }

    /// Keep at most this many distinct findings; sightings of further ones are
    /// only counted ([`DriftObserver::dropped`]).
    pub fn max_findings(mut self, max: usize) -> Self {
        self.max_findings = max;
        self
    }
}

/// Why an observer could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriftError {
    /// The JSON Lines file could not be opened for appending.
    #[error("cannot open the drift findings file {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Checks JSON success bodies against the spec and keeps what differs.
///
/// Share it (`Arc`) between the client and the code that reads
/// [`findings`](Self::findings) or calls [`flush`](Self::flush).
pub struct DriftObserver {
    store: Mutex<Store>,
    samples: bool,
    tracing: bool,
    json_lines: Option<JsonLines>,
    callbacks: Vec<Callback>,
}

impl fmt::Debug for DriftObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriftObserver")
            .field("samples", &self.samples)
            .field("tracing", &self.tracing)
            .field("json_lines", &self.json_lines)
            .field("callbacks", &self.callbacks.len())
            .finish_non_exhaustive()
    }
}

impl DriftObserver {
    /// An observer with these options; opens the JSON Lines file, if any.
    pub fn new(options: DriftOptions) -> Result<DriftObserver, DriftError> {
        let json_lines = match &options.json_lines {
            Some(path) => {
                Some(JsonLines::open(path).map_err(|source| DriftError::Open { path: path.clone(), source })?)
            }
            None => None,
        };
        Ok(DriftObserver {
            store: Mutex::new(Store::new(options.max_findings)),
            samples: options.samples,
            tracing: options.tracing,
            json_lines,
            callbacks: options.callbacks,
        })
    }

    /// Check `body`, the JSON success body of `operation`. Never fails: a body
    /// that is not valid JSON is left to the decoder to report, and an operation
    /// without a JSON response is ignored.
    pub fn observe(&self, operation: Operation, body: &[u8]) {
        let Some(root) = schemas::response_root(operation) else { return };
        let found = walk::Walker::new(&schemas::NODES, self.samples).walk(root, body);
        if found.is_empty() {
            return;
        }
        let new = self.lock().merge(operation.operation_id(), found, chrono::Utc::now());
        if new.is_empty() {
            return;
        }
        if let Some(file) = &self.json_lines {
            file.write(&new);
        }
        for finding in &new {
            if self.tracing {
                sinks::warn(finding);
            }
            for callback in &self.callbacks {
                sinks::call(callback, finding);
            }
        }
    }

    /// Every distinct finding so far, sorted by operation, pointer and kind.
    pub fn findings(&self) -> Vec<Finding> {
        self.lock().all()
    }

    /// Sightings of findings not kept because [`DriftOptions::max_findings`] was reached.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Append the sightings since the last write to the JSON Lines file (also done on drop).
    pub fn flush(&self) {
        if let Some(file) = &self.json_lines {
            let unwritten = self.lock().take_unwritten();
            file.write(&unwritten);
        }
    }

    /// The JSON Lines file, if any.
    pub fn json_lines_path(&self) -> Option<&Path> {
        self.json_lines.as_ref().map(|j| j.path())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for DriftObserver {
    fn drop(&mut self) {
        self.flush();
    }
}
