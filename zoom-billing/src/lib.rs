//! A typed Rust client for Zoom's billing master-account API.
//!
//! The client is generated with [progenitor] from the hand-maintained
//! OpenAPI document `spec/zoom-billing.yaml`; this crate adds the runtime a
//! real program needs around it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use zoom_billing::Client;
//!
//! let client = Client::builder().bearer_token(std::env::var("ZOOM_ACCESS_TOKEN")?).build()?;
//!
//! // Every operation is a method; parameters are set on a builder.
//! let usage = client.get_plan_usage().account_id("me").send().await?;
//! // `.await` on the builder sends it too.
//! let plans = client.get_account_plans().account_id("me").await?;
//! if let Some(base) = &usage.plan_base {
//!     println!("base plan {:?}: {:?} of {:?} hosts used", base.type_, base.usage, base.hosts);
//! }
//!
//! // Binary responses stream: the PDF is never held in memory whole.
//! use futures::TryStreamExt;
//! let pdf = client.download_invoice_pdf().invoice_id("2c92c0f8").await?;
//! let mut stream = pdf.into_inner().into_inner();
//! let mut file = tokio::fs::File::create("invoice.pdf").await?;
//! while let Some(chunk) = stream.try_next().await? {
//!     tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`types`]: request and response types, generated from the spec's schemas.
//! - [`values`]: open string enums (statuses, billing cycles...) that keep
//!   unknown values as `Other(String)` instead of failing.
//! - [`metadata`]: each operation's rate limits, scopes and retry safety, from the spec.
//! - [`builder`]: the per-operation request builders returned by the client's methods;
//!   `send()` (or `.await`) returns [`Result`], whose [`Error`] names the operation.
//! - [`paginate`], [`download`], [`reports`]: streams over paginated lists, streamed
//!   downloads to files, and the generate-wait-download helper for invoice reports.
//!
//! [progenitor]: https://github.com/oxidecomputer/progenitor

#[rustfmt::skip]
#[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]
mod generated;

// The runtime is a stack; each module uses only those below it in this list:
// metadata, human, redact, error, auth, classify, retry, pacing, body, state,
// metrics, hooks, observe, call, client, config, paginate, download, reports.
pub mod auth;
mod body;
mod call;
mod classify;
mod client;
mod config;
mod dates;
pub mod download;
pub mod drift;
pub mod error;
mod hooks;
mod human;
pub mod metadata;
pub mod metrics;
mod money;
mod observe;
pub mod pacing;
pub mod paginate;
mod redact;
pub mod reports;
pub mod retry;
mod state;

pub use auth::{AuthError, TokenProvider};
pub use call::CallOptions;
pub use client::{Client, ResponseExt};
pub use config::{
    BuildError, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY_SIZE, USER_AGENT,
};
pub use dates::{ZoomDate, ZoomDateParseError};
pub use error::{ApiError, DecodeError, Error, FieldError, RateLimitKind, RateLimited, Result, UnknownOutcome};
pub use generated::calls::builder;
pub use generated::client::{ByteStream, ResponseValue, types};
pub use metadata::Operation;
pub use money::{Money, MoneyParseError};
pub use pacing::{Plan, RateLimitPolicy};
pub use retry::RetryPolicy;
use state::ClientState;

/// The README's examples are compiled as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Open string enums: known values plus `Other(String)` for values this
/// version of the crate does not know.
pub mod values {
    pub use crate::generated::values::*;
}
