//! Finding and editing YAML blocks in the spec's text, line by line, so that
//! every line a proposal does not touch stays byte-identical (re-serialising
//! the document would lose comments, quoting and order).

/// Indentation (spaces) of a line.
pub(crate) fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that holds something (not blank).
fn is_content(line: &str) -> bool {
    !line.trim().is_empty()
}

/// Whether `line` is the key `key` of a block mapping (`key:` or `"key":`).
fn is_key(line: &str, key: &str) -> bool {
    let content = line.trim_start_matches(' ');
    [key.to_owned(), format!("\"{key}\""), format!("'{key}'")].iter().any(|k| {
        content
            .strip_prefix(k.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// The lines `(start, end)` of the block under the key at `line` (whose indent is
/// `key_indent`): up to the next line, comments included, indented no deeper.
pub(crate) fn block(lines: &[&str], line: usize, key_indent: usize) -> (usize, usize) {
    let start = line + 1;
    let mut end = start;
    while end < lines.len() && (!is_content(lines[end]) || indent(lines[end]) > key_indent) {
        end += 1;
    }
    (start, end)
}

/// The index after the last non-blank line of `start..end` (blank lines stay after an insertion).
pub(crate) fn last_content_end(lines: &[&str], start: usize, end: usize) -> usize {
    let mut last = end;
    while last > start && !is_content(lines[last - 1]) {
        last -= 1;
    }
    last
}

/// The indent of the first content line of `start..end` that is not a comment.
pub(crate) fn child_indent(lines: &[&str], start: usize, end: usize) -> Option<usize> {
    lines[start..end].iter().find(|l| is_content(l) && !l.trim_start().starts_with('#')).map(|l| indent(l))
}

/// The line of the key `key` directly inside `start..end`.
pub(crate) fn find_key(lines: &[&str], start: usize, end: usize, key: &str) -> Option<usize> {
    let child = child_indent(lines, start, end)?;
    (start..end).find(|&i| indent(lines[i]) == child && is_key(lines[i], key))
}

/// The line of the node at a JSON pointer made of mapping keys only, and its indent.
pub(crate) fn locate(lines: &[&str], pointer: &str) -> Option<(usize, usize)> {
    let (mut start, mut end) = (0, lines.len());
    let mut found = None;
    for segment in pointer.split('/').skip(1) {
        let key = segment.replace("~1", "/").replace("~0", "~");
        let line = find_key(lines, start, end, &key)?;
        let key_indent = indent(lines[line]);
        (start, end) = block(lines, line, key_indent);
        found = Some((line, key_indent));
    }
    found
}

/// A mapping key, quoted when it is not plain.
pub(crate) fn yaml_key(name: &str) -> String {
    yaml_scalar(name)
}

/// A string scalar: plain when YAML reads it back as the same string, else double-quoted
/// (a JSON string is a valid YAML double-quoted scalar).
pub(crate) fn yaml_scalar(value: &str) -> String {
    let plain = value.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        && !value.ends_with(' ')
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain { value.to_owned() } else { serde_json::Value::String(value.to_owned()).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "a:\n  b:\n    # note\n    c: 1\n    d:\n      - x\n\n  \"e/f\": 2\ng: 3\n";

    #[test]
    fn keys_blocks_and_quoting() {
        let lines: Vec<&str> = DOC.lines().collect();
        assert_eq!(locate(&lines, "/a/b/c"), Some((3, 4)));
        assert_eq!(locate(&lines, "/a/e~1f"), Some((7, 2)));
        assert_eq!(locate(&lines, "/a/b/zz"), None);
        let (start, end) = block(&lines, 1, 2);
        assert_eq!((start, end), (2, 7));
        assert_eq!(last_content_end(&lines, start, end), 6);
        assert_eq!(yaml_scalar("Paid"), "Paid");
        assert_eq!(yaml_scalar("10000+"), "\"10000+\"");
        assert_eq!(yaml_scalar("yes"), "\"yes\"");
    }
}
