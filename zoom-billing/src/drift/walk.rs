//! The checks of one body against the compiled schema, and what they found.
//! The byte scanner ([`super::scan`]) reads the body and calls them; under
//! `cfg(test)` the serde-based walker it replaced calls the very same checks,
//! so the two can only differ in how they read JSON.

use serde_json::Value;

use super::finding::FindingKind;
use super::privacy::{self, JsonType, Observed};
use super::schema::{Node, Shape, StringFormat};

/// One finding in one body, before it is merged into the observer's store.
#[derive(Debug, PartialEq)]
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
    pub(crate) samples: bool,
    /// Path segments from the root: property names from the schema, `*` for array items.
    pub(crate) path: Vec<&'static str>,
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
        let ok = super::scan::scan(self, root, body);
        self.path.clear();
        let found = std::mem::take(&mut self.found);
        if ok { found } else { Vec::new() }
    }

    #[inline]
    pub(crate) fn node(&self, index: u16) -> Option<&'static Node> {
        self.nodes.get(usize::from(index))
    }

    pub(crate) fn pointer(&self, last: Option<&str>) -> String {
        let mut pointer = String::new();
        for segment in self.path.iter().copied().chain(last) {
            pointer.push('/');
            for c in segment.chars() {
                match c {
                    '~' => pointer.push_str("~0"),
                    '/' => pointer.push_str("~1"),
                    c => pointer.push(c),
                }
            }
        }
        pointer
    }

    /// Count a sighting of a finding this body already has, if it has it: a list
    /// drifted on every item then costs a comparison per item, not a new finding
    /// built and thrown away. (`record` would merge it the same way.)
    fn again(&mut self, kind: FindingKind, schema: &str, value: Option<&str>, last: Option<&str>) -> bool {
        let path = &self.path;
        let same = self.found.iter_mut().find(|f| {
            f.kind == kind && f.schema == schema && f.value.as_deref() == value && is_pointer(&f.pointer, path, last)
        });
        match same {
            Some(same) => {
                same.count += 1;
                true
            }
            None => false,
        }
    }

    pub(crate) fn record(&mut self, raw: Raw) {
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

    pub(crate) fn mismatch(&mut self, node: &'static Node, observed: Observed, sample: Option<Value>) {
        if self.again(FindingKind::TypeDiffers, node.at, None, None) {
            return;
        }
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
    #[inline]
    pub(crate) fn pick(&self, index: u16, json: JsonType, depth: usize) -> Result<&'static Node, &'static Node> {
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

    pub(crate) fn scalar(&mut self, index: u16, json: JsonType, sample: impl FnOnce() -> Value) {
        if let Err(node) = self.pick(index, json, 0) {
            let sample = self.samples.then(sample);
            self.mismatch(node, Observed::of_type(json), sample);
        }
    }

    pub(crate) fn string(&mut self, index: u16, text: &str) {
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
            let value = privacy::enum_value(text);
            if !self.again(FindingKind::UnlistedValue, node.at, Some(&value), None) {
                let raw = Raw {
                    kind: FindingKind::UnlistedValue,
                    pointer: self.pointer(None),
                    schema: node.at,
                    expected: None,
                    observed: Observed::of_str(text),
                    value: Some(value),
                    sample: None,
                    count: 1,
                };
                self.record(raw);
            }
        }
        let (ok, name) = match format {
            None => return,
            Some(StringFormat::Date) => (privacy::is_date(text), "date"),
            Some(StringFormat::DateTime) => (privacy::is_date_time(text), "date-time"),
        };
        if !ok && !self.again(FindingKind::FormatDiffers, node.at, None, None) {
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

impl Walker {
    /// A property `name` that object `node` does not declare, with its value.
    pub(crate) fn unknown_property(&mut self, node: &'static Node, name: &str, value: &Value) {
        if self.again(FindingKind::UnknownProperty, node.at, None, Some(name)) {
            return;
        }
        let raw = Raw {
            kind: FindingKind::UnknownProperty,
            pointer: self.pointer(Some(name)),
            schema: node.at,
            expected: None,
            observed: Observed::of_value(value),
            value: None,
            sample: self.samples.then(|| privacy::redact(value, Some(name))),
            count: 1,
        };
        self.record(raw);
    }

    /// The end of object `node`: its required properties not in `seen` (a bit set
    /// over the first 64 of `required`).
    pub(crate) fn missing_required(&mut self, node: &'static Node, required: &'static [&'static str], seen: u64) {
        for (i, name) in required.iter().enumerate().take(64) {
            if seen & (1 << i) == 0 && !self.again(FindingKind::MissingRequired, node.at, None, Some(name)) {
                let raw = Raw {
                    kind: FindingKind::MissingRequired,
                    pointer: self.pointer(Some(name)),
                    schema: node.at,
                    expected: None,
                    observed: Observed::of_type(JsonType::Object),
                    value: None,
                    sample: None,
                    count: 1,
                };
                self.record(raw);
            }
        }
    }
}

/// Whether `pointer` is the one `Walker::pointer` would write for `path` and `last`.
fn is_pointer(pointer: &str, path: &[&str], last: Option<&str>) -> bool {
    let mut rest = pointer.as_bytes();
    for segment in path.iter().copied().chain(last) {
        let Some(after) = rest.strip_prefix(b"/") else { return false };
        rest = after;
        for byte in segment.as_bytes() {
            let written: &[u8] = match byte {
                b'~' => b"~0",
                b'/' => b"~1",
                other => std::slice::from_ref(other),
            };
            let Some(after) = rest.strip_prefix(written) else { return false };
            rest = after;
        }
    }
    rest.is_empty()
}

/// The bit of `name` in a required-properties bit set (`0` past the 64th).
pub(crate) fn required_bit(required: &[&str], name: &str) -> u64 {
    match required.iter().position(|r| *r == name) {
        Some(i) if i < 64 => 1 << i,
        _ => 0,
    }
}

/// What an unchecked or unknown node stands for.
pub(crate) static ANY: Node = Node { at: "", nullable: true, shape: Shape::Any };

/// The position of the declared property named `key` (bytes of a key as sent).
pub(crate) fn property(properties: &[(&'static str, u16)], key: &[u8]) -> Option<usize> {
    // Most objects have a few properties: comparing lengths first rejects nearly every
    // candidate without comparing bytes.
    if properties.len() <= 24 {
        properties.iter().position(|(name, _)| same(name.as_bytes(), key))
    } else {
        properties.binary_search_by(|(name, _)| name.as_bytes().cmp(key)).ok()
    }
}

/// `a == b`, without a `memcmp` call for the short strings keys and enum values are
/// (the call was the top cost of key lookup in the profile).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Two overlapping loads cover 8 to 16 bytes, and 4 to 8.
    fn word<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
        bytes.get(at..).and_then(<[u8]>::first_chunk::<N>).copied()
    }
    match a.len() {
        0..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, a.len() - 4) == word::<4>(b, b.len() - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, a.len() - 8) == word::<8>(b, b.len() - 8),
        _ => a == b,
    }
}
