//! Per-address token buckets for the limits in front of the login routes and the console: `governor`
//! does the bucket arithmetic (GCRA: `burst` at once, then one request per `60 s / per_minute`);
//! this module gives it the server's clock, and a state store of our own that
//! - bounds memory: at most [`MAX_TRACKED`] addresses are tracked; past that, untracked addresses
//!   share one overflow bucket until [`RateLimiter::retain_recent`] (a background job) drops the
//!   buckets that have refilled;
//! - can look without spending ([`RateLimiter::peek`]), which the failure budget needs (it is looked
//!   at before a request and spent only when the answer is a failure) and governor does not offer;
//! - remembers whether an address's last request was refused, so a refusal says whether it starts
//!   an episode (the audit row is written once per episode, not once per refused request).

use crate::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::StateStore;
use governor::Quota;
use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;

/// Most addresses tracked at once per limiter (a few MB at most); beyond it the untracked ones share
/// one overflow bucket, so a spray of source addresses cannot grow memory without bound.
pub const MAX_TRACKED: usize = 100_000;

/// What the limiter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go on.
    Allow,
    /// Refuse; retry after this many seconds. `first` on the first refusal of an episode.
    Refuse {
        /// Seconds until a token is back.
        retry_after: u64,
        /// First refusal since the address was last allowed.
        first: bool,
    },
}

/// Per-address token buckets; `per_minute == 0` allows everything.
pub struct RateLimiter {
    governed: Option<Governed>,
}

type Governed = governor::RateLimiter<Probe, Buckets, ServerClock, NoOpMiddleware<Nanos>>;

impl RateLimiter {
    /// `per_minute` sustained, `burst` at once (at least 1), on `clock`.
    pub fn new(per_minute: u32, burst: u32, clock: Arc<dyn Clock>) -> Self {
        let quota = NonZeroU32::new(per_minute)
            .and_then(|n| Quota::with_period(Duration::from_secs(60) / n.get()))
            .map(|q| q.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN)));
        Self {
            governed: quota
                .map(|q| governor::RateLimiter::new(q, Buckets::default(), ServerClock(clock))),
        }
    }

    /// Takes a token for `ip`.
    pub fn check(&self, ip: IpAddr) -> Decision {
        self.decide(ip, Use::Take)
    }

    /// Whether `ip` has a token left, without taking it (a budget spent only by what happens after
    /// the request, see [`RateLimiter::spend`]).
    pub fn peek(&self, ip: IpAddr) -> Decision {
        self.decide(ip, Use::Look)
    }

    /// Spends one token of `ip` (down to empty, never below: an empty bucket refuses and keeps its
    /// state). Spending is not a request: it neither starts nor ends a refusal episode.
    pub fn spend(&self, ip: IpAddr) {
        let _ = self.decide(ip, Use::Spend);
    }

    /// Drops the buckets that have refilled (they are the same as no bucket) and gives the memory of
    /// a past flood back; run periodically.
    pub fn retain_recent(&self) {
        if let Some(g) = &self.governed {
            g.retain_recent();
        }
    }

    /// How many addresses have a bucket now.
    pub fn tracked(&self) -> usize {
        self.governed.as_ref().map_or(0, governor::RateLimiter::len)
    }

    fn decide(&self, ip: IpAddr, wants: Use) -> Decision {
        let Some(g) = &self.governed else {
            return Decision::Allow;
        };
        let probe = Probe {
            ip,
            wants,
            first_refusal: Cell::new(false),
        };
        match g.check_key(&probe) {
            Ok(()) => Decision::Allow,
            Err(not_until) => {
                use governor::clock::Clock as _;
                let wait = not_until.wait_time_from(g.clock().now());
                Decision::Refuse {
                    retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                    first: probe.first_refusal.get(),
                }
            }
        }
    }
}

/// The server's clock (fixed in tests) as governor reads it: nanoseconds since the Unix epoch.
struct ServerClock(Arc<dyn Clock>);

