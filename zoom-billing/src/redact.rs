//! Scrubbing secrets out of text that came from the network, before that
//! text is kept in an error, logged, or cut to a snippet.
//!
//! A [`Redactor`] knows a few secrets (a client secret, an access token) and
//! replaces every occurrence of each with [`REDACTED`]:
//! - as written, and JSON-escaped (a body quoting it in a string);
//! - inside base64 text, standard or URL-safe alphabet, padded or not, at any
//!   alignment. A gateway that echoes `Authorization: Basic base64(id:secret)`
//!   shows the secret that way, and the part of a base64 text that encodes
//!   the secret does not depend on what comes before it beyond its position
//!   modulo 3, so it is caught whatever the client id. Only the one base64
//!   character at each edge that mixes secret and neighbouring bits can stay
//!   (at most 4 bits of the secret).
//!   [`Redactor::with_basic_credentials`] also removes the whole header value.
//!
//! Occurrences that overlap or touch are merged into one [`REDACTED`].
//!
//! Scrub first, cut after: [`Redactor::snippet`] scrubs the whole text and
//! only then keeps its first [`SNIPPET_CHARS`] characters, so a secret that
//! straddles the cut never shows its first characters.
//!
//! ```ignore
//! // (crate-private; the same as a unit test below)
//! let redactor = Redactor::new(["s3cr3t-value"]);
//! assert_eq!(redactor.scrub("bad secret s3cr3t-value!"), "bad secret [REDACTED]!");
//! ```

use std::fmt;

use base64::Engine;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// How many characters [`Redactor::snippet`] keeps (a marker cut in two is kept whole).
pub const SNIPPET_CHARS: usize = 200;

/// How many characters [`Redactor::bounded`] keeps of any other text a server
/// sent (a decoder's reason, a Zoom message, a field error, a header): enough
/// for every real one, and a 10 MiB echo costs at most this in an error or a
/// log line.
pub const TEXT_CHARS: usize = 300;

/// Base64 fragments shorter than this are not searched for: they would
/// match unrelated base64 text by chance (only secrets under about 6 bytes
/// have such short fragments).
const MIN_BASE64_FRAGMENT: usize = 6;

/// Replaces known secrets in text (see the [module docs](self)).
///
/// `Debug` shows how many patterns it holds, never the patterns.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form searched for, longest first.
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").field("patterns", &self.needles.len()).finish()
    }
}

impl Redactor {
    /// A redactor for these secrets (empty ones are ignored).
    pub fn new<I>(secrets: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        secrets.into_iter().fold(Redactor::default(), |r, s| r.with_secret(s.as_ref()))
    }

