//! What fake-zoom knows of the spec, generated into `fake-zoom/src/generated/contract.rs`:
//! every operation with its method, path, rate limit, parameters and request body (their
//! schemas with every `$ref` inlined, for validation), its success status and the example
//! the fake answers with when it has no model of the operation, plus the label rates.
//!
//! The contract is one JSON document, so a test can build one from a changed spec in memory
//! ([`contract_json`]) and hand it to the fake at run time; fake-zoom never reads YAML and
//! never depends on this crate.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::generate::GeneratedFile;
use crate::refs;
use crate::spec::Spec;
use crate::walk;

/// The generated file, relative to the workspace root.
pub const CONTRACT_FILE: &str = "fake-zoom/src/generated/contract.rs";

/// Schema keywords the fake validates with; descriptions and extensions are left out.
const KEPT: &[&str] = &[
    "type",
    "format",
    "enum",
    "required",
    "nullable",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
];

/// How deep inlined schemas may nest before the spec is taken to be recursive.
const MAX_DEPTH: usize = 48;

fn generator_error(spec: &Spec, message: String) -> Error {
    Error::Generator { file: spec.file.clone(), message }
}

/// A schema with its `$ref`s inlined and only the validation keywords kept.
fn inline(root: &Value, schema: &Value, depth: usize) -> std::result::Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("a schema nests too deep to inline (a recursive `$ref`?)".to_owned());
    }
    let schema = refs::resolve(root, schema).map_err(|e| e.to_string())?.value;
    let Some(object) = schema.as_object() else { return Ok(schema.clone()) };
    let mut out = Map::new();
    for key in KEPT {
        if let Some(value) = object.get(*key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        let mut inlined = Map::new();
        for (name, property) in properties {
            inlined.insert(name.clone(), inline(root, property, depth + 1)?);
        }
        out.insert("properties".to_owned(), Value::Object(inlined));
    }
    for key in ["items", "additionalProperties"] {
        match object.get(key) {
            Some(Value::Bool(allowed)) => {
                out.insert(key.to_owned(), Value::Bool(*allowed));
            }
            Some(nested) => {
                out.insert(key.to_owned(), inline(root, nested, depth + 1)?);
            }
            None => {}
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = object.get(key).and_then(Value::as_array) {
            let inlined = list.iter().map(|s| inline(root, s, depth + 1)).collect::<std::result::Result<_, _>>()?;
            out.insert(key.to_owned(), Value::Array(inlined));
        }
    }
    Ok(Value::Object(out))
}

/// The example of a media type: `example`, else the first of `examples`.
fn example_of(root: &Value, media: &Value) -> Option<Value> {
    if let Some(example) = media.get("example") {
        return Some(example.clone());
    }
    let (_, first) = media.get("examples")?.as_object()?.iter().next()?;
    let first = refs::resolve(root, first).ok()?.value;
    first.get("value").cloned()
}

/// The contract of the spec at `root`, as a JSON value.
pub fn contract(root: &Value) -> std::result::Result<Value, String> {
    let mut operations = Vec::new();
    for op in walk::operations(root) {
        let at = format!("{} {}", op.http_method(), op.path);
        let id = op.operation_id().ok_or_else(|| format!("{at}: no operationId"))?;
        let fail = |message: String| format!("{at} ({id}): {message}");

        let mut parameters: Vec<Value> = Vec::new();
        for parameter in refs::parameters(root, &op).map_err(|e| fail(e.to_string()))? {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
            let place = parameter.get("in").and_then(Value::as_str).unwrap_or_default();
            let schema = match parameter.get("schema") {
                Some(schema) => inline(root, schema, 0).map_err(&fail)?,
                None => json!({}),
            };
            let entry = json!({
                "name": name,
                "in": place,
                "required": parameter.get("required").and_then(Value::as_bool).unwrap_or(place == "path"),
                "schema": schema,
                "example": parameter.get("example").cloned().unwrap_or(Value::Null),
            });
            parameters.push(entry);
        }

        let body = match op.value.get("requestBody") {
            Some(body) => {
                let body = refs::resolve(root, body).map_err(|e| fail(e.to_string()))?.value;
                let media = body.get("content").and_then(|c| c.get("application/json"));
                let schema = match media.and_then(|m| m.get("schema")) {
                    Some(schema) => inline(root, schema, 0).map_err(&fail)?,
                    None => json!({}),
                };
                json!({
                    "required": body.get("required").and_then(Value::as_bool).unwrap_or(false),
                    "schema": schema,
                    "example": media.and_then(|m| example_of(root, m)).unwrap_or(Value::Null),
                })
            }
            None => Value::Null,
        };

        let responses = op.value.get("responses").and_then(Value::as_object);
        let (status, response) = responses
            .into_iter()
            .flatten()
            .find(|(status, _)| status.starts_with('2'))
            .ok_or_else(|| fail("no success response".to_owned()))?;
        let status: u16 = status.parse().map_err(|_| fail(format!("success status `{status}` is not a number")))?;
        let response = refs::resolve(root, response).map_err(|e| fail(e.to_string()))?.value;
        let (content_type, example) = match response.get("content").and_then(Value::as_object) {
            Some(content) => match content.get("application/json") {
                Some(media) => (json!("application/json"), example_of(root, media).unwrap_or(Value::Null)),
                None => match content.iter().next() {
                    Some((media_type, media)) => (json!(media_type), example_of(root, media).unwrap_or(Value::Null)),
                    None => (Value::Null, Value::Null),
                },
            },
            None => (Value::Null, Value::Null),
        };

        let limit = op.value.get("x-zoom-rate-limit");
        let field = |key: &str| limit.and_then(|l| l.get(key));
        operations.push(json!({
            "operation_id": id,
            "method": op.http_method(),
            "path": op.path,
            "rate_limit": {
                "label": field("label").and_then(Value::as_str).unwrap_or("Heavy"),
                "min_interval_secs": field("min_interval").and_then(crate::metadata::parse_interval),
                "daily_limit": field("daily_limit").and_then(Value::as_u64),
                "per_account_id": field("per").and_then(Value::as_str) == Some("account_id"),
            },
            "parameters": parameters,
            "body": body,
            "success": {"status": status, "content_type": content_type, "example": example},
        }));
    }
    let mut label_rates = Map::new();
    for rate in crate::rates::extract(root)? {
        let plan = label_rates.entry(rate.plan.clone()).or_insert_with(|| json!({}));
        plan[rate.label.as_str()] = json!(rate.per_second());
    }
    Ok(json!({"label_rates": label_rates, "operations": operations}))
}

/// The contract of `spec` as the JSON text fake-zoom reads (`fake_zoom::Contract::from_json`).
pub fn contract_json(spec: &Spec) -> Result<String> {
    let contract = contract(&spec.source.value).map_err(|m| generator_error(spec, m))?;
    serde_json::to_string_pretty(&contract).map_err(|e| generator_error(spec, e.to_string()))
}

/// The generated files of fake-zoom.
pub fn generate(spec: &Spec, spec_label: &str) -> Result<Vec<GeneratedFile>> {
    let json = contract_json(spec)?;
    // A raw string needs more `#`s than any `"#...` run inside it.
    let mut longest = 0;
    let mut run: Option<usize> = None;
    for c in json.chars() {
        run = match (c, run) {
            ('"', _) => Some(0),
            ('#', Some(n)) => Some(n + 1),
            _ => None,
        };
        longest = longest.max(run.unwrap_or(0));
    }
    let hashes = "#".repeat(longest + 1);
    let contents = format!(
        "// @generated by `cargo xtask generate` from {spec_label}: the fake's contract.\n\
         // Do not edit by hand: change the spec (or codegen/) and run `cargo xtask generate`.\n\n\
         //! What the fake knows of the spec (codegen/src/fake.rs): operations, rate limits,\n\
         //! parameter and body schemas, success examples and label rates, as JSON.\n\n\
         /// The contract of the spec, read by `Contract::spec`.\n\
         pub(crate) const CONTRACT: &str = r{hashes}\"{json}\"{hashes};\n"
    );
    Ok(vec![GeneratedFile { path: CONTRACT_FILE.to_owned(), contents }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlines_refs_and_keeps_examples() {
        let root = json!({
            "paths": {"/a/{id}": {"post": {
                "operationId": "make_a",
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/A"}, "example": {"n": 1}}}},
                "responses": {"201": {"description": "made", "content": {"application/json": {"example": {"ok": true}}}}}
            }}},
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}},
                "schemas": {"A": {"type": "object", "description": "dropped", "required": ["n"],
                    "properties": {"n": {"type": "integer", "enum": [1, 2]}}}}
            }
        });
        let contract = contract(&root).unwrap();
        let op = &contract["operations"][0];
        assert_eq!(op["parameters"][0]["name"], "id");
        assert_eq!(
            op["body"]["schema"],
            json!({"type": "object", "required": ["n"],
            "properties": {"n": {"type": "integer", "enum": [1, 2]}}})
        );
        assert_eq!(op["success"], json!({"status": 201, "content_type": "application/json", "example": {"ok": true}}));
    }

    #[test]
    fn a_recursive_schema_is_an_error() {
        let root = json!({
            "paths": {"/a": {"get": {"operationId": "a", "responses": {"204": {"description": "x"}},
                "parameters": [{"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/R"}}]}}},
            "components": {"schemas": {"R": {"type": "object", "properties": {"r": {"$ref": "#/components/schemas/R"}}}}}
        });
        assert!(contract(&root).unwrap_err().contains("recursive"));
    }
}
