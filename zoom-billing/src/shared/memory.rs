//! The in-memory backend: jobs' journals and leases in this process only,
//! for tests ([`crate::job::MemoryJournal`]). It runs the journal's
//! operations as their Lua scripts do, answering in their format; it keeps
//! no pacing state or token (the client's own state does), and refuses
//! those operations.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::jobs::JobScript;
use super::store::{Op, Script};
use crate::error::StoreError;

/// A lease (a value until it expires) or a journal (a map, kept until it expires).
#[derive(Debug, Default)]
struct Keys {
    values: HashMap<String, (String, Instant)>,
    maps: HashMap<String, (BTreeMap<String, String>, Instant)>,
}

impl Keys {
    fn forget_expired(&mut self, now: Instant) {
        self.values.retain(|_, (_, until)| *until > now);
        self.maps.retain(|_, (_, until)| *until > now);
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(value, _)| value.as_str())
    }
}

/// The journal's keys, behind one lock: each operation is atomic.
#[derive(Debug, Default)]
pub(crate) struct Backend {
    keys: Mutex<Keys>,
}

fn protocol(reason: &str) -> StoreError {
    StoreError::Protocol { url: "memory".into(), reason: reason.into() }
}

fn millis(text: &str) -> Result<Duration, StoreError> {
    text.parse().map(Duration::from_millis).map_err(|_| protocol("a time that is not a number"))
}

/// `{0, holder or ''}`: the lease is not this holder's.
fn not_held(current: Option<&str>) -> Vec<String> {
    vec!["0".into(), current.unwrap_or_default().to_owned()]
}

impl Backend {
    pub(super) fn run(&self, op: Op) -> Result<Vec<String>, StoreError> {
        let now = Instant::now();
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.forget_expired(now);
        let (k, a) = (op.keys.as_slice(), op.args.as_slice());
        match (op.script, k, a) {
            (Script::Job(JobScript::LeaseTake), [lease], [holder, ttl, stale]) => {
                let current = keys.value(lease);
                if current.is_some_and(|c| c != holder && (stale.is_empty() || c != stale)) {
                    return Ok(not_held(current));
                }
                keys.values.insert(lease.clone(), (holder.clone(), now + millis(ttl)?));
                Ok(vec!["1".into()])
            }
            (Script::Job(JobScript::LeaseRenew), [lease], [holder, ttl]) => match keys.values.get_mut(lease) {
                Some((current, until)) if current == holder => {
                    *until = now + millis(ttl)?;
                    Ok(vec!["1".into()])
                }
                other => Ok(not_held(other.map(|(current, _)| current.as_str()))),
            },
            (Script::CompareDelete, [key], [value]) => {
                if keys.value(key) == Some(value.as_str()) {
                    keys.values.remove(key);
                    return Ok(vec!["1".into()]);
                }
                Ok(vec!["0".into()])
            }
            (Script::Job(JobScript::JournalGet), [journal], [field]) => {
                let entry = keys.maps.get(journal).and_then(|(map, _)| map.get(field));
                Ok(entry.into_iter().cloned().collect())
            }
            (Script::Job(JobScript::JournalPut), [journal, lease], [holder, field, entry, retention]) => {
                let current = keys.value(lease);
                if current != Some(holder.as_str()) {
                    return Ok(not_held(current));
                }
                let until = now + millis(retention)?;
                let (map, expires) = keys.maps.entry(journal.clone()).or_insert_with(|| (BTreeMap::new(), until));
                if entry.is_empty() {
                    map.remove(field);
                } else {
                    map.insert(field.clone(), entry.clone());
                }
                *expires = until;
                Ok(vec!["1".into()])
            }
            (Script::Job(JobScript::JournalAdd), [journal, lease], [holder, field, entry, retention]) => {
                let current = keys.value(lease);
                if current != Some(holder.as_str()) {
                    return Ok(not_held(current));
                }
                let until = now + millis(retention)?;
                let (map, expires) = keys.maps.entry(journal.clone()).or_insert_with(|| (BTreeMap::new(), until));
                if map.contains_key(field) {
                    return Ok(vec!["2".into()]);
                }
                map.insert(field.clone(), entry.clone());
                *expires = until;
                Ok(vec!["1".into()])
            }
            (Script::Job(JobScript::JournalDrop), [journal, lease], [holder]) => {
                let current = keys.value(lease);
                if current != Some(holder.as_str()) {
                    return Ok(not_held(current));
                }
                keys.maps.remove(journal);
                Ok(vec!["1".into()])
            }
            (Script::Job(JobScript::JournalCounts), [journal], []) => {
                let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
                if let Some((map, _)) = keys.maps.get(journal) {
                    for (field, entry) in map {
                        if entry.starts_with('D') {
                            let operation = field.split_once(':').map_or("", |(operation, _)| operation);
                            *counts.entry(operation).or_default() += 1;
                        }
                    }
                }
                Ok(counts.into_iter().flat_map(|(operation, n)| [operation.to_owned(), n.to_string()]).collect())
            }
            (script, _, _) => Err(protocol(&format!("the in-memory journal does not run {script:?}"))),
        }
    }
}
