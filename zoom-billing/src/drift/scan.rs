//! A byte scanner over a JSON body, driven by the compiled schema.
//!
//! It reads only what a check needs: a value's JSON type from its first byte,
//! strings skipped eight bytes at a time (their text is read only for an open
//! enum, a format or a type to report), numbers classified as integer or not
//! without building an `f64`, and subtrees the schema does not describe
//! skipped without being checked. It accepts exactly what the serde walker it
//! replaced accepted (serde_json's grammar, its nesting limit, its string and
//! number validation where values were parsed, its laxer skipping where they
//! were ignored): `scan::tests` holds both to the same findings, and
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
use super::walk::{Walker, property, required_bit};

/// serde_json's nesting limit: a body whose walked containers nest this deep is malformed.
const MAX_DEPTH: usize = 128;

/// The body is not JSON (or not JSON serde_json accepts): record nothing.
struct Malformed;

type Step<T = ()> = Result<T, Malformed>;

/// Walk `body` from node `root`, recording into `walker`; `false` if the body is malformed.
pub(crate) fn scan(walker: &mut Walker, root: u16, body: &[u8]) -> bool {
    let mut scanner = Scanner { body, at: 0, depth: 0, walker, frames: Vec::new() };
    scanner.value(root).is_ok() && {
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

struct Scanner<'b, 'w> {
    body: &'b [u8],
    at: usize,
    /// Containers open on the walked path (and inside a `Skip::Value`).
    depth: usize,
    walker: &'w mut Walker,
    /// Open containers of a skipped value (`true` for an object); reused.
    frames: Vec<bool>,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// High bit set in the first byte of `word` that is `"`, `\` or a control
/// character (and possibly in later bytes: only the first is meant).
#[inline]
fn specials(word: u64) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (quote.wrapping_sub(ONES) & !quote | backslash.wrapping_sub(ONES) & !backslash | word.wrapping_sub(ONES * 0x20) & !word)
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

    /// Skip whitespace, then consume `byte` or fail.
    #[inline]
    fn expect(&mut self, byte: u8) -> Step {
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

    /// One value at schema node `node`, checked.
    fn value(&mut self, node: u16) -> Step {
        self.whitespace();
        let start = self.at;
        match self.peek() {
            Some(b'{') => self.object(node),
            Some(b'[') => self.array(node),
            Some(b'"') => {
                let string = self.string()?;
                if self.walker.wants_text(node) {
                    let text = self.text(string)?;
                    self.walker.string(node, &text);
                    Ok(())
                } else {
                    self.validate(string)
                }
            }
            Some(b't') => {
                self.literal(b"true")?;
                self.walker.scalar(node, JsonType::Boolean, || Value::Bool(true));
                Ok(())
            }
            Some(b'f') => {
                self.literal(b"false")?;
                self.walker.scalar(node, JsonType::Boolean, || Value::Bool(false));
                Ok(())
            }
            Some(b'n') => {
                self.literal(b"null")?;
                self.walker.scalar(node, JsonType::Null, || Value::Null);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let json = self.number(true)?;
                let number = self.body.get(start..self.at).unwrap_or_default();
                self.walker.scalar(node, json, || serde_json::from_slice(number).unwrap_or(Value::Null));
                Ok(())
            }
            _ => Err(Malformed),
        }
    }

    fn object(&mut self, index: u16) -> Step {
        self.enter()?;
        self.at += 1;
        match self.walker.pick(index, JsonType::Object, 0) {
            Ok(node @ Node { shape: Shape::Object { properties, required, open }, .. }) => {
                self.properties(node, properties, required, *open)?;
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
        node: &'static Node,
        properties: &'static [(&'static str, u16)],
        required: &'static [&'static str],
        open: bool,
    ) -> Step {
        let mut seen: u64 = 0;
        self.whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.expect(b'"')?;
                self.at -= 1;
                let key = self.string()?;
                self.expect(b':')?;
                // An escaped key is compared unescaped; others as they are.
                let (found, unescaped) = if key.escaped {
                    let text = self.text(key)?;
                    (property(properties, text.as_bytes()), Some(text))
                } else {
                    let bytes = self.body.get(key.start..key.end).unwrap_or_default();
                    if !key.ascii {
                        std::str::from_utf8(bytes).map_err(|_| Malformed)?;
                    }
                    (property(properties, bytes), None)
                };
                match found {
                    Some((name, child)) => {
                        seen |= required_bit(required, name);
                        self.walker.path.push(name);
                        let checked = self.value(child);
                        self.walker.path.pop();
                        checked?;
                    }
                    None if open => {
                        self.skip(Skip::Ignore)?;
                    }
                    None => {
                        let span = self.skip(Skip::Value)?;
                        let value: Value =
                            serde_json::from_slice(self.body.get(span).unwrap_or_default()).map_err(|_| Malformed)?;
                        let name = match unescaped {
                            Some(text) => text,
                            None => self.text(key)?,
                        };
                        self.walker.unknown_property(node, &name, &value);
                    }
                }
                self.whitespace();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Malformed),
                }
            }
        }
        self.walker.missing_required(node, required, seen);
        Ok(())
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
            self.whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Malformed),
            }
        }
    }

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
            if items.is_ok() {
                self.walker.path.push("*");
            }
            loop {
                let checked = match items {
                    Ok(items) => self.value(items),
                    Err(_) => self.skip(Skip::Ignore).map(drop),
                };
                if checked.is_err() {
                    return Err(Malformed);
                }
                length += 1;
                self.whitespace();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(Malformed),
                }
            }
            if items.is_ok() {
                self.walker.path.pop();
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
    fn number(&mut self, checked: bool) -> Step<JsonType> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let mut significand: Option<u64> = Some(0);
        match self.peek() {
            Some(b'0') => {
                self.at += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(Malformed);
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    significand = significand.and_then(|s| s.checked_mul(10)?.checked_add(u64::from(digit - b'0')));
                    self.at += 1;
                }
            }
            _ => return Err(Malformed),
        }
        let mut fraction = false;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.digits()?;
            fraction = true;
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.digits()?;
            exponent = true;
        }
        let Some(significand) = significand else {
            // Past `u64`: serde_json makes it an `f64`, which may be out of range.
            if checked {
                self.in_range(start)?;
            }
            return Ok(JsonType::Number);
        };
        if exponent {
            if checked {
                self.in_range(start)?;
            }
            return Ok(JsonType::Number);
        }
        Ok(match (fraction, negative) {
            (true, _) => JsonType::Number,
            (false, false) => JsonType::Integer,
            // `-0` is an `f64` to serde_json, and so is anything below `i64::MIN`.
            (false, true) if significand == 0 || significand > 1 << 63 => JsonType::Number,
            (false, true) => JsonType::Integer,
        })
    }

    /// One or more digits.
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
                            self.key()?;
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
                            self.key()?;
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
    fn key(&mut self) -> Step {
        self.expect(b'"')?;
        self.at -= 1;
        self.string()?;
        self.expect(b':')
    }
}
