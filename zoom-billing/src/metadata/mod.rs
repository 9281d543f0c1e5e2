//! What the spec says about each operation, as data the runtime reads.
//!
//! The table itself is generated from the spec's `x-zoom-rate-limit` and
//! `security` entries into `generated/operations.rs`; the types live here.

pub use crate::generated::operations::OPERATIONS;
// `Operation` is public at the crate root (one path per item).
pub(crate) use crate::generated::operations::Operation;

mod types;

pub use types::{OperationMeta, Pagination, RateLimit, RateLimitLabel, RateLimitScope, ResponseKind, Verification};

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
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_operation_round_trips() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_operation_id(op.operation_id()), Some(op));
            assert_eq!(op.meta().operation, op);
        }
        assert_eq!(OPERATIONS.len(), Operation::ALL.len());
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
