//! The one operation walker: every operation of a spec, paths in key order
//! and methods in [`METHODS`] order. Lint, the operation table and the spec
//! diff all walk through it.

use serde_json::Value;

use crate::yaml::escape_segment;

/// HTTP methods an OpenAPI path item can hold, in the order progenitor uses.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// One operation of the document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Operation<'v> {
    /// The path template, e.g. `/accounts/{accountId}/plans`.
    pub path: &'v str,
    /// The method as written in the spec, lowercase (`get`).
    pub method: &'static str,
    /// The operation object.
    pub value: &'v Value,
    /// The path item that holds it (for shared `parameters`).
    pub item: &'v Value,
}

impl<'v> Operation<'v> {
    /// The method as on the wire: `GET`.
    pub fn http_method(&self) -> String {
        self.method.to_ascii_uppercase()
    }

    /// JSON pointer of the path item: `/paths/~1accounts~1{accountId}~1plans`.
    pub fn item_pointer(&self) -> String {
        format!("/paths/{}", escape_segment(self.path))
    }

    /// JSON pointer of the operation: `/paths/~1accounts~1{accountId}~1plans/get`.
    pub fn pointer(&self) -> String {
        format!("{}/{}", self.item_pointer(), self.method)
    }

    /// The `operationId`, if written.
    pub fn operation_id(&self) -> Option<&'v str> {
        self.value.get("operationId").and_then(Value::as_str)
    }
}

/// Every operation of the document at `root`. A method key whose value is
/// not an object (`get: null`) holds no operation.
pub fn operations(root: &Value) -> Vec<Operation<'_>> {
    let mut ops = Vec::new();
    for (path, item) in root.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in METHODS {
            if let Some(value) = item.get(*method).filter(|v| v.is_object()) {
                ops.push(Operation { path, method, value, item });
            }
        }
    }
    ops
}

/// The walk as `(pointer, METHOD, path, operation)` rows, for callers that
/// destructure a tuple.
pub fn operation_rows(root: &Value) -> Vec<(String, String, String, &Value)> {
    operations(root).into_iter().map(|op| (op.pointer(), op.http_method(), op.path.to_owned(), op.value)).collect()
}

/// `METHOD /path` for a pointer inside `/paths/{path}/{method}`: the inverse
/// of [`Operation::pointer`], for naming the operation an error is in.
pub fn operation_of(pointer: &str) -> Option<String> {
    let mut parts = pointer.strip_prefix("/paths/")?.splitn(3, '/');
    let path = parts.next()?.replace("~1", "/").replace("~0", "~");
    let method = parts.next()?;
    if !METHODS.contains(&method) {
        return None;
    }
    Some(format!("{} {path}", method.to_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn walks_paths_in_order_and_methods_in_progenitor_order() {
        let root = json!({"paths": {
            "/b": {"post": {"operationId": "b_post"}, "get": {"operationId": "b_get"}},
            "/a/{id}": {"delete": {}, "parameters": [], "put": null}
        }});
        let ops = operations(&root);
        let seen: Vec<(String, &str)> = ops.iter().map(|o| (o.http_method(), o.path)).collect();
        assert_eq!(seen, vec![("DELETE".to_owned(), "/a/{id}"), ("GET".to_owned(), "/b"), ("POST".to_owned(), "/b")]);
        assert_eq!(ops[1].operation_id(), Some("b_get"));
        assert_eq!(ops[0].pointer(), "/paths/~1a~1{id}/delete");
        assert_eq!(operation_of(&ops[0].pointer()).as_deref(), Some("DELETE /a/{id}"));
        assert_eq!(operation_of("/paths/~1a/parameters/0"), None);
        assert_eq!(operation_rows(&root)[2].1, "POST");
    }
}
