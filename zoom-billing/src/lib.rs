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
//! if let Some(base) = &usage.plan_base {
//!     println!("base plan {:?}: {:?} of {:?} hosts used", base.type_, base.usage, base.hosts);
//! }
//!
//! // Binary responses stream: the PDF is never held in memory whole.
//! use futures::TryStreamExt;
//! let pdf = client.download_invoice_pdf().invoice_id("2c92c0f8").send().await?;
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
//! - [`builder`]: the per-operation request builders returned by the client's methods.
//!
//! [progenitor]: https://github.com/oxidecomputer/progenitor

#[rustfmt::skip]
#[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic, rustdoc::all)]
mod generated;

pub mod auth;
mod config;
mod decode;
pub mod download;
pub mod error;
mod hooks;
pub mod metadata;
mod observe;
pub mod pacing;
pub mod paginate;
pub mod retry;
mod state;
mod tls;

pub use auth::{AuthError, TokenProvider};
pub use config::{BuildError, ClientBuilder, DEFAULT_BASE_URL, USER_AGENT};
pub use error::{ApiError, DecodeError, Error, FieldError, RateLimitKind, RateLimited, ResponseExt, Result};
/// The error type of the generated `send()` methods; convert it with `?` or
/// `From` into [`Error`].
pub use generated::client::Error as GeneratedError;
pub use generated::client::{ByteStream, Client, ClientInfo, ResponseValue, builder, types};
pub use pacing::{Plan, RateLimitPolicy};
pub use retry::RetryPolicy;
pub use state::ClientState;

/// The README's examples are compiled as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Open string enums: known values plus `Other(String)` for values this
/// version of the crate does not know.
pub mod values {
    pub use crate::generated::values::*;
}
