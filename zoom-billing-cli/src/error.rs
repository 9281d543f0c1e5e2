//! Exit codes: one per class of failure, so a script can tell a spent budget from a bad
//! request from a network failure. Errors print as `error: {:#}` (the whole chain) on stderr.

use std::process::ExitCode;

/// Bad input found by the command line itself (a body file, a flag's value): exit code 2,
/// as clap's own usage errors, and nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// A configuration problem (config file, profile, state store setting): nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Config(pub String);

/// The state store could not be opened or set up (`--state`, `--redis`, the default file).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StateStore(pub String);

/// The exit codes, as `--help` and docs/cli.md list them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other failure (configuration, a file that cannot be written, an unexpected answer)
  2  usage: an unknown subcommand or flag, a value the spec does not allow, a bad --body file
  3  rate limit or daily budget: Zoom's 429, a spent daily budget, or a wait longer than --max-wait
  4  API error: Zoom answered with an error status
  5  authentication: no credentials, or no token could be had, or Zoom rejected it
  6  transport: the connection failed or timed out
  7  state store: the state store (--state, --redis, the default file) could not be used";

/// The class of a failure, as its exit code.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(class(error))
}

fn class(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if cause.is::<Usage>() {
            return 2;
        }
        if let Some(e) = cause.downcast_ref::<zoom_billing::Error>() {
            return of_call(e);
        }
        if let Some(e) = cause.downcast_ref::<zoom_billing::BuildError>() {
            return match e {
                zoom_billing::BuildError::MissingCredentials | zoom_billing::BuildError::MissingVariable(_) => 5,
                _ => 1,
            };
        }
        if cause.is::<zoom_billing::StoreError>() || cause.is::<StateStore>() {
            return 7;
        }
    }
    1
}

fn of_call(error: &zoom_billing::Error) -> u8 {
    use zoom_billing::Error as E;
    match error {
        E::InvalidRequest { .. } => 2,
        E::RateLimited(_) | E::BudgetExhausted { .. } | E::PacingWouldWait { .. } => 3,
        E::Api(_) => 4,
        E::Auth { source: zoom_billing::AuthError::SharedState(_), .. } => 7,
        E::Auth { .. } => 5,
        E::Transport { .. } | E::Timeout { .. } | E::Stalled { .. } => 6,
        E::SharedState { .. } => 7,
        // zoom_billing::Error is non-exhaustive: a variant added later is "other" until
        // it is given a class here.
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_found_anywhere_in_the_chain() {
        let usage = anyhow::Error::new(Usage("bad".into())).context("--body x.json");
        assert_eq!(class(&usage), 2);
        let missing = anyhow::Error::new(zoom_billing::BuildError::MissingCredentials);
        assert_eq!(class(&missing), 5);
        let wait = zoom_billing::Error::PacingWouldWait {
            operation: zoom_billing::Operation::GetInvoiceDetails,
            wait: std::time::Duration::from_secs(60),
            next_at: Default::default(),
            max_wait: std::time::Duration::from_secs(1),
        };
        assert_eq!(class(&anyhow::Error::new(wait)), 3);
        assert_eq!(class(&anyhow::anyhow!("something else")), 1);
    }
}
