//! A job's lease: taken at start (or waited for), renewed while the job
//! runs by a task of its own, and lost when a renewal finds another holder
//! or cannot reach the store for a whole lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::error::{Error, JobError, Result};
use crate::journal::Journal;
use crate::shared::Store;

/// This runner's lease value: `host/pid/random@since`.
pub(super) fn holder(since: DateTime<Utc>) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "host".into());
    let host: String = host.trim().chars().filter(|c| c.is_ascii_graphic() && *c != '@').take(64).collect();
    format!(
        "{host}/pid {}/{:08x}@{}",
        std::process::id(),
        rand::random::<u32>(),
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// Since when a holder has held it, as its value says.
fn since(holder: &str) -> Option<DateTime<Utc>> {
    holder.rsplit_once('@').and_then(|(_, at)| at.parse().ok())
}

/// Take the lease, waiting up to `wait` for another holder to let it go.
pub(super) async fn take(
    store: &Store,
    job: &str,
    holder: &str,
    lease: Duration,
    wait: Option<Duration>,
) -> Result<()> {
    let store_error = |source| Error::Job(Box::new(JobError::Store { job: job.to_owned(), source }));
    let deadline = wait.and_then(|wait| Instant::now().checked_add(wait));
    loop {
        let other = match store.lease_take(job, holder, lease).await.map_err(store_error)? {
            Ok(()) => return Ok(()),
            Err(other) => other,
        };
        let pause = (lease / 4).min(Duration::from_secs(1));
        match deadline {
            Some(deadline) if Instant::now() + pause < deadline => tokio::time::sleep(pause).await,
            _ => {
                let since = since(&other);
                let holder = other.rsplit_once('@').map_or(other.as_str(), |(who, _)| who).to_owned();
                return Err(Error::Job(Box::new(JobError::Held { job: job.to_owned(), holder, since, lease })));
            }
        }
    }
}

/// Renew the lease every third of it, until aborted or lost.
pub(super) fn keep(journal: Arc<Journal>, lease: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut renewed = Instant::now();
        loop {
            tokio::time::sleep(lease / 3).await;
            match journal.store.lease_renew(&journal.name, &journal.holder, lease).await {
                Ok(Ok(())) => renewed = Instant::now(),
                Ok(Err(to)) => {
                    tracing::error!(job = %journal.name, now = %to, "the job's lease was lost");
                    journal.mark_lost(to);
                    return;
                }
                Err(error) if renewed.elapsed() >= lease => {
                    // Not renewed for a whole lease: another runner may have it by now.
                    tracing::error!(job = %journal.name, error = %error, "the job's lease could not be renewed in time");
                    journal.mark_lost(String::new());
                    return;
                }
                Err(error) => {
                    tracing::warn!(job = %journal.name, error = %error, "the job's lease was not renewed; trying again")
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_says_since_when() {
        let at: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
        let holder = holder(at);
        assert_eq!(since(&holder), Some(at));
        assert!(holder.contains(&format!("pid {}", std::process::id())), "{holder}");
        assert_eq!(since("no-at-sign"), None);
        assert_eq!(since("x@not a date"), None);
    }
}
