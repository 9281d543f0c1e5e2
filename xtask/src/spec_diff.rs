//! `cargo xtask spec-diff`: argument parsing and printing only; the work is
//! `zoom_billing_spec_diff::command::run`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use zoom_billing_spec_diff::command::{self, FailOn, Format};
use zoom_billing_spec_diff::rules;

/// The command's arguments.
#[derive(Args)]
pub struct SpecDiffArgs {
    /// Old spec: a git revision or a file (default: `origin/main` if it exists, else `HEAD`).
    #[arg(long, value_name = "REV|FILE")]
    base: Option<String>,
    /// New spec: a git revision or a file (default: the working tree).
    #[arg(long, value_name = "REV|FILE")]
    head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Exit 1 when an unwaived finding at or above this severity is present.
    #[arg(long, value_enum, default_value_t = DiffFailOn::Breaking)]
    fail_on: DiffFailOn,
    /// Waiver file (default: spec/waivers.yaml, if present).
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Skip generating both clients to compare their public Rust API.
    #[arg(long)]
    no_rust_impact: bool,
    /// Print what a rule reports, its severity and why, and exit; `all` prints the table.
    #[arg(long, value_name = "RULE")]
    explain: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFailOn {
    Breaking,
    Warning,
    Never,
}

/// Run the command; exit 0 clean, 1 on unwaived findings at/above `--fail-on`, 2 on bad input.
pub fn run(root: &Path, args: SpecDiffArgs) -> ExitCode {
    if let Some(rule) = args.explain {
        if rule == "all" {
            print!("{}", rules::markdown_table());
            return ExitCode::SUCCESS;
        }
        return match rules::explain(&rule) {
            Some(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no spec-diff rule `{rule}`; rules: {}",
                    rules::RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                );
                ExitCode::from(2)
            }
        };
    }
    let request = command::Args {
        base: args.base,
        head: args.head,
        format: match args.format {
            DiffFormat::Text => Format::Text,
            DiffFormat::Markdown => Format::Markdown,
            DiffFormat::Json => Format::Json,
        },
        fail_on: match args.fail_on {
            DiffFailOn::Breaking => FailOn::Breaking,
            DiffFailOn::Warning => FailOn::Warning,
            DiffFailOn::Never => FailOn::Never,
        },
        waivers: args.waivers,
        rust_impact: !args.no_rust_impact,
    };
    let result = command::run(root, &request);
    match &result {
        Ok(outcome) => {
            print!("{}", outcome.output);
            for note in &outcome.notes {
                eprintln!("{note}");
            }
        }
        Err(err) => eprintln!("error: {err}"),
    }
    ExitCode::from(command::exit_code(&result))
}
