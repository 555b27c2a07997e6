//! The effective WeCom source and binding settings: the configuration gives the defaults, the
//! store's `wecom` and `binding` rows (written by the admin console and API) override them field by
//! field. [`LiveSettings`] keeps the merged values and the [`WecomClient`] built
//! from them, per instance, and checks the rows' versions (one small `SELECT`) each time a request asks,
//! so a change made on one instance takes effect at the next request on every instance. The client is
//! rebuilt (a new token cache) only when the WeCom source itself changed.
//!
//! The WeCom secret is stored sealed under the master key ([`crate::secrets::MasterKey`], context
//! [`SECRET_CONTEXT`]); it is opened only here, in memory, and never returned, logged or audited.

use crate::clock::Clock;
use crate::config::{BindingConfig, Config, ConfigError, WecomConfig};
use crate::identity::access::Access;
use crate::identity::directory::BindingPolicy;
use crate::secrets::MasterKey;
use crate::store::{SettingRow, Store, StoreError};
use crate::wecom::client::{self, WecomClient};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The settings row of the WeCom source.
pub const WECOM: &str = "wecom";
/// The settings row of the binding settings.
pub const BINDING: &str = "binding";
/// The stored settings an instance caches, in the order their versions are compared.
pub const STORED: [&str; 2] = [BINDING, WECOM];
/// What the stored WeCom secret's seal is bound to.
pub const SECRET_CONTEXT: &str = "setting:wecom.secret";
/// What the stored EncodingAESKey's seal is bound to.
pub const AES_KEY_CONTEXT: &str = "setting:wecom.callback_aes_key";

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configuration file, the environment, or the built-in default.
    Config,
    /// The admin console or API (the store).
    Console,
}

impl Source {
    /// `config` or `console`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Console => "console",
        }
    }
}

/// The stored overrides of the WeCom source; an absent field is the configuration's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WecomOverride {
    /// 企业ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corp_id: Option<String>,
    /// AgentId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The Secret, sealed under the master key (never in clear).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_sealed: Option<String>,
    /// The ID of the master key that sealed it (for rotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key_id: Option<String>,
    /// API base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// In-client OAuth base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_base: Option<String>,
    /// Web/QR login base.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_login_base: Option<String>,
    /// The event callback's Token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_token: Option<String>,
    /// The event callback's EncodingAESKey, sealed under the master key (never in clear).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_aes_key_sealed: Option<String>,
    /// The ID of the master key that sealed it (for rotation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_aes_key_key_id: Option<String>,
    /// The proxy of WeCom API calls (empty: direct, over a configured one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
}

/// The stored overrides of the binding settings; an absent field is the configuration's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BindingOverride {
    /// `auto_bind`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_bind: Option<bool>,
    /// `match`.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_keys: Option<Vec<String>>,
    /// `when_unmatched`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when_unmatched: Option<String>,
    /// `employee_no_from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_no_from: Option<String>,
    /// `contact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// `default_access`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_access: Option<String>,
}

/// Why the effective settings could not be made.
#[derive(Debug)]
pub enum SettingsError {
    /// The store failed.
    Store(StoreError),
    /// A value is missing or wrong (named, with what to do).
    Invalid(ConfigError),
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => e.fmt(f),
            Self::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SettingsError {}

impl From<StoreError> for SettingsError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<ConfigError> for SettingsError {
    fn from(e: ConfigError) -> Self {
        Self::Invalid(e)
    }
}

fn invalid(setting: &str, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid(ConfigError {
        setting: setting.into(),
        problem: problem.into(),
    })
}

/// The settings a request uses: merged values, their sources, the parsed policy and the client.
#[derive(Debug)]
pub struct Effective {
    /// The WeCom source (the secret included; `Debug` masks it).
    pub wecom: WecomConfig,
    /// The binding settings.
    pub binding: BindingConfig,
    /// `binding` parsed.
    pub policy: BindingPolicy,
    /// The access of apps whose `access` is `default` (`binding.default_access`).
    pub default_access: Access,
    /// Field (`corp_id`, `secret`, `auto_bind`, …) → where its value comes from.
    pub sources: BTreeMap<&'static str, Source>,
    /// The WeCom client of this source.
    pub client: WecomClient,
    /// The stored rows' versions this was built from.
    versions: Vec<(String, i64)>,
}

impl Effective {
    /// Where `field`'s value comes from.
    pub fn source(&self, field: &str) -> Source {
        self.sources.get(field).copied().unwrap_or(Source::Config)
    }
}

/// The stored overrides, as read from the `settings` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// The `wecom` row.
    pub wecom: WecomOverride,
    /// The `binding` row.
    pub binding: BindingOverride,
}

