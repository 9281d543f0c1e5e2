//! Billing jobs that take days: a job's calls are journaled in the client's
//! state store, so a job restarted after a crash or a deploy runs forward to
//! where it stopped, a billing effect is never sent twice, and one copy of
//! the job runs at a time.
//!
//! Behind the `jobs` Cargo feature (off by default), with a state store for
//! the journal (feature `sqlite` or `redis`):
//! `zoom-billing = { version = "0.4", features = ["jobs", "sqlite"] }`.
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use zoom_billing::Client;
//! use zoom_billing::shared::SqliteStore;
//!
//! let client = Client::builder()
//!     .server_to_server("account-id", "client-id", "client-secret")
//!     .shared_state(SqliteStore::open("/var/lib/billing/zoom-state.sqlite3")?)
//!     .build()?;
//! // Fails at once (`JobError::Held`) while another process runs it.
//! let job = client.job("month-end-2026-11").start().await?;
//! let zoom = job.client();
//! // Straight-line code: on a rerun, what this job already did is answered
//! // from its journal, without sending or spending Zoom's limits.
//! let invoices = zoom.list_billing_invoices().account_id("sub-1").await?;
//! for invoice in &invoices.invoices {
//!     if let Some(id) = &invoice.id {
//!         // A file the journal says was saved, and which is still there, is not fetched again.
//!         zoom.download_invoice_file().invoice_id(id.as_str()).save_to(format!("{id}.pdf")).await?;
//!     }
//! }
//! job.finish().await?;
//! # Ok(()) }
//! ```
//!
//! What a job guarantees, and what it does not, is in docs/jobs.md in the
//! repository. In short:
//!
//! - **Replay.** A call whose request (operation, parameters and body, as
//!   sent) already succeeded in this job returns the recorded answer, which
//!   decodes to the same typed value. Calls are matched by their request,
//!   not their order: a rerun whose code changed still replays the requests
//!   it shares with the earlier run.
//! - **At most once.** A creating call (not idempotent in the spec) is
//!   journaled as sent before it is sent. A rerun that finds it sent with no
//!   answer recorded (the process died, or the outcome was unknown) does not
//!   send it: it fails with [`Error::UnknownOutcome`],
//!   naming the operation to check with (the spec's `x-zoom-verify-with`);
//!   [`Job::settle`] records what the check found. Updates and cancellations
//!   are journaled once they succeed; one in flight when the process died is
//!   sent again (the spec marks them idempotent).
//! - **Downloads.** `save_to` records the file's size and SHA-256; a rerun
//!   whose destination holds that file does not download it again.
//! - **One runner.** The job holds a lease in the store, renewed while the
//!   [`Job`] lives and expiring when its process dies; every journal write is
//!   fenced by it.
//! - **Retention.** A journal is kept [`JobBuilder::retention`] after its last
//!   write (default 35 days) and can be dropped with [`Job::forget`]. It holds
//!   Zoom's response bodies (billing data: invoices, contacts, amounts) but
//!   no token or secret: protect the store as you protect that data.

mod lease;
mod plan;

use std::fmt;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use self::plan::{Binding, Floor, Progress, Rule, Workload};
use crate::Client;
use crate::error::{Error, JobError, Result, UnknownOutcome};
use crate::journal::{Done, Entry, Journal, RequestKey};
use crate::shared::Store;

/// The default lease: how long a job stays held after its process stops renewing it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The default retention of a journal after its last write.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(35 * 24 * 3600);

/// A journal kept in this process's memory, for tests: give the same one to
/// [`JobBuilder::in_memory`] to run a job again in the same process. A
/// client's state store keeps journals across processes; this does not.
/// Cheap to clone: clones share the journals.
#[derive(Clone)]
pub struct MemoryJournal(Store);

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        MemoryJournal(Store::memory())
    }
}

impl Default for MemoryJournal {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryJournal")
    }
}

