//! Prometheus counters and histograms, kept in memory per instance and rendered as text at `/metrics`:
//! logins by app and result, WeCom call latency and error codes, signing time, bind-page password
//! checks.

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
    wecom_errors: BTreeMap<(String, i64), u64>,
    signing: Histogram,
    password_checks: u64,
}

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

    /// Records one WeCom API call.
    pub fn wecom_call(&self, endpoint: &str, took: Duration, errcode: Option<i64>) {
        self.with(|i| {
            i.wecom_latency
                .entry(label(endpoint))
                .or_default()
                .observe(took.as_secs_f64());
            if let Some(code) = errcode.filter(|c| *c != 0) {
                *i.wecom_errors.entry((label(endpoint), code)).or_default() += 1;
            }
        });
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

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
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
            out.push_str("# HELP wecom_idp_wecom_errors_total WeCom API error codes.\n");
            out.push_str("# TYPE wecom_idp_wecom_errors_total counter\n");
            for ((ep, code), n) in &i.wecom_errors {
                let _ = writeln!(
                    out,
                    "wecom_idp_wecom_errors_total{{endpoint=\"{ep}\",errcode=\"{code}\"}} {n}"
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
        m.wecom_call("user/get", Duration::from_millis(20), Some(60020));
        m.signing(Duration::from_micros(700));
        let t = m.render();
        assert!(t.contains("wecom_idp_logins_total{app=\"huawei\",result=\"success\"} 2"));
        assert!(
            t.contains("wecom_idp_wecom_errors_total{endpoint=\"user/get\",errcode=\"60020\"} 1")
        );
        assert!(t.contains("wecom_idp_signing_seconds_count 1"));
        assert!(t.contains("le=\"+Inf\"} 1"));
    }
}
