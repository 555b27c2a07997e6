//! Pacing of the background jobs (purge, metadata refresh, key following): each runs every
//! `period`; while it keeps failing (the database is down, say) the wait doubles up to a minute (or
//! the period, when longer), and the log says once that it started failing (WARN) and once that it
//! recovered (INFO) instead of a WARN at every tick.

use std::time::Duration;

/// The longest wait between attempts of a failing job (unless its period is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// One background job's schedule and failure state.
#[derive(Debug)]
pub struct Job {
    name: &'static str,
    period: Duration,
    failures: u32,
    first: bool,
}

impl Job {
    /// A job called `name` in the log, run every `period`.
    pub fn new(name: &'static str, period: Duration) -> Self {
        Self {
            name,
            period,
            failures: 0,
            first: true,
        }
    }

    /// How long to wait before the next attempt: nothing before the first one, the period while
    /// all is well, doubling after each failure up to [`MAX_BACKOFF`] (or the period if longer).
    pub fn delay(&self) -> Duration {
        if self.first {
            return Duration::ZERO;
        }
        let cap = self.period.max(MAX_BACKOFF);
        let factor = 2u32.saturating_pow(self.failures.min(16));
        self.period.saturating_mul(factor).min(cap)
    }

    /// Waits until the next attempt is due.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.delay()).await;
        self.first = false;
    }

    /// The attempt worked; says so once if it had been failing.
    pub fn ok(&mut self) {
        if self.failures > 0 {
            tracing::info!(
                job = self.name,
                failed_attempts = self.failures,
                "background job works again"
            );
        }
        self.failures = 0;
    }

    /// The attempt failed: a WARN the first time, DEBUG while it keeps failing; the next wait grows.
    pub fn failed(&mut self, e: &dyn std::fmt::Display) {
        if self.failures == 0 {
            tracing::warn!(
                job = self.name,
                error = %e,
                "background job failed; retrying with growing waits (up to a minute) until it works"
            );
        } else {
            tracing::debug!(job = self.name, error = %e, failures = self.failures, "background job still failing");
        }
        self.failures = self.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_while_failing_and_reset_on_success() {
        let mut j = Job::new("t", Duration::from_secs(5));
        assert_eq!(j.delay(), Duration::ZERO);
        j.first = false;
        assert_eq!(j.delay(), Duration::from_secs(5));
        let mut seen = Vec::new();
        for _ in 0..6 {
            j.failed(&"down");
            seen.push(j.delay().as_secs());
        }
        assert_eq!(seen, [10, 20, 40, 60, 60, 60]);
        j.ok();
        assert_eq!(j.delay(), Duration::from_secs(5));
        // A job slower than the cap keeps its own period.
        let mut slow = Job::new("slow", Duration::from_secs(120));
        slow.first = false;
        slow.failed(&"down");
        assert_eq!(slow.delay(), Duration::from_secs(120));
    }
}
