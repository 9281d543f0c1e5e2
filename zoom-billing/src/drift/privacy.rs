//! What a finding may hold: the shape of a value by default, a redacted
//! sample only when the program opts in.
//!
//! A shape is the JSON type, a string's length and whether it looks like a
//! date or a number; it never holds the value. Samples keep numbers,
//! booleans and short vocabulary-like strings, and replace account ids,
//! emails, names, addresses, phone numbers and token-like strings with
//! `[redacted]`, judged both by the key and by the value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Nesting below this depth is summarised by its type only.
const MAX_SHAPE_DEPTH: usize = 4;
/// Sampled strings and unlisted enum values are cut to this many characters.
const MAX_TEXT: usize = 64;
/// At most this many properties of an unknown object are described.
const MAX_SHAPE_PROPERTIES: usize = 32;

/// A JSON type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number without fraction or exponent.
    Integer,
    /// Any other number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The OpenAPI type name.
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// What a string looks like, without saying what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LooksLike {
    /// `yyyy-mm-dd`.
    Date,
    /// An RFC 3339 date and time.
    DateTime,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
}

/// The shape of an observed value: never the value itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Observed {
    /// The JSON type.
    #[serde(rename = "type")]
    pub json_type: JsonType,
    /// Characters of a string, items of an array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// What a string looks like, when it looks like a date or a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looks_like: Option<LooksLike>,
    /// Shapes of an object's properties (keys are names, not values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<BTreeMap<String, Observed>>,
    /// Shape of an array's first item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Observed>>,
}

impl Observed {
    /// A shape of this type and nothing more.
    pub fn of_type(json_type: JsonType) -> Observed {
        Observed { json_type, length: None, looks_like: None, properties: None, items: None }
    }

    /// The shape of a string.
    pub fn of_str(text: &str) -> Observed {
        Observed {
            length: Some(text.chars().count()),
            looks_like: looks_like(text),
            ..Observed::of_type(JsonType::String)
        }
    }

    /// The shape of any value, nested objects described a few levels deep.
    pub fn of_value(value: &Value) -> Observed {
        shape(value, 0)
    }
}

fn shape(value: &Value, depth: usize) -> Observed {
    match value {
        Value::Null => Observed::of_type(JsonType::Null),
        Value::Bool(_) => Observed::of_type(JsonType::Boolean),
        Value::Number(n) if n.is_i64() || n.is_u64() => Observed::of_type(JsonType::Integer),
        Value::Number(_) => Observed::of_type(JsonType::Number),
        Value::String(s) => Observed::of_str(s),
        Value::Array(items) => Observed {
            length: Some(items.len()),
            items: items.first().filter(|_| depth < MAX_SHAPE_DEPTH).map(|i| Box::new(shape(i, depth + 1))),
            ..Observed::of_type(JsonType::Array)
        },
        Value::Object(map) => Observed {
            properties: (depth < MAX_SHAPE_DEPTH).then(|| {
                map.iter().take(MAX_SHAPE_PROPERTIES).map(|(k, v)| (k.clone(), shape(v, depth + 1))).collect()
            }),
            ..Observed::of_type(JsonType::Object)
        },
    }
}

/// Whether a string looks like a date, a date-time or a number.
pub(crate) fn looks_like(text: &str) -> Option<LooksLike> {
    if is_date(text) {
        Some(LooksLike::Date)
    } else if is_date_time(text) {
        Some(LooksLike::DateTime)
    } else if !text.is_empty() && text.len() <= 40 {
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            Some(LooksLike::Integer)
        } else if digits.bytes().filter(|&b| b == b'.').count() == 1
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().any(|b| b.is_ascii_digit())
        {
            Some(LooksLike::Number)
        } else {
            None
        }
    } else {
        None
    }
}

/// `yyyy-mm-dd` with a plausible month and day.
pub(crate) fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
        && matches!((b[5] - b'0') * 10 + (b[6] - b'0'), 1..=12)
        && matches!((b[8] - b'0') * 10 + (b[9] - b'0'), 1..=31)
}

