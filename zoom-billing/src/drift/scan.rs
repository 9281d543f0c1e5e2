//! A byte scanner over a JSON body, driven by the compiled schema.
//!
//! It reads only what a check needs: a value's JSON type from its first byte,
//! strings skipped eight bytes at a time (their text is read only for an open
//! enum, a format or a type to report), numbers classified as integer or not
//! without building an `f64`, and subtrees the schema does not describe
//! skipped without being checked. It accepts exactly what the serde walker it
//! replaced accepted (serde_json's grammar, its nesting limit, its string and
//! number validation where values were parsed, its laxer skipping where they
//! were ignored): `scan_tests` holds both to the same findings, and
//! malformed JSON yields none.
//!
//! Robust by construction: every read is bounds-checked (`get`), every loop
//! advances, walked nesting is capped at serde_json's 128 and skipped nesting
//! is tracked on a heap stack, not by recursion.

use std::borrow::Cow;
use std::ops::Range;

use serde_json::Value;

use super::privacy::{JsonType, Observed};
use super::schema::{Node, Shape};
use super::walk::{Walker, property, required_bit, same};

/// serde_json's nesting limit: a body whose walked containers nest this deep is malformed.
const MAX_DEPTH: usize = 128;

/// The body is not JSON (or not JSON serde_json accepts): record nothing.
struct Malformed;

type Step<T = ()> = Result<T, Malformed>;

/// Walk `body` from node `root`, recording into `walker`; `false` if the body is malformed.
pub(crate) fn scan(walker: &mut Walker, root: u16, body: &[u8]) -> bool {
    let mut scanner = Scanner { body, at: 0, depth: 0, walker, frames: Vec::new(), hints: Hints::default() };
    scanner.value(root, None).is_ok() && {
        scanner.whitespace();
        scanner.at == body.len()
    }
}

/// How a skipped value is read, as serde_json read it in the walker this replaces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// As `IgnoredAny`: grammar only, no nesting limit, strings not checked for UTF-8.
    Ignore,
    /// As a `Value` (parsed afterwards): nesting counts toward the limit.
    Value,
}

/// A string's content (between the quotes), and what the fast scan saw in it.
#[derive(Clone, Copy)]
struct Str {
    start: usize,
    end: usize,
    escaped: bool,
    ascii: bool,
}

/// The scan's state: the body, where it is, the walker that checks and records.
struct Scanner<'b, 'w> {
    body: &'b [u8],
    /// The next byte to read.
    at: usize,
    /// Containers open on the walked path (and inside a `Skip::Value`).
    depth: usize,
    walker: &'w mut Walker,
    /// Open containers of a skipped value (`true` for an object); reused.
    frames: Vec<bool>,
    hints: Hints,
}

/// Where the keys of the last few objects were found in their schema's property list, by
/// position in the body: the items of a list send their keys in the same order, so the
/// next item's n-th key is nearly always where the last one's was, and one comparison
/// finds it.
#[derive(Default)]
struct Hints {
    /// `(object node, property index + 1 of its first keys)`; `0` is no hint.
    slots: [(u16, [u8; HINTED_KEYS]); HINTED_OBJECTS],
    /// The slot to reuse next.
    next: usize,
}

const HINTED_OBJECTS: usize = 4;
const HINTED_KEYS: usize = 32;

impl Hints {
    /// The slot of objects at `node`: theirs if they have one, else the oldest, emptied.
    /// (Another object may take it over while this one is read: a hint is only ever a
    /// guess that is checked, so that costs a comparison, never a wrong answer.)
    fn slot(&mut self, node: u16) -> usize {
        if let Some(slot) = self.slots.iter().position(|(n, _)| *n == node) {
            return slot;
        }
        let slot = self.next;
        self.next = (self.next + 1) % HINTED_OBJECTS;
        if let Some(reused) = self.slots.get_mut(slot) {
            *reused = (node, [0; HINTED_KEYS]);
        }
        slot
    }

    /// Where the `position`-th key was in the property list, last time, in `slot`.
    #[inline]
    fn guess(&self, slot: usize, position: usize) -> Option<usize> {
        let (_, hints) = self.slots.get(slot)?;
        usize::from(*hints.get(position)?).checked_sub(1)
    }

