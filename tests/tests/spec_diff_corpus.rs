//! The spec-diff corpus (tests/spec-diff/cases.yaml): every case's findings
//! as JSON and Markdown snapshots, every rule covered, and the docs' rules
//! table in sync with the code.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use zoom_billing_codegen::{Spec, workspace_root};
use zoom_billing_spec_diff::render::Report;
use zoom_billing_spec_diff::{self as diff, rules, rust_impact};

fn corpus_dir() -> PathBuf {
    workspace_root().unwrap().join("tests/spec-diff")
}

/// Apply one edit (see the header of cases.yaml).
fn apply(text: &str, edit: &Value, case: &str) -> String {
    let field = |key: &str| edit.get(key).and_then(Value::as_str);
    let start = match field("after") {
        Some(anchor) => {
            text.find(anchor).unwrap_or_else(|| panic!("case {case}: anchor {anchor:?} not found")) + anchor.len()
        }
        None => 0,
    };
    if let Some(find) = field("find") {
        let replace = field("replace").unwrap_or_else(|| panic!("case {case}: `find` without `replace`"));
        let at = text[start..].find(find).unwrap_or_else(|| panic!("case {case}: {find:?} not found")) + start;
        return format!("{}{replace}{}", &text[..at], &text[at + find.len()..]);
    }
    let line = field("remove_block").unwrap_or_else(|| panic!("case {case}: edit has neither find nor remove_block"));
    let mut out = Vec::new();
    let mut offset = 0;
    let mut removing: Option<usize> = None;
    let mut done = false;
    for l in text.split_inclusive('\n') {
        let here = offset;
        offset += l.len();
        let content = l.trim_end_matches('\n');
        let indent = content.len() - content.trim_start().len();
        if let Some(block_indent) = removing {
            if content.trim().is_empty() || indent > block_indent {
                continue;
            }
            removing = None;
            done = true;
        }
        if !done && here >= start && content == line {
            removing = Some(indent);
            continue;
        }
        out.push(l);
    }
    assert!(done || removing.is_some(), "case {case}: line {line:?} not found");
    out.concat()
}

struct Case {
    name: String,
    expect: Vec<String>,
    base: String,
    head: String,
}

fn cases() -> Vec<Case> {
    let base = std::fs::read_to_string(corpus_dir().join("base.yaml")).unwrap();
    let text = std::fs::read_to_string(corpus_dir().join("cases.yaml")).unwrap();
    let doc = zoom_billing_codegen::yaml::parse(&text).unwrap_or_else(|e| panic!("cases.yaml: {e:?}"));
    let mut out = Vec::new();
    for (name, case) in doc.value["cases"].as_object().expect("cases.yaml: `cases` mapping") {
        let edits = |key: &str| case.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        let mut b = base.clone();
        for edit in edits("base_edits") {
            b = apply(&b, &edit, name);
        }
        let mut h = b.clone();
        for edit in edits("edits") {
            h = apply(&h, &edit, name);
        }
        if case.get("reverse") == Some(&Value::Bool(true)) {
            std::mem::swap(&mut b, &mut h);
        }
        let expect = case["expect"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        out.push(Case { name: name.clone(), expect, base: b, head: h });
    }
    out
}

fn report(case: &Case, base_api: &Option<zoom_billing_spec_diff::api_summary::ApiSummary>, base: &Spec) -> Report {
    let head = Spec::parse(&format!("cases.yaml#{}", case.name), &case.head).unwrap_or_else(|e| panic!("{e}"));
    let changes = diff::compare(base, &head);
    let rust_impact = match base_api {
        Some(api) => rust_impact::diff(api, &rust_impact::summarize(&head).unwrap_or_else(|e| panic!("{e}"))),
        None => rust_impact::compare(base, &head),
    };
    Report {
        base: base.file.clone(),
        head: head.file.clone(),
        changes,
        rust_impact,
        versions: (Some("0.1.0".into()), Some("0.1.0".into())),
    }
}

#[test]
fn corpus() {
    let original = std::fs::read_to_string(corpus_dir().join("base.yaml")).unwrap();
    let base_spec = Spec::parse("base.yaml", &original).unwrap();
    let base_api = Some(rust_impact::summarize(&base_spec).unwrap());
    let mut failures = Vec::new();
    for case in cases() {
        // Cases with base edits or reversed need their own base.
        let own_base;
        let (base, api) = if case.base == original {
            (&base_spec, &base_api)
        } else {
            own_base = Spec::parse("base.yaml (edited)", &case.base).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            (&own_base, &None)
        };
        let report = report(&case, api, base);
        let found: BTreeSet<&str> = report.changes.iter().map(|c| c.rule).collect();
        let expected: BTreeSet<&str> = case.expect.iter().map(String::as_str).collect();
        if !expected.is_subset(&found) || (expected.is_empty() && !found.is_empty()) {
            failures.push(format!("{}: expected {expected:?}, found {found:?}", case.name));
        }
        insta::with_settings!({snapshot_path => "../spec-diff/snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("{}.json", case.name), report.json());
            insta::assert_snapshot!(format!("{}.md", case.name), report.markdown());
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case() {
    let text = std::fs::read_to_string(corpus_dir().join("cases.yaml")).unwrap();
    let doc = zoom_billing_codegen::yaml::parse(&text).unwrap();
    let covered: BTreeSet<&str> = doc.value["cases"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["expect"].as_array().unwrap().iter().filter_map(Value::as_str))
        .collect();
    let missing: Vec<&str> = rules::RULES.iter().map(|r| r.id).filter(|id| !covered.contains(id)).collect();
    assert!(missing.is_empty(), "rules without a corpus case: {missing:?}");
    for id in &covered {
        assert!(rules::find(id).is_some(), "cases.yaml expects unknown rule `{id}`");
    }
}

#[test]
fn comparing_a_spec_with_itself_finds_nothing() {
    let base = Spec::load(&corpus_dir().join("base.yaml")).unwrap();
    assert_eq!(diff::compare(&base, &base), vec![]);
}

#[test]
fn the_docs_carry_the_rules_table() {
    let docs = std::fs::read_to_string(workspace_root().unwrap().join("docs/changing-the-spec.md")).unwrap();
    assert!(
        docs.contains(&rules::markdown_table()),
        "docs/changing-the-spec.md is out of date: paste `cargo xtask spec-diff --explain all` into it"
    );
    for rule in rules::RULES {
        assert!(rules::explain(rule.id).unwrap().contains(rule.why));
    }
}
