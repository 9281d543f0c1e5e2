//! Which call a success body came from, so decode errors can name it.
//!
//! The generated code decodes JSON success bodies itself, and its error
//! (`InvalidResponsePayload(bytes, error)`) carries the body but not the
//! operation or the status. Checking every body's syntax in the hook first
//! would give that context, but it is a second pass over every body: it cost
//! 5-9% per call on a 1,000-invoice list (BENCHMARKS.md). Instead the hook
//! does an O(1) check for bodies that are plainly not JSON (empty, an HTML
//! page) and remembers the last bodies it handed to the generated code by
//! address; the conversion into [`crate::Error`] looks the failed body up.
//!
//! The body's `Bytes` reach the generated decode without a copy (one
//! contiguous buffer), so the address identifies the call. Only the newest
//! [`REMEMBERED`] bodies are kept: an error converted later than that names no
//! operation, as before.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use reqwest::StatusCode;

/// How many recent bodies are remembered (a few KiB in all).
const REMEMBERED: usize = 256;

struct Entry {
    addr: usize,
    len: usize,
    operation: &'static str,
    status: StatusCode,
}

static RECENT: Mutex<VecDeque<Entry>> = Mutex::new(VecDeque::new());

/// Remember that `body` is the success body of `operation`.
pub(crate) fn remember(body: &Bytes, operation: &'static str, status: StatusCode) {
    if body.is_empty() {
        return;
    }
    let mut recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    if recent.len() == REMEMBERED {
        recent.pop_front();
    }
    recent.push_back(Entry { addr: body.as_ptr() as usize, len: body.len(), operation, status });
}

/// The operation and status of a body the generated code failed to decode.
/// The newest entry wins: an older one at the same address was freed.
pub(crate) fn recall(body: &Bytes) -> Option<(&'static str, StatusCode)> {
    if body.is_empty() {
        return None;
    }
    let (addr, len) = (body.as_ptr() as usize, body.len());
    let recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
    recent.iter().rev().find(|e| e.addr == addr && e.len == len).map(|e| (e.operation, e.status))
}

/// Why a body is plainly not the JSON object or array every JSON operation
/// returns, judged from its first significant byte only.
pub(crate) fn plainly_not_json(body: &[u8]) -> Option<&'static str> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Some("the body is empty"),
        Some(b'{' | b'[') => None,
        Some(b'<') => Some("the body is markup (HTML or XML), not JSON"),
        Some(_) => Some("the body does not start a JSON object or array"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_body_at_an_address_wins_and_old_ones_are_forgotten() {
        let body = Bytes::from(vec![b'{'; 10]);
        remember(&body, "get_plan_usage", StatusCode::OK);
        remember(&body, "list_billing_invoices", StatusCode::CREATED);
        assert_eq!(recall(&body), Some(("list_billing_invoices", StatusCode::CREATED)));
        // Another body of the same address but another length is not it.
        assert_eq!(recall(&body.slice(0..5)), None);
        for _ in 0..REMEMBERED {
            remember(&Bytes::from(vec![b'['; 3]), "get_account_plans", StatusCode::OK);
        }
        assert_eq!(recall(&body), None);
        assert_eq!(recall(&Bytes::new()), None);
    }

    #[test]
    fn only_plainly_wrong_first_bytes_are_judged() {
        assert_eq!(plainly_not_json(b"  \n"), Some("the body is empty"));
        assert!(plainly_not_json(b"<html>").is_some_and(|r| r.contains("HTML")));
        assert!(plainly_not_json(b"\xff\xfe").is_some());
        assert_eq!(plainly_not_json(b" {\"truncated"), None);
        assert_eq!(plainly_not_json(b"[]"), None);
    }
}
