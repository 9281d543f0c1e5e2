//! A running job's journal, as the call path reads and writes it: each
//! request's entry ([`entry`]) under its key ([`key`]) in the client's state
//! store, every write fenced by the job's lease. The public side (starting a
//! job, its lease's renewal, settling, progress) is [`crate::job`].

pub(crate) mod entry;
pub(crate) mod key;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;

pub(crate) use self::entry::{Done, Entry};
pub(crate) use self::key::RequestKey;
use crate::error::{Error, JobError};
use crate::metadata::Operation;
use crate::shared::{Fenced, Store};

/// A lease's holder as messages show it: `host/pid N/random`, without the
/// host instance and the start time (a message says since when on its own).
pub(crate) fn shown_holder(holder: &str) -> String {
    let who = holder.rsplit_once('@').map_or(holder, |(who, _)| who);
    who.rsplit_once('/').filter(|(shown, _)| shown.contains('/')).map_or(who, |(shown, _)| shown).to_owned()
}

/// One running job: its name, where its journal is, and the lease it holds.
pub(crate) struct Journal {
    pub(crate) name: Arc<str>,
    pub(crate) store: Store,
    /// The lease's value: who runs the job, and since when.
    pub(crate) holder: String,
    pub(crate) retention: Duration,
    /// Set when the lease was lost (to whom), by the renewal or by a fenced write.
    lost: Mutex<Option<String>>,
    /// When this run last recorded a success of each operation (for progress's next slot).
    last_done: Mutex<std::collections::BTreeMap<Operation, chrono::DateTime<Utc>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("name", &self.name).field("holder", &self.holder).finish()
    }
}

impl Journal {
    pub(crate) fn new(name: Arc<str>, store: Store, holder: String, retention: Duration) -> Self {
        Journal { name, store, holder, retention, lost: Mutex::new(None), last_done: Mutex::default() }
    }

    /// The lease was lost to `to` ('' when it expired and nobody has it).
    pub(crate) fn mark_lost(&self, to: String) {
        *self.lost.lock().unwrap_or_else(PoisonError::into_inner) = Some(to);
    }

    /// Fails once the lease is lost: nothing more is sent or written.
    pub(crate) fn check_held(&self) -> Result<(), Error> {
        match &*self.lost.lock().unwrap_or_else(PoisonError::into_inner) {
            None => Ok(()),
            Some(to) => Err(self.lease_lost(to.clone())),
        }
    }

    fn lease_lost(&self, to: String) -> Error {
        let (holder, now) = (shown_holder(&self.holder), shown_holder(&to));
        Error::Job(Box::new(JobError::LeaseLost { job: self.name.to_string(), holder, now }))
    }

    /// The entry of `key`, if any.
    pub(crate) async fn get(&self, operation: Operation, key: &RequestKey) -> Result<Option<Entry>, Error> {
        let text = self
            .store
            .journal_get(&self.name, key.as_str())
            .await
            .map_err(|source| Error::SharedState { operation, source })?;
        text.map(|text| Entry::decode(&text))
            .transpose()
            .map_err(|reason| Error::Job(Box::new(JobError::Journal { job: self.name.to_string(), reason })))
    }

    /// Write `entry` for `key` (or remove it: `None`) while the lease is held.
    pub(crate) async fn put(&self, operation: Operation, key: &RequestKey, entry: Option<&Entry>) -> Result<(), Error> {
        self.check_held()?;
        let text = entry.map(Entry::encode).unwrap_or_default();
        let fenced: Fenced = self
            .store
            .journal_put(&self.name, &self.holder, key.as_str(), &text, self.retention)
            .await
            .map_err(|source| Error::SharedState { operation, source })?;
        fenced.map_err(|to| {
            self.mark_lost(to.clone());
            self.lease_lost(to)
        })?;
        if let Some(Entry::Done(_)) = entry {
            self.last_done.lock().unwrap_or_else(PoisonError::into_inner).insert(operation, Utc::now());
        }
        Ok(())
    }

    /// When this run last recorded a success of `operation`.
    pub(crate) fn last_done(&self, operation: Operation) -> Option<chrono::DateTime<Utc>> {
        self.last_done.lock().unwrap_or_else(PoisonError::into_inner).get(&operation).copied()
    }

    /// Journal that a creating request is about to be sent; `false` when the
    /// journal already has an entry for it (another call of this job is sending
    /// the same request, or has).
    pub(crate) async fn intend(&self, operation: Operation, key: &RequestKey) -> Result<bool, Error> {
        self.check_held()?;
        let entry = Entry::Sent { at: Utc::now() }.encode();
        let added = self
            .store
            .journal_add(&self.name, &self.holder, key.as_str(), &entry, self.retention)
            .await
            .map_err(|source| Error::SharedState { operation, source })?;
        added.map_err(|to| {
            self.mark_lost(to.clone());
            self.lease_lost(to)
        })
    }
}
