//! Snapshots of the generated code for small fixture specs, one per
//! construct the crate relies on. A progenitor upgrade or a codegen change
//! that alters any of them shows up here as a reviewable diff.
//!
//! Each fixture is generated into module `crate::<fixture>`, and
//! `fixtures_compile.rs` compiles every snapshot as that module (the tests
//! package's build script extracts them), so a snapshot is also code that
//! builds, as in progenitor's own tests.

use zoom_billing_codegen::Spec;
use zoom_billing_codegen::generate::{self, Options};

fn generate_fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let spec = Spec::parse(&format!("tests/fixtures/{name}.yaml"), &text).unwrap();
    let options = Options {
        out_dir: "out".into(),
        spec_label: format!("tests/fixtures/{name}.yaml"),
        module_root: format!("crate::{name}"),
    };
    let output = generate::generate(&spec, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!(output.warnings.is_empty(), "{:#?}", output.warnings);
    output
        .files
        .iter()
        .filter(|f| !f.path.ends_with("mod.rs"))
        .map(|f| format!("==== {} ====\n{}", f.path, f.contents))
        .collect()
}

macro_rules! fixture {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(generate_fixture(stringify!($name)));
        }
    )*};
}

fixture!(binary_response, no_content, date_query, open_values, money, error_schema, request_body, paginated);
