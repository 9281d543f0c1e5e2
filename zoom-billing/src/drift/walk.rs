//! One pass over a JSON body, driven by the compiled schema: serde events
//! are checked as they are parsed, so no `serde_json::Value` is built for the
//! parts the spec knows (only an unknown property's value is kept, to
//! describe its shape). Keys are looked up in the schema's sorted property
//! list without being copied.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::finding::FindingKind;
use super::privacy::{self, JsonType, Observed};
use super::schema::{Node, Shape, StringFormat};

/// One finding in one body, before it is merged into the observer's store.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) kind: FindingKind,
    pub(crate) pointer: String,
    pub(crate) schema: &'static str,
    pub(crate) expected: Option<String>,
    pub(crate) observed: Observed,
    pub(crate) value: Option<String>,
    pub(crate) sample: Option<Value>,
    pub(crate) count: u64,
}

/// The walk's state: the schema, where we are, what was found.
pub(crate) struct Walker {
    nodes: &'static [Node],
    samples: bool,
    /// Path segments from the root: property names from the schema, `*` for array items.
    path: Vec<&'static str>,
    pub(crate) found: Vec<Raw>,
}

/// Distinct findings kept per body; more are not collected (the store caps them anyway).
const MAX_PER_BODY: usize = 64;

impl Walker {
    pub(crate) fn new(nodes: &'static [Node], samples: bool) -> Self {
        Walker { nodes, samples, path: Vec::new(), found: Vec::new() }
    }

    /// Walk `body` from node `root`; on malformed JSON the findings are dropped (the
    /// generated decode reports the error).
    pub(crate) fn walk(&mut self, root: u16, body: &[u8]) -> Vec<Raw> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let ok = Walk { walker: self, node: root }.deserialize(&mut de).is_ok() && de.end().is_ok();
        let found = std::mem::take(&mut self.found);
        if ok { found } else { Vec::new() }
    }

    fn node(&self, index: u16) -> Option<&'static Node> {
        self.nodes.get(usize::from(index))
    }

    fn pointer(&self, last: Option<&str>) -> String {
        let mut pointer = String::new();
        for segment in self.path.iter().copied().chain(last) {
            pointer.push('/');
            pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        }
        pointer
    }

    fn record(&mut self, raw: Raw) {
        if let Some(same) = self
            .found
            .iter_mut()
            .find(|f| f.kind == raw.kind && f.pointer == raw.pointer && f.value == raw.value && f.schema == raw.schema)
        {
            same.count += 1;
        } else if self.found.len() < MAX_PER_BODY {
            self.found.push(raw);
        }
    }

    fn mismatch(&mut self, node: &'static Node, observed: Observed, sample: Option<Value>) {
        let raw = Raw {
            kind: FindingKind::TypeDiffers,
            pointer: self.pointer(None),
            schema: node.at,
            expected: Some(self.describe(node, 0)),
            observed,
            value: None,
            sample: if self.samples { sample.map(|s| privacy::redact(&s, self.path.last().copied())) } else { None },
            count: 1,
        };
        self.record(raw);
    }

    /// The type(s) a node accepts, for messages: `number`, `integer or string`.
    fn describe(&self, node: &Node, depth: usize) -> String {
        let mut text = match node.shape {
            Shape::Any => "any".to_owned(),
            Shape::Object { .. } => "object".to_owned(),
            Shape::Array { .. } => "array".to_owned(),
            Shape::String { .. } => "string".to_owned(),
            Shape::Integer => "integer".to_owned(),
            Shape::Number => "number".to_owned(),
            Shape::Boolean => "boolean".to_owned(),
            Shape::OneOf(alternatives) if depth < 8 => alternatives
                .iter()
                .filter_map(|&a| self.node(a))
                .map(|n| self.describe(n, depth + 1))
                .collect::<Vec<_>>()
                .join(" or "),
            Shape::OneOf(_) => "any".to_owned(),
        };
        if node.nullable {
            text.push_str(" or null");
        }
        text
    }

    /// The node that accepts a value of `json` type: `node` itself, or the first
    /// alternative of a `oneOf` that does. `Err` holds the node to report against.
    fn pick(&self, index: u16, json: JsonType, depth: usize) -> Result<&'static Node, &'static Node> {
        let Some(node) = self.node(index) else { return Err(&ANY) };
        if json == JsonType::Null && node.nullable {
            return Ok(&ANY);
        }
        let accepts = match node.shape {
            Shape::Any => true,
            Shape::Object { .. } => json == JsonType::Object,
            Shape::Array { .. } => json == JsonType::Array,
            Shape::String { .. } => json == JsonType::String,
            Shape::Integer => json == JsonType::Integer,
            Shape::Number => matches!(json, JsonType::Integer | JsonType::Number),
            Shape::Boolean => json == JsonType::Boolean,
            Shape::OneOf(alternatives) => {
                if depth < 8 {
                    for &alternative in alternatives {
                        if let Ok(found) = self.pick(alternative, json, depth + 1) {
                            return Ok(found);
                        }
                    }
                }
                false
            }
        };
        if accepts { Ok(node) } else { Err(node) }
    }

    fn scalar(&mut self, index: u16, json: JsonType, sample: impl FnOnce() -> Value) {
        if let Err(node) = self.pick(index, json, 0) {
            let sample = self.samples.then(sample);
            self.mismatch(node, Observed::of_type(json), sample);
        }
    }

    fn string(&mut self, index: u16, text: &str) {
        let node = match self.pick(index, JsonType::String, 0) {
            Ok(node) => node,
            Err(node) => {
                let sample = self.samples.then(|| Value::String(text.to_owned()));
                return self.mismatch(node, Observed::of_str(text), sample);
            }
        };
        let Shape::String { format, values } = node.shape else { return };
        if let Some(values) = values
            && !values.contains(&text)
        {
            let raw = Raw {
                kind: FindingKind::UnlistedValue,
                pointer: self.pointer(None),
                schema: node.at,
                expected: None,
                observed: Observed::of_str(text),
                value: Some(privacy::enum_value(text)),
                sample: None,
                count: 1,
            };
            self.record(raw);
        }
        let (ok, name) = match format {
            None => return,
            Some(StringFormat::Date) => (privacy::is_date(text), "date"),
            Some(StringFormat::DateTime) => (privacy::is_date_time(text), "date-time"),
        };
        if !ok {
            let raw = Raw {
                kind: FindingKind::FormatDiffers,
                pointer: self.pointer(None),
                schema: node.at,
                expected: Some(name.to_owned()),
                observed: Observed::of_str(text),
                value: None,
                sample: if self.samples {
                    Some(privacy::redact(&Value::String(text.to_owned()), self.path.last().copied()))
                } else {
                    None
                },
                count: 1,
            };
            self.record(raw);
        }
    }
}

