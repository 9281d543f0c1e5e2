//! Turns each fixture's insta snapshot (tests/tests/snapshots/codegen_fixtures__NAME.snap) into a
//! Rust module source in `OUT_DIR/fixtures/NAME.rs`, which `tests/fixtures_compile.rs` includes:
//! every snapshot of generated code must also compile, and no second copy of it is checked in.
//! Also finds `redis-server`, so the tests that need it run where it is installed and show as
//! ignored, with how to install it, where it is not.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    find_redis_server();
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

/// Sets `cfg(redis_server)` when `redis-server` is on PATH.
fn find_redis_server() {
    println!("cargo::rustc-check-cfg=cfg(redis_server)");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=ZOOM_BILLING_REQUIRE_REDIS");
    let dirs: Vec<PathBuf> = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    let mut found = false;
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        // Installing redis-server changes the directory: look again then.
        println!("cargo::rerun-if-changed={}", dir.display());
        found |= dir.join("redis-server").is_file();
    }
    if found {
        println!("cargo::rustc-cfg=redis_server");
    } else if std::env::var_os("ZOOM_BILLING_REQUIRE_REDIS").is_some() {
        // CI sets it: there a missing server is a failure, never a skip.
        panic!("ZOOM_BILLING_REQUIRE_REDIS is set but redis-server is not on PATH (apt-get install redis-server)");
    } else {
        println!(
            "cargo::warning=redis-server not found: the shared-state tests are ignored (install it: apt-get install redis-server)"
        );
    }
}
