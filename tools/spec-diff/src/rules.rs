//! The spec-diff rules: one table, the single source for `--explain` and the docs.
//!
//! Severities are judged for the users of the generated Rust client, not for
//! a hand-written HTTP client: a change that makes existing Rust code stop
//! compiling, or stop working at run time, is `breaking` even when the wire
//! contract would tolerate it.

use crate::change::Severity;

/// One rule of the spec diff.
#[derive(Clone, Copy, Debug)]
pub struct DiffRule {
    /// Stable id (used in waivers; never reused for something else).
    pub id: &'static str,
    /// Severity of every finding of this rule.
    pub severity: Severity,
    /// What the rule reports.
    pub summary: &'static str,
    /// Why it has this severity, for users of the generated client.
    pub why: &'static str,
}

const fn rule(id: &'static str, severity: Severity, summary: &'static str, why: &'static str) -> DiffRule {
    DiffRule { id, severity, summary, why }
}

use Severity::{Breaking, Info, Warning};

/// Every rule, grouped as they are documented.
pub const RULES: &[DiffRule] = &[
    // ------------------------------------------------------------ operations
    rule("operation-added", Info, "A new operation.", "A new client method; nothing existing changes."),
    rule(
        "operation-removed",
        Breaking,
        "An operation is gone (the message says whether it was deprecated first).",
        "The client method disappears: every caller stops compiling, deprecated or not.",
    ),
    rule(
        "operation-id-changed",
        Breaking,
        "An operation's `operationId` changed.",
        "The operationId is the Rust method name (and the builder type's name): callers stop compiling.",
    ),
    rule(
        "operation-path-changed",
        Warning,
        "An operation (matched by operationId) moved to another path.",
        "The Rust API is unchanged, but the request goes to a different URL: confirm Zoom really moved it.",
    ),
    // ------------------------------------------------------------ parameters
    rule(
        "parameter-added-required",
        Breaking,
        "A new required parameter.",
        "Existing calls do not set it, so the builder fails at `send()` with a missing-parameter error.",
    ),
    rule(
        "parameter-added-optional",
        Info,
        "A new optional parameter.",
        "A new builder setter; existing calls are unaffected.",
    ),
    rule(
        "parameter-removed",
        Breaking,
        "A parameter is gone.",
        "Its builder setter disappears: callers that set it stop compiling.",
    ),
    rule(
        "parameter-renamed",
        Breaking,
        "A parameter was renamed (one removed and one added at the same place).",
        "The builder setter is renamed: callers stop compiling.",
    ),
    rule(
        "parameter-became-required",
        Breaking,
        "An optional parameter became required.",
        "Calls that did not set it now fail at `send()`.",
    ),
    rule(
        "parameter-became-optional",
        Info,
        "A required parameter became optional.",
        "Builder setters look the same for required and optional parameters; existing calls keep working.",
    ),
    // ---------------------------------------------------------- request body
    rule(
        "request-body-added",
        Breaking,
        "An operation now takes a request body.",
        "A new `body` the existing calls do not set: they fail at `send()`.",
    ),
    rule(
        "request-body-removed",
        Breaking,
        "An operation no longer takes a request body.",
        "The `body`/`body_map` setters disappear: callers stop compiling.",
    ),
    rule(
        "request-property-added-required",
        Breaking,
        "A new required property in a request body.",
        "Struct literals stop compiling and builders fail at `send()` until the field is set.",
    ),
    rule(
        "request-property-added-optional",
        Warning,
        "A new optional property in a request body.",
        "Generated structs are not `#[non_exhaustive]`: code building the struct with a literal stops compiling (builders are unaffected).",
    ),
    rule(
        "request-property-removed",
        Breaking,
        "A property of a request body is gone.",
        "The struct field and builder setter disappear: code setting it stops compiling.",
    ),
    rule(
        "request-property-became-required",
        Breaking,
        "An optional request property became required.",
        "The field changes from `Option<T>` to `T`, and calls that left it out fail.",
    ),
    rule(
        "request-property-became-optional",
        Warning,
        "A required request property became optional.",
        "The field changes from `T` to `Option<T>`: struct literals stop compiling (builders accept both).",
    ),
    // -------------------------------------------------------------- response
    rule(
        "response-property-added",
        Info,
        "A new property in a response.",
        "A new field to read; only code that builds response structs by hand (tests) must add it.",
    ),
    rule(
        "response-property-removed",
        Breaking,
        "A property of a response is gone, required or optional (policy: see the docs).",
        "The struct field disappears: every reader stops compiling, even if the server had made it optional.",
    ),
    rule(
        "response-property-became-optional",
        Breaking,
        "A required response property became optional.",
        "The server may now omit it, and the field changes from `T` to `Option<T>`: readers stop compiling.",
    ),
    rule(
        "response-property-became-required",
        Warning,
        "An optional response property became required.",
        "Safe on the wire, but the field changes from `Option<T>` to `T` (not for arrays): readers may stop compiling.",
    ),
    rule(
        "response-status-added",
        Info,
        "A new response status.",
        "Errors share one body type, and a second success status is refused by the lint.",
    ),
    rule(
        "response-success-status-removed",
        Breaking,
        "A success (2xx) status is gone.",
        "What the method returns changes (or a former success now surfaces as an error).",
    ),
    rule(
        "response-error-status-removed",
        Info,
        "An error status is gone.",
        "The error body type is shared; code matching on the status keeps compiling.",
    ),
    rule(
        "media-type-added",
        Info,
        "A request or response media type was added.",
        "The generator uses the JSON (or binary) one; an extra one changes nothing already generated.",
    ),
    rule(
        "media-type-removed",
        Breaking,
        "A request or response media type is gone.",
        "The body type of the method changes or disappears.",
    ),
    // ---------------------------------------------------------------- schemas
    rule(
        "type-changed",
        Breaking,
        "A parameter's or property's type, format, nullability or referenced schema changed.",
        "The Rust type changes (e.g. `String` to `NaiveDate`, `T` to `Option<T>`, one struct to another).",
    ),
    rule(
        "request-enum-value-added",
        Info,
        "A closed `enum` the client sends gained a value.",
        "A new variant the client may send; request enums are built, rarely matched on.",
    ),
    rule(
        "response-enum-value-added",
        Breaking,
        "A closed `enum` in a response gained a value (policy: see the docs).",
        "Every released client fails to decode a response carrying the new value, and exhaustive matches stop compiling.",
    ),
    rule(
        "enum-value-removed",
        Breaking,
        "A closed `enum` lost a value.",
        "The variant disappears: code naming it stops compiling (and, in requests, the server refuses it).",
    ),
    rule(
        "extensible-enum-value-added",
        Warning,
        "An `x-extensible-enum` gained a value (policy: see the docs).",
        "Released clients decode it as `Other(..)`, so the wire is fine, and the open enums are `#[non_exhaustive]`, so matches keep compiling; but code matching `Other(\"value\")` silently stops matching once the value gets its own variant.",
    ),
    rule(
        "extensible-enum-value-removed",
        Breaking,
        "An `x-extensible-enum` lost a value.",
        "The variant disappears: code naming it stops compiling (the value would now decode as `Other`).",
    ),
    rule(
        "schema-combinator-changed",
        Breaking,
        "A `oneOf`/`anyOf`/`allOf` gained or lost alternatives.",
        "The generated enum (or merged struct) changes its variants or fields.",
    ),
    rule(
        "constraint-changed",
        Warning,
        "A constraint or default changed (min/max, length, pattern, items, `additionalProperties`...).",
        "Values that used to be valid may be refused (by Zoom, or by a constrained generated newtype).",
    ),
    // ------------------------------------------------------- security and limits
    rule(
        "security-scopes-narrowed",
        Warning,
        "An operation no longer accepts a scope it accepted (Zoom reads each list as \"any one of\").",
        "Apps whose token carries only the dropped scope get 401/403 at run time; the Rust API is unchanged.",
    ),
    rule(
        "security-scopes-widened",
        Info,
        "An operation accepts an additional scope.",
        "Every token that worked still works.",
    ),
    rule(
        "rate-limit-tightened",
        Warning,
        "`x-zoom-rate-limit` got stricter (heavier label, longer interval, lower daily limit, per account) or changed in mixed ways.",
        "The runtime paces and budgets by it: the same program now waits longer or runs out of daily budget sooner.",
    ),
    rule(
        "rate-limit-relaxed",
        Info,
        "`x-zoom-rate-limit` got looser.",
        "The runtime waits less; nothing a user wrote breaks.",
    ),
    // ------------------------------------------------------------- lifecycle
    rule(
        "deprecation-added",
        Info,
        "An operation, parameter, property or schema is newly `deprecated`.",
        "Nothing breaks yet; it announces a removal, which will be breaking.",
    ),
    rule("deprecation-removed", Info, "A `deprecated` mark was removed.", "Nothing breaks."),
    rule(
        "replacement-changed",
        Info,
        "`x-zoom-replaced-by` (the replacement a deprecated operation names) was added, changed or removed.",
        "The method's `#[deprecated]` note names another operation; nothing breaks.",
    ),
    // ------------------------------------------------------------- pagination
    rule(
        "pagination-added",
        Info,
        "An operation became paginated (`x-zoom-pagination`).",
        "Its builder gains `stream()` and `stream_from(cursor)`; nothing breaks.",
    ),
    rule(
        "pagination-removed",
        Breaking,
        "An operation is no longer paginated, or pages another items property.",
        "Its builder's `stream()` goes away or yields another item type: code using it stops compiling.",
    ),
    // ------------------------------------------------------------ components
    rule("component-added", Info, "A new component.", "A new Rust type (or none, for parameters and responses)."),
    rule(
        "component-removed",
        Breaking,
        "A component is gone.",
        "Its Rust type disappears: code naming it stops compiling.",
    ),
    // ------------------------------------------------------------------ other
    rule(
        "documentation-changed",
        Info,
        "Only documentation changed: description, summary, title, tags, example(s), `x-zoom-uncertain`, `info`.",
        "Doc comments and examples change; no code does. Shared components are reported once, not per operation.",
    ),
    rule(
        "other-change",
        Warning,
        "A change this tool does not classify (servers, headers, `discriminator`, unknown extensions...).",
        "Unknown impact: review it by hand, and add a rule if it recurs.",
    ),
];

