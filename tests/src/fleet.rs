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

/// The `fake-zoom` program (the tests package's `fleet-fake-zoom` binary, whose
/// path the test passes in), run as its own process; killed when dropped.
pub struct FakeProcess {
    child: std::process::Child,
    /// The API base URL it printed.
    pub base_url: String,
}

impl FakeProcess {
    /// Start it with `args`; returns once it listens.
    pub fn start(exe: &str, args: &[&str]) -> FakeProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(exe)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start fake-zoom");
        // Its first line is the API base URL, once it listens.
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("fake-zoom's base URL");
        FakeProcess { child, base_url: line.trim().to_owned() }
    }

    /// Its OAuth host (and the origin of `/fake/stats`).
    pub fn origin(&self) -> String {
        self.base_url.trim_end_matches("/v2").to_owned()
    }

    /// `GET /fake/stats`.
    pub async fn stats(&self, origin: &str) -> serde_json::Value {
        let url = format!("{origin}/fake/stats");
        reqwest::get(&url).await.expect("fake-zoom answers").json().await.expect("stats are JSON")
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
