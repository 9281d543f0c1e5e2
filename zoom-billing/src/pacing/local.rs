//! This process's own pacing and budget state, and the ticket taken in it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::time::Instant;

use super::{Clock, Key, Wanted, exhausted};
use crate::Error;
use crate::classify::next_utc_midnight;
use crate::metadata::Operation;

#[derive(Debug)]
struct Budget {
    /// The UTC day `used` counts.
    day: NaiveDate,
    /// Requests sent that day.
    used: u32,
    /// Reservations made and not yet sent or given back (any day).
    pending: u32,
    /// Until when a daily 429 blocks the operation.
    blocked_until: Option<DateTime<Utc>>,
}

impl Budget {
    fn new(day: NaiveDate) -> Self {
        Budget { day, used: 0, pending: 0, blocked_until: None }
    }

    /// A new UTC day starts with nothing used.
    fn roll(&mut self, today: NaiveDate) {
        if self.day != today {
            self.day = today;
            self.used = 0;
        }
    }
}

/// The turns of one pacing key: the end of the latest turn used by a sent
/// request, and the ends of the turns reserved by tickets still alive.
/// The next free turn is the latest of them, so a dropped ticket's turn is
/// given back whatever order tickets are dropped in.
#[derive(Debug, Default)]
struct Turns {
    committed: Option<Instant>,
    live: Vec<Instant>,
}

impl Turns {
    fn next_free(&self) -> Option<Instant> {
        self.live.iter().copied().chain(self.committed).max()
    }

    /// Forget the live turn ending at `ours`; keep it when it was used.
    fn release(&mut self, ours: Instant, used: bool) {
        if let Some(i) = self.live.iter().position(|t| *t == ours) {
            self.live.swap_remove(i);
        }
        if used {
            self.committed = self.committed.max(Some(ours));
        }
    }
}

#[derive(Debug, Default)]
struct State {
    turns: HashMap<Key, Turns>,
    budgets: HashMap<(Operation, String), Budget>,
}

/// The pacing and budget state of this process.
#[derive(Debug, Default)]
pub(super) struct Local {
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// A turn reserved in this process: the pacing slots and (when the
/// operation has a daily limit) a pending unit of the budget. The unit is
/// charged to the UTC day the request is sent on ([`LocalTicket::charge`]);
/// a ticket dropped before its request was sent gives back its slots and
/// its unit. (Tickets already waiting keep the start they were given: a turn
/// given back before them serves the calls reserved after the drop.)
#[derive(Debug)]
pub(crate) struct LocalTicket {
    state: Arc<Mutex<State>>,
    pub(super) clock: Clock,
    pub(super) operation: Operation,
    key: String,
    /// When the turn starts; `None` when nothing paces the operation.
    pub(super) start: Option<Instant>,
    /// Each slot's key and the end of this ticket's turn there.
    slots: Vec<(Key, Instant)>,
    /// The label's key and interval, its slot taken when charging.
    later: Vec<(Key, Duration)>,
    /// Whether a budget unit is pending for this ticket.
    pending: bool,
    /// The day a unit was charged to.
    charged: Option<NaiveDate>,
    pub(super) sent: bool,
}

impl Local {
    /// Reserve the turn `wanted` describes. Fails at once, without waiting
    /// and without taking anything, when the daily budget is spent (counting
    /// turns already reserved) or the turn is further away than its
    /// `max_wait`.
    pub(super) fn reserve(&self, wanted: Wanted, clock: Clock) -> Result<LocalTicket, Error> {
        let Wanted { operation, key, keys, later, max_wait, budgets } = wanted;
        let wall = clock.now();
        let mut state = lock(&self.state);
        let pending = if budgets {
            let budget =
                state.budgets.entry((operation, key.clone())).or_insert_with(|| Budget::new(wall.date_naive()));
            budget.roll(wall.date_naive());
            if let Some(until) = budget.blocked_until {
                if until > wall {
                    // Zoom told, not this client's count: limit 0 says so.
                    return Err(exhausted(operation, 0, until, wall));
                }
                budget.blocked_until = None;
            }
            match operation.meta().rate_limit.daily_limit {
                Some(daily) if budget.used.saturating_add(budget.pending) >= daily => {
                    return Err(exhausted(operation, daily, next_utc_midnight(wall), wall));
                }
                Some(_) => {
                    budget.pending += 1;
                    true
                }
                None => false,
            }
        } else {
            false
        };

        let now = Instant::now();
        let start =
            keys.iter().map(|(k, _)| state.turns.get(k).and_then(Turns::next_free).unwrap_or(now).max(now)).max();
        let start = start.unwrap_or(now);
        let wait = start - now;
        if let Some(max_wait) = max_wait
            && wait > max_wait
        {
            if pending && let Some(budget) = state.budgets.get_mut(&(operation, key)) {
                budget.pending = budget.pending.saturating_sub(1);
            }
            return Err(super::would_wait(operation, wait, wall, max_wait));
        }
        let mut slots = Vec::with_capacity(keys.len());
        for (k, interval) in keys {
            // A turn too far to represent is as good as never; saturate.
            let ours = start.checked_add(interval).unwrap_or(start);
            state.turns.entry(k.clone()).or_default().live.push(ours);
            slots.push((k, ours));
        }
        drop(state);
        // Without a pacing key (a daily budget alone) there is no turn to wait for.
        let start = (!slots.is_empty()).then_some(start);
        Ok(LocalTicket {
            state: Arc::clone(&self.state),
            clock,
            operation,
            key,
            start,
            slots,
            later,
            pending,
            charged: None,
            sent: false,
        })
    }