impl governor::clock::Clock for ServerClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let since = self.0.now() - OffsetDateTime::UNIX_EPOCH;
        Nanos::from(u64::try_from(since.whole_nanoseconds()).unwrap_or(0))
    }
}

/// What a caller wants from a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A request: take a token if there is one; a refusal starts or continues an episode.
    Take,
    /// A request that only looks whether a token is there.
    Look,
    /// Not a request: take a token if there is one, and leave the episode as it is.
    Spend,
}

/// The key governor hands to [`Buckets`]: the address, what the caller wants, and where the store
/// says whether a refusal starts an episode (the store decides it under its lock, so two requests
/// of one address cannot both be "first"). Keys are equal when their addresses are.
#[derive(Clone)]
struct Probe {
    ip: IpAddr,
    wants: Use,
    first_refusal: Cell<bool>,
}

impl PartialEq for Probe {
    fn eq(&self, other: &Self) -> bool {
        self.ip == other.ip
    }
}

impl Eq for Probe {}

impl Hash for Probe {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ip.hash(state);
    }
}

/// One address's bucket: governor's state (its "theoretical arrival time"; `None` = full) and
/// whether the last request was refused.
#[derive(Debug, Default)]
struct Bucket {
    tat: Option<Nanos>,
    refusing: bool,
}

#[derive(Debug, Default)]
struct Tracked {
    by_ip: HashMap<IpAddr, Bucket>,
    overflow: Bucket,
}

/// The buckets of one limiter.
#[derive(Debug, Default)]
struct Buckets(Mutex<Tracked>);

impl Buckets {
    fn lock(&self) -> MutexGuard<'_, Tracked> {
        match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl StateStore for Buckets {
    type Key = Probe;

    fn measure_and_replace<T, F, E>(&self, key: &Probe, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut guard = self.lock();
        let tracked = &mut *guard;
        let full = tracked.by_ip.len() >= MAX_TRACKED;
        let bucket = match tracked.by_ip.entry(key.ip) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(_) if full => &mut tracked.overflow,
            // An address without a bucket has a full one: looking needs no entry.
            Entry::Vacant(_) if key.wants == Use::Look => return f(None).map(|(t, _)| t),
            Entry::Vacant(v) => v.insert(Bucket::default()),
        };
        let result = f(bucket.tat);
        match (&result, key.wants) {
            (Ok((_, next)), wants) => {
                if wants != Use::Look {
                    bucket.tat = Some(*next);
                }
                if wants != Use::Spend {
                    bucket.refusing = false;
                }
            }
            (Err(_), Use::Spend) => {}
            (Err(_), Use::Take | Use::Look) => {
                key.first_refusal.set(!bucket.refusing);
                bucket.refusing = true;
            }
        }
        result.map(|(t, _)| t)
    }
}

impl ShrinkableKeyedStateStore<Probe> for Buckets {
    fn retain_recent(&self, drop_below: Nanos) {
        let mut tracked = self.lock();
        let map = &mut tracked.by_ip;
        map.retain(|_, b| b.tat.is_some_and(|t| t > drop_below));
        if map.capacity() > 4 * map.len() + 1024 {
            map.shrink_to_fit();
        }
        if tracked.overflow.tat.is_some_and(|t| t <= drop_below) {
            tracked.overflow = Bucket::default();
        }
    }

    fn len(&self) -> usize {
        self.lock().by_ip.len()
    }

    fn is_empty(&self) -> bool {
        self.lock().by_ip.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::days(20000)
    }

