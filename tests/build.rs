//! Turns each fixture's insta snapshot (tests/tests/snapshots/codegen_fixtures__NAME.snap) into a
//! Rust module source in `OUT_DIR/fixtures/NAME.rs`, which `tests/fixtures_compile.rs` includes:
//! every snapshot of generated code must also compile, and no second copy of it is checked in.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let snapshots = Path::new("tests/snapshots");
    println!("cargo::rerun-if-changed={}", snapshots.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("fixtures");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/fixtures");
    let entries = std::fs::read_dir(snapshots).expect("read tests/snapshots");
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(name) = file_name.strip_prefix("codegen_fixtures__").and_then(|n| n.strip_suffix(".snap")) else {
            continue;
        };
        let path = entry.path();
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("read snapshot");
        let module = to_module(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        std::fs::write(out.join(format!("{name}.rs")), module).expect("write fixture module");
        names.push(name.to_owned());
    }
    // The list, so the test can check that it compiles every one of them.
    names.sort();
    std::fs::write(out.join("names.txt"), names.join("\n")).expect("write fixture names");
}

/// The snapshot's body (after insta's `---` header) holds `==== out/FILE.rs ====` sections; each
/// becomes `pub mod FILE { ... }`.
fn to_module(snapshot: &str) -> Result<String, String> {
    let body = snapshot
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .ok_or("no insta header")?;
    let mut module = String::new();
    let mut open = false;
    for line in body.lines() {
        if let Some(file) = line.strip_prefix("==== out/").and_then(|l| l.strip_suffix(".rs ====")) {
            if open {
                module.push_str("}\n");
            }
            let _ = writeln!(module, "pub mod {file} {{");
            open = true;
        } else if open {
            module.push_str(line);
            module.push('\n');
        }
    }
    if !open {
        return Err("no `==== out/FILE.rs ====` section".into());
    }
    module.push_str("}\n");
    Ok(module)
}
