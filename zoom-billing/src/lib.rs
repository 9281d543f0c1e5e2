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
//! // Paginated lists stream, page by page, with every parameter set on the builder.
//! let mut renewals = client.list_upcoming_renewals().interval(60).stream();
//! while let Some(account) = renewals.try_next().await? {
//!     println!("{:?} {:?}", account.account_name, account.total_renewal_amount);
//! }
//!
//! // Binary responses stream to a file (atomically) or a writer, never held whole.
//! client.download_invoice_file().invoice_id("2c92c0f8").save_to("invoice.pdf").await?;
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
//!   A paginated operation's builder also has `stream()` ([`paginate`]); a download's
//!   has `save_to(path)` and `write_to(writer)`. A value the spec does not allow is
//!   refused before sending, with what is allowed.
//! - [`reports`]: the generate-wait-download helper for invoice reports.
//! - `job` (feature `jobs`): billing jobs that take days: calls journaled in
//!   the state store, so a rerun goes on where it stopped and sends no billing
//!   effect twice.
//! - [`Money`], [`ZoomDate`], and [`NaiveDate`] and [`Decimal`] re-exported, so the
//!   types the API makes you name need no dependency of your own.
//!
//! # Cargo features
//!
//! The TLS and HTTP ones are passed through to [reqwest]; pick one TLS backend.
//!
//! - `rustls` (default): TLS with rustls and the aws-lc-rs crypto provider
//!   (its build compiles C code).
//! - `rustls-ring`: TLS with rustls and the ring crypto provider, no aws-lc-rs.
//!   Use it with `default-features = false`. If the program has not installed
//!   a rustls provider, [`ClientBuilder::build`] installs ring as the process
//!   default.
//! - `native-tls`: the platform's TLS (OpenSSL on Linux, which needs
//!   `libssl-dev` and `pkg-config` to build; Security.framework on macOS;
//!   SChannel on Windows).
//! - `http2`: HTTP/2, negotiated by ALPN on TLS connections.
//! - `system-proxy`: also the macOS and Windows system proxy settings
//!   (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` are honoured
//!   without it).
//! - `sqlite`: a state store in a local file ([`shared::SqliteStore`]), shared
//!   by the processes of one host (compiles SQLite's C code in).
//! - `redis`: a state store on Redis ([`shared::RedisStore`]), shared by
//!   processes on many hosts.
//! - `drift`: spec-drift observation (`zoom_billing::drift`,
//!   `ClientBuilder::drift_observer`): every JSON success body checked against
//!   the spec's response schemas, compiled into the crate. Off by default, as
//!   most programs never use it: without it the schemas and the checker are
//!   not built.
//! - `jobs`: billing jobs that take days (`zoom_billing::job`,
//!   `Client::job`): a job's calls are journaled in the state store (`sqlite`
//!   or `redis`), so a rerun goes on where it stopped. Off by default, as most
//!   programs never use it: without it the journal, its steps in the call path
//!   and its store operations are not built.
//!
//! With no TLS feature the client speaks plain HTTP only: enough for tests
//! against a local server, and an `https` URL fails with a transport error.
//! A client given to [`ClientBuilder::http_client`] keeps its own TLS and
//! proxy settings.
//!
//! # Testing
//!
//! The [fake-zoom] crate is an in-process fake of this API on 127.0.0.1, with
//! fault injection: the README's "Testing your code" shows a function tested
//! against it, and how tokio's paused clock makes the pacing free in tests.
//!
//! [progenitor]: https://github.com/oxidecomputer/progenitor
//! [reqwest]: https://docs.rs/reqwest/0.13
//! [fake-zoom]: https://docs.rs/fake-zoom

#[rustfmt::skip]
#[allow(missing_docs, unused_imports, dead_code, clippy::all, clippy::pedantic, rustdoc::all)]
mod generated;

// The runtime is a stack; each module uses only those below it in this list, bottom first
// (codegen/tests/module_graph.rs checks it):
// metadata, drift, human, redact, error, request, body, classify, shared, journal, auth, retry,
// pacing, observer, state, spans, hooks, resume, client, call, config, paginate, download,
// reports, job.
// `dates`, `deadline`, `decode`, `money` and `tls` use none of them. One call runs down from `call`: see
// docs/maintaining.md, "One call, top to bottom".
pub mod auth;
mod body;
mod call;
mod classify;
mod client;
mod config;
mod dates;
mod deadline;
mod decode;
mod download;
#[cfg(feature = "drift")]
pub mod drift;
mod error;
mod hooks;
mod human;
#[cfg(feature = "jobs")]
pub mod job;
#[cfg(feature = "jobs")]
mod journal;
pub mod metadata;
mod money;
pub mod observer;
mod pacing;
pub mod paginate;
mod redact;
pub mod reports;
mod request;
#[cfg(feature = "jobs")]
mod resume;
mod retry;
pub mod shared;
mod spans;
mod state;
mod tls;

pub use call::{CallFuture, CallOptions};
/// Dates the API takes (`from`, `to`, report dates), re-exported from chrono.
pub use chrono::NaiveDate;
pub use client::{Client, ResponseExt};
pub use config::{ClientBuilder, DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY_SIZE, USER_AGENT};
pub use dates::{ZoomDate, ZoomDateParseError};
#[cfg(feature = "jobs")]
pub use error::JobError;
pub use error::{
    ApiError, AuthError, BuildError, DecodeError, Error, FieldError, RateLimitKind, RateLimited, Result, StoreError,
    UnknownOutcome,
};
pub use generated::calls::builder;
pub use generated::client::{ByteStream, ResponseValue, types};
pub use generated::operations::Operation;
pub use money::{Money, MoneyParseError};
pub use pacing::{Plan, RateLimitPolicy};
pub use retry::RetryPolicy;
/// The decimal type of [`Money::amount`], re-exported from rust_decimal.
pub use rust_decimal::Decimal;
use state::ClientState;

/// The README's examples are compiled as doctests, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Open string enums: known values plus `Other(String)` for values this
/// version of the crate does not know.
pub mod values {
    pub use crate::generated::values::*;
}
