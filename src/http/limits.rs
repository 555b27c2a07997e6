//! Abuse limits of the login routes (`/saml/sso`, `/apps/*/start`, `/wecom/callback`, `/bind`), in
//! memory per instance, keyed to what a whole office behind one NAT address does not share:
//! - a per-IP request ceiling (token bucket) sized for an office of thousands behind one address;
//! - a tighter per-IP budget of *failed* requests (4xx answers: bad or expired state, bad signature,
//!   refused members, unknown apps), which an office rarely spends and a prober spends at once;
//! - the caps on unfinished logins (per IP, in total) live in `login::state::begin`;
//! - a browser this instance sent to WeCom may finish its login past its address's limits
//!   (`http::browsers`), so a flood behind an office's NAT does not strand members mid-login.
//!
//! Refusals are a 429 page with `Retry-After`. Also here: the request header cap; the client IP (the
//! TCP peer, or from `X-Forwarded-For` when the peer is a configured trusted proxy) is resolved in
//! `http::client_ip`; the body and URI caps and the request timeout are in `http::mod`.

use super::cookies;
use super::flow::{self, ClientIp};
use super::AppState;
use crate::error::{Lang, RequestId, WebError};
use crate::login::{AuditEvent, Event};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use time::OffsetDateTime;

/// Most bytes of request headers (names and values) we accept; hyper itself refuses more than 100
/// headers or about 400 KiB before we see the request.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Most IPs tracked at once; beyond it idle buckets are dropped, and if none is idle the untracked
/// IPs share one overflow bucket (so memory stays bounded under a spray of source addresses).
const MAX_TRACKED: usize = 100_000;

// Kept here too so code written against `limits::` before the split still compiles.
pub use super::client_ip::{resolve_client_ip, Cidr};

struct Bucket {
    tokens: f64,
    at: OffsetDateTime,
    /// Whether the last request was refused (the audit row is written once per episode).
    refusing: bool,
}

/// Per-IP token buckets.
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    overflow: Mutex<Option<Bucket>>,
}

/// What the limiter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go on.
    Allow,
    /// Refuse; retry after this many seconds. `first` on the first refusal of an episode.
    Refuse {
        /// Seconds until a token is back.
        retry_after: u64,
        /// First refusal since the IP was last allowed.
        first: bool,
    },
}

impl RateLimiter {
    /// `per_minute` sustained, `burst` at once; `per_minute == 0` allows everything.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            overflow: Mutex::new(None),
        }
    }

    /// Takes a token for `ip` at `now`.
    pub fn check(&self, ip: IpAddr, now: OffsetDateTime) -> Decision {
        self.with_bucket(ip, now, |b| self.take(b, now, 1.0))
    }

    /// Whether `ip` has a token left at `now`, without taking it (a budget spent only by what
    /// happens after the request, see [`RateLimiter::spend`]).
    pub fn peek(&self, ip: IpAddr, now: OffsetDateTime) -> Decision {
        self.with_bucket(ip, now, |b| self.take(b, now, 0.0))
    }

    /// Spends one token of `ip` at `now` (down to empty, never below).
    pub fn spend(&self, ip: IpAddr, now: OffsetDateTime) {
        self.with_bucket(ip, now, |b| {
            b.tokens = (self.refill(b, now) - 1.0).max(0.0);
            if now > b.at {
                b.at = now;
            }
            Decision::Allow
        });
    }

    fn with_bucket(
        &self,
        ip: IpAddr,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Bucket) -> Decision,
    ) -> Decision {
        if self.per_sec <= 0.0 {
            return Decision::Allow;
        }
        let mut map = match self.buckets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() >= MAX_TRACKED && !map.contains_key(&ip) {
            let full = |b: &Bucket| self.refill(b, now) >= self.burst;
            map.retain(|_, b| !full(b));
            if map.len() >= MAX_TRACKED {
                drop(map);
                let mut o = match self.overflow.lock() {
                    Ok(o) => o,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let b = o.get_or_insert_with(|| self.fresh(now));
                return f(b);
            }
        }
        let b = map.entry(ip).or_insert_with(|| self.fresh(now));
        f(b)
    }

    fn fresh(&self, now: OffsetDateTime) -> Bucket {
        Bucket {
            tokens: self.burst,
            at: now,
            refusing: false,
        }
    }

    fn refill(&self, b: &Bucket, now: OffsetDateTime) -> f64 {
        let elapsed = (now - b.at).as_seconds_f64().max(0.0);
        (b.tokens + elapsed * self.per_sec).min(self.burst)
    }

    /// Takes `cost` tokens (0 to only look) if at least one is there.
    fn take(&self, b: &mut Bucket, now: OffsetDateTime, cost: f64) -> Decision {
        b.tokens = self.refill(b, now);
        if now > b.at {
            b.at = now;
        }
        if b.tokens >= 1.0 {
            b.tokens -= cost;
            b.refusing = false;
            return Decision::Allow;
        }
        let first = !b.refusing;
        b.refusing = true;
        let retry_after = ((1.0 - b.tokens) / self.per_sec).ceil().max(1.0) as u64;
        Decision::Refuse { retry_after, first }
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// The per-IP request ceiling (`limits.requests_per_minute`, `burst`).
    Requests,
    /// The per-IP budget of failed requests (`limits.failures_per_minute`, `failure_burst`).
    Failures,
}

impl Limit {
    fn reason(self) -> &'static str {
        match self {
            Self::Requests => "rate_limited",
            Self::Failures => "too_many_failures",
        }
    }
}

