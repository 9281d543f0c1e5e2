//! What the diff reports: a [`Change`] with its [`Severity`], [`Area`] and [`Location`].
//!
//! Types only, so that the engine, the rules, the waivers and the renderers
//! can all name them without importing each other.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// How a change affects users of the generated client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Existing Rust code stops compiling or stops working.
    Breaking,
    /// May break some users, or changes run-time behaviour; review it.
    Warning,
    /// Additions, relaxations and documentation.
    Info,
}

impl Severity {
    /// The word used in output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of the API a change is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// The operation itself (id, path, scopes, rate limit, docs).
    Operation,
    /// What the client sends: parameters and the request body.
    Request,
    /// What the client receives.
    Response,
    /// A shared component, reported once for all operations that use it.
    Component,
    /// The rest of the document (`info`, `servers`, security schemes...).
    Document,
}

/// Which of the two documents a line number refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The old spec.
    Base,
    /// The new spec.
    Head,
}

/// Where a change is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Request, response, operation, component or document.
    #[serde(rename = "in")]
    pub area: Area,
    /// JSON pointer of the changed node as seen from the operation, with
    /// `$ref`s followed as if inlined (for components: the component itself).
    pub pointer: String,
    /// JSON pointer of the node where it is actually written (inside a
    /// component when it was reached through a `$ref`).
    pub defined_at: String,
    /// Which document `line` refers to: the head, or the base for a removal.
    pub side: Side,
    /// 1-based line of `defined_at` in that document.
    pub line: usize,
}

/// One semantic difference between the two specs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Stable rule id (see [`crate::rules::RULES`]).
    pub rule: &'static str,
    /// Severity, fixed per rule.
    pub severity: Severity,
    /// `GET`, `POST`..., when the change belongs to an operation.
    pub method: Option<String>,
    /// The path template, when the change belongs to an operation.
    pub path: Option<String>,
    /// The operationId (the head's, or the base's for a removed operation).
    pub operation_id: Option<String>,
    /// Where the change is.
    pub location: Location,
    /// The old value (`null` when added).
    pub before: Value,
    /// The new value (`null` when removed).
    pub after: Value,
    /// What changed, in one sentence.
    pub message: String,
    /// The reason from `spec/waivers.yaml` when this finding is accepted.
    pub waived: Option<String>,
}

impl Change {
    /// `METHOD /path (operation_id)`, or `component`/`document`.
    pub fn operation_label(&self) -> String {
        match (&self.method, &self.path) {
            (Some(method), Some(path)) => match &self.operation_id {
                Some(id) => format!("{method} {path} ({id})"),
                None => format!("{method} {path}"),
            },
            _ => match self.location.area {
                Area::Component => "component".to_owned(),
                _ => "document".to_owned(),
            },
        }
    }

    /// Whether the change belongs to an operation (rather than being the
    /// component- or document-level entry).
    pub fn is_operation(&self) -> bool {
        self.method.is_some()
    }
}

/// Per-severity counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Breaking findings.
    pub breaking: usize,
    /// Warnings.
    pub warning: usize,
    /// Informational findings.
    pub info: usize,
}

impl Summary {
    /// Count the changes.
    pub fn of(changes: &[Change]) -> Summary {
        let mut summary = Summary::default();
        for change in changes {
            match change.severity {
                Severity::Breaking => summary.breaking += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Info => summary.info += 1,
            }
        }
        summary
    }
}