    fn limiter(per_minute: u32, burst: u32) -> (RateLimiter, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new(t0()));
        (RateLimiter::new(per_minute, burst, clock.clone()), clock)
    }

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let (l, clock) = limiter(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(l.check(ip), Decision::Allow);
        }
        assert_eq!(
            l.check(ip),
            Decision::Refuse {
                retry_after: 1,
                first: true
            }
        );
        assert!(matches!(l.check(ip), Decision::Refuse { first: false, .. }));
        assert_eq!(l.check(other), Decision::Allow, "buckets are per IP");
        clock.advance(time::Duration::seconds(1));
        assert_eq!(l.check(ip), Decision::Allow);
        assert!(matches!(l.check(ip), Decision::Refuse { first: true, .. }));
        let (off, _) = limiter(0, 1);
        for _ in 0..100 {
            assert_eq!(off.check(ip), Decision::Allow);
        }
    }

    #[test]
    fn default_ceiling_admits_an_office_of_2000_and_bounds_a_flood() {
        let d = crate::config::LimitsConfig::default();
        let (l, clock) = limiter(d.requests_per_minute, d.burst);
        let office: IpAddr = "203.0.113.1".parse().unwrap();
        // 2,000 members, 4 requests each (start or SSO, callback, bind, one retry), all within one
        // minute, evenly spread.
        let total = 2_000 * 4;
        for i in 0..total {
            clock
                .set(t0() + time::Duration::milliseconds(i64::from(i) * 60_000 / i64::from(total)));
            assert_eq!(l.check(office), Decision::Allow, "request {i}");
        }
        // One address flooding at 1,000 requests a second gets about 100 of them a second.
        let flood: IpAddr = "198.51.100.1".parse().unwrap();
        let mut allowed = 0;
        for i in 0..10_000 {
            clock.set(t0() + time::Duration::milliseconds(i));
            if l.check(flood) == Decision::Allow {
                allowed += 1;
            }
        }
        assert!(
            (3_000..=4_100).contains(&allowed),
            "burst 3,000 plus 100/s over 10 s, got {allowed}"
        );
    }

    #[test]
    fn failure_budget_is_looked_at_and_spent_separately() {
        let (l, clock) = limiter(60, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(l.peek(ip), Decision::Allow, "looking spends nothing");
        }
        assert_eq!(
            l.tracked(),
            0,
            "looking at an unknown address stores nothing"
        );
        l.spend(ip);
        l.spend(ip);
        l.spend(ip);
        assert!(matches!(
            l.peek(ip),
            Decision::Refuse {
                retry_after: 1,
                first: true
            }
        ));
        assert!(matches!(l.peek(ip), Decision::Refuse { first: false, .. }));
        clock.advance(time::Duration::seconds(1));
        assert_eq!(
            l.peek(ip),
            Decision::Allow,
            "spending stops at empty, so one second refills one token"
        );
        assert_eq!(l.peek(ip), Decision::Allow, "and looking did not take it");
        l.spend(ip);
        assert!(matches!(l.peek(ip), Decision::Refuse { first: true, .. }));
    }

    #[test]
    fn memory_is_bounded_and_given_back() {
        let (l, clock) = limiter(60, 2);
        let ip = |i: u32| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        for i in 0..MAX_TRACKED as u32 {
            assert_eq!(l.check(ip(i)), Decision::Allow);
        }
        assert_eq!(l.tracked(), MAX_TRACKED);
        // Past the cap, the untracked addresses share one bucket (burst 2) and are not tracked.
        let late = ip(MAX_TRACKED as u32 + 1000);
        assert_eq!(l.check(ip(MAX_TRACKED as u32)), Decision::Allow);
        assert_eq!(l.check(ip(MAX_TRACKED as u32 + 1)), Decision::Allow);
        assert!(matches!(l.check(late), Decision::Refuse { .. }));
        assert_eq!(
            l.tracked(),
            MAX_TRACKED,
            "past the cap nothing more is tracked"
        );
        assert_eq!(
            l.check(ip(7)),
            Decision::Allow,
            "tracked addresses keep their own bucket"
        );
        // Nothing has refilled yet: housekeeping keeps every bucket.
        l.retain_recent();
        assert_eq!(l.tracked(), MAX_TRACKED);
        // Once they have refilled they are dropped, and new addresses get their own buckets again.
        clock.advance(time::Duration::seconds(3));
        l.retain_recent();
        assert_eq!(l.tracked(), 0);
        assert_eq!(l.check(late), Decision::Allow);
        assert_eq!(l.tracked(), 1);
    }
}
