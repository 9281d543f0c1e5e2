//! Operations Zoom deprecated (`deprecated: true` and `x-zoom-replaced-by` in the spec):
//! their methods carry `#[deprecated]` naming the replacement, still work, and nothing else
//! in the repository (docs, examples, tests, benches) calls them. This file is the one place
//! that may.

mod support;

use std::path::Path;

use support::{Reply, TestServer};
use zoom_billing::{Client, Operation};
use zoom_billing_codegen::workspace_root;

fn deprecated() -> Vec<(Operation, Operation)> {
    Operation::ALL.into_iter().filter_map(|op| op.meta().replaced_by.map(|r| (op, r))).collect()
}

#[test]
fn the_spec_s_deprecations_reach_the_generated_methods() {
    let pairs = deprecated();
    assert!(!pairs.is_empty(), "the spec deprecates download_invoice_pdf");
    let calls = std::fs::read_to_string(workspace_root().unwrap().join("zoom-billing/src/generated/calls.rs")).unwrap();
    for (old, new) in pairs {
        assert!(new.meta().replaced_by.is_none(), "{new} replaces {old} but is deprecated itself");
        let method = format!("pub fn {old}(&self)");
        let at = calls.find(&method).unwrap_or_else(|| panic!("no method {old}"));
        let before = &calls[..at];
        let attribute = &before[before.rfind("#[deprecated(").expect("a #[deprecated] attribute")..];
        assert!(attribute.contains(&format!("use `{new}`")), "{attribute}");
        assert!(!attribute.contains("pub fn"), "the attribute belongs to {old}: {attribute}");
    }
}

/// Every `.rs` and `.md` file the repository keeps (not generated code, not `target`).
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "generated" | "snapshots" | ".git") && !name.starts_with('.') {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".md") {
            out.push(path);
        }
    }
}

#[test]
fn no_doc_example_or_test_calls_a_deprecated_operation() {
    let root = workspace_root().unwrap();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        // This file, and the history of what changed, may name them.
        if relative == "tests/tests/deprecation.rs" || relative == "CHANGELOG.md" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (old, _) in deprecated() {
            for (n, line) in text.lines().enumerate() {
                if line.contains(&format!(".{old}()")) {
                    found.push(format!("{relative}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "deprecated operations called outside tests/tests/deprecation.rs:\n{}", found.join("\n"));
}

/// Deprecated is not removed: the old path still answers while Zoom serves it.
#[tokio::test]
#[allow(deprecated)]
async fn a_deprecated_operation_still_works() {
    let pdf = b"%PDF-1.7\n".to_vec();
    let server = TestServer::start(move |_| Reply::bytes(200, "application/pdf", pdf.clone())).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .bearer_token("t")
        .rate_limit_policy(zoom_billing::RateLimitPolicy::for_tests())
        .build()
        .unwrap();
    let mut sink = Vec::new();
    let n = client.download_invoice_pdf().invoice_id("inv-9").write_to(&mut sink).await.unwrap();
    assert_eq!((n, sink.as_slice()), (9, &b"%PDF-1.7\n"[..]));
    let request = server.single_request();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/api/download/billing/invoices/inv-9"));
}
