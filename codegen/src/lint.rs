//! The project's own rules on the spec.
//!
//! OpenAPI validators check that the document is well formed; these rules
//! check what this project needs on top: every shape progenitor would panic
//! on or silently mishandle, every piece of data the runtime reads from the
//! spec (scopes, rate limits), and forward compatibility of responses.
//! `cargo xtask lint` prints them; `cargo xtask generate` refuses to run while
//! any error-level rule fails.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use crate::diagnostic::{Diagnostic, Severity};
use crate::metadata::parse_interval;
use crate::spec::Spec;
use crate::yaml::escape_segment;
use crate::{examples, refs, walk};

/// A rule's id, severity and one-line summary, for `--explain` and docs.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Severity of its findings.
    pub severity: Severity,
    /// What it checks and why.
    pub summary: &'static str,
}

/// Every rule, in the order they are documented.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "openapi-version",
        severity: Severity::Error,
        summary: "`openapi` is 3.0.x: progenitor refuses 3.1.",
    },
    RuleInfo {
        id: "operation-id",
        severity: Severity::Error,
        summary: "Every operation has an operationId in snake_case; it names the Rust method.",
    },
    RuleInfo { id: "operation-id-unique", severity: Severity::Error, summary: "operationIds are unique." },
    RuleInfo {
        id: "operation-summary",
        severity: Severity::Error,
        summary: "Every operation has a summary (the first line of the method's docs).",
    },
    RuleInfo { id: "operation-tags", severity: Severity::Error, summary: "Every operation has at least one tag." },
    RuleInfo {
        id: "operation-security",
        severity: Severity::Error,
        summary: "Every operation lists the OAuth scopes it needs.",
    },
    RuleInfo {
        id: "operation-verify-with",
        severity: Severity::Error,
        summary: "An operation that is not safe to send twice (a POST) has `x-zoom-verify-with` (`operation`: an operationId of this spec, `how`: a sentence); the client quotes it when a request's outcome is unknown.",
    },
    RuleInfo {
        id: "operation-rate-limit",
        severity: Severity::Error,
        summary: "Every operation has a well-formed `x-zoom-rate-limit` (label, min_interval, daily_limit, per); the runtime paces by it.",
    },
    RuleInfo {
        id: "operation-pagination",
        severity: Severity::Error,
        summary: "An operation that takes `next_page_token` has `x-zoom-pagination` whose `items` names an array property of its JSON response, beside a `next_page_token` string; its builder gets a stream.",
    },
    RuleInfo {
        id: "operation-deprecated",
        severity: Severity::Error,
        summary: "A `deprecated: true` operation names its replacement in `x-zoom-replaced-by` (an operationId of this spec that is not deprecated), and only such an operation has it; the Rust method's `#[deprecated]` note quotes it.",
    },
    RuleInfo {
        id: "path-parameters",
        severity: Severity::Error,
        summary: "Path template variables and declared path parameters match (progenitor panics otherwise).",
    },
    RuleInfo {
        id: "response-example",
        severity: Severity::Error,
        summary: "Every JSON response has an example, and the example validates against the schema.",
    },
    RuleInfo {
        id: "response-single-success",
        severity: Severity::Error,
        summary: "One success response per operation (progenitor panics on two success types).",
    },
    RuleInfo {
        id: "response-single-error-type",
        severity: Severity::Error,
        summary: "All error responses of an operation share one body type (progenitor panics otherwise).",
    },
    RuleInfo {
        id: "response-no-default",
        severity: Severity::Error,
        summary: "No `default` responses: progenitor counts them as success and error at once.",
    },
    RuleInfo {
        id: "response-media-type",
        severity: Severity::Error,
        summary: "A JSON response has a schema; any other media type is `{type: string, format: binary}`.",
    },
    RuleInfo {
        id: "response-open-enum",
        severity: Severity::Error,
        summary: "No closed `enum` reachable from a response: a new server value would fail the whole response. Use `x-extensible-enum`.",
    },
    RuleInfo {
        id: "response-open-object",
        severity: Severity::Error,
        summary: "No `additionalProperties: false` reachable from a response: a new server field would fail the whole response.",
    },
    RuleInfo {
        id: "request-body-json",
        severity: Severity::Error,
        summary: "A request body has exactly one media type, `application/json`, with a schema.",
    },
    RuleInfo {
        id: "ref-resolves",
        severity: Severity::Error,
        summary: "Every `$ref` points at something that exists in this document.",
    },
    RuleInfo { id: "component-unused", severity: Severity::Error, summary: "Every component is referenced." },
    RuleInfo {
        id: "extensible-enum",
        severity: Severity::Error,
        summary: "`x-extensible-enum` is a list of distinct strings on a `type: string` schema.",
    },
];

