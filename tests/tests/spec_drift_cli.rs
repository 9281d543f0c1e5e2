//! `cargo xtask spec-drift` as the command runs it (`cli::execute`): input
//! checking with file and line, the three outputs (diff, `--out`, `--write`),
//! and the spec-diff review of the proposal.

use std::path::{Path, PathBuf};

use zoom_billing_codegen::{SPEC_PATH, workspace_root};
use zoom_billing_spec_drift::cli::{Args, execute};

const STATUS: &str = r#"{"operation":"list_billing_invoices","pointer":"/invoices/*/status","kind":"unlisted_value","schema":"/components/schemas/InvoiceStatus","observed":{"type":"string","length":4},"value":"Paid","first_seen":"2026-11-24T15:00:00Z","count":3}"#;
const TERMS: &str = r#"{"operation":"get_invoice_details","pointer":"/payment_terms","kind":"unknown_property","schema":"/components/schemas/InvoiceDetails","observed":{"type":"string","length":6},"first_seen":"2026-11-20T09:00:00Z","count":1}"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zoom-billing-spec-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn args(findings: Vec<PathBuf>, spec: &Path) -> Args {
    Args { findings, spec: Some(spec.to_owned()), out: None, write: false, no_rust_impact: true }
}

#[test]
fn malformed_input_is_refused_with_its_file_and_line() {
    let dir = scratch("malformed");
    let spec = write(&dir, "spec.yaml", &std::fs::read_to_string(workspace_root().unwrap().join(SPEC_PATH)).unwrap());
    let good = write(&dir, "good.jsonl", &format!("{STATUS}\n"));
    let bad =
        write(&dir, "bad.jsonl", &format!("{TERMS}\n\n{}\n", STATUS.replace("\"count\":3", "\"count\":\"many\"")));
    let err = execute(&workspace_root().unwrap(), &args(vec![good, bad.clone()], &spec)).unwrap_err();
    assert!(err.starts_with(&format!("{}:3: not a drift finding", bad.display())), "{err}");
    let missing = execute(&workspace_root().unwrap(), &args(vec![dir.join("absent.jsonl")], &spec)).unwrap_err();
    assert!(missing.contains("absent.jsonl"), "{missing}");
}

#[test]
fn findings_of_many_files_become_a_diff_an_output_file_or_an_edit_in_place() {
    let dir = scratch("outputs");
    let original = std::fs::read_to_string(workspace_root().unwrap().join(SPEC_PATH)).unwrap();
    let spec = write(&dir, "spec.yaml", &original);
    let files =
        vec![write(&dir, "a.jsonl", &format!("{STATUS}\n")), write(&dir, "b.jsonl", &format!("{TERMS}\n{STATUS}\n"))];

    // Default: a unified diff against the spec, and the spec-diff review; the spec is untouched.
    let out = execute(&workspace_root().unwrap(), &args(files.clone(), &spec)).unwrap();
    assert!(out.contains("spec-drift: 2 edit(s), 0 finding(s) left for review"), "{out}");
    assert!(out.contains("new value `Paid` in x-extensible-enum, seen 6 time(s) since 2026-11-24"), "{out}");
    assert!(out.contains("new property `payment_terms` (type: string), seen 1 time(s) since 2026-11-20"), "{out}");
    assert!(out.contains(&format!("--- {}", spec.display())), "{out}");
    assert!(out.contains("+        - Paid  # x-zoom-observed: first seen 2026-11-24, 6 time(s)"), "{out}");
    assert!(out.contains("+        payment_terms:"), "{out}");
    assert!(
        out.contains("response-property-added") && out.contains("extensible-enum-value-added"),
        "the spec-diff review: {out}"
    );
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), original);

    // --out: the proposed spec as a file.
    let proposed = dir.join("proposed.yaml");
    let out = execute(&workspace_root().unwrap(), &Args { out: Some(proposed.clone()), ..args(files.clone(), &spec) })
        .unwrap();
    assert!(out.contains("wrote the proposed spec to"), "{out}");
    let text = std::fs::read_to_string(&proposed).unwrap();
    assert!(text.contains("- Paid  # x-zoom-observed"));

    // --write: in place; a second run finds nothing left to change.
    execute(&workspace_root().unwrap(), &Args { write: true, ..args(files.clone(), &spec) }).unwrap();
    assert_eq!(std::fs::read_to_string(&spec).unwrap(), text);
    let again = execute(&workspace_root().unwrap(), &args(files, &spec)).unwrap();
    assert!(again.contains("nothing to change"), "{again}");
}
