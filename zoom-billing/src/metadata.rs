//! What the spec says about each operation, as data the runtime reads.
//!
//! The table itself is generated from the spec's `x-zoom-rate-limit` and
//! `security` entries into `generated/operations.rs`; the types live here.

use std::time::Duration;

pub use crate::generated::operations::{OPERATIONS, Operation};

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

impl Operation {
    /// Look an operation up by its HTTP method and a concrete request path
    /// (relative to the base URL, without query), e.g. `GET /accounts/me/plans`.
    pub fn from_request(method: &str, path: &str) -> Option<Operation> {
        let path = path.split('?').next().unwrap_or(path);
        OPERATIONS
            .iter()
            .find(|meta| meta.method.eq_ignore_ascii_case(method) && template_matches(meta.path, path))
            .map(|meta| meta.operation)
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.trim_matches('/').split('/');
    let mut p = path.trim_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_operation_id(op.operation_id()), Some(op));
            assert_eq!(op.meta().operation, op);
        }
        assert_eq!(OPERATIONS.len(), 18);
    }

    #[test]
    fn creating_posts_are_not_idempotent() {
        let mut unsafe_ops: Vec<_> = OPERATIONS.iter().filter(|m| !m.idempotent).map(|m| m.operation_id).collect();
        unsafe_ops.sort();
        assert_eq!(unsafe_ops, ["generate_invoice_report", "subscribe_addon_plan", "subscribe_plan"]);
    }

    #[test]
    fn requests_map_to_operations() {
        assert_eq!(Operation::from_request("GET", "/accounts/me/plans/usage"), Some(Operation::GetPlanUsage));
        assert_eq!(Operation::from_request("get", "/accounts/me/plans"), Some(Operation::GetAccountPlans));
        assert_eq!(
            Operation::from_request("GET", "/accounts/billing/invoice_reports?next_page_token=x"),
            Some(Operation::ListInvoiceReports)
        );
        assert_eq!(Operation::from_request("DELETE", "/accounts/me/plans"), None);
    }

    #[test]
    fn limits_from_the_spec() {
        let invoices = Operation::ListBillingInvoices.meta().rate_limit;
        assert_eq!(invoices.min_interval, Some(Duration::from_secs(300)));
        assert_eq!(invoices.daily_limit, Some(6));
        assert_eq!(invoices.per, RateLimitScope::AccountId);
    }
}