    /// No turn on `keys` starts before `hold` from now.
    pub(super) fn hold(&self, keys: Vec<Key>, hold: Duration) {
        let until = Instant::now().checked_add(hold).unwrap_or_else(Instant::now);
        let mut state = lock(&self.state);
        for key in keys {
            let turns = state.turns.entry(key).or_default();
            turns.committed = turns.committed.max(Some(until));
        }
    }

    /// A daily 429: the budget is spent until `reset_at`.
    pub(super) fn block_until(&self, operation: Operation, key: String, today: NaiveDate, reset_at: DateTime<Utc>) {
        let mut state = lock(&self.state);
        let budget = state.budgets.entry((operation, key)).or_insert_with(|| Budget::new(today));
        budget.blocked_until = Some(reset_at);
    }

    /// Units used and pending (tests).
    #[cfg(test)]
    pub(super) fn used(&self, operation: Operation, key: String) -> (u32, u32) {
        let state = lock(&self.state);
        state.budgets.get(&(operation, key)).map(|b| (b.used, b.pending)).unwrap_or_default()
    }
}

impl LocalTicket {
    /// Charge the pending budget unit to the UTC day of sending, then take
    /// the label's slot, if it comes now: when it starts (the caller waits
    /// for it). Fails, without sending, when that day's budget is spent (the
    /// day may have changed while the ticket waited).
    pub(super) fn charge(&mut self) -> Result<Option<Instant>, Error> {
        self.charge_budget()?;
        if self.later.is_empty() {
            return Ok(None);
        }
        // A label's slot, used at once: a request that is then not sent passes its slot.
        let now = Instant::now();
        let mut state = lock(&self.state);
        let start = self
            .later
            .iter()
            .map(|(k, _)| state.turns.get(k).and_then(Turns::next_free).unwrap_or(now).max(now))
            .max()
            .unwrap_or(now);
        for (key, interval) in self.later.drain(..) {
            let turns = state.turns.entry(key).or_default();
            turns.committed = turns.committed.max(Some(start.checked_add(interval).unwrap_or(start)));
        }
        Ok(Some(start))
    }

    fn charge_budget(&mut self) -> Result<(), Error> {
        if !self.pending {
            return Ok(());
        }
        self.pending = false;
        let wall = self.clock.now();
        let today = wall.date_naive();
        let limit = self.operation.meta().rate_limit.daily_limit.unwrap_or(u32::MAX);
        let mut state = lock(&self.state);
        let budget = state.budgets.entry((self.operation, self.key.clone())).or_insert_with(|| Budget::new(today));
        budget.pending = budget.pending.saturating_sub(1);
        budget.roll(today);
        if budget.used >= limit {
            return Err(exhausted(self.operation, limit, next_utc_midnight(wall), wall));
        }
        budget.used += 1;
        self.charged = Some(today);
        Ok(())
    }
}

impl Drop for LocalTicket {
    fn drop(&mut self) {
        if !self.pending && self.charged.is_none() && self.slots.is_empty() {
            return;
        }
        let mut state = lock(&self.state);
        for (key, ours) in self.slots.drain(..) {
            if let Some(turns) = state.turns.get_mut(&key) {
                turns.release(ours, self.sent);
            }
        }
        if self.sent {
            return;
        }
        if let Some(budget) = state.budgets.get_mut(&(self.operation, std::mem::take(&mut self.key))) {
            if self.pending {
                budget.pending = budget.pending.saturating_sub(1);
            }
            if self.charged == Some(budget.day) {
                budget.used = budget.used.saturating_sub(1);
            }
        }
    }
}
