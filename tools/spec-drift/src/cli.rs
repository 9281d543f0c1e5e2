//! `cargo xtask spec-drift`: arguments and the run, for xtask to call.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args as ClapArgs;

use crate::{merge, propose, read_files, render};

/// `cargo xtask spec-drift <findings.jsonl>...`
#[derive(Clone, Debug, ClapArgs)]
pub struct Args {
    /// JSON Lines files written by the client's drift observer (many runs and machines).
    #[arg(required = true, value_name = "FINDINGS.jsonl")]
    pub findings: Vec<PathBuf>,
    /// The spec to propose a change to (default: spec/zoom-billing.yaml).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Write the proposed spec to this file instead of printing a unified diff.
    #[arg(long, value_name = "FILE", conflicts_with = "write")]
    pub out: Option<PathBuf>,
    /// Edit the spec in place.
    #[arg(long)]
    pub write: bool,
    /// Skip generating both clients to compare their public Rust API.
    #[arg(long)]
    pub no_rust_impact: bool,
}

/// Run the command: exit 0 on success (with or without edits), 2 on bad input.
pub fn run(root: &Path, args: Args) -> ExitCode {
    match execute(root, &args) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The command's standard output, or the error message.
pub fn execute(root: &Path, args: &Args) -> Result<String, String> {
    let records = read_files(&args.findings).map_err(|e| e.to_string())?;
    let (label, path) = match &args.spec {
        Some(path) => (path.display().to_string(), path.clone()),
        None => (zoom_billing_codegen::SPEC_PATH.to_owned(), root.join(zoom_billing_codegen::SPEC_PATH)),
    };
    let current = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {label}: {e}"))?;
    let proposal = propose(&label, &current, &merge(&records)).map_err(|e| e.to_string())?;
    let mut output = render::summary(&proposal);
    if proposal.text == current {
        output.push_str("the spec already covers every finding; nothing to change\n");
        return Ok(output);
    }
    if args.write {
        std::fs::write(&path, &proposal.text).map_err(|e| format!("cannot write {label}: {e}"))?;
        output.push_str(&format!("wrote {label}; review it, then run `cargo xtask generate`\n"));
    } else if let Some(out) = &args.out {
        std::fs::write(out, &proposal.text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        output.push_str(&format!("wrote the proposed spec to {}\n", out.display()));
    } else {
        output.push('\n');
        output.push_str(&render::unified_diff(&label, &current, &proposal.text));
    }
    let review = render::review(&label, &current, &proposal.text, !args.no_rust_impact).map_err(|e| e.to_string())?;
    output.push('\n');
    output.push_str(&review);
    Ok(output)
}
