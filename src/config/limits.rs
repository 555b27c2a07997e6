//! `[limits]`: the abuse limits of the login routes (per-IP request and failure budgets, caps on
//! unfinished logins), the request timeout and the proxies whose `X-Forwarded-For` is believed
//! ([`Cidr`], parsed once when the configuration is read).

use super::{err, ConfigError};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

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
    pub trusted_proxies: Vec<Cidr>,
}

/// One `limits.trusted_proxies` entry: an IP address (`192.0.2.1`, `::1`) or a CIDR block
/// (`10.0.0.0/8`, `fd00::/8`), parsed when the configuration is read so requests only compare
/// numbers. What the operator wrote is kept: it is what the configuration shows and what
/// [`LimitsConfig::validate`] names when the entry is neither (loading accepts it, so the error
/// points at the setting instead of failing somewhere in the file parser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct Cidr {
    written: String,
    net: Option<IpNet>,
}

impl Cidr {
    /// The block, or `None` when the entry is not an IP address or CIDR.
    pub fn net(&self) -> Option<IpNet> {
        self.net
    }

    /// Whether `ip` is inside the block; IPv4-mapped IPv6 addresses count as IPv4, so one client
    /// has one address whichever way it connects. An unparsable entry contains nothing.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.net.is_some_and(|n| n.contains(&ip.to_canonical()))
    }
}

impl From<&str> for Cidr {
    fn from(s: &str) -> Self {
        let t = s.trim();
        let net = t
            .parse::<IpNet>()
            .ok()
            .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from));
        Self {
            written: s.to_string(),
            net,
        }
    }
}

impl From<String> for Cidr {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> Self {
        c.written
    }
}

impl PartialEq<&str> for Cidr {
    fn eq(&self, other: &&str) -> bool {
        self.written == *other
    }
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
            if p.net().is_none() {
                return Err(err(
                    "limits.trusted_proxies",
                    format!(
                        "`{}` is not an IP address or CIDR like 10.0.0.0/8",
                        p.written
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Cidr;

    #[test]
    fn cidrs_hold_addresses_and_blocks() {
        let c = Cidr::from("10.0.0.0/8");
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(Cidr::from("10.0.0.0/33").net().is_none());
        assert!(Cidr::from("proxy").net().is_none());
        assert!(!Cidr::from("proxy").contains("10.0.0.1".parse().unwrap()));
        assert!(Cidr::from("::1").contains("::1".parse().unwrap()));
        assert!(Cidr::from(" 192.0.2.1 ").contains("192.0.2.1".parse().unwrap()));
        assert!(!Cidr::from("192.0.2.1").contains("192.0.2.2".parse().unwrap()));
        assert!(Cidr::from("0.0.0.0/0").contains("8.8.8.8".parse().unwrap()));
        assert_eq!(
            Cidr::from("10.0.0.0/8"),
            "10.0.0.0/8",
            "what was written is kept"
        );
    }
}
