//! The response schema of every JSON operation, compiled into a flat table
//! (`generated/schemas.rs`) that the runtime's drift observer walks.
//!
//! Generated checks rather than a JSON Schema validator at run time: a
//! validator reports nothing for a property the spec does not list (unless
//! the spec said `additionalProperties: false`, which would break decoding),
//! knows nothing of `x-extensible-enum`, and would parse the spec at start-up.
//! The table is static data: no start-up cost and no dependency. Only the
//! keywords this spec uses are compiled; anything else becomes `Any`, so an
//! unknown construct yields no finding rather than a false one.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::walk::operation_rows as operations;
use crate::yaml::escape_segment;

/// A compiled node, before rendering.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Any,
    Object { properties: Vec<(String, u16)>, required: Vec<String>, open: bool },
    Array { items: u16 },
    String { format: Option<&'static str>, values: Option<Vec<String>> },
    Integer,
    Number,
    Boolean,
    OneOf(Vec<u16>),
}

#[derive(Clone, Debug)]
struct Node {
    at: String,
    nullable: bool,
    shape: Shape,
}

/// The compiled table: nodes, and each JSON operation's root node.
#[derive(Debug, Default)]
pub struct Table {
    nodes: Vec<Node>,
    /// `(operationId, root node)` in spec order; `None` for operations without a JSON success body.
    roots: Vec<(String, Option<u16>)>,
}

/// Deeper nesting than this is compiled as `Any` (the spec has no such depth; it stops a
/// pathological document from recursing without end).
const MAX_DEPTH: usize = 64;

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    by_ref: BTreeMap<String, u16>,
}

impl Compiler<'_> {
    fn push(&mut self, node: Node) -> Result<u16, String> {
        let index = u16::try_from(self.nodes.len()).map_err(|_| "more than 65,535 response schema nodes".to_owned())?;
        self.nodes.push(node);
        Ok(index)
    }

    fn compile(&mut self, schema: &Value, at: &str, depth: usize) -> Result<u16, String> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference.strip_prefix('#').ok_or_else(|| format!("{at}: unsupported $ref `{reference}`"))?;
            if let Some(&index) = self.by_ref.get(pointer) {
                return Ok(index);
            }
            let target =
                self.root.pointer(pointer).ok_or_else(|| format!("{at}: $ref `{reference}` does not resolve"))?;
            // Reserve the index first, so a schema that refers to itself ends in a cycle.
            let index = self.push(Node { at: pointer.to_owned(), nullable: false, shape: Shape::Any })?;
            self.by_ref.insert(pointer.to_owned(), index);
            let node = self.node(target, pointer, depth + 1)?;
            self.nodes[usize::from(index)] = node;
            return Ok(index);
        }
        let node = self.node(schema, at, depth + 1)?;
        self.push(node)
    }

    fn node(&mut self, schema: &Value, at: &str, depth: usize) -> Result<Node, String> {
        let nullable = schema.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        let any = Node { at: at.to_owned(), nullable, shape: Shape::Any };
        if depth > MAX_DEPTH {
            return Ok(any);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) {
                let mut compiled = Vec::new();
                for (i, alternative) in alternatives.iter().enumerate() {
                    compiled.push(self.compile(alternative, &format!("{at}/{keyword}/{i}"), depth)?);
                }
                return Ok(Node { shape: Shape::OneOf(compiled), ..any });
            }
        }
        if schema.get("allOf").is_some() || schema.get("not").is_some() {
            return Ok(any);
        }
        let declared = schema.get("type").and_then(Value::as_str);
        let shape = match declared {
            Some("object") | None if schema.get("properties").is_some() => {
                let mut properties = Vec::new();
                if let Some(map) = schema.get("properties").and_then(Value::as_object) {
                    for (name, property) in map {
                        let pointer = format!("{at}/properties/{}", escape_segment(name));
                        properties.push((name.clone(), self.compile(property, &pointer, depth)?));
                    }
                }
                properties.sort_by(|a, b| a.0.cmp(&b.0));
                let required = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default();
                let open = !matches!(schema.get("additionalProperties"), None | Some(Value::Bool(false)));
                Shape::Object { properties, required, open }
            }
            Some("object") => Shape::Object {
                properties: Vec::new(),
                required: Vec::new(),
                // An object without properties is a free-form map.
                open: !matches!(schema.get("additionalProperties"), Some(Value::Bool(false))),
            },
            Some("array") => match schema.get("items") {
                Some(items) => Shape::Array { items: self.compile(items, &format!("{at}/items"), depth)? },
                None => {
                    let items = self.push(Node { at: format!("{at}/items"), nullable: false, shape: Shape::Any })?;
                    Shape::Array { items }
                }
            },
            Some("string") => {
                let format = match schema.get("format").and_then(Value::as_str) {
                    Some("date") => Some("Date"),
                    Some("date-time") => Some("DateTime"),
                    _ => None,
                };
                let values = schema
                    .get("x-extensible-enum")
                    .or_else(|| schema.get("enum"))
                    .and_then(Value::as_array)
                    .map(|v| v.iter().filter_map(Value::as_str).map(str::to_owned).collect());
                Shape::String { format, values }
            }
            Some("integer") => Shape::Integer,
            Some("number") => Shape::Number,
            Some("boolean") => Shape::Boolean,
            _ => Shape::Any,
        };
        Ok(Node { shape, ..any })
    }
}

