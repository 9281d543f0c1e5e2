//! The walk over both documents.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use zoom_billing_codegen::lint::RATE_LIMIT_LABELS;
use zoom_billing_codegen::metadata::parse_interval;
use zoom_billing_codegen::refs::{self, ref_name};
use zoom_billing_codegen::yaml::escape_segment;
use zoom_billing_codegen::{Spec, walk};

use crate::change::{Area, Change, Location, Side};
use crate::rules;

static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> = std::sync::LazyLock::new(serde_json::Map::new);

/// Keys whose changes are documentation only, wherever they appear.
const DOC_KEYS: &[&str] =
    &["description", "summary", "title", "example", "examples", "externalDocs", "tags", "x-zoom-uncertain"];

/// Schema keywords compared as constraints.
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
    "readOnly",
    "writeOnly",
];

/// Schema keywords the walk understands (everything else is `other-change`).
const SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "type",
    "format",
    "nullable",
    "enum",
    "x-extensible-enum",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "oneOf",
    "anyOf",
    "allOf",
    "deprecated",
];

/// Compare two specs; the changes come sorted (breaking first, then by
/// operation, location and rule) and are not yet waived.
pub fn compare(base: &Spec, head: &Spec) -> Vec<Change> {
    let mut walk = Walk { base, head, op: None, out: Vec::new(), visited: BTreeSet::new() };
    walk.operations();
    walk.components();
    walk.document();
    finish(walk.out)
}

#[derive(Clone, Debug)]
struct OpRef {
    method: String,
    path: String,
    operation_id: Option<String>,
}

/// A raw finding before component copies, dedup and sorting.
struct Raw {
    change: Change,
    /// Reported once, at the component, rather than per operation.
    component_only: bool,
}

/// Where the walk is: the logical pointer (refs inlined) and the real
/// pointers in each document.
#[derive(Clone, Debug)]
struct At {
    area: Area,
    pointer: String,
    base: String,
    head: String,
}

