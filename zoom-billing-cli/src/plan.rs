//! `zoom-billing plan`: the soonest Zoom's limits let a workload finish, from
//! the spec's limits (`zoom_billing::job::Workload`). Nothing is sent, no
//! credentials are needed.

use anyhow::Context as _;
use clap::{Arg, ArgAction, ArgMatches, Command};
use zoom_billing::job::Workload;
use zoom_billing::{Operation, RateLimitPolicy};

use crate::error::Usage;

/// The subcommand's name.
pub const NAME: &str = "plan";

/// The subcommand.
pub fn command() -> Command {
    Command::new(NAME)
        .about("How long a workload takes at the least under Zoom's limits (nothing is sent)")
        .long_about(
            "Print the soonest Zoom's rate limits let a workload finish, and each limit that applies: an \
             operation's own interval (per sub account or per account, as the spec says), its daily limit \
             (from now, in UTC days), and its label's rate over every call. Each CALLS is \
             OPERATION=N (N calls) or OPERATION=NxM (N calls for each of M sub accounts); the operation is \
             a subcommand's name. Example: zoom-billing plan download-invoice-file=200",
        )
        .arg(
            Arg::new("calls")
                .value_name("CALLS")
                .required(true)
                .action(ArgAction::Append)
                .help("OPERATION=N or OPERATION=NxM (N calls per sub account, M sub accounts)"),
        )
}

/// Parse `OPERATION=N` or `OPERATION=NxM`.
fn parse(text: &str) -> Result<(Operation, u64, u64), String> {
    let (name, count) =
        text.split_once('=').ok_or_else(|| format!("`{text}`: expected OPERATION=N or OPERATION=NxM"))?;
    let operation = Operation::from_operation_id(&name.replace('-', "_"))
        .ok_or_else(|| format!("`{name}` is no operation (the subcommands' names are)"))?;
    let number = |n: &str| n.trim().parse::<u64>().map_err(|_| format!("`{n}` in `{text}` is not a whole number"));
    let (per_account, accounts) = match count.split_once(['x', 'X']) {
        Some((n, m)) => (number(n)?, number(m)?),
        None => (number(count)?, 1),
    };
    Ok((operation, per_account, accounts))
}

/// Print the floor of the workload `sub` describes.
pub fn run(sub: &ArgMatches) -> anyhow::Result<()> {
    let mut workload = Workload::new();
    for text in sub.get_many::<String>("calls").into_iter().flatten() {
        let (operation, per_account, accounts) = parse(text).map_err(Usage).context("zoom-billing plan")?;
        workload = workload.calls(operation, per_account, accounts);
    }
    let floor = workload.floor(&RateLimitPolicy::default(), chrono::Utc::now());
    let mut text = format!("{floor}\n");
    for binding in &floor.bindings {
        text.push_str(&format!("  {binding}\n"));
    }
    crate::output::raw(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_read_with_or_without_accounts() {
        assert_eq!(parse("download-invoice-file=200"), Ok((Operation::DownloadInvoiceFile, 200, 1)));
        assert_eq!(parse("list_billing_invoices=3x50"), Ok((Operation::ListBillingInvoices, 3, 50)));
        assert!(parse("nothing=1").unwrap_err().contains("is no operation"));
        assert!(parse("get-plan-usage").unwrap_err().contains("expected OPERATION=N"));
        assert!(parse("get-plan-usage=-1").unwrap_err().contains("not a whole number"));
    }
}
