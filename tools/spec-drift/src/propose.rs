//! The proposed spec: merged findings turned into surgical edits of the spec's text.
//!
//! - An unknown property is added to the object schema that lacked it, with an
//!   inferred type and an `x-zoom-observed` note (first-seen date, count, operations).
//! - An unlisted value is appended to the schema's `x-extensible-enum`.
//! - A type that differs widens the schema: `integer` to `number`, `nullable: true`
//!   for `null`, a new `oneOf` branch, or a `oneOf` of the declared and observed
//!   types; an `x-zoom-observed` note records it.
//! - Missing required properties and format differences are listed for review,
//!   not edited: loosening them is a judgement about Zoom's contract.

use std::collections::BTreeMap;

use serde_json::Value;
use zoom_billing_codegen::Spec;

use crate::infer::{infer, type_and_format};
use crate::input::Kind;
use crate::merge::Merged;
use crate::text::{self, indent, yaml_key, yaml_scalar};

/// One change the proposal makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The finding kind it answers.
    pub kind: Kind,
    /// The spec schema it changes.
    pub schema: String,
    /// The property, value or pointer concerned.
    pub subject: String,
    /// One line for the reviewer.
    pub summary: String,
}

/// The proposed spec and what it changes.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// The whole proposed spec text.
    pub text: String,
    /// The changes made.
    pub edits: Vec<Edit>,
    /// Findings not turned into an edit, and why.
    pub skipped: Vec<String>,
}

