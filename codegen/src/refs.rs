//! The one `$ref` resolver: lint, the example checker and the spec diff all
//! follow references through it, so they agree on what a reference means.
//!
//! Only local references (`#/components/...`) are understood; the spec is a
//! single self-contained file.

use serde_json::Value;

use crate::yaml::escape_segment;

/// How long a chain of `$ref`s to `$ref`s may be before it counts as a loop.
const MAX_CHAIN: usize = 32;

/// Why a reference could not be followed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// Not a local `#/...` reference.
    #[error("unsupported $ref `{0}`")]
    NotLocal(String),
    /// Points at nothing in the document.
    #[error("$ref `{0}` does not resolve")]
    Dangling(String),
    /// More than 32 references in a row: almost certainly a loop.
    #[error("$ref chain too deep")]
    TooDeep,
}

/// A node with its references followed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolved<'v> {
    /// JSON pointer of the last reference target reached, or `None` when the
    /// node was not a reference.
    pub pointer: Option<&'v str>,
    /// The node itself.
    pub value: &'v Value,
}

/// The `$ref` string of a node, if it is a reference.
pub fn reference(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

/// The last segment of a node's `$ref` (`#/components/schemas/Plan` → `Plan`).
pub fn ref_name(value: &Value) -> Option<&str> {
    reference(value).map(|r| r.rsplit('/').next().unwrap_or(r))
}

/// One step: the pointer and node a reference string names.
pub fn target<'v>(root: &'v Value, reference: &'v str) -> Result<(&'v str, &'v Value), RefError> {
    let pointer = reference.strip_prefix('#').ok_or_else(|| RefError::NotLocal(reference.to_owned()))?;
    let value = root.pointer(pointer).ok_or_else(|| RefError::Dangling(reference.to_owned()))?;
    Ok((pointer, value))
}

/// Follow `$ref`s from `value` as far as they go, and say why it stopped
/// early if it did: the result is the last node reached.
pub fn follow<'v>(root: &'v Value, value: &'v Value) -> (Resolved<'v>, Option<RefError>) {
    let mut here = Resolved { pointer: None, value };
    for _ in 0..MAX_CHAIN {
        let Some(reference) = reference(here.value) else { return (here, None) };
        match target(root, reference) {
            Ok((pointer, value)) => here = Resolved { pointer: Some(pointer), value },
            Err(err) => return (here, Some(err)),
        }
    }
    match reference(here.value) {
        Some(_) => (here, Some(RefError::TooDeep)),
        None => (here, None),
    }
}

/// Follow `$ref`s from `value` to a node that is not a reference.
pub fn resolve<'v>(root: &'v Value, value: &'v Value) -> Result<Resolved<'v>, RefError> {
    match follow(root, value) {
        (resolved, None) => Ok(resolved),
        (_, Some(err)) => Err(err),
    }
}

/// An operation's parameters, resolved: the path item's, then the operation's own, which
/// take the place of one with the same name and location (OpenAPI's rule).
pub fn parameters<'v>(root: &'v Value, op: &crate::walk::Operation<'v>) -> Result<Vec<&'v Value>, RefError> {
    let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
    let mut out: Vec<&Value> = Vec::new();
    for list in [op.item.get("parameters"), op.value.get("parameters")].into_iter().flatten() {
        for parameter in list.as_array().into_iter().flatten() {
            let parameter = resolve(root, parameter)?.value;
            match out.iter_mut().find(|p| key(p) == key(parameter)) {
                Some(existing) => *existing = parameter,
                None => out.push(parameter),
            }
        }
    }
    Ok(out)
}

/// Every `$ref` in the document as `(pointer of the referring node, reference)`,
/// in document order. Examples and extensions are data, not schema, and are skipped.
pub fn all(root: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect(root, String::new(), &mut out);
    out
}

fn collect(value: &Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(r) = v.as_str()
                {
                    out.push((pointer.clone(), r.to_owned()));
                } else if !k.starts_with("x-") && k != "example" && k != "examples" {
                    collect(v, format!("{pointer}/{}", escape_segment(k)), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Value {
        json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"type": "string"},
            "Loop": {"$ref": "#/components/schemas/Loop"},
            "Dangling": {"$ref": "#/components/schemas/Nope"}
        }}})
    }

    #[test]
    fn follows_chains_to_the_last_target() {
        let root = root();
        let start = json!({"$ref": "#/components/schemas/A"});
        let got = resolve(&root, &start).unwrap();
        assert_eq!(got.pointer, Some("/components/schemas/B"));
        assert_eq!(got.value, &json!({"type": "string"}));
        let plain = json!({"type": "integer"});
        assert_eq!(resolve(&root, &plain).unwrap().pointer, None);
    }

    #[test]
    fn says_why_it_stopped() {
        let root = root();
        let dangling = json!({"$ref": "#/components/schemas/Dangling"});
        let (last, err) = follow(&root, &dangling);
        assert_eq!(last.pointer, Some("/components/schemas/Dangling"));
        assert_eq!(err.unwrap().to_string(), "$ref `#/components/schemas/Nope` does not resolve");
        let remote = json!({"$ref": "other.yaml#/x"});
        assert_eq!(resolve(&root, &remote).unwrap_err(), RefError::NotLocal("other.yaml#/x".into()));
        let looping = json!({"$ref": "#/components/schemas/Loop"});
        assert_eq!(resolve(&root, &looping).unwrap_err(), RefError::TooDeep);
    }

    #[test]
    fn lists_refs_outside_examples_and_extensions() {
        let doc =
            json!({"a": {"$ref": "#/x"}, "example": {"$ref": "#/y"}, "x-e": {"$ref": "#/z"}, "l": [{"$ref": "#/w"}]});
        assert_eq!(all(&doc), vec![("/a".to_owned(), "#/x".to_owned()), ("/l/0".to_owned(), "#/w".to_owned())]);
    }
}