/// Reasons of the login-state caps in `login::state::begin`, counted here with the limiter's own.
const CAP_REASONS: &[&str] = &["too_many_logins_from_ip", "login_states_full"];

/// The limits in front of the login routes: first the failure budget (looked at, not spent), then
/// the request ceiling; a 4xx answer then spends one failure token. Refusals are a 429 page with
/// `Retry-After` and one audit row per episode (not per refused request, so a flood does not become
/// a flood of database writes); beyond that row a refused request costs no database work.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = client_ip_of(&req);
    let Some(addr) = ip.0.as_deref().and_then(|s| s.parse::<IpAddr>().ok()) else {
        return next.run(req).await;
    };
    let now = state.clock.now();
    let browser_cookie = cookies::name(cookies::BROWSER, state.config.secure_cookies());
    let path = req.uri().path();
    let finishing = path == "/wecom/callback" || path == "/bind";
    let decision = match state.failure_limiter.peek(addr, now) {
        Decision::Allow => (Limit::Requests, state.limiter.check(addr, now)),
        refused => (Limit::Failures, refused),
    };
    if let (limit, Decision::Refuse { retry_after, first }) = decision {
        // A browser this instance sent to WeCom finishes its login even while its address is over
        // its limits (a few requests, never a new start).
        if finishing
            && state
                .browsers
                .may_finish(&cookies::bindings(req.headers(), &browser_cookie), now)
        {
            tracing::info!(
                client_ip = %addr,
                limit = limit.reason(),
                "address over its login limits; letting a browser finish its login"
            );
            return finish(&state, addr, req, next, None).await;
        }
        state.metrics.refused(limit.reason());
        if first {
            tracing::warn!(client_ip = %addr, limit = limit.reason(), "login limit reached");
            let event = if req.uri().path() == "/saml/sso" {
                Event::SsoRequest
            } else {
                Event::Request
            };
            let refused = AuditEvent::refused(event, limit.reason());
            flow::ctx(&state, &ip).record(&refused).await;
        }
        return match limit {
            Limit::Requests => limited_page(&req, "sign-in", retry_after),
            Limit::Failures => failures_page(&req, retry_after),
        };
    }
    let started_with = (!finishing).then_some(browser_cookie);
    finish(&state, addr, req, next, started_with).await
}

/// Runs the route; spends a failure token on a 4xx, counts the login-state caps' refusals, and
/// remembers the binding of a login start that sent its browser to WeCom (`started_with`: the browser
/// cookie's name).
async fn finish(
    state: &AppState,
    addr: IpAddr,
    req: Request,
    next: Next,
    started_with: Option<String>,
) -> Response {
    let resp = next.run(req).await;
    let now = state.clock.now();
    if resp.status().is_client_error() {
        state.failure_limiter.spend(addr, now);
    }
    if let Some(e) = resp.extensions().get::<WebError>() {
        if CAP_REASONS.contains(&e.reason) {
            state.metrics.refused(e.reason);
        }
    }
    // A login start that stored a state sets the cookie with the state's fresh binding first (the
    // bindings carried over follow it); that one value is what the callback will name. A redirect
    // that sets no binding stored no state, so there is nothing to let finish.
    if let Some(name) = started_with {
        if resp.status() == StatusCode::FOUND {
            let set = cookie_set(&resp, &name).map(|v| cookies::parse_bindings(&v));
            if let Some(fresh) = set.as_deref().and_then(<[String]>::first) {
                state.browsers.remember(fresh, now);
            }
        }
    }
    resp
}

