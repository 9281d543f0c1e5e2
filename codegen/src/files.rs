//! Writing generated files, and checking that checked-in ones are fresh.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::generate::GeneratedFile;

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Created or replaced.
    Written,
    /// Already identical; not touched.
    Unchanged,
}

/// A checked-in file that differs from what the spec generates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// Path relative to the workspace root.
    pub path: String,
    /// Unified diff from the file on disk to the generated text.
    pub diff: String,
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io { path: path.to_owned(), action, source }
}

/// Read a file as text with LF line endings, or `None` if it does not exist.
fn read_normalised(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        // A Windows checkout may have turned LF into CRLF; that is not staleness.
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path, "cannot read")(e)),
    }
}

/// Write every changed file; all or nothing.
///
/// New contents go to temporary files beside their targets first; only when
/// every one of them is written are they renamed into place, so a failure
/// (disk full, permissions) leaves the tree as it was.
pub fn write_all(root: &Path, files: &[GeneratedFile]) -> Result<Vec<(String, FileStatus)>> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut statuses = Vec::new();
    let result = (|| {
        for file in files {
            let target = root.join(&file.path);
            if read_normalised(&target)?.as_deref() == Some(file.contents.as_str()) {
                statuses.push((file.path.clone(), FileStatus::Unchanged));
                continue;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent, "cannot create directory"))?;
            }
            let temp = target.with_extension("rs.tmp-generate");
            std::fs::write(&temp, &file.contents).map_err(io(&temp, "cannot write"))?;
            staged.push((temp, target));
            statuses.push((file.path.clone(), FileStatus::Written));
        }
        Ok(())
    })();
    if let Err(err) = result {
        for (temp, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(err);
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target).map_err(io(target, "cannot move into place"))?;
    }
    Ok(statuses)
}

/// Compare every file with the disk; touches nothing.
pub fn check_all(root: &Path, files: &[GeneratedFile]) -> Result<Vec<Stale>> {
    let mut stale = Vec::new();
    for file in files {
        let on_disk = read_normalised(&root.join(&file.path))?;
        if on_disk.as_deref() != Some(file.contents.as_str()) {
            let old = on_disk.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &file.contents)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
                .to_string();
            stale.push(Stale { path: file.path.clone(), diff });
        }
    }
    Ok(stale)
}
