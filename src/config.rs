//! Every setting, with its default and its meaning, and how they are loaded: built-in defaults, then
//! the TOML file (`--config FILE` or `WECOM_IDP_CONFIG`), then `WECOM_IDP_*` environment variables
//! (`__` between levels: `WECOM_IDP_WECOM__CORP_ID`). The environment wins over the file. Secrets may
//! instead be read from files (`secret_file`, `database_url_file`, `master_key_file`), whose paths may
//! start from `${CREDENTIALS_DIRECTORY}` (systemd's `LoadCredential=`). [`Config::validate`] names the
//! setting and says what to fix when something is missing or wrong.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod runtime;
pub use runtime::{DatabaseConfig, ServerConfig};

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The address browsers and SPs use to reach us, e.g. `https://idp.example.com`. Our entity ID,
    /// SSO URL, callback URL and mount addresses are derived from it.
    pub public_url: String,
    /// Socket address to listen on.
    pub listen: String,
    /// `sqlite://PATH` (created when missing) or `postgres://…`.
    pub database_url: String,
    /// A file holding `database_url` (for passwords); wins over `database_url`.
    pub database_url_file: Option<PathBuf>,
    /// Our SAML entity ID; default `{public_url}/saml/metadata`.
    pub entity_id: Option<String>,
    /// The WeCom self-built app.
    pub wecom: WecomConfig,
    /// SAML protocol settings.
    pub saml: SamlConfig,
    /// The browser session with the IdP.
    pub session: SessionConfig,
    /// The signing key. When both files are set, they are used instead of the generated key.
    pub signing: SigningConfig,
    /// Account binding: auto-binding keys and what happens to an unmatched member (issue 4).
    pub binding: BindingConfig,
    // --- secrets at rest and limits (issue 6) ---
    /// A file holding the master key (32 bytes, base64 or hex) that encrypts the secrets in the
    /// database; `WECOM_IDP_MASTER_KEY` wins over it. Required by `serve`.
    pub master_key_file: Option<PathBuf>,
    /// The master key, read from `WECOM_IDP_MASTER_KEY` or `master_key_file` by [`Config::load`].
    #[serde(skip)]
    pub master_key: Option<crate::secrets::MasterKey>,
    /// Per-IP rate limits, caps and timeouts.
    pub limits: LimitsConfig,
    // --- end secrets at rest and limits ---
    /// The admin console and API (issue 5).
    pub admin: AdminConfig,
    /// Connection timeouts and caps.
    pub server: ServerConfig,
    /// Database pool behaviour during faults.
    pub database: DatabaseConfig,
    /// How log lines are written to stderr: `text` (default) or `json` (one object a line, for log
    /// shippers).
    pub log_format: LogFormat,
    /// `[audit]`: how long audit rows are kept.
    pub audit: AuditConfig,
}

/// `[admin]`: who may use the admin console, and its sessions and limits (issue 5).
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
    pub trusted_proxies: Vec<String>,
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

// ---- [binding] (account directory, issue 4) ----

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

// ---- end [binding] ----

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
        if self.timeout_secs == 0 || self.timeout_secs > 60 {
            return Err(err("wecom.timeout_secs", "must be between 1 and 60"));
        }
        Ok(())
    }
}

/// SAML protocol settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamlConfig {
    /// Allowed clock difference with SPs, seconds: AuthnRequest IssueInstant window, NotBefore backdating.
    pub clock_skew_secs: i64,
    /// Assertion and SubjectConfirmation lifetime after issue, seconds.
    pub assertion_lifetime_secs: i64,
    /// Published as `WantAuthnRequestsSigned` in our metadata; apps may require signing individually.
    pub want_authn_requests_signed: bool,
    /// How long a WeCom login may take from redirect to callback, seconds (OAuth `state` lifetime).
    pub login_state_ttl_secs: i64,
}

/// The IdP session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// A session ends this long after login, whatever happens, seconds (default 8 h).
    pub absolute_timeout_secs: i64,
    /// A session ends after this long without use, seconds (default 2 h).
    pub idle_timeout_secs: i64,
}

/// Signing key files (optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningConfig {
    /// PEM private key (RSA). Both files or neither.
    pub key_file: Option<PathBuf>,
    /// PEM certificate matching `key_file`.
    pub cert_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: String::new(),
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://wecom-idp.sqlite".into(),
            database_url_file: None,
            entity_id: None,
            wecom: WecomConfig::default(),
            saml: SamlConfig::default(),
            session: SessionConfig::default(),
            signing: SigningConfig::default(),
            binding: BindingConfig::default(),
            master_key_file: None,
            master_key: None,
            limits: LimitsConfig::default(),
            admin: AdminConfig::default(),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log_format: LogFormat::default(),
            audit: AuditConfig::default(),
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
        }
    }
}

