//! The byte scanner against the serde walker it replaced (`oracle`): the same
//! findings on generated bodies, valid or broken, and no panic on any bytes.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::finding::FindingKind;
use super::oracle;
use super::schema::{Node, Shape, StringFormat};
use super::walk::{Raw, Walker};
use crate::generated::schemas::{self, NODES};
use crate::metadata::Operation;

/// A table with what the spec's lacks today (required properties, formats), a
/// `oneOf`, an open object and a cycle; its root is node 0.
static TEST_NODES: [Node; 12] = [
    Node {
        at: "/t/root",
        nullable: false,
        shape: Shape::Object {
            properties: &[("children", 1), ("due", 2), ("id", 3), ("kind", 4), ("meta", 5), ("n", 6), ("when", 7)],
            required: &["id", "kind", "when"],
            open: false,
        },
    },
    Node { at: "/t/children", nullable: true, shape: Shape::Array { items: 0 } },
    Node { at: "/t/due", nullable: false, shape: Shape::String { format: Some(StringFormat::Date), values: None } },
    Node { at: "/t/id", nullable: false, shape: Shape::OneOf(&[8, 9]) },
    Node { at: "/t/kind", nullable: false, shape: Shape::String { format: None, values: Some(&["a", "b\"c"]) } },
    Node {
        at: "/t/meta",
        nullable: false,
        shape: Shape::Object { properties: &[("x", 10)], required: &[], open: true },
    },
    Node { at: "/t/n", nullable: true, shape: Shape::Number },
    Node {
        at: "/t/when",
        nullable: false,
        shape: Shape::String { format: Some(StringFormat::DateTime), values: None },
    },
    Node { at: "/t/id/0", nullable: false, shape: Shape::Integer },
    Node { at: "/t/id/1", nullable: false, shape: Shape::String { format: None, values: None } },
    Node { at: "/t/meta/x", nullable: false, shape: Shape::Boolean },
    Node { at: "/t/any", nullable: false, shape: Shape::Any },
];

