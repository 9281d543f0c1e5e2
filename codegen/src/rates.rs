//! The per-plan rate of each rate-limit label, read from the spec's top-level
//! `x-zoom-label-rates`: the one table the client's pacing (zoom-billing's
//! `generated/rates.rs`) and the fake's enforcement (fake-zoom's contract) are
//! both generated from.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

/// The labels every plan must give a rate for (the runtime's `RateLimitLabel`).
pub const LABELS: [&str; 4] = ["Light", "Medium", "Heavy", "Resource-intensive"];

/// One label's rate on one plan: `requests` per `per_secs` seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelRate {
    /// The plan as the spec names it (`Free`, `Pro`, `BusinessPlus`).
    pub plan: String,
    /// The label (`Light`...).
    pub label: String,
    /// Requests allowed...
    pub requests: f64,
    /// ...per this many seconds (1 or 60).
    pub per_secs: u32,
}

impl LabelRate {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.requests / f64::from(self.per_secs)
    }
}

/// Parse `"30/s"` or `"10/min"`.
fn parse_rate(text: &str) -> Option<(f64, u32)> {
    let (count, unit) = text.split_once('/')?;
    let count: f64 = count.trim().parse().ok().filter(|c: &f64| c.is_finite() && *c > 0.0)?;
    let per = match unit.trim() {
        "s" => 1,
        "min" => 60,
        _ => return None,
    };
    Some((count, per))
}

/// The table, in spec order; empty when the spec has no `x-zoom-label-rates`. Every plan
/// must rate every label of [`LABELS`], so a lookup by plan and label always finds one.
pub fn extract(root: &Value) -> Result<Vec<LabelRate>, String> {
    let Some(table) = root.get("x-zoom-label-rates") else { return Ok(Vec::new()) };
    let plans = table.as_object().ok_or("`x-zoom-label-rates` must map plans to label rates")?;
    let mut rates = Vec::new();
    for (plan, labels) in plans {
        let labels =
            labels.as_object().ok_or_else(|| format!("`x-zoom-label-rates/{plan}` must map labels to rates"))?;
        for label in LABELS {
            if !labels.contains_key(label) {
                return Err(format!("`x-zoom-label-rates/{plan}` has no rate for `{label}`"));
            }
        }
        for (label, rate) in labels {
            if !LABELS.contains(&label.as_str()) {
                return Err(format!(
                    "`x-zoom-label-rates/{plan}/{label}`: unknown label (known: {})",
                    LABELS.join(", ")
                ));
            }
            let (requests, per_secs) = rate.as_str().and_then(parse_rate).ok_or_else(|| {
                format!("`x-zoom-label-rates/{plan}/{label}` must be `<requests>/s` or `<requests>/min`, not {rate}")
            })?;
            rates.push(LabelRate { plan: plan.clone(), label: label.clone(), requests, per_secs });
        }
    }
    Ok(rates)
}

/// Rust tokens for zoom-billing's `generated/rates.rs`.
pub fn render(rates: &[LabelRate], module_root: &syn::Path) -> TokenStream {
    let entries = rates.iter().map(|r| {
        let plan = &r.plan;
        let label = format_ident!("{}", heck::AsUpperCamelCase(&r.label).to_string());
        let requests = Literal::f64_unsuffixed(r.requests);
        let rate = if r.per_secs == 1 {
            quote!(#requests)
        } else {
            let per = Literal::f64_unsuffixed(f64::from(r.per_secs));
            quote!(#requests / #per)
        };
        quote!((#plan, RateLimitLabel::#label, #rate))
    });
    quote! {
        use #module_root::metadata::RateLimitLabel;

        /// Requests per second of each label on each plan, as `(plan, label, rate)`: the
        /// spec's `x-zoom-label-rates`.
        pub(crate) static LABEL_RATES: &[(&str, RateLimitLabel, f64)] = &[#(#entries),*];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_rates_per_second_and_per_minute() {
        let all = |r: &str| json!({"Light": r, "Medium": "1/s", "Heavy": "1/s", "Resource-intensive": "1/s"});
        let root = json!({"x-zoom-label-rates": {"Pro": all("30/s"), "Free": all("6/min")}});
        let rates = extract(&root).unwrap();
        assert_eq!(rates.len(), 8);
        let free = rates.iter().find(|r| r.plan == "Free" && r.label == "Light").unwrap();
        assert_eq!(free.per_second(), 0.1);
        assert!(extract(&json!({"x-zoom-label-rates": {"Pro": all("fast")}})).unwrap_err().contains("Pro/Light"));
        assert!(extract(&json!({"x-zoom-label-rates": {"Pro": {"Light": "1/s"}}})).unwrap_err().contains("Medium"));
        assert!(extract(&json!({})).unwrap().is_empty());
    }
}