impl Default for SamlConfig {
    fn default() -> Self {
        Self {
            clock_skew_secs: 180,
            assertion_lifetime_secs: 300,
            want_authn_requests_signed: false,
            login_state_ttl_secs: 600,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            absolute_timeout_secs: 8 * 3600,
            idle_timeout_secs: 2 * 3600,
        }
    }
}

/// A setting that is missing or wrong, named so the admin can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted setting name, e.g. `wecom.corp_id`, or the file path.
    pub setting: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration `{}`: {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

fn err(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.into(),
        problem: problem.into(),
    }
}

/// Environment variables with our prefix that are not settings.
const NOT_SETTINGS: &[&str] = &["WECOM_IDP_CONFIG", "WECOM_IDP_LOG", "WECOM_IDP_MASTER_KEY"];

/// The environment variable name of a dotted setting (`wecom.corp_id` → `WECOM_IDP_WECOM__CORP_ID`).
pub fn env_name(setting: &str) -> String {
    format!("WECOM_IDP_{}", setting.replace('.', "__").to_uppercase())
}

impl Config {
    /// Loads defaults, then `file` (if any), then the `WECOM_IDP_*` variables in `env`, then `*_file`
    /// secrets. Does not validate: call [`Config::validate`].
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match toml::Table::try_from(Config::default()) {
            Ok(t) => t,
            Err(e) => return Err(err("(defaults)", e.to_string())),
        };
        let shape = table.clone();
        if let Some(path) = file {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| err(&name, format!("cannot read the configuration file: {e}")))?;
            let from_file: toml::Table = text
                .parse()
                .map_err(|e| err(&name, format!("not valid TOML: {e}")))?;
            merge(&mut table, from_file);
        }
        let mut master_key_env = None;
        let mut credentials_dir = None;
        for (key, value) in env {
            if key == CREDENTIALS_DIRECTORY {
                credentials_dir = Some(value);
                continue;
            }
            if key == crate::secrets::MASTER_KEY_ENV {
                master_key_env = Some(value);
                continue;
            }
            let Some(rest) = key.strip_prefix("WECOM_IDP_") else {
                continue;
            };
            if NOT_SETTINGS.contains(&key.as_str()) || rest.starts_with("TEST_") {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|p| p.to_lowercase()).collect();
            set_path(&mut table, &shape, &path, &key, value)?;
        }
        check_deploy_settings(&table)?;
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| err("(file)", e.message().to_string()))?;
        config.expand_credential_paths(credentials_dir.as_deref())?;
        config.read_secret_files()?;
        config.master_key = match (master_key_env, &config.master_key_file) {
            (Some(v), _) => Some(
                crate::secrets::MasterKey::parse(&v)
                    .map_err(|e| err(crate::secrets::MASTER_KEY_ENV, e))?,
            ),
            (None, Some(p)) => {
                Some(crate::secrets::read_key_file(p).map_err(|e| err("master_key_file", e))?)
            }
            (None, None) => None,
        };
        Ok(config)
    }

    /// Replaces `${CREDENTIALS_DIRECTORY}` in the `*_file` settings by the directory systemd passes
    /// credentials in (`LoadCredential=`), so one configuration file serves under systemd and, with the
    /// variable set by hand, in a container or a test.
    fn expand_credential_paths(&mut self, dir: Option<&str>) -> Result<(), ConfigError> {
        let fields = [
            ("master_key_file", &mut self.master_key_file),
            ("database_url_file", &mut self.database_url_file),
            ("wecom.secret_file", &mut self.wecom.secret_file),
            ("signing.key_file", &mut self.signing.key_file),
            ("signing.cert_file", &mut self.signing.cert_file),
        ];
        for (name, field) in fields {
            if let Some(p) = field.as_mut() {
                *p = expand_credentials(name, p, dir)?;
            }
        }
        Ok(())
    }

    fn read_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(p) = &self.wecom.secret_file {
            self.wecom.secret = read_secret(p, "wecom.secret_file")?;
        }
        if let Some(p) = &self.database_url_file {
            self.database_url = read_secret(p, "database_url_file")?;
        }
        Ok(())
    }

    /// Checks what every command needs: a usable public URL, listen address and database URL.
    pub fn validate_common(&self) -> Result<(), ConfigError> {
        let public = self.public_url()?;
        if public.scheme() != "https" && !is_loopback_host(&public) {
            return Err(err(
                "public_url",
                format!(
                    "`{}` must use https (plain http is only allowed for loopback addresses)",
                    self.public_url
                ),
            ));
        }
        self.listen_addr()?;
        let db = self.database_url.as_str();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(err(
                "database_url",
                "must start with sqlite:// or postgres:// (e.g. sqlite://wecom-idp.sqlite)",
            ));
        }
        if self.saml.clock_skew_secs < 0 || self.saml.clock_skew_secs > 3600 {
            return Err(err("saml.clock_skew_secs", "must be between 0 and 3600"));
        }
        if self.saml.assertion_lifetime_secs < 30 || self.saml.assertion_lifetime_secs > 3600 {
            return Err(err(
                "saml.assertion_lifetime_secs",
                "must be between 30 and 3600",
            ));
        }
        if self.saml.login_state_ttl_secs < 60 || self.saml.login_state_ttl_secs > 3600 {
            return Err(err(
                "saml.login_state_ttl_secs",
                "must be between 60 and 3600",
            ));
        }
        if self.session.absolute_timeout_secs < 60 {
            return Err(err("session.absolute_timeout_secs", "must be at least 60"));
        }
        if self.session.idle_timeout_secs < 60 {
            return Err(err("session.idle_timeout_secs", "must be at least 60"));
        }
        self.validate_limits()?;
        self.server.validate()?;
        self.database.validate()?;
        self.audit.validate()?;
        if self.signing.key_file.is_some() != self.signing.cert_file.is_some() {
            return Err(err(
                "signing.key_file",
                "set both signing.key_file and signing.cert_file, or neither",
            ));
        }
        self.binding.policy()?;
        if self.admin.session_absolute_secs < 60 || self.admin.session_idle_secs < 60 {
            return Err(err(
                "admin.session_absolute_secs",
                "admin.session_absolute_secs and admin.session_idle_secs must be at least 60",
            ));
        }
        for u in &self.admin.userids {
            if u.trim().is_empty() || u.len() > 64 {
                return Err(err(
                    "admin.userids",
                    format!("`{u}` is not a WeCom userid (1 to 64 characters)"),
                ));
            }
        }
        Ok(())
    }

    /// Checks everything `serve` needs: the common settings, the WeCom values that are given, the
    /// binding defaults and the master key. A missing WeCom corp ID, AgentId or secret is checked once
    /// the store is open ([`WecomConfig::require_complete`] on the effective settings, see
    /// [`crate::settings`]), since the admin console may have stored them.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_common()?;
        self.wecom.validate_values()?;
        self.binding.default_access()?;
        self.master_key()?;
        Ok(())
    }

    /// The master key, or an error naming both ways to give one and how to make one.
    pub fn master_key(&self) -> Result<&crate::secrets::MasterKey, ConfigError> {
        self.master_key.as_ref().ok_or_else(|| {
            err(
                "master_key_file",
                format!(
                    "no master key: the signing key is stored encrypted and the server needs the \
                     key to read it; {}",
                    crate::secrets::HOW_TO_MAKE
                ),
            )
        })
    }

    fn validate_limits(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.requests_per_minute > 0 && l.burst == 0 {
            return Err(err(
                "limits.burst",
                "must be at least 1 (or set limits.requests_per_minute = 0 to turn limits off)",
            ));
        }
        if l.failures_per_minute > 0 && l.failure_burst == 0 {
            return Err(err(
                "limits.failure_burst",
                "must be at least 1 (or set limits.failures_per_minute = 0 to turn it off)",
            ));
        }
        if l.login_states_per_ip < 1 {
            return Err(err("limits.login_states_per_ip", "must be at least 1"));
        }
        if l.login_states_total < l.login_states_per_ip {
            return Err(err(
                "limits.login_states_total",
                "must be at least limits.login_states_per_ip (it caps all addresses together)",
            ));
        }
        if l.request_timeout_secs == 0 || l.request_timeout_secs > 600 {
            return Err(err(
                "limits.request_timeout_secs",
                "must be between 1 and 600",
            ));
        }
        for p in &l.trusted_proxies {
            if crate::http::limits::Cidr::parse(p).is_none() {
                return Err(err(
                    "limits.trusted_proxies",
                    format!("`{p}` is not an IP address or CIDR like 10.0.0.0/8"),
                ));
            }
        }
        Ok(())
    }

    /// `public_url` parsed, without a trailing slash in its path.
    pub fn public_url(&self) -> Result<url::Url, ConfigError> {
        if self.public_url.trim().is_empty() {
            return Err(err(
                "public_url",
                format!(
                    "is missing: set the address browsers use to reach this server, e.g. \
                     https://idp.example.com (or {})",
                    env_name("public_url")
                ),
            ));
        }
        parse_base_url("public_url", &self.public_url)
    }

    /// The public URL as a string without a trailing slash.
    pub fn base(&self) -> String {
        self.public_url.trim_end_matches('/').to_string()
    }

    /// Our SAML entity ID.
    pub fn entity_id(&self) -> String {
        match &self.entity_id {
            Some(e) if !e.is_empty() => e.clone(),
            _ => format!("{}/saml/metadata", self.base()),
        }
    }

    /// Our SSO endpoint (both bindings).
    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.base())
    }

    /// Where WeCom sends the browser back.
    pub fn callback_url(&self) -> String {
        format!("{}/wecom/callback", self.base())
    }

    /// An app's mount address (IdP-initiated login).
    pub fn mount_url(&self, app: &str) -> String {
        format!("{}/apps/{app}/start", self.base())
    }

    /// `listen` parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            err(
                "listen",
                format!(
                    "`{}` is not a socket address like 0.0.0.0:8080",
                    self.listen
                ),
            )
        })
    }

    /// Whether cookies get `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_base_url(name: &str, value: &str) -> Result<url::Url, ConfigError> {
    let u = url::Url::parse(value).map_err(|e| {
        err(
            name,
            format!("`{value}` is not a URL ({e}); e.g. https://idp.example.com"),
        )
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(err(
            name,
            format!("`{value}` must be an http(s) URL with a host"),
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(err(
            name,
            format!("`{value}` must not have a query or fragment"),
        ));
    }
    Ok(u)
}

fn read_secret(path: &Path, setting: &str) -> Result<String, ConfigError> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| err(setting, format!("cannot read {}: {e}", path.display())))?;
    let s = s.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(err(setting, format!("{} is empty", path.display())));
    }
    Ok(s)
}

