//! Turns and budgets kept in a shared store ([`crate::shared`]), and the
//! ticket taken there.

use std::time::Duration;

use tokio::time::Instant;

use super::{Clock, Key, Wanted, exhausted, would_wait};
use crate::Error;
use crate::classify::next_utc_midnight;
use crate::error::StoreError;
use crate::metadata::Operation;
use crate::shared::{Charged, Reservation, Reserved, Store, WhenUnavailable};

/// How many turns of one pacing key may be queued ahead of a call in the
/// fleet, for a key no daily limit bounds (a label, an operation without a
/// daily limit): a store answering a turn further than this many intervals
/// away is wrong, not busy. 10,000 Heavy turns on Pro are 16 minutes.
const MAX_QUEUED_TURNS: u32 = 10_000;

/// The shared store of a client's pacer.
#[derive(Debug)]
pub(super) struct Shared {
    store: Store,
    /// The longest a per-second 429 holds the fleet's turns (the client's
    /// `max_retry_after`): part of the furthest turn a store may hand out.
    max_hold: Duration,
}

/// A turn taken in the shared store. Dropped before its request was sent,
/// it gives its turn and unit back (a round trip, spawned on the runtime).
#[derive(Debug)]
pub(crate) struct SharedTicket {
    store: Store,
    pub(super) operation: Operation,
    pub(super) clock: Clock,
    /// When the turn starts.
    pub(super) start: Instant,
    /// `None` once given back or committed for good.
    reservation: Option<Reservation>,
    pub(super) sent: bool,
}

impl Key {
    /// The key's name in the shared store (under the account's namespace).
    fn shared_name(&self) -> String {
        match self {
            Key::Operation(operation, scope) => format!("tat:op:{}:{scope}", operation.operation_id()),
            Key::Label(label) => format!("tat:label:{label:?}"),
        }
    }
}

impl Shared {
    pub(super) fn new(store: Store, max_hold: Duration) -> Self {
        Shared { store, max_hold }
    }

    /// The furthest turn a correct store can hand `operation` out: every
    /// turn that can be queued before it on each of its keys (its daily
    /// limit's worth on its own key when a budget bounds it, else
    /// [`MAX_QUEUED_TURNS`]), a 429's hold, and never past `max_wait`, which
    /// the store itself refuses beyond. A later turn is the store's error.
    fn furthest_turn(&self, wanted: &Wanted) -> Duration {
        let daily = wanted.operation.meta().rate_limit.daily_limit.filter(|_| wanted.budgets);
        let queued = wanted.keys.iter().fold(Duration::ZERO, |sum, (key, interval)| {
            let depth = match key {
                Key::Operation(..) => daily.unwrap_or(MAX_QUEUED_TURNS),
                Key::Label(_) => MAX_QUEUED_TURNS,
            };
            sum.saturating_add(interval.saturating_mul(depth))
        });
        let furthest = queued.saturating_add(self.max_hold);
        wanted.max_wait.map_or(furthest, |max_wait| furthest.min(max_wait))
    }

    /// The furthest a correct store can put a label's slot taken at commit:
    /// [`MAX_QUEUED_TURNS`] of its intervals, and a 429's hold.
    fn furthest_label_slot(&self, wanted: &Wanted) -> Duration {
        let queued = wanted.later.iter().map(|(_, interval)| interval.saturating_mul(MAX_QUEUED_TURNS)).max();
        queued.unwrap_or_default().saturating_add(self.max_hold)
    }

    /// Reserve the turn `wanted` describes in the store. The outer error is
    /// the store's (the caller may fall back); the inner one the call's.
    pub(super) async fn reserve(
        &self,
        wanted: &Wanted,
        clock: Clock,
    ) -> Result<Result<SharedTicket, Error>, StoreError> {
        let operation = wanted.operation;
        let limit = operation.meta().rate_limit.daily_limit;
        // An operation's interval is a strict minimum between two sends ("1 request every 30
        // minutes"), checked again when the request goes out in case it was held up after its
        // turn started; a label's is a rate counted over a window, which the turns keep.
        let slots: Vec<_> = wanted
            .keys
            .iter()
            .map(|(k, interval)| (k.shared_name(), *interval, matches!(k, Key::Operation(..))))
            .collect();
        let later: Vec<_> = wanted.later.iter().map(|(k, interval)| (k.shared_name(), *interval)).collect();
        let budget = format!("{}:{}", operation.operation_id(), wanted.key);
        let bounds = (self.furthest_turn(wanted), self.furthest_label_slot(wanted));
        let reserved =
            self.store.reserve(&budget, limit, wanted.budgets, &slots, &later, wanted.max_wait, bounds).await?;
        Ok(match reserved {
            Reserved::Granted(reservation) => Ok(SharedTicket {
                store: self.store.clone(),
                operation,
                clock,
                // Bounded by `furthest` (and at most 7 days), so this cannot overflow.
                start: Instant::now().checked_add(reservation.wait).unwrap_or_else(Instant::now),
                reservation: Some(reservation),
                sent: false,
            }),
            Reserved::Blocked { until, now } => Err(exhausted(operation, 0, until, now)),
            Reserved::Exhausted { now } => Err(exhausted(operation, limit.unwrap_or(0), next_utc_midnight(now), now)),
            Reserved::WouldWait { wait, now } => {
                Err(would_wait(operation, wait, now, wanted.max_wait.unwrap_or(Duration::MAX)))
            }
        })
    }