/// Reads the stored overrides (`null` or no row: none).
pub async fn stored(store: &Store) -> Result<Stored, SettingsError> {
    let rows = store.settings().await?;
    Ok(Stored {
        wecom: parse_row(&rows, WECOM)?,
        binding: parse_row(&rows, BINDING)?,
    })
}

fn parse_row<T: Default + serde::de::DeserializeOwned>(
    rows: &[SettingRow],
    name: &str,
) -> Result<T, SettingsError> {
    let Some(r) = rows.iter().find(|r| r.name == name) else {
        return Ok(T::default());
    };
    let v: Option<T> = serde_json::from_str(&r.value_json)
        .map_err(|e| StoreError::Corrupt(format!("setting `{name}`: {e}")))?;
    Ok(v.unwrap_or_default())
}

/// The masked hint of a secret: `••••` and its last four characters (only when it is long enough for
/// them to give nothing away).
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("••••{tail}")
    } else {
        "••••".into()
    }
}

/// The configuration overlaid with `stored`: the WeCom source (secret opened with `master`), the
/// binding settings and each field's source. Nothing is validated here.
pub fn overlay(
    config: &Config,
    stored: &Stored,
    master: Option<&MasterKey>,
) -> Result<(WecomConfig, BindingConfig, BTreeMap<&'static str, Source>), SettingsError> {
    let mut sources = BTreeMap::new();
    let w = overlay_wecom(&config.wecom, &stored.wecom, master, &mut sources)?;
    let b = overlay_binding(&config.binding, &stored.binding, &mut sources);
    Ok((w, b, sources))
}

/// The WeCom source: each stored field over the configuration's.
fn overlay_wecom(
    config: &WecomConfig,
    o: &WecomOverride,
    master: Option<&MasterKey>,
    sources: &mut BTreeMap<&'static str, Source>,
) -> Result<WecomConfig, SettingsError> {
    let mut w = config.clone();
    let mut take = |field: &'static str, into: &mut String, v: &Option<String>| {
        let from = match v {
            Some(v) => {
                *into = v.clone();
                Source::Console
            }
            None => Source::Config,
        };
        sources.insert(field, from);
    };
    take("corp_id", &mut w.corp_id, &o.corp_id);
    take("agent_id", &mut w.agent_id, &o.agent_id);
    take("api_base", &mut w.api_base, &o.api_base);
    take("oauth_base", &mut w.oauth_base, &o.oauth_base);
    take("web_login_base", &mut w.web_login_base, &o.web_login_base);
    take("callback_token", &mut w.callback_token, &o.callback_token);
    take("proxy_url", &mut w.proxy_url, &o.proxy_url);
    let secret_from = match &o.secret_sealed {
        Some(sealed) => {
            w.secret = open_secret(sealed, master, SECRET_CONTEXT, "wecom.secret")?;
            Source::Console
        }
        None => Source::Config,
    };
    sources.insert("secret", secret_from);
    let key_from = match &o.callback_aes_key_sealed {
        Some(sealed) => {
            w.callback_aes_key =
                open_secret(sealed, master, AES_KEY_CONTEXT, "wecom.callback_aes_key")?;
            Source::Console
        }
        None => Source::Config,
    };
    sources.insert("callback_aes_key", key_from);
    Ok(w)
}

/// A console-set WeCom secret (the Secret or the EncodingAESKey), opened with the master key.
fn open_secret(
    sealed: &str,
    master: Option<&MasterKey>,
    context: &str,
    setting: &str,
) -> Result<String, SettingsError> {
    let key = master.ok_or_else(|| {
        invalid(
            "master_key_file",
            format!("`{setting}` set in the console is stored encrypted and needs the master key"),
        )
    })?;
    key.open(context, sealed)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            invalid(
                setting,
                "the value set in the console does not open with this master key: give \
                 the master key it was saved with, or set it again in the console",
            )
        })
}

/// The binding settings: each stored field over the configuration's.
fn overlay_binding(
    config: &BindingConfig,
    o: &BindingOverride,
    sources: &mut BTreeMap<&'static str, Source>,
) -> BindingConfig {
    let mut pick = |field: &'static str, set: bool| {
        sources.insert(field, if set { Source::Console } else { Source::Config });
    };
    pick("auto_bind", o.auto_bind.is_some());
    pick("match", o.match_keys.is_some());
    pick("when_unmatched", o.when_unmatched.is_some());
    pick("employee_no_from", o.employee_no_from.is_some());
    pick("contact", o.contact.is_some());
    pick("default_access", o.default_access.is_some());
    let mut b = config.clone();
    if let Some(v) = o.auto_bind {
        b.auto_bind = v;
    }
    if let Some(v) = &o.match_keys {
        b.match_keys = v.clone();
    }
    if let Some(v) = &o.when_unmatched {
        b.when_unmatched = v.clone();
    }
    if let Some(v) = &o.employee_no_from {
        b.employee_no_from = v.clone();
    }
    if let Some(v) = &o.contact {
        b.contact = v.clone();
    }
    if let Some(v) = &o.default_access {
        b.default_access = v.clone();
    }
    b
}

