//! Merging findings from many runs and machines: one entry per change the
//! spec would need, with the earliest first sighting and the total count.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::input::{Kind, Record};

/// Findings that call for the same spec change.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// What differs.
    pub kind: Kind,
    /// JSON pointer of the spec schema concerned.
    pub schema: String,
    /// The property name (unknown or missing property), the value (unlisted
    /// value), or the body pointer (type or format).
    pub subject: String,
    /// Operations it was seen in.
    pub operations: BTreeSet<String>,
    /// Body pointers it was seen at.
    pub pointers: BTreeSet<String>,
    /// What the spec declares, when given.
    pub expected: Option<String>,
    /// Distinct observed shapes.
    pub observed: Vec<Value>,
    /// Earliest first sighting (RFC 3339).
    pub first_seen: String,
    /// Total sightings.
    pub count: u64,
}

impl Merged {
    /// The first-seen date (`yyyy-mm-dd`).
    pub fn first_seen_date(&self) -> &str {
        self.first_seen.get(..10).unwrap_or(&self.first_seen)
    }
}

/// The last segment of a JSON pointer, unescaped.
pub fn last_segment(pointer: &str) -> String {
    pointer.rsplit('/').next().unwrap_or_default().replace("~1", "/").replace("~0", "~")
}

/// Merge records; the result is sorted by kind, schema and subject.
pub fn merge(records: &[Record]) -> Vec<Merged> {
    let mut merged: BTreeMap<(Kind, String, String), Merged> = BTreeMap::new();
    for record in records {
        let subject = match record.kind {
            Kind::UnknownProperty | Kind::MissingRequired => last_segment(&record.pointer),
            Kind::UnlistedValue => record.value.clone().unwrap_or_default(),
            Kind::TypeDiffers | Kind::FormatDiffers => record.pointer.clone(),
        };
        let entry = merged.entry((record.kind, record.schema.clone(), subject.clone())).or_insert_with(|| Merged {
            kind: record.kind,
            schema: record.schema.clone(),
            subject,
            operations: BTreeSet::new(),
            pointers: BTreeSet::new(),
            expected: record.expected.clone(),
            observed: Vec::new(),
            first_seen: record.first_seen.clone(),
            count: 0,
        });
        entry.operations.insert(record.operation.clone());
        entry.pointers.insert(record.pointer.clone());
        if !entry.observed.contains(&record.observed) {
            entry.observed.push(record.observed.clone());
        }
        // RFC 3339 times in UTC compare as text.
        if record.first_seen < entry.first_seen {
            entry.first_seen = record.first_seen.clone();
        }
        entry.count = entry.count.saturating_add(record.count);
    }
    merged.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::read_lines;

    #[test]
    fn counts_add_up_and_the_earliest_sighting_wins() {
        let line = |seen: &str, count: u64, op: &str| {
            format!(
                r#"{{"operation":"{op}","pointer":"/invoices/*/payment_terms","kind":"unknown_property","schema":"/components/schemas/InvoiceSummary","observed":{{"type":"string","length":6}},"first_seen":"{seen}","count":{count}}}"#
            )
        };
        let text = [line("2026-11-24T10:00:00Z", 3, "a"), line("2026-11-20T10:00:00Z", 4, "b")].join("\n");
        let merged = merge(&read_lines("x", &text).unwrap());
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].subject, "payment_terms");
        assert_eq!(merged[0].count, 7);
        assert_eq!(merged[0].first_seen_date(), "2026-11-20");
        assert_eq!(merged[0].operations.len(), 2);
        assert_eq!(merged[0].observed.len(), 1);
    }
}
