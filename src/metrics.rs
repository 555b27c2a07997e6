//! Prometheus counters and histograms, kept in memory per instance and rendered as text at `/metrics`:
//! logins by app and result, WeCom call latency and failures by kind, signing time, bind-page
//! password checks, limit refusals; and the gauges read at scrape time (database reachable, signing
//! key expiry). README "Operations" lists every name and label. The metric types and the encoding
//! are `prometheus-client`'s; the output stays Prometheus' classic text format ([`classic_text`]).

use crate::wecom::client::CallOutcome;
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Latency buckets in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS.iter().copied())
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

// Label sets: the fields' order is the order the labels are written in.

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    app: String,
    result: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    endpoint: String,
    kind: &'static str,
    /// WeCom's code for kind `errcode`, empty otherwise.
    errcode: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The metrics of this instance (`prometheus-client` types in one registry; the counters and
/// histograms are atomics, so counting takes no lock beyond the label lookup).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    database_up: Gauge,
    signing_key_expiry: Gauge,
    logins: Family<LoginLabels, Counter>,
    wecom_latency: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    wecom_errors: Family<ErrorLabels, Counter>,
    refusals: Family<ReasonLabels, Counter>,
    signing: Histogram,
    password_checks: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let m = Self {
            registry: Registry::default(),
            database_up: Gauge::default(),
            signing_key_expiry: Gauge::default(),
            logins: Family::default(),
            wecom_latency: Family::new_with_constructor(latency_histogram),
            wecom_errors: Family::default(),
            refusals: Family::default(),
            signing: latency_histogram(),
            password_checks: Counter::default(),
        };
        for reason in REFUSAL_REASONS {
            // Created now so every reason is rendered from the start.
            let _ = m.refusals.get_or_create(&ReasonLabels { reason });
        }
        let registry = m.registry();
        Self { registry, ..m }
    }
}

impl Metrics {
    /// A registry holding every metric of this instance, each with its help text.
    fn registry(&self) -> Registry {
        let m = self;
        let mut registry = Registry::default();
        // Counters are registered without `_total`, which the encoder adds to their samples.
        // The help texts are written without their last full stop, which the registry adds.
        registry.register(
            "wecom_idp_database_up",
            "Whether the database answered a ping at this scrape (1) or not within \
             database.ready_timeout_ms (0)",
            m.database_up.clone(),
        );
        registry.register(
            "wecom_idp_signing_key_expiry_timestamp_seconds",
            "When the certificate of the active signing key expires (Unix time)",
            m.signing_key_expiry.clone(),
        );
        registry.register(
            "wecom_idp_logins",
            "Logins by app and result",
            Declared(m.logins.clone()),
        );
        registry.register(
            "wecom_idp_wecom_call_seconds",
            "WeCom API call latency",
            Declared(m.wecom_latency.clone()),
        );
        registry.register(
            "wecom_idp_wecom_errors",
            "Failed WeCom API calls by endpoint and kind (timeout, connect, http_status, \
             bad_body, errcode); errcode holds WeCom's code for kind errcode and is empty \
             otherwise",
            Declared(m.wecom_errors.clone()),
        );
        registry.register(
            "wecom_idp_rate_limited",
            "Login-route requests refused by a limit, by reason",
            Declared(m.refusals.clone()),
        );
        registry.register(
            "wecom_idp_signing_seconds",
            "Time to build and sign a Response",
            m.signing.clone(),
        );
        registry.register(
            "wecom_idp_bind_password_checks",
            "Password verifications on the bind page (unknown usernames included)",
            m.password_checks.clone(),
        );
        registry
    }
}

/// A family that is declared (HELP and TYPE written) before its first series too — the registry
/// leaves empty ones out — so alert rules and dashboards find every family on a fresh server.
#[derive(Debug)]
struct Declared<F>(F);

impl<F: EncodeMetric> EncodeMetric for Declared<F> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }

    fn is_empty(&self) -> bool {
        false
    }
}

/// A label value from outside (an app name, a WeCom endpoint): only the characters metric labels
/// are expected to hold, at most 80 of them, so no value can break a line or blow up a series.
fn label(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        .take(80)
        .collect()
}

impl Metrics {
    /// Counts a login outcome for an app (`-` when unknown).
    pub fn login(&self, app: &str, result: &str) {
        self.logins
            .get_or_create(&LoginLabels {
                app: label(app),
                result: label(result),
            })
            .inc();
    }

