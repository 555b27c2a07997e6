//! Abuse limits of the login routes (`/saml/sso`, `/apps/*/start`, `/wecom/callback`, `/bind`), in
//! memory per instance, keyed to what a whole office behind one NAT address does not share:
//! - a per-IP request ceiling (token bucket) sized for an office of thousands behind one address;
//! - a tighter per-IP budget of *failed* requests (4xx answers: bad or expired state, bad signature,
//!   refused members, unknown apps), which an office rarely spends and a prober spends at once;
//! - the caps on unfinished logins (per IP, in total) live in `login::state::begin`;
//! - a browser this instance sent to WeCom may finish its login past its address's limits
//!   (`http::browsers`), so a flood behind an office's NAT does not strand members mid-login.
//!
//! The buckets themselves (governor's arithmetic, bounded memory) are in `http::buckets`.
//! Refusals are a 429 page with `Retry-After`. Also here: the request header cap; the client IP (the
//! TCP peer, or from `X-Forwarded-For` when the peer is a configured trusted proxy) is resolved in
//! `http::client_ip`; the body and URI caps and the request timeout are in `http::mod`.

use super::cookies;
use super::flow;
use super::AppState;
use super::ClientIp;
use crate::http::error::{Lang, RequestId, WebError};
use crate::login::{AuditEvent, AuditKind};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::net::IpAddr;

/// Most bytes of request headers (names and values) we accept; hyper itself refuses more than 100
/// headers or about 400 KiB before we see the request.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub use super::buckets::{Decision, RateLimiter};

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
    let Some(addr) = client_ip_of(&req).0 else {
        return next.run(req).await;
    };
    let now = state.clock.now();
    let browser_cookie = cookies::name(cookies::BROWSER, state.config.secure_cookies());
    let path = req.uri().path();
    let finishing = path == "/wecom/callback" || path == "/bind";
    let decision = match state.failure_limiter.peek(addr) {
        Decision::Allow => (Limit::Requests, state.limiter.check(addr)),
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
                AuditKind::SsoRequest
            } else {
                AuditKind::Request
            };
            let refused = AuditEvent::refused(event, limit.reason());
            flow::ctx(&state, &client_ip_of(&req))
                .record(&refused)
                .await;
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
    if resp.status().is_client_error() {
        state.failure_limiter.spend(addr);
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
                state.browsers.remember(fresh, state.clock.now());
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
    let mut r = crate::http::error::render_page(e, lang, &rid);
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The client address `request_span` resolved (parsed once there), else the TCP peer.
pub fn client_ip_of(req: &Request) -> ClientIp {
    if let Some(ip) = req.extensions().get::<ClientIp>() {
        return *ip;
    }
    ClientIp(
        req.extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip()),
    )
}

/// Total bytes of the request headers.
pub fn header_bytes(h: &HeaderMap) -> usize {
    h.iter()
        .map(|(k, v)| k.as_str().len() + v.as_bytes().len() + 4)
        .sum()
}
