//! Every setting, with its default and its meaning, and how they are loaded: built-in defaults, then
//! the TOML file (`--config FILE` or `WECOM_IDP_CONFIG`), then `WECOM_IDP_*` environment variables
//! (`__` between levels: `WECOM_IDP_WECOM__CORP_ID`). The environment wins over the file. Secrets may
//! instead be read from files (`secret_file`, `database_url_file`, `master_key_file`), whose paths may
//! start from `${CREDENTIALS_DIRECTORY}` (systemd's `LoadCredential=`). [`Config::validate`] names the
//! setting and says what to fix when something is missing or wrong.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod admin;
mod binding;
mod credentials;
mod directory;
mod lifecycle;
mod limits;
mod logs;
mod runtime;
mod wecom;
pub use admin::AdminConfig;
pub use binding::BindingConfig;
pub use directory::{DirectoryConfig, MIN_SYNC_INTERVAL};
pub use lifecycle::{LeaverAccount, LifecycleConfig};
pub use limits::{Cidr, LimitsConfig};
pub use logs::{AuditConfig, LogFormat, AUDIT_LEGAL_MINIMUM_DAYS};
pub use runtime::{DatabaseConfig, ServerConfig};
pub use wecom::{mask_proxy, parse_proxy_url, WecomConfig};

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
    /// Account binding: auto-binding keys and what happens to an unmatched member.
    pub binding: BindingConfig,
    // --- secrets at rest and limits ---
    /// A file holding the master key (32 bytes, base64 or hex) that encrypts the secrets in the
    /// database; `WECOM_IDP_MASTER_KEY` wins over it. Required by `serve`.
    pub master_key_file: Option<PathBuf>,
    /// The master key, read from `WECOM_IDP_MASTER_KEY` or `master_key_file` by [`Config::load`].
    #[serde(skip)]
    pub master_key: Option<crate::secrets::MasterKey>,
    /// Per-IP rate limits, caps and timeouts.
    pub limits: LimitsConfig,
    // --- end secrets at rest and limits ---
    /// The admin console and API.
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
    /// `[lifecycle]`: what happens to a leaver's account.
    pub lifecycle: LifecycleConfig,
    /// `[directory]`: the periodic full sync of the stored WeCom address book.
    pub directory: DirectoryConfig,
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
    /// How long a Single Logout waits for each SP's LogoutResponse before telling the next one,
    /// seconds (an SP that does not answer does not stop the logout).
    pub logout_wait_secs: i64,
    /// How long a back-channel (SOAP) Single Logout call to one SP may take, seconds: a leaver's
    /// apps are told after the cut-off, and an SP that does not answer is recorded as failed.
    pub soap_logout_timeout_secs: i64,
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
    /// PEM private key (EC P-256) for ES256 tokens beside `key_file`; without it, key files sign
    /// OpenID Connect tokens with RS256 only. Ignored without `key_file` (the stored keys have
    /// their own P-256 companions).
    pub ec_key_file: Option<PathBuf>,
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
            lifecycle: LifecycleConfig::default(),
            directory: DirectoryConfig::default(),
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
            logout_wait_secs: 5,
            soap_logout_timeout_secs: 5,
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
            if key == credentials::CREDENTIALS_DIRECTORY {
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
        logs::check_deploy_settings(&table)?;
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
        if self.saml.logout_wait_secs < 1 || self.saml.logout_wait_secs > 60 {
            return Err(err("saml.logout_wait_secs", "must be between 1 and 60"));
        }
        if !(1..=30).contains(&self.saml.soap_logout_timeout_secs) {
            return Err(err(
                "saml.soap_logout_timeout_secs",
                "must be between 1 and 30",
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
        self.limits.validate()?;
        self.server.validate()?;
        self.database.validate()?;
        self.audit.validate()?;
        self.directory.validate()?;
        if self.signing.key_file.is_some() != self.signing.cert_file.is_some() {
            return Err(err(
                "signing.key_file",
                "set both signing.key_file and signing.cert_file, or neither",
            ));
        }
        if self.signing.ec_key_file.is_some() && self.signing.key_file.is_none() {
            return Err(err(
                "signing.ec_key_file",
                "signing.ec_key_file goes with signing.key_file / signing.cert_file; without key \
                 files the stored keys have their own ES256 keys, so remove it",
            ));
        }
        self.binding.policy()?;
        self.admin.validate()?;
        Ok(())
    }

    /// Checks everything `serve` needs: the common settings, the WeCom values that are given, the
    /// binding defaults and the master key. A missing WeCom corp ID, AgentId or secret is checked once
    /// the store is open ([`WecomConfig::require_complete`] on the effective settings, the
    /// configuration overlaid by the console's stored values), since the console may have stored them.
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

    /// Our Single Logout endpoint (both bindings).
    pub fn slo_url(&self) -> String {
        format!("{}/saml/slo", self.base())
    }

    /// Where WeCom sends the browser back.
    pub fn callback_url(&self) -> String {
        format!("{}/wecom/callback", self.base())
    }

    /// What WeCom's "trusted domain" field (应用 › 网页授权及JS-SDK › 可信域名) wants for this server:
    /// the host of `public_url`, with the port unless it is the scheme's default. Not a URL: WeCom
    /// refuses a scheme or a path there.
    pub fn trusted_domain(&self) -> String {
        match url::Url::parse(&self.base()) {
            Ok(u) => match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                (None, _) => self.base(),
            },
            Err(_) => self.base(),
        }
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
    "signing.ec_key_file",
    "master_key_file",
];

#[cfg(test)]
mod tests;
