//! Output: a unified diff of the proposal, a summary, and the spec-diff review.

use std::fmt::Write as _;

use similar::TextDiff;
use zoom_billing_codegen::Spec;
use zoom_billing_spec_diff::{self as diff, render::Report};

use crate::propose::Proposal;

/// A unified diff from `old` to `new` (empty when equal).
pub fn unified_diff(label: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    // git's `a/` and `b/` prefixes only make sense for a relative path.
    let (a, b) = if label.starts_with('/') {
        (label.to_owned(), label.to_owned())
    } else {
        (format!("a/{label}"), format!("b/{label}"))
    };
    TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(&a, &b).to_string()
}

/// What the proposal changes and what it leaves for review, as text.
pub fn summary(proposal: &Proposal) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spec-drift: {} edit(s), {} finding(s) left for review",
        proposal.edits.len(),
        proposal.skipped.len()
    );
    for edit in &proposal.edits {
        let _ = writeln!(out, "  edit    {}", edit.summary);
    }
    for note in &proposal.skipped {
        let _ = writeln!(out, "  review  {note}");
    }
    out
}

/// The spec-diff report of the proposal against the current spec, with the
/// Rust impact (both clients generated) unless `rust_impact` is false.
pub fn review(
    label: &str,
    current: &str,
    proposed: &str,
    rust_impact: bool,
) -> Result<String, zoom_billing_codegen::Error> {
    let base = Spec::parse(label, current)?;
    let head = Spec::parse(&format!("{label} (proposed)"), proposed)?;
    let changes = diff::compare(&base, &head);
    let rust_impact = if rust_impact { diff::rust_impact::compare(&base, &head) } else { Vec::new() };
    let report =
        Report { base: base.file.clone(), head: head.file.clone(), changes, rust_impact, versions: (None, None) };
    Ok(report.text())
}
