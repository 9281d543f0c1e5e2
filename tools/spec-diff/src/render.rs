//! The report and its three renderings: text, Markdown (a PR comment) and JSON.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::change::{Change, Severity, Side, Summary};
use crate::rust_impact::ApiChange;

/// Everything one comparison found.
#[derive(Clone, Debug)]
pub struct Report {
    /// How the base is named.
    pub base: String,
    /// How the head is named.
    pub head: String,
    /// The findings, sorted, with waivers applied.
    pub changes: Vec<Change>,
    /// The public Rust API changes (empty when nothing changed or when not computed).
    pub rust_impact: Vec<ApiChange>,
    /// `zoom-billing`'s version at the base and at the head, when known.
    pub versions: (Option<String>, Option<String>),
}

/// How far the crate version must move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    /// Nothing changed.
    None,
    /// Documentation only.
    Patch,
    /// Additions and compatible changes.
    Minor,
    /// Breaking changes.
    Major,
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

impl Report {
    /// Per-severity counts (waived findings included).
    pub fn summary(&self) -> Summary {
        Summary::of(&self.changes)
    }

    /// The semver bump the changes call for, in semver terms (0.x handled by [`Report::next_version`]).
    pub fn bump(&self) -> Bump {
        let rust_breaking = self.rust_impact.iter().any(|c| c.change == "removed" || c.change == "changed");
        if self.changes.iter().any(|c| c.severity == Severity::Breaking) || rust_breaking {
            Bump::Major
        } else if self.changes.iter().any(|c| c.rule != "documentation-changed") || !self.rust_impact.is_empty() {
            Bump::Minor
        } else if self.changes.is_empty() {
            Bump::None
        } else {
            Bump::Patch
        }
    }

    /// The lowest version of `zoom-billing` that reflects the changes, from
    /// the base version. While the major version is 0, a breaking change
    /// bumps the minor version and anything else the patch version.
    pub fn next_version(&self) -> Option<String> {
        let (major, minor, patch) = parse_version(self.versions.0.as_deref()?)?;
        let next = match (self.bump(), major) {
            (Bump::None, _) => (major, minor, patch),
            (Bump::Major, 0) => (0, minor + 1, 0),
            (_, 0) => (0, minor, patch + 1),
            (Bump::Major, _) => (major + 1, 0, 0),
            (Bump::Minor, _) => (major, minor + 1, 0),
            (Bump::Patch, _) => (major, minor, patch + 1),
        };
        Some(format!("{}.{}.{}", next.0, next.1, next.2))
    }

    /// One sentence on the version: what the changes need and whether the head has it.
    pub fn version_line(&self) -> String {
        let bump = self.bump();
        let word = match bump {
            Bump::None => return "no version bump needed".to_owned(),
            Bump::Patch => "patch",
            Bump::Minor => "minor (additions)",
            Bump::Major => "major (breaking)",
        };
        let (Some(base), Some(next)) = (self.versions.0.as_deref(), self.next_version()) else {
            return format!(
                "implies a {word} change for `zoom-billing`; its base version is unknown (base is not a git revision)"
            );
        };
        let zero = base.starts_with("0.");
        let rule = if zero && bump == Bump::Major { " (0.x: breaking bumps the minor version)" } else { "" };
        let verdict = match self.versions.1.as_deref() {
            Some(head) if parse_version(head) >= parse_version(&next) => format!("`{head}` already reflects it"),
            Some(head) => format!("`{head}`: **not bumped yet**"),
            None => "unknown".to_owned(),
        };
        format!(
            "implies a {word} change for `zoom-billing`: {base} → **{next}**{rule}; `zoom-billing/Cargo.toml` is {verdict}"
        )
    }

