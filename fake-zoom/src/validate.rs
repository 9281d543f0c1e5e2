//! Requests checked against the contract, as Zoom checks them: path and query parameters
//! (types, enums, limits, required ones present) and the JSON body (its schema's types,
//! required fields, enums, formats). A refusal names the field; the server answers it with
//! Zoom's `400` code `300`.
//!
//! Lenient where the spec is silent, so a valid request is never refused: unknown query
//! parameters and unknown body properties pass (unless `additionalProperties: false`), and an
//! optional property may be `null`.

use serde_json::Value;

use crate::contract::{Matched, OperationSpec};

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The operation refused.
    pub operation: String,
    /// The field: a parameter name or a body path such as `plan_base.hosts`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

type Checked<T> = Result<T, (String, String)>;

/// Check a request; the parsed body (`Null` when there is none) if it passes.
pub(crate) fn check(matched: &Matched<'_>, query: &[(String, String)], body: &[u8]) -> Result<Value, Refusal> {
    let op = matched.operation;
    check_all(op, matched, query, body).map_err(|(field, reason)| Refusal {
        operation: op.operation_id.clone(),
        field,
        reason,
    })
}

fn check_all(op: &OperationSpec, matched: &Matched<'_>, query: &[(String, String)], body: &[u8]) -> Checked<Value> {
    for parameter in &op.parameters {
        let value = match parameter.place.as_str() {
            "path" => matched.param(&parameter.name),
            "query" => query.iter().find(|(k, _)| *k == parameter.name).map(|(_, v)| v.as_str()),
            _ => continue,
        };
        match value {
            Some(text) => check_text(text, &parameter.schema, &parameter.name)?,
            None if parameter.required => return Err((parameter.name.clone(), "is required".to_owned())),
            None => {}
        }
    }
    let Some(spec) = &op.body else { return Ok(Value::Null) };
    if body.iter().all(u8::is_ascii_whitespace) {
        return if spec.required {
            Err(("body".to_owned(), "a JSON body is required".to_owned()))
        } else {
            Ok(Value::Null)
        };
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ("body".to_owned(), format!("is not valid JSON ({e})")))?;
    check_value(&value, &spec.schema, "")?;
    Ok(value)
}

/// A parameter's text as the type its schema names, then checked like a body value.
pub(crate) fn check_text(text: &str, schema: &Value, field: &str) -> Checked<()> {
    let typed = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => {
            text.parse::<i64>().map(Value::from).map_err(|_| (field.to_owned(), "must be an integer".to_owned()))?
        }
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| (field.to_owned(), "must be a number".to_owned()))?,
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err((field.to_owned(), "must be `true` or `false`".to_owned())),
        },
        _ => Value::String(text.to_owned()),
    };
    check_value(&typed, schema, field)
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A value against an inlined schema (the subset of JSON Schema OpenAPI 3.0 uses).
pub(crate) fn check_value(value: &Value, schema: &Value, field: &str) -> Checked<()> {
    let name = if field.is_empty() { "body" } else { field };
    let fail = |reason: String| Err((name.to_owned(), reason));
    if value.is_null() && schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        return Ok(());
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for part in all {
            check_value(value, part, field)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema.get(key).and_then(Value::as_array) {
            // Any alternative that fits will do: Zoom does not refuse a body that fits two.
            let mut first = None;
            for choice in choices {
                match check_value(value, choice, field) {
                    Ok(()) => {
                        first = None;
                        break;
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first {
                return Err(e);
            }
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(object) = value.as_object() else { return fail("must be an object".to_owned()) };
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let Some(key) = required.as_str() else { continue };
                if object.get(key).is_none_or(Value::is_null) {
                    return Err((join(field, key), "is required".to_owned()));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, item) in object {
                match properties.and_then(|p| p.get(key)) {
                    // An optional property sent as `null` is as good as absent.
                    Some(_) if item.is_null() => {}
                    Some(property) => check_value(item, property, &join(field, key))?,
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => return Err((join(field, key), "is not a known field".to_owned())),
                        Some(extra @ Value::Object(_)) => check_value(item, extra, &join(field, key))?,
                        _ => {}
                    },
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else { return fail("must be an array".to_owned()) };
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                return fail(format!("must have at least {min} items"));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                return fail(format!("must have at most {max} items"));
            }
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_value(item, item_schema, &format!("{name}[{i}]"))?;
                }
            }
        }
        Some("string") => {
            let Some(text) = value.as_str() else { return fail("must be a string".to_owned()) };
            let length = text.chars().count() as u64;
            if schema.get("minLength").and_then(Value::as_u64).is_some_and(|min| length < min) {
                return fail("is too short".to_owned());
            }
            if schema.get("maxLength").and_then(Value::as_u64).is_some_and(|max| length > max) {
                return fail("is too long".to_owned());
            }
            match schema.get("format").and_then(Value::as_str) {
                Some("date") if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() => {
                    return fail("must be a date (yyyy-mm-dd)".to_owned());
                }
                Some("date-time") if chrono::DateTime::parse_from_rfc3339(text).is_err() => {
                    return fail("must be a date-time (RFC 3339)".to_owned());
                }
                _ => {}
            }
        }
        Some("integer") => {
            let whole = value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0);
            if !whole {
                return fail("must be an integer".to_owned());
            }
        }
        Some("number") if !value.is_number() => return fail("must be a number".to_owned()),
        Some("boolean") if !value.is_boolean() => return fail("must be `true` or `false`".to_owned()),
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.iter().any(|a| same(a, value))
    {
        let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
        return fail(format!("must be one of {}", list.join(", ")));
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) {
            return fail(format!("must be at least {}", schema["minimum"]));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max) {
            return fail(format!("must be at most {}", schema["maximum"]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use serde_json::json;

    /// Every request example of the spec passes: a body example against its body schema, a
    /// parameter example against its parameter.
    #[test]
    fn every_request_example_of_the_spec_passes() {
        let contract = Contract::spec().unwrap();
        let mut bodies = 0;
        for op in contract.operations() {
            if let Some(body) = &op.body
                && !body.example.is_null()
            {
                check_value(&body.example, &body.schema, "").unwrap_or_else(|e| panic!("{}: {e:?}", op.operation_id));
                bodies += 1;
            }
            for parameter in op.parameters.iter().filter(|p| !p.example.is_null()) {
                let text = parameter.example.as_str().map_or_else(|| parameter.example.to_string(), str::to_owned);
                check_text(&text, &parameter.schema, &parameter.name).unwrap();
            }
        }
        assert_eq!(bodies, 8, "every operation with a body has an example");
    }

    #[test]
    fn refusals_name_the_field() {
        let contract = Contract::spec().unwrap();
        let schema = &contract.operation("subscribe_plan").unwrap().body.as_ref().unwrap().schema;
        let mut body = contract.operation("subscribe_plan").unwrap().body.as_ref().unwrap().example.clone();
        body["plan_base"]["hosts"] = json!("20");
        assert_eq!(check_value(&body, schema, ""), Err(("plan_base.hosts".into(), "must be an integer".into())));
        body["plan_base"] = json!({"hosts": 20});
        assert_eq!(check_value(&body, schema, ""), Err(("plan_base.type".into(), "is required".into())));
        let interval = &contract.operation("list_upcoming_renewals").unwrap().parameters[0];
        assert!(check_text("45", &interval.schema, "interval").unwrap_err().1.contains("one of 30, 60, 90"));
        assert!(check_text("60", &interval.schema, "interval").is_ok());
    }
}