    /// Also scrub `secret`, in every form the module docs list.
    pub fn with_secret(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        self.push_text(secret.to_owned());
        for engine in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
            for fragment in base64_fragments(&engine, secret.as_bytes()) {
                self.push_text(fragment);
            }
        }
        self.sort();
        self
    }

    /// Also scrub the whole value of an `Authorization: Basic` header made of
    /// `user:password` (standard and URL-safe base64, padded or not), and
    /// `password` itself in every form.
    pub fn with_basic_credentials(self, user: &str, password: &str) -> Self {
        let mut redactor = self.with_secret(password);
        if password.is_empty() {
            return redactor;
        }
        let pair = format!("{user}:{password}");
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            redactor.push_text(engine.encode(&pair));
        }
        redactor.sort();
        redactor
    }

    /// `text` with every occurrence of every known secret replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let mut masked = vec![false; text.len()];
        let mut any = false;
        for needle in &self.needles {
            let mut from = 0;
            // Overlapping occurrences count too: search again from the next
            // character, not from the end of the match.
            while let Some(found) = text.get(from..).and_then(|rest| rest.find(needle.as_str())) {
                let start = from + found;
                if let Some(range) = masked.get_mut(start..start + needle.len()) {
                    range.fill(true);
                    any = true;
                }
                from = start + text[start..].chars().next().map_or(1, char::len_utf8);
            }
        }
        if !any {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut in_secret = false;
        for (at, ch) in text.char_indices() {
            if masked.get(at).copied().unwrap_or(false) {
                if !in_secret {
                    out.push_str(REDACTED);
                }
                in_secret = true;
            } else {
                in_secret = false;
                out.push(ch);
            }
        }
        out
    }

    /// [`scrub`](Self::scrub) bytes decoded as UTF-8, invalid sequences
    /// replaced by U+FFFD.
    pub fn scrub_bytes(&self, bytes: &[u8]) -> String {
        self.scrub(&String::from_utf8_lossy(bytes))
    }

    /// The first [`SNIPPET_CHARS`] characters of `bytes` (lossy UTF-8),
    /// scrubbed before being cut.
    /// A [`REDACTED`] marker the cut would split is kept whole, so the
    /// snippet may be a few characters longer.
    pub fn snippet(&self, bytes: &[u8]) -> String {
        // A character is at most 4 bytes: the snippet lies in the first 4 × SNIPPET_CHARS
        // bytes, and a secret straddling that cut within a secret's length after it.
        let margin = self.longest();
        let mut text = self.scrub_bytes(&bytes[..bytes.len().min(4 * SNIPPET_CHARS + margin)]);
        let Some((cut, _)) = text.char_indices().nth(SNIPPET_CHARS) else { return text };
        let end = (cut.saturating_sub(REDACTED.len() - 1)..cut)
            .find(|&at| text.get(at..).is_some_and(|rest| rest.starts_with(REDACTED)) && at + REDACTED.len() > cut)
            .map_or(cut, |at| at + REDACTED.len());
        text.truncate(end);
        text
    }

    /// `text` scrubbed, then cut to at most `max` characters (plus the cut
    /// marker): its start and its end are kept, as a decoder's reason ends
    /// with where in the body it stopped. Scrubbed before it is cut, so a
    /// secret straddling a cut never shows.
    pub fn bounded(&self, text: &str, max: usize) -> String {
        // Only as much as can be kept is scrubbed, plus a secret's length on each
        // side of a cut, so a 10 MiB text costs no 10 MiB copy.
        let margin = self.longest();
        let count = text.chars().count();
        if count <= max {
            return self.scrub(text);
        }
        let (head, tail) = (max - max / 4, max / 4);
        let byte_at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(at, _)| at);
        let start = self.scrub(&text[..byte_at(head + margin)]);
        let end = self.scrub(&text[byte_at(count.saturating_sub(tail + margin))..]);
        let start: String = start.chars().take(head).collect();
        let skip = end.chars().count().saturating_sub(tail);
        let end: String = end.chars().skip(skip).collect();
        format!("{start}…({} characters cut)…{end}", count - head - tail)
    }

    fn push_text(&mut self, form: String) {
        // A body quoting the secret in a JSON string escapes `"`, `\` and
        // control characters; some encoders also escape `/` (common in base64).
        if let Ok(quoted) = serde_json::to_string(&form)
            && let Some(escaped) = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'))
        {
            if escaped != form {
                self.push_raw(escaped.to_owned());
            }
            if escaped.contains('/') {
                self.push_raw(escaped.replace('/', "\\/"));
            }
        }
        self.push_raw(form);
    }

    fn push_raw(&mut self, form: String) {
        if !form.is_empty() && !self.needles.contains(&form) {
            self.needles.push(form);
        }
    }

    /// The length of the longest secret (needles are sorted longest first): how far past a
    /// cut a secret straddling it can reach.
    fn longest(&self) -> usize {
        self.needles.first().map_or(0, String::len)
    }

    fn sort(&mut self) {
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }
}

