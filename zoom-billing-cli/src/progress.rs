//! What the user sees while waiting, on stderr: a pacing wait (the library's INFO event
//! "waiting for Zoom's rate limit") as a countdown on a terminal or one log line otherwise;
//! the library's warnings as log lines; a ticking elapsed time while a download runs on a
//! terminal. All bounded: a countdown ends with the wait it shows, a ticker with its task.

use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The library's message for a pacing wait (zoom-billing/src/pacing.rs).
const WAITING: &str = "waiting for Zoom's rate limit";

/// Show the library's pacing waits and warnings on stderr.
pub fn install(terminal: bool) {
    let _ = tracing_subscriber::registry().with(Waits { terminal }).try_init();
}

struct Waits {
    terminal: bool,
}

/// An event's message and other fields.
#[derive(Default)]
struct Fields {
    message: String,
    wait_secs: Option<f64>,
    others: String,
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "wait_secs" {
            self.wait_secs = Some(value);
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            let _ = write!(self.others, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            let _ = write!(self.others, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for Waits {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("zoom_billing") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message == WAITING {
            let secs = fields.wait_secs.unwrap_or(0.0);
            if self.terminal {
                countdown(Duration::from_secs_f64(secs.max(0.0)), fields.others);
            } else {
                eprintln!("zoom-billing: waiting {secs}s for Zoom's rate limit:{}", fields.others);
            }
        } else if *meta.level() <= Level::WARN {
            eprintln!("zoom-billing: {}: {}{}", meta.level().as_str().to_lowercase(), fields.message, fields.others);
        }
    }
}

/// A countdown on stderr for `wait`, on a thread of its own (the runtime is busy waiting).
fn countdown(wait: Duration, detail: String) {
    let end = Instant::now() + wait;
    std::thread::spawn(move || {
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                eprint!("\r\x1b[K");
                break;
            }
            eprint!("\r\x1b[K{WAITING}: {}s left ({})", left.as_secs() + 1, detail.trim());
            let _ = std::io::stderr().flush();
            std::thread::sleep(left.min(Duration::from_secs(1)));
        }
    });
}

/// Run `work`, showing `label` and the elapsed time on a terminal until it ends.
pub async fn while_running<F: Future>(terminal: bool, label: String, work: F) -> F::Output {
    if !terminal {
        return work.await;
    }
    let started = Instant::now();
    let ticker = tokio::spawn(async move {
        loop {
            eprint!("\r\x1b[K{label}... {}s", started.elapsed().as_secs());
            let _ = std::io::stderr().flush();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let output = work.await;
    ticker.abort();
    eprint!("\r\x1b[K");
    output
}
