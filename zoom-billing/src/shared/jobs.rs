//! The store's operations for jobs ([`crate::job`]): a lease per job, and
//! its journal (a map from a request's field to its entry), and the reading
//! of their answers. Every write is fenced by the lease: a runner that lost
//! it writes nothing.

use std::time::Duration;

use super::store::{Op, Script, Store, millis};
use crate::error::StoreError;

/// The most a journal entry may hold: the store's answers are bounded (a
/// Redis reply at 64 KiB), and an entry is read back whole.
pub(crate) const MAX_ENTRY: usize = 48 * 1024;

/// Whether a fenced operation ran: `Err` holds who has the lease instead
/// (empty when nobody has it).
pub(crate) type Fenced = Result<(), String>;

/// The operations on leases and journals a backend runs, atomically (see
/// [`Script`]); the comments in `lua/` say what each does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JobScript {
    /// `lua/lease_take.lua`.
    LeaseTake,
    /// `lua/lease_renew.lua`.
    LeaseRenew,
    /// `lua/journal_get.lua`.
    JournalGet,
    /// `lua/journal_put.lua`.
    JournalPut,
    /// `lua/journal_add.lua`.
    JournalAdd,
    /// `lua/journal_drop.lua`.
    JournalDrop,
    /// `lua/journal_counts.lua`.
    JournalCounts,
}

fn job_op(script: JobScript) -> Op {
    Op::new(Script::Job(script))
}

impl Store {
    fn lease_key(&self, job: &str) -> String {
        self.key(&format!("job:{job}:lease"))
    }

    fn journal_key(&self, job: &str) -> String {
        self.key(&format!("job:{job}:journal"))
    }

    /// A write of one entry (`journal_put`, `journal_add`): the same keys and arguments.
    fn entry_op(
        &self,
        script: JobScript,
        job: &str,
        holder: &str,
        field: &str,
        entry: &str,
        retention: Duration,
    ) -> Op {
        job_op(script)
            .key(self.journal_key(job))
            .key(self.lease_key(job))
            .arg(holder)
            .arg(field)
            .arg(entry)
            .arg(millis(retention))
    }

    /// `{1}` or `{0, holder}`.
    fn fenced(&self, script: &str, answer: Vec<String>) -> Result<Fenced, StoreError> {
        match <[String; 1]>::try_from(answer) {
            Ok([ok]) if ok == "1" => Ok(Ok(())),
            Ok(_) => Err(self.protocol(format!("{script} answered something unexpected"))),
            Err(answer) => match <[String; 2]>::try_from(answer) {
                Ok([zero, holder]) if zero == "0" => Ok(Err(holder.chars().take(200).collect())),
                _ => Err(self.protocol(format!("{script} answered something unexpected"))),
            },
        }
    }

    /// Take `job`'s lease for `holder`, or keep it when `holder` has it, or
    /// take it over from `stale` (a holder found dead; empty for none).
    pub(crate) async fn lease_take(
        &self,
        job: &str,
        holder: &str,
        ttl: Duration,
        stale: &str,
    ) -> Result<Fenced, StoreError> {
        let op = job_op(JobScript::LeaseTake).key(self.lease_key(job)).arg(holder).arg(millis(ttl)).arg(stale);
        self.fenced("lease_take", self.backend().run(op).await?)
    }

    /// Renew `job`'s lease only while `holder` has it.
    pub(crate) async fn lease_renew(&self, job: &str, holder: &str, ttl: Duration) -> Result<Fenced, StoreError> {
        let op = job_op(JobScript::LeaseRenew).key(self.lease_key(job)).arg(holder).arg(millis(ttl));
        self.fenced("lease_renew", self.backend().run(op).await?)
    }

    /// Release `job`'s lease if `holder` has it.
    pub(crate) async fn lease_release(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        self.backend().run(Op::new(Script::CompareDelete).key(self.lease_key(job)).arg(holder)).await.map(drop)
    }

    /// One entry of `job`'s journal.
    pub(crate) async fn journal_get(&self, job: &str, field: &str) -> Result<Option<String>, StoreError> {
        let answer = self.backend().run(job_op(JobScript::JournalGet).key(self.journal_key(job)).arg(field)).await?;
        self.entry_from(answer)
    }

    fn entry_from(&self, answer: Vec<String>) -> Result<Option<String>, StoreError> {
        match <[String; 1]>::try_from(answer) {
            Ok([entry]) if entry.len() <= MAX_ENTRY => Ok(Some(entry)),
            Ok(_) => Err(self.protocol(format!("a journal entry larger than {} KiB", MAX_ENTRY / 1024))),
            Err(answer) if answer.is_empty() => Ok(None),
            Err(_) => Err(self.protocol("journal_get answered the wrong number of items")),
        }
    }

    /// Write `entry` (or, when empty, delete it) while `holder` has the lease;
    /// the journal is kept `retention` from now.
    pub(crate) async fn journal_put(
        &self,
        job: &str,
        holder: &str,
        field: &str,
        entry: &str,
        retention: Duration,
    ) -> Result<Fenced, StoreError> {
        let op = self.entry_op(JobScript::JournalPut, job, holder, field, entry, retention);
        self.fenced("journal_put", self.backend().run(op).await?)
    }

    /// Add `entry` unless the field has one, while `holder` has the lease:
    /// `Ok(Ok(false))` when it had one.
    pub(crate) async fn journal_add(
        &self,
        job: &str,
        holder: &str,
        field: &str,
        entry: &str,
        retention: Duration,
    ) -> Result<Result<bool, String>, StoreError> {
        let op = self.entry_op(JobScript::JournalAdd, job, holder, field, entry, retention);
        let answer = self.backend().run(op).await?;
        if answer.len() == 1 && answer[0] == "2" {
            return Ok(Ok(false));
        }
        Ok(self.fenced("journal_add", answer)?.map(|()| true))
    }

