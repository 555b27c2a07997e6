//! `[wecom]`: the WeCom self-built app (corp ID, AgentId, Secret), the WeCom addresses and the
//! timeout of calls to WeCom, and the event callback's Token and EncodingAESKey. Its `Debug`
//! never shows the Secret or the EncodingAESKey.

use super::{env_name, err, parse_base_url, ConfigError};
use crate::wecom::event_crypto::{AesKey, CallbackToken, EventCrypto};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The WeCom self-built app (自建应用) that authenticates members.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WecomConfig {
    /// 企业ID, `ww…`.
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: String,
    /// The app's Secret. Prefer `secret_file` or `WECOM_IDP_WECOM__SECRET`.
    pub secret: String,
    /// A file holding the secret; wins over `secret`.
    pub secret_file: Option<PathBuf>,
    /// API base, default `https://qyapi.weixin.qq.com`.
    pub api_base: String,
    /// In-client OAuth base, default `https://open.weixin.qq.com`.
    pub oauth_base: String,
    /// Web/QR login base, default `https://login.work.weixin.qq.com`.
    pub web_login_base: String,
    /// Timeout of every call to WeCom, in seconds.
    pub timeout_secs: u64,
    /// The event callback's Token (接收消息 › 设置API接收 › Token); empty: no event callback.
    pub callback_token: String,
    /// The event callback's EncodingAESKey (43 characters). A secret: prefer
    /// `WECOM_IDP_WECOM__CALLBACK_AES_KEY` or the console.
    pub callback_aes_key: String,
    /// An HTTP(S) proxy every WeCom API call goes through (`http://host:port`, optionally with
    /// `user:password@`), so WeCom sees one fixed egress IP; empty: direct.
    pub proxy_url: String,
}

impl std::fmt::Debug for WecomConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomConfig")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("secret", &if self.secret.is_empty() { "" } else { "***" })
            .field("api_base", &self.api_base)
            .field("oauth_base", &self.oauth_base)
            .field("web_login_base", &self.web_login_base)
            .field("timeout_secs", &self.timeout_secs)
            .field("callback_token", &self.callback_token)
            .field(
                "callback_aes_key",
                &if self.callback_aes_key.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("proxy_url", &mask_proxy(&self.proxy_url))
            .finish()
    }
}

impl WecomConfig {
    /// Checks that the corp ID, AgentId and secret are set; the error says where to set them.
    pub fn require_complete(&self) -> Result<(), ConfigError> {
        for (name, value) in [
            ("wecom.corp_id", &self.corp_id),
            ("wecom.agent_id", &self.agent_id),
            ("wecom.secret", &self.secret),
        ] {
            if value.trim().is_empty() {
                return Err(err(
                    name,
                    format!(
                        "is missing: set it in the configuration file or {} (the WeCom admin \
                         console shows it under 应用管理 › your self-built app). The admin console \
                         can change it later, but signing in to the console needs WeCom, so the \
                         first start needs it in the configuration",
                        env_name(name)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks the values that are set: a numeric AgentId, http(s) bases, a sane timeout.
    pub fn validate_values(&self) -> Result<(), ConfigError> {
        if !self.agent_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(err("wecom.agent_id", "must be the numeric AgentId"));
        }
        for (name, value) in [
            ("wecom.api_base", &self.api_base),
            ("wecom.oauth_base", &self.oauth_base),
            ("wecom.web_login_base", &self.web_login_base),
        ] {
            parse_base_url(name, value)?;
        }
        if !self.proxy_url.trim().is_empty() {
            parse_proxy_url("wecom.proxy_url", &self.proxy_url)?;
        }
        if self.timeout_secs == 0 || self.timeout_secs > 60 {
            return Err(err("wecom.timeout_secs", "must be between 1 and 60"));
        }
        self.event_crypto()?;
        Ok(())
    }

    /// The event callback's scheme, when both its Token and EncodingAESKey are set (neither: the
    /// callback is off; only one: an error naming the other).
    pub fn event_crypto(&self) -> Result<Option<EventCrypto>, ConfigError> {
        let (token, key) = (self.callback_token.trim(), self.callback_aes_key.trim());
        match (token.is_empty(), key.is_empty()) {
            (true, true) => Ok(None),
            (false, true) => Err(err(
                "wecom.callback_aes_key",
                "is missing while callback_token is set: the event callback needs both (WeCom's \
                 接收消息 › 设置API接收 shows them)",
            )),
            (true, false) => Err(err(
                "wecom.callback_token",
                "is missing while callback_aes_key is set: the event callback needs both",
            )),
            (false, false) => {
                let token =
                    CallbackToken::parse(token).map_err(|e| err("wecom.callback_token", e))?;
                let key = AesKey::parse(key).map_err(|e| err("wecom.callback_aes_key", e))?;
                Ok(Some(EventCrypto::new(token, key, self.corp_id.trim())))
            }
        }
    }
}

impl Default for WecomConfig {
    fn default() -> Self {
        Self {
            corp_id: String::new(),
            agent_id: String::new(),
            secret: String::new(),
            secret_file: None,
            api_base: "https://qyapi.weixin.qq.com".into(),
            oauth_base: "https://open.weixin.qq.com".into(),
            web_login_base: "https://login.work.weixin.qq.com".into(),
            timeout_secs: 5,
            callback_token: String::new(),
            callback_aes_key: String::new(),
            proxy_url: String::new(),
        }
    }
}

/// Checks a proxy address: `http://` or `https://`, a host and a port, nothing after the
/// authority (a path would be silently ignored by the proxy client, so it is refused).
pub fn parse_proxy_url(name: &str, value: &str) -> Result<url::Url, ConfigError> {
    let value = value.trim();
    let u = url::Url::parse(value).map_err(|e| {
        err(
            name,
            format!(
                "`{}` is not a URL ({e}); e.g. http://proxy.example:3128",
                mask_proxy(value)
            ),
        )
    })?;
    let bare = matches!(u.path(), "" | "/") && u.query().is_none() && u.fragment().is_none();
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() || !bare {
        return Err(err(
            name,
            format!(
                "`{}` must be an http(s) proxy address without a path, e.g. \
                 http://proxy.example:3128 / 须为 http(s) 代理地址，例如 http://proxy.example:3128",
                mask_proxy(value)
            ),
        ));
    }
    Ok(u)
}

pub use crate::wecom::client::options::mask_proxy;

#[cfg(test)]
mod proxy_tests {
    use super::*;

    #[test]
    fn proxy_addresses_are_checked_and_passwords_masked() {
        assert!(parse_proxy_url("p", "http://127.0.0.1:3128").is_ok());
        assert!(parse_proxy_url("p", "https://proxy.example").is_ok());
        for bad in [
            "socks5://h:1080",
            "proxy:3128",
            "http://h:3128/path",
            "http://h?x=1",
        ] {
            assert!(parse_proxy_url("p", bad).is_err(), "{bad}");
        }
        let m = mask_proxy("http://user:s3cret@proxy.example:3128");
        assert!(
            !m.contains("s3cret") && m.contains("proxy.example:3128"),
            "{m}"
        );
        let e = parse_proxy_url("p", "http://user:s3cret@h:1/x").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
