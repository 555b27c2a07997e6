//! `[directory]`: how often the stored WeCom address book is reconciled with WeCom in full
//! (`sync_interval`: `90s`, `30m`, `1h`, `1d` or plain seconds; `0` turns the periodic sync off).

use std::time::Duration;

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// The shortest periodic sync: each one reads every visible department, member and tag, and
/// WeCom limits calls per API to 10,000 a minute per corp.
pub const MIN_SYNC_INTERVAL: Duration = Duration::from_secs(60);

/// `[directory]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectoryConfig {
    /// How often one instance reads the whole address book from WeCom and repairs the stored copy
    /// (default `1h`; `0` = never, then only `wecom-idp directory sync` and change events do).
    pub sync_interval: String,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self {
            sync_interval: "1h".into(),
        }
    }
}

impl DirectoryConfig {
    /// The period of the background full sync, `None` when it is off.
    pub fn interval(&self) -> Result<Option<Duration>, ConfigError> {
        let bad = || {
            err(
                "directory.sync_interval",
                format!(
                    "`{}` is not a duration: write e.g. 30m, 1h, 1d or a number of seconds \
                     (at least 60), or 0 to turn the periodic sync off",
                    self.sync_interval
                ),
            )
        };
        let text = self.sync_interval.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let factor = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        if n == 0 {
            return Ok(None);
        }
        let d = Duration::from_secs(n.checked_mul(factor).ok_or_else(bad)?);
        if d < MIN_SYNC_INTERVAL {
            return Err(err(
                "directory.sync_interval",
                format!(
                    "`{}` is shorter than a minute: a full sync reads the whole address book; \
                     use at least 60s (change events keep it current in between)",
                    self.sync_interval
                ),
            ));
        }
        Ok(Some(d))
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.interval().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Result<Option<u64>, ConfigError> {
        DirectoryConfig {
            sync_interval: s.into(),
        }
        .interval()
        .map(|d| d.map(|d| d.as_secs()))
    }

    #[test]
    fn intervals_parse_with_units_and_zero_is_off() {
        assert_eq!(of("1h").ok(), Some(Some(3600)));
        assert_eq!(of("90").ok(), Some(Some(90)));
        assert_eq!(of("30m").ok(), Some(Some(1800)));
        assert_eq!(of("1d").ok(), Some(Some(86_400)));
        assert_eq!(of("0").ok(), Some(None));
        for bad in ["", "h", "1w", "-5", "30s", "1.5h"] {
            let e = of(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("directory.sync_interval"), "{bad}: {e}");
        }
    }
}
