//! Printing answers on stdout: JSON (pretty on a terminal, compact otherwise), NDJSON for
//! `--all`, or a plain aligned table of the top-level scalar fields for people.

use std::io::{IsTerminal as _, Write};

use serde::Serialize;
use serde_json::Value;

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JSON: pretty on a terminal, one compact line otherwise; `--all`: one item per line.
    Json,
    /// An aligned text table of the top-level scalar fields.
    Table,
}

/// stdout was closed by the reader (`| head`): stop quietly, as other tools do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct Closed;

/// Where answers go.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    format: Format,
    pretty: bool,
}

impl Output {
    /// Print in `format`; JSON is pretty when stdout is a terminal.
    pub fn new(format: Format) -> Output {
        Output { format, pretty: std::io::stdout().is_terminal() }
    }

    /// Whether answers are printed as a table.
    pub fn is_table(&self) -> bool {
        self.format == Format::Table
    }

    /// Print one answer.
    pub fn value<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        match self.format {
            Format::Table => {
                let value = serde_json::to_value(value)?;
                self.table(&rows(&value))
            }
            Format::Json if self.pretty => write(&serde_json::to_string_pretty(value)?),
            Format::Json => write(&serde_json::to_string(value)?),
        }
    }

    /// Print one item of a listing on a line of its own.
    pub fn line<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        write(&serde_json::to_string(value)?)
    }

    /// Print `rows` (JSON objects) as a table.
    pub fn table(&self, rows: &[Value]) -> anyhow::Result<()> {
        write(table(rows).trim_end())
    }
}

fn write(text: &str) -> anyhow::Result<()> {
    raw(format!("{text}\n").as_bytes())
}

/// Write `bytes` to stdout as they are.
pub fn raw(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// The rows of an answer: the items of its one list of objects (a page), else the answer.
fn rows(value: &Value) -> Vec<Value> {
    if let Value::Object(map) = value {
        let lists: Vec<&Vec<Value>> = map
            .values()
            .filter_map(Value::as_array)
            .filter(|items| !items.is_empty() && items.iter().all(Value::is_object))
            .collect();
        if let [items] = lists.as_slice() {
            return (*items).clone();
        }
    }
    vec![value.clone()]
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Columns: every top-level scalar field of any row, in order of first appearance.
fn table(rows: &[Value]) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        for (key, value) in row.as_object().into_iter().flatten() {
            if scalar(value).is_some() && !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|c| row.get(*c).and_then(scalar).unwrap_or_default()).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    for line in std::iter::once(&header).chain(&cells) {
        let padded: Vec<String> = line.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(padded.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_page_is_a_row_per_item_and_nested_values_are_left_out() {
        let page = json!({"next_page_token": "", "invoices": [
            {"id": "inv-1", "total": 2039.1, "items": [1]},
            {"id": "inv-22", "status": "Paid"}
        ]});
        assert_eq!(table(&rows(&page)), "ID      TOTAL   STATUS\ninv-1   2039.1\ninv-22          Paid\n");
        assert_eq!(table(&rows(&json!({"a": 1}))), "A\n1\n");
    }
}
