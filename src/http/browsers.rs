//! Browsers this instance has sent to WeCom, remembered so they can finish their login while their
//! address is over its limits (a flood from the same office NAT must not strand members who are
//! already at WeCom's page).
//!
//! A browser is remembered when a login start answered it with a redirect to WeCom, i.e. when this
//! instance stored a login state for its cookie. An invented cookie is therefore never recognised,
//! and recognising one costs a hash and a map lookup, no database work. A recognised browser may
//! then make a few requests that *finish* a login (`/wecom/callback`, `/bind`) past its address's
//! limits; starting another login is never exempt, so exemptions cannot be chained. Memory is
//! bounded: entries live as long as a login state and there are at most [`MAX_REMEMBERED`].

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

    /// Remembers the browser whose cookie value is `cookie`, sent to WeCom at `now`.
    pub fn remember(&self, cookie: &str, now: OffsetDateTime) {
        let mut map = self.lock();
        if map.len() >= MAX_REMEMBERED {
            map.retain(|_, e| e.until > now);
            if map.len() >= MAX_REMEMBERED {
                return;
            }
        }
        map.insert(
            sha256_hex(cookie.as_bytes()),
            Entry {
                until: now + self.ttl,
                left: FINISHING_REQUESTS,
            },
        );
    }

    /// Whether the browser with cookie value `cookie` was sent to WeCom here within the lifetime of
    /// a login state and has finishing requests left; takes one.
    pub fn may_finish(&self, cookie: &str, now: OffsetDateTime) -> bool {
        let mut map = self.lock();
        match map.get_mut(&sha256_hex(cookie.as_bytes())) {
            Some(e) if e.until > now && e.left > 0 => {
                e.left -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_remembered_browsers_finish_and_only_a_few_times() {
        let b = Browsers::new(600);
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20000);
        assert!(!b.may_finish("invented", t0));
        b.remember("issued", t0);
        for _ in 0..FINISHING_REQUESTS {
            assert!(b.may_finish("issued", t0 + Duration::seconds(30)));
        }
        assert!(!b.may_finish("issued", t0 + Duration::seconds(30)));
        b.remember("other", t0);
        assert!(
            !b.may_finish("other", t0 + Duration::seconds(600)),
            "gone with its login state"
        );
    }
}
