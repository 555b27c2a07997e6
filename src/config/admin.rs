//! `[admin]`: who may use the admin console, how long its sessions last, its request limits, and
//! which internal addresses an admin may make the server reach.

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// `[admin]`: who may use the admin console, and its sessions and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// WeCom userids allowed to sign in to the console (more can be added with `wecom-idp admin add`
    /// or in the console). Empty by default: the first admin is named here or with `admin add`,
    /// which both need shell access — there is never a default password.
    pub userids: Vec<String>,
    /// An admin console session ends this long after sign-in, seconds (default 8 h).
    pub session_absolute_secs: i64,
    /// An admin console session ends after this long without use, seconds (default 30 min).
    pub session_idle_secs: i64,
    /// Sustained admin requests (console and API) per minute per client IP; 0 turns it off.
    pub requests_per_minute: u32,
    /// How many admin requests one IP may make at once before the rate applies.
    pub burst: u32,
    /// Whether an app's metadata URL may point at a loopback, private or link-local address
    /// (default false: an admin could otherwise make the server fetch from the internal network).
    pub allow_private_metadata_urls: bool,
    /// Whether a WeCom base typed in the console or the API (`api_base`, `oauth_base`,
    /// `web_login_base`) may point at a loopback, private or link-local address (default false:
    /// the server sends the WeCom Secret there). The configuration's own values are the operator's
    /// and are never refused. A separate switch from metadata URLs: allowing one internal fetch
    /// should not allow the other.
    pub allow_private_wecom_bases: bool,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            userids: Vec::new(),
            session_absolute_secs: 8 * 3600,
            session_idle_secs: 30 * 60,
            requests_per_minute: 300,
            burst: 60,
            allow_private_metadata_urls: false,
            allow_private_wecom_bases: false,
        }
    }
}

impl AdminConfig {
    /// Checks the console session lengths and the listed userids.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.session_absolute_secs < 60 || self.session_idle_secs < 60 {
            return Err(err(
                "admin.session_absolute_secs",
                "admin.session_absolute_secs and admin.session_idle_secs must be at least 60",
            ));
        }
        for u in &self.userids {
            if u.trim().is_empty() || u.len() > 64 {
                return Err(err(
                    "admin.userids",
                    format!("`{u}` is not a WeCom userid (1 to 64 characters)"),
                ));
            }
        }
        Ok(())
    }
}