impl At {
    fn child(&self, segment: &str) -> At {
        let seg = escape_segment(segment);
        At {
            area: self.area,
            pointer: format!("{}/{seg}", self.pointer),
            base: format!("{}/{seg}", self.base),
            head: format!("{}/{seg}", self.head),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dir {
    Request,
    Response,
}

struct Walk<'a> {
    base: &'a Spec,
    head: &'a Spec,
    op: Option<OpRef>,
    out: Vec<Raw>,
    /// `(base target, head target, direction)` already walked in this operation.
    visited: BTreeSet<(String, String, Dir)>,
}

/// Follow `$ref`s as far as they resolve: `(where the node is written, the node)`.
/// A reference that does not resolve is compared as written.
fn resolve<'v>(root: &'v Value, value: &'v Value, at: &str) -> (String, &'v Value) {
    let (resolved, _) = refs::follow(root, value);
    (resolved.pointer.unwrap_or(at).to_owned(), resolved.value)
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn normalize_path(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push('{');
            }
            '}' => {
                depth -= 1;
                out.push('}');
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

fn list(value: Option<&Value>) -> Vec<Value> {
    value.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn opt(value: Option<&Value>) -> Value {
    value.cloned().unwrap_or(Value::Null)
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Null => "nothing".to_owned(),
        other => format!("`{other}`"),
    }
}

/// `{type, format, nullable}` of a schema, for type comparisons.
fn type_of(schema: &Value) -> Value {
    let mut map = serde_json::Map::new();
    for key in ["type", "format", "nullable"] {
        if let Some(v) = schema.get(key) {
            map.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(map)
}

fn describe_type(t: &Value) -> String {
    let ty = t.get("type").and_then(Value::as_str).unwrap_or("any");
    let mut text = match t.get("format").and_then(Value::as_str) {
        Some(format) => format!("{ty} ({format})"),
        None => ty.to_owned(),
    };
    if t.get("nullable") == Some(&Value::Bool(true)) {
        text.push_str(", nullable");
    }
    text
}

impl<'a> Walk<'a> {
    fn emit(&mut self, rule: &'static str, at: &At, before: Value, after: Value, message: String) {
        let in_head = self.head.source.value.pointer(&at.head).is_some();
        let (side, defined_at, spec) =
            if in_head { (Side::Head, at.head.clone(), self.head) } else { (Side::Base, at.base.clone(), self.base) };
        let line = spec.line_of(&defined_at);
        let component_only = rule == "documentation-changed" && defined_at.starts_with("/components/");
        let op = self.op.clone();
        let area = if op.is_none() && defined_at.starts_with("/components/") { Area::Component } else { at.area };
        self.out.push(Raw {
            change: Change {
                rule,
                severity: rules::severity(rule),
                method: op.as_ref().map(|o| o.method.clone()),
                path: op.as_ref().map(|o| o.path.clone()),
                operation_id: op.and_then(|o| o.operation_id),
                location: Location { area, pointer: at.pointer.clone(), defined_at, side, line },
                before,
                after,
                message,
                waived: None,
            },
            component_only,
        });
    }

    // ------------------------------------------------------------ operations

    fn operations(&mut self) {
        let base_ops = collect_operations(&self.base.source.value);
        let head_ops = collect_operations(&self.head.source.value);
        let mut matched_head = BTreeSet::new();
        let mut pairs = Vec::new();
        let mut removed = Vec::new();
        for (bi, b) in base_ops.iter().enumerate() {
            let exact = head_ops.iter().position(|h| h.method == b.method && h.path == b.path);
            let normal = || {
                head_ops.iter().enumerate().position(|(i, h)| {
                    !matched_head.contains(&i)
                        && h.method == b.method
                        && normalize_path(&h.path) == normalize_path(&b.path)
                })
            };
            let by_id = || {
                head_ops.iter().enumerate().position(|(i, h)| {
                    !matched_head.contains(&i) && b.id.is_some() && h.id == b.id && h.method == b.method
                })
            };
            match exact.filter(|i| !matched_head.contains(i)).or_else(normal).or_else(by_id) {
                Some(hi) => {
                    matched_head.insert(hi);
                    pairs.push((bi, hi));
                }
                None => removed.push(bi),
            }
        }
        for bi in removed {
            let b = &base_ops[bi];
            self.op = Some(b.op_ref());
            let deprecated = b.value.get("deprecated") == Some(&Value::Bool(true));
            let at =
                At { area: Area::Operation, pointer: b.pointer.clone(), base: b.pointer.clone(), head: String::new() };
            let message = format!(
                "operation `{} {}` was removed{}",
                b.method,
                b.path,
                if deprecated { " (it was deprecated)" } else { " without being deprecated first" }
            );
            self.emit("operation-removed", &at, json!(format!("{} {}", b.method, b.path)), Value::Null, message);
        }
        for (hi, h) in head_ops.iter().enumerate() {
            if matched_head.contains(&hi) {
                continue;
            }
            self.op = Some(h.op_ref());
            let at =
                At { area: Area::Operation, pointer: h.pointer.clone(), base: String::new(), head: h.pointer.clone() };
            self.emit(
                "operation-added",
                &at,
                Value::Null,
                json!(format!("{} {}", h.method, h.path)),
                format!("operation `{} {}` was added", h.method, h.path),
            );
        }
        for (bi, hi) in pairs {
            self.visited.clear();
            self.operation(&base_ops[bi], &head_ops[hi]);
        }
        self.op = None;
    }

    fn operation(&mut self, b: &Op<'a>, h: &Op<'a>) {
        self.op = Some(h.op_ref());
        let at =
            At { area: Area::Operation, pointer: h.pointer.clone(), base: b.pointer.clone(), head: h.pointer.clone() };
        if b.id != h.id {
            self.emit(
                "operation-id-changed",
                &at.child("operationId"),
                opt(b.value.get("operationId")),
                opt(h.value.get("operationId")),
                format!(
                    "operationId {} became {}: the Rust method is renamed",
                    show(&opt(b.value.get("operationId"))),
                    show(&opt(h.value.get("operationId")))
                ),
            );
        }
        if normalize_path(&b.path) != normalize_path(&h.path) {
            self.emit(
                "operation-path-changed",
                &at,
                json!(b.path),
                json!(h.path),
                format!("the operation moved from `{}` to `{}`", b.path, h.path),
            );
        }
        let (bo, ho) = (b.value, h.value);
        self.deprecated(&at, bo, ho, "the operation");
        self.security(&at, bo, ho);
        self.rate_limit(&at, bo, ho);
        self.pagination(&at, bo, ho);
        self.docs(&at, bo, ho);
        self.other_keys(
            &at,
            bo,
            ho,
            &[
                "operationId",
                "deprecated",
                "security",
                "x-zoom-rate-limit",
                "x-zoom-operation-id",
                "x-zoom-pagination",
                "x-zoom-replaced-by",
                "parameters",
                "requestBody",
                "responses",
            ],
        );
        if bo.get("x-zoom-operation-id") != ho.get("x-zoom-operation-id") {
            self.emit(
                "documentation-changed",
                &at.child("x-zoom-operation-id"),
                opt(bo.get("x-zoom-operation-id")),
                opt(ho.get("x-zoom-operation-id")),
                "Zoom's operationId (`x-zoom-operation-id`, a cross-reference) changed".to_owned(),
            );
        }
        self.parameters(b, h, &at);
        self.request_body(&at, bo, ho);
        self.responses(&at, bo, ho);
    }

    fn deprecated(&mut self, at: &At, b: &Value, h: &Value, what: &str) {
        let (bd, hd) =
            (b.get("deprecated") == Some(&Value::Bool(true)), h.get("deprecated") == Some(&Value::Bool(true)));
        if bd != hd {
            let (rule, verb) = if hd {
                ("deprecation-added", "is now deprecated")
            } else {
                ("deprecation-removed", "is no longer deprecated")
            };
            self.emit(rule, &at.child("deprecated"), json!(bd), json!(hd), format!("{what} {verb}"));
        }
    }

    fn docs(&mut self, at: &At, b: &Value, h: &Value) {
        for key in DOC_KEYS {
            let (bv, hv) = (b.get(*key), h.get(*key));
            if bv != hv {
                let what = match *key {
                    "example" | "examples" => "example",
                    "x-zoom-uncertain" => "uncertainty note (`x-zoom-uncertain`)",
                    other => other,
                };
                let verb = match (bv, hv) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "changed",
                };
                self.emit("documentation-changed", &at.child(key), opt(bv), opt(hv), format!("{what} {verb}"));
            }
        }
    }

    /// Keys of an object the walk does not model: any difference is `other-change`.
    fn other_keys(&mut self, at: &At, b: &Value, h: &Value, handled: &[&str]) {
        let keys: BTreeSet<&String> = b
            .as_object()
            .into_iter()
            .chain(h.as_object())
            .flat_map(|m| m.keys())
            .filter(|k| !handled.contains(&k.as_str()) && !DOC_KEYS.contains(&k.as_str()))
            .collect();
        for key in keys {
            let (bv, hv) = (b.get(key), h.get(key));
            if bv != hv {
                self.emit(
                    "other-change",
                    &at.child(key),
                    opt(bv),
                    opt(hv),
                    format!("`{key}` changed; this tool does not classify it, review it by hand"),
                );
            }
        }
    }

    fn security(&mut self, at: &At, b: &Value, h: &Value) {
        let effective = |spec: &Spec, op: &Value| {
            op.get("security").or_else(|| spec.source.value.get("security")).cloned().unwrap_or(Value::Null)
        };
        let (bs, hs) = (effective(self.base, b), effective(self.head, h));
        if bs == hs {
            return;
        }
        // Zoom reads each list as "any one of these scopes", and so does the runtime.
        let scopes = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .flat_map(|req| req.iter())
                .flat_map(|(scheme, scopes)| {
                    let list: Vec<String> =
                        scopes.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
                    if list.is_empty() { vec![scheme.clone()] } else { list }
                })
                .collect()
        };
        let (bset, hset) = (scopes(&bs), scopes(&hs));
        let dropped: Vec<&String> = bset.difference(&hset).collect();
        let added: Vec<&String> = hset.difference(&bset).collect();
        let join = |v: &[&String]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
        let at = at.child("security");
        if !dropped.is_empty() {
            self.emit(
                "security-scopes-narrowed",
                &at,
                bs,
                hs,
                format!("scopes no longer accepted: {}", join(&dropped)),
            );
        } else if !added.is_empty() {
            self.emit("security-scopes-widened", &at, bs, hs, format!("scopes now also accepted: {}", join(&added)));
        } else {
            self.emit(
                "security-scopes-widened",
                &at,
                bs,
                hs,
                "the security requirements were regrouped; the same scopes are accepted".to_owned(),
            );
        }
    }

    /// `x-zoom-pagination` (a generated stream) and `x-zoom-replaced-by` (a deprecation note).
    fn pagination(&mut self, at: &At, b: &Value, h: &Value) {
        let (bp, hp) = (b.get("x-zoom-pagination"), h.get("x-zoom-pagination"));
        if bp != hp {
            let items = |p: Option<&Value>| p.and_then(|p| p.get("items")).and_then(Value::as_str).map(str::to_owned);
            let (rule, text) = match (items(bp), items(hp)) {
                (None, Some(i)) => (
                    "pagination-added",
                    format!("the operation became paginated (items `{i}`): its builder gains `stream()`"),
                ),
                (Some(i), None) => (
                    "pagination-removed",
                    format!("the operation is no longer paginated (was items `{i}`): `stream()` goes away"),
                ),
                (b_items, h_items) => (
                    "pagination-removed",
                    format!("the paginated items changed: {} → {}", show(&json!(b_items)), show(&json!(h_items))),
                ),
            };
            self.emit(rule, &at.child("x-zoom-pagination"), opt(bp), opt(hp), text);
        }
        let (br, hr) = (b.get("x-zoom-replaced-by"), h.get("x-zoom-replaced-by"));
        if br != hr {
            let text = format!("the named replacement changed: {} → {}", show(&opt(br)), show(&opt(hr)));
            self.emit("replacement-changed", &at.child("x-zoom-replaced-by"), opt(br), opt(hr), text);
        }
    }

    fn rate_limit(&mut self, at: &At, b: &Value, h: &Value) {
        let (bl, hl) = (b.get("x-zoom-rate-limit"), h.get("x-zoom-rate-limit"));
        if bl == hl {
            return;
        }
        let rank = |l: Option<&Value>| {
            let label = l.and_then(|l| l.get("label")).and_then(Value::as_str).unwrap_or("");
            RATE_LIMIT_LABELS.iter().position(|x| *x == label)
        };
        let interval = |l: Option<&Value>| l.and_then(|l| l.get("min_interval")).and_then(parse_interval).unwrap_or(0);
        let daily =
            |l: Option<&Value>| l.and_then(|l| l.get("daily_limit")).and_then(Value::as_u64).unwrap_or(u64::MAX);
        let per =
            |l: Option<&Value>| l.and_then(|l| l.get("per")).and_then(Value::as_str).unwrap_or("account").to_owned();
        let mut tighter = Vec::new();
        let mut looser = Vec::new();
        let mut note = |cond_tight: bool, cond_loose: bool, text: String| {
            if cond_tight {
                tighter.push(text);
            } else if cond_loose {
                looser.push(text);
            }
        };
        let (br, hr) = (rank(bl), rank(hl));
        note(
            hr > br,
            hr < br,
            format!(
                "label {} → {}",
                show(&opt(bl.and_then(|l| l.get("label")))),
                show(&opt(hl.and_then(|l| l.get("label"))))
            ),
        );
        let (bi, hi) = (interval(bl), interval(hl));
        note(hi > bi, hi < bi, format!("min_interval {bi}s → {hi}s"));
        let (bd, hd) = (daily(bl), daily(hl));
        let daily_text = |d: u64| if d == u64::MAX { "none".to_owned() } else { d.to_string() };
        note(hd < bd, hd > bd, format!("daily_limit {} → {}", daily_text(bd), daily_text(hd)));
        let (bp, hp) = (per(bl), per(hl));
        note(bp != hp && hp == "account", bp != hp && hp != "account", format!("per {bp} → {hp}"));
        let (rule, word) = if tighter.is_empty() && !looser.is_empty() {
            ("rate-limit-relaxed", "relaxed")
        } else if looser.is_empty() {
            ("rate-limit-tightened", "tightened")
        } else {
            ("rate-limit-tightened", "changed both ways")
        };
        let mut parts = tighter;
        parts.extend(looser);
        let detail = if parts.is_empty() { "the notation changed".to_owned() } else { parts.join(", ") };
        self.emit(rule, &at.child("x-zoom-rate-limit"), opt(bl), opt(hl), format!("rate limit {word}: {detail}"));
    }

    // ------------------------------------------------------------ parameters

    fn parameters(&mut self, b: &Op<'a>, h: &Op<'a>, op_at: &At) {
        let bp = collect_parameters(&self.base.source.value, b);
        let hp = collect_parameters(&self.head.source.value, h);
        let mut removed: Vec<&Param> = bp.iter().filter(|p| !hp.iter().any(|q| q.key() == p.key())).collect();
        let mut added: Vec<&Param> = hp.iter().filter(|p| !bp.iter().any(|q| q.key() == p.key())).collect();
        // One removed and one added in the same place: a rename.
        for place in ["path", "query", "header", "cookie"] {
            let r: Vec<usize> = removed.iter().enumerate().filter(|(_, p)| p.place == place).map(|(i, _)| i).collect();
            let a: Vec<usize> = added.iter().enumerate().filter(|(_, p)| p.place == place).map(|(i, _)| i).collect();
            if r.len() == 1 && a.len() == 1 {
                let (old, new) = (removed.remove(r[0]), added.remove(a[0]));
                let at = At {
                    area: Area::Request,
                    pointer: new.pointer.clone(),
                    base: old.defined_at.clone(),
                    head: new.defined_at.clone(),
                };
                let same_rust = heck::ToSnakeCase::to_snake_case(old.name.as_str())
                    == heck::ToSnakeCase::to_snake_case(new.name.as_str());
                if !(place == "path" && same_rust) {
                    self.emit(
                        "parameter-renamed",
                        &at.child("name"),
                        json!(old.name),
                        json!(new.name),
                        format!("{place} parameter `{}` was renamed to `{}`", old.name, new.name),
                    );
                }
                self.parameter(old, new, &at);
            }
        }
        for p in removed {
            let at =
                At { area: Area::Request, pointer: p.pointer.clone(), base: p.defined_at.clone(), head: String::new() };
            self.emit(
                "parameter-removed",
                &at,
                json!(p.name),
                Value::Null,
                format!("{} parameter `{}` was removed", p.place, p.name),
            );
        }
        for p in added {
            let at =
                At { area: Area::Request, pointer: p.pointer.clone(), base: String::new(), head: p.defined_at.clone() };
            let (rule, kind) = if p.required {
                ("parameter-added-required", "required")
            } else {
                ("parameter-added-optional", "optional")
            };
            self.emit(rule, &at, Value::Null, json!(p.name), format!("new {kind} {} parameter `{}`", p.place, p.name));
        }
        for old in &bp {
            if let Some(new) = hp.iter().find(|q| q.key() == old.key()) {
                let at = At {
                    area: Area::Request,
                    pointer: new.pointer.clone(),
                    base: old.defined_at.clone(),
                    head: new.defined_at.clone(),
                };
                self.parameter(old, new, &at);
            }
        }
        let _ = op_at;
    }

    fn parameter(&mut self, old: &Param<'a>, new: &Param<'a>, at: &At) {
        let name = &new.name;
        if old.required != new.required {
            let (rule, text) = if new.required {
                ("parameter-became-required", "became required")
            } else {
                ("parameter-became-optional", "became optional")
            };
            self.emit(
                rule,
                &at.child("required"),
                json!(old.required),
                json!(new.required),
                format!("parameter `{name}` {text}"),
            );
        }
        self.deprecated(at, old.value, new.value, &format!("parameter `{name}`"));
        self.docs(at, old.value, new.value);
        self.other_keys(at, old.value, new.value, &["name", "in", "required", "deprecated", "schema"]);
        if let (Some(bs), Some(hs)) = (old.value.get("schema"), new.value.get("schema")) {
            self.schema(bs, hs, &at.child("schema"), Dir::Request, &format!("parameter `{name}`"));
        }
    }

    // ----------------------------------------------------------- bodies

    fn request_body(&mut self, op_at: &At, bo: &'a Value, ho: &'a Value) {
        let base_root: &'a Value = &self.base.source.value;
        let head_root: &'a Value = &self.head.source.value;
        let at = At { area: Area::Request, ..op_at.child("requestBody") };
        match (bo.get("requestBody"), ho.get("requestBody")) {
            (None, None) => {}
            (None, Some(_)) => self.emit(
                "request-body-added",
                &at,
                Value::Null,
                json!("requestBody"),
                "the operation now takes a request body".into(),
            ),
            (Some(_), None) => self.emit(
                "request-body-removed",
                &at,
                json!("requestBody"),
                Value::Null,
                "the operation no longer takes a request body".into(),
            ),
            (Some(b), Some(h)) => {
                let (bp, b) = resolve(base_root, b, &at.base);
                let (hp, h) = resolve(head_root, h, &at.head);
                let at = At { base: bp, head: hp, ..at };
                self.docs(&at, b, h);
                self.other_keys(&at, b, h, &["content", "$ref"]);
                self.content(&at, b, h, Dir::Request, "request body");
            }
        }
    }

    fn content(&mut self, at: &At, b: &'a Value, h: &'a Value, dir: Dir, what: &str) {
        let bc = b.get("content").and_then(Value::as_object).unwrap_or(&EMPTY);
        let hc = h.get("content").and_then(Value::as_object).unwrap_or(&EMPTY);
        let at = at.child("content");
        for (media, bm) in bc {
            let mat = at.child(media);
            match hc.get(media) {
                None => self.emit(
                    "media-type-removed",
                    &mat,
                    json!(media),
                    Value::Null,
                    format!("{what} media type `{media}` was removed"),
                ),
                Some(hm) => {
                    self.docs(&mat, bm, hm);
                    self.other_keys(&mat, bm, hm, &["schema"]);
                    match (bm.get("schema"), hm.get("schema")) {
                        (Some(bs), Some(hs)) => self.schema(bs, hs, &mat.child("schema"), dir, what),
                        (None, None) => {}
                        (bs, hs) => self.emit(
                            "type-changed",
                            &mat.child("schema"),
                            opt(bs),
                            opt(hs),
                            format!("{what} schema was added or removed"),
                        ),
                    }
                }
            }
        }
        for media in hc.keys().filter(|m| !bc.contains_key(*m)) {
            self.emit(
                "media-type-added",
                &at.child(media),
                Value::Null,
                json!(media),
                format!("{what} media type `{media}` was added"),
            );
        }
    }

    fn responses(&mut self, op_at: &At, bo: &'a Value, ho: &'a Value) {
        let base_root: &'a Value = &self.base.source.value;
        let head_root: &'a Value = &self.head.source.value;
        let br = bo.get("responses").and_then(Value::as_object).unwrap_or(&EMPTY);
        let hr = ho.get("responses").and_then(Value::as_object).unwrap_or(&EMPTY);
        let at = At { area: Area::Response, ..op_at.child("responses") };
        for (status, b) in br {
            let sat = at.child(status);
            match hr.get(status) {
                None if is_success(status) => self.emit(
                    "response-success-status-removed",
                    &sat,
                    json!(status),
                    Value::Null,
                    format!("success response `{status}` was removed"),
                ),
                None => self.emit(
                    "response-error-status-removed",
                    &sat,
                    json!(status),
                    Value::Null,
                    format!("error response `{status}` was removed"),
                ),
                Some(h) => {
                    let (bp, b) = resolve(base_root, b, &sat.base);
                    let (hp, h) = resolve(head_root, h, &sat.head);
                    let sat = At { base: bp, head: hp, ..sat };
                    self.docs(&sat, b, h);
                    self.other_keys(&sat, b, h, &["content", "$ref"]);
                    self.content(&sat, b, h, Dir::Response, &format!("response `{status}`"));
                }
            }
        }
        for status in hr.keys().filter(|s| !br.contains_key(*s)) {
            self.emit(
                "response-status-added",
                &at.child(status),
                Value::Null,
                json!(status),
                format!("response `{status}` was added"),
            );
        }
    }

    // -------------------------------------------------------------- schemas

    fn schema(&mut self, b: &'a Value, h: &'a Value, at: &At, dir: Dir, what: &str) {
        let base_root: &'a Value = &self.base.source.value;
        let head_root: &'a Value = &self.head.source.value;
        let (bref, href) = (ref_name(b), ref_name(h));
        if bref != href {
            let label = |r: Option<&str>, s: &Value| r.map(|r| json!(r)).unwrap_or_else(|| type_of(s));
            let (before, after) = (label(bref, b), label(href, h));
            if bref.is_some() || href.is_some() {
                let show_ref = |r: Option<&str>, s: &Value| {
                    r.map(|r| format!("`{r}`")).unwrap_or_else(|| format!("inline {}", describe_type(&type_of(s))))
                };
                self.emit(
                    "type-changed",
                    at,
                    before,
                    after,
                    format!("{what}: schema {} became {}", show_ref(bref, b), show_ref(href, h)),
                );
                return;
            }
        }
        let (bp, b) = resolve(base_root, b, &at.base);
        let (hp, h) = resolve(head_root, h, &at.head);
        let at = At { base: bp.clone(), head: hp.clone(), ..at.clone() };
        if bref.is_some() && !self.visited.insert((bp, hp, dir)) {
            return;
        }
        let (bt, ht) = (type_of(b), type_of(h));
        if bt != ht {
            self.emit(
                "type-changed",
                &at,
                bt.clone(),
                ht.clone(),
                format!("{what}: type {} became {}", describe_type(&bt), describe_type(&ht)),
            );
            return;
        }
        self.deprecated(&at, b, h, what);
        self.docs(&at, b, h);
        self.enums(&at, b, h, dir, what);
        for key in CONSTRAINTS {
            let (bv, hv) = (b.get(*key), h.get(*key));
            if bv != hv {
                self.emit(
                    "constraint-changed",
                    &at.child(key),
                    opt(bv),
                    opt(hv),
                    format!("{what}: `{key}` changed from {} to {}", show(&opt(bv)), show(&opt(hv))),
                );
            }
        }
        let mut handled: Vec<&str> = SCHEMA_KEYS.to_vec();
        handled.extend(CONSTRAINTS);
        self.other_keys(&at, b, h, &handled);
        self.properties(&at, b, h, dir, what);
        if let (Some(bi), Some(hi)) = (b.get("items"), h.get("items")) {
            self.schema(bi, hi, &at.child("items"), dir, &format!("{what} items"));
        } else if b.get("items") != h.get("items") {
            self.emit(
                "type-changed",
                &at.child("items"),
                opt(b.get("items")),
                opt(h.get("items")),
                format!("{what}: `items` added or removed"),
            );
        }
        match (b.get("additionalProperties"), h.get("additionalProperties")) {
            (Some(bs @ Value::Object(_)), Some(hs @ Value::Object(_))) => {
                self.schema(bs, hs, &at.child("additionalProperties"), dir, &format!("{what} map values"))
            }
            (bv, hv) if bv != hv => self.emit(
                "constraint-changed",
                &at.child("additionalProperties"),
                opt(bv),
                opt(hv),
                format!("{what}: `additionalProperties` changed"),
            ),
            _ => {}
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let (bl, hl) = (list(b.get(key)), list(h.get(key)));
            if bl.len() != hl.len() {
                let names = |l: &[Value]| -> Value {
                    l.iter().map(|s| ref_name(s).map(|r| json!(r)).unwrap_or_else(|| type_of(s))).collect()
                };
                self.emit(
                    "schema-combinator-changed",
                    &at.child(key),
                    names(&bl),
                    names(&hl),
                    format!("{what}: `{key}` went from {} to {} alternatives", bl.len(), hl.len()),
                );
                continue;
            }
            let (bsub, hsub) = (b.get(key).and_then(Value::as_array), h.get(key).and_then(Value::as_array));
            if let (Some(bsub), Some(hsub)) = (bsub, hsub) {
                for (i, (bs, hs)) in bsub.iter().zip(hsub).enumerate() {
                    self.schema(
                        bs,
                        hs,
                        &at.child(key).child(&i.to_string()),
                        dir,
                        &format!("{what} ({key} #{})", i + 1),
                    );
                }
            }
        }
    }

    fn enums(&mut self, at: &At, b: &Value, h: &Value, dir: Dir, what: &str) {
        for (key, added_rule, removed_rule) in [
            (
                "enum",
                if dir == Dir::Response { "response-enum-value-added" } else { "request-enum-value-added" },
                "enum-value-removed",
            ),
            ("x-extensible-enum", "extensible-enum-value-added", "extensible-enum-value-removed"),
        ] {
            let (bl, hl) = (list(b.get(key)), list(h.get(key)));
            if bl == hl {
                continue;
            }
            let eat = at.child(key);
            for v in bl.iter().filter(|v| !hl.contains(v)) {
                self.emit(
                    removed_rule,
                    &eat,
                    v.clone(),
                    Value::Null,
                    format!("{what}: value {} was removed from `{key}`", show(v)),
                );
            }
            for v in hl.iter().filter(|v| !bl.contains(v)) {
                self.emit(
                    added_rule,
                    &eat,
                    Value::Null,
                    v.clone(),
                    format!("{what}: value {} was added to `{key}`", show(v)),
                );
            }
        }
    }

    fn properties(&mut self, at: &At, b: &'a Value, h: &'a Value, dir: Dir, what: &str) {
        let bprops = b.get("properties").and_then(Value::as_object).unwrap_or(&EMPTY);
        let hprops = h.get("properties").and_then(Value::as_object).unwrap_or(&EMPTY);
        let required = |s: &Value| -> BTreeSet<String> {
            list(s.get("required")).iter().filter_map(Value::as_str).map(str::to_owned).collect()
        };
        let (breq, hreq) = (required(b), required(h));
        let pat = at.child("properties");
        // Labels name the property only, so that the copies of a component
        // change read the same at every operation.
        let _ = what;
        let prefix = |name: &str| format!("property `{name}`");
        for (name, bs) in bprops {
            let nat = pat.child(name);
            let label = prefix(name);
            let was_required = breq.contains(name);
            match hprops.get(name) {
                None => {
                    let (rule, text) = match dir {
                        Dir::Request => ("request-property-removed", "request"),
                        Dir::Response => ("response-property-removed", "response"),
                    };
                    let kind = if was_required { "required" } else { "optional" };
                    self.emit(rule, &nat, json!(name), Value::Null, format!("{kind} {text} {label} was removed"));
                }
                Some(hs) => {
                    let is_required = hreq.contains(name);
                    if was_required != is_required {
                        let rule = match (dir, is_required) {
                            (Dir::Request, true) => "request-property-became-required",
                            (Dir::Request, false) => "request-property-became-optional",
                            (Dir::Response, true) => "response-property-became-required",
                            (Dir::Response, false) => "response-property-became-optional",
                        };
                        let word = if is_required { "required" } else { "optional" };
                        self.emit(
                            rule,
                            &at.child("required"),
                            json!(was_required),
                            json!(is_required),
                            format!("{label} became {word}"),
                        );
                    }
                    self.schema(bs, hs, &nat, dir, &label);
                }
            }
        }
        for name in hprops.keys().filter(|n| !bprops.contains_key(*n)) {
            let nat = pat.child(name);
            let label = prefix(name);
            let is_required = hreq.contains(name);
            let rule = match (dir, is_required) {
                (Dir::Request, true) => "request-property-added-required",
                (Dir::Request, false) => "request-property-added-optional",
                (Dir::Response, _) => "response-property-added",
            };
            let kind = if is_required { "required" } else { "optional" };
            let side = if dir == Dir::Request { "request" } else { "response" };
            self.emit(rule, &nat, Value::Null, json!(name), format!("new {kind} {side} {label}"));
        }
    }

    // ----------------------------------------------------------- components

    fn components(&mut self) {
        self.op = None;
        for kind in ["schemas", "parameters", "responses", "requestBodies", "headers", "examples", "securitySchemes"] {
            let pointer = format!("/components/{kind}");
            let bc = self.base.get(&pointer).and_then(Value::as_object).unwrap_or(&EMPTY);
            let hc = self.head.get(&pointer).and_then(Value::as_object).unwrap_or(&EMPTY);
            let at = At { area: Area::Component, pointer: pointer.clone(), base: pointer.clone(), head: pointer };
            for (name, bv) in bc {
                let cat = at.child(name);
                match hc.get(name) {
                    None => self.emit(
                        "component-removed",
                        &cat,
                        json!(name),
                        Value::Null,
                        format!("component `{name}` ({kind}) was removed"),
                    ),
                    Some(hv) if kind == "securitySchemes" => self.generic(&cat, Some(bv), Some(hv), false),
                    Some(_) => {}
                }
            }
            for name in hc.keys().filter(|n| !bc.contains_key(*n)) {
                self.emit(
                    "component-added",
                    &at.child(name),
                    Value::Null,
                    json!(name),
                    format!("component `{name}` ({kind}) was added"),
                );
            }
        }
    }

    /// The rest of the document: `info`, `servers`, `tags`, extensions.
    fn document(&mut self) {
        self.op = None;
        let (b, h) = (&self.base.source.value, &self.head.source.value);
        let keys: BTreeSet<&String> = b.as_object().into_iter().chain(h.as_object()).flat_map(|m| m.keys()).collect();
        for key in keys {
            if ["paths", "components", "security"].contains(&key.as_str()) {
                continue;
            }
            let at = At { area: Area::Document, pointer: String::new(), base: String::new(), head: String::new() }
                .child(key);
            let doc = ["info", "tags", "externalDocs"].contains(&key.as_str());
            self.generic(&at, b.get(key), h.get(key), doc);
        }
    }

    /// A plain structural diff: documentation keys are `documentation-changed`,
    /// anything else `other-change`.
    fn generic(&mut self, at: &At, b: Option<&Value>, h: Option<&Value>, doc: bool) {
        if b == h {
            return;
        }
        if let (Some(Value::Object(bm)), Some(Value::Object(hm))) = (b, h) {
            let keys: BTreeSet<&String> = bm.keys().chain(hm.keys()).collect();
            for key in keys {
                let doc = doc || DOC_KEYS.contains(&key.as_str());
                self.generic(&at.child(key), bm.get(key), hm.get(key), doc);
            }
            return;
        }
        let (rule, message) = if doc {
            ("documentation-changed", format!("`{}` changed", at.pointer))
        } else {
            ("other-change", format!("`{}` changed; this tool does not classify it, review it by hand", at.pointer))
        };
        self.emit(rule, at, opt(b), opt(h), message);
    }
}

struct Op<'v> {
    pointer: String,
    item_pointer: String,
    method: String,
    path: String,
    id: Option<String>,
    value: &'v Value,
    item: &'v Value,
}

impl Op<'_> {
    fn op_ref(&self) -> OpRef {
        OpRef { method: self.method.clone(), path: self.path.clone(), operation_id: self.id.clone() }
    }
}

fn collect_operations(root: &Value) -> Vec<Op<'_>> {
    walk::operations(root)
        .into_iter()
        .map(|op| Op {
            pointer: op.pointer(),
            item_pointer: op.item_pointer(),
            method: op.http_method(),
            path: op.path.to_owned(),
            id: op.operation_id().map(str::to_owned),
            value: op.value,
            item: op.item,
        })
        .collect()
}