    /// The JSON document, keys in a fixed order.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Json<'a> {
            base: &'a str,
            head: &'a str,
            summary: Summary,
            changes: &'a [Change],
            rust_impact: &'a [ApiChange],
        }
        let doc = Json {
            base: &self.base,
            head: &self.head,
            summary: self.summary(),
            changes: &self.changes,
            rust_impact: &self.rust_impact,
        };
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The changes a reader sees: a change inside a shared component once
    /// (as the component), not again at every operation that uses it.
    pub fn distinct(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| !(c.is_operation() && c.location.defined_at.starts_with("/components/")))
            .collect()
    }

    /// `1 breaking · 2 warning · 3 info (1 waived)` over the distinct changes.
    fn counts(&self) -> String {
        let distinct: Vec<Change> = self.distinct().into_iter().cloned().collect();
        let s = Summary::of(&distinct);
        let waived = distinct.iter().filter(|c| c.waived.is_some()).count();
        let mut text = format!("{} breaking · {} warning · {} info", s.breaking, s.warning, s.info);
        if waived > 0 {
            text.push_str(&format!(" ({waived} waived)"));
        }
        text
    }

    /// Plain text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "base: {}\nhead: {}", self.base, self.head);
        if self.changes.is_empty() && self.rust_impact.is_empty() {
            out.push_str("no API changes\n");
            return out;
        }
        for c in self.distinct() {
            let _ = write!(
                out,
                "{:<8} {} {}: {}\n         at {} {} ({} line {})",
                c.severity.as_str().to_uppercase(),
                c.rule,
                c.operation_label(),
                c.message,
                serde_json::to_value(c.location.area)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                c.location.pointer,
                match c.location.side {
                    Side::Base => "base",
                    Side::Head => "head",
                },
                c.location.line
            );
            if c.before != Value::Null || c.after != Value::Null {
                let _ = write!(out, "\n         {} → {}", short(&c.before, 100), short(&c.after, 100));
            }
            if let Some(reason) = &c.waived {
                let _ = write!(out, "\n         waived: {reason}");
            }
            out.push('\n');
        }
        if !self.rust_impact.is_empty() {
            out.push_str("Rust impact:\n");
            for line in impact_lines(&self.rust_impact) {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out, "{}; {}", self.counts(), self.version_line().replace("**", ""));
        out
    }

    /// Markdown for a pull-request comment or a job summary.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() && self.rust_impact.is_empty() {
            let _ = writeln!(out, "**Spec diff:** no API changes between `{}` and `{}`.", self.base, self.head);
            return out;
        }
        let _ = writeln!(out, "### Spec diff: `{}` → `{}`\n", self.base, self.head);
        let _ = writeln!(out, "**{}** · {}\n", self.counts(), self.version_line());
        // Component changes are shown once, with the operations that use them.
        let shown = self.distinct();
        let is_doc = |c: &&Change| c.rule == "documentation-changed";
        let sections: [(&str, Vec<&Change>); 3] = [
            ("Breaking changes", shown.iter().copied().filter(|c| c.severity == Severity::Breaking).collect()),
            ("Warnings", shown.iter().copied().filter(|c| c.severity == Severity::Warning).collect()),
            (
                "Additions and other changes",
                shown.iter().copied().filter(|c| c.severity == Severity::Info && !is_doc(c)).collect(),
            ),
        ];
        for (title, list) in &sections {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "#### {title} ({})\n", list.len());
            self.table(&mut out, list);
        }
        let docs: Vec<&Change> = shown.iter().copied().filter(is_doc).collect();
        if !docs.is_empty() {
            let _ = writeln!(out, "<details><summary>Documentation-only edits ({})</summary>\n", docs.len());
            self.table(&mut out, &docs);
            out.push_str("</details>\n\n");
        }
        if !self.rust_impact.is_empty() {
            let lines = impact_lines(&self.rust_impact);
            let _ = writeln!(
                out,
                "#### Rust impact ({} API item{})\n",
                self.rust_impact.len(),
                plural(self.rust_impact.len())
            );
            let fold = lines.len() > 40;
            if fold {
                out.push_str("<details><summary>Public API of the generated client</summary>\n\n");
            }
            out.push_str("```diff\n");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            out.push_str("```\n");
            if fold {
                out.push_str("\n</details>\n");
            }
        }
        out
    }

    fn table(&self, out: &mut String, list: &[&Change]) {
        out.push_str("| Rule | Operation | Where | Change |\n|---|---|---|---|\n");
        for c in list {
            let operation = match (&c.method, &c.path) {
                (Some(m), Some(p)) => match &c.operation_id {
                    Some(id) => format!("`{m} {p}`<br>`{id}`"),
                    None => format!("`{m} {p}`"),
                },
                _ => {
                    let users = self.users(c);
                    if users.is_empty() {
                        c.operation_label()
                    } else {
                        format!("component, used by {}", users.join(", "))
                    }
                }
            };
            let area = serde_json::to_value(c.location.area).ok().and_then(|v| v.as_str().map(str::to_owned));
            let side = match c.location.side {
                Side::Base => " (base)",
                Side::Head => "",
            };
            let mut change = escape(&c.message);
            if c.before != Value::Null || c.after != Value::Null {
                let _ = write!(change, "<br>{} → {}", code(&c.before), code(&c.after));
            }
            if let Some(reason) = &c.waived {
                let _ = write!(change, "<br>**waived:** {}", escape(reason));
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} `{}`<br>line {}{} | {} |",
                c.rule,
                operation,
                area.unwrap_or_default(),
                escape(&c.location.pointer),
                c.location.line,
                side,
                change
            );
        }
        out.push('\n');
    }

    /// The operations whose copies of a component change are in the report.
    fn users(&self, component: &Change) -> Vec<String> {
        let users: BTreeSet<String> = self
            .changes
            .iter()
            .filter(|c| {
                c.is_operation()
                    && c.rule == component.rule
                    && c.location.defined_at == component.location.defined_at
                    && c.before == component.before
                    && c.after == component.after
            })
            .filter_map(|c| {
                c.operation_id.clone().or_else(|| Some(format!("{} {}", c.method.as_deref()?, c.path.as_deref()?)))
            })
            .map(|u| format!("`{u}`"))
            .collect();
        users.into_iter().collect()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `- op x ...`, `+ field X.y: T`, or a `-`/`+` pair for a change.
pub fn impact_lines(impact: &[ApiChange]) -> Vec<String> {
    let mut lines = Vec::new();
    let entry = |kind: &str, name: &str, detail: &str| {
        let sep = if detail.is_empty() {
            ""
        } else if kind == "op" {
            " "
        } else {
            ": "
        };
        format!("{kind} {name}{sep}{detail}")
    };
    for c in impact {
        match c.change {
            "added" => lines.push(format!("+ {}", entry(c.kind, &c.name, c.after.as_deref().unwrap_or_default()))),
            "removed" => lines.push(format!("- {}", entry(c.kind, &c.name, c.before.as_deref().unwrap_or_default()))),
            "changed" => {
                lines.push(format!("- {}", entry(c.kind, &c.name, c.before.as_deref().unwrap_or_default())));
                lines.push(format!("+ {}", entry(c.kind, &c.name, c.after.as_deref().unwrap_or_default())));
            }
            _ => lines.push(format!(
                "! the {} client could not be generated: {}",
                c.name,
                c.after.as_deref().unwrap_or_default()
            )),
        }
    }
    lines
}

fn short(value: &Value, max: usize) -> String {
    let text = match value {
        Value::Null => "∅".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = text.replace('\n', " ");
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn code(value: &Value) -> String {
    if value.is_null() {
        return "∅".to_owned();
    }
    format!("`{}`", short(value, 80).replace('`', "'").replace('|', "\\|"))
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