impl Client {
    /// A job named `name`: its calls are journaled in this client's state
    /// store ([`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state)),
    /// so that a rerun of the same job goes on where it stopped. Name it for
    /// the work and its period (`month-end-2026-11`): a new name starts afresh.
    pub fn job(&self, name: impl Into<String>) -> JobBuilder<'_> {
        JobBuilder {
            client: self,
            name: name.into(),
            memory: None,
            lease: DEFAULT_LEASE,
            wait_for_lease: None,
            retention: DEFAULT_RETENTION,
        }
    }
}

/// Configure a job, then [`start`](Self::start) it (or `.await` the builder).
#[must_use = "a job does nothing until it is started: call `.start().await` or `.await` it"]
pub struct JobBuilder<'a> {
    client: &'a Client,
    name: String,
    memory: Option<MemoryJournal>,
    lease: Duration,
    wait_for_lease: Option<Duration>,
    retention: Duration,
}

impl fmt::Debug for JobBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobBuilder")
            .field("name", &self.name)
            .field("in_memory", &self.memory.is_some())
            .field("lease", &self.lease)
            .field("wait_for_lease", &self.wait_for_lease)
            .field("retention", &self.retention)
            .finish()
    }
}

impl<'a> JobBuilder<'a> {
    /// Keep the journal in `journal` (this process's memory) instead of the
    /// client's state store: for tests.
    pub fn in_memory(mut self, journal: &MemoryJournal) -> Self {
        self.memory = Some(journal.clone());
        self
    }

    /// How long the job stays held after its process stops renewing the
    /// lease (it is renewed every third of this): the longest a second copy
    /// waits after the first one died. Between 3 s and 1 hour; default 30 s.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// When another copy holds the job, wait up to `max` for it to finish
    /// (or die) instead of failing with [`JobError::Held`] at once.
    pub fn wait_for_lease(mut self, max: Duration) -> Self {
        self.wait_for_lease = Some(max);
        self
    }

    /// How long the journal is kept after its last write (default 35 days):
    /// a rerun within it goes on from the journal, a later one starts afresh.
    /// Between 1 minute and 400 days.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Take the job's lease and start it.
    pub async fn start(self) -> Result<Job> {
        let invalid = |reason: String| Error::Job(Box::new(JobError::Invalid { job: self.name.clone(), reason }));
        crate::shared::check_namespace(&self.name).map_err(|reason| invalid(format!("the job's name {reason}")))?;
        if self.name.chars().count() > 100 {
            return Err(invalid("the job's name is longer than 100 characters".into()));
        }
        if !(Duration::from_secs(3)..=Duration::from_secs(3600)).contains(&self.lease) {
            return Err(invalid(format!("a lease of {:?} is not between 3 s and 1 hour", self.lease)));
        }
        if !(Duration::from_secs(60)..=Duration::from_secs(400 * 24 * 3600)).contains(&self.retention) {
            return Err(invalid(format!("a retention of {:?} is not between 1 minute and 400 days", self.retention)));
        }
        let store = match (&self.memory, &self.client.runtime().store) {
            (Some(memory), _) => memory.0.clone(),
            (None, Some(store)) => store.clone(),
            (None, None) => {
                return Err(invalid(
                    "a job keeps its journal in the client's state store, and this client has none: give it one \
                     with `ClientBuilder::shared_state` (a `SqliteStore` for one host, a `RedisStore` for many), \
                     or use `JobBuilder::in_memory` in tests"
                        .into(),
                ));
            }
        };
        let name: Arc<str> = Arc::from(self.name.as_str());
        let since = Utc::now();
        let holder = lease::holder(since);
        lease::take(&store, &name, &holder, self.lease, self.wait_for_lease).await?;
        let journal = Arc::new(Journal::new(Arc::clone(&name), store, holder, self.retention));
        let renewal = lease::keep(Arc::clone(&journal), self.lease);
        tracing::info!(job = %name, holder = %journal.holder, "job started");
        Ok(Job { client: self.client.for_job(Arc::clone(&journal)), journal, renewal: Some(renewal), since })
    }
}

impl<'a> IntoFuture for JobBuilder<'a> {
    type Output = Result<Job>;
    type IntoFuture = BoxFuture<'a, Result<Job>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.start())
    }
}

