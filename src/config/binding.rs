//! `[binding]`: how a WeCom member is tied to a local account (auto-binding keys, what happens to an
//! unmatched member) and who may open an app whose access is `default`.

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// `[binding]`: how a WeCom member is tied to a local account. The configuration gives the
/// defaults; the admin console will store its own values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BindingConfig {
    /// `auto_bind`: match an unbound member to an account by `match` (default true).
    pub auto_bind: bool,
    /// `match`: keys tried in order: `userid` (= username), `mobile`, `email`, `employee_no`.
    #[serde(rename = "match")]
    pub match_keys: Vec<String>,
    /// `when_unmatched`: `create` (default), `bind`, `bind_or_create` or `reject`.
    pub when_unmatched: String,
    /// `employee_no_from`: `alias` (default) or `extattr:NAME`.
    pub employee_no_from: String,
    /// `contact`: whom a refused member should ask (shown on the refusal pages).
    pub contact: String,
    /// `default_access`: who may open an app whose `access` is `default` (every new app unless
    /// `access=` is set): `everyone` (default: every member with a bound account) or `none` (nobody
    /// until granted).
    pub default_access: String,
}

impl Default for BindingConfig {
    fn default() -> Self {
        Self {
            auto_bind: true,
            match_keys: vec!["userid".into()],
            when_unmatched: "create".into(),
            employee_no_from: "alias".into(),
            contact: String::new(),
            default_access: "everyone".into(),
        }
    }
}

impl BindingConfig {
    /// The parsed policy; the error names the setting.
    pub fn policy(&self) -> Result<crate::identity::directory::BindingPolicy, ConfigError> {
        use crate::identity::directory::{BindingPolicy, EmployeeNoFrom, MatchKey, WhenUnmatched};
        let mut keys = Vec::new();
        for k in &self.match_keys {
            let key = MatchKey::parse(k.trim()).map_err(|e| err("binding.match", e))?;
            if keys.contains(&key) {
                return Err(err("binding.match", format!("`{k}` is listed twice")));
            }
            keys.push(key);
        }
        if self.auto_bind && keys.is_empty() {
            return Err(err(
                "binding.match",
                "is empty while binding.auto_bind is true: list keys, or set auto_bind = false",
            ));
        }
        Ok(BindingPolicy {
            auto_bind: self.auto_bind,
            keys,
            when_unmatched: WhenUnmatched::parse(self.when_unmatched.trim())
                .map_err(|e| err("binding.when_unmatched", e))?,
            employee_no_from: EmployeeNoFrom::parse(self.employee_no_from.trim())
                .map_err(|e| err("binding.employee_no_from", e))?,
            contact: Some(self.contact.trim().to_string()).filter(|c| !c.is_empty()),
        })
    }

    /// `default_access` parsed: `everyone` or `none` only (rules name people, so they belong to an app).
    pub fn default_access(&self) -> Result<crate::identity::access::Access, ConfigError> {
        match self.default_access.trim() {
            "everyone" => Ok(crate::identity::access::Access::Everyone),
            "none" => Ok(crate::identity::access::Access::Only(Vec::new())),
            other => Err(err(
                "binding.default_access",
                format!(
                    "`{other}`: use everyone (every member with a bound account) or none (nobody \
                     until an app's access= grants them)"
                ),
            )),
        }
    }
}