/// The base64 characters that encode `secret` wherever it sits in a longer
/// byte string: one fragment per alignment (offset 0, 1 or 2 modulo 3),
/// without the edge characters that also carry neighbouring bits.
fn base64_fragments(engine: &GeneralPurpose, secret: &[u8]) -> Vec<String> {
    let mut fragments = Vec::with_capacity(3);
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret);
        let encoded = engine.encode(&bytes);
        // Character i carries bits [6i, 6i + 6): it is pure secret when it
        // starts after the offset bytes and ends before the secret does.
        let first = (8 * offset).div_ceil(6);
        let end = 8 * (offset + secret.len()) / 6;
        if let Some(fragment) = encoded.get(first..end)
            && fragment.len() >= MIN_BASE64_FRAGMENT
        {
            fragments.push(fragment.to_owned());
        }
    }
    fragments
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Sup3rS3cretClientSecretValue0123";

    fn leaks(text: &str) -> bool {
        text.contains(SECRET) || text.contains(&SECRET[..8])
    }

    #[test]
    fn plain_and_json_escaped_forms_are_replaced() {
        let r = Redactor::new([SECRET]);
        assert_eq!(r.scrub(&format!("a {SECRET} b {SECRET}")), "a [REDACTED] b [REDACTED]");
        let odd = Redactor::new(["pa\"ss/wo\\rd"]);
        assert_eq!(
            odd.scrub(r#"{"e":"pa\"ss/wo\\rd","f":"pa\"ss\/wo\\rd"}"#),
            r#"{"e":"[REDACTED]","f":"[REDACTED]"}"#
        );
    }

    #[test]
    fn base64_of_id_and_secret_is_replaced_in_every_alphabet_and_alignment() {
        let r = Redactor::new([SECRET]);
        for id in ["", "a", "ab", "abc", "client-id-xyz"] {
            let pair = format!("{id}:{SECRET}");
            for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
                let encoded = engine.encode(&pair);
                let scrubbed = r.scrub(&format!("Basic {encoded}"));
                assert!(scrubbed.contains(REDACTED), "{scrubbed}");
                // At most one character of secret bits may remain on each side.
                let kept = scrubbed.replace(REDACTED, "");
                assert!(kept.len() <= "Basic ".len() + (id.len() + 1).div_ceil(3) * 4 + 4, "{id:?}: {scrubbed}");
            }
        }
        let whole = Redactor::default().with_basic_credentials("cid", SECRET);
        let header = format!("Basic {}", STANDARD.encode(format!("cid:{SECRET}")));
        assert_eq!(whole.scrub(&header), "Basic [REDACTED]");
    }

    #[test]
    fn overlapping_and_adjacent_matches_merge() {
        let r = Redactor::new(["abab"]);
        assert_eq!(r.scrub("xabababx"), "x[REDACTED]x");
        assert_eq!(r.scrub("abababab"), "[REDACTED]");
    }

    #[test]
    fn snippet_scrubs_before_cutting() {
        let r = Redactor::new([SECRET]);
        let body = format!("{}{SECRET}", "x".repeat(SNIPPET_CHARS - 5));
        let snippet = r.snippet(body.as_bytes());
        assert_eq!(snippet, format!("{}{REDACTED}", "x".repeat(SNIPPET_CHARS - 5)));
        let plain = Redactor::default().snippet("é".repeat(300).as_bytes());
        assert_eq!(plain.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn bounded_text_keeps_its_ends_and_never_a_secret() {
        let r = Redactor::new([SECRET]);
        assert_eq!(r.bounded(&format!("a {SECRET}"), 50), "a [REDACTED]");
        // A secret straddling either cut is scrubbed before the cut.
        let long = format!("{SECRET}{}{SECRET}{}{SECRET} at line 1", "x".repeat(10_000_000), "y".repeat(50));
        let kept = r.bounded(&long, TEXT_CHARS);
        assert!(kept.chars().count() < TEXT_CHARS + 40, "{} chars", kept.chars().count());
        assert!(kept.starts_with(REDACTED) && kept.ends_with(" at line 1"), "{kept}");
        assert!(!leaks(&kept), "{kept}");
        for cut in 0..SECRET.len() + 2 {
            let text = format!("{}{SECRET}{}", "a".repeat(225 - cut), "b".repeat(400));
            let kept = r.bounded(&text, TEXT_CHARS);
            assert!(!kept.contains(&SECRET[..6]), "{kept}");
        }
        assert_eq!(
            Redactor::default().bounded("é".repeat(301).as_str(), 300).chars().filter(|c| *c == 'é').count(),
            300
        );
    }

    #[test]
    fn multibyte_text_and_invalid_utf8_are_fine() {
        let r = Redactor::new(["é-secret-é"]);
        assert_eq!(r.scrub("ça é-secret-é ü"), "ça [REDACTED] ü");
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend_from_slice(SECRET.as_bytes());
        assert!(!leaks(&Redactor::new([SECRET]).scrub_bytes(&bytes)));
    }

    #[test]
    fn empty_secrets_change_nothing_and_debug_hides_patterns() {
        let r = Redactor::new([""]);
        assert!(r.needles.is_empty());
        assert_eq!(r.scrub("text"), "text");
        let debug = format!("{:?}", Redactor::new([SECRET]));
        assert!(!leaks(&debug), "{debug}");
    }
}
