//! Checking an example value against an OpenAPI 3.0 schema.
//!
//! Only the keywords this project's spec uses are understood; an unknown
//! keyword is ignored rather than guessed at. Every failure names the place
//! inside the example (`/invoices/0/total_amount`) and what was expected.

use serde_json::Value;

use crate::refs;

/// Validate `value` against `schema`; `root` is the whole document, for `$ref`s.
/// Returns one message per problem found.
pub fn validate(value: &Value, schema: &Value, root: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(value, schema, root, "", &mut errors, 0);
    errors
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

fn check(value: &Value, schema: &Value, root: &Value, path: &str, errors: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        errors.push(format!("{}: schema nesting too deep", at(path)));
        return;
    }
    let schema = match refs::resolve(root, schema) {
        Ok(resolved) => resolved.value,
        Err(e) => {
            errors.push(format!("{}: {e}", at(path)));
            return;
        }
    };
    if value.is_null() && schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }

    for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        check(value, sub, root, path, errors, depth + 1);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options.iter().filter(|o| validate_at(value, o, root, path, depth).is_empty()).count();
        if matching != 1 {
            errors.push(format!(
                "{}: matches {matching} of the {} `oneOf` alternatives, expected exactly 1",
                at(path),
                options.len()
            ));
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array)
        && !options.iter().any(|o| validate_at(value, o, root, path, depth).is_empty())
    {
        errors.push(format!("{}: matches none of the `anyOf` alternatives", at(path)));
    }

    if let Some(expected) = schema.get("type").and_then(Value::as_str) {
        let actual = type_name(value);
        let ok = actual == expected || (expected == "number" && actual == "integer");
        if !ok {
            errors.push(format!("{}: expected {expected}, found {actual} `{}`", at(path), snippet(value)));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{}: `{}` is not one of {}", at(path), snippet(value), Value::Array(allowed.clone())));
    }

    match value {
        Value::String(s) => check_string(s, schema, path, errors),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                && x < min
            {
                errors.push(format!("{}: {x} is below the minimum {min}", at(path)));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                && x > max
            {
                errors.push(format!("{}: {x} is above the maximum {max}", at(path)));
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item, item_schema, root, &format!("{path}/{i}"), errors, depth + 1);
                }
            }
        }
        Value::Object(map) => {
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                if let Some(name) = required.as_str()
                    && !map.contains_key(name)
                {
                    errors.push(format!("{}: required property `{name}` is missing", at(path)));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, item) in map {
                let child = format!("{path}/{}", crate::yaml::escape_segment(key));
                match properties.and_then(|p| p.get(key)) {
                    Some(prop_schema) => check(item, prop_schema, root, &child, errors, depth + 1),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{}: property `{key}` is not allowed", at(path)));
                        }
                        Some(extra @ Value::Object(_)) => check(item, extra, root, &child, errors, depth + 1),
                        // Unknown properties are allowed, but an example that
                        // carries one is almost always a typo in the spec.
                        _ if properties.is_some() => {
                            errors.push(format!("{}: property `{key}` is not declared in the schema", at(path)));
                        }
                        _ => {}
                    },
                }
            }
        }
        _ => {}
    }
}

fn validate_at(value: &Value, schema: &Value, root: &Value, path: &str, depth: usize) -> Vec<String> {
    let mut errors = Vec::new();
    check(value, schema, root, path, &mut errors, depth + 1);
    errors
}

fn check_string(s: &str, schema: &Value, path: &str, errors: &mut Vec<String>) {
    match schema.get("format").and_then(Value::as_str) {
        Some("date") if !is_date(s) => {
            errors.push(format!("{}: `{s}` is not a yyyy-mm-dd date", at(path)));
        }
        Some("date-time") if !is_date_time(s) => {
            errors.push(format!("{}: `{s}` is not an RFC 3339 date-time", at(path)));
        }
        // A date Zoom sends (`ZoomDate`): either form.
        Some("zoom-date") if !is_date(s) && !is_date_time(s) => {
            errors.push(format!("{}: `{s}` is not a yyyy-mm-dd date or an RFC 3339 date-time", at(path)));
        }
        _ => {}
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && (s.chars().count() as u64) < min
    {
        errors.push(format!("{}: `{s}` is shorter than {min}", at(path)));
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && (s.chars().count() as u64) > max
    {
        errors.push(format!("{}: `{s}` is longer than {max}", at(path)));
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_date_time(s: &str) -> bool {
    s.len() >= 20
        && is_date(&s[..10])
        && matches!(s.as_bytes()[10], b'T' | b't')
        && (s.ends_with('Z') || s.ends_with('z') || s[19..].contains(['+', '-']))
}

fn snippet(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 { format!("{}…", text.chars().take(40).collect::<String>()) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_refs_types_and_formats() {
        let root = json!({"components": {"schemas": {
            "Money": {"type": "number"},
            "Inv": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "total": {"$ref": "#/components/schemas/Money"},
                "date": {"type": "string", "format": "date"},
                "sent": {"type": "string", "format": "zoom-date"},
                "items": {"type": "array", "items": {"type": "integer"}}
            }}
        }}});
        let schema = json!({"$ref": "#/components/schemas/Inv"});
        assert!(
            validate(&json!({"id": "a", "total": 2039, "date": "2020-08-07", "items": [1]}), &schema, &root).is_empty()
        );
        for sent in ["2020-08-07", "2020-08-07T00:00:00Z"] {
            assert!(validate(&json!({"id": "a", "sent": sent}), &schema, &root).is_empty(), "{sent}");
        }
        let errors = validate(
            &json!({"total": "x", "date": "2020-02-30", "sent": "07/08/2020", "items": [1.5], "extra": 1}),
            &schema,
            &root,
        );
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors.iter().any(|e| e.starts_with("/sent:")));
        assert!(errors.iter().any(|e| e.starts_with("/: required property `id`")));
        assert!(errors.iter().any(|e| e.starts_with("/total: expected number")));
        assert!(errors.iter().any(|e| e.starts_with("/date:")));
        assert!(errors.iter().any(|e| e.starts_with("/items/0: expected integer")));
        assert!(errors.iter().any(|e| e.contains("`extra` is not declared")));
    }

    #[test]
    fn one_of_needs_exactly_one_match() {
        let root = json!({});
        let schema = json!({"oneOf": [{"type": "integer"}, {"type": "string"}]});
        assert!(validate(&json!(3), &schema, &root).is_empty());
        assert!(validate(&json!("3"), &schema, &root).is_empty());
        assert_eq!(validate(&json!(true), &schema, &root).len(), 1);
    }
}
