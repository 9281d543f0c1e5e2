//! A hook for metrics: one event per attempt of every call.
//!
//! ```no_run
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use zoom_billing::observer::{AttemptEvent, CallObserver};
//!
//! #[derive(Default)]
//! struct Counters { attempts: AtomicU64, retries: AtomicU64 }
//!
//! impl CallObserver for Counters {
//!     fn on_attempt(&self, event: &AttemptEvent<'_>) {
//!         self.attempts.fetch_add(1, Ordering::Relaxed);
//!         if event.retry_in.is_some() {
//!             self.retries.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//! }
//!
//! # fn main() -> Result<(), zoom_billing::BuildError> {
//! let client = zoom_billing::Client::builder().bearer_token("t").observer(Counters::default()).build()?;
//! # Ok(()) }
//! ```
//!
//! The observer is called inline, on the task that runs the call: keep it
//! cheap (count, then export elsewhere). A client without an observer pays
//! one branch per attempt.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::error::Error;
use crate::metadata::Operation;

/// Receives one [`AttemptEvent`] per attempt. Set it with
/// [`ClientBuilder::observer`](crate::ClientBuilder::observer).
pub trait CallObserver: Send + Sync + 'static {
    /// An attempt ended (with an answer, an error, or a decision to retry).
    fn on_attempt(&self, event: &AttemptEvent<'_>);
}

/// What one attempt did.
#[derive(Debug)]
#[non_exhaustive]
pub struct AttemptEvent<'a> {
    /// The operation.
    pub operation: Operation,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Zoom's HTTP status, when it answered.
    pub status: Option<StatusCode>,
    /// Zoom's `x-zm-trackingid`, when it answered with one.
    pub tracking_id: Option<&'a str>,
    /// From sending to the outcome (zero when nothing was sent).
    pub duration: Duration,
    /// How long the attempt waited for its pacing turn.
    pub pacing_wait: Duration,
    /// `Some(delay)` when the call retries after this attempt.
    pub retry_in: Option<Duration>,
    /// The call's error, when this attempt ended it with one.
    pub error: Option<&'a Error>,
}

/// A client's observer, shared by its clones.
#[derive(Clone)]
pub(crate) struct SharedObserver(pub(crate) Arc<dyn CallObserver>);

impl fmt::Debug for SharedObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallObserver(..)")
    }
}

impl std::ops::Deref for SharedObserver {
    type Target = dyn CallObserver;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