    /// The `position`-th key was property `found`.
    fn learn(&mut self, slot: usize, position: usize, found: usize) {
        if let Some(hint) = self.slots.get_mut(slot).and_then(|(_, hints)| hints.get_mut(position)) {
            *hint = u8::try_from(found + 1).unwrap_or(0);
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in the first byte of `word` that is `"`, `\` or a control
/// character (and possibly in later bytes: only the first is meant).
#[inline]
fn specials(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash
        | word.wrapping_sub(ONES * 0x20) & !word)
        & HIGH
}

impl<'b> Scanner<'b, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.body.get(self.at).copied()
    }

    #[inline]
    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// After an element of an object or array: skip whitespace, then `true`
    /// at the closing `close`, `false` after a `,`.
    #[inline]
    fn closed(&mut self, close: u8) -> Step<bool> {
        self.whitespace();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(false)
            }
            Some(byte) if byte == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(Malformed),
        }
    }

    /// Skip whitespace, then consume `byte` or fail.
    #[inline]
    fn expect(&mut self, byte: u8) -> Step {
        // Compact JSON first: most bodies have no whitespace at all.
        if self.peek() == Some(byte) {
            self.at += 1;
            return Ok(());
        }
        self.whitespace();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        if self.body.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// Open a walked container: serde_json refuses the 128th level.
    fn enter(&mut self) -> Step {
        self.depth += 1;
        if self.depth >= MAX_DEPTH { Err(Malformed) } else { Ok(()) }
    }

    /// One value at schema node `index`, checked. Scalars are handled here, inline in
    /// the loop over an object's entries; containers out of line.
    ///
    /// `segment` is the value's last path segment (its property's name, `*` for an
    /// item), pushed on the walker's path only when a check records something or the
    /// value is a container: most scalars never touch the path.
    #[inline(always)]
    fn value(&mut self, index: u16, segment: Option<&'static str>) -> Step {
        if let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.whitespace();
        }
        match self.peek() {
            Some(b'"') => self.string_value(index, segment),
            Some(b'-' | b'0'..=b'9') => self.number_value(index, segment),
            Some(b'{') => self.within(segment, |s| s.object(index)),
            Some(b'[') => self.within(segment, |s| s.array(index)),
            Some(b't') => self.literal_value(index, segment, b"true", JsonType::Boolean, Value::Bool(true)),
            Some(b'f') => self.literal_value(index, segment, b"false", JsonType::Boolean, Value::Bool(false)),
            Some(b'n') => self.literal_value(index, segment, b"null", JsonType::Null, Value::Null),
            _ => Err(Malformed),
        }
    }

    /// Run `f` with `segment` on the walker's path.
    #[inline]
    fn within<T>(&mut self, segment: Option<&'static str>, f: impl FnOnce(&mut Self) -> T) -> T {
        if let Some(segment) = segment {
            self.walker.path.push(segment);
        }
        let out = f(self);
        if segment.is_some() {
            self.walker.path.pop();
        }
        out
    }

    #[inline(always)]
    fn string_value(&mut self, index: u16, segment: Option<&'static str>) -> Step {
        let string = self.string()?;
        let plain = !string.escaped && string.ascii;
        match self.walker.node(index).map(|node| &node.shape) {
            // The common cases, without the general `pick`: a string where the spec says
            // one, whose text is not needed or is compared with the enum's values as bytes.
            Some(Shape::String { format: None, values: None } | Shape::Any) if plain => Ok(()),
            Some(Shape::String { format: None, values: Some(values) })
                if plain
                    && self
                        .body
                        .get(string.start..string.end)
                        .is_some_and(|bytes| values.iter().any(|v| same(v.as_bytes(), bytes))) =>
            {
                Ok(())
            }
            _ => self.within(segment, |s| s.checked_string(index, string)),
        }
    }

    /// A string at node `index`, every check made (an unlisted value, a format, a type).
    #[inline(never)]
    fn checked_string(&mut self, index: u16, string: Str) -> Step {
        match self.walker.pick(index, JsonType::String, 0) {
            Ok(Node { shape: Shape::String { .. }, .. }) | Err(_) => {
                let text = self.text(string)?;
                self.walker.string(index, &text);
                Ok(())
            }
            Ok(_) => self.validate(string),
        }
    }

    #[inline(always)]
    fn number_value(&mut self, index: u16, segment: Option<&'static str>) -> Step {
        let start = self.at;
        let json = self.number(true)?;
        match self.walker.node(index).map(|node| &node.shape) {
            // Either kind of number is one.
            Some(Shape::Number | Shape::Any) => Ok(()),
            _ => {
                let number = self.body.get(start..self.at).unwrap_or_default();
                self.within(segment, |s| {
                    s.walker.scalar(index, json, || serde_json::from_slice(number).unwrap_or(Value::Null));
                });
                Ok(())
            }
        }
    }

    fn literal_value(
        &mut self,
        index: u16,
        segment: Option<&'static str>,
        word: &[u8],
        json: JsonType,
        value: Value,
    ) -> Step {
        self.literal(word)?;
        self.within(segment, |s| s.walker.scalar(index, json, || value));
        Ok(())
    }

    #[inline(never)]
    fn object(&mut self, index: u16) -> Step {
        self.enter()?;
        self.at += 1;
        match self.walker.pick(index, JsonType::Object, 0) {
            Ok(node @ Node { shape: Shape::Object { properties, required, open }, .. }) => {
                self.properties(index, node, properties, required, *open)?;
            }
            Ok(_) => self.skip_entries()?,
            Err(node) => {
                self.skip_entries()?;
                self.walker.mismatch(node, Observed::of_type(JsonType::Object), None);
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// The entries of a declared object, after its `{`.
    fn properties(
        &mut self,
        index: u16,
        node: &'static Node,
        properties: &'static [(&'static str, u16)],
        required: &'static [&'static str],
        open: bool,
    ) -> Step {
        let mut seen: u64 = 0;
        let mut position = 0;
        let slot = self.hints.slot(index);
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                let key = self.key(slot, position, properties)?;
                position += 1;
                self.expect(b':')?;
                let found = key.as_ref().ok().and_then(|&i| properties.get(i)).copied();
                match found {
                    Some((name, child)) => {
                        if !required.is_empty() {
                            seen |= required_bit(required, name);
                        }
                        self.value(child, Some(name))?;
                    }
                    None if open => {
                        self.skip(Skip::Ignore)?;
                    }
                    None => {
                        let span = self.skip(Skip::Value)?;
                        let value: Value =
                            serde_json::from_slice(self.body.get(span).unwrap_or_default()).map_err(|_| Malformed)?;
                        if let Err(name) = key {
                            self.walker.unknown_property(node, &name, &value);
                        }
                    }
                }
                if self.closed(b'}')? {
                    break;
                }
            }
        }
        if !required.is_empty() {
            self.walker.missing_required(node, required, seen);
        }
        Ok(())
    }

    /// The key of the `position`-th entry of an object (hinted by `slot`), from its quote:
    /// its position in `properties`, or its text if the schema does not declare it.
    #[inline]
    fn key(
        &mut self,
        slot: usize,
        position: usize,
        properties: &'static [(&'static str, u16)],
    ) -> Step<Result<usize, Cow<'b, str>>> {
        self.whitespace();
        // The key the last object at this node had here, compared byte for byte: the
        // items of a list nearly always match, and then the key is not scanned at all.
        if let Some(i) = self.hints.guess(slot, position)
            && let Some(&(name, _)) = properties.get(i)
        {
            let end = self.at + 1 + name.len();
            if self.peek() == Some(b'"')
                && self.body.get(end) == Some(&b'"')
                && self.body.get(self.at + 1..end).is_some_and(|bytes| same(name.as_bytes(), bytes))
            {
                self.at = end + 1;
                return Ok(Ok(i));
            }
        }
        if self.peek() != Some(b'"') {
            return Err(Malformed);
        }
        let key = self.string()?;
        if key.escaped {
            // Compared unescaped.
            let text = self.text(key)?;
            return Ok(property(properties, text.as_bytes()).ok_or(text));
        }
        let bytes = self.body.get(key.start..key.end).unwrap_or_default();
        if !key.ascii {
            std::str::from_utf8(bytes).map_err(|_| Malformed)?;
        }
        match property(properties, bytes) {
            Some(i) => {
                // Only a name whose bytes are its JSON form can be matched as bytes.
                if properties.get(i).is_some_and(|(name, _)| name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'))
                {
                    self.hints.learn(slot, position, i);
                }
                Ok(Ok(i))
            }
            None => Ok(Err(self.text(key)?)),
        }
    }

    /// The entries of an object the schema does not describe, after its `{`: keys
    /// checked as serde_json checks map keys, values skipped.
    fn skip_entries(&mut self) -> Step {
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(());
        }
        loop {
            self.expect(b'"')?;
            self.at -= 1;
            let key = self.string()?;
            self.validate(key)?;
            self.expect(b':')?;
            self.skip(Skip::Ignore)?;
            if self.closed(b'}')? {
                return Ok(());
            }
        }
    }

    #[inline(never)]
    fn array(&mut self, index: u16) -> Step {
        self.enter()?;
        self.at += 1;
        let items = match self.walker.pick(index, JsonType::Array, 0) {
            Ok(Node { shape: Shape::Array { items }, .. }) => Ok(*items),
            Ok(_) => Err(None),
            Err(node) => Err(Some(node)),
        };
        self.whitespace();
        let mut length = 0;
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                let checked = match items {
                    Ok(items) => self.value(items, Some("*")),
                    Err(_) => self.skip(Skip::Ignore).map(drop),
                };
                if checked.is_err() {
                    return Err(Malformed);
                }
                length += 1;
                if self.closed(b']')? {
                    break;
                }
            }
        }
        if let Err(Some(node)) = items {
            self.walker.mismatch(node, Observed { length: Some(length), ..Observed::of_type(JsonType::Array) }, None);
        }
        self.depth -= 1;
        Ok(())
    }

    /// A string from its opening quote: where its content is, whether it has escapes
    /// (checked as serde_json checks an ignored string) or non-ASCII bytes.
    #[inline(always)]
    fn string(&mut self) -> Step<Str> {
        let start = self.at + 1;
        let mut at = start;
        let mut seen: u64 = 0;
        let mut escaped = false;
        loop {
            // Eight bytes at a time up to the first quote, backslash or control character.
            while let Some(chunk) = self.body.get(at..).and_then(<[u8]>::first_chunk::<8>) {
                let word = u64::from_le_bytes(*chunk);
                let found = specials(word);
                if found != 0 {
                    let bits = found.trailing_zeros() & !7;
                    seen |= word & ((1 << bits) - 1);
                    at += (bits / 8) as usize;
                    break;
                }
                seen |= word;
                at += 8;
            }
            match self.body.get(at).copied() {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(Str { start, end: at, escaped, ascii: seen & HIGH == 0 });
                }
                Some(b'\\') => {
                    escaped = true;
                    at = match self.body.get(at + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => at + 2,
                        Some(b'u') => match self.body.get(at + 2..at + 6) {
                            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => at + 6,
                            _ => return Err(Malformed),
                        },
                        _ => return Err(Malformed),
                    };
                }
                Some(0..=0x1f) | None => return Err(Malformed),
                Some(byte) => {
                    seen |= u64::from(byte);
                    at += 1;
                }
            }
        }
    }

    /// A string's text, checked as serde_json checks a string it parses.
    fn text(&self, string: Str) -> Step<Cow<'b, str>> {
        if string.escaped {
            // Rare: let serde_json unescape it (and judge its surrogates).
            let quoted = self.body.get(string.start - 1..string.end + 1).unwrap_or_default();
            serde_json::from_slice::<String>(quoted).map(Cow::Owned).map_err(|_| Malformed)
        } else {
            let bytes = self.body.get(string.start..string.end).unwrap_or_default();
            std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| Malformed)
        }
    }

    /// Check a string as serde_json checks one it parses, without keeping its text.
    fn validate(&self, string: Str) -> Step {
        if string.escaped || !string.ascii { self.text(string).map(drop) } else { Ok(()) }
    }

    /// A number from its first byte; its JSON type as serde_json reports it (an
    /// integer that fits `u64`, or `i64` when negative; anything else is a number).
    /// `checked`: refuse what serde_json refuses when it parses the number (out of
    /// `f64` range), not only what it refuses when it ignores one.
    #[inline(always)]
    fn number(&mut self, checked: bool) -> Step<JsonType> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let first = self.at;
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Malformed);
                }
            }
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(Malformed),
        }
        let integer = first..self.at;
        let mut fraction = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.digits()?;
            fraction = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.digits()?;
            // An `f64` to serde_json, which may be out of range.
            if checked {
                self.in_range(start)?;
            }
            return Ok(JsonType::Number);
        }
        let digits = integer.len();
        if digits < 19 {
            // Fits `u64` and `i64` both; only `-0` is an `f64` to serde_json.
            let zero = self.body.get(integer.start) == Some(&b'0');
            return Ok(if fraction || negative && zero { JsonType::Number } else { JsonType::Integer });
        }
        // Long: serde_json keeps it an integer while it fits `u64` (`i64` when negative).
        let significand = self
            .body
            .get(integer)
            .unwrap_or_default()
            .iter()
            .try_fold(0u64, |n, &digit| n.checked_mul(10)?.checked_add(u64::from(digit.wrapping_sub(b'0'))));
        let Some(significand) = significand else {
            // Past `u64`: an `f64`, which may be out of range.
            if checked {
                self.in_range(start)?;
            }
            return Ok(JsonType::Number);
        };
        Ok(match (fraction, negative) {
            (true, _) => JsonType::Number,
            (false, false) => JsonType::Integer,
            // Below `i64::MIN` is an `f64` to serde_json.
            (false, true) if significand > 1 << 63 => JsonType::Number,
            (false, true) => JsonType::Integer,
        })
    }

    /// One or more digits.
    #[inline]
    fn digits(&mut self) -> Step {
        let first = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        if self.at == first { Err(Malformed) } else { Ok(()) }
    }

    /// The number from `start` to here is within serde_json's `f64` range (rare: only
    /// numbers with an exponent or past `u64` get here).
    fn in_range(&self, start: usize) -> Step {
        let text = self.body.get(start..self.at).unwrap_or_default();
        serde_json::from_slice::<f64>(text).map(drop).map_err(|_| Malformed)
    }

    /// Skip one value without checking it against the schema; returns where it is.
    /// Iterative: nesting costs a bit of `frames`, not stack.
    fn skip(&mut self, how: Skip) -> Step<Range<usize>> {
        self.whitespace();
        let start = self.at;
        self.frames.clear();
        loop {
            // A value.
            self.whitespace();
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => {
                    // A `Value` is parsed afterwards, which checks the range.
                    self.number(false)?;
                }
                Some(open @ (b'[' | b'{')) => {
                    if how == Skip::Value && self.depth + self.frames.len() + 1 >= MAX_DEPTH {
                        return Err(Malformed);
                    }
                    self.at += 1;
                    let object = open == b'{';
                    self.frames.push(object);
                    self.whitespace();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() != Some(close) {
                        if object {
                            self.skipped_key()?;
                        }
                        continue;
                    }
                    self.at += 1;
                    self.frames.pop();
                }
                _ => return Err(Malformed),
            }
            // After a value: close containers until one has a next value.
            loop {
                let Some(&object) = self.frames.last() else { return Ok(start..self.at) };
                self.whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.at += 1;
                        if object {
                            self.skipped_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {}
                    Some(b']') if !object => {}
                    _ => return Err(Malformed),
                }
                self.at += 1;
                self.frames.pop();
            }
        }
    }

    /// A skipped object's key and its colon.
    fn skipped_key(&mut self) -> Step {
        self.expect(b'"')?;
        self.at -= 1;
        self.string()?;
        self.expect(b':')
    }
}
