//! `zoom-billing`: Zoom's billing master-account API on the command line.
//!
//! One subcommand per operation of the spec (generated into `generated/commands.rs` by
//! `cargo xtask generate`, never edited by hand), each call through the `zoom_billing`
//! client's full runtime: Server-to-Server OAuth, pacing by the spec's rate limits, daily
//! budgets, retries, atomic downloads. Hand-written beside it: the flags every subcommand
//! takes and the client they make (`setup`), credentials and profiles (`config`), output
//! (`output`), progress and pacing waits (`progress`), `--dry-run` (`dry_run`), the report
//! workflow (`report`), the limits' floor of a workload (`plan`) and exit codes (`error`).
//! See docs/cli.md.

mod args;
mod config;
mod dry_run;
mod error;
mod output;
mod plan;
mod progress;
mod report;
mod run;
mod setup;

#[rustfmt::skip]
#[path = "generated/commands.rs"]
mod commands;

use std::process::ExitCode;

use clap::{Arg, ArgMatches, Command, value_parser};

/// The whole command line.
fn cli() -> Command {
    Command::new("zoom-billing")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Zoom's billing master-account API, paced by Zoom's rate limits")
        .long_about(
            "Every operation of Zoom's billing master-account API as a subcommand, sent through the \
             zoom-billing client: Server-to-Server OAuth from ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and \
             ZOOM_CLIENT_SECRET (or ZOOM_ACCESS_TOKEN, or a --profile of the config file), paced by \
             Zoom's rate limits, retried when that is safe. Answers print as JSON on stdout.",
        )
        .after_help(error::EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(setup::global_args())
        .subcommands(commands::commands())
        .subcommand(report::command())
        .subcommand(plan::command())
        .subcommand(
            Command::new("completions").about("Print a shell completion script").arg(
                Arg::new("shell").required(true).value_parser(value_parser!(clap_complete::Shell)).help("The shell"),
            ),
        )
}

fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => {
            let _ = e.print();
            // clap: 0 for --help and --version, 2 for a usage error.
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let Some((name, sub)) = matches.subcommand() else { return ExitCode::from(2) };
    if name == "completions" {
        // Into memory first: clap_complete panics on a write error (`| head`).
        let mut script = Vec::new();
        if let Some(shell) = sub.get_one::<clap_complete::Shell>("shell") {
            clap_complete::generate(*shell, &mut cli(), "zoom-billing", &mut script);
        }
        return match output::raw(&script) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.is::<output::Closed>() => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    }
    if name == plan::NAME {
        // From the spec alone: no credentials, nothing sent.
        return match plan::run(sub) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.is::<output::Closed>() => ExitCode::SUCCESS,
            Err(e) => fail(e),
        };
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    match runtime.block_on(run(&matches, name, sub)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<output::Closed>() => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: anyhow::Error) -> ExitCode {
    eprintln!("error: {error:#}");
    error::exit_code(&error)
}

async fn run(matches: &ArgMatches, name: &str, sub: &ArgMatches) -> anyhow::Result<()> {
    let (ctx, capture) = setup::context(matches).await?;
    progress::install(ctx.terminal);
    let result = match name {
        report::NAME => report::run(&ctx, sub).await,
        _ => commands::run(&ctx, name, sub).await,
    };
    let Some((capture, real_base)) = capture else { return result };
    // --dry-run: what was captured is the answer; the capture server's empty reply makes the
    // call itself fail, which says nothing. A request refused before sending is the error.
    let requests = capture.requests(&real_base);
    if requests.is_empty() {
        return result;
    }
    for request in &requests {
        ctx.output.value(request)?;
    }
    Ok(())
}