/// The rate-limit labels Zoom uses.
pub const RATE_LIMIT_LABELS: &[&str] = &["Light", "Medium", "Heavy", "Resource-intensive"];

struct Linter<'a> {
    spec: &'a Spec,
    root: &'a Value,
    out: Vec<Diagnostic>,
}

/// Run every rule; findings come sorted by line.
pub fn lint(spec: &Spec) -> Vec<Diagnostic> {
    let mut linter = Linter { spec, root: &spec.source.value, out: Vec::new() };
    linter.run();
    let mut out = linter.out;
    out.sort();
    out.dedup();
    out
}

fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.starts_with("application/json;")
}

impl<'a> Linter<'a> {
    fn push(&mut self, rule: &'static str, pointer: &str, operation: Option<String>, message: String) {
        let severity = RULES.iter().find(|r| r.id == rule).map(|r| r.severity).unwrap_or(Severity::Error);
        self.out.push(Diagnostic {
            line: self.spec.line_of(pointer),
            pointer: pointer.to_owned(),
            rule,
            severity,
            operation,
            message,
        });
    }

    fn resolve(&self, value: &'a Value) -> Option<&'a Value> {
        refs::resolve(self.root, value).ok().map(|r| r.value)
    }

    fn run(&mut self) {
        let version = self.root.get("openapi").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("3.0.") {
            self.push("openapi-version", "/openapi", None, format!("`openapi: {version}` must be 3.0.x"));
        }
        let ops = walk::operation_rows(self.root);
        let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
        for (pointer, method, path, op) in &ops {
            let id = op.get("operationId").and_then(Value::as_str);
            let label = format!("{} ({method} {path})", id.unwrap_or("?"));
            match id {
                None => self.push("operation-id", pointer, Some(label.clone()), "operation has no operationId".into()),
                Some(id) if !is_snake_case(id) => self.push(
                    "operation-id",
                    &format!("{pointer}/operationId"),
                    Some(label.clone()),
                    format!("operationId `{id}` is not snake_case (it becomes the Rust method name)"),
                ),
                Some(id) => {
                    if let Some(first) = seen_ids.insert(id.to_owned(), format!("{method} {path}")) {
                        self.push(
                            "operation-id-unique",
                            &format!("{pointer}/operationId"),
                            Some(label.clone()),
                            format!("operationId `{id}` is already used by {first}"),
                        );
                    }
                }
            }
            self.operation(pointer, path, op, &label);
        }
        let ids: BTreeSet<&str> = ops.iter().filter_map(|(_, _, _, op)| op.get("operationId")?.as_str()).collect();
        for (pointer, method, path, op) in &ops {
            let label = format!("{} ({method} {path})", op.get("operationId").and_then(Value::as_str).unwrap_or("?"));
            self.verify_with(pointer, method == "POST", op, &ids, Some(label.clone()));
            self.deprecated(pointer, op, &ops, Some(label.clone()));
            self.pagination(pointer, op, Some(label));
        }
        self.refs_and_components();
        self.extensible_enums();
    }

    fn operation(&mut self, pointer: &str, path: &str, op: &'a Value, label: &str) {
        let label = || Some(label.to_owned());
        if op.get("summary").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            self.push("operation-summary", pointer, label(), "operation has no summary".into());
        }
        if op.get("tags").and_then(Value::as_array).is_none_or(|t| t.is_empty()) {
            self.push("operation-tags", pointer, label(), "operation has no tags".into());
        }
        let scopes = op
            .get("security")
            .and_then(Value::as_array)
            .map(|reqs| {
                reqs.iter()
                    .filter_map(Value::as_object)
                    .flat_map(|r| r.values())
                    .filter_map(Value::as_array)
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .unwrap_or(0);
        if scopes == 0 {
            self.push("operation-security", pointer, label(), "operation lists no security scopes".into());
        }
        self.rate_limit(pointer, path, op, label());
        self.path_parameters(pointer, path, op, label());
        self.request_body(pointer, op, label());
        self.responses(pointer, op, label());
    }

    /// `x-zoom-verify-with`: required where a retry is unsafe, and well-formed wherever it is.
    fn verify_with(&mut self, pointer: &str, creates: bool, op: &Value, ids: &BTreeSet<&str>, label: Option<String>) {
        let at = format!("{pointer}/x-zoom-verify-with");
        let rule = "operation-verify-with";
        let Some(verify) = op.get("x-zoom-verify-with") else {
            if creates {
                let message = "a POST is not retried after an ambiguous failure: add `x-zoom-verify-with` (operation, how) so the client can say how to check".into();
                self.push(rule, pointer, label, message);
            }
            return;
        };
        match verify.get("operation").and_then(Value::as_str) {
            None => {
                self.push(rule, &at, label.clone(), "`x-zoom-verify-with` needs `operation`, an operationId".into())
            }
            Some(target) if !ids.contains(target) => self.push(
                rule,
                &format!("{at}/operation"),
                label.clone(),
                format!("`{target}` is not an operationId of this spec"),
            ),
            Some(_) => {}
        }
        if verify.get("how").and_then(Value::as_str).is_none_or(|h| h.trim().is_empty()) {
            self.push(rule, &at, label, "`x-zoom-verify-with` needs `how`: one sentence on what to look for".into());
        }
    }

    /// `deprecated: true` and `x-zoom-replaced-by` go together; the replacement exists and is current.
    fn deprecated(
        &mut self,
        pointer: &str,
        op: &Value,
        ops: &[(String, String, String, &'a Value)],
        label: Option<String>,
    ) {
        let rule = "operation-deprecated";
        let deprecated = op.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        let at = format!("{pointer}/x-zoom-replaced-by");
        match (deprecated, op.get("x-zoom-replaced-by")) {
            (false, None) => {}
            (false, Some(_)) => {
                self.push(rule, &at, label, "`x-zoom-replaced-by` belongs beside `deprecated: true`".into())
            }
            (true, None) => self.push(
                rule,
                &format!("{pointer}/deprecated"),
                label,
                "a deprecated operation names its replacement: add `x-zoom-replaced-by: <operationId>`".into(),
            ),
            (true, Some(target)) => {
                let replacement = target.as_str().and_then(|t| {
                    ops.iter().find(|(_, _, _, o)| o.get("operationId").and_then(Value::as_str) == Some(t))
                });
                match replacement {
                    None => self.push(
                        rule,
                        &at,
                        label,
                        format!("`x-zoom-replaced-by` must be an operationId of this spec; found {target}"),
                    ),
                    Some((_, _, _, r)) if r.get("deprecated").and_then(Value::as_bool).unwrap_or(false) => self.push(
                        rule,
                        &at,
                        label,
                        format!("the replacement {target} is deprecated too; name the current operation"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }

    /// `x-zoom-pagination`: required where `next_page_token` is a parameter, and consistent
    /// with the response it reads.
    fn pagination(&mut self, pointer: &str, op: &'a Value, label: Option<String>) {
        let rule = "operation-pagination";
        let at = format!("{pointer}/x-zoom-pagination");
        let token = crate::metadata::PAGE_TOKEN;
        let takes_token =
            op.get("parameters").and_then(Value::as_array).into_iter().flatten().filter_map(|p| self.resolve(p)).any(
                |p| {
                    p.get("name").and_then(Value::as_str) == Some(token)
                        && p.get("in").and_then(Value::as_str) == Some("query")
                },
            );
        let Some(pagination) = op.get("x-zoom-pagination") else {
            if takes_token {
                let message = format!(
                    "the operation takes `{token}`: add `x-zoom-pagination: {{items: <response property>}}` so its builder gets a stream"
                );
                self.push(rule, pointer, label, message);
            }
            return;
        };
        if !takes_token {
            let message = format!("a paginated operation takes the `{token}` query parameter; it has none");
            self.push(rule, &at, label.clone(), message);
        }
        let Some(items) = pagination.get("items").and_then(Value::as_str) else {
            self.push(
                rule,
                &at,
                label,
                "`x-zoom-pagination` needs `items`, the response property of a page's items".into(),
            );
            return;
        };
        let schema = op
            .get("responses")
            .and_then(Value::as_object)
            .and_then(|r| r.iter().find(|(status, _)| status.starts_with('2')).map(|(_, r)| r))
            .and_then(|r| self.resolve(r))
            .and_then(|r| r.pointer("/content/application~1json/schema"))
            .and_then(|s| self.resolve(s));
        let Some(properties) = schema.and_then(|s| s.get("properties")).and_then(Value::as_object) else {
            self.push(rule, &at, label, "a paginated operation answers a JSON object with properties".into());
            return;
        };
        let root = self.root;
        let is = |name: &str, kind: &str| {
            let property = properties.get(name).and_then(|p| refs::resolve(root, p).ok()).map(|r| r.value);
            property.and_then(|p| p.get("type")).and_then(Value::as_str) == Some(kind)
        };
        let (items_ok, token_ok) = (is(items, "array"), is(token, "string"));
        if !items_ok {
            let message = format!("`items: {items}` must name an array property of the response");
            self.push(rule, &format!("{at}/items"), label.clone(), message);
        }
        if !token_ok {
            self.push(rule, &at, label, format!("the response of a paginated operation has a `{token}` string"));
        }
    }

    fn rate_limit(&mut self, pointer: &str, path: &str, op: &Value, label: Option<String>) {
        let at = format!("{pointer}/x-zoom-rate-limit");
        let Some(limit) = op.get("x-zoom-rate-limit") else {
            self.push("operation-rate-limit", pointer, label, "operation has no `x-zoom-rate-limit`".into());
            return;
        };
        let Some(map) = limit.as_object() else {
            self.push("operation-rate-limit", &at, label, "`x-zoom-rate-limit` must be a mapping".into());
            return;
        };
        for key in map.keys() {
            if !["label", "min_interval", "daily_limit", "per"].contains(&key.as_str()) {
                self.push(
                    "operation-rate-limit",
                    &format!("{at}/{key}"),
                    label.clone(),
                    format!("unknown key `{key}` (known: label, min_interval, daily_limit, per)"),
                );
            }
        }
        match map.get("label").and_then(Value::as_str) {
            Some(l) if RATE_LIMIT_LABELS.contains(&l) => {}
            other => self.push(
                "operation-rate-limit",
                &format!("{at}/label"),
                label.clone(),
                format!(
                    "`label` is {}; expected one of {}",
                    other.map(|o| format!("`{o}`")).unwrap_or("missing".into()),
                    RATE_LIMIT_LABELS.join(", ")
                ),
            ),
        }
        if let Some(interval) = map.get("min_interval")
            && parse_interval(interval).is_none()
        {
            self.push(
                "operation-rate-limit",
                &format!("{at}/min_interval"),
                label.clone(),
                format!("`min_interval` is `{interval}`; expected whole seconds like `180s`"),
            );
        }
        if let Some(daily) = map.get("daily_limit")
            && daily.as_u64().is_none_or(|d| d == 0)
        {
            self.push(
                "operation-rate-limit",
                &format!("{at}/daily_limit"),
                label.clone(),
                format!("`daily_limit` is `{daily}`; expected a positive integer"),
            );
        }
        match map.get("per").and_then(Value::as_str) {
            Some("account") => {}
            Some("account_id") if path.contains("{accountId}") => {}
            Some("account_id") => self.push(
                "operation-rate-limit",
                &format!("{at}/per"),
                label,
                "`per: account_id` needs an `{accountId}` path parameter".into(),
            ),
            other => self.push(
                "operation-rate-limit",
                &format!("{at}/per"),
                label,
                format!(
                    "`per` is {}; expected `account` or `account_id`",
                    other.map(|o| format!("`{o}`")).unwrap_or("missing".into())
                ),
            ),
        }
    }

    fn path_parameters(&mut self, pointer: &str, path: &str, op: &'a Value, label: Option<String>) {
        let template: BTreeSet<&str> = path.split('{').skip(1).filter_map(|s| s.split('}').next()).collect();
        let item_pointer = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        let mut declared = BTreeSet::new();
        let shared = self.root.pointer(item_pointer).and_then(|i| i.get("parameters")).and_then(Value::as_array);
        let own = op.get("parameters").and_then(Value::as_array);
        for param in shared.into_iter().flatten().chain(own.into_iter().flatten()) {
            if let Some(p) = self.resolve(param)
                && p.get("in").and_then(Value::as_str) == Some("path")
                && let Some(name) = p.get("name").and_then(Value::as_str)
            {
                declared.insert(name);
            }
        }
        for missing in template.difference(&declared) {
            self.push(
                "path-parameters",
                pointer,
                label.clone(),
                format!("path variable `{{{missing}}}` has no `in: path` parameter"),
            );
        }
        for extra in declared.difference(&template) {
            self.push(
                "path-parameters",
                pointer,
                label.clone(),
                format!("path parameter `{extra}` does not appear in the path template"),
            );
        }
    }

    fn request_body(&mut self, pointer: &str, op: &'a Value, label: Option<String>) {
        let Some(body) = op.get("requestBody") else { return };
        let at = format!("{pointer}/requestBody");
        let Some(body) = self.resolve(body) else { return };
        let content = body.get("content").and_then(Value::as_object);
        let media: Vec<&String> = content.map(|c| c.keys().collect()).unwrap_or_default();
        if media.len() != 1 || !is_json(media[0]) {
            self.push(
                "request-body-json",
                &format!("{at}/content"),
                label,
                format!("request body media types are {media:?}; exactly one, `application/json`, is supported"),
            );
        } else if content.and_then(|c| c.get(media[0].as_str())).and_then(|m| m.get("schema")).is_none() {
            self.push(
                "request-body-json",
                &format!("{at}/content/{}", escape_segment(media[0])),
                label,
                "JSON request body has no schema".into(),
            );
        }
    }

    fn responses(&mut self, pointer: &str, op: &'a Value, label: Option<String>) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else { return };
        let mut success = Vec::new();
        let mut error_kinds = BTreeSet::new();
        for (status, response) in responses {
            let at = format!("{pointer}/responses/{}", escape_segment(status));
            if status == "default" {
                self.push(
                    "response-no-default",
                    &at,
                    label.clone(),
                    "`default` response; list the statuses instead".into(),
                );
                continue;
            }
            let Some(resolved) = self.resolve(response) else { continue };
            let kind = self.response(&at, resolved, label.clone());
            if status.starts_with('2') || status == "101" {
                success.push(status.clone());
            } else {
                error_kinds.insert(kind);
            }
        }
        if success.len() > 1 {
            self.push(
                "response-single-success",
                &format!("{pointer}/responses"),
                label.clone(),
                format!("{} success responses ({}); keep exactly one", success.len(), success.join(", ")),
            );
        }
        if error_kinds.len() > 1 {
            self.push(
                "response-single-error-type",
                &format!("{pointer}/responses"),
                label,
                format!(
                    "error responses have {} different body types ({}); use one shared error schema",
                    error_kinds.len(),
                    error_kinds.into_iter().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    /// Checks one response and returns a name for its body kind.
    fn response(&mut self, at: &str, response: &'a Value, label: Option<String>) -> String {
        let Some(content) = response.get("content").and_then(Value::as_object).filter(|c| !c.is_empty()) else {
            return "no body".into();
        };
        let mut kind = String::new();
        for (media, body) in content {
            let media_at = format!("{at}/content/{}", escape_segment(media));
            let schema = body.get("schema");
            if is_json(media) {
                let Some(schema) = schema else {
                    self.push("response-media-type", &media_at, label.clone(), "JSON response has no schema".into());
                    continue;
                };
                kind = refs::ref_name(schema).map_or_else(|| "inline schema".into(), str::to_owned);
                self.response_example(&media_at, body, schema, label.clone());
                let mut seen = BTreeSet::new();
                self.open_schema(&format!("{media_at}/schema"), schema, label.clone(), &mut seen);
            } else {
                let binary = schema.and_then(|s| self.resolve(s)).is_some_and(|s| {
                    s.get("type").and_then(Value::as_str) == Some("string")
                        && s.get("format").and_then(Value::as_str) == Some("binary")
                });
                if !binary {
                    self.push(
                        "response-media-type",
                        &media_at,
                        label.clone(),
                        format!("`{media}` response must have schema `{{type: string, format: binary}}`"),
                    );
                }
                kind = "binary".into();
            }
        }
        kind
    }

    fn response_example(&mut self, media_at: &str, body: &Value, schema: &Value, label: Option<String>) {
        let example = body.get("example").or_else(|| {
            body.get("examples")
                .and_then(Value::as_object)
                .and_then(|e| e.values().next())
                .and_then(|e| self.resolve(e))
                .and_then(|e| e.get("value"))
        });
        let Some(example) = example else {
            self.push("response-example", media_at, label, "JSON response has no example".into());
            return;
        };
        let errors = examples::validate(example, schema, self.root);
        for error in errors {
            let (inner, message) = error.split_once(": ").unwrap_or(("", &error));
            let inner = if inner == "/" { "" } else { inner };
            self.push(
                "response-example",
                &format!("{media_at}/example{inner}"),
                label.clone(),
                format!("example does not match the schema: {message}"),
            );
        }
    }

    /// Walks a response schema (through `$ref`s) looking for closed shapes.
    fn open_schema(&mut self, at: &str, schema: &'a Value, label: Option<String>, seen: &mut BTreeSet<String>) {
        // One step at a time, so each component is reported where it is written, once.
        let (at, schema) = match refs::reference(schema) {
            Some(reference) => {
                if !seen.insert(reference.to_owned()) {
                    return;
                }
                let Ok((pointer, target)) = refs::target(self.root, reference) else { return };
                (pointer.to_owned(), target)
            }
            None => (at.to_owned(), schema),
        };
        if schema.get("enum").is_some() {
            self.push(
                "response-open-enum",
                &format!("{at}/enum"),
                label.clone(),
                "closed `enum` in a response; use `x-extensible-enum` so new values still decode".into(),
            );
        }
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.push(
                "response-open-object",
                &format!("{at}/additionalProperties"),
                label.clone(),
                "`additionalProperties: false` in a response; new fields would fail decoding".into(),
            );
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                self.open_schema(&format!("{at}/properties/{}", escape_segment(name)), prop, label.clone(), seen);
            }
        }
        for key in ["items", "additionalProperties"] {
            if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
                self.open_schema(&format!("{at}/{key}"), sub, label.clone(), seen);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (i, sub) in schema.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                self.open_schema(&format!("{at}/{key}/{i}"), sub, label.clone(), seen);
            }
        }
    }

    fn refs_and_components(&mut self) {
        let mut used = BTreeSet::new();
        for (pointer, reference) in &refs::all(self.root) {
            let Ok((target, _)) = refs::target(self.root, reference) else {
                let op = walk::operation_of(pointer);
                self.push("ref-resolves", pointer, op, format!("`$ref: {reference}` does not resolve"));
                continue;
            };
            // A component referring only to itself is not a use.
            if !pointer.starts_with(&format!("{target}/")) {
                used.insert(target.to_owned());
            }
        }
        if let Some(components) = self.root.get("components").and_then(Value::as_object) {
            for (kind, items) in components {
                if kind == "securitySchemes" {
                    continue;
                }
                for name in items.as_object().into_iter().flat_map(|m| m.keys()) {
                    let pointer = format!("/components/{kind}/{}", escape_segment(name));
                    if !used.contains(&pointer) {
                        self.push(
                            "component-unused",
                            &pointer,
                            None,
                            format!("component `{name}` is never referenced"),
                        );
                    }
                }
            }
        }
    }

    fn extensible_enums(&mut self) {
        let mut found = Vec::new();
        collect_key(self.root, String::new(), "x-extensible-enum", &mut found);
        for (pointer, values) in found {
            let parent = pointer.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            let schema = self.root.pointer(parent);
            if schema.and_then(|s| s.get("type")).and_then(Value::as_str) != Some("string") {
                self.push(
                    "extensible-enum",
                    &pointer,
                    None,
                    "`x-extensible-enum` needs `type: string` beside it".into(),
                );
            }
            match values.as_array() {
                Some(list) if !list.is_empty() && list.iter().all(Value::is_string) => {
                    let distinct: BTreeSet<&str> = list.iter().filter_map(Value::as_str).collect();
                    if distinct.len() != list.len() {
                        self.push("extensible-enum", &pointer, None, "`x-extensible-enum` lists a value twice".into());
                    }
                }
                _ => self.push(
                    "extensible-enum",
                    &pointer,
                    None,
                    "`x-extensible-enum` must be a non-empty list of strings".into(),
                ),
            }
        }
    }
}

fn collect_key<'v>(value: &'v Value, pointer: String, key: &str, out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{pointer}/{}", escape_segment(k));
                if k == key {
                    out.push((child, v));
                } else if k != "example" && k != "examples" {
                    collect_key(v, child, key, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_key(v, format!("{pointer}/{i}"), key, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint_text(text: &str) -> Vec<Diagnostic> {
        lint(&Spec::parse("t.yaml", text).unwrap())
    }

    const GOOD: &str = r##"openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get:
      operationId: get_a
      summary: Get an a
      tags: [A]
      security: [{oauth: ["a:read"]}]
      x-zoom-rate-limit: {label: Heavy, min_interval: 1s, per: account}
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/A"}
              example: {status: new}
components:
  schemas:
    A:
      type: object
      properties:
        status: {$ref: "#/components/schemas/Status"}
    Status:
      type: string
      x-extensible-enum: [old]
"##;

    #[test]
    fn a_good_spec_is_clean() {
        assert_eq!(lint_text(GOOD), vec![]);
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_line() {
        let bad = GOOD
            .replace("operationId: get_a", "operationId: GetA")
            .replace(
                "x-zoom-rate-limit: {label: Heavy, min_interval: 1s, per: account}",
                "x-zoom-rate-limit: {label: Huge, min_interval: 3 minutes}",
            )
            .replace("example: {status: new}", "example: {status: 5}")
            .replace("      x-extensible-enum: [old]", "      enum: [old]")
            .replace("/a/{id}", "/a/{ident}");
        let found = lint_text(&bad);
        let rules: BTreeSet<&str> = found.iter().map(|d| d.rule).collect();
        for rule in
            ["operation-id", "operation-rate-limit", "response-example", "response-open-enum", "path-parameters"]
        {
            assert!(rules.contains(rule), "{rule} missing from {found:#?}");
        }
        let id = found.iter().find(|d| d.rule == "operation-id").unwrap();
        assert_eq!(id.line, 6);
        assert_eq!(id.pointer, "/paths/~1a~1{ident}/get/operationId");
    }

    #[test]
    fn unused_components_and_dangling_refs() {
        let bad = GOOD.replace(
            "status: {$ref: \"#/components/schemas/Status\"}",
            "status: {$ref: \"#/components/schemas/Nope\"}",
        );
        let rules: Vec<&str> = lint_text(&bad).iter().map(|d| d.rule).collect();
        assert!(rules.contains(&"ref-resolves"), "{rules:?}");
        assert!(rules.contains(&"component-unused"), "{rules:?}");
    }

    #[test]
    fn snake_case() {
        assert!(is_snake_case("get_plan_usage"));
        assert!(!is_snake_case("getPlanUsage"));
        assert!(!is_snake_case("get__x"));
        assert!(!is_snake_case("_x"));
    }
}
