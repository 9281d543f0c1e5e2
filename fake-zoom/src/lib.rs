//! An in-process, stateful fake of Zoom's billing master-account API on
//! 127.0.0.1, for testing programs that use the [zoom-billing] client (or any
//! other HTTP client) without a Zoom account or a network.
//!
//! It knows the whole spec: every request is checked against it (and refused as Zoom
//! refuses, `400` code `300` naming the field), every operation of the spec is answered
//! (by the stateful model, or else by the spec's example), and its rate limits can be
//! enforced ([`FakeZoom::set_limits`]) with Zoom's 429 on a scalable clock. Its world
//! (accounts, plans, invoices with exact amounts, renewals, reports) can be seeded before a
//! test and read back after. `GET /fake/stats` answers counters as JSON, for other processes
//! (the `fake-zoom` binary serves the same fake on a fixed port, `--seed world.json`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fake_zoom::{FakeZoom, Fault};
//!
//! let fake = FakeZoom::start().await?; // a free port of 127.0.0.1, on this tokio runtime
//! fake.inject(Fault::status(503).operation("get_plan_usage"))?; // the next usage call fails
//!
//! let http = reqwest::Client::new();
//! let url = format!("{}/accounts/me/plans/usage", fake.base_url());
//! let first = http.get(&url).bearer_auth(fake_zoom::FIXED_TOKEN).send().await?;
//! assert_eq!(first.status(), 503);
//! let second = http.get(&url).bearer_auth(fake_zoom::FIXED_TOKEN).send().await?;
//! assert_eq!(second.status(), 200);
//! assert_eq!(fake.requests_for("get_plan_usage").len(), 2);
//! # Ok(()) }
//! ```
//!
//! With zoom-billing, point the client at [`FakeZoom::base_url`] (and
//! [`FakeZoom::oauth_host`] for Server-to-Server OAuth) and turn its pacing
//! off, or run the test on tokio's paused clock: zoom-billing's README
//! ("Testing your code") tests a function both ways.
//!
//! # What it serves
//!
//! Every operation of the spec under `/v2`. Every response carries an `x-zm-trackingid`
//! header (`fake-track-N`). The fake has no rate limits unless [`FakeZoom::set_limits`] turns
//! them on: otherwise a 429 comes only from a [`Fault`].
//!
//! [`FakeZoom::start`] serves [`World::standard`]; [`FakeZoom::start_with`] serves your
//! [`World`] (see [Seeding](#seeding)).
//!
//! | Resource | In the standard world | Behaviour |
//! |---|---|---|
//! | accounts | any id (`me`, `sub-1`...) | each account keeps its own plans and billing contact; in a seeded world without [`World::any_account`], an unknown account is `404` code `2001` |
//! | billing contact | every account | Jill Chill until `PATCH` merges fields into it |
//! | plans | none until subscribed | `GET` is `{}`; `POST .../plans` subscribes; changing or cancelling the base plan or an add-on, or subscribing an add-on, before that is `400` code `200` |
//! | add-ons | the types subscribed (served as `plan_webinar`) | updating or cancelling another type is `404` code `2100` |
//! | plan usage | every account | the plans with their `usage` (1 for a base plan, 0 for an add-on unless seeded) |
//! | invoices | `inv-1` (`INV00000001`, 2039 USD, 2024-08-07) | listed when its date is within `from`/`to`; details of an id the account does not have are `404` code `3200` |
//! | invoice PDFs | any id | a stream of [`FakeZoom::set_download_size`] bytes (64 KiB by default) starting `%PDF-1.7` |
//! | invoice reports | `rpt-N`, made by `POST`, [`FakeZoom::seed_reports`] or the world | a posted report is `Processing` until a second list shows it, then `Completed`; downloading it before is `400` code `3001`; an unknown id (download or `DELETE`) is `404` code `3001` |
//! | renewals | `sub-0`, `sub-1`, `sub-2`, a week from today ([`FakeZoom::set_renewals`]) | those due within `interval` days (30, 60 or 90; 30 by default) of [`World::today`], paged by `page_size` (1 to 49, default 30) |
//!
//! Lists page with `next_page_token` (invoice reports: [`FakeZoom::set_report_page_size`],
//! 10 by default). A page token expires 15 minutes after it was issued, by
//! tokio's clock: the next request with it gets `400` code `300`, as Zoom answers.
//!
//! An operation the model does not know (one added to the spec later) is answered with the
//! spec's example for its success status.
//!
//! **A 404**: an unknown report, add-on type, invoice or (in a closed world) account, any
//! path the API does not have (`404` code `404`), or an injected `Fault::status(404)`.
//!
//! # Seeding
//!
//! A [`World`] is plain data: accounts with base and add-on plans, usage, a billing contact
//! and invoices (exact [`Amount`]s, dates, statuses, line items), renewals with their dates,
//! invoice reports. Start the fake with it, let the code under test run, then read back what
//! changed with [`FakeZoom::world`] or [`FakeZoom::account`]. The `fake-zoom` binary takes
//! the same world as a JSON or YAML file (`--seed world.json`), amounts written as strings
//! (`"2039.10"`) or, in YAML, as numbers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fake_zoom::{Account, FakeZoom, Invoice, Plan, World};
//!
//! let world = World::new().account(
//!     Account::new("sub-1")
//!         .base_plan(Plan::new("monthly").hosts(20))
//!         .invoice(Invoice::new("inv-7", "2026-01-31".parse()?, "2039.10".parse()?)),
//! );
//! let fake = FakeZoom::start_with(world).await?;
//! let http = reqwest::Client::new();
//! let url = format!("{}/accounts/sub-1/billing/invoices?from=2026-01-01", fake.base_url());
//! let text = http.get(&url).bearer_auth(fake_zoom::FIXED_TOKEN).send().await?.text().await?;
//! assert!(text.contains(r#""total_amount":2039.10"#));
//!
//! let url = format!("{}/accounts/sub-1/plans/addons", fake.base_url());
//! let body = r#"{"type": "webinar500_monthly", "hosts": 2}"#;
//! http.post(&url).bearer_auth(fake_zoom::FIXED_TOKEN).body(body).send().await?;
//! assert_eq!(fake.account("sub-1").map(|a| a.addons.len()), Some(1));
//! # Ok(()) }
//! ```
//!
//! # OAuth
//!
//! `POST /oauth/token?grant_type=account_credentials&account_id=ACCOUNT_ID` with
//! HTTP Basic `CLIENT_ID:CLIENT_SECRET` (by default [`ACCOUNT_ID`],
//! [`CLIENT_ID`], [`CLIENT_SECRET`]) issues a token (`fake-s2s-N`) that lives
//! [`FakeZoom::set_token_lifetime`] seconds (3600 by default, tokio's clock). A
//! wrong grant type is `400 unsupported_grant_type`, wrong client credentials
//! `401 invalid_client`, a wrong account id `400 invalid_request`, each with
//! Zoom's `reason`.
//!
//! API calls need `Authorization: Bearer` with an issued, unexpired token or the
//! fixed token [`FIXED_TOKEN`]; otherwise they get `401` code `124` ("Invalid
//! access token"), as Zoom answers an expired token. [`FakeZoom::revoke_tokens`]
//! expires every issued token at once; [`FakeZoom::token_requests`] counts the
//! token requests.
//!
//! # Validation
//!
//! After auth and limits, a request is checked against its operation in the spec: path and
//! query parameters (types, enums, limits, required ones present) and the JSON body (types,
//! required fields, enums, date formats). A request that does not fit is refused as Zoom
//! refuses it, `400` with `{"code": 300, "message": "Invalid field: plan_base.hosts must be an
//! integer.", "errors": [{"field": "plan_base.hosts", ...}]}`, and kept in
//! [`FakeZoom::refused`]. Unknown query parameters and body properties pass, as an optional
//! property sent as `null` does, so a valid request is never refused.
//!
//! # Faults
//!
//! [`FakeZoom::inject`] queues a [`Fault`]; the first queued fault that matches
//! a request replaces the answer for [`Fault::times`] requests (1 by default), then is gone.
//! A fault matches any request unless aimed: [`Fault::operation`] (an operationId; `inject`
//! refuses one the spec does not have) and [`Fault::account`] (the `accountId`), [`Fault::on`]
//! a method, or [`Fault::path_contains`] a path fragment (the token endpoint included).
//!
//! | Fault | What the client sees |
//! |---|---|
//! | [`Fault::status`]`(code)` | that status with a Zoom error body (`code`, `message`) |
//! | [`Fault::body`]`(code, text)` | that status with exactly this body text (`2039.10` stays `2039.10`) |
//! | [`Fault::json`]`(code, body)` | that status with your JSON body |
//! | [`Fault::header`]`(name, value)` | adds a header to any of the above |
//! | [`Fault::qps_limit`]`(headers)` | a per-second 429 (`X-RateLimit-Type: QPS`) with your headers, e.g. `Retry-After` in seconds, an HTTP date or ISO-8601 |
//! | [`Fault::daily_limit`]`(retry_after)` | a daily-limit 429 (`X-RateLimit-Type: Daily-limit`, `Remaining: 0`, `Retry-After`) |
//! | [`Fault::delay`]`(duration)` | the normal answer after a delay (tokio's clock: a client timeout fires first if shorter) |
//! | [`Fault::reset`]`()` | the connection closes without an answer |
//! | [`Fault::cut_off_after`]`(bytes)` | a download announces its full length, sends this many bytes, then the connection breaks |
//! | [`FaultKind::RawJson`] | `200` with this body as `application/json` (malformed or truncated JSON, a wrong shape) |
//! | [`FaultKind::ExpirePageToken`] | `400` code `300`: the page token is expired |
//!
//! Every request, faulted or not, is in the log: [`FakeZoom::requests`],
//! [`FakeZoom::requests_for`] (one operation) and [`FakeZoom::requests_to`] (a path
//! fragment) give method, path, query, headers, body, operation and arrival time ([`Logged`]).
//!
//! # Time
//!
//! The server runs on the tokio runtime that starts it, and every duration
//! above (token lifetime, page-token expiry, delays) is measured with
//! `tokio::time`. On a paused clock (`#[tokio::test(start_paused = true)]`,
//! tokio's `test-util` feature) the client's pacing, backoff and the fake's
//! expiries advance together, without sleeping: a test can
//! `tokio::time::advance` past a token's expiry or a page token's 15 minutes.
//!
//! # Modules
//!
//! A stack, each using only those above it: `world` (seed types), `contract` (the spec as
//! generated by codegen into `generated/contract.rs`), `validate`, `faults`, `limits`,
//! `respond` (answers), `routes` (the model), `server`, `cli`.
//!
//! [zoom-billing]: https://docs.rs/zoom-billing

// The README's examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod generated {
    pub(crate) mod contract;
}

mod world;

mod contract;
mod validate;

mod faults;
mod limits;

mod respond;
mod routes;

mod server;

pub mod cli;

pub use contract::{Contract, ContractError};
pub use faults::{Fault, FaultKind, UnknownOperation};
pub use limits::LimitConfig;
pub use routes::drifted_invoice_list;
pub use server::{ACCOUNT_ID, Builder, CLIENT_ID, CLIENT_SECRET, FIXED_TOKEN, FakeZoom, Logged};
pub use validate::Refusal;
pub use world::{
    Account, Amount, AmountError, Contact, Invoice, InvoiceItem, InvoiceReport, Plan, RenewableSubscription, Renewal,
    SeedError, World,
};
