//! Prometheus counters and histograms, kept in memory per instance and rendered as text at `/metrics`:
//! logins by app and result, WeCom call latency and failures by kind, signing time, bind-page
//! password checks, limit refusals; and the gauges read at scrape time (database reachable, signing
//! key expiry). README "Operations" lists every name and label.

use crate::wecom::client::CallOutcome;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                if let Some(c) = self.counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
        self.sum += secs;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            let c = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let block = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{block} {}", self.sum);
        let _ = writeln!(out, "{name}_count{block} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    logins: BTreeMap<(String, String), u64>,
    wecom_latency: BTreeMap<String, Histogram>,
    /// (endpoint, kind, errcode or empty) → count.
    wecom_errors: BTreeMap<(String, &'static str, String), u64>,
    signing: Histogram,
    password_checks: u64,
    refusals: BTreeMap<&'static str, u64>,
}

/// Values read at scrape time rather than counted.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    /// The database answered a ping.
    pub database_up: bool,
    /// The active signing certificate's notAfter, Unix seconds.
    pub signing_key_expiry: i64,
}

/// Reasons a login-route request is refused by a limit (all rendered, zero until counted, so an
/// alert on them has a series to watch from the start).
pub const REFUSAL_REASONS: &[&str] = &[
    "rate_limited",
    "too_many_failures",
    "too_many_logins_from_ip",
    "login_states_full",
];

