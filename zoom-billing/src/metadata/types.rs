// The metadata types: the generated operation table (`generated/operations.rs`) is made of them.
// Kept in a file of their own, free of crate paths, so the fixture outputs compiled by
// tests/tests/fixtures_compile.rs use these very types.

use std::time::Duration;

use super::Operation;

/// One operation's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationMeta {
    /// The operation as an enum value.
    pub operation: Operation,
    /// The snake_case operationId, which is also the client's method name.
    pub operation_id: &'static str,
    /// Zoom's own operationId, as used in Zoom's documentation.
    pub zoom_operation_id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template relative to the base URL, e.g. `/accounts/{accountId}/plans`.
    pub path: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Zoom's rate limits for this operation.
    pub rate_limit: RateLimit,
    /// OAuth scope sets that grant access; any one set is enough.
    pub scopes: &'static [&'static [&'static str]],
    /// Whether sending the request twice is harmless. `false` for the three
    /// creating POSTs (generate a report, subscribe a plan or an add-on).
    pub idempotent: bool,
    /// What a success response carries.
    pub response: ResponseKind,
    /// The HTTP status of a success (the spec's 2xx response).
    pub success_status: u16,
    /// For an operation that is not idempotent: how to find out whether a
    /// request whose outcome is unknown took effect (`x-zoom-verify-with`).
    pub verify_with: Option<Verification>,
    /// For a paginated list (`x-zoom-pagination`): where a page's items and the
    /// next page's token are. Its builder has `stream()` and `stream_from(cursor)`.
    pub pagination: Option<Pagination>,
    /// For an operation Zoom deprecated (`deprecated: true`, `x-zoom-replaced-by`):
    /// the operation to use instead.
    pub replaced_by: Option<Operation>,
}

/// Where a paginated list keeps its items and its page token (`x-zoom-pagination`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// The response property that holds a page's items.
    pub items: &'static str,
    /// The query parameter and response property that carry the next page's token.
    pub token: &'static str,
}

/// What the success response of an operation carries, from the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseKind {
    /// A JSON body, decoded into the operation's response type.
    Json,
    /// No body (any 2xx answer counts as success, with or without a body).
    Empty,
    /// Bytes, streamed to the caller.
    Binary,
}

/// How to check whether a request took effect (the spec's `x-zoom-verify-with`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The operation that shows the outcome.
    pub operation: Operation,
    /// What to look for, in a sentence.
    pub how: &'static str,
}

/// Zoom's limits on one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// The shared per-second class the operation belongs to.
    pub label: RateLimitLabel,
    /// The operation's own "one request every N" rule, if any.
    pub min_interval: Option<Duration>,
    /// Requests allowed per UTC day, if limited.
    pub daily_limit: Option<u32>,
    /// What the interval and daily limit are counted per.
    pub per: RateLimitScope,
}

/// In words, e.g. `Heavy; one request every 1800 s per account; 100 a day per account`.
impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = match self.per {
            RateLimitScope::Account => "per account",
            RateLimitScope::AccountId => "per accountId",
        };
        write!(f, "{:?}", self.label)?;
        if let Some(interval) = self.min_interval {
            write!(f, "; one request every {} s {per}", interval.as_secs())?;
        }
        if let Some(daily) = self.daily_limit {
            write!(f, "; {daily} a day {per}")?;
        }
        Ok(())
    }
}

/// Zoom's rate-limit classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateLimitLabel {
    /// Light APIs.
    Light,
    /// Medium APIs.
    Medium,
    /// Heavy APIs.
    Heavy,
    /// Resource-intensive APIs.
    ResourceIntensive,
}

/// What a per-operation limit is counted per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitScope {
    /// The calling account (the one the token belongs to).
    Account,
    /// Each value of the `accountId` path parameter.
    AccountId,
}
