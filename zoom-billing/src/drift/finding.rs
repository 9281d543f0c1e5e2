//! Findings and the bounded store that merges them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::privacy::Observed;
use super::walk::Raw;

/// What differs between a response and the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// An object has a property the spec does not list.
    UnknownProperty,
    /// A property the spec marks required is absent.
    MissingRequired,
    /// A string of an open enum (`x-extensible-enum`) has a value the spec does not list.
    UnlistedValue,
    /// The JSON type is not the one the spec declares (including `null` where not nullable).
    TypeDiffers,
    /// A string does not have the spec's `format` (`date`, `date-time`).
    FormatDiffers,
}

impl FindingKind {
    /// The name used in JSON Lines and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UnknownProperty => "unknown_property",
            FindingKind::MissingRequired => "missing_required",
            FindingKind::UnlistedValue => "unlisted_value",
            FindingKind::TypeDiffers => "type_differs",
            FindingKind::FormatDiffers => "format_differs",
        }
    }
}

/// One way in which responses of one operation differ from the spec, with
/// how often it was seen. This is also one line of the JSON Lines sink
/// (there, `count` is the number of sightings since the previous line for
/// the same finding; `cargo xtask spec-drift` adds them up).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// The operationId (`list_billing_invoices`).
    pub operation: String,
    /// Where in the body, as a JSON pointer whose array indices are `*`
    /// (`/invoices/*/status`): one finding for every item of a list.
    pub pointer: String,
    /// What differs.
    pub kind: FindingKind,
    /// JSON pointer of the spec schema concerned (the object that lacks the
    /// property, the enum, the schema whose type differs).
    pub schema: String,
    /// What the spec declares (`number`, `date`), when that is not implied by the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The shape of what came: type, length, what it looks like; never the value.
    pub observed: Observed,
    /// The unlisted value of an open enum (vocabulary such as `Paid`; redacted
    /// when it looks personal or secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A redacted sample, only when the program opted in to samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Value>,
    /// When it was first seen by this observer.
    pub first_seen: DateTime<Utc>,
    /// How many times it was seen (every list item counts).
    pub count: u64,
}

/// Identity of a finding: one entry per operation, pointer, kind and enum value.
pub(crate) type Key = (&'static str, String, FindingKind, Option<String>);

pub(crate) struct Entry {
    pub(crate) finding: Finding,
    /// Sightings not yet written to the JSON Lines file.
    pub(crate) unwritten: u64,
}

/// Distinct findings, at most `capacity`; sightings of others are only counted.
pub(crate) struct Store {
    entries: HashMap<Key, Entry>,
    capacity: usize,
    pub(crate) dropped: u64,
}

impl Store {
    pub(crate) fn new(capacity: usize) -> Self {
        Store { entries: HashMap::new(), capacity, dropped: 0 }
    }

    /// Merge the findings of one body; returns those seen for the first time.
    pub(crate) fn merge(&mut self, operation: &'static str, raws: Vec<Raw>, now: DateTime<Utc>) -> Vec<Finding> {
        let mut new = Vec::new();
        for raw in raws {
            let key = (operation, raw.pointer, raw.kind, raw.value);
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.finding.count += raw.count;
                entry.unwritten += raw.count;
                continue;
            }
            if self.entries.len() >= self.capacity {
                self.dropped += raw.count;
                continue;
            }
            let (_, pointer, kind, value) = key.clone();
            let finding = Finding {
                operation: operation.to_owned(),
                pointer,
                kind,
                schema: raw.schema.to_owned(),
                expected: raw.expected,
                observed: raw.observed,
                value,
                sample: raw.sample,
                first_seen: now,
                count: raw.count,
            };
            new.push(finding.clone());
            // The first sighting is written when it is reported; later ones on flush.
            self.entries.insert(key, Entry { finding, unwritten: 0 });
        }
        new
    }

    /// Every finding, sorted by operation, pointer and kind.
    pub(crate) fn all(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self.entries.values().map(|e| e.finding.clone()).collect();
        all.sort_by(|a, b| {
            (&a.operation, &a.pointer, a.kind, &a.value).cmp(&(&b.operation, &b.pointer, b.kind, &b.value))
        });
        all
    }

    /// Findings seen since they were last written, with `count` set to those sightings;
    /// they count as written afterwards.
    pub(crate) fn take_unwritten(&mut self) -> Vec<Finding> {
        let mut out = Vec::new();
        for entry in self.entries.values_mut().filter(|e| e.unwritten > 0) {
            let mut finding = entry.finding.clone();
            finding.count = entry.unwritten;
            entry.unwritten = 0;
            out.push(finding);
        }
        out
    }
}
