//! What a rule check reports: a [`Diagnostic`] at a place in the spec, with a [`Severity`].
//!
//! Types only, at the bottom of the crate, so that both the checks (`lint`)
//! and the error type that carries their findings (`error`) can name them
//! without importing each other.

use std::fmt;

use serde::Serialize;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Generation is refused.
    Error,
    /// Reported, not fatal.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One broken rule at one place.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// 1-based line in the spec file.
    pub line: usize,
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// Stable rule id, e.g. `operation-rate-limit`.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The operation, as `operationId (METHOD /path)`, when the node is inside one.
    pub operation: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}[{}] {}", self.line, self.severity, self.rule, self.message)?;
        if let Some(op) = &self.operation {
            write!(f, " (operation {op})")?;
        }
        write!(f, " at {}", if self.pointer.is_empty() { "/" } else { &self.pointer })
    }
}
