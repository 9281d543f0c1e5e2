//! Attempt deadlines: one watcher task per client wakes the attempts whose
//! time is up, instead of a tokio timer per attempt.
//!
//! A tokio `Sleep` per attempt costs about 0.8% of a small call's
//! instructions (BENCHMARKS.md, "Instructions per call"): registering it in
//! the timer wheel, under the driver's lock, waking through it, taking it out
//! again, and the driver's work at every park for each entry. Almost no
//! attempt ever reaches its deadline. So an attempt that has to wait takes a
//! slot in its client's table instead (a short lock, no allocation once the
//! table has grown to the calls in flight), and gives it back when it ends;
//! one task per client sleeps until the earliest deadline it knows of, wakes
//! the attempts past theirs, and sleeps again.
//!
//! The watcher sleeps on past a deadline whose attempt has ended, and is told
//! (a `Notify`) only of a deadline earlier than the one it sleeps until: with
//! calls of the same timeout one after another, it wakes about once a timeout.
//! It parks when a wake-up finds the table empty. Spawned on the runtime of
//! the attempt that first needs it; if that runtime goes, the watcher's drop
//! wakes every attempt it watched, and the first to be polled again spawns a
//! new one where it runs.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;
use tokio::time::Instant;

/// A client's deadlines; shared by its clones.
#[derive(Default)]
pub(crate) struct Deadlines {
    shared: Arc<Shared>,
}

/// What a client's attempts and its watcher share.
#[derive(Default)]
pub(crate) struct Shared {
    table: Mutex<Table>,
    /// Told of a deadline earlier than the watcher's target, and of the client's end.
    notify: Notify,
    /// Whether a watcher task runs (set by the attempt that spawns it, cleared by its drop).
    watching: AtomicBool,
}

/// The attempts waiting, by slot.
#[derive(Default)]
struct Table {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// What the watcher sleeps until (`None`: parked, or not started).
    target: Option<Instant>,
}

struct Entry {
    at: Instant,
    waker: Waker,
    /// Woken by the watcher: its attempt ends at its next poll.
    woken: bool,
}

impl Shared {
    fn table(&self) -> MutexGuard<'_, Table> {
        // The table stays consistent across a panic (each change is one assignment).
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Deadlines {
    fn drop(&mut self) {
        // The client is gone: a parked or sleeping watcher is told, and ends.
        self.shared.notify.notify_one();
    }
}

impl Deadlines {
    /// Whether `deadline` has passed, for an attempt polled now: it
    /// registers, on its first wait, to be woken then (`wait`), and keeps
    /// its waker current.
    pub(crate) fn poll_expired<'a>(&'a self, wait: &mut Wait<'a>, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        // Woken again: by the watcher at the deadline, or by the attempt's own progress.
        // (On the first wait, a deadline already past is the watcher's to wake at once:
        // no clock read there, for the attempts that never reach theirs.)
        if matches!(wait, Wait::Slot { .. }) && Instant::now() >= deadline {
            return Poll::Ready(());
        }
        if !self.shared.watching.load(Ordering::Acquire) {
            self.watch();
        }
        match wait {
            Wait::None => {
                let mut table = self.shared.table();
                let entry = Entry { at: deadline, waker: cx.waker().clone(), woken: false };
                let slot = match table.free.pop() {
                    Some(slot) => {
                        table.slots[slot] = Some(entry);
                        slot
                    }
                    None => {
                        table.slots.push(Some(entry));
                        table.slots.len() - 1
                    }
                };
                let earlier = table.target.is_none_or(|target| deadline < target);
                if earlier {
                    table.target = Some(deadline);
                }
                drop(table);
                if earlier {
                    self.shared.notify.notify_one();
                }
                *wait = Wait::Slot { slot, waker: cx.waker().clone(), shared: &self.shared };
            }
            Wait::Slot { slot, waker, .. } => {
                if !waker.will_wake(cx.waker()) {
                    *waker = cx.waker().clone();
                    if let Some(entry) = self.shared.table().slots.get_mut(*slot).and_then(Option::as_mut) {
                        entry.waker = cx.waker().clone();
                    }
                }
            }
        }
        Poll::Pending
    }

    /// Spawn the watcher on the current runtime. There is always one: the attempt
    /// polled is reqwest's, whose connections are tokio's.
    fn watch(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        // Only one attempt spawns it, however many see it missing at once.
        if self.shared.watching.swap(true, Ordering::AcqRel) {
            return;
        }
        // A new watcher starts from the table, whatever the last one slept until.
        self.shared.table().target = None;
        let watcher = Watcher(Arc::clone(&self.shared));
        runtime.spawn(watcher.run());
    }
}

/// An attempt's registration: none yet, or a slot in the table (given back
/// on drop).
#[derive(Default)]
pub(crate) enum Wait<'a> {
    #[default]
    None,
    Slot {
        slot: usize,
        /// The waker the slot holds, to see when the attempt's changes.
        waker: Waker,
        shared: &'a Shared,
    },
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Wait::Slot { slot, shared, .. } = self {
            let mut table = shared.table();
            if let Some(entry) = table.slots.get_mut(*slot) {
                *entry = None;
                table.free.push(*slot);
            }
        }
    }
}

/// The watcher task: ends when its client does. Dropped with its runtime, it
/// wakes every attempt it watched (see the module's docs).
struct Watcher(Arc<Shared>);

