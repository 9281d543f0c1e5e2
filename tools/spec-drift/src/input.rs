//! Reading findings: JSON Lines files as `zoom_billing::drift` writes them.
//!
//! The format is parsed here on its own (this crate does not depend on the
//! client), strictly: a line that is not a finding stops the command with its
//! file and line, rather than being skipped and silently changing the proposal.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One line of a findings file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The operationId.
    pub operation: String,
    /// Where in the body (`/invoices/*/status`).
    pub pointer: String,
    /// `unknown_property`, `missing_required`, `unlisted_value`, `type_differs` or `format_differs`.
    pub kind: Kind,
    /// JSON pointer of the spec schema concerned.
    pub schema: String,
    /// What the spec declares, when the kind does not imply it.
    #[serde(default)]
    pub expected: Option<String>,
    /// The observed shape (`{"type": "string", "length": 6}`).
    pub observed: Value,
    /// An open enum's unlisted value.
    #[serde(default)]
    pub value: Option<String>,
    /// A redacted sample (ignored here).
    #[serde(default)]
    pub sample: Option<Value>,
    /// RFC 3339 time of the first sighting.
    pub first_seen: String,
    /// Sightings this line stands for.
    pub count: u64,
}

/// The kinds of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A property the spec does not list.
    UnknownProperty,
    /// A required property that was absent.
    MissingRequired,
    /// A value an open enum does not list.
    UnlistedValue,
    /// Another JSON type than the spec's.
    TypeDiffers,
    /// A string not in the spec's format.
    FormatDiffers,
}

impl Kind {
    /// The name used in files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnknownProperty => "unknown_property",
            Kind::MissingRequired => "missing_required",
            Kind::UnlistedValue => "unlisted_value",
            Kind::TypeDiffers => "type_differs",
            Kind::FormatDiffers => "format_differs",
        }
    }
}

/// A findings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a finding.
    #[error("{file}:{line}: not a drift finding: {message}")]
    Malformed {
        /// The file as named on the command line.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Parse the text of one findings file; `file` names it in errors. Blank lines are allowed.
pub fn read_lines(file: &str, text: &str) -> Result<Vec<Record>, InputError> {
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |message: String| InputError::Malformed { file: file.to_owned(), line: index + 1, message };
        let record: Record = serde_json::from_str(line).map_err(|e| malformed(e.to_string()))?;
        if !record.pointer.is_empty() && !record.pointer.starts_with('/') {
            return Err(malformed(format!("`pointer` {:?} is not a JSON pointer", record.pointer)));
        }
        if !record.schema.starts_with('/') {
            return Err(malformed(format!("`schema` {:?} is not a JSON pointer into the spec", record.schema)));
        }
        if record.count == 0 {
            return Err(malformed("`count` is 0".to_owned()));
        }
        if !looks_like_rfc3339(&record.first_seen) {
            return Err(malformed(format!("`first_seen` {:?} is not an RFC 3339 time", record.first_seen)));
        }
        if record.kind == Kind::UnlistedValue && record.value.is_none() {
            return Err(malformed("an `unlisted_value` finding has no `value`".to_owned()));
        }
        records.push(record);
    }
    Ok(records)
}

fn looks_like_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 20
        && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
        && matches!(b[10], b'T' | b't')
}

/// Read and parse every file, in order.
pub fn read_files(files: &[impl AsRef<Path>]) -> Result<Vec<Record>, InputError> {
    let mut all = Vec::new();
    for path in files {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| InputError::Read { path: path.to_owned(), source })?;
        all.extend(read_lines(&path.display().to_string(), &text)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"operation":"list_billing_invoices","pointer":"/invoices/*/status","kind":"unlisted_value","schema":"/components/schemas/InvoiceStatus","observed":{"type":"string","length":4},"value":"Paid","first_seen":"2026-11-24T15:00:00.123Z","count":2}"#;

    #[test]
    fn good_lines_parse_and_bad_ones_name_their_line() {
        let records = read_lines("a.jsonl", &format!("{GOOD}\n\n{GOOD}\n")).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].value.as_deref(), Some("Paid"));

        let err = read_lines("a.jsonl", &format!("{GOOD}\n{{\"operation\": 1}}\n")).unwrap_err().to_string();
        assert!(err.starts_with("a.jsonl:2: not a drift finding"), "{err}");
        let err = read_lines("b.jsonl", &GOOD.replace("\"count\":2", "\"count\":0")).unwrap_err().to_string();
        assert!(err.starts_with("b.jsonl:1:") && err.contains("count"), "{err}");
        let err = read_lines("c.jsonl", &GOOD.replace("2026-11-24T", "yesterday ")).unwrap_err().to_string();
        assert!(err.contains("first_seen"), "{err}");
        let err = read_lines("d.jsonl", "not json\n").unwrap_err().to_string();
        assert!(err.starts_with("d.jsonl:1:"), "{err}");
    }
}
