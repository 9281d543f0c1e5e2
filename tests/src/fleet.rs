//! Running a fleet of `fleet-worker` processes for the fleet tests.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The workers' outcome counts, summed: calls that succeeded, 429s they saw,
/// calls refused by a spent budget, other errors.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Calls that succeeded.
    pub ok: u64,
    /// 429s the workers saw.
    pub rate_limited: u64,
    /// Calls the client refused because the budget was spent.
    pub budget_exhausted: u64,
    /// Any other error.
    pub other: u64,
}

/// Start `count` workers (`exe`, the test's `CARGO_BIN_EXE_fleet-worker`) with
/// `args`, wait for them (at most 60 s) and sum what each printed.
pub async fn run_workers(exe: &str, count: usize, args: &[String]) -> Totals {
    let children: Vec<_> = (0..count)
        .map(|_| Command::new(exe).args(args).stdout(Stdio::piped()).spawn().expect("start a fleet-worker"))
        .collect();
    let outputs = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || {
            children.into_iter().map(|c| c.wait_with_output().expect("a worker's output")).collect::<Vec<_>>()
        }),
    )
    .await
    .expect("the workers finish")
    .expect("the waiting task");
    let mut totals = Totals::default();
    for output in &outputs {
        assert!(output.status.success(), "{output:?}");
        let line: Value = serde_json::from_slice(&output.stdout).expect("a worker prints one JSON line");
        let count = |key: &str| line[key].as_u64().unwrap_or_else(|| panic!("{key} in {line}"));
        totals.ok += count("ok");
        totals.rate_limited += count("rate_limited");
        totals.budget_exhausted += count("budget_exhausted");
        totals.other += count("other");
    }
    totals
}
