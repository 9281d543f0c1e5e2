//! Where the two specs come from: a file, a git revision, or the working tree.

use std::path::{Path, PathBuf};
use std::process::Command;

use zoom_billing_codegen::SPEC_PATH;

/// The client crate's manifest, relative to the workspace root.
pub const CRATE_MANIFEST: &str = "zoom-billing/Cargo.toml";

/// One side of the comparison, read into memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// How it is named in the report: a path, `REV:spec/zoom-billing.yaml`, or the working tree.
    pub label: String,
    /// The spec text.
    pub text: String,
    /// `zoom-billing`'s version at that point, when known (not for a bare file).
    pub crate_version: Option<String>,
}

/// What `--base`/`--head` named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The spec and crate manifest in the working tree.
    WorkingTree,
    /// A spec file.
    File(PathBuf),
    /// A git revision (read with `git show REV:spec/zoom-billing.yaml`).
    Rev(String),
}

/// Why a side could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// git is not installed or could not start.
    #[error("cannot run git: {0}")]
    GitMissing(#[source] std::io::Error),
    /// git printed something that is not text.
    #[error("`git {0}` printed invalid UTF-8")]
    GitOutput(String),
    /// git failed; its message.
    #[error("{0}")]
    GitFailed(String),
    /// The argument names a directory.
    #[error("`{0}` is a directory, not a spec file or a git revision")]
    Directory(String),
    /// The argument names neither a file nor a revision.
    #[error("`{arg}` is neither an existing file nor a git revision of {}", root.display())]
    NotFound {
        /// The argument.
        arg: String,
        /// The repository.
        root: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The revision does not exist.
    #[error("unknown git revision `{rev}` in {}", root.display())]
    UnknownRev {
        /// The revision.
        rev: String,
        /// The repository.
        root: PathBuf,
    },
    /// `git show REV:spec/zoom-billing.yaml` failed.
    #[error("cannot read `{spec}` with git: {}", first_line(source))]
    GitShow {
        /// `REV:path`.
        spec: String,
        /// What git said.
        #[source]
        source: Box<SourceError>,
    },
}

/// git's first line is the reason; the rest is hints.
fn first_line(err: &SourceError) -> String {
    err.to_string().lines().next().unwrap_or("").to_owned()
}

fn git(root: &Path, args: &[&str]) -> Result<String, SourceError> {
    let output = Command::new("git").arg("-C").arg(root).args(args).output().map_err(SourceError::GitMissing)?;
    if output.status.success() {
        String::from_utf8(output.stdout).map_err(|_| SourceError::GitOutput(args.join(" ")))
    } else {
        Err(SourceError::GitFailed(String::from_utf8_lossy(&output.stderr).trim().to_owned()))
    }
}

/// Whether `rev` names a commit in the repository at `root`.
pub fn is_rev(root: &Path, rev: &str) -> bool {
    !rev.starts_with('-') && git(root, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")]).is_ok()
}

/// The default base: `origin/main` when it exists, else `HEAD`.
pub fn default_base(root: &Path) -> Input {
    if is_rev(root, "origin/main") { Input::Rev("origin/main".to_owned()) } else { Input::Rev("HEAD".to_owned()) }
}

/// Interpret a `--base`/`--head` argument: an existing file wins, then a git revision.
pub fn classify(root: &Path, arg: &str) -> Result<Input, SourceError> {
    let path = Path::new(arg);
    if path.is_file() {
        return Ok(Input::File(path.to_owned()));
    }
    if path.is_dir() {
        return Err(SourceError::Directory(arg.to_owned()));
    }
    if is_rev(root, arg) {
        return Ok(Input::Rev(arg.to_owned()));
    }
    Err(SourceError::NotFound { arg: arg.to_owned(), root: root.to_owned() })
}

/// The `version` of a Cargo manifest's `[package]`, if written out.
pub fn package_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package
            && let Some(rest) = line.strip_prefix("version")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

/// Read one side.
pub fn load(root: &Path, input: &Input) -> Result<Loaded, SourceError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| SourceError::Read { path: path.to_owned(), source })
    };
    match input {
        Input::WorkingTree => {
            let path = root.join(SPEC_PATH);
            let text = read(&path)?;
            let crate_version =
                std::fs::read_to_string(root.join(CRATE_MANIFEST)).ok().as_deref().and_then(package_version);
            Ok(Loaded { label: format!("{SPEC_PATH} (working tree)"), text, crate_version })
        }
        Input::File(path) => {
            let text = read(path)?;
            Ok(Loaded { label: path.display().to_string(), text, crate_version: None })
        }
        Input::Rev(rev) => {
            if !is_rev(root, rev) {
                return Err(SourceError::UnknownRev { rev: rev.clone(), root: root.to_owned() });
            }
            let spec = format!("{rev}:{SPEC_PATH}");
            let text = git(root, &["show", &spec])
                .map_err(|source| SourceError::GitShow { spec: spec.clone(), source: Box::new(source) })?;
            let crate_version =
                git(root, &["show", &format!("{rev}:{CRATE_MANIFEST}")]).ok().as_deref().and_then(package_version);
            Ok(Loaded { label: spec, text, crate_version })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_version_reads_the_package_table() {
        let manifest = "[package]\nname = \"x\"\nversion = \"0.3.1\"\n[dependencies]\nversion = \"9\"\n";
        assert_eq!(package_version(manifest).as_deref(), Some("0.3.1"));
        assert_eq!(package_version("[package]\nversion.workspace = true\n"), None);
    }
}