/// The variable systemd sets to the directory of a unit's `LoadCredential=` files.
const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// `path` with `${CREDENTIALS_DIRECTORY}` replaced by `dir`; an error naming `setting` when the path
/// uses it and the variable is not set.
fn expand_credentials(
    setting: &str,
    path: &Path,
    dir: Option<&str>,
) -> Result<PathBuf, ConfigError> {
    const VAR: &str = "${CREDENTIALS_DIRECTORY}";
    let text = path.to_string_lossy();
    if !text.contains(VAR) {
        return Ok(path.to_path_buf());
    }
    match dir.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Ok(PathBuf::from(text.replace(VAR, d.trim_end_matches('/')))),
        None => Err(err(
            setting,
            format!(
                "`{text}` uses {VAR}, which is not set: start the service with systemd and \
                 LoadCredential= (packaging/systemd/wecom-idp.service), or set \
                 CREDENTIALS_DIRECTORY to the folder holding the secret files"
            ),
        )),
    }
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Sets `path` in `table` from an environment variable, typed like the default at that path.
fn set_path(
    table: &mut toml::Table,
    shape: &toml::Table,
    path: &[String],
    var: &str,
    value: String,
) -> Result<(), ConfigError> {
    let unknown = || err(var, "is not a known setting (see README, Configuration)");
    let (last, parents) = path.split_last().ok_or_else(unknown)?;
    let mut t = table;
    let mut s = shape;
    for p in parents {
        let Some(toml::Value::Table(next_shape)) = s.get(p) else {
            return Err(unknown());
        };
        s = next_shape;
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(next) = entry else {
            return Err(unknown());
        };
        t = next;
    }
    let typed = match s.get(last) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            value
                .trim()
                .parse()
                .map_err(|_| err(var, format!("`{value}` is not a whole number")))?,
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match value.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(err(var, format!("`{value}` is not true or false"))),
        }),
        Some(toml::Value::Table(_)) => return Err(unknown()),
        // A list (binding.match): comma-separated.
        Some(toml::Value::Array(_)) => toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
        Some(_) => toml::Value::String(value),
        // Optional settings are absent from the defaults; only the known ones are accepted.
        None if OPTIONAL.contains(&path.join(".").as_str()) => toml::Value::String(value),
        None => return Err(unknown()),
    };
    t.insert(last.clone(), typed);
    Ok(())
}

/// Settings without a default (absent from the serialized defaults).
const OPTIONAL: &[&str] = &[
    "database_url_file",
    "entity_id",
    "wecom.secret_file",
    "signing.key_file",
    "signing.cert_file",
    "master_key_file",
];

// ---- log format and [audit] ----

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

/// Names `log_format` and `audit.retention_days` in their errors (the generic conversion error below
/// cannot say which setting it was).
fn check_deploy_settings(table: &toml::Table) -> Result<(), ConfigError> {
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
    fn validate(&self) -> Result<(), ConfigError> {
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

// ---- end log format and [audit] ----

#[cfg(test)]
mod tests;
