//! A few connections kept out of the pool for the one read every sign-in request starts with.
//!
//! sqlx pings every connection it takes back into the pool (a round trip to PostgreSQL; two thread
//! hand-overs to SQLite's worker thread) — as costly as the read itself. These connections are
//! taken from the pool once (so they carry its per-connection set-up) and then kept: a request
//! borrows a free one, runs its read and gives it back, with no ping. When all are busy the request
//! reads through the pool as before, so concurrency never queues behind them. A connection whose
//! read fails or takes longer than the pool's acquire timeout is dropped (a fresh one is taken the
//! next time) and the read goes through the pool instead, which has its own checks and timeout.

use sqlx::{AnyConnection, AnyPool};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// The kept connections (each slot empty until first used or after a failure).
#[derive(Debug)]
pub(super) struct Readers {
    slots: Vec<Mutex<Option<AnyConnection>>>,
    /// How long a read on a kept connection may take before the connection is given up.
    timeout: Duration,
}

/// A borrowed slot: the connection inside, taken from the pool when the slot was empty.
pub(super) struct Borrowed<'a> {
    slot: MutexGuard<'a, Option<AnyConnection>>,
}

impl Readers {
    /// `count` slots; a read on one may take at most `timeout`.
    pub(super) fn new(count: usize, timeout: Duration) -> Self {
        Self {
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            timeout,
        }
    }

    /// A free slot with its connection, or `None` when every slot is busy or the pool has no
    /// connection to give right now (the caller then reads through the pool).
    pub(super) async fn borrow(&self, pool: &AnyPool) -> Option<Borrowed<'_>> {
        let mut slot = self.slots.iter().find_map(|s| s.try_lock().ok())?;
        if slot.is_none() {
            // Only an idle pool connection: waiting here for one would add to the request's time
            // what reading through the pool costs anyway.
            *slot = Some(pool.try_acquire()?.detach());
        }
        Some(Borrowed { slot })
    }

    /// How long a read on a kept connection may take.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Borrowed<'_> {
    /// The connection.
    pub(super) fn conn(&mut self) -> Option<&mut AnyConnection> {
        self.slot.as_mut()
    }

    /// The read on this connection failed or hung: close it; the slot takes a fresh one next time.
    pub(super) fn discard(mut self) {
        self.slot.take();
    }
}
