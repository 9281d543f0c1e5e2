//! A request's identity in a job's journal: what progenitor would send
//! (method, path, query and body), canonical, hashed.
//!
//! Taken from the built request, not from the builder's setters: a body set
//! with `body_map`, a default progenitor fills in, or a parameter's encoding
//! all count as they are sent. Query pairs are sorted and a JSON body's keys
//! are sorted, so the order a program set them in does not matter; the host
//! does not count (a job can move between base URLs of one account).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::metadata::Operation;

/// The journal's field for one request: `<operation>:<SHA-256 of the request>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct RequestKey(String);

impl RequestKey {
    /// The key of `request`, sent as `operation`.
    pub(crate) fn of(operation: Operation, request: &reqwest::Request) -> Self {
        let url = request.url();
        let mut query: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        query.sort();
        let body = request.body().and_then(reqwest::Body::as_bytes).unwrap_or_default();
        Self::from_parts(operation, request.method().as_str(), url.path(), &query, body)
    }

    fn from_parts(operation: Operation, method: &str, path: &str, query: &[(String, String)], body: &[u8]) -> Self {
        let mut hash = Sha256::new();
        // Each part is length-prefixed: no two requests hash the same input.
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        part(method.as_bytes());
        part(path.as_bytes());
        for (name, value) in query {
            part(name.as_bytes());
            part(value.as_bytes());
        }
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) if !body.is_empty() => part(canonical(&json).as_bytes()),
            _ => part(body),
        }
        let digest = hash.finalize();
        let mut field = String::with_capacity(operation.meta().operation_id.len() + 65);
        field.push_str(operation.meta().operation_id);
        field.push(':');
        for byte in digest {
            let _ = write!(field, "{byte:02x}");
        }
        RequestKey(field)
    }

    /// A key as the journal holds it.
    pub(crate) fn from_field(field: &str) -> Self {
        RequestKey(field.to_owned())
    }

    /// No key: a request progenitor could not build (never journaled).
    pub(crate) fn none(operation: Operation) -> Self {
        RequestKey(format!("{}:", operation.meta().operation_id))
    }

    pub(crate) fn is_none(&self) -> bool {
        self.0.ends_with(':')
    }

    /// The field, as the store keeps it.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// JSON with every object's keys sorted, whatever map serde_json was built with.
fn canonical(value: &serde_json::Value) -> String {
    fn write(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::Value::String(key.clone()).to_string());
                    out.push(':');
                    write(value, out);
                }
                out.push('}');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(method: &str, path: &str, query: &[(&str, &str)], body: &str) -> RequestKey {
        let query: Vec<_> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut sorted = query.clone();
        sorted.sort();
        RequestKey::from_parts(Operation::GetPlanUsage, method, path, &sorted, body.as_bytes())
    }

    #[test]
    fn the_order_parameters_and_keys_were_set_in_does_not_count() {
        let a = key("POST", "/a", &[("x", "1"), ("y", "2")], r#"{"b":1,"a":{"d":2,"c":3}}"#);
        let b = key("POST", "/a", &[("y", "2"), ("x", "1")], r#"{"a":{"c":3,"d":2},"b":1}"#);
        assert_eq!(a, b);
        assert!(a.as_str().starts_with("get_plan_usage:"));
        assert_eq!(a.as_str().len(), "get_plan_usage:".len() + 64);
    }

    #[test]
    fn every_part_counts() {
        let base = key("GET", "/a", &[("x", "1")], "");
        assert_ne!(base, key("POST", "/a", &[("x", "1")], ""));
        assert_ne!(base, key("GET", "/b", &[("x", "1")], ""));
        assert_ne!(base, key("GET", "/a", &[("x", "2")], ""));
        assert_ne!(base, key("GET", "/a", &[("x", "1")], "{}"));
        // Length prefixes: moving a boundary changes the key.
        assert_ne!(key("GET", "/a", &[("ab", "c")], ""), key("GET", "/a", &[("a", "bc")], ""));
    }
}
