//! `cargo xtask spec-diff` as a library call, so that tests exercise exactly
//! what the command does (inputs, waivers, rendering, exit code).

use std::path::{Path, PathBuf};

use zoom_billing_codegen::Spec;

use crate::change::Severity;
use crate::render::Report;
use crate::source::{self, Input, SourceError};
use crate::waivers::{self, WaiverError};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For a terminal.
    Text,
    /// For a PR comment or job summary.
    Markdown,
    /// For machines.
    Json,
}

/// Which findings fail the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Unwaived breaking changes.
    Breaking,
    /// Unwaived breaking changes and warnings.
    Warning,
    /// Nothing (exit 0 whatever was found).
    Never,
}

/// The command's arguments.
#[derive(Clone, Debug)]
pub struct Args {
    /// `--base REV|FILE`; `origin/main` if it exists, else `HEAD`.
    pub base: Option<String>,
    /// `--head REV|FILE`; the working tree.
    pub head: Option<String>,
    /// `--format`.
    pub format: Format,
    /// `--fail-on`.
    pub fail_on: FailOn,
    /// `--waivers FILE`; `spec/waivers.yaml` (absent file: no waivers).
    pub waivers: Option<PathBuf>,
    /// Generate both clients and compare their public API (`--no-rust-impact` turns it off).
    pub rust_impact: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            base: None,
            head: None,
            format: Format::Text,
            fail_on: FailOn::Breaking,
            waivers: None,
            rust_impact: true,
        }
    }
}

/// What the command prints and how it exits.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The report (stdout).
    pub output: String,
    /// Notes for stderr (waivers that matched nothing).
    pub notes: Vec<String>,
    /// 0, or 1 when an unwaived finding at or above `--fail-on` is present.
    pub exit: u8,
    /// The report itself.
    pub report: Report,
}

/// Bad input: the command exits 2 with this message.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// `--base` or `--head` names nothing readable.
    #[error("--{which}: {source}")]
    Source {
        /// `base` or `head`.
        which: &'static str,
        /// Why.
        #[source]
        source: SourceError,
    },
    /// `--base` or `--head` is not an OpenAPI 3.0 document.
    #[error("--{which}: not a valid OpenAPI 3.0 spec: {source}")]
    Spec {
        /// `base` or `head`.
        which: &'static str,
        /// The parser's error.
        #[source]
        source: zoom_billing_codegen::Error,
    },
    /// The waiver file is malformed.
    #[error(transparent)]
    Waivers(#[from] WaiverError),
    /// The waiver file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadWaivers {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn side(
    root: &Path,
    which: &'static str,
    arg: Option<&str>,
    default: Input,
) -> Result<(Spec, Option<String>), InputError> {
    let input = match arg {
        Some(arg) => source::classify(root, arg).map_err(|source| InputError::Source { which, source })?,
        None => default,
    };
    let loaded = source::load(root, &input).map_err(|source| InputError::Source { which, source })?;
    let spec = Spec::parse(&loaded.label, &loaded.text).map_err(|source| InputError::Spec { which, source })?;
    Ok((spec, loaded.crate_version))
}

/// Compare, apply waivers, render.
pub fn run(root: &Path, args: &Args) -> Result<Outcome, InputError> {
    let (base, base_version) = side(root, "base", args.base.as_deref(), source::default_base(root))?;
    let (head, head_version) = side(root, "head", args.head.as_deref(), Input::WorkingTree)?;
    // A head given as a file is checked against the working tree's crate version.
    let head_version = head_version.or_else(|| {
        let manifest = std::fs::read_to_string(root.join(source::CRATE_MANIFEST)).ok()?;
        source::package_version(&manifest)
    });
    let waiver_path = args.waivers.clone().unwrap_or_else(|| root.join(waivers::WAIVERS_PATH));
    let waiver_list = match std::fs::read_to_string(&waiver_path) {
        Ok(text) => waivers::parse(&waiver_path.display().to_string(), &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.waivers.is_none() => Vec::new(),
        Err(source) => return Err(InputError::ReadWaivers { path: waiver_path, source }),
    };

    let mut changes = crate::engine::compare(&base, &head);
    let unused = waivers::apply(&mut changes, &waiver_list);
    let notes = unused
        .iter()
        .map(|w| {
            format!(
                "note: waiver for `{}`{}{} matched no finding; remove it from {}",
                w.rule,
                w.operation.as_deref().map(|o| format!(" at {o}")).unwrap_or_default(),
                w.location.as_deref().map(|l| format!(" {l}")).unwrap_or_default(),
                waivers::WAIVERS_PATH
            )
        })
        .collect();
    let rust_impact = if args.rust_impact { crate::rust_impact::compare(&base, &head) } else { Vec::new() };
    let report = Report {
        base: base.file.clone(),
        head: head.file.clone(),
        changes,
        rust_impact,
        versions: (base_version, head_version),
    };
    let output = match args.format {
        Format::Text => report.text(),
        Format::Markdown => report.markdown(),
        Format::Json => report.json(),
    };
    let threshold = match args.fail_on {
        FailOn::Breaking => Some(Severity::Breaking),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    let failing = threshold.is_some_and(|t| report.changes.iter().any(|c| c.waived.is_none() && c.severity <= t));
    Ok(Outcome { output, notes, exit: u8::from(failing), report })
}

/// The process exit code for a run: 0 clean, 1 failing findings, 2 bad input.
pub fn exit_code(result: &Result<Outcome, InputError>) -> u8 {
    match result {
        Ok(outcome) => outcome.exit,
        Err(_) => 2,
    }
}