/// What an unchecked or unknown node stands for.
static ANY: Node = Node { at: "", nullable: true, shape: Shape::Any };

/// The seed for one value at one schema node.
struct Walk<'w> {
    walker: &'w mut Walker,
    node: u16,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.walker.scalar(self.node, JsonType::Boolean, || Value::Bool(v));
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.walker.scalar(self.node, JsonType::Integer, || Value::from(v));
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.walker.scalar(self.node, JsonType::Integer, || Value::from(v));
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.walker.scalar(self.node, JsonType::Number, || Value::from(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.walker.string(self.node, v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.walker.scalar(self.node, JsonType::Null, || Value::Null);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let walker = self.walker;
        match walker.pick(self.node, JsonType::Array, 0) {
            Ok(Node { shape: Shape::Array { items }, .. }) => {
                walker.path.push("*");
                let mut result = Ok(());
                loop {
                    match seq.next_element_seed(Walk { walker: &mut *walker, node: *items }) {
                        Ok(Some(())) => {}
                        Ok(None) => break,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                walker.path.pop();
                result
            }
            Ok(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
            Err(node) => {
                let mut length = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    length += 1;
                }
                walker.mismatch(node, Observed { length: Some(length), ..Observed::of_type(JsonType::Array) }, None);
                Ok(())
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let walker = self.walker;
        let (node, properties, required, open) = match walker.pick(self.node, JsonType::Object, 0) {
            Ok(node @ Node { shape: Shape::Object { properties, required, open }, .. }) => {
                (node, *properties, *required, *open)
            }
            Ok(_) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                return Ok(());
            }
            Err(node) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                walker.mismatch(node, Observed::of_type(JsonType::Object), None);
                return Ok(());
            }
        };
        // Required properties seen, as a bit set (the first 64 are tracked).
        let mut seen: u64 = 0;
        while let Some(key) = map.next_key_seed(KeySeed { properties })? {
            match key {
                Key::Known(name, child) => {
                    if !required.is_empty()
                        && let Some(i) = required.iter().position(|r| *r == name)
                        && i < 64
                    {
                        seen |= 1 << i;
                    }
                    walker.path.push(name);
                    let result = map.next_value_seed(Walk { walker: &mut *walker, node: child });
                    walker.path.pop();
                    result?;
                }
                Key::Unknown(name) if !open => {
                    let value: Value = map.next_value()?;
                    let raw = Raw {
                        kind: FindingKind::UnknownProperty,
                        pointer: walker.pointer(Some(&name)),
                        schema: node.at,
                        expected: None,
                        observed: Observed::of_value(&value),
                        value: None,
                        sample: walker.samples.then(|| privacy::redact(&value, Some(&name))),
                        count: 1,
                    };
                    walker.record(raw);
                }
                Key::Unknown(_) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for (i, name) in required.iter().enumerate().take(64) {
            if seen & (1 << i) == 0 {
                let raw = Raw {
                    kind: FindingKind::MissingRequired,
                    pointer: walker.pointer(Some(name)),
                    schema: node.at,
                    expected: None,
                    observed: Observed::of_type(JsonType::Object),
                    value: None,
                    sample: None,
                    count: 1,
                };
                walker.record(raw);
            }
        }
        Ok(())
    }
}

/// An object key: a declared property (its static name and node) or an unknown one.
enum Key {
    Known(&'static str, u16),
    Unknown(String),
}

struct KeySeed {
    properties: &'static [(&'static str, u16)],
}

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        // Most objects have a few properties: comparing lengths first rejects nearly every
        // candidate without a `memcmp` call (the profile's top cost with a binary search).
        let found = if self.properties.len() <= 24 {
            self.properties.iter().find(|(name, _)| name.len() == v.len() && name.as_bytes() == v.as_bytes())
        } else {
            self.properties.binary_search_by(|(name, _)| (*name).cmp(v)).ok().and_then(|i| self.properties.get(i))
        };
        Ok(match found {
            Some(&(name, node)) => Key::Known(name, node),
            None => Key::Unknown(v.to_owned()),
        })
    }
}
