//! What a WeCom client is built with: the app's connection [`Settings`] (the secret masked in
//! `Debug`) and the tuning [`Options`] (observer, back-off, cache lifetimes, a pinned address).

use std::fmt;
use std::time::Duration;

use super::{CallObserver, DEFAULT_API_BASE, DEFAULT_TIMEOUT};
use crate::wecom::errors::WecomError;

/// Connection settings of one self-built app. `Debug` masks the secret.
#[derive(Clone)]
pub struct Settings {
    /// The corp ID (`ww…`).
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: String,
    /// The app's Secret. Never printed.
    pub secret: String,
    /// API base, `https://qyapi.weixin.qq.com` unless pointing at the simulator.
    pub api_base: String,
    /// Total timeout of one HTTP call (the connect timeout is the smaller of this and 3 s).
    pub timeout: Duration,
    /// The HTTP(S) proxy every call goes through (`[wecom] proxy_url`); `None`: direct.
    pub proxy: Option<String>,
}

impl Settings {
    /// Settings with the default API base and timeout.
    pub fn new(
        corp_id: impl Into<String>,
        agent_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            corp_id: corp_id.into(),
            agent_id: agent_id.into(),
            secret: secret.into(),
            api_base: DEFAULT_API_BASE.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            proxy: None,
        }
    }
}

impl Settings {
    /// Checks that nothing is empty and `api_base` is an http(s) URL, so a bad configuration fails at
    /// start-up with a clear message instead of at the first login.
    pub fn validate(&self) -> Result<(), WecomError> {
        let setup = |detail: &str| {
            Err(WecomError::Setup {
                detail: detail.to_owned(),
            })
        };
        if self.corp_id.trim().is_empty() {
            return setup("[wecom] corp_id is empty");
        }
        if self.agent_id.trim().is_empty() {
            return setup("[wecom] agent_id is empty");
        }
        if self.secret.trim().is_empty() {
            return setup("[wecom] secret is empty");
        }
        match url::Url::parse(&self.api_base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return setup("[wecom] api_base is not an http(s) URL"),
        }
        if let Some(p) = &self.proxy {
            if reqwest::Proxy::all(p.as_str()).is_err() {
                return setup("[wecom] proxy_url is not a proxy address");
            }
        }
        if self.timeout.is_zero() {
            return setup("the WeCom timeout must be above zero");
        }
        Ok(())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field(
                "secret",
                &if self.secret.is_empty() {
                    "<empty>"
                } else {
                    "<redacted>"
                },
            )
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy.as_deref().map(mask_proxy))
            .finish()
    }
}

/// Tuning knobs; `Options::default()` is right for production.
#[derive(Clone)]
pub struct Options {
    /// Receives latency and outcome of every call.
    pub observer: Option<CallObserver>,
    /// Sleeps between tries when WeCom answers −1 (busy); tries = `len() + 1`. Default 100 ms, 200 ms.
    pub busy_backoff: Vec<Duration>,
    /// How long `department/list` is cached. Default 10 minutes.
    pub department_ttl: Duration,
    /// Exchange codes with the legacy `user/getuserinfo` instead of `auth/getuserinfo`.
    pub legacy_code_endpoint: bool,
    /// How long `tag/list` and each `tag/get` answer are cached. Default 60 s: short, because a tag
    /// grants cloud roles and taking someone out of it should take effect soon.
    pub tag_ttl: Duration,
    /// Connect to this address for this host instead of resolving it again: the address a guard
    /// has just checked (a one-off connection check with an admin-typed base).
    pub pinned: Option<(String, std::net::SocketAddr)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            observer: None,
            busy_backoff: vec![Duration::from_millis(100), Duration::from_millis(200)],
            department_ttl: Duration::from_secs(600),
            legacy_code_endpoint: false,
            tag_ttl: Duration::from_secs(60),
            pinned: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("observer", &self.observer.is_some())
            .field("busy_backoff", &self.busy_backoff)
            .field("department_ttl", &self.department_ttl)
            .field("legacy_code_endpoint", &self.legacy_code_endpoint)
            .field("tag_ttl", &self.tag_ttl)
            .field("pinned", &self.pinned)
            .finish()
    }
}

/// The proxy address with any password replaced by `***` (for logs, views and audit rows).
pub fn mask_proxy(value: &str) -> String {
    match url::Url::parse(value.trim()) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) if !u.username().is_empty() => u.to_string(),
        _ if value.contains('@') => "***".into(),
        _ => value.to_string(),
    }
}
