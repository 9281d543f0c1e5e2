//! The tour (zoom-billing/examples/tour.rs) runs to its end against the fake-zoom program
//! enforcing Zoom's limits on a scaled clock, with a client paced on the same clock: no
//! operation waits on another's 30-minute interval, no 429, nothing stalls.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use zoom_billing::{Client, RateLimitPolicy};

#[path = "../../zoom-billing/examples/tour.rs"]
#[allow(dead_code, unused_imports)]
mod tour;

/// The fake-zoom program, killed on drop.
struct Fake(Child);

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_to_its_end_against_a_limits_enforcing_fake() {
    // 1800x: Zoom's "one request per 30 minutes" is one per second.
    const SCALE: &str = "1800";
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleet-fake-zoom"))
        .args(["--enforce-limits", "--time-scale", SCALE])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fake-zoom");
    let mut base_url = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut base_url).unwrap();
    let _fake = Fake(child);
    let client = Client::builder()
        .base_url(base_url.trim())
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::default().with_time_scale(SCALE.parse().unwrap()))
        .build()
        .unwrap();
    let lines = tokio::time::timeout(Duration::from_secs(120), tour::tour(&client, "sub-1"))
        .await
        .expect("the tour ends within 2 minutes")
        .unwrap();
    let failed: Vec<_> = lines.iter().filter(|l| !l.starts_with("ok ")).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let current = zoom_billing::Operation::ALL.into_iter().filter(|op| op.meta().replaced_by.is_none()).count();
    assert_eq!(lines.len(), current, "{lines:#?}");
}