    /// What a call does when the store fails: the typed error, or (when the
    /// store's policy allows) nothing, and the caller goes on with local state.
    pub(super) fn fall_back(&self, operation: Operation, source: StoreError) -> Result<(), Error> {
        fall_back(&self.store, operation, source)
    }

    /// A per-second 429: hold the fleet's turns on `keys`, never longer
    /// than this client would itself wait.
    pub(super) async fn hold(&self, operation: Operation, keys: &[Key], hold: Duration) {
        let names: Vec<String> = keys.iter().map(Key::shared_name).collect();
        if let Err(error) = self.store.hold(&names, hold.min(self.max_hold)).await {
            tracing::warn!(operation = operation.operation_id(), %error, "cannot share a 429's wait");
        }
    }

    /// A daily 429: block the budget for the fleet.
    pub(super) async fn block_until(&self, operation: Operation, key: &str, reset_at: chrono::DateTime<chrono::Utc>) {
        let budget = format!("{}:{key}", operation.operation_id());
        if let Err(error) = self.store.block_until(&budget, reset_at).await {
            // The 429 is returned to the caller anyway; the block is kept locally.
            tracing::warn!(operation = operation.operation_id(), %error, "cannot share a daily-limit block");
        }
    }
}

fn fall_back(store: &Store, operation: Operation, source: StoreError) -> Result<(), Error> {
    match store.when_unavailable() {
        WhenUnavailable::UseLocalState => {
            tracing::warn!(
                operation = operation.operation_id(),
                %source,
                "shared state unavailable: using this process's own pacing and budgets"
            );
            Ok(())
        }
        _ => Err(Error::SharedState { operation, source }),
    }
}

impl SharedTicket {
    /// Commit the turn: charge its unit, after waiting out a strict interval
    /// another process's send still holds, and take the label's slot: when
    /// it starts (the caller waits for it).
    pub(super) async fn charge(&mut self) -> Result<Option<Instant>, Error> {
        let operation = self.operation;
        let Some(reservation) = &mut self.reservation else { return Ok(None) };
        let limit = operation.meta().rate_limit.daily_limit.unwrap_or(u32::MAX);
        // Each wait is at most one interval past a send that happened; a few rounds at most.
        for _ in 0..100 {
            match self.store.commit(reservation, limit).await {
                // Bounded by the reservation's label bound, so this cannot overflow.
                Ok(Charged::Ok(wait)) => return Ok(Instant::now().checked_add(wait)),
                Ok(Charged::Wait(wait)) => tokio::time::sleep(wait).await,
                Ok(Charged::Exhausted { now }) => {
                    return Err(exhausted(operation, limit, next_utc_midnight(now), now));
                }
                // The unit stays pending in the store until it expires: never spent twice.
                Err(source) => return fall_back(&self.store, operation, source).map(|()| None),
            }
        }
        let source = self.store.protocol("the turn stayed taken by other sends after 100 waits");
        Err(Error::SharedState { operation, source })
    }
}

impl Drop for SharedTicket {
    fn drop(&mut self) {
        // Giving back needs a round trip: on the runtime, if there is one. When it
        // cannot run, the unit stays pending until it expires and the turn passes:
        // the fleet waits a little longer, it never overspends.
        let Some(reservation) = self.reservation.take() else { return };
        if !self.sent
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let store = self.store.clone();
            runtime.spawn(async move {
                if let Err(error) = store.give_back(reservation).await {
                    tracing::debug!(%error, "cannot give a shared turn back");
                }
            });
        }
    }
}