impl Watcher {
    async fn run(self) {
        loop {
            let target = {
                let mut table = self.0.table();
                let now = Instant::now();
                let mut next: Option<Instant> = None;
                for entry in table.slots.iter_mut().flatten().filter(|entry| !entry.woken) {
                    if entry.at <= now {
                        // Woken once: the attempt sees its deadline passed and ends,
                        // giving the slot back.
                        entry.waker.wake_by_ref();
                        entry.woken = true;
                    } else {
                        next = Some(next.map_or(entry.at, |n| n.min(entry.at)));
                    }
                }
                table.target = next;
                next
            };
            // The client is gone (only this task holds the table): nothing to watch.
            if Arc::strong_count(&self.0) == 1 {
                return;
            }
            let notified = self.0.notify.notified();
            match target {
                None => notified.await,
                Some(at) => {
                    let sleep = pin!(tokio::time::sleep_until(at));
                    let notified = pin!(notified);
                    futures::future::select(sleep, notified).await;
                }
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // Its runtime is going (or the client is gone): the next attempt polled spawns a
        // new watcher, and every attempt waiting is polled again, so that one is.
        self.0.watching.store(false, Ordering::Release);
        for entry in self.0.table().slots.iter().flatten() {
            entry.waker.wake_by_ref();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::time::Duration;

    use super::*;

    /// A wait for `deadline` alone (an attempt whose answer never comes).
    async fn expire(deadlines: &Deadlines, deadline: Instant) {
        let mut wait = Wait::default();
        poll_fn(|cx| deadlines.poll_expired(&mut wait, deadline, cx)).await;
    }

    fn paused() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("a runtime")
    }

    #[test]
    fn waits_end_at_their_deadlines_never_before_and_give_their_slots_back() {
        paused().block_on(async {
            let deadlines = Deadlines::default();
            let start = Instant::now();
            // Later deadlines first: each earlier one must wake the watcher.
            let offsets = [900_u64, 300, 600, 100, 100, 5_000];
            let waits = offsets.iter().map(|ms| {
                let deadlines = &deadlines;
                async move {
                    let at = start + Duration::from_millis(*ms);
                    expire(deadlines, at).await;
                    let now = Instant::now();
                    assert!(now >= at, "woken {:?} early", at - now);
                    assert!(now - at < Duration::from_millis(2), "woken {:?} late", now - at);
                }
            });
            futures::future::join_all(waits).await;
            let table = deadlines.shared.table();
            assert_eq!(table.slots.len(), offsets.len());
            assert!(table.slots.iter().all(Option::is_none), "every slot is given back");
        });
    }

    #[test]
    fn one_wait_after_another_reuses_one_slot() {
        paused().block_on(async {
            let deadlines = Deadlines::default();
            for _ in 0..50 {
                expire(&deadlines, Instant::now() + Duration::from_millis(10)).await;
            }
            assert_eq!(deadlines.shared.table().slots.len(), 1);
        });
    }

    #[test]
    fn a_deadline_already_past_ends_at_once() {
        paused().block_on(async {
            let deadlines = Deadlines::default();
            let start = Instant::now();
            expire(&deadlines, start - Duration::from_millis(5)).await;
            expire(&deadlines, start).await;
            assert_eq!(Instant::now(), start, "no time passed");
            assert!(deadlines.shared.table().slots.iter().all(Option::is_none));
        });
    }

    #[test]
    fn a_watcher_whose_runtime_is_gone_is_replaced_and_its_waits_still_end() {
        let deadlines = Arc::new(Deadlines::default());
        // The watcher starts on runtime A, which then runs on in its own thread.
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (started, ready) = std::sync::mpsc::channel::<()>();
        let on_a = Arc::clone(&deadlines);
        let a = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime A");
            runtime.block_on(expire(&on_a, Instant::now() + Duration::from_millis(1)));
            started.send(()).expect("the test waits");
            // Keeps A (and its watcher) alive until told; then A and its tasks are dropped.
            let _ = stopped.recv();
        });
        ready.recv().expect("runtime A started its watcher");
        assert!(deadlines.shared.watching.load(Ordering::Acquire));
        let b = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime B");
        b.block_on(async {
            let at = Instant::now() + Duration::from_millis(300);
            let wait = expire(&deadlines, at);
            let stop_a = async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                stop.send(()).expect("A listens");
            };
            // Bounded: a wait left to a dead watcher would hang without the drop's wake-up.
            let ended = tokio::time::timeout(Duration::from_secs(10), futures::future::join(wait, stop_a)).await;
            assert!(ended.is_ok(), "the wait outlived its deadline by 10 s");
            assert!(Instant::now() >= at);
        });
        a.join().expect("runtime A's thread");
    }

    #[test]
    fn the_watcher_ends_with_its_client() {
        paused().block_on(async {
            let deadlines = Deadlines::default();
            let shared = Arc::downgrade(&deadlines.shared);
            // A finished wait leaves the watcher asleep until that deadline, an hour away.
            let mut wait = Wait::default();
            let hour = Instant::now() + Duration::from_secs(3600);
            let pending = poll_fn(|cx| Poll::Ready(deadlines.poll_expired(&mut wait, hour, cx))).await;
            assert!(pending.is_pending());
            drop(wait);
            tokio::task::yield_now().await;
            assert!(deadlines.shared.watching.load(Ordering::Acquire), "the watcher runs");
            drop(deadlines);
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            // The watcher held the last reference: told of the client's end, it has ended.
            assert!(shared.upgrade().is_none(), "the watcher outlived its client");
        });
    }
}
