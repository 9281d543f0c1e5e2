//! A schema for what was observed, from the shapes in findings.

use serde_json::Value;

/// An inferred schema, as the YAML lines of a mapping (without indentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inferred {
    /// `type: string`, `format: date`...; empty when the observations disagree.
    pub lines: Vec<String>,
    /// Why the type was left open, when it was.
    pub note: Option<String>,
}

/// The OpenAPI type and format of one observed shape.
pub fn type_and_format(shape: &Value) -> (Option<&str>, Option<&'static str>) {
    let json_type = shape.get("type").and_then(Value::as_str);
    let format = match (json_type, shape.get("looks_like").and_then(Value::as_str)) {
        (Some("string"), Some("date")) => Some("date"),
        (Some("string"), Some("date_time")) => Some("date-time"),
        _ => None,
    };
    (json_type, format)
}

/// One schema for all `shapes` of a value: their common type, `number` for
/// integers and numbers, and nothing (any value) when they disagree.
pub fn infer(shapes: &[Value]) -> Inferred {
    infer_at(shapes, 0)
}

fn infer_at(shapes: &[Value], depth: usize) -> Inferred {
    let mut types: Vec<&str> = Vec::new();
    for shape in shapes {
        if let (Some(t), _) = type_and_format(shape)
            && t != "null"
            && !types.contains(&t)
        {
            types.push(t);
        }
    }
    let nullable = shapes.iter().any(|s| s.get("type").and_then(Value::as_str) == Some("null"));
    if types.len() == 2 && types.contains(&"integer") && types.contains(&"number") {
        types = vec!["number"];
    }
    let mut lines = Vec::new();
    let note = match types.as_slice() {
        [] => Some("only `null` was observed; no type is declared".to_owned()),
        [one] => {
            lines.push(format!("type: {one}"));
            let formats: Vec<_> = shapes.iter().map(|s| type_and_format(s).1).collect();
            if let Some(Some(format)) = formats.first()
                && formats.iter().all(|f| f == &Some(*format))
            {
                lines.push(format!("format: {format}"));
            }
            match *one {
                "array" => {
                    let items: Vec<Value> = shapes.iter().filter_map(|s| s.get("items").cloned()).collect();
                    let inner = if items.is_empty() || depth > 4 {
                        Inferred { lines: Vec::new(), note: None }
                    } else {
                        infer_at(&items, depth + 1)
                    };
                    if inner.lines.is_empty() {
                        lines.push("items: {}".to_owned());
                    } else {
                        lines.push("items:".to_owned());
                        lines.extend(inner.lines.iter().map(|l| format!("  {l}")));
                    }
                }
                "object" => {
                    let names: std::collections::BTreeSet<&String> = shapes
                        .iter()
                        .filter_map(|s| s.get("properties").and_then(Value::as_object))
                        .flat_map(|props| props.keys())
                        .collect();
                    if !names.is_empty() && depth <= 4 {
                        lines.push("properties:".to_owned());
                        for name in names {
                            let inner: Vec<Value> = shapes
                                .iter()
                                .filter_map(|s| s.pointer(&format!("/properties/{}", escape(name))).cloned())
                                .collect();
                            let inner = infer_at(&inner, depth + 1);
                            lines.push(format!("  {}:", crate::text::yaml_key(name)));
                            if inner.lines.is_empty() {
                                lines.push("    description: Any JSON value.".to_owned());
                            }
                            lines.extend(inner.lines.iter().map(|l| format!("    {l}")));
                        }
                    }
                }
                _ => {}
            }
            None
        }
        many => Some(format!("observed as {}; no single type is declared", many.join(" and "))),
    };
    if nullable && !lines.is_empty() {
        lines.push("nullable: true".to_owned());
    }
    Inferred { lines, note }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_formats_and_disagreement() {
        assert_eq!(infer(&[json!({"type": "string", "length": 6})]).lines, ["type: string"]);
        assert_eq!(infer(&[json!({"type": "string", "looks_like": "date"})]).lines, ["type: string", "format: date"]);
        assert_eq!(infer(&[json!({"type": "integer"}), json!({"type": "number"})]).lines, ["type: number"]);
        let mixed = infer(&[json!({"type": "integer"}), json!({"type": "string"})]);
        assert!(mixed.lines.is_empty() && mixed.note.is_some());
        let object = infer(&[json!({"type": "object", "properties": {"a": {"type": "boolean"}}})]);
        assert_eq!(object.lines, ["type: object", "properties:", "  a:", "    type: boolean"]);
        let list = infer(&[json!({"type": "array", "items": {"type": "integer"}})]);
        assert_eq!(list.lines, ["type: array", "items:", "  type: integer"]);
    }
}
