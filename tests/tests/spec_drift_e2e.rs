//! Spec drift end to end: the fake serves a drifted invoice list, the client
//! with observation on records exactly the three differences, `spec-drift`
//! proposes the matching spec edits, and the edited spec lints and generates a
//! client in which the new property is a typed field.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fake_zoom::FakeZoom;
use zoom_billing::Client;
use zoom_billing::Operation;
use zoom_billing::drift::{DriftObserver, DriftOptions, Finding, FindingKind, JsonType};
use zoom_billing_codegen::generate::{self, Options};
use zoom_billing_codegen::lint::{self, Severity};
use zoom_billing_codegen::{SPEC_PATH, Spec, workspace_root};
use zoom_billing_spec_drift::input::Kind;
use zoom_billing_spec_drift::{merge, propose, read_files};

fn findings_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("zoom-billing-drift-{name}-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn summary(findings: &[Finding]) -> Vec<(String, FindingKind, String, Option<String>, u64)> {
    findings.iter().map(|f| (f.pointer.clone(), f.kind, f.schema.clone(), f.value.clone(), f.count)).collect()
}

#[tokio::test(start_paused = true)]
async fn drifted_responses_become_a_spec_change_that_generates_a_typed_field() {
    let fake = FakeZoom::start().await.unwrap();
    fake.set_drifted_invoices(Some(4));
    let path = findings_file("e2e");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let callback_seen = seen.clone();
    let options = DriftOptions::new()
        .json_lines(&path)
        .tracing()
        .callback(move |f: &Finding| callback_seen.lock().unwrap().push(f.pointer.clone()));
    let observer = Arc::new(DriftObserver::new(options).unwrap());
    let client = Client::builder()
        .base_url(fake.base_url())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .drift_observer(observer.clone())
        .build()
        .unwrap();

    // Two calls (paced 5 minutes apart on the paused clock); the responses decode as without drift.
    for _ in 0..2 {
        let list = client.list_billing_invoices().account_id("me").send().await.unwrap();
        assert_eq!(list.invoices.len(), 4);
        assert_eq!(list.invoices[0].total_amount, Some("2039.00".parse().unwrap()));
        assert_eq!(list.invoices[0].status.as_ref().map(|s| s.as_str()), Some("Paid"));
    }

    // Exactly the three differences, each once however many invoices carried it.
    let findings = observer.findings();
    assert_eq!(
        summary(&findings),
        vec![
            (
                "/invoices/*/payment_terms".into(),
                FindingKind::UnknownProperty,
                "/components/schemas/InvoiceSummary".into(),
                None,
                8
            ),
            (
                "/invoices/*/status".into(),
                FindingKind::UnlistedValue,
                "/components/schemas/InvoiceStatus".into(),
                Some("Paid".into()),
                4
            ),
            ("/invoices/*/total_amount".into(), FindingKind::TypeDiffers, "/components/schemas/Money".into(), None, 8),
        ]
    );
    assert!(findings.iter().all(|f| f.operation == "list_billing_invoices"));
    let amount = &findings[2];
    assert_eq!(amount.expected.as_deref(), Some("number"));
    assert_eq!(amount.observed.json_type, JsonType::String);
    assert_eq!(*seen.lock().unwrap(), ["/invoices/*/payment_terms", "/invoices/*/status", "/invoices/*/total_amount"]);

    // Shapes only: no value of the body reached the file (the new enum value is vocabulary).
    observer.flush();
    let text = std::fs::read_to_string(&path).unwrap();
    for value in ["Net 30", "2039.00", "inv-0", "INV0000"] {
        assert!(!text.contains(value), "{value} in {text}");
    }

    // The proposal: one edit per finding, counts summed over the first-sight and flush lines.
    let merged = merge(&read_files(&[&path]).unwrap());
    let counts: Vec<(Kind, u64)> = merged.iter().map(|m| (m.kind, m.count)).collect();
    assert_eq!(counts, [(Kind::UnknownProperty, 8), (Kind::UnlistedValue, 4), (Kind::TypeDiffers, 8)]);
    let spec_text = std::fs::read_to_string(workspace_root().unwrap().join(SPEC_PATH)).unwrap();
    let proposal = propose(SPEC_PATH, &spec_text, &merged).unwrap();
    assert_eq!(proposal.edits.len(), 3, "{:#?}", proposal.edits);
    assert!(proposal.skipped.is_empty(), "{:#?}", proposal.skipped);
    assert!(proposal.text.contains("        payment_terms:\n          type: string\n"), "new property with its type");
    assert!(proposal.text.contains("        - Draft\n        - Paid  # x-zoom-observed"), "new enum value");
    assert!(proposal.text.contains(
        "    Money:\n      oneOf:\n        - type: number\n          format: decimal\n        - type: string\n"
    ));
    // Surgical: only added and replaced lines differ.
    let removed: Vec<_> = similar::TextDiff::from_lines(&spec_text, &proposal.text)
        .iter_all_changes()
        .filter(|c| c.tag() == similar::ChangeTag::Delete)
        .map(|c| c.value().trim().to_owned())
        .collect();
    assert_eq!(removed, ["type: number", "format: decimal"]);

    // Applying it: the project's lint passes and codegen (in process) types the new field.
    let spec = Spec::parse(SPEC_PATH, &proposal.text).unwrap();
    let errors: Vec<_> = lint::lint(&spec).into_iter().filter(|d| d.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let output = generate::generate(&spec, &Options::project()).unwrap();
    let client_rs = &output.files.iter().find(|f| f.path.ends_with("/client.rs")).unwrap().contents;
    let summary_struct = &client_rs[client_rs.find("pub struct InvoiceSummary {").unwrap()..];
    let summary_struct = &summary_struct[..summary_struct.find("\n    }").unwrap()];
    assert!(
        summary_struct.contains("pub payment_terms: ::std::option::Option<::std::string::String>,"),
        "{summary_struct}"
    );
    let values_rs = &output.files.iter().find(|f| f.path.ends_with("/values.rs")).unwrap().contents;
    assert!(values_rs.contains("Paid,"), "InvoiceStatus gains a variant");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn memory_is_bounded_and_the_rest_is_counted() {
    let observer = DriftObserver::new(DriftOptions::new().max_findings(2)).unwrap();
    let body = br#"{"invoices": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "d": 4}]}"#;
    observer.observe(Operation::ListBillingInvoices, body);
    let findings = observer.findings();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings.iter().map(|f| f.count).sum::<u64>(), 3, "a twice, b once");
    assert_eq!(observer.dropped(), 2, "c and d are counted, not kept");
}

#[test]
fn bad_bodies_and_bodiless_operations_find_nothing_and_never_panic() {
    let observer = DriftObserver::new(DriftOptions::new().samples(true)).unwrap();
    for body in [&b""[..], b"{", b"<html>", b"[1,2]", b"{\"invoices\": 3} trailing", b"\xff\xfe"] {
        observer.observe(Operation::ListBillingInvoices, body);
    }
    observer.observe(Operation::DownloadInvoicePdf, b"{\"x\": 1}");
    // `[1,2]` is valid JSON of the wrong type: the one finding.
    let findings = observer.findings();
    assert_eq!(
        summary(&findings),
        vec![("".into(), FindingKind::TypeDiffers, "/components/schemas/InvoiceList".into(), None, 1)]
    );
    // Deep nesting is bounded by serde_json's recursion limit, not the stack.
    let deep = format!("{{\"invoices\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    observer.observe(Operation::ListBillingInvoices, deep.as_bytes());
}

#[test]
fn samples_are_opt_in_and_redacted() {
    let body = br#"{"invoices": [{"id": "x", "billing_email": "jane@example.com", "owner": {"first_name": "Jane", "plan": "pro"}, "status": 7}]}"#;
    let plain = DriftObserver::new(DriftOptions::new()).unwrap();
    plain.observe(Operation::ListBillingInvoices, body);
    assert!(plain.findings().iter().all(|f| f.sample.is_none()));

    let sampled = DriftObserver::new(DriftOptions::new().samples(true)).unwrap();
    sampled.observe(Operation::ListBillingInvoices, body);
    let text = serde_json::to_string(&sampled.findings()).unwrap();
    assert!(!text.contains("jane") && !text.contains("Jane"), "{text}");
    assert!(text.contains(r#""plan":"pro""#), "vocabulary is kept: {text}");
    assert!(text.contains(r#""sample":7"#), "{text}");
}