/// The merged settings' own checks: the WeCom source is complete and well-formed (the message says
/// where to set a missing value), the binding settings parse.
pub fn check(w: &WecomConfig, b: &BindingConfig) -> Result<(BindingPolicy, Access), SettingsError> {
    w.require_complete()?;
    w.validate_values()?;
    let policy = b.policy()?;
    let access = b.default_access()?;
    Ok((policy, access))
}

/// Builds a WeCom client for `w` (a fresh token cache).
pub fn client_for(
    w: &WecomConfig,
    clock: Arc<dyn Clock>,
    options: client::Options,
) -> Result<WecomClient, SettingsError> {
    let settings = client::Settings {
        corp_id: w.corp_id.clone(),
        agent_id: w.agent_id.clone(),
        secret: w.secret.clone(),
        api_base: w.api_base.clone(),
        timeout: std::time::Duration::from_secs(w.timeout_secs),
        proxy: Some(w.proxy_url.trim().to_string()).filter(|p| !p.is_empty()),
    };
    WecomClient::with_options(settings, clock, options)
        .map_err(|e| invalid("wecom", format!("the WeCom client could not be built: {e}")))
}

/// Whether `client` talks to `w` (same corp, app, secret, API base and timeout).
fn same_source(client: &WecomClient, w: &WecomConfig) -> bool {
    let s = client.settings();
    s.corp_id == w.corp_id
        && s.agent_id == w.agent_id
        && crate::crypto::constant_time_eq(s.secret.as_bytes(), w.secret.as_bytes())
        && s.api_base == w.api_base
        && s.timeout == std::time::Duration::from_secs(w.timeout_secs)
        && s.proxy.as_deref().unwrap_or("") == w.proxy_url.trim()
}

/// The per-instance cache of the effective settings.
pub struct LiveSettings {
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    options: client::Options,
    cached: RwLock<Option<Arc<Effective>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LiveSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSettings").finish_non_exhaustive()
    }
}