struct Param<'v> {
    name: String,
    place: String,
    required: bool,
    /// Where it is listed (an index in a `parameters` array).
    pointer: String,
    /// Where it is written (a component, when listed by `$ref`).
    defined_at: String,
    value: &'v Value,
}

impl Param<'_> {
    fn key(&self) -> (&str, &str) {
        (&self.place, &self.name)
    }
}

fn collect_parameters<'v>(root: &'v Value, op: &Op<'v>) -> Vec<Param<'v>> {
    let mut by_key: BTreeMap<(String, String), Param<'v>> = BTreeMap::new();
    let mut order = Vec::new();
    for (owner, owner_pointer) in [(op.item, &op.item_pointer), (op.value, &op.pointer)] {
        for (i, p) in owner.get("parameters").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let pointer = format!("{owner_pointer}/parameters/{i}");
            let (defined_at, value) = resolve(root, p, &pointer);
            let name = value.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            let place = value.get("in").and_then(Value::as_str).unwrap_or_default().to_owned();
            let required = value.get("required") == Some(&Value::Bool(true));
            let key = (place.clone(), name.clone());
            if !by_key.contains_key(&key) {
                order.push(key.clone());
            }
            by_key.insert(key, Param { name, place, required, pointer, defined_at, value });
        }
    }
    order.into_iter().filter_map(|k| by_key.remove(&k)).collect()
}