/// Every JSON operation's `(table, root)`, and the test table's.
fn roots() -> Vec<(&'static [Node], u16)> {
    let mut roots: Vec<u16> = Operation::ALL.iter().filter_map(|&op| schemas::response_root(op)).collect();
    roots.sort_unstable();
    roots.dedup();
    let mut out: Vec<(&'static [Node], u16)> = roots.into_iter().map(|r| (&NODES[..], r)).collect();
    out.push((&TEST_NODES, 0));
    out
}

fn both((nodes, root): (&'static [Node], u16), body: &[u8], samples: bool) -> (Vec<Raw>, Vec<Raw>) {
    let scanned = Walker::new(nodes, samples).walk(root, body);
    let parsed = oracle::walk(&mut Walker::new(nodes, samples), root, body);
    (scanned, parsed)
}

/// A small deterministic generator (xorshift), so one proptest seed is one body.
struct Gen {
    nodes: &'static [Node],
    state: u64,
    /// Arbitrary JSON to put where the schema is not followed.
    extras: Vec<Value>,
}

impl Gen {
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn extra(&mut self) -> Value {
        if self.extras.is_empty() {
            return Value::Null;
        }
        let i = self.below(self.extras.len());
        self.extras[i].clone()
    }

    /// One of the items of `array`.
    fn pick(&mut self, array: Value) -> Value {
        let Value::Array(items) = array else { return array };
        let i = self.below(items.len());
        items[i].clone()
    }

    /// A value for node `index`: mostly what the spec says, sometimes not.
    fn value(&mut self, index: u16, depth: usize) -> Value {
        let node: &Node = &self.nodes[usize::from(index)];
        if self.one_in(20) {
            return self.extra();
        }
        if node.nullable && self.one_in(8) {
            return Value::Null;
        }
        match node.shape {
            Shape::Any => self.extra(),
            Shape::Object { properties, required, .. } => {
                let mut map = Map::new();
                if depth < 8 {
                    for &(name, child) in properties {
                        let keep = if required.contains(&name) { !self.one_in(25) } else { !self.one_in(4) };
                        if keep {
                            map.insert(name.to_owned(), self.value(child, depth + 1));
                        }
                    }
                }
                if self.one_in(6) {
                    let names = ["payment_terms", "plan_united", "st\"a/t~us", "é", "", "status"];
                    let name = names[self.below(names.len())].to_owned();
                    map.insert(name, self.extra());
                }
                Value::Object(map)
            }
            Shape::Array { items } => {
                let n = if depth < 8 { self.below(4) } else { 0 };
                Value::Array((0..n).map(|_| self.value(items, depth + 1)).collect())
            }
            Shape::String { format, values } => {
                if let Some(values) = values
                    && !values.is_empty()
                    && !self.one_in(5)
                {
                    return Value::String(values[self.below(values.len())].to_owned());
                }
                let texts = match format {
                    Some(StringFormat::Date) => &["2020-08-07", "2020-13-01", "08/07/2020", "2020-08-07T10:00:00Z"][..],
                    Some(StringFormat::DateTime) => {
                        &["2020-08-07T10:00:00Z", "2020-08-07T10:00:00+02:00", "2020-08-07"][..]
                    }
                    None => {
                        &["Paid", "Net 30", "jane@example.com", "x\u{1F600}y", "tab\there", "q6gBJVO5TzexKYTb_I2rpg"][..]
                    }
                };
                Value::String(texts[self.below(texts.len())].to_owned())
            }
            Shape::Integer => self.pick(json!([0, -1, 2039, u64::MAX, i64::MIN, 1.5, "12"])),
            Shape::Number => self.pick(json!([0, 20.39, -0.5, 1e300, -7, "20.39"])),
            Shape::Boolean => self.pick(json!([true, false, "true"])),
            Shape::OneOf(alternatives) if !alternatives.is_empty() => {
                let pick = alternatives[self.below(alternatives.len())];
                self.value(pick, depth + 1)
            }
            Shape::OneOf(_) => self.extra(),
        }
    }
}

/// Any JSON, with strings that need escapes and numbers of every kind.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[a-z\"\\\\/\u{0}-\u{1f}é\u{1F600} ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_\"é]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A generated body for one of the operations: `(root, bytes)`.
fn body() -> impl Strategy<Value = ((&'static [Node], u16), Vec<u8>)> {
    let roots = roots();
    (0..roots.len(), any::<u64>(), proptest::collection::vec(arbitrary_json(), 0..6), 0..3u8).prop_map(
        move |(which, seed, extras, layout)| {
            let root = roots[which];
            let value = Gen { nodes: root.0, state: seed | 1, extras }.value(root.1, 0);
            let bytes = match layout {
                0 => serde_json::to_vec(&value),
                1 => serde_json::to_vec_pretty(&value),
                _ => serde_json::to_vec(&value).map(|b| [b" \r\n\t".as_slice(), &b, b"\n"].concat()),
            };
            (root, bytes.unwrap_or_default())
        },
    )
}

/// Ways to break a body: cut it, or put a byte that matters to JSON somewhere.
fn broken(bytes: &[u8], at: usize, edit: u8, byte: u8) -> Vec<u8> {
    let at = at % (bytes.len() + 1);
    let interesting = b"\"\\{}[],:0-.eE+tfnu \x00\x1f\x7f\xff\xc3\xa9\xed";
    let byte = interesting[usize::from(byte) % interesting.len()];
    let mut out = bytes.to_vec();
    match edit % 4 {
        0 => out.truncate(at),
        1 => out.insert(at, byte),
        2 if at < out.len() => {
            out.remove(at);
        }
        _ if at < out.len() => out[at] = byte,
        _ => out.push(byte),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_scanner_finds_what_the_serde_walker_finds((root, bytes) in body(), samples in any::<bool>()) {
        let (scanned, parsed) = both(root, &bytes, samples);
        prop_assert_eq!(scanned, parsed, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn on_broken_bodies_too(
        (root, bytes) in body(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..3),
    ) {
        let mut bytes = bytes;
        for (at, edit, byte) in edits {
            bytes = broken(&bytes, at, edit, byte);
        }
        let (scanned, parsed) = both(root, &bytes, true);
        prop_assert_eq!(scanned, parsed, "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn any_bytes_are_scanned_without_panic(
        which in 0..16usize,
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            proptest::collection::vec(
                prop_oneof![Just(&b"{\"invoices\":["[..]), Just(&b"\"\\u"[..]), Just(&b"[{"[..]), Just(&b"1e9"[..]),
                    Just(&b"\"status\":"[..]), Just(&b","[..]), Just(&b"}]"[..]), Just(&b"\"a\\\"b\""[..])],
                0..40,
            ).prop_map(|parts| parts.concat()),
        ],
    ) {
        let roots = roots();
        let root = roots[which % roots.len()];
        let (scanned, parsed) = both(root, &bytes, true);
        prop_assert_eq!(scanned, parsed);
    }
}

/// The generator reaches every kind of finding (else the agreement above proves little).
#[test]
fn generated_bodies_hold_every_kind_of_finding() {
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 1..200u64 {
        for (nodes, root) in roots() {
            let extras = vec![json!({"a": [1, "x"]}), json!("text"), json!(2.5), json!(null)];
            let value = Gen { nodes, state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, extras }.value(root, 0);
            let bytes = serde_json::to_vec(&value).unwrap();
            kinds.extend(Walker::new(nodes, false).walk(root, &bytes).into_iter().map(|raw| raw.kind));
        }
    }
    let all = [
        FindingKind::UnknownProperty,
        FindingKind::MissingRequired,
        FindingKind::UnlistedValue,
        FindingKind::TypeDiffers,
        FindingKind::FormatDiffers,
    ];
    assert_eq!(kinds, all.into_iter().collect());
}

fn invoices_root() -> (&'static [Node], u16) {
    (&NODES, schemas::response_root(Operation::ListBillingInvoices).unwrap())
}

/// Nesting: serde_json's limit of 128 where values are walked or parsed, none where
/// they are skipped; deep bodies neither recurse nor overflow.
#[test]
fn nesting_is_bounded_as_serde_json_bounds_it() {
    let root = invoices_root();
    for depth in [1, 100, 126, 127, 128, 129, 200, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let bodies = [
            nested.clone(),
            format!(r#"{{"invoices":[{{"id":{nested}}}]}}"#),
            format!(r#"{{"invoices":[],"unknown":{nested}}}"#),
            format!(r#"{{"invoices":[],"currency":{nested}}}"#),
            "[".repeat(depth),
            "{\"a\":".repeat(depth),
        ];
        for body in bodies {
            let (scanned, parsed) = both(root, body.as_bytes(), true);
            assert_eq!(scanned, parsed, "depth {depth}: {}", &body[..body.len().min(80)]);
        }
    }
    // Walked all the way down: the test table's `children` nest two containers a level.
    // `{"z":1}` inside: 2n + 1 containers; `[]` inside: 2n. Each is drift (`z`, missing `id`).
    for levels in [60, 62, 63, 64, 65, 70, 50_000] {
        for (inside, containers) in [(r#"{"z":1}"#, 2 * levels + 1), ("", 2 * levels)] {
            let body = format!("{}{inside}{}", r#"{"children":["#.repeat(levels), "]}".repeat(levels));
            let (scanned, parsed) = both((&TEST_NODES, 0), body.as_bytes(), false);
            assert_eq!(scanned, parsed, "{containers} containers");
            assert_eq!(scanned.is_empty(), containers >= 128, "{containers} containers");
        }
    }
}

/// Cases the generator rarely hits: escaped keys, every number form, strings that
/// are not valid UTF-8 or have lone surrogates, where they are checked and where not.
#[test]
fn edge_cases_agree() {
    let root = invoices_root();
    let cases: &[&[u8]] = &[
        br#"{"invoices":[{"st\u0061tus":"Paid","\u00e9":1,"a\"b":2}]}"#,
        br#"{"invoices":[{"status":"P\u00e4id"}],"x\/y":"\ud83d\ude00"}"#,
        br#"{"invoices":[{"status":"\ud800"}]}"#,
        br#"{"invoices":[{"id":"\ud800"}]}"#,
        br#"{"invoices":[],"zz":"\ud800"}"#,
        br#"{"invoices":[{"total_amount":-0},{"total_amount":-9223372036854775808},{"total_amount":-9223372036854775809}]}"#,
        br#"{"invoices":[{"total_amount":18446744073709551615},{"total_amount":18446744073709551616},{"total_amount":1e400}]}"#,
        br#"{"invoices":[{"balance":1.0E+2,"tax_amount":1e-400,"total_amount":0.000000000000000000000000001}]}"#,
        br#"{"invoices":[{"balance":01}]}"#,
        br#"{"invoices":[{"balance":1.}]}"#,
        br#"{"invoices":[{"balance":-}]}"#,
        br#"{"invoices":[],"zz":[1e400]}"#,
        br#"{"invoices":[],"zz":{"a":1e400}}"#,
        b"{\"invoices\":[],\"zz\":\"\xff\"}",
        b"{\"invoices\":[{\"id\":\"\xff\"}]}",
        b"{\"invoices\":[{\"status\":\"\xc3\xa9\"}]}",
        b"{\"invoices\":[{\"\xff\":1}]}",
        b"{\"invoices\":[],\"currency\":{\"a\":\"\xff\"}}",
        b"{\"invoices\":[],\"currency\":[\"\xff\"]}",
        b"{\"invoices\":[],\"currency\":{\"\xff\":1}}",
        b"{\"invoices\":[],\"currency\":{\"\\ud800\":1}}",
        b"{\"invoices\":[{\"id\":\"a\tb\"}]}",
        br#"{"invoices":[1,]}"#,
        br#"{"invoices":[],}"#,
        br#"{"invoices":[]} x"#,
        b" {\"invoices\" : [ { \"status\" : \"Paid\" } ] } \n",
        b"",
        b"nul",
        b"\"abc",
        br#""\u12""#,
    ];
    for body in cases {
        for samples in [false, true] {
            let (scanned, parsed) = both(root, body, samples);
            assert_eq!(scanned, parsed, "{}", String::from_utf8_lossy(body));
        }
    }
    let test_cases: &[&[u8]] = &[
        br#"{"id":-0,"kind":"a","when":"2020-08-07T10:00:00Z"}"#,
        br#"{"id":-9223372036854775808,"kind":"b\"c","when":"2020-08-07T10:00:00Z","due":"2020-08-07"}"#,
        br#"{"id":-9223372036854775809,"kind":"zz","when":"2020-08-07","due":"2020-08-07T10:00:00Z"}"#,
        br#"{"id":18446744073709551616,"kind":"a","when":"x","n":null,"children":null,"meta":{"y":1e400}}"#,
        br#"{"id":1.0,"meta":{"x":"s","y":[]}}"#,
        br#"{"children":[{"id":"x","kind":"a","when":"2020-08-07T10:00:00+02:00"}],"id":1,"id":"2"}"#,
    ];
    for body in test_cases {
        let (scanned, parsed) = both((&TEST_NODES, 0), body, true);
        assert_eq!(scanned, parsed, "{}", String::from_utf8_lossy(body));
    }
    // And the scanner does find things in the well-formed ones.
    let (found, _) = both(root, cases[0], false);
    assert!(found.iter().any(|raw| raw.kind == FindingKind::UnlistedValue && raw.pointer == "/invoices/*/status"));
}