impl LiveSettings {
    /// A cache over `config`'s defaults; WeCom clients get `options` (metrics observer, …).
    pub fn new(config: Arc<Config>, clock: Arc<dyn Clock>, options: client::Options) -> Self {
        Self {
            config,
            clock,
            options,
            cached: RwLock::new(None),
            rebuild: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> Option<Arc<Effective>> {
        match self.cached.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set_cached(&self, e: Arc<Effective>) {
        match self.cached.write() {
            Ok(mut g) => *g = Some(e),
            Err(p) => *p.into_inner() = Some(e),
        }
    }

    /// The cached settings without asking the store, for a caller that reads the versions itself
    /// (in the same query as other things) and then calls [`LiveSettings::current_given`].
    pub fn peek(&self) -> Option<Arc<Effective>> {
        self.cached()
    }

    /// The effective settings, given the versions of [`STORED`] the caller has just read from the
    /// store (as [`Store::setting_versions`] returns them): the cached ones when they match, rebuilt
    /// otherwise.
    pub async fn current_given(
        &self,
        store: &Store,
        versions: &[(String, i64)],
    ) -> Result<Arc<Effective>, SettingsError> {
        if let Some(e) = self.cached().filter(|e| e.versions == versions) {
            return Ok(e);
        }
        self.current(store).await
    }

    /// The effective settings now: the cached ones while the stored rows' versions are unchanged,
    /// rebuilt otherwise.
    pub async fn current(&self, store: &Store) -> Result<Arc<Effective>, SettingsError> {
        let versions = store.setting_versions(&STORED).await?;
        if let Some(e) = self.cached().filter(|e| e.versions == versions) {
            return Ok(e);
        }
        let _one = self.rebuild.lock().await;
        let versions = store.setting_versions(&STORED).await?;
        let old = self.cached();
        if let Some(e) = old.as_ref().filter(|e| e.versions == versions) {
            return Ok(e.clone());
        }
        let stored = stored(store).await?;
        let (wecom, binding, sources) =
            overlay(&self.config, &stored, self.config.master_key.as_ref())?;
        let (policy, default_access) = check(&wecom, &binding)?;
        let client = match old.as_ref().filter(|e| same_source(&e.client, &wecom)) {
            Some(e) => e.client.clone(),
            None => {
                if old.is_some() {
                    tracing::info!(
                        corp_id = %wecom.corp_id,
                        agent_id = %wecom.agent_id,
                        "the WeCom source changed: new WeCom client (new token cache)"
                    );
                }
                let client = client_for(&wecom, self.clock.clone(), self.options.clone())?;
                // Ready before the first member needs it, without holding up the start.
                let warm = client.clone();
                tokio::spawn(async move { warm.warm().await });
                client
            }
        };
        if old.is_some() {
            tracing::info!("WeCom and binding settings reloaded after a change in the store");
        }
        let e = Arc::new(Effective {
            wecom,
            binding,
            policy,
            default_access,
            sources,
            client,
            versions,
        });
        self.set_cached(e.clone());
        Ok(e)
    }

    /// The configuration's defaults.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The corp ID in force (the console's over the configuration's), without opening the secret: what
/// the `user` commands key bindings by.
pub async fn corp_id(config: &Config, store: &Store) -> Result<String, SettingsError> {
    Ok(stored(store)
        .await?
        .wecom
        .corp_id
        .unwrap_or_else(|| config.wecom.corp_id.clone()))
}

/// Re-seals the console-set WeCom secrets (the Secret, the EncodingAESKey) under `new` (master
/// key rotation); true when one was.
pub async fn reseal_secret(
    store: &Store,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn crate::random::Rng,
    now: i64,
) -> Result<bool, SettingsError> {
    let mut s = stored(store).await?;
    let w = &mut s.wecom;
    let secret = reseal_one(
        (&mut w.secret_sealed, &mut w.secret_key_id),
        (old, new, rng),
        SECRET_CONTEXT,
        "wecom.secret",
    )?;
    let aes = reseal_one(
        (
            &mut w.callback_aes_key_sealed,
            &mut w.callback_aes_key_key_id,
        ),
        (old, new, rng),
        AES_KEY_CONTEXT,
        "wecom.callback_aes_key",
    )?;
    if !secret && !aes {
        return Ok(false);
    }
    let json = serde_json::to_string(&s.wecom)
        .map_err(|e| StoreError::Corrupt(format!("setting `wecom`: {e}")))?;
    store.put_setting(WECOM, &json, "shell", now).await?;
    Ok(true)
}

/// Re-seals one sealed value (and its key ID) from `old` to `new`; false when there is none or it
/// is already under `new`.
fn reseal_one(
    (sealed, key_id): (&mut Option<String>, &mut Option<String>),
    (old, new, rng): (&MasterKey, &MasterKey, &dyn crate::random::Rng),
    context: &str,
    setting: &str,
) -> Result<bool, SettingsError> {
    let Some(value) = sealed.as_deref() else {
        return Ok(false);
    };
    if key_id.as_deref() == Some(new.id()) {
        return Ok(false);
    }
    let plain = old.open(context, value).ok_or_else(|| {
        invalid(
            setting,
            "the console-set value does not open with the old master key",
        )
    })?;
    *sealed = Some(
        new.seal(context, &plain, rng)
            .map_err(|e| invalid(setting, e))?,
    );
    *key_id = Some(new.id().to_string());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_takes_console_values_and_names_sources() {
        let mut c = Config::default();
        c.wecom.corp_id = "wwconfig".into();
        c.wecom.agent_id = "1".into();
        c.wecom.secret = "config-secret".into();
        let key = MasterKey::from_bytes([7; 32]);
        let sealed = key
            .seal(
                SECRET_CONTEXT,
                b"console-secret-0123",
                &crate::random::OsRng,
            )
            .unwrap();
        let s = Stored {
            wecom: WecomOverride {
                agent_id: Some("2".into()),
                secret_sealed: Some(sealed),
                ..Default::default()
            },
            binding: BindingOverride {
                when_unmatched: Some("reject".into()),
                ..Default::default()
            },
        };
        let (w, b, src) = overlay(&c, &s, Some(&key)).unwrap();
        assert_eq!(w.corp_id, "wwconfig");
        assert_eq!(w.agent_id, "2");
        assert_eq!(w.secret, "console-secret-0123");
        assert_eq!(b.when_unmatched, "reject");
        assert_eq!(src["corp_id"], Source::Config);
        assert_eq!(src["secret"], Source::Console);
        assert_eq!(src["when_unmatched"], Source::Console);
        assert!(overlay(&c, &s, Some(&MasterKey::from_bytes([8; 32]))).is_err());
        assert!(overlay(&c, &s, None).is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask("0123456789abcdef3f9a"), "••••3f9a");
        assert_eq!(mask("short"), "••••");
    }
}
