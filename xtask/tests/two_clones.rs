//! xtask acts on the clone it is run in, even when its binary was built in
//! another clone.
//!
//! With one `CARGO_TARGET_DIR` shared by two clones (a global setting is
//! common), cargo builds `xtask` once and runs that binary from both. A root
//! fixed at compile time (`env!("CARGO_MANIFEST_DIR")`) would then make
//! `cargo xtask generate` in clone B read and write clone A's files.
//!
//! Each test copies the working tree twice, breaks the spec in copy B only,
//! and runs `generate --check` in both: A must pass and B must fail on its
//! own spec.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zoom_billing_codegen::SPEC_PATH;
use zoom_billing_codegen::workspace::find_workspace_root;

/// The repository under test, found at run time.
fn repo_root() -> PathBuf {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR");
    find_workspace_root(Path::new(&manifest)).unwrap_or_else(|e| panic!("{e}"))
}

/// Files tracked or new in the working tree (what `git clone` of the current state would give).
fn tree_files(root: &Path) -> Vec<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "--cached", "--others", "--exclude-standard", "-z"])
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git ls-files: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout)
        .expect("file names are UTF-8")
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Copy `files` from `from` to `to`, keeping modification times so that a
/// copy whose sources did not change does not look newer to cargo.
fn copy_tree(from: &Path, to: &Path, files: &[String]) {
    for name in files {
        let source = from.join(name);
        let Ok(metadata) = std::fs::metadata(&source) else { continue }; // deleted, not yet committed
        let target = to.join(name);
        std::fs::create_dir_all(target.parent().expect("a file has a parent")).expect("create directory");
        if std::fs::read(&target).ok() != std::fs::read(&source).ok() {
            std::fs::copy(&source, &target).unwrap_or_else(|e| panic!("copy {name}: {e}"));
            let file = std::fs::File::options().write(true).open(&target).expect("open copy");
            file.set_modified(metadata.modified().expect("mtime")).expect("set mtime");
        }
    }
}

/// Break clone B's spec: an operation without `operationId` fails the lint.
fn break_spec(clone: &Path) {
    let path = clone.join(SPEC_PATH);
    let text = std::fs::read_to_string(&path).expect("read spec");
    let broken = text.replacen("operationId: ", "x-was-operation-id: ", 1);
    assert_ne!(broken, text, "the spec has an operationId to remove");
    std::fs::write(&path, broken).expect("write spec");
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn assert_acts_on_own_files(a: &Output, b: &Output) {
    assert!(a.status.success(), "clone A (intact spec) must pass:\n{}", text(a));
    assert!(!b.status.success(), "clone B (broken spec) must fail on its own spec:\n{}", text(b));
    assert!(text(b).contains("operation has no operationId"), "clone B fails for its own spec:\n{}", text(b));
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The cheap form: the one binary cargo built for this test, run in each
/// clone the way `cargo run` starts it (`CARGO_MANIFEST_DIR` is that clone's
/// `xtask/`), and once with no cargo around it at all (the current directory).
#[test]
fn one_binary_acts_on_the_clone_it_is_run_in() {
    let root = repo_root();
    let scratch = Scratch(std::env::temp_dir().join(format!("xtask-one-binary-{}", std::process::id())));
    let files: Vec<String> = tree_files(&root)
        .into_iter()
        .filter(|f| {
            f == "Cargo.toml"
                || f.starts_with("spec/")
                || f.starts_with("zoom-billing/src/generated/")
                || f.starts_with("fake-zoom/src/generated/")
                || f.starts_with("zoom-billing-cli/src/generated/")
        })
        .collect();
    let (a, b) = (scratch.0.join("a"), scratch.0.join("b"));
    copy_tree(&root, &a, &files);
    copy_tree(&root, &b, &files);
    break_spec(&b);
    let xtask = env!("CARGO_BIN_EXE_xtask");
    let run = |manifest_dir: Option<&Path>, cwd: &Path| {
        let mut command = Command::new(xtask);
        command.args(["generate", "--check"]).current_dir(cwd).env_remove("CARGO_MANIFEST_DIR");
        if let Some(dir) = manifest_dir {
            command.env("CARGO_MANIFEST_DIR", dir);
        }
        command.output().expect("xtask runs")
    };
    // As `cargo xtask` starts it: CARGO_MANIFEST_DIR is the clone's xtask/.
    let by_cargo = |clone: &Path| run(Some(&clone.join("xtask")), clone);
    assert_acts_on_own_files(&by_cargo(&a), &by_cargo(&b));
    // Started by hand from a subdirectory: the walk up from the current directory.
    let by_hand = |clone: &Path| run(None, &clone.join("zoom-billing/src/generated"));
    assert_acts_on_own_files(&by_hand(&a), &by_hand(&b));
    // Outside any workspace: a clear error, not another clone's files.
    let outside = run(None, &std::env::temp_dir());
    assert_eq!(outside.status.code(), Some(2), "{}", text(&outside));
    assert!(text(&outside).contains("no zoom-billing workspace"), "{}", text(&outside));
}

/// The real thing: two clones, one `CARGO_TARGET_DIR`, `cargo xtask` in each;
/// clone B must reuse the binary clone A built (else this proves nothing) and
/// still act on its own files.
///
/// Ignored because the first run builds xtask's dependencies into its own
/// target directory (`<target>/xtask-two-clones/target`, minutes on a small
/// machine); later runs reuse it and take seconds. Run it with
/// `cargo test -p xtask --test two_clones -- --ignored`.
#[test]
#[ignore = "first run builds xtask's dependency tree into a separate target dir (minutes)"]
fn two_clones_sharing_a_target_dir() {
    let root = repo_root();
    let target_root = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    // Kept between runs (inside the target dir) so that only changed sources rebuild.
    let base = target_root.join("xtask-two-clones");
    let shared_target = base.join("target");
    let files = tree_files(&root);
    let (a, b) = (base.join("a"), base.join("b"));
    copy_tree(&root, &a, &files);
    copy_tree(&root, &b, &files);
    // Restore B's spec from the tree first, in case an earlier run stopped half way.
    std::fs::copy(root.join(SPEC_PATH), b.join(SPEC_PATH)).expect("reset spec");
    break_spec(&b);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let run = |clone: &Path| {
        Command::new(&cargo)
            .args(["run", "--package", "xtask", "--", "generate", "--check"])
            .current_dir(clone)
            .env("CARGO_TARGET_DIR", &shared_target)
            .env_remove("CARGO_MANIFEST_DIR")
            .env("CARGO_NET_OFFLINE", "true")
            .output()
            .expect("cargo runs")
    };
    let out_a = run(&a);
    let out_b = run(&b);
    std::fs::copy(root.join(SPEC_PATH), b.join(SPEC_PATH)).expect("restore spec");
    let stderr_b = String::from_utf8_lossy(&out_b.stderr);
    assert!(
        !stderr_b.contains("Compiling xtask"),
        "cargo rebuilt xtask for clone B, so the shared binary is not exercised:\n{stderr_b}"
    );
    assert_acts_on_own_files(&out_a, &out_b);
}
