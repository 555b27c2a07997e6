//! The only place that reads the time. Domain code takes a `&dyn Clock` (or a `OffsetDateTime` it was
//! handed) so tests can run on a fixed clock and move it forward.

use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of "now".
pub trait Clock: Send + Sync + 'static {
    /// The current instant, UTC.
    fn now(&self) -> OffsetDateTime;

    /// The current instant as Unix seconds.
    fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one read of the wall clock that clippy.toml allows: everything else asks a `Clock`.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests, benchmarks).
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<OffsetDateTime>,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock by `d` (may be negative).
    pub fn advance(&self, d: time::Duration) {
        if let Ok(mut n) = self.now.lock() {
            *n += d;
        }
    }

    /// Sets the clock to `t`.
    pub fn set(&self, t: OffsetDateTime) {
        if let Ok(mut n) = self.now.lock() {
            *n = t;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        match self.now.lock() {
            Ok(n) => *n,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}
