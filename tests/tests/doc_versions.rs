//! The versions the docs tell users to depend on are the crates' own: a version bump that
//! forgets the README or docs/ fails here.

use zoom_billing_codegen::workspace_root;

/// `major.minor` of a package's `Cargo.toml`.
fn version(package: &str) -> String {
    let manifest = std::fs::read_to_string(workspace_root().unwrap().join(package).join("Cargo.toml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("version = ")).expect("a version line");
    let full = line.trim_start_matches("version = ").trim_matches('"');
    full.rsplit_once('.').map(|(major_minor, _)| major_minor.to_owned()).unwrap()
}

#[test]
fn docs_name_the_crates_current_versions() {
    let root = workspace_root().unwrap();
    let mut pages = vec![root.join("README.md"), root.join("fake-zoom/README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap().flatten() {
        pages.push(entry.path());
    }
    let mut checked = 0;
    for package in ["zoom-billing", "fake-zoom"] {
        let want = version(package);
        for page in &pages {
            let text = std::fs::read_to_string(page).unwrap();
            for (n, line) in text.lines().enumerate() {
                let Some(rest) = line.trim_start().strip_prefix(&format!("{package} = ")) else { continue };
                let quoted = rest.split('"').nth(1).unwrap_or_default();
                assert_eq!(quoted, want, "{}:{}: `{line}` should name {package} {want}", page.display(), n + 1);
                checked += 1;
            }
            assert!(!text.contains("publish = false)"), "{}: fake-zoom is published", page.display());
        }
    }
    assert!(checked >= 3, "the README's install lines were found ({checked})");
}