/// Why no proposal could be made.
#[derive(Debug, thiserror::Error)]
pub enum ProposeError {
    /// The current spec does not load.
    #[error("the spec does not load: {0}")]
    Spec(#[source] zoom_billing_codegen::Error),
    /// The edited text does not load: a bug of this crate, reported rather than written.
    #[error("the proposed spec does not load (please report this): {0}")]
    Proposed(#[source] zoom_billing_codegen::Error),
}

/// Lines replaced or inserted at a line index of the original text.
struct TextEdit {
    at: usize,
    remove: usize,
    lines: Vec<String>,
}

fn observed_note(finding: &Merged, extra: &str) -> String {
    let operations = finding.operations.iter().map(|o| yaml_scalar(o)).collect::<Vec<_>>().join(", ");
    format!(
        "x-zoom-observed: {{first_seen: \"{}\", count: {}, operations: [{operations}]{extra}}}",
        finding.first_seen_date(),
        finding.count
    )
}

/// Propose the edits for `findings` to the spec `text` (`label` names it in errors).
pub fn propose(label: &str, text: &str, findings: &[Merged]) -> Result<Proposal, ProposeError> {
    let spec = Spec::parse(label, text).map_err(ProposeError::Spec)?;
    let root = &spec.source.value;
    let lines: Vec<&str> = text.lines().collect();
    let mut edits = Vec::new();
    let mut text_edits = Vec::new();
    let mut skipped = Vec::new();

    let mut by_schema: BTreeMap<(&str, Kind), Vec<&Merged>> = BTreeMap::new();
    for finding in findings {
        match finding.kind {
            Kind::MissingRequired => skipped.push(format!(
                "{}: required property `{}` was missing {} time(s) in {}; not proposed (decide whether it is really required)",
                finding.schema,
                finding.subject,
                finding.count,
                finding.operations.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            Kind::FormatDiffers => skipped.push(format!(
                "{} at {}: not in the declared format `{}` {} time(s); not proposed (check the format by hand)",
                finding.schema,
                finding.subject,
                finding.expected.as_deref().unwrap_or("?"),
                finding.count
            )),
            kind => by_schema.entry((finding.schema.as_str(), kind)).or_default().push(finding),
        }
    }

    for ((schema, kind), group) in by_schema {
        let Some(node) = root.pointer(schema) else {
            skipped.push(format!("{schema}: not in the spec (the findings come from another version of it)"));
            continue;
        };
        let Some((line, key_indent)) = text::locate(&lines, schema) else {
            skipped.push(format!("{schema}: cannot be located in the text (only block mappings are edited)"));
            continue;
        };
        let result = match kind {
            Kind::UnknownProperty => add_properties(&lines, line, key_indent, schema, node, &group),
            Kind::UnlistedValue => add_values(&lines, line, key_indent, schema, node, &group),
            _ => widen(&lines, line, key_indent, schema, node, &group),
        };
        match result {
            Ok((mut t, mut e, mut s)) => {
                text_edits.append(&mut t);
                edits.append(&mut e);
                skipped.append(&mut s);
            }
            Err(reason) => skipped.push(format!("{schema}: {reason}")),
        }
    }

    // Bottom-up, so that earlier line numbers stay valid.
    text_edits.sort_by_key(|e| std::cmp::Reverse(e.at));
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    for edit in text_edits {
        out.splice(edit.at..edit.at + edit.remove, edit.lines);
    }
    let mut proposed = out.join("\n");
    if text.ends_with('\n') {
        proposed.push('\n');
    }
    Spec::parse(label, &proposed).map_err(ProposeError::Proposed)?;
    Ok(Proposal { text: proposed, edits, skipped })
}

type Parts = (Vec<TextEdit>, Vec<Edit>, Vec<String>);

fn add_properties(
    lines: &[&str],
    line: usize,
    key_indent: usize,
    schema: &str,
    node: &Value,
    group: &[&Merged],
) -> Result<Parts, String> {
    if node.get("properties").is_none() && node.get("type").and_then(Value::as_str) != Some("object") {
        return Err("not an object schema; unknown properties are not proposed".to_owned());
    }
    let (start, end) = text::block(lines, line, key_indent);
    let child = text::child_indent(lines, start, end).ok_or("empty schema block")?;
    let (at, prop_indent, mut new_lines) = match text::find_key(lines, start, end, "properties") {
        Some(p) => {
            let (ps, pe) = text::block(lines, p, child);
            let prop_indent = text::child_indent(lines, ps, pe).unwrap_or(child + 2);
            (text::last_content_end(lines, ps, pe), prop_indent, Vec::new())
        }
        None => {
            (text::last_content_end(lines, start, end), child + 2, vec![format!("{}properties:", " ".repeat(child))])
        }
    };
    let mut edits = Vec::new();
    let mut skipped = Vec::new();
    let pad = " ".repeat(prop_indent);
    for finding in group {
        if node.get("properties").and_then(|p| p.get(&finding.subject)).is_some() {
            skipped.push(format!("{schema}: property `{}` is already in the spec", finding.subject));
            continue;
        }
        let inferred = infer(&finding.observed);
        new_lines.push(format!("{pad}{}:", yaml_key(&finding.subject)));
        for l in &inferred.lines {
            new_lines.push(format!("{pad}  {l}"));
        }
        new_lines.push(format!("{pad}  description: Not in Zoom's documentation; observed in responses."));
        if let Some(note) = &inferred.note {
            new_lines.push(format!("{pad}  x-zoom-uncertain: {}", yaml_scalar(note)));
        }
        new_lines.push(format!("{pad}  {}", observed_note(finding, "")));
        let type_text = if inferred.lines.is_empty() { "any value".to_owned() } else { inferred.lines[0].clone() };
        edits.push(Edit {
            kind: Kind::UnknownProperty,
            schema: schema.to_owned(),
            subject: finding.subject.clone(),
            summary: format!(
                "{schema}: new property `{}` ({type_text}), seen {} time(s) since {} in {}",
                finding.subject,
                finding.count,
                finding.first_seen_date(),
                finding.operations.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let text_edits = if edits.is_empty() { Vec::new() } else { vec![TextEdit { at, remove: 0, lines: new_lines }] };
    Ok((text_edits, edits, skipped))
}

fn add_values(
    lines: &[&str],
    line: usize,
    key_indent: usize,
    schema: &str,
    node: &Value,
    group: &[&Merged],
) -> Result<Parts, String> {
    let known: Vec<&str> = node
        .get("x-extensible-enum")
        .and_then(Value::as_array)
        .ok_or("has no `x-extensible-enum` to extend")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (start, end) = text::block(lines, line, key_indent);
    let list =
        text::find_key(lines, start, end, "x-extensible-enum").ok_or("`x-extensible-enum` not found in the text")?;
    let mut edits = Vec::new();
    let mut skipped = Vec::new();
    let mut new: Vec<&Merged> = Vec::new();
    for finding in group {
        if known.contains(&finding.subject.as_str()) || new.iter().any(|n| n.subject == finding.subject) {
            skipped.push(format!("{schema}: `{}` is already listed", finding.subject));
        } else if finding.subject == "[redacted]" {
            skipped.push(format!("{schema}: a value redacted by the observer; not proposed"));
        } else {
            new.push(finding);
        }
    }
    for finding in &new {
        edits.push(Edit {
            kind: Kind::UnlistedValue,
            schema: schema.to_owned(),
            subject: finding.subject.clone(),
            summary: format!(
                "{schema}: new value `{}` in x-extensible-enum, seen {} time(s) since {} in {}",
                finding.subject,
                finding.count,
                finding.first_seen_date(),
                finding.operations.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if new.is_empty() {
        return Ok((Vec::new(), edits, skipped));
    }
    let list_line = lines[list];
    let list_indent = indent(list_line);
    if let Some(close) = list_line.rfind(']') {
        // A flow list: `x-extensible-enum: [a, b]`.
        let added: Vec<String> = new.iter().map(|f| yaml_scalar(&f.subject)).collect();
        let edited = format!("{}, {}{}", &list_line[..close], added.join(", "), &list_line[close..]);
        return Ok((vec![TextEdit { at: list, remove: 1, lines: vec![edited] }], edits, skipped));
    }
    let (ls, le) = text::block(lines, list, list_indent);
    let item_line = lines[ls..le].iter().find(|l| l.trim_start().starts_with("- ")).ok_or("the list has no items")?;
    let pad = " ".repeat(indent(item_line));
    let at = text::last_content_end(lines, ls, le);
    let new_lines = new
        .iter()
        .map(|f| {
            format!(
                "{pad}- {}  # x-zoom-observed: first seen {}, {} time(s)",
                yaml_scalar(&f.subject),
                f.first_seen_date(),
                f.count
            )
        })
        .collect();
    Ok((vec![TextEdit { at, remove: 0, lines: new_lines }], edits, skipped))
}

fn widen(
    lines: &[&str],
    line: usize,
    key_indent: usize,
    schema: &str,
    node: &Value,
    group: &[&Merged],
) -> Result<Parts, String> {
    if ["x-extensible-enum", "enum", "properties", "items"].iter().any(|k| node.get(*k).is_some()) {
        return Err("an enum, object or array whose type differs; not widened automatically".to_owned());
    }
    let mut observed: Vec<&str> = Vec::new();
    let mut count = 0;
    let mut first = *group.first().ok_or("no findings")?;
    for finding in group {
        count += finding.count;
        if finding.first_seen < first.first_seen {
            first = finding;
        }
        for shape in &finding.observed {
            if let (Some(t), _) = type_and_format(shape)
                && !observed.contains(&t)
            {
                observed.push(t);
            }
        }
    }
    let null = observed.contains(&"null");
    observed.retain(|t| *t != "null");
    let (start, end) = text::block(lines, line, key_indent);
    let child = text::child_indent(lines, start, end).ok_or("empty schema block")?;
    let pad = " ".repeat(child);
    let declared = node.get("type").and_then(Value::as_str);
    let mut text_edits = Vec::new();
    let sent_as = observed.iter().chain(null.then_some(&"null")).copied().collect::<Vec<_>>().join(", ");
    let summary;
    if let Some(one_of) = text::find_key(lines, start, end, "oneOf") {
        // Already a union: add a branch per new type.
        let (os, oe) = text::block(lines, one_of, child);
        let item = lines[os..oe].iter().find(|l| l.trim_start().starts_with("- ")).ok_or("empty oneOf")?;
        let item_pad = " ".repeat(indent(item));
        let branches = observed.iter().map(|t| format!("{item_pad}- type: {t}")).collect();
        text_edits.push(TextEdit { at: text::last_content_end(lines, os, oe), remove: 0, lines: branches });
        if null {
            text_edits.push(TextEdit { at: one_of, remove: 0, lines: vec![format!("{pad}nullable: true")] });
        }
        summary = format!("{schema}: oneOf gains {sent_as}");
    } else {
        let declared = declared.ok_or("declares no type; nothing to widen")?;
        let type_line = text::find_key(lines, start, end, "type").ok_or("`type` not found in the text")?;
        let format_line = text::find_key(lines, start, end, "format");
        let others: Vec<&str> = observed.iter().copied().filter(|t| *t != declared).collect();
        if others.is_empty() {
            text_edits.push(TextEdit { at: type_line + 1, remove: 0, lines: vec![format!("{pad}nullable: true")] });
            summary = format!("{schema}: nullable (`null` was sent)");
        } else if declared == "integer" && others == ["number"] {
            let mut new = vec![format!("{pad}type: number")];
            if null {
                new.push(format!("{pad}nullable: true"));
            }
            text_edits.push(TextEdit { at: type_line, remove: 1, lines: new });
            summary = format!("{schema}: integer widened to number");
        } else {
            let mut new = vec![format!("{pad}oneOf:"), format!("{pad}  - type: {declared}")];
            if let Some(f) = format_line {
                new.push(format!("{pad}    {}", lines[f].trim_start()));
                text_edits.push(TextEdit { at: f, remove: 1, lines: Vec::new() });
            }
            new.extend(others.iter().map(|t| format!("{pad}  - type: {t}")));
            if null {
                new.push(format!("{pad}nullable: true"));
            }
            text_edits.push(TextEdit { at: type_line, remove: 1, lines: new });
            summary = format!("{schema}: {declared} widened to one of {declared}, {}", others.join(", "));
        }
    }
    if text::find_key(lines, start, end, "x-zoom-observed").is_none() {
        let merged = Merged { count, ..first.clone() };
        let mut operations = merged.operations.clone();
        for finding in group {
            operations.extend(finding.operations.iter().cloned());
        }
        let merged = Merged { operations, ..merged };
        let note = observed_note(&merged, &format!(", sent_as: [{sent_as}]"));
        text_edits.push(TextEdit {
            at: text::last_content_end(lines, start, end),
            remove: 0,
            lines: vec![format!("{pad}{note}")],
        });
    }
    let pointers: Vec<String> = group.iter().map(|f| f.subject.clone()).collect();
    let edit = Edit {
        kind: Kind::TypeDiffers,
        schema: schema.to_owned(),
        subject: pointers.join(", "),
        summary: format!(
            "{summary}, seen {count} time(s) since {} at {}",
            first.first_seen_date(),
            pointers.join(", ")
        ),
    };
    Ok((text_edits, vec![edit], Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{merge, read_lines};

    const SPEC: &str = "openapi: 3.0.3\ninfo:\n  title: t\n  version: '1'\npaths: {}\ncomponents:\n  schemas:\n    # a comment that must survive\n    Money:\n      type: number\n      format: decimal\n    Status:\n      type: string\n      x-extensible-enum:\n        - Draft\n    Invoice:\n      type: object\n      properties:\n        id:\n          type: string\n        n:\n          type: integer\n\n    Other:\n      type: object\n";

    fn line(kind: &str, schema: &str, pointer: &str, observed: &str, value: Option<&str>) -> String {
        let value = value.map(|v| format!(",\"value\":\"{v}\"")).unwrap_or_default();
        format!(
            r#"{{"operation":"op","pointer":"{pointer}","kind":"{kind}","schema":"{schema}","observed":{observed}{value},"first_seen":"2026-11-24T10:00:00Z","count":2}}"#
        )
    }

    #[test]
    fn each_kind_is_an_edit_and_the_rest_is_untouched() {
        let findings = [
            line(
                "unknown_property",
                "/components/schemas/Invoice",
                "/x/*/terms",
                r#"{"type":"string","length":6}"#,
                None,
            ),
            line("unlisted_value", "/components/schemas/Status", "/x/*/status", r#"{"type":"string"}"#, Some("Paid")),
            line(
                "type_differs",
                "/components/schemas/Money",
                "/x/*/amount",
                r#"{"type":"string","looks_like":"number"}"#,
                None,
            ),
            line("type_differs", "/components/schemas/Invoice/properties/n", "/x/*/n", r#"{"type":"number"}"#, None),
            line("missing_required", "/components/schemas/Invoice", "/x/*/id", r#"{"type":"object"}"#, None),
        ]
        .join("\n");
        let merged = merge(&read_lines("f", &findings).unwrap());
        let proposal = propose("spec.yaml", SPEC, &merged).unwrap();
        assert_eq!(proposal.edits.len(), 4, "{:#?}", proposal.edits);
        assert_eq!(proposal.skipped.len(), 1, "{:#?}", proposal.skipped);
        let text = &proposal.text;
        assert!(text.contains("    # a comment that must survive\n"), "{text}");
        assert!(
            text.contains("        - Draft\n        - Paid  # x-zoom-observed: first seen 2026-11-24, 2 time(s)\n"),
            "{text}"
        );
        assert!(text.contains("        n:\n          type: number\n"), "{text}");
        assert!(
            text.contains("        terms:\n          type: string\n          description: Not in Zoom's documentation; observed in responses.\n          x-zoom-observed: {first_seen: \"2026-11-24\", count: 2, operations: [op]}\n\n    Other:"),
            "{text}"
        );
        assert!(
            text.contains("    Money:\n      oneOf:\n        - type: number\n          format: decimal\n        - type: string\n      x-zoom-observed:"),
            "{text}"
        );
        // Every original line that was not edited is still there, in order.
        let untouched = ["openapi: 3.0.3", "  title: t", "    Status:", "    Invoice:", "        id:", "    Other:"];
        let mut at = 0;
        for l in untouched {
            at += text[at..].find(&format!("{l}\n")).unwrap_or_else(|| panic!("{l} missing"));
        }
        let spec = Spec::parse("p", text).unwrap();
        assert!(spec.get("/components/schemas/Invoice/properties/terms").is_some());
    }
}
