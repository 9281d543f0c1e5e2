//! The wall clock budgets count days on.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// Wall-clock time that follows tokio's clock (so paused-time tests move
/// it too): the UTC time at start plus tokio's elapsed time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    wall: DateTime<Utc>,
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { wall: Utc::now(), start: Instant::now() }
    }

    /// A clock that reads `wall` now: tests whose budgets must not see a UTC
    /// midnight that the real time of day would bring.
    #[cfg(test)]
    pub(crate) fn at(wall: DateTime<Utc>) -> Self {
        Clock { wall, start: Instant::now() }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::TimeDelta::from_std(self.start.elapsed()).unwrap_or(chrono::TimeDelta::MAX);
        self.wall.checked_add_signed(elapsed).unwrap_or(self.wall)
    }
}