/// A running job: its [`client`](Self::client)'s calls are journaled. Holds
/// the job's lease until [`finish`](Self::finish), [`forget`](Self::forget)
/// or drop (a dropped job's lease is released in the background, or expires).
pub struct Job {
    client: Client,
    journal: Arc<Journal>,
    renewal: Option<tokio::task::JoinHandle<()>>,
    since: DateTime<Utc>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job").field("name", &self.name()).field("holder", &self.holder()).finish()
    }
}

/// What a check of an unknown outcome found, for [`Job::settle`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Found {
    /// The request did not take effect: the next run sends it.
    NotApplied,
    /// It took effect. A rerun does not send it and answers the call with
    /// this body (the operation's response, as JSON), or, with `None`, fails
    /// with [`JobError::NotReplayable`] for an operation whose success has a body.
    Applied(Option<serde_json::Value>),
}

impl Job {
    /// The job's name.
    pub fn name(&self) -> &str {
        &self.journal.name
    }

    /// Who runs it: host, process id and a random id, with since when.
    pub fn holder(&self) -> &str {
        &self.journal.holder
    }

    /// When this run started.
    pub fn started_at(&self) -> DateTime<Utc> {
        self.since
    }

    /// The client whose calls are journaled: the same connections, token and
    /// pacing as the client the job was made from.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Record what checking an unknown outcome found (see [`Found`]). The
    /// outcome must be one of this job's (its `job` names it).
    pub async fn settle(&self, outcome: &UnknownOutcome, found: Found) -> Result<()> {
        let (Some(job), Some(key)) = (&outcome.job, &outcome.journal_key) else {
            return Err(self.invalid("this outcome is not a job's: settle the outcomes a job's calls returned".into()));
        };
        if job.as_str() != self.name() {
            return Err(self.invalid(format!("this outcome is job `{job}`'s, not this one's")));
        }
        let key = RequestKey::from_field(key);
        let entry = match found {
            Found::NotApplied => None,
            Found::Applied(body) => {
                let body = body.map(|json| json.to_string());
                Some(Entry::Done(Done::Settled { body }))
            }
        };
        self.journal.put(outcome.operation, &key, entry.as_ref()).await
    }

    /// How far the job is with `workload` (what it has to do in all), from
    /// its journal: done and remaining calls, the soonest Zoom's limits let
    /// the rest finish, and the binding operation's next slot.
    pub async fn progress(&self, workload: &Workload) -> Result<Progress> {
        let counts = self.journal.store.journal_counts(&self.journal.name).await.map_err(|e| self.store_error(e))?;
        let policy = &self.client.runtime().pacer.policy();
        Ok(Progress::new(workload, &counts, policy, Utc::now(), |operation| self.journal.last_done(operation)))
    }

    /// End the run and release the lease; the journal is kept for its
    /// retention, so running the job again replays it.
    pub async fn finish(mut self) -> Result<()> {
        self.stop_renewal();
        let released = self.journal.store.lease_release(&self.journal.name, &self.journal.holder).await;
        released.map_err(|e| self.store_error(e))
    }

    /// Drop the job's journal and release its lease: the next run starts afresh.
    pub async fn forget(mut self) -> Result<()> {
        self.journal.check_held()?;
        let dropped = self.journal.store.journal_drop(&self.journal.name, &self.journal.holder).await;
        match dropped.map_err(|e| self.store_error(e))? {
            Ok(()) => {}
            Err(to) => {
                self.journal.mark_lost(to);
                self.journal.check_held()?;
            }
        }
        self.stop_renewal();
        let released = self.journal.store.lease_release(&self.journal.name, &self.journal.holder).await;
        released.map_err(|e| self.store_error(e))
    }

    fn stop_renewal(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
    }

    fn invalid(&self, reason: String) -> Error {
        Error::Job(Box::new(JobError::Invalid { job: self.name().to_owned(), reason }))
    }

    fn store_error(&self, source: crate::error::StoreError) -> Error {
        Error::Job(Box::new(JobError::Store { job: self.name().to_owned(), source }))
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
            // Released in the background when a runtime is there; otherwise it expires.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let journal = Arc::clone(&self.journal);
                runtime.spawn(async move {
                    let _ = journal.store.lease_release(&journal.name, &journal.holder).await;
                });
            }
        }
    }
}