/// The `application/json` schema of an operation's success response, and its pointer.
fn success_schema<'v>(root: &'v Value, op_pointer: &str, op: &'v Value) -> Option<(&'v Value, String)> {
    let responses = op.get("responses")?.as_object()?;
    let (status, response) = responses.iter().find(|(status, _)| status.starts_with('2'))?;
    let (response, base) = match response.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#')?;
            (root.pointer(pointer)?, pointer.to_owned())
        }
        None => (response, format!("{op_pointer}/responses/{status}")),
    };
    let content = response.get("content")?.as_object()?;
    let (media, media_type) =
        content.iter().find(|(media, _)| *media == "application/json" || media.starts_with("application/json;"))?;
    let schema = media_type.get("schema")?;
    Some((schema, format!("{base}/content/{}/schema", escape_segment(media))))
}

/// Compile the response schema of every operation of the document.
pub fn compile(root: &Value) -> Result<Table, String> {
    let mut compiler = Compiler { root, nodes: Vec::new(), by_ref: BTreeMap::new() };
    let mut roots = Vec::new();
    for (pointer, _, _, op) in operations(root) {
        let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned();
        let node = match success_schema(root, &pointer, op) {
            Some((schema, at)) => Some(compiler.compile(schema, &at, 0)?),
            None => None,
        };
        roots.push((id, node));
    }
    Ok(Table { nodes: compiler.nodes, roots })
}

/// Rust tokens for `generated/schemas.rs`.
pub fn render(table: &Table, module_root: &syn::Path) -> TokenStream {
    let count = table.nodes.len();
    let nodes = table.nodes.iter().map(|node| {
        let at = &node.at;
        let nullable = node.nullable;
        let shape = match &node.shape {
            Shape::Any => quote!(Shape::Any),
            Shape::Object { properties, required, open } => {
                let names = properties.iter().map(|(n, _)| n);
                let indices = properties.iter().map(|(_, i)| i);
                quote!(Shape::Object { properties: &[#((#names, #indices)),*], required: &[#(#required),*], open: #open })
            }
            Shape::Array { items } => quote!(Shape::Array { items: #items }),
            Shape::String { format, values } => {
                let format = match format {
                    Some(f) => {
                        let f = format_ident!("{f}");
                        quote!(Some(StringFormat::#f))
                    }
                    None => quote!(None),
                };
                let values = match values {
                    Some(v) => quote!(Some(&[#(#v),*])),
                    None => quote!(None),
                };
                quote!(Shape::String { format: #format, values: #values })
            }
            Shape::Integer => quote!(Shape::Integer),
            Shape::Number => quote!(Shape::Number),
            Shape::Boolean => quote!(Shape::Boolean),
            Shape::OneOf(alternatives) => quote!(Shape::OneOf(&[#(#alternatives),*])),
        };
        quote!(Node { at: #at, nullable: #nullable, shape: #shape })
    });
    let arms = table.roots.iter().map(|(id, node)| {
        let variant = format_ident!("{}", heck::AsUpperCamelCase(id).to_string());
        match node {
            Some(index) => quote!(Operation::#variant => Some(#index),),
            None => quote!(Operation::#variant => None,),
        }
    });
    quote! {
        use #module_root::drift::schema::{Node, Shape, StringFormat};
        use #module_root::metadata::Operation;

        /// The node of an operation's JSON success body in [`NODES`]; `None` when the
        /// operation returns no JSON.
        pub fn response_root(operation: Operation) -> Option<u16> {
            match operation {
                #(#arms)*
            }
        }

        /// Every response schema, `$ref`s shared.
        pub static NODES: [Node; #count] = [#(#nodes),*];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_are_shared_and_cycles_end() {
        let root = serde_json::json!({
            "paths": {"/a": {"get": {"operationId": "get_a", "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Tree"}}}}}}}},
            "components": {"schemas": {"Tree": {"type": "object", "properties": {
                "name": {"type": "string", "format": "date"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}}}}
        });
        let table = compile(&root).unwrap();
        assert_eq!(table.roots, vec![("get_a".to_owned(), Some(0))]);
        assert_eq!(table.nodes[0].at, "/components/schemas/Tree");
        let Shape::Object { properties, .. } = &table.nodes[0].shape else { panic!("{:?}", table.nodes[0]) };
        assert_eq!(properties.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["children", "name"]);
        let Shape::Array { items } = table.nodes[usize::from(properties[0].1)].shape else { panic!() };
        assert_eq!(items, 0, "the cycle points back at the shared node");
    }
}