/// Per-operation dedup, one component-level copy of each change made inside
/// a component, and a stable order.
fn finish(raw: Vec<Raw>) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut components: BTreeMap<(String, &'static str, String, String), Change> = BTreeMap::new();
    let mut users: BTreeMap<(String, &'static str, String, String), BTreeSet<String>> = BTreeMap::new();
    for Raw { change, component_only } in raw {
        let key =
            (change.location.defined_at.clone(), change.rule, change.before.to_string(), change.after.to_string());
        if change.is_operation() && change.location.defined_at.starts_with("/components/") {
            users.entry(key.clone()).or_default().insert(change.operation_label());
            let entry = components.entry(key.clone()).or_insert_with(|| {
                let mut c = change.clone();
                c.method = None;
                c.path = None;
                c.operation_id = None;
                c.location.area = Area::Component;
                c.location.pointer = c.location.defined_at.clone();
                if let Some(name) = c.location.defined_at.split('/').nth(3) {
                    c.message = format!("`{}`: {}", name.replace("~1", "/").replace("~0", "~"), c.message);
                }
                c
            });
            entry.severity = entry.severity.min(change.severity);
            if component_only {
                continue;
            }
        }
        let op_key = (change.operation_label(), key);
        if seen.insert(op_key) {
            out.push(change);
        }
    }
    for (key, mut change) in components {
        if let Some(users) = users.get(&key) {
            let n = users.len();
            change.message = format!("{} (used by {n} operation{})", change.message, if n == 1 { "" } else { "s" });
        }
        // The operation copies already carry it, and the top-level entry of a
        // component is not duplicated.
        let dup = out.iter().any(|c| {
            !c.is_operation()
                && c.rule == change.rule
                && c.location.defined_at == change.location.defined_at
                && c.before == change.before
                && c.after == change.after
        });
        if !dup {
            out.push(change);
        }
    }
    out.sort_by(|a, b| {
        let key = |c: &Change| {
            (
                c.severity,
                c.path.is_none(),
                c.path.clone().unwrap_or_default(),
                c.method.clone().unwrap_or_default(),
                c.location.area,
                c.location.pointer.clone(),
                c.rule,
                c.before.to_string(),
                c.after.to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    out
}
