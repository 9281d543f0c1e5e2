//! Loading the spec: YAML syntax, then OpenAPI structure.

use std::path::Path;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::walk::{METHODS, operation_of};
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
            let (pointer, message) = refine(&source.value, pointer_of(err.path()), err.into_inner().to_string());
            let line = source.locate(&pointer).map(|l| l.line).unwrap_or(1);
            Error::Structure { file: file.to_owned(), line, operation: operation_of(&pointer), pointer, message }
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

/// serde loses the path at untagged enums (`$ref` or inline) and flattened
/// extensions, so an error deep in an operation is first reported at
/// `/paths`. Walk the document's known structure and deserialize each part
/// on its own to find the innermost node that fails.
fn refine(root: &Value, pointer: String, message: String) -> (String, String) {
    find(root, "", Kind::Root).unwrap_or((pointer, message))
}

#[derive(Clone, Copy)]
enum Kind {
    Root,
    Paths,
    PathItem,
    Operation,
    Responses,
    Response,
    Parameter,
    RequestBody,
    Schema,
    Components,
}

impl Kind {
    fn attempt(self, value: &Value) -> Option<(String, String)> {
        fn attempt<T: serde::de::DeserializeOwned>(value: &Value) -> Option<(String, String)> {
            serde_path_to_error::deserialize::<_, T>(value)
                .err()
                .map(|e| (pointer_of(e.path()), e.into_inner().to_string()))
        }
        match self {
            Kind::Root => attempt::<OpenAPI>(value),
            Kind::Paths => attempt::<openapiv3::Paths>(value),
            Kind::PathItem => attempt::<openapiv3::PathItem>(value),
            Kind::Operation => attempt::<openapiv3::Operation>(value),
            Kind::Responses => attempt::<openapiv3::Responses>(value),
            Kind::Response => attempt::<openapiv3::Response>(value),
            Kind::Parameter => attempt::<openapiv3::Parameter>(value),
            Kind::RequestBody => attempt::<openapiv3::RequestBody>(value),
            Kind::Schema => attempt::<openapiv3::Schema>(value),
            Kind::Components => attempt::<openapiv3::Components>(value),
        }
    }
}

fn find(root: &Value, pointer: &str, kind: Kind) -> Option<(String, String)> {
    let node = root.pointer(pointer)?;
    let entries = |key: &str| -> Vec<String> {
        let base = if key.is_empty() { pointer.to_owned() } else { format!("{pointer}/{key}") };
        match root.pointer(&base) {
            Some(Value::Object(map)) => {
                map.keys().filter(|k| !k.starts_with("x-")).map(|k| format!("{base}/{}", escape_segment(k))).collect()
            }
            Some(Value::Array(items)) => (0..items.len()).map(|i| format!("{base}/{i}")).collect(),
            _ => Vec::new(),
        }
    };
    let mut children: Vec<(String, Kind)> = Vec::new();
    match kind {
        Kind::Root => {
            children.push((format!("{pointer}/paths"), Kind::Paths));
            children.push((format!("{pointer}/components"), Kind::Components));
        }
        Kind::Paths => children.extend(entries("").into_iter().map(|p| (p, Kind::PathItem))),
        Kind::PathItem => {
            children.extend(entries("parameters").into_iter().map(|p| (p, Kind::Parameter)));
            for method in METHODS {
                children.push((format!("{pointer}/{method}"), Kind::Operation));
            }
        }
        Kind::Operation => {
            children.extend(entries("parameters").into_iter().map(|p| (p, Kind::Parameter)));
            children.push((format!("{pointer}/requestBody"), Kind::RequestBody));
            children.push((format!("{pointer}/responses"), Kind::Responses));
        }
        Kind::Responses => children.extend(entries("").into_iter().map(|p| (p, Kind::Response))),
        Kind::Components => {
            children.extend(entries("schemas").into_iter().map(|p| (p, Kind::Schema)));
            children.extend(entries("responses").into_iter().map(|p| (p, Kind::Response)));
            children.extend(entries("parameters").into_iter().map(|p| (p, Kind::Parameter)));
            children.extend(entries("requestBodies").into_iter().map(|p| (p, Kind::RequestBody)));
        }
        Kind::Response | Kind::Parameter | Kind::RequestBody | Kind::Schema => {}
    }
    let _ = node;
    for (child_pointer, child_kind) in children {
        let Some(child) = root.pointer(&child_pointer) else { continue };
        if child.get("$ref").is_some_and(Value::is_string) {
            continue;
        }
        if let Some((sub, message)) = child_kind.attempt(child) {
            return Some(find(root, &child_pointer, child_kind).unwrap_or((format!("{child_pointer}{sub}"), message)));
        }
    }
    None
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
