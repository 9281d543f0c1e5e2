//! `fake-zoom`: serve the fake Zoom billing API on 127.0.0.1 until killed,
//! so several processes (or programs in other languages) can share one fake.
//! Prints the API base URL on its first line of output.

use std::net::SocketAddr;

use clap::Parser;
use fake_zoom::{FakeZoom, LimitConfig};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(about = "Serve the fake Zoom billing API on 127.0.0.1 until killed")]
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
    /// Lifetime of issued tokens in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        return Err(std::io::Error::other("--time-scale must be a positive number"));
    }
    let fake = FakeZoom::start_on(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    fake.set_limits(LimitConfig {
        enforce: args.enforce_limits,
        time_scale: args.time_scale,
        ..LimitConfig::default()
    });
    fake.set_token_lifetime(args.token_lifetime);
    println!("{}", fake.base_url());
    // Serve until the process is killed.
    std::future::pending::<()>().await;
    Ok(())
}
