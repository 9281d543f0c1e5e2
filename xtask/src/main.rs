//! `cargo xtask`: the maintainers' command line over `zoom-billing-codegen`.
//!
//! - `cargo xtask generate` regenerates `zoom-billing/src/generated/`, fake-zoom's contract
//!   (`fake-zoom/src/generated/`) and the command line's commands
//!   (`zoom-billing-cli/src/generated/`) from the spec.
//! - `cargo xtask generate --check` fails with a diff when those files are stale.
//! - `cargo xtask lint` reports the project's rules on the spec.
//! - `cargo xtask spec-diff` reports what a spec change does to the API and to Rust users.
//!
//! Every command acts on the workspace found at run time (see
//! `zoom_billing_codegen::workspace`), never on the one this binary was built in.
//! - `cargo xtask spec-drift` proposes a spec change from the client's drift findings.

mod bench_build;
mod spec_diff;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};
use zoom_billing_codegen::files::{self, FileStatus};
use zoom_billing_codegen::lint::{self, RULES, Severity};
use zoom_billing_codegen::{Options, SPEC_PATH, Spec, workspace_root};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintenance tasks for the zoom-billing workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the client from the spec (only files whose content changes are written).
    Generate {
        /// Touch nothing; exit 1 with a unified diff if any generated file is stale.
        #[arg(long)]
        check: bool,
        /// The spec to read (default: spec/zoom-billing.yaml).
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Check the spec against the project's rules.
    Lint {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The spec to read (default: spec/zoom-billing.yaml).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Print what a rule checks and exit.
        #[arg(long, value_name = "RULE")]
        explain: Option<String>,
    },
    /// Compare two versions of the spec: findings by rule and severity, and the Rust API impact.
    SpecDiff(spec_diff::SpecDiffArgs),
    /// Propose a spec change from drift findings (JSON Lines from the client's drift observer).
    SpecDrift(zoom_billing_spec_drift::cli::Args),
    /// Measure build and codegen cost against zoom-api (takes minutes; see BENCHMARKS.md).
    BenchBuild {
        /// Builds per figure (median reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Runs of each codegen tool (median reported).
        #[arg(long, default_value_t = 5)]
        tool_runs: usize,
        /// Measure zoom-billing only.
        #[arg(long)]
        skip_zoom_api: bool,
        /// Output format: `text` or `markdown`.
        #[arg(long, default_value = "text", value_parser = ["text", "markdown"])]
        format: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match workspace_root() {
        Ok(root) => root,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Generate { check, spec } => generate(&root, spec, check),
        Command::Lint { format, spec, explain } => run_lint(&root, spec, format, explain),
        Command::SpecDiff(args) => Ok(spec_diff::run(&root, args)),
        Command::SpecDrift(args) => Ok(zoom_billing_spec_drift::cli::run(&root, args)),
        Command::BenchBuild { runs, tool_runs, skip_zoom_api, format } => {
            let options = bench_build::Options { runs, tool_runs, skip_zoom_api, markdown: format == "markdown" };
            Ok(bench_build::run(&root, &options).map_or_else(
                |err| {
                    eprintln!("error: {err}");
                    ExitCode::from(2)
                },
                |()| ExitCode::SUCCESS,
            ))
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

/// The spec path as given (for messages) and resolved against the root.
fn spec_path(root: &std::path::Path, spec: Option<PathBuf>) -> (String, PathBuf) {
    match spec {
        Some(path) => (path.display().to_string(), path),
        None => (SPEC_PATH.to_owned(), root.join(SPEC_PATH)),
    }
}

fn load(root: &std::path::Path, spec: Option<PathBuf>) -> zoom_billing_codegen::Result<Spec> {
    let (label, path) = spec_path(root, spec);
    let text = std::fs::read_to_string(&path).map_err(|source| zoom_billing_codegen::Error::Io {
        path: path.clone(),
        action: "cannot read the spec",
        source,
    })?;
    Spec::parse(&label, &text)
}

fn generate(root: &std::path::Path, spec: Option<PathBuf>, check: bool) -> zoom_billing_codegen::Result<ExitCode> {
    let started = Instant::now();
    let spec = load(root, spec)?;
    let options = Options::project();
    let mut output = zoom_billing_codegen::generate(&spec, &options)?;
    // fake-zoom's contract comes from the same spec in the same run (codegen/src/fake.rs).
    output.files.extend(zoom_billing_codegen::fake::generate(&spec, &options.spec_label)?);
    // So are the command line's commands (codegen/src/cli.rs).
    output.files.extend(zoom_billing_codegen::cli::generate(&spec, &options.spec_label)?);
    for warning in &output.warnings {
        eprintln!("{}:{warning}", spec.file);
    }
    if check {
        let stale = files::check_all(root, &output.files)?;
        if stale.is_empty() {
            println!(
                "generated code is up to date ({} files, {} operations, {} types; {:.2?})",
                output.files.len(),
                output.operations,
                output.types,
                started.elapsed()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for file in &stale {
            print!("{}", file.diff);
        }
        eprintln!(
            "error: {} generated file(s) are stale relative to {}: {}\nrun `cargo xtask generate` and commit the result",
            stale.len(),
            spec.file,
            stale.iter().map(|s| s.path.as_str()).collect::<Vec<_>>().join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    let statuses = files::write_all(root, &output.files)?;
    let written = statuses.iter().filter(|(_, s)| *s == FileStatus::Written).count();
    for (path, status) in &statuses {
        let word = if *status == FileStatus::Written { "written  " } else { "unchanged" };
        println!("  {word} {path}");
    }
    println!(
        "generated {} operations, {} types: {} file(s) written, {} unchanged ({:.2?})",
        output.operations,
        output.types,
        written,
        statuses.len() - written,
        started.elapsed()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_lint(
    root: &std::path::Path,
    spec: Option<PathBuf>,
    format: Format,
    explain: Option<String>,
) -> zoom_billing_codegen::Result<ExitCode> {
    if let Some(rule) = explain {
        return Ok(match RULES.iter().find(|r| r.id == rule) {
            Some(info) => {
                println!("{} ({}): {}", info.id, info.severity, info.summary);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no rule `{rule}`; rules: {}",
                    RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                );
                ExitCode::from(2)
            }
        });
    }
    let spec = load(root, spec)?;
    let findings = lint::lint(&spec);
    let errors = findings.iter().filter(|d| d.severity == Severity::Error).count();
    match format {
        Format::Text => {
            for d in &findings {
                println!("{}:{d}", spec.file);
            }
            println!(
                "{}: {} error(s), {} warning(s) from {} rules",
                spec.file,
                errors,
                findings.len() - errors,
                RULES.len()
            );
        }
        Format::Json => {
            let report =
                LintReport { file: &spec.file, errors, warnings: findings.len() - errors, findings: &findings };
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
    }
    Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `--format json`: keys in a fixed order so the output diffs cleanly.
#[derive(serde::Serialize)]
struct LintReport<'a> {
    file: &'a str,
    errors: usize,
    warnings: usize,
    findings: &'a [lint::Diagnostic],
}