/// The metrics of this instance.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn label(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        .take(80)
        .collect()
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g);
    }

    /// Counts a login outcome for an app (`-` when unknown).
    pub fn login(&self, app: &str, result: &str) {
        self.with(|i| *i.logins.entry((label(app), label(result))).or_default() += 1);
    }

    /// Records one WeCom API call: its latency always, and a failure by kind (with WeCom's code
    /// when it answered one).
    pub fn wecom_call(&self, endpoint: &str, took: Duration, outcome: CallOutcome) {
        self.with(|i| {
            i.wecom_latency
                .entry(label(endpoint))
                .or_default()
                .observe(took.as_secs_f64());
            if let Some(kind) = outcome.kind() {
                let code = match outcome {
                    CallOutcome::Errcode(c) => c.to_string(),
                    _ => String::new(),
                };
                *i.wecom_errors
                    .entry((label(endpoint), kind, code))
                    .or_default() += 1;
            }
        });
    }

    /// Counts one login-route request refused by a limit, by its reason (`rate_limited`,
    /// `too_many_failures`, `too_many_logins_from_ip`, `login_states_full`).
    pub fn refused(&self, reason: &'static str) {
        self.with(|i| *i.refusals.entry(reason).or_default() += 1);
    }

    /// Records the time to build and sign one Response.
    pub fn signing(&self, took: Duration) {
        self.with(|i| i.signing.observe(took.as_secs_f64()));
    }

    /// Counts one argon2 verification on the bind page (a real account's hash, or the dummy one
    /// checked for an unknown username, so both cost the same).
    pub fn password_check(&self) {
        self.with(|i| i.password_checks += 1);
    }

    /// Prometheus text exposition: the counters and histograms, then the gauges read at scrape time.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP wecom_idp_database_up Whether the database answered a ping at this scrape \
             (1) or not within database.ready_timeout_ms (0).\n",
        );
        out.push_str("# TYPE wecom_idp_database_up gauge\n");
        let _ = writeln!(
            out,
            "wecom_idp_database_up {}",
            u8::from(gauges.database_up)
        );
        out.push_str(
            "# HELP wecom_idp_signing_key_expiry_timestamp_seconds When the certificate of the \
             active signing key expires (Unix time).\n",
        );
        out.push_str("# TYPE wecom_idp_signing_key_expiry_timestamp_seconds gauge\n");
        let _ = writeln!(
            out,
            "wecom_idp_signing_key_expiry_timestamp_seconds {}",
            gauges.signing_key_expiry
        );
        self.with(|i| {
            out.push_str("# HELP wecom_idp_logins_total Logins by app and result.\n");
            out.push_str("# TYPE wecom_idp_logins_total counter\n");
            for ((app, result), n) in &i.logins {
                let _ = writeln!(
                    out,
                    "wecom_idp_logins_total{{app=\"{app}\",result=\"{result}\"}} {n}"
                );
            }
            out.push_str("# HELP wecom_idp_wecom_call_seconds WeCom API call latency.\n");
            out.push_str("# TYPE wecom_idp_wecom_call_seconds histogram\n");
            for (ep, h) in &i.wecom_latency {
                h.render(
                    &mut out,
                    "wecom_idp_wecom_call_seconds",
                    &format!("endpoint=\"{ep}\""),
                );
            }
            out.push_str(
                "# HELP wecom_idp_wecom_errors_total Failed WeCom API calls by endpoint and kind \
                 (timeout, connect, http_status, bad_body, errcode); errcode holds WeCom's code \
                 for kind errcode and is empty otherwise.\n",
            );
            out.push_str("# TYPE wecom_idp_wecom_errors_total counter\n");
            for ((ep, kind, code), n) in &i.wecom_errors {
                let _ = writeln!(
                    out,
                    "wecom_idp_wecom_errors_total{{endpoint=\"{ep}\",kind=\"{kind}\",\
                     errcode=\"{code}\"}} {n}"
                );
            }
            out.push_str(
                "# HELP wecom_idp_rate_limited_total Login-route requests refused by a limit, by \
                 reason.\n",
            );
            out.push_str("# TYPE wecom_idp_rate_limited_total counter\n");
            for reason in REFUSAL_REASONS {
                let n = i.refusals.get(reason).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "wecom_idp_rate_limited_total{{reason=\"{reason}\"}} {n}"
                );
            }
            out.push_str("# HELP wecom_idp_signing_seconds Time to build and sign a Response.\n");
            out.push_str("# TYPE wecom_idp_signing_seconds histogram\n");
            i.signing.render(&mut out, "wecom_idp_signing_seconds", "");
            out.push_str(
                "# HELP wecom_idp_bind_password_checks_total Password verifications on the bind \
                 page (unknown usernames included).\n",
            );
            out.push_str("# TYPE wecom_idp_bind_password_checks_total counter\n");
            let _ = writeln!(
                out,
                "wecom_idp_bind_password_checks_total {}",
                i.password_checks
            );
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.login("huawei", "success");
        m.login("huawei", "success");
        m.wecom_call(
            "user/get",
            Duration::from_millis(20),
            CallOutcome::Errcode(60020),
        );
        m.wecom_call("gettoken", Duration::from_secs(2), CallOutcome::Timeout);
        m.wecom_call("gettoken", Duration::from_millis(3), CallOutcome::Ok);
        m.signing(Duration::from_micros(700));
        m.refused("too_many_failures");
        let t = m.render(&Gauges {
            database_up: true,
            signing_key_expiry: 2_000_000_000,
        });
        assert!(t.contains("wecom_idp_rate_limited_total{reason=\"too_many_failures\"} 1"));
        assert!(t.contains("wecom_idp_rate_limited_total{reason=\"rate_limited\"} 0"));
        assert!(t.contains("wecom_idp_database_up 1"));
        assert!(t.contains("wecom_idp_signing_key_expiry_timestamp_seconds 2000000000"));
        assert!(t.contains("wecom_idp_logins_total{app=\"huawei\",result=\"success\"} 2"));
        assert!(t.contains(
            "wecom_idp_wecom_errors_total{endpoint=\"user/get\",kind=\"errcode\",errcode=\"60020\"} 1"
        ));
        assert!(t.contains(
            "wecom_idp_wecom_errors_total{endpoint=\"gettoken\",kind=\"timeout\",errcode=\"\"} 1"
        ));
        assert!(t.contains("wecom_idp_wecom_call_seconds_count{endpoint=\"gettoken\"} 2"));
        assert!(t.contains("wecom_idp_signing_seconds_count 1"));
        assert!(t.contains("le=\"+Inf\"} 1"));
    }
}
