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

use crate::change::Change;
use crate::rules;

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

/// Why the waiver file was refused; each names the file and line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WaiverError {
    /// Not YAML.
    #[error("{file}:{line}:{column}: YAML syntax error: {message}")]
    Syntax {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Not the waiver file's shape.
    #[error("{file}:{line}: {message} (at {path})")]
    Structure {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
        /// The field path (`waivers[0].rule`).
        path: String,
    },
    /// A rule id that the diff does not have.
    #[error("{file}:{line}: unknown rule `{rule}` (see `cargo xtask spec-diff --explain`)")]
    UnknownRule {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// The rule id written.
        rule: String,
    },
    /// A waiver without a reason.
    #[error("{file}:{line}: waiver for `{rule}` has an empty reason")]
    EmptyReason {
        /// The file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// The rule id.
        rule: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waivers: Vec<Waiver>,
}

/// Parse the waiver file; `label` names it in errors.
pub fn parse(label: &str, text: &str) -> Result<Vec<Waiver>, WaiverError> {
    let file = label.to_owned();
    let doc = zoom_billing_codegen::yaml::parse(text).map_err(|e| WaiverError::Syntax {
        file: file.clone(),
        line: e.location.line,
        column: e.location.column,
        message: e.message,
    })?;
    if doc.value.is_null() {
        return Ok(Vec::new());
    }
    let parsed: File = serde_path_to_error::deserialize(&doc.value).map_err(|e| {
        let path = e.path().to_string();
        let pointer = format!("/{}", path.replace(['.', '['], "/").replace(']', ""));
        let line = doc.locate(&pointer).map(|l| l.line).unwrap_or(1);
        WaiverError::Structure { file: file.clone(), line, message: e.into_inner().to_string(), path }
    })?;
    for (i, w) in parsed.waivers.iter().enumerate() {
        if rules::find(&w.rule).is_none() {
            let line = doc.locate(&format!("/waivers/{i}/rule")).map(|l| l.line).unwrap_or(1);
            return Err(WaiverError::UnknownRule { file, line, rule: w.rule.clone() });
        }
        if w.reason.trim().is_empty() {
            let line = doc.locate(&format!("/waivers/{i}")).map(|l| l.line).unwrap_or(1);
            return Err(WaiverError::EmptyReason { file, line, rule: w.rule.clone() });
        }
    }
    Ok(parsed.waivers)
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