    /// Records one WeCom API call: its latency always, and a failure by kind (with WeCom's code
    /// when it answered one).
    pub fn wecom_call(&self, endpoint: &str, took: Duration, outcome: CallOutcome) {
        let endpoint = label(endpoint);
        if let Some(kind) = outcome.kind() {
            let errcode = match outcome {
                CallOutcome::Errcode(c) => c.to_string(),
                _ => String::new(),
            };
            self.wecom_errors
                .get_or_create(&ErrorLabels {
                    endpoint: endpoint.clone(),
                    kind,
                    errcode,
                })
                .inc();
        }
        self.wecom_latency
            .get_or_create(&EndpointLabels { endpoint })
            .observe(took.as_secs_f64());
    }

    /// Counts one login-route request refused by a limit, by its reason (`rate_limited`,
    /// `too_many_failures`, `too_many_logins_from_ip`, `login_states_full`).
    pub fn refused(&self, reason: &'static str) {
        self.refusals.get_or_create(&ReasonLabels { reason }).inc();
    }

    /// Records the time to build and sign one Response.
    pub fn signing(&self, took: Duration) {
        self.signing.observe(took.as_secs_f64());
    }

    /// Counts one argon2 verification on the bind page (a real account's hash, or the dummy one
    /// checked for an unknown username, so both cost the same).
    pub fn password_check(&self) {
        self.password_checks.inc();
    }

    /// Prometheus text exposition (`text/plain; version=0.0.4`): the gauges read at scrape time,
    /// then the counters and histograms.
    pub fn render(&self, gauges: &Gauges) -> String {
        self.database_up.set(i64::from(gauges.database_up));
        self.signing_key_expiry.set(gauges.signing_key_expiry);
        let mut open_metrics = String::new();
        // Writing into a String cannot fail; the encoder's error type is fmt::Error.
        if let Err(e) = encode_registry(&mut open_metrics, &self.registry) {
            tracing::error!(error = %e, "encoding the metrics failed");
        }
        classic_text(&open_metrics)
    }
}

/// The registry's OpenMetrics text in Prometheus' classic text format, which `/metrics` serves and
/// the alert rules and dashboards were written against. The two differ (for what we use) only in
/// the family name of a counter: OpenMetrics names the family `x` and its samples `x_total`, the
/// classic format names both `x_total`.
fn classic_text(open_metrics: &str) -> String {
    let mut out = String::with_capacity(open_metrics.len() + 128);
    let mut help: Option<&str> = None;
    for line in open_metrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest);
            continue;
        }
        let counter = line
            .strip_prefix("# TYPE ")
            .and_then(|rest| rest.strip_suffix(" counter"));
        if let Some(h) = help.take() {
            out.push_str("# HELP ");
            match (counter, h.split_once(' ')) {
                (Some(_), Some((name, text))) => {
                    out.push_str(name);
                    out.push_str("_total ");
                    out.push_str(text);
                }
                _ => out.push_str(h),
            }
            out.push('\n');
        }
        match counter {
            Some(name) => {
                out.push_str("# TYPE ");
                out.push_str(name);
                out.push_str("_total counter");
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
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
        assert!(t.contains("\n# TYPE wecom_idp_logins_total counter\n"));
        assert!(t.contains("\n# HELP wecom_idp_logins_total Logins by app and result.\n"));
        assert!(t.contains("\n# TYPE wecom_idp_signing_seconds histogram\n"));
        assert!(t.contains(
            "# HELP wecom_idp_database_up Whether the database answered a ping at this scrape \
             (1) or not within database.ready_timeout_ms (0).\n# TYPE wecom_idp_database_up gauge\n"
        ));
        assert!(!t.contains("# EOF"), "classic text has no end marker");
        let fresh = Metrics::default().render(&Gauges {
            database_up: false,
            signing_key_expiry: 0,
        });
        for family in [
            "wecom_idp_logins_total counter",
            "wecom_idp_wecom_errors_total counter",
            "wecom_idp_wecom_call_seconds histogram",
            "wecom_idp_bind_password_checks_total counter",
        ] {
            assert!(
                fresh.contains(&format!("# TYPE {family}\n")),
                "{family} in\n{fresh}"
            );
        }
        assert!(fresh.contains("wecom_idp_database_up 0\n"));
    }
}