    /// Drop `job`'s whole journal while `holder` has the lease.
    pub(crate) async fn journal_drop(&self, job: &str, holder: &str) -> Result<Fenced, StoreError> {
        let op = job_op(JobScript::JournalDrop).key(self.journal_key(job)).key(self.lease_key(job)).arg(holder);
        self.fenced("journal_drop", self.backend().run(op).await?)
    }

    /// How many calls of each operation are done in `job`'s journal.
    pub(crate) async fn journal_counts(&self, job: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let answer = self.backend().run(job_op(JobScript::JournalCounts).key(self.journal_key(job))).await?;
        self.counts_from(answer)
    }

    fn counts_from(&self, answer: Vec<String>) -> Result<Vec<(String, u64)>, StoreError> {
        if !answer.len().is_multiple_of(2) {
            return Err(self.protocol("journal_counts answered an odd number of items"));
        }
        let mut counts = Vec::with_capacity(answer.len() / 2);
        let mut items = answer.into_iter();
        while let (Some(operation), Some(count)) = (items.next(), items.next()) {
            let count = self.number(&count)?;
            let count = u64::try_from(count).map_err(|_| self.protocol("a negative count"))?;
            counts.push((operation.chars().take(200).collect(), count));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::shared::store::Backend;

    fn memory() -> Store {
        Store::new(Backend::Memory(Arc::default()), Some("acct".into()))
    }

    #[tokio::test]
    async fn a_lease_is_one_holders_and_fences_every_write() {
        let store = memory();
        let ttl = Duration::from_secs(30);
        assert_eq!(store.lease_take("j", "a", ttl, "").await.unwrap(), Ok(()));
        assert_eq!(store.lease_take("j", "b", ttl, "").await.unwrap(), Err("a".into()));
        assert_eq!(store.lease_take("j", "b", ttl, "z").await.unwrap(), Err("a".into()), "only the stale one");
        assert_eq!(store.lease_take("j", "a", ttl, "").await.unwrap(), Ok(()), "the holder keeps it");
        assert_eq!(store.journal_put("j", "b", "op:1", "Dx", ttl).await.unwrap(), Err("a".into()));
        assert_eq!(store.journal_get("j", "op:1").await.unwrap(), None);
        assert_eq!(store.journal_put("j", "a", "op:1", "Dx", ttl).await.unwrap(), Ok(()));
        assert_eq!(store.journal_add("j", "a", "op:2", "Iy", ttl).await.unwrap(), Ok(true));
        assert_eq!(store.journal_add("j", "a", "op:2", "Iz", ttl).await.unwrap(), Ok(false), "added once");
        assert_eq!(store.journal_add("j", "b", "op:3", "Iz", ttl).await.unwrap(), Err("a".into()));
        assert_eq!(store.journal_get("j", "op:2").await.unwrap().as_deref(), Some("Iy"));
        assert_eq!(store.journal_get("j", "op:1").await.unwrap().as_deref(), Some("Dx"));
        assert_eq!(store.journal_counts("j").await.unwrap(), vec![("op".to_owned(), 1)]);
        assert_eq!(store.lease_renew("j", "b", ttl).await.unwrap(), Err("a".into()));
        store.lease_release("j", "b").await.unwrap();
        assert_eq!(store.lease_renew("j", "a", ttl).await.unwrap(), Ok(()), "only the holder releases");
        store.lease_release("j", "a").await.unwrap();
        assert_eq!(store.lease_renew("j", "a", ttl).await.unwrap(), Err(String::new()), "a released lease is lost");
        assert_eq!(store.journal_drop("j", "b").await.unwrap(), Err(String::new()));
        assert_eq!(store.lease_take("j", "b", ttl, "").await.unwrap(), Ok(()));
        assert_eq!(store.lease_take("j", "c", ttl, "b").await.unwrap(), Ok(()), "taken over from a dead holder");
        assert_eq!(store.journal_put("j", "b", "op:1", "Dx", ttl).await.unwrap(), Err("c".into()));
        assert_eq!(store.journal_drop("j", "c").await.unwrap(), Ok(()));
        assert_eq!(store.journal_get("j", "op:1").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_lease_expires() {
        let store = memory();
        assert_eq!(store.lease_take("j", "a", Duration::from_millis(20), "").await.unwrap(), Ok(()));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(store.lease_renew("j", "a", Duration::from_secs(1)).await.unwrap(), Err(String::new()));
        assert_eq!(store.lease_take("j", "b", Duration::from_secs(1), "").await.unwrap(), Ok(()));
    }

    proptest! {
        /// Whatever a store answers, reading it never panics, and what is
        /// read is bounded.
        #[test]
        fn answers_never_panic(answer in proptest::collection::vec("[-0-9a-z:]{0,12}|.{0,12}", 0..6)) {
            let store = memory();
            let _ = store.fenced("t", answer.clone());
            if let Ok(Some(entry)) = store.entry_from(answer.clone()) {
                prop_assert!(entry.len() <= MAX_ENTRY);
            }
            if let Ok(counts) = store.counts_from(answer) {
                prop_assert!(counts.iter().all(|(operation, _)| operation.len() <= 200));
            }
        }
    }

    #[test]
    fn an_entry_too_large_is_refused() {
        let store = memory();
        let error = store.entry_from(vec!["D".repeat(MAX_ENTRY + 1)]).unwrap_err();
        assert!(error.to_string().contains("larger than 48 KiB"), "{error}");
    }
}
