//! What a job's journal holds for one request, and how it is written in the
//! store: `I` (intent: sent, no answer recorded) or `D` (done) followed by
//! JSON. Read back from a store, which may hold anything: a value this
//! version cannot read is a typed error, never a panic.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::shared::MAX_ENTRY;

/// One request's entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A creating request was sent at `at` and no answer was recorded.
    Sent { at: DateTime<Utc> },
    /// The request succeeded.
    Done(Done),
}

/// A request that succeeded: what is kept of its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Done {
    /// Zoom's answer, replayed as it came.
    Answer {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
        body: String,
    },
    /// An answer too large to keep ([`MAX_ENTRY`]): the request is done, its
    /// answer cannot be replayed.
    Unkept { status: u16, size: u64 },
    /// A download saved to a file.
    Saved { size: u64, sha256: String },
    /// Settled by the program after an unknown outcome: it did not take effect
    /// (the entry is then removed, not kept), or it did, with what the check found.
    Settled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct SentAt {
    at: DateTime<Utc>,
}

impl Entry {
    /// As the store keeps it.
    pub(crate) fn encode(&self) -> String {
        match self {
            Entry::Sent { at } => format!("I{}", serde_json::json!({ "at": at })),
            Entry::Done(done) => {
                let json = serde_json::to_string(done).unwrap_or_default();
                format!("D{json}")
            }
        }
    }

    /// What the store held; `Err` says why it is not an entry this version reads.
    pub(crate) fn decode(text: &str) -> Result<Entry, String> {
        if text.len() > MAX_ENTRY {
            return Err(format!("an entry larger than {} KiB", MAX_ENTRY / 1024));
        }
        let bad = |e: serde_json::Error| format!("an entry this version cannot read ({e})");
        match text.split_at_checked(1) {
            Some(("I", json)) => serde_json::from_str::<SentAt>(json).map(|s| Entry::Sent { at: s.at }).map_err(bad),
            Some(("D", json)) => serde_json::from_str::<Done>(json).map(Entry::Done).map_err(bad),
            _ => Err("an entry this version cannot read (no `I` or `D` mark)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn entries_read_back_as_written() {
        let entries = [
            Entry::Sent { at: "2026-11-30T23:59:00Z".parse().unwrap() },
            Entry::Done(Done::Answer {
                status: 201,
                content_type: Some("application/json".into()),
                body: "{\"a\":1}".into(),
            }),
            Entry::Done(Done::Answer { status: 204, content_type: None, body: String::new() }),
            Entry::Done(Done::Unkept { status: 200, size: 70_000 }),
            Entry::Done(Done::Saved { size: 12, sha256: "ab".repeat(32) }),
            Entry::Done(Done::Settled { body: None }),
        ];
        for entry in entries {
            assert_eq!(Entry::decode(&entry.encode()), Ok(entry));
        }
    }

    proptest! {
        /// Whatever a store holds, reading it never panics.
        #[test]
        fn any_text_decodes_or_is_refused(mark in "[IDX]?", json in ".{0,80}") {
            let _ = Entry::decode(&format!("{mark}{json}"));
        }

        #[test]
        fn json_shaped_text_never_panics(kind in "answer|unkept|saved|settled|x", status in any::<i64>(), body in ".{0,20}") {
            let text = format!("D{{\"kind\":\"{kind}\",\"status\":{status},\"size\":{status},\"sha256\":{body:?},\"body\":{body:?}}}");
            let _ = Entry::decode(&text);
        }
    }
}
