//! The one error type of the codegen library.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// Everything that can go wrong between reading the spec and writing files.
///
/// Each variant names the file and, where it can, the line and the JSON
/// pointer, so the message can be followed straight to the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The spec is not valid YAML.
    #[error("{file}:{line}:{column}: YAML syntax error: {message}")]
    Syntax {
        /// The spec file as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The YAML is not an OpenAPI 3.0 document (wrong field type, missing field...).
    #[error("{file}:{line}: {message} (at {pointer}{})", operation.as_ref().map(|op| format!(", operation {op}")).unwrap_or_default())]
    Structure {
        /// The spec file as given.
        file: String,
        /// 1-based line of the nearest node that has one.
        line: usize,
        /// JSON pointer of the offending node.
        pointer: String,
        /// The operation (`METHOD /path`) the node belongs to, if any.
        operation: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The spec breaks one or more of the project's rules.
    #[error("{file}: the spec breaks {} rule(s):\n{}", diagnostics.len(), DiagnosticList(file, diagnostics))]
    Rules {
        /// The spec file as given.
        file: String,
        /// The errors (warnings are not carried here).
        diagnostics: Vec<Diagnostic>,
    },
    /// progenitor refused the document or panicked on it.
    #[error("{file}: the generator failed: {message}")]
    Generator {
        /// The spec file as given.
        file: String,
        /// progenitor's message.
        message: String,
    },
    /// Two values of an open enum give the same Rust variant name.
    #[error("{file}: the generator failed: {source}")]
    OpenEnum {
        /// The spec file as given.
        file: String,
        /// Which enum and values.
        #[source]
        source: VariantClash,
    },
    /// progenitor's output could not be wrapped in the public call layer.
    #[error("{file}: the call layer cannot be generated: {source}")]
    Calls {
        /// The spec file as given.
        file: String,
        /// What is wrong.
        #[source]
        source: crate::calls::CallsError,
    },
    /// The workspace root could not be found.
    #[error(
        "no zoom-billing workspace at or above {}: looked for a Cargo.toml with `[workspace]` beside {spec}; \
         run from inside the repository",
        start.display()
    )]
    NoWorkspace {
        /// Where the search started.
        start: PathBuf,
        /// The spec path that marks the root.
        spec: &'static str,
    },
    /// The generated tokens were not valid Rust (a bug in codegen, not in the spec).
    #[error("generated code for {file} did not parse as Rust: {message}")]
    Format {
        /// The generated file.
        file: String,
        /// syn's message.
        message: String,
    },
}

/// Two values of an `x-extensible-enum` give the same Rust variant name
/// (or one gives `Other`, which is taken by unknown values).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "x-extensible-enum of `{schema}`: value `{value}` gives the variant name `{variant}` twice or clashes with `Other`"
)]
pub struct VariantClash {
    /// The schema (and Rust type) name.
    pub schema: String,
    /// The wire value.
    pub value: String,
    /// The variant name it gives.
    pub variant: String,
}

struct DiagnosticList<'a>(&'a str, &'a [Diagnostic]);

impl fmt::Display for DiagnosticList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.1.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}:{d}", self.0)?;
        }
        Ok(())
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
