//! The serde-based walk that the byte scanner replaced, kept as the oracle the
//! scanner is tested against (`scan_tests`): it reads JSON with serde_json's
//! own parser and calls the same checks ([`Walker`]).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::privacy::{JsonType, Observed};
use super::schema::{Node, Shape};
use super::walk::{Raw, Walker, property, required_bit};

/// Walk `body` from node `root` with serde_json; on malformed JSON, nothing.
pub(crate) fn walk(walker: &mut Walker, root: u16, body: &[u8]) -> Vec<Raw> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let ok = Walk { walker: &mut *walker, node: root }.deserialize(&mut de).is_ok() && de.end().is_ok();
    walker.path.clear();
    let found = std::mem::take(&mut walker.found);
    if ok { found } else { Vec::new() }
}

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
                    seen |= required_bit(required, name);
                    walker.path.push(name);
                    let result = map.next_value_seed(Walk { walker: &mut *walker, node: child });
                    walker.path.pop();
                    result?;
                }
                Key::Unknown(name) if !open => {
                    let value: Value = map.next_value()?;
                    walker.unknown_property(node, &name, &value);
                }
                Key::Unknown(_) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        walker.missing_required(node, required, seen);
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
        Ok(match property(self.properties, v.as_bytes()).and_then(|i| self.properties.get(i)) {
            Some(&(name, node)) => Key::Known(name, node),
            None => Key::Unknown(v.to_owned()),
        })
    }
}
