//! The spec's own response examples are not drift: the observer finds nothing
//! in any of them. And each operation's schema really is checked: the same
//! example with one extra property yields exactly that finding.

use serde_json::Value;
use zoom_billing::Operation;
use zoom_billing::drift::{DriftObserver, DriftOptions, FindingKind};
use zoom_billing_codegen::{SPEC_PATH, Spec, workspace_root};

/// `(operation, example)` for every JSON success response with an example.
fn examples() -> Vec<(Operation, Value)> {
    let text = std::fs::read_to_string(workspace_root().unwrap().join(SPEC_PATH)).unwrap();
    let spec = Spec::parse(SPEC_PATH, &text).unwrap();
    let root = &spec.source.value;
    let mut out = Vec::new();
    for (_, _, _, op) in zoom_billing_codegen::walk::operation_rows(root) {
        let id = op["operationId"].as_str().unwrap();
        let operation = Operation::from_operation_id(id).unwrap();
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('2')) {
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(r) => root.pointer(r.trim_start_matches('#')).unwrap(),
                None => response,
            };
            if let Some(example) = response.pointer("/content/application~1json/example") {
                out.push((operation, example.clone()));
            } else {
                assert!(response.get("content").is_none_or(|c| c.get("application/json").is_none()), "{id} {status}");
            }
        }
    }
    out
}

#[test]
fn no_finding_on_any_example_of_the_spec() {
    let examples = examples();
    let json_operations = Operation::ALL.iter().filter(|op| examples.iter().any(|(o, _)| o == *op)).count();
    assert_eq!(json_operations, 10, "every operation with a JSON body has an example");
    let observer = DriftObserver::new(DriftOptions::new().samples(true)).unwrap();
    for (operation, example) in &examples {
        observer.observe(*operation, &serde_json::to_vec(example).unwrap());
    }
    assert_eq!(observer.findings(), vec![], "the spec's examples conform to the spec");
}

#[test]
fn an_extra_property_in_each_example_is_exactly_one_finding() {
    for (operation, mut example) in examples() {
        let Some(object) = example.as_object_mut() else { continue };
        object.insert("zz_drift_probe".into(), Value::Bool(true));
        let observer = DriftObserver::new(DriftOptions::new()).unwrap();
        observer.observe(operation, &serde_json::to_vec(&example).unwrap());
        let findings = observer.findings();
        assert_eq!(findings.len(), 1, "{operation:?}: {findings:#?}");
        assert_eq!(findings[0].kind, FindingKind::UnknownProperty);
        assert_eq!(findings[0].pointer, "/zz_drift_probe");
        assert_eq!(findings[0].operation, operation.operation_id());
    }
}
