//! Where the repository's files are, found at run time.
//!
//! Never `env!("CARGO_MANIFEST_DIR")`: that is fixed when the binary is
//! compiled, and with a target directory shared by two clones cargo reuses
//! one clone's `xtask` in the other, which would then read and write the
//! first clone's files.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The spec, relative to the workspace root.
pub const SPEC_PATH: &str = "spec/zoom-billing.yaml";

/// The generated module of the client crate, relative to the workspace root.
pub const GENERATED_DIR: &str = "zoom-billing/src/generated";

/// The workspace root of the process being run.
///
/// `cargo run` and `cargo test` set `CARGO_MANIFEST_DIR` to the package's
/// directory when they start the binary; the search starts there, else in the
/// current directory, and goes up to the first [`is_workspace_root`].
pub fn workspace_root() -> Result<PathBuf> {
    let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_dir().map_err(|source| Error::Io {
            path: PathBuf::from("."),
            action: "cannot read the current directory",
            source,
        })?,
    };
    find_workspace_root(&start)
}

/// The nearest directory at or above `start` that [`is_workspace_root`].
pub fn find_workspace_root(start: &Path) -> Result<PathBuf> {
    start
        .ancestors()
        .find(|dir| is_workspace_root(dir))
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::NoWorkspace { start: start.to_owned(), spec: SPEC_PATH })
}

/// Whether `dir` holds the spec and a Cargo.toml with a `[workspace]` table.
pub fn is_workspace_root(dir: &Path) -> bool {
    dir.join(SPEC_PATH).is_file()
        && std::fs::read_to_string(dir.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[workspace]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_from_any_directory_inside_it() {
        let root = std::env::temp_dir().join(format!("codegen-workspace-{}", std::process::id()));
        let nested = root.join("xtask/src");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(root.join("spec")).unwrap();
        // A member's manifest (no [workspace]) on the way up is skipped.
        std::fs::write(root.join("xtask/Cargo.toml"), "[package]\nname = \"xtask\"\n").unwrap();
        let missing = find_workspace_root(&nested).unwrap_err().to_string();
        assert!(missing.contains("no zoom-billing workspace at or above"), "{missing}");
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"xtask\"]\n").unwrap();
        std::fs::write(root.join(SPEC_PATH), "openapi: 3.0.3\n").unwrap();
        assert_eq!(find_workspace_root(&nested).unwrap(), root);
        assert_eq!(find_workspace_root(&root).unwrap(), root);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
