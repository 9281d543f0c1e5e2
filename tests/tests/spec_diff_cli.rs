//! `cargo xtask spec-diff` end to end through its library entry point: git
//! revisions in a scratch repository, the default base, the crate version
//! check, waivers, `--fail-on`, and bad inputs (exit 2 with a clear message).

use std::path::{Path, PathBuf};
use std::process::Command;

use zoom_billing_codegen::workspace_root;
use zoom_billing_spec_diff::command::{self, Args, FailOn, Format, Outcome};

/// A scratch git repository holding a spec and the crate manifest, removed on drop.
struct Repo(PathBuf);

impl Repo {
    fn new(name: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("zoom-billing-spec-diff-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("spec")).unwrap();
        std::fs::create_dir_all(dir.join("zoom-billing")).unwrap();
        let repo = Repo(dir);
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo.write("spec/zoom-billing.yaml", &base_text());
        repo.set_version("0.1.0");
        repo.commit("base");
        repo
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(&self.0)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn write(&self, path: &str, text: &str) {
        std::fs::write(self.0.join(path), text).unwrap();
    }

    fn set_version(&self, version: &str) {
        self.write(
            "zoom-billing/Cargo.toml",
            &format!("[package]\nname = \"zoom-billing\"\nversion = \"{version}\"\n"),
        );
    }

    fn edit_spec(&self, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.0.join("spec/zoom-billing.yaml")).unwrap();
        assert!(text.contains(from), "{from:?}");
        self.write("spec/zoom-billing.yaml", &text.replacen(from, to, 1));
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", message]);
    }

    fn run(&self, args: Args) -> Result<Outcome, command::InputError> {
        command::run(&self.0, &args)
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn base_text() -> String {
    std::fs::read_to_string(workspace_root().unwrap().join("tests/spec-diff/base.yaml")).unwrap()
}

fn args(base: Option<&str>, head: Option<&str>, format: Format) -> Args {
    Args {
        base: base.map(str::to_owned),
        head: head.map(str::to_owned),
        format,
        fail_on: FailOn::Breaking,
        waivers: None,
        rust_impact: false,
    }
}

const RENAME: (&str, &str) = ("operationId: get_plan_usage", "operationId: get_usage");
const NEW_STATUS: (&str, &str) =
    ("        - Completed\n        - Processing\n", "        - Completed\n        - Processing\n        - Failed\n");

#[test]
fn git_revisions_as_inputs_and_the_version_check() {
    let repo = Repo::new("revs");
    repo.edit_spec(RENAME.0, RENAME.1);
    repo.commit("rename");
    let outcome = repo.run(Args { rust_impact: true, ..args(Some("HEAD~1"), Some("HEAD"), Format::Markdown) }).unwrap();
    assert_eq!(outcome.exit, 1, "an unwaived breaking change fails");
    insta::with_settings!({snapshot_path => "../spec-diff/snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::assert_snapshot!("git-revisions.md", outcome.output);
    });

    // The version is bumped in the next commit: the report says so.
    repo.set_version("0.2.0");
    repo.commit("bump");
    let outcome = repo.run(args(Some("HEAD~2"), Some("HEAD"), Format::Markdown)).unwrap();
    assert!(outcome.output.contains("`0.2.0` already reflects it"), "{}", outcome.output);

    // A patch bump is not enough for a breaking change under 0.x rules.
    repo.set_version("0.1.1");
    repo.commit("wrong bump");
    let outcome = repo.run(args(Some("HEAD~3"), Some("HEAD"), Format::Text)).unwrap();
    assert!(outcome.output.contains("0.1.0 → 0.2.0"), "{}", outcome.output);
    assert!(outcome.output.contains("`0.1.1`: not bumped yet"), "{}", outcome.output);
}

#[test]
fn defaults_are_head_or_origin_main_against_the_working_tree() {
    let repo = Repo::new("defaults");
    // Working tree unchanged: nothing to report.
    let outcome = repo.run(args(None, None, Format::Markdown)).unwrap();
    assert_eq!(outcome.exit, 0);
    assert_eq!(
        outcome.output,
        "**Spec diff:** no API changes between `HEAD:spec/zoom-billing.yaml` and `spec/zoom-billing.yaml (working tree)`.\n"
    );

    // An uncommitted edit is compared with HEAD.
    repo.edit_spec(NEW_STATUS.0, NEW_STATUS.1);
    let outcome = repo.run(args(None, None, Format::Json)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&outcome.output).unwrap();
    assert_eq!(json["base"], "HEAD:spec/zoom-billing.yaml");
    assert_eq!(json["changes"][0]["rule"], "extensible-enum-value-added");
    assert_eq!(outcome.exit, 0, "a warning does not fail by default");

    // With an origin/main, that is the default base.
    repo.commit("status");
    repo.git(&["update-ref", "refs/remotes/origin/main", "HEAD~1"]);
    let outcome = repo.run(args(None, None, Format::Json)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&outcome.output).unwrap();
    assert_eq!(json["base"], "origin/main:spec/zoom-billing.yaml");
    assert_eq!(json["summary"]["warning"], 3, "{}", outcome.output);
}

#[test]
fn fail_on_thresholds() {
    let repo = Repo::new("fail-on");
    repo.edit_spec(NEW_STATUS.0, NEW_STATUS.1);
    let run = |fail_on| repo.run(Args { fail_on, ..args(Some("HEAD"), None, Format::Text) }).unwrap().exit;
    assert_eq!(run(FailOn::Breaking), 0);
    assert_eq!(run(FailOn::Warning), 1);
    assert_eq!(run(FailOn::Never), 0);
}

#[test]
fn waived_findings_are_shown_and_do_not_fail() {
    let repo = Repo::new("waivers");
    repo.edit_spec(RENAME.0, RENAME.1);
    repo.write(
        "spec/waivers.yaml",
        "waivers:\n  - rule: operation-id-changed\n    operation: get_usage\n    location: /paths/~1accounts~1{accountId}~1plans~1usage/get/operationId\n    reason: \"Renamed on purpose before 1.0 (PR #7).\"\n  - rule: operation-removed\n    operation: GET /nowhere\n    reason: stale\n",
    );
    let outcome = repo.run(args(Some("HEAD"), None, Format::Markdown)).unwrap();
    assert_eq!(outcome.exit, 0, "{}", outcome.output);
    assert!(outcome.output.contains("**waived:** Renamed on purpose before 1.0 (PR #7)."), "{}", outcome.output);
    assert!(outcome.output.contains("(1 waived)"), "{}", outcome.output);
    assert_eq!(outcome.notes.len(), 1, "{:?}", outcome.notes);
    assert!(outcome.notes[0].contains("`operation-removed` at GET /nowhere matched no finding"), "{:?}", outcome.notes);

    let outcome = repo.run(args(Some("HEAD"), None, Format::Json)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&outcome.output).unwrap();
    assert_eq!(json["changes"][0]["waived"], "Renamed on purpose before 1.0 (PR #7).");

    // A waiver for another location does not apply.
    repo.write(
        "spec/waivers.yaml",
        "waivers:\n  - rule: operation-id-changed\n    location: /paths/~1elsewhere*\n    reason: not this one\n",
    );
    assert_eq!(repo.run(args(Some("HEAD"), None, Format::Text)).unwrap().exit, 1);
}

fn error_of(result: Result<Outcome, command::InputError>) -> String {
    assert_eq!(command::exit_code(&result), 2);
    result.err().unwrap().to_string()
}

#[test]
fn bad_inputs_exit_2_with_a_clear_message() {
    let repo = Repo::new("bad");
    let missing = error_of(repo.run(args(Some("no/such/file.yaml"), None, Format::Text)));
    assert!(
        missing.contains("--base: `no/such/file.yaml` is neither an existing file nor a git revision"),
        "{missing}"
    );

    let unknown = error_of(repo.run(args(Some("v9.9.9"), None, Format::Text)));
    assert!(unknown.contains("--base: `v9.9.9` is neither an existing file nor a git revision"), "{unknown}");

    let broken = repo.0.join("broken.yaml");
    std::fs::write(
        &broken,
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: [1\n",
    )
    .unwrap();
    let invalid = error_of(repo.run(args(None, Some(broken.to_str().unwrap()), Format::Text)));
    assert!(invalid.starts_with("--head: not a valid OpenAPI 3.0 spec: "), "{invalid}");
    assert!(invalid.contains("broken.yaml:"), "names the file and line: {invalid}");

    let structure = repo.0.join("structure.yaml");
    std::fs::write(
        &structure,
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: 5\n",
    )
    .unwrap();
    let wrong = error_of(repo.run(args(None, Some(structure.to_str().unwrap()), Format::Text)));
    assert!(wrong.contains("structure.yaml:6:"), "{wrong}");

    // A revision without the spec.
    repo.git(&["rm", "--quiet", "spec/zoom-billing.yaml"]);
    repo.commit("no spec");
    let no_spec = error_of(repo.run(args(Some("HEAD"), Some("HEAD~1"), Format::Text)));
    assert!(no_spec.contains("--base: cannot read `HEAD:spec/zoom-billing.yaml` with git"), "{no_spec}");

    // A broken waiver file names its line.
    repo.git(&["checkout", "--quiet", "HEAD~1", "--", "spec/zoom-billing.yaml"]);
    repo.write("spec/waivers.yaml", "waivers:\n  - rule: no-such-rule\n    reason: x\n");
    let waivers = error_of(repo.run(args(Some("HEAD~1"), None, Format::Text)));
    assert!(waivers.contains("waivers.yaml:2: unknown rule `no-such-rule`"), "{waivers}");
    repo.write("spec/waivers.yaml", "waivers:\n  - rule: operation-removed\n");
    let waivers = error_of(repo.run(args(Some("HEAD~1"), None, Format::Text)));
    assert!(waivers.contains("missing field `reason`"), "{waivers}");
}

#[test]
fn the_real_spec_against_itself_is_clean() {
    let root = workspace_root().unwrap();
    let spec = root.join(zoom_billing_codegen::SPEC_PATH);
    let path = spec.to_str().unwrap();
    let outcome =
        command::run(Path::new(&root), &Args { rust_impact: true, ..args(Some(path), Some(path), Format::Json) })
            .unwrap();
    let json: serde_json::Value = serde_json::from_str(&outcome.output).unwrap();
    assert_eq!(json["changes"], serde_json::json!([]));
    assert_eq!(json["rust_impact"], serde_json::json!([]));
    assert_eq!(outcome.exit, 0);
}
