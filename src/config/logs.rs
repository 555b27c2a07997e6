//! `log_format` (how log lines look on stderr) and `[audit]` (how long audit rows are kept, and the
//! warning when that is shorter than the six months Chinese law asks for).

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// `log_format`: how log lines look on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Text,
    /// One JSON object a line, for log shippers (Loki, Elasticsearch, SLS, CLS, …).
    Json,
}

impl LogFormat {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// Names `log_format` and `audit.retention_days` in their errors (the generic conversion error in
/// [`Config::load`](super::Config::load) cannot say which setting it was).
pub(super) fn check_deploy_settings(table: &toml::Table) -> Result<(), ConfigError> {
    if let Some(v) = table.get("log_format") {
        if !matches!(v.as_str(), Some("text" | "json")) {
            return Err(err(
                "log_format",
                format!("`{v}` is not a log format: use text or json"),
            ));
        }
    }
    let days = table
        .get("audit")
        .and_then(|a| a.as_table())
        .and_then(|a| a.get("retention_days"));
    if let Some(v) = days {
        if !v.as_integer().is_some_and(|d| (0..=36_500).contains(&d)) {
            return Err(err(
                "audit.retention_days",
                format!(
                    "`{v}` must be a whole number of days from 0 (keep forever) to 36500; the \
                     default 180 keeps the six months Chinese law asks for"
                ),
            ));
        }
    }
    Ok(())
}

/// The shortest audit retention that keeps the six months of logs Chinese law (网络安全法 第二十一条)
/// asks operators to keep.
pub const AUDIT_LEGAL_MINIMUM_DAYS: u32 = 180;

/// `[audit]`: how long audit rows are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Audit rows older than this many days are deleted (default 180, six months); 0 keeps them
    /// forever. Values below 180 are allowed, with a warning at start.
    pub retention_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: AUDIT_LEGAL_MINIMUM_DAYS,
        }
    }
}

impl AuditConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        // Beyond a hundred years is a typo, not a policy (and would overflow nothing, but says so).
        if self.retention_days > 36_500 {
            return Err(err(
                "audit.retention_days",
                "must be at most 36500 (100 years); use 0 to keep audit rows forever",
            ));
        }
        Ok(())
    }

    /// The Unix second before which audit rows are deleted at `now`, or `None` to keep them all.
    pub fn cutoff(&self, now: i64) -> Option<i64> {
        (self.retention_days > 0).then(|| now - i64::from(self.retention_days) * 86_400)
    }

    /// A warning when the retention is shorter than six months (allowed: a company may keep its
    /// logs elsewhere too).
    pub fn warning(&self) -> Option<String> {
        (self.retention_days > 0 && self.retention_days < AUDIT_LEGAL_MINIMUM_DAYS).then(|| {
            format!(
                "audit.retention_days = {}: audit rows are deleted before six months; Chinese law \
                 (网络安全法 第二十一条) asks for at least six months of logs, so keep them elsewhere \
                 or set at least {AUDIT_LEGAL_MINIMUM_DAYS} (0 keeps them forever)",
                self.retention_days
            )
        })
    }
}
