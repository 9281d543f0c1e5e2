//! `zoom-billing invoice-report`: the report workflow as one command (zoom-billing's
//! `reports` module): generate an invoice report, wait until Zoom has built it, save it.
//! `--resume REPORT_ID` waits for and saves a report generated earlier, without spending
//! another of the day's reports.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgGroup, ArgMatches, Command, value_parser};
use zoom_billing::reports::ReportWait;
use zoom_billing::types::GenerateInvoiceReportRequest;

use crate::error::Usage;
use crate::run::{self, Context};
use crate::{progress, setup};

/// The subcommand's name.
pub const NAME: &str = "invoice-report";

/// The subcommand.
pub fn command() -> Command {
    Command::new(NAME)
        .about("Generate an invoice report, wait until it is ready, and save it (or --resume one)")
        .long_about(
            "Generate an invoice report (generate-invoice-report with --body), poll \
             list-invoice-reports until it is Completed, and save it to --out atomically. If \
             waiting or saving fails, the error names the report id: run again with --resume \
             REPORT_ID instead of generating another (Zoom allows 100 reports a day).",
        )
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("The generate-invoice-report request body: a JSON file, or - for standard input"),
        )
        .arg(
            Arg::new("resume")
                .long("resume")
                .value_name("REPORT_ID")
                .help("Wait for and save this report instead of generating one"),
        )
        .group(ArgGroup::new("what").args(["body", "resume"]).required(true))
        .arg(run::out_arg())
        .arg(
            Arg::new("poll-interval")
                .long("poll-interval")
                .value_name("DURATION")
                .value_parser(setup::duration)
                .default_value("5s")
                .help("Time between two listings while the report is built"),
        )
        .arg(
            Arg::new("give-up-after")
                .long("give-up-after")
                .value_name("DURATION")
                .value_parser(setup::duration)
                .default_value("30m")
                .help("Give up (naming the report id) after this long"),
        )
}

/// Run the workflow; prints `{"report_id", "path", "bytes"}`.
pub async fn run(ctx: &Context, matches: &ArgMatches) -> anyhow::Result<()> {
    let out = matches.get_one::<PathBuf>("out").cloned().ok_or_else(|| Usage("--out PATH is required".into()))?;
    let poll = matches.get_one::<Duration>("poll-interval").copied().unwrap_or(Duration::from_secs(5));
    let give_up = matches.get_one::<Duration>("give-up-after").copied().unwrap_or(Duration::from_secs(1800));
    let wait = ReportWait::default().with_poll_interval(poll).with_max_wait(give_up);
    // Under --dry-run nothing is written at --out (the first request is what is shown).
    let path = if ctx.dry_run {
        std::env::temp_dir().join(format!(".zoom-billing-dry-run-{}", std::process::id()))
    } else {
        out.clone()
    };
    let client = ctx.client();
    let label = format!("invoice report to {}", out.display());
    let report = match matches.get_one::<String>("resume") {
        Some(id) => {
            progress::while_running(ctx.terminal, label, client.wait_and_download_invoice_report(id, &path, wait)).await
        }
        None => {
            let body_path =
                matches.get_one::<PathBuf>("body").ok_or_else(|| Usage("--body or --resume is required".into()))?;
            let request: GenerateInvoiceReportRequest = run::read_body(body_path)?;
            let work = client.generate_and_download_invoice_report(request, &path, wait);
            progress::while_running(ctx.terminal, label, work).await
        }
    }?;
    ctx.output.value(&serde_json::json!({"report_id": report.report_id, "path": out, "bytes": report.bytes}))
}