/// The rule with this id.
pub fn find(id: &str) -> Option<&'static DiffRule> {
    RULES.iter().find(|r| r.id == id)
}

/// The severity of a rule (every id used by the engine is in the table).
pub(crate) fn severity(id: &str) -> Severity {
    find(id).map(|r| r.severity).unwrap_or(Warning)
}

/// The text of `--explain RULE`.
pub fn explain(id: &str) -> Option<String> {
    let rule = find(id)?;
    let mut text = format!("{} ({})\n  {}\n  Why: {}\n", rule.id, rule.severity, rule.summary, rule.why);
    if let Some(policy) = POLICY.iter().find(|(ids, _)| ids.contains(&rule.id)).map(|(_, p)| p) {
        text.push_str(&format!("  Policy: {policy}\n"));
    }
    Some(text)
}

/// The written policy on the cases other tools disagree on, by rule.
pub const POLICY: &[(&[&str], &str)] = &[
    (
        &["response-enum-value-added"],
        "breaking. oasdiff calls it a warning and Redocly a major change. For a generated typed client the \
         decoder is the contract: a closed enum fails the whole response on an unknown value, so every \
         released version of the crate breaks the day Zoom sends it. The lint forbids closed response enums \
         for this reason; use `x-extensible-enum`.",
    ),
    (
        &["extensible-enum-value-added"],
        "warning, not info. On the wire it is safe (released clients decode `Other(\"value\")`), but the \
         generated open enums are exhaustive, so a `match` without a wildcard stops compiling, and code that \
         matched `Other(\"value\")` stops matching. Not breaking by default: the addition is the very thing \
         the open enum exists for, and match-without-wildcard is opt-in fragility.",
    ),
    (
        &["response-property-removed"],
        "breaking, even for an optional property. oasdiff (since v1.30) only warns, because a JSON client \
         already copes with an absent optional field. A Rust user reads a struct field, and the field \
         disappears from the struct: their code stops compiling. If Zoom merely stopped sending it, keep the \
         property (optional, with a note) instead of removing it.",
    ),
    (
        &["request-property-added-optional"],
        "warning. Harmless on the wire and for builder users, but the generated structs are not \
         `#[non_exhaustive]`, so struct literals stop compiling.",
    ),
    (
        &["response-property-became-required"],
        "warning. Wire-compatible, but `Option<T>` becomes `T` in the struct, which is a compile break for \
         readers; the Rust impact section shows whether the type really changed.",
    ),
];

/// The rules as a Markdown table (the docs embed exactly this; a test keeps them in sync).
pub fn markdown_table() -> String {
    let mut out = String::from("| Rule | Severity | Reports | Why this severity |\n|---|---|---|---|\n");
    for r in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.id,
            r.severity,
            r.summary.replace('|', "\\|"),
            r.why.replace('|', "\\|")
        ));
    }
    out
}
