//! YAML to JSON, remembering where every node came from.
//!
//! The spec is read once with yaml-rust2's event parser. Each node becomes a
//! `serde_json::Value`, and its JSON pointer is mapped to the line and column
//! it started at, so that a rule broken deep inside the document can still be
//! reported as `spec/zoom-billing.yaml:412:7`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A line and column in the source text, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Location {
    fn from_marker(mark: Marker) -> Self {
        // yaml-rust2 reports 1-based lines and 0-based columns.
        Location { line: mark.line(), column: mark.col() + 1 }
    }
}

/// A parsed YAML document as JSON, with the source location of every node.
#[derive(Debug, Clone)]
pub struct LocatedValue {
    /// The document as JSON.
    pub value: Value,
    /// JSON pointer (RFC 6901) of every node to where it starts.
    pub locations: BTreeMap<String, Location>,
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub location: Location,
    /// What the parser said.
    pub message: String,
}

enum Frame {
    Seq { pointer: String, items: Vec<Value> },
    Map { pointer: String, entries: Map<String, Value>, pending_key: Option<String> },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    locations: BTreeMap<String, Location>,
    error: Option<SyntaxError>,
}

/// Escape one JSON pointer segment.
pub fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Builder {
    /// The pointer the next node will have, or `None` when it is a mapping key.
    fn next_pointer(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, items }) => Some(format!("{pointer}/{}", items.len())),
            Some(Frame::Map { pointer, pending_key: Some(key), .. }) => {
                Some(format!("{pointer}/{}", escape_segment(key)))
            }
            Some(Frame::Map { pending_key: None, .. }) => None,
        }
    }

    fn fail(&mut self, mark: Marker, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError { location: Location::from_marker(mark), message: message.into() });
        }
    }

    fn push_value(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { entries, pending_key, .. }) => {
                if let Some(key) = pending_key.take() {
                    entries.insert(key, value);
                }
            }
        }
    }

    fn scalar(&mut self, text: String, style: TScalarStyle, mark: Marker) {
        let in_key_position = self.next_pointer().is_none();
        if in_key_position {
            let Some(Frame::Map { pointer, entries, pending_key }) = self.stack.last_mut() else {
                return;
            };
            if entries.contains_key(&text) {
                let message = format!("duplicate key `{text}` in the mapping at `{}`", display_pointer(pointer));
                self.fail(mark, message);
                return;
            }
            *pending_key = Some(text);
            return;
        }
        let pointer = self.next_pointer().unwrap_or_default();
        self.locations.insert(pointer, Location::from_marker(mark));
        let value = if style == TScalarStyle::Plain { plain_scalar(&text) } else { Value::String(text) };
        self.push_value(value);
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// Resolve an unquoted scalar the way YAML 1.2's core schema does.
fn plain_scalar(text: &str) -> Value {
    match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_owned())),
        _ => Value::String(text.to_owned()),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::Scalar(text, style, _anchor, _tag) => self.scalar(text, style, mark),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let Some(pointer) = self.next_pointer() else {
                    self.fail(mark, "complex mapping keys are not supported");
                    return;
                };
                self.locations.insert(pointer.clone(), Location::from_marker(mark));
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq { pointer, items: Vec::new() }
                } else {
                    Frame::Map { pointer, entries: Map::new(), pending_key: None }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let value = match self.stack.pop() {
                    Some(Frame::Seq { items, .. }) => Value::Array(items),
                    Some(Frame::Map { entries, .. }) => Value::Object(entries),
                    None => return,
                };
                self.push_value(value);
            }
            Event::Alias(_) => self.fail(mark, "YAML aliases are not allowed in the spec; write the value out"),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// Parse one YAML document into JSON with node locations.
pub fn parse(text: &str) -> Result<LocatedValue, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(err) = parser.load(&mut builder, false) {
        return Err(SyntaxError { location: Location::from_marker(*err.marker()), message: err.info().to_owned() });
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(LocatedValue { value: builder.root.unwrap_or(Value::Null), locations: builder.locations })
}

impl LocatedValue {
    /// Where the node at `pointer` starts, or its nearest ancestor that has a location.
    pub fn locate(&self, pointer: &str) -> Option<Location> {
        let mut current = pointer.to_owned();
        loop {
            if let Some(location) = self.locations.get(&current) {
                return Some(*location);
            }
            let cut = current.rfind('/')?;
            current.truncate(cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_locations() {
        let doc = parse("a:\n  b: 1\n  c: 'x'\n  d: [true, null, 1.5]\n  '200': ok\n").unwrap();
        assert_eq!(doc.value, serde_json::json!({"a": {"b": 1, "c": "x", "d": [true, null, 1.5], "200": "ok"}}));
        assert_eq!(doc.locations["/a/b"], Location { line: 2, column: 6 });
        assert_eq!(doc.locations["/a/d/2"].line, 4);
        assert_eq!(doc.locate("/a/b/nothing/here").unwrap().line, 2);
    }

    #[test]
    fn syntax_error_has_a_position() {
        let err = parse("a:\n  b: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.location.line >= 2, "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.location.line, 3);
        assert!(err.message.contains("duplicate key `a`"));
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let doc = parse("paths:\n  /a/{b}:\n    get: {}\n").unwrap();
        assert!(doc.locations.contains_key("/paths/~1a~1{b}/get"));
    }
}
