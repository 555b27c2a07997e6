//! Browsers this instance has sent to WeCom, remembered so they can finish their login while their
//! address is over its limits (a flood from the same office NAT must not strand members who are
//! already at WeCom's page).
//!
//! What is remembered is the login's binding: the fresh value a login start bound its stored state
//! to and put first in the browser cookie, when it answered with a redirect to WeCom. The cookie
//! carries a browser's few newest bindings (`cookies::bindings`), so a browser that has signed in
//! before is recognised by whichever of them is remembered. An invented value is therefore never
//! recognised, and recognising one costs a hash and a map lookup per carried binding, no database
//! work. A recognised browser may then make a few requests that *finish* a login
//! (`/wecom/callback`, `/bind`) past its address's limits; starting another login is never exempt,
//! so exemptions cannot be chained. Memory is bounded: entries live as long as a login state and
//! there are at most [`MAX_REMEMBERED`].

use crate::crypto::sha256_hex;
use std::collections::HashMap;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Most browsers remembered at once (per instance); past it, new ones are not remembered (they are
/// then limited with their address like any request).
const MAX_REMEMBERED: usize = 100_000;

/// Requests past its address's limits one remembered browser may make to finish its login: the
/// callback, the bind page and its form, and a reload or two.
pub const FINISHING_REQUESTS: u8 = 6;

struct Entry {
    until: OffsetDateTime,
    left: u8,
}

/// The browsers with a login in progress that this instance started.
pub struct Browsers {
    ttl: Duration,
    map: Mutex<HashMap<String, Entry>>,
}

impl Browsers {
    /// Entries live `ttl_secs` (the login-state lifetime).
    pub fn new(ttl_secs: i64) -> Self {
        Self {
            ttl: Duration::seconds(ttl_secs),
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Remembers the login binding `binding` (one value, not the whole cookie), whose browser was
    /// sent to WeCom at `now`.
    pub fn remember(&self, binding: &str, now: OffsetDateTime) {
        let mut map = self.lock();
        if map.len() >= MAX_REMEMBERED {
            map.retain(|_, e| e.until > now);
            if map.len() >= MAX_REMEMBERED {
                return;
            }
        }
        map.insert(
            sha256_hex(binding.as_bytes()),
            Entry {
                until: now + self.ttl,
                left: FINISHING_REQUESTS,
            },
        );
    }

    /// Whether one of `bindings` (those a browser cookie carries) was issued by a login start here
    /// within the lifetime of a login state and has finishing requests left; takes one from the
    /// newest such binding.
    pub fn may_finish(&self, bindings: &[String], now: OffsetDateTime) -> bool {
        let mut map = self.lock();
        for b in bindings {
            match map.get_mut(&sha256_hex(b.as_bytes())) {
                Some(e) if e.until > now && e.left > 0 => {
                    e.left -= 1;
                    return true;
                }
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carried(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn only_remembered_browsers_finish_and_only_a_few_times() {
        let b = Browsers::new(600);
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20000);
        assert!(!b.may_finish(&carried(&["invented"]), t0));
        assert!(!b.may_finish(&[], t0));
        b.remember("issued", t0);
        for _ in 0..FINISHING_REQUESTS {
            assert!(b.may_finish(&carried(&["issued"]), t0 + Duration::seconds(30)));
        }
        assert!(!b.may_finish(&carried(&["issued"]), t0 + Duration::seconds(30)));
        b.remember("other", t0);
        assert!(
            !b.may_finish(&carried(&["other"]), t0 + Duration::seconds(600)),
            "gone with its login state"
        );
    }

    #[test]
    fn a_browser_that_signed_in_before_is_recognised_by_its_newest_binding() {
        let b = Browsers::new(600);
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20000);
        // The cookie after a second login start: the fresh binding, then the first login's.
        b.remember("second", t0);
        let cookie = carried(&["second", "first"]);
        assert!(b.may_finish(&cookie, t0 + Duration::seconds(5)));
        assert!(
            !b.may_finish(&carried(&["second.first"]), t0),
            "the whole cookie value is no binding"
        );
        // Its budget is the newest login's; an older remembered binding lends its own after that.
        b.remember("first", t0);
        for _ in 0..(2 * FINISHING_REQUESTS - 1) {
            assert!(b.may_finish(&cookie, t0 + Duration::seconds(5)));
        }
        assert!(!b.may_finish(&cookie, t0 + Duration::seconds(5)));
    }
}