/// The value a response sets for cookie `name`, if it sets one.
fn cookie_set(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (k, rest) = v.split_once('=')?;
            (k == name).then(|| rest.split(';').next().unwrap_or("").to_string())
        })
        .filter(|v| !v.is_empty())
}

/// The 429 page of a rate limit (`what`: which limit, for the log), in the request's language,
/// with `Retry-After`.
pub fn limited_page(req: &Request, what: &str, retry_after: u64) -> Response {
    let e = WebError::member(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        .with_admin_detail(serde_json::json!({ "limit": what }));
    refusal_page(req, &e, retry_after)
}

/// The 429 page of the failure budget.
fn failures_page(req: &Request, retry_after: u64) -> Response {
    let e = WebError::member(StatusCode::TOO_MANY_REQUESTS, "too_many_failures");
    refusal_page(req, &e, retry_after)
}

fn refusal_page(req: &Request, e: &WebError, retry_after: u64) -> Response {
    let lang = Lang::from_headers(req.headers());
    let rid = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let mut r = crate::error::render_page(e, lang, &rid);
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The client IP `request_span` resolved, else the TCP peer.
pub fn client_ip_of(req: &Request) -> ClientIp {
    if let Some(ip) = req.extensions().get::<ClientIp>() {
        return ip.clone();
    }
    ClientIp(
        req.extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
    )
}

/// Total bytes of the request headers.
pub fn header_bytes(h: &HeaderMap) -> usize {
    h.iter()
        .map(|(k, v)| k.as_str().len() + v.as_bytes().len() + 4)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let l = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = OffsetDateTime::UNIX_EPOCH + Duration::days(20000);
        for _ in 0..3 {
            assert_eq!(l.check(ip, t0), Decision::Allow);
        }
        assert_eq!(
            l.check(ip, t0),
            Decision::Refuse {
                retry_after: 1,
                first: true
            }
        );
        assert!(matches!(
            l.check(ip, t0),
            Decision::Refuse { first: false, .. }
        ));
        assert_eq!(l.check(other, t0), Decision::Allow, "buckets are per IP");
        assert_eq!(l.check(ip, t0 + Duration::seconds(1)), Decision::Allow);
        assert!(matches!(
            l.check(ip, t0 + Duration::seconds(1)),
            Decision::Refuse { .. }
        ));
        let off = RateLimiter::new(0, 1);
        for _ in 0..100 {
            assert_eq!(off.check(ip, t0), Decision::Allow);
        }
    }

    fn t0() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20000)
    }

    #[test]
    fn default_ceiling_admits_an_office_of_2000_and_bounds_a_flood() {
        let d = crate::config::LimitsConfig::default();
        let l = RateLimiter::new(d.requests_per_minute, d.burst);
        let office: IpAddr = "203.0.113.1".parse().unwrap();
        // 2,000 members, 4 requests each (start or SSO, callback, bind, one retry), all within one
        // minute, evenly spread.
        let total = 2_000 * 4;
        for i in 0..total {
            let at = t0() + Duration::milliseconds(i64::from(i) * 60_000 / i64::from(total));
            assert_eq!(l.check(office, at), Decision::Allow, "request {i}");
        }
        // One address flooding at 1,000 requests a second gets about 100 of them a second.
        let flood: IpAddr = "198.51.100.1".parse().unwrap();
        let mut allowed = 0;
        for i in 0..10_000 {
            let at = t0() + Duration::milliseconds(i);
            if l.check(flood, at) == Decision::Allow {
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
        let l = RateLimiter::new(60, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(l.peek(ip, t0()), Decision::Allow, "looking spends nothing");
        }
        l.spend(ip, t0());
        l.spend(ip, t0());
        l.spend(ip, t0());
        assert!(matches!(
            l.peek(ip, t0()),
            Decision::Refuse {
                retry_after: 1,
                first: true
            }
        ));
        assert!(matches!(
            l.peek(ip, t0()),
            Decision::Refuse { first: false, .. }
        ));
        assert_eq!(
            l.peek(ip, t0() + Duration::seconds(1)),
            Decision::Allow,
            "spending stops at empty, so one second refills one token"
        );
    }
}
