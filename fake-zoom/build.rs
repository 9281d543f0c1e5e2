//! Reads every operation's `x-zoom-rate-limit` from spec/zoom-billing.yaml
//! into a Rust table, so the fake enforces the spec's limits without
//! depending on the generated client (which would be a cycle for tests).

use std::fmt::Write as _;
use std::path::PathBuf;

use yaml_rust2::{Yaml, YamlLoader};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by cargo"));
    // A link to the workspace's spec, so the packaged crate carries its own copy.
    let spec_path = manifest.join("spec/zoom-billing.yaml");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let text = std::fs::read_to_string(&spec_path).expect("spec/zoom-billing.yaml is readable");
    let docs = YamlLoader::load_from_str(&text).expect("spec/zoom-billing.yaml is YAML");
    let paths = docs[0]["paths"].as_hash().expect("the spec has paths");
    let mut out = String::from("&[\n");
    for (path, item) in paths {
        let path = path.as_str().expect("path keys are strings");
        let Some(item) = item.as_hash() else { continue };
        for (method, op) in item {
            let Some(method) = method.as_str() else { continue };
            let limit = &op["x-zoom-rate-limit"];
            if limit.is_badvalue() {
                continue;
            }
            let operation = op["operationId"].as_str().expect("operations have an operationId");
            let label = limit["label"].as_str().expect("x-zoom-rate-limit has a label");
            let interval = match &limit["min_interval"] {
                Yaml::String(s) => {
                    let secs = s.strip_suffix('s').expect("min_interval is \"<seconds>s\"");
                    format!("Some({})", secs.parse::<u64>().expect("min_interval seconds are an integer"))
                }
                _ => "None".to_owned(),
            };
            let daily = match &limit["daily_limit"] {
                Yaml::Integer(n) => format!("Some({n})"),
                _ => "None".to_owned(),
            };
            let per_account_id = limit["per"].as_str() == Some("account_id");
            let segments: Vec<String> = path.trim_matches('/').split('/').map(|s| format!("{s:?}")).collect();
            writeln!(
                out,
                "    SpecLimit {{ operation: {operation:?}, method: {:?}, path: &[{}], label: {label:?}, \
                 min_interval_secs: {interval}, daily_limit: {daily}, per_account_id: {per_account_id} }},",
                method.to_ascii_uppercase(),
                segments.join(", "),
            )
            .expect("writing to a String cannot fail");
        }
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo")).join("spec_limits.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