/// A date, `T`, a time, and a zone (`Z` or an offset).
pub(crate) fn is_date_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 20
        && text.get(..10).is_some_and(is_date)
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':'
        && (text.ends_with(['Z', 'z']) || b.get(b.len().saturating_sub(6)).is_some_and(|&c| c == b'+' || c == b'-'))
}

/// Keys whose values are personal or secret whatever they look like.
fn sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key == "id"
        || key.ends_with("_id")
        || key.ends_with("_ids")
        || key.ends_with("name")
        || key.ends_with("_number")
        || ["email", "address", "apt", "city", "zip", "phone", "token", "secret", "password", "street", "postal"]
            .iter()
            .any(|word| key.contains(word))
}

/// Strings that are personal or secret whatever their key: emails and
/// anything long and opaque enough to be an id or a token.
fn sensitive_text(text: &str) -> bool {
    let has_letter = text.bytes().any(|b| b.is_ascii_alphabetic());
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    let opaque = text.len() >= 12
        && !text.contains(' ')
        && has_letter
        && has_digit
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+/=~".contains(&b));
    text.contains('@') || opaque || text.len() >= 24 && !text.contains(' ')
}

/// The marker that replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A value of an open enum that the spec does not list, as a finding may keep it:
/// it is vocabulary (`Paid`, `plan_united`), unless it looks personal or secret.
pub(crate) fn enum_value(text: &str) -> String {
    if sensitive_text(text) { REDACTED.to_owned() } else { cut(text) }
}

/// A sample of `value` (found under `key`) with everything personal or secret replaced.
pub(crate) fn redact(value: &Value, key: Option<&str>) -> Value {
    if key.is_some_and(sensitive_key) && !matches!(value, Value::Object(_) | Value::Array(_) | Value::Null) {
        return Value::String(REDACTED.to_owned());
    }
    match value {
        Value::String(s) if sensitive_text(s) => Value::String(REDACTED.to_owned()),
        Value::String(s) => Value::String(cut(s)),
        Value::Array(items) => Value::Array(items.iter().take(8).map(|v| redact(v, key)).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().take(MAX_SHAPE_PROPERTIES).map(|(k, v)| (k.clone(), redact(v, Some(k)))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_hold_no_values() {
        let shape = Observed::of_value(&json!({"email": "jane@example.com", "n": [1.5], "due": "2024-08-07"}));
        let text = serde_json::to_string(&shape).unwrap();
        assert!(!text.contains("jane"), "{text}");
        assert!(!text.contains("1.5"), "{text}");
        assert!(text.contains(r#""looks_like":"date""#), "{text}");
        assert_eq!(Observed::of_str("2039.00").looks_like, Some(LooksLike::Number));
        assert_eq!(Observed::of_str("2024-08-07T10:00:00Z").looks_like, Some(LooksLike::DateTime));
        assert_eq!(Observed::of_str("Net 30").looks_like, None);
    }

    #[test]
    fn samples_are_redacted_by_key_and_by_value() {
        let sample = redact(
            &json!({
                "account_id": "q6gBJVO5TzexKYTb_I2rpg", "first_name": "Jane", "address": "1 Main St",
                "note": "mail jane@example.com", "token": "abc", "opaque": "eyJhbGciOiJIUzI1NiJ9x1",
                "status": "Paid", "hosts": 12
            }),
            None,
        );
        let text = sample.to_string();
        for secret in ["q6gB", "Jane", "Main", "jane@", "abc", "eyJ"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(sample["status"], "Paid");
        assert_eq!(sample["hosts"], 12);
    }

    #[test]
    fn enum_values_are_kept_unless_they_look_personal() {
        assert_eq!(enum_value("Paid"), "Paid");
        assert_eq!(enum_value("someone@example.com"), REDACTED);
        assert_eq!(enum_value("a1b2c3d4e5f6g7h8"), REDACTED);
        assert_eq!(enum_value(&"x".repeat(100)), REDACTED);
    }
}
