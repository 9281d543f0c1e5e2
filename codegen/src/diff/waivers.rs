//! `spec/waivers.yaml`: findings the maintainers accepted, each with a reason.
//!
//! ```yaml
//! waivers:
//!   - rule: response-property-removed          # required
//!     operation: get_plan_usage                # operationId, `METHOD /path`, `component` or `document`; omit for any
//!     location: /components/schemas/PlanUsage/properties/plan_base*   # JSON pointer; `*` at the end matches a prefix; omit for any
//!     reason: Zoom stopped sending it (2024-05 changelog); accepted in #42   # required
//! ```
//!
//! A location matches either the finding's `pointer` (as seen from the
//! operation) or its `defined_at` (where it is written). A waived finding is
//! still reported, marked waived, and does not count towards `--fail-on`.

use serde::Deserialize;

use super::Change;

/// The waiver file, relative to the workspace root.
pub const WAIVERS_PATH: &str = "spec/waivers.yaml";

/// One accepted finding (or family of findings).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule id.
    pub rule: String,
    /// operationId, `METHOD /path`, `component` or `document`; any when absent.
    #[serde(default)]
    pub operation: Option<String>,
    /// JSON pointer, optionally ending in `*`; any when absent.
    #[serde(default)]
    pub location: Option<String>,
    /// Why it is accepted (who, when, which PR).
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waivers: Vec<Waiver>,
}

/// Parse the waiver file; `label` names it in errors.
pub fn parse(label: &str, text: &str) -> Result<Vec<Waiver>, String> {
    let doc = crate::yaml::parse(text)
        .map_err(|e| format!("{label}:{}:{}: YAML syntax error: {}", e.location.line, e.location.column, e.message))?;
    if doc.value.is_null() {
        return Ok(Vec::new());
    }
    let file: File = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let path = e.path().to_string();
        let pointer = format!("/{}", path.replace(['.', '['], "/").replace(']', ""));
        let line = doc.locate(&pointer).map(|l| l.line).unwrap_or(1);
        format!("{label}:{line}: {} (at {path})", e.into_inner())
    })?;
    for (i, w) in file.waivers.iter().enumerate() {
        if super::rules::find(&w.rule).is_none() {
            let line = doc.locate(&format!("/waivers/{i}/rule")).map(|l| l.line).unwrap_or(1);
            return Err(format!("{label}:{line}: unknown rule `{}` (see `cargo xtask spec-diff --explain`)", w.rule));
        }
        if w.reason.trim().is_empty() {
            let line = doc.locate(&format!("/waivers/{i}")).map(|l| l.line).unwrap_or(1);
            return Err(format!("{label}:{line}: waiver for `{}` has an empty reason", w.rule));
        }
    }
    Ok(file.waivers)
}

impl Waiver {
    /// Whether this waiver accepts the change.
    pub fn matches(&self, change: &Change) -> bool {
        if self.rule != change.rule {
            return false;
        }
        if let Some(op) = &self.operation {
            let by_route = match (&change.method, &change.path) {
                (Some(m), Some(p)) => *op == format!("{m} {p}"),
                _ => false,
            };
            let by_id = change.operation_id.as_deref() == Some(op.as_str());
            let by_kind = !change.is_operation() && change.operation_label() == *op;
            if !(by_route || by_id || by_kind) {
                return false;
            }
        }
        if let Some(location) = &self.location {
            let hit = |pointer: &str| match location.strip_suffix('*') {
                Some(prefix) => pointer.starts_with(prefix),
                None => pointer == location,
            };
            if !hit(&change.location.pointer) && !hit(&change.location.defined_at) {
                return false;
            }
        }
        true
    }
}

/// Mark every change a waiver accepts; returns the waivers that matched nothing.
pub fn apply<'w>(changes: &mut [Change], waivers: &'w [Waiver]) -> Vec<&'w Waiver> {
    let mut used = vec![false; waivers.len()];
    for change in changes.iter_mut() {
        if let Some((i, w)) = waivers.iter().enumerate().find(|(_, w)| w.matches(change)) {
            change.waived = Some(w.reason.clone());
            used[i] = true;
        }
    }
    waivers.iter().zip(used).filter(|(_, u)| !u).map(|(w, _)| w).collect()
}
