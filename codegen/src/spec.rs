//! Loading the spec: YAML syntax, then OpenAPI structure.

use std::path::Path;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::yaml::{self, LocatedValue, escape_segment};

/// The spec, parsed twice over: as JSON with source locations (for the
/// project's rules and for error messages) and as an `openapiv3` document
/// (for progenitor).
#[derive(Debug, Clone)]
pub struct Spec {
    /// The file name as it should appear in messages.
    pub file: String,
    /// The document as JSON, with the location of every node.
    pub source: LocatedValue,
    /// The typed document.
    pub openapi: OpenAPI,
}

impl Spec {
    /// Read and parse the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            action: "cannot read the spec",
            source,
        })?;
        Spec::parse(&path.display().to_string(), &text)
    }

    /// Parse spec text; `file` names it in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Spec> {
        let source = yaml::parse(text).map_err(|err| Error::Syntax {
            file: file.to_owned(),
            line: err.location.line,
            column: err.location.column,
            message: err.message,
        })?;
        let openapi = serde_path_to_error::deserialize::<_, OpenAPI>(&source.value).map_err(|err| {
            let pointer = pointer_of(err.path());
            let line = source.locate(&pointer).map(|l| l.line).unwrap_or(1);
            Error::Structure {
                file: file.to_owned(),
                line,
                operation: operation_of(&pointer),
                pointer,
                message: err.into_inner().to_string(),
            }
        })?;
        Ok(Spec { file: file.to_owned(), source, openapi })
    }

    /// The JSON value at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.source.value.pointer(pointer)
    }

    /// The 1-based line where `pointer` (or its nearest located ancestor) starts.
    pub fn line_of(&self, pointer: &str) -> usize {
        self.source.locate(pointer).map(|l| l.line).unwrap_or(1)
    }
}

/// `METHOD /path` for a pointer inside `/paths/{path}/{method}`.
pub fn operation_of(pointer: &str) -> Option<String> {
    let mut parts = pointer.strip_prefix("/paths/")?.splitn(3, '/');
    let path = parts.next()?.replace("~1", "/").replace("~0", "~");
    let method = parts.next()?;
    if !crate::METHODS.contains(&method) {
        return None;
    }
    Some(format!("{} {path}", method.to_ascii_uppercase()))
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&escape_segment(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_errors_name_line_and_pointer() {
        let text = "openapi: 3.0.3\ninfo:\n  title: t\n  version: '1'\npaths:\n  /a:\n    get:\n      operationId: a\n      responses:\n        '200':\n          description: 5\n          content: nope\n";
        let err = Spec::parse("x.yaml", text).unwrap_err().to_string();
        assert!(err.starts_with("x.yaml:12:"), "{err}");
        assert!(err.contains("/paths/~1a/get/responses/200/content"), "{err}");
        assert!(err.contains("operation GET /a"), "{err}");
    }
}
