//! The `fake-zoom` command line: serve the fake Zoom billing API on
//! 127.0.0.1 until killed, so several processes (or programs in other
//! languages) can share one fake. Prints the API base URL on its first line
//! of output. A library function so that a test crate's own binary can be
//! exactly this program (cargo gives tests only their own package's binaries).

use std::io::Write as _;
use std::net::SocketAddr;

use clap::Parser;

use crate::{FakeZoom, LimitConfig, World};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(name = "fake-zoom", about = "Serve the fake Zoom billing API on 127.0.0.1 until killed")]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Run Zoom's limits this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Enforce the spec's rate limits with Zoom's 429.
    #[arg(long)]
    enforce_limits: bool,
    /// Share of a minimum interval a request may come early by before it is rejected.
    #[arg(long, default_value_t = 0.05)]
    tolerance: f64,
    /// Lifetime of issued tokens in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Serve this world (a JSON or YAML file of `fake_zoom::World`) instead of the standard one.
    #[arg(long, value_name = "FILE")]
    seed: Option<std::path::PathBuf>,
}

/// Parse the process's arguments and serve until killed.
pub fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(std::io::Error::other("--time-scale must be a positive number"));
    }
    if !(0.0..=1.0).contains(&args.tolerance) {
        return Err(std::io::Error::other("--tolerance must be between 0 and 1"));
    }
    let world = match &args.seed {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("--seed {}: {e}", path.display())))?;
            World::parse(&text).map_err(|e| std::io::Error::other(format!("--seed {}: {e}", path.display())))?
        }
        None => World::standard(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let fake = FakeZoom::builder().addr(SocketAddr::from(([127, 0, 0, 1], args.port))).world(world).start().await?;
        fake.set_limits(LimitConfig {
            enforce: args.enforce_limits,
            time_scale: args.time_scale,
            tolerance: args.tolerance,
            ..LimitConfig::default()
        });
        fake.set_token_lifetime(args.token_lifetime);
        let mut out = std::io::stdout();
        writeln!(out, "{}", fake.base_url())?;
        out.flush()?;
        // Serve until the process is killed.
        std::future::pending::<()>().await;
        Ok(())
    })
}
