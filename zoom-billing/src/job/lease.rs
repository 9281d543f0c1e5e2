//! A job's lease: taken at start (or waited for), renewed while the job
//! runs by a task of its own, and lost when a renewal finds another holder
//! or cannot reach the store for a whole lease.
//!
//! A holder names its host, process and host instance (a digest of the boot
//! id and the PID namespace, on Linux). A run that finds the lease held by a
//! process of its own host instance that is gone (killed, crashed) takes it
//! over at once instead of waiting for it to expire: a job restarted after a
//! crash goes on at once. Elsewhere, a dead holder's lease expires.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::error::{Error, JobError, Result};
use crate::journal::Journal;
use crate::shared::Store;

/// This runner's lease value: `host/pid N/random/instance@since`.
pub(super) fn holder(since: DateTime<Utc>) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "host".into());
    let host: String = host.trim().chars().filter(|c| c.is_ascii_graphic() && !"@/".contains(*c)).take(64).collect();
    format!(
        "{host}/pid {}/{:08x}/{}@{}",
        std::process::id(),
        rand::random::<u32>(),
        instance().unwrap_or("-"),
        since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

/// This host instance: the boot and the PID namespace, where process ids
/// mean the same (Linux only: elsewhere `None`, and no holder is found dead).
fn instance() -> Option<&'static str> {
    static INSTANCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    INSTANCE
        .get_or_init(|| {
            use sha2::Digest;
            let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
            let digest = sha2::Sha256::digest(format!("{}|{}", boot.trim(), namespace.display()));
            Some(digest[..4].iter().map(|b| format!("{b:02x}")).collect())
        })
        .as_deref()
}

/// Whether `holder` is a process of this host instance that is gone.
fn is_gone(holder: &str) -> bool {
    let Some(ours) = instance() else { return false };
    let Some((who, _)) = holder.rsplit_once('@') else { return false };
    let mut parts = who.rsplitn(4, '/');
    let (Some(theirs), Some(_random), Some(pid)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let Some(pid) = pid.strip_prefix("pid ").and_then(|pid| pid.parse::<u32>().ok()) else { return false };
    theirs == ours && pid != std::process::id() && !alive(pid)
}

/// Whether process `pid` of this PID namespace runs (a zombie does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold any byte.
        Ok(stat) => stat.rsplit_once(") ").is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
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
    let mut stale = String::new();
    loop {
        let other = match store.lease_take(job, holder, lease, &stale).await.map_err(store_error)? {
            Ok(()) => {
                if !stale.is_empty() {
                    tracing::info!(job, previous = %stale, "took the job over from a process of this host that is gone");
                }
                return Ok(());
            }
            Err(other) => other,
        };
        if is_gone(&other) && other != stale {
            // Taken over at once, if it is still that holder's.
            stale = other;
            continue;
        }
        let pause = (lease / 4).min(Duration::from_secs(1));
        match deadline {
            Some(deadline) if Instant::now() + pause < deadline => tokio::time::sleep(pause).await,
            _ => {
                let since = since(&other);
                let holder = crate::journal::shown_holder(&other);
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
    use proptest::prelude::*;

    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_holder_of_this_host_that_is_gone_is_found_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let gone = format!("vm/pid {pid}/00000000/{}@2026-12-01T08:00:00Z", instance().unwrap());
        child.wait().unwrap();
        assert!(is_gone(&gone), "{gone}");
        let elsewhere = format!("vm/pid {pid}/00000000/ffffffff@2026-12-01T08:00:00Z");
        assert!(!is_gone(&elsewhere), "another host instance's process is never judged");
    }

    proptest! {
        /// Whatever a store holds as the holder, judging it never panics.
        #[test]
        fn any_holder_is_judged_without_panic(holder in ".{0,80}") {
            let _ = is_gone(&holder);
            let _ = since(&holder);
        }
    }

    #[test]
    fn a_holder_says_since_when() {
        let at: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
        let holder = holder(at);
        assert_eq!(since(&holder), Some(at));
        assert!(holder.contains(&format!("pid {}", std::process::id())), "{holder}");
        assert_eq!(since("no-at-sign"), None);
        assert!(!is_gone(&holder), "this process runs");
        assert_eq!(since("x@not a date"), None);
    }
}
