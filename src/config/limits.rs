//! `[limits]`: the abuse limits of the login routes (per-IP request and failure budgets, caps on
//! unfinished logins), the request timeout and the proxies whose `X-Forwarded-For` is believed.

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// Abuse limits of the login routes, sized so that a whole office behind one NAT address (thousands
/// of members signing in within minutes) is never refused while one flooding client is. Request
/// limits are per client IP and per instance (token buckets in memory); the login-state caps are
/// counted in the database, so they hold across instances. See README "Sizing the limits".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Sustained requests per minute one IP may make to `/saml/sso`, `/apps/*/start`,
    /// `/wecom/callback` and `/bind` together; 0 turns this limit off.
    pub requests_per_minute: u32,
    /// How many of those requests one IP may make at once before the rate applies.
    pub burst: u32,
    /// Sustained failed requests (4xx answers) per minute one IP may make to those routes before
    /// all its requests to them get a 429 until the budget refills; 0 turns this limit off.
    pub failures_per_minute: u32,
    /// How many failed requests one IP may make at once before `failures_per_minute` applies.
    pub failure_burst: u32,
    /// Unfinished WeCom logins one IP may hold at a time (all browsers behind it together).
    pub login_states_per_ip: i64,
    /// Unfinished WeCom logins (rows of the login-state table) all clients together may hold at a
    /// time: bounds the table whatever the number of source addresses.
    pub login_states_total: i64,
    /// Longest time a request may take before it is answered 503, seconds.
    pub request_timeout_secs: u64,
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed for the client IP; empty = the TCP
    /// peer is the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        // Sized for 2,000 members behind one address signing in within a minute (each login is
        // 2-4 requests here, so up to 8,000): 3,000 at once plus 100 a second. See README
        // "Sizing the limits".
        Self {
            requests_per_minute: 6_000,
            burst: 3_000,
            failures_per_minute: 60,
            failure_burst: 120,
            login_states_per_ip: 5_000,
            login_states_total: 50_000,
            request_timeout_secs: 30,
            trusted_proxies: Vec::new(),
        }
    }
}

impl LimitsConfig {
    /// Checks that each limit can admit a request and that `trusted_proxies` are IPs or CIDRs.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.requests_per_minute > 0 && self.burst == 0 {
            return Err(err(
                "limits.burst",
                "must be at least 1 (or set limits.requests_per_minute = 0 to turn limits off)",
            ));
        }
        if self.failures_per_minute > 0 && self.failure_burst == 0 {
            return Err(err(
                "limits.failure_burst",
                "must be at least 1 (or set limits.failures_per_minute = 0 to turn it off)",
            ));
        }
        if self.login_states_per_ip < 1 {
            return Err(err("limits.login_states_per_ip", "must be at least 1"));
        }
        if self.login_states_total < self.login_states_per_ip {
            return Err(err(
                "limits.login_states_total",
                "must be at least limits.login_states_per_ip (it caps all addresses together)",
            ));
        }
        if self.request_timeout_secs == 0 || self.request_timeout_secs > 600 {
            return Err(err(
                "limits.request_timeout_secs",
                "must be between 1 and 600",
            ));
        }
        for p in &self.trusted_proxies {
            if crate::http::client_ip::Cidr::parse(p).is_none() {
                return Err(err(
                    "limits.trusted_proxies",
                    format!("`{p}` is not an IP address or CIDR like 10.0.0.0/8"),
                ));
            }
        }
        Ok(())
    }
}
