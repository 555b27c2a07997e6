//! Editing the WeCom source and the binding settings: partial updates validated like the
//! configuration is (over the configuration's values, so the result is checked as a whole), and
//! reset to the configuration. A WeCom source is saved only after it passed the set-up check of
//! [`super::wecom_check`] against WeCom itself, or when the admin explicitly saves it anyway (then
//! the failed check is in the audit row): one Save must not lock every member and admin out. What
//! the bases may point at, and when the Secret must be typed again, is [`super::wecom_bases`]'s.
//! Every change writes one audit row with the before/after values; the secret appears there only as
//! `"secret": "changed"`.
//!
//! A submitted value equal to the configuration's is not stored (its source stays `config`). The
//! effective values in force are [`crate::settings`]'s; this module only writes the store's rows.

use super::auth::{audit_change, AdminChange};
use super::wecom_bases;
pub use super::wecom_check::{check_connection, CheckOutcome};
use super::{Actor, AdminError};
use crate::clock::Clock;
use crate::config::{BindingConfig, Config, ConfigError, WecomConfig};
use crate::logsafe::Escaped;
use crate::random::Rng;
use crate::settings::{self, BindingOverride, Source, Stored, WecomOverride};
use crate::store::{AuditKind, Store, StoreError};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Who changes what, when, from where: what every write here needs.
pub struct Change<'a> {
    /// The store.
    pub store: &'a Store,
    /// The configuration (the defaults, and the master key).
    pub config: &'a Config,
    /// Unix seconds.
    pub now: i64,
    /// Randomness (sealing the secret).
    pub rng: &'a dyn Rng,
    /// The acting admin.
    pub actor: &'a Actor,
    /// The client's IP, for the audit row.
    pub ip: Option<IpAddr>,
    /// The clock the set-up check's WeCom client uses.
    pub clock: Arc<dyn Clock>,
}

/// Whether a save may go through when its check against WeCom fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Refuse on a failed check (the default everywhere).
    CheckFirst,
    /// The admin confirmed: save even though the check fails (audited with the failure).
    Anyway,
    /// The shell's names check: refuse a name WeCom says it does not know, but save (audited with
    /// why) when WeCom cannot be asked, so the first admin and apps can be added before WeCom
    /// works. A WeCom source save treats it as [`SaveMode::CheckFirst`].
    UnlessUnknown,
}

/// How a Save of the WeCom source ended.
#[derive(Debug, Clone)]
pub enum WecomSave {
    /// Nothing would change: nothing checked, stored or audited.
    Unchanged,
    /// Stored and audited, with the check's result (failed only in [`SaveMode::Anyway`]).
    Saved(CheckOutcome),
    /// The check failed and nothing was stored.
    Refused(CheckOutcome),
}

/// A partial update of the WeCom source: `None` leaves a value as it is; an empty `secret` too.
#[derive(Debug, Clone, Default)]
pub struct WecomChange {
    /// 企业ID.
    pub corp_id: Option<String>,
    /// AgentId.
    pub agent_id: Option<String>,
    /// Secret (write-only).
    pub secret: Option<String>,
    /// API base.
    pub api_base: Option<String>,
    /// In-client OAuth base.
    pub oauth_base: Option<String>,
    /// Web/QR login base.
    pub web_login_base: Option<String>,
    /// The event callback's Token (empty: the callback is turned off, with the key).
    pub callback_token: Option<String>,
    /// The event callback's EncodingAESKey (write-only; empty leaves it unchanged).
    pub callback_aes_key: Option<String>,
    /// The proxy of WeCom API calls; empty: direct.
    pub proxy_url: Option<String>,
}

/// A partial update of the binding settings: `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct BindingChange {
    /// `auto_bind`.
    pub auto_bind: Option<bool>,
    /// `match`, in order.
    pub match_keys: Option<Vec<String>>,
    /// `when_unmatched`.
    pub when_unmatched: Option<String>,
    /// `employee_no_from`.
    pub employee_no_from: Option<String>,
    /// `contact` (empty: "your administrator").
    pub contact: Option<String>,
    /// `default_access`: `everyone` or `none`.
    pub default_access: Option<String>,
}

/// The values in force as the console shows them (configuration overlaid by the store), each with
/// its source, and what is wrong with them as a whole, if anything.
#[derive(Debug, Clone)]
pub struct Current {
    /// The WeCom source (the secret only for its masked hint).
    pub wecom: WecomConfig,
    /// The binding settings.
    pub binding: BindingConfig,
    /// Field → source.
    pub sources: BTreeMap<&'static str, Source>,
    /// Why the values in force do not work, when they do not.
    pub problem: Option<String>,
}

impl Current {
    /// Where `field` comes from.
    pub fn source(&self, field: &str) -> Source {
        self.sources.get(field).copied().unwrap_or(Source::Config)
    }

    /// The non-secret WeCom values, for audit details.
    fn wecom_json(&self) -> serde_json::Value {
        let w = &self.wecom;
        json!({
            "corp_id": w.corp_id, "agent_id": w.agent_id, "api_base": w.api_base,
            "oauth_base": w.oauth_base, "web_login_base": w.web_login_base,
            "proxy_url": crate::config::mask_proxy(&w.proxy_url),
            "secret_source": self.source("secret").as_str(),
            "callback_token": w.callback_token,
            "callback_aes_key_set": !w.callback_aes_key.is_empty(),
        })
    }

    /// The binding values, for audit details.
    fn binding_json(&self) -> serde_json::Value {
        let b = &self.binding;
        json!({
            "auto_bind": b.auto_bind, "match": b.match_keys, "when_unmatched": b.when_unmatched,
            "employee_no_from": b.employee_no_from, "contact": b.contact,
            "default_access": b.default_access,
        })
    }
}

/// The values in force, from the configuration and the store.
pub async fn current(store: &Store, config: &Config) -> Result<Current, AdminError> {
    let stored = settings::stored(store).await.map_err(settings_err)?;
    current_of(config, &stored)
}

pub(super) fn current_of(config: &Config, stored: &Stored) -> Result<Current, AdminError> {
    let (wecom, binding, sources) =
        settings::overlay(config, stored, config.master_key.as_ref()).map_err(settings_err)?;
    let problem = settings::check(&wecom, &binding)
        .err()
        .map(|e| e.to_string());
    Ok(Current {
        wecom,
        binding,
        sources,
        problem,
    })
}

pub(super) fn settings_err(e: settings::SettingsError) -> AdminError {
    match e {
        settings::SettingsError::Store(e) => AdminError::Store(e),
        settings::SettingsError::Invalid(e) => config_err(e),
    }
}

/// A configuration error as a field error: `wecom.agent_id` → `agent_id`.
fn config_err(e: ConfigError) -> AdminError {
    let field = e
        .setting
        .rsplit_once('.')
        .map(|(_, f)| f.to_string())
        .unwrap_or(e.setting);
    AdminError::invalid(&field, e.problem)
}

/// A stored value, or none when it equals the configuration's.
fn keep<T: PartialEq>(value: T, config: &T) -> Option<T> {
    (value != *config).then_some(value)
}

fn text(field: &str, v: &str, max: usize) -> Result<String, AdminError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AdminError::invalid(
            field,
            "must not be empty (to go back to the configuration's value, use reset)",
        ));
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(AdminError::invalid(
            field,
            format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(v.to_string())
}

fn check_secret(v: &str) -> Result<String, AdminError> {
    let v = v.trim();
    if v.len() > 256 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminError::invalid(
            "secret",
            "the Secret is up to 256 visible characters without spaces: copy it from the WeCom \
             admin console (应用管理 › your self-built app › Secret)",
        ));
    }
    Ok(v.to_string())
}

/// A proxy address typed in the console: empty (direct), or an http(s) proxy without
/// credentials — the settings row is not sealed, so a proxy password belongs in the configuration
/// file or `WECOM_IDP_WECOM__PROXY_URL`.
fn check_proxy(v: &str) -> Result<String, AdminError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let u = crate::config::parse_proxy_url("wecom.proxy_url", v).map_err(config_err)?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(AdminError::invalid(
            "proxy_url",
            "a proxy with a user name or password is set in the configuration file or \
             WECOM_IDP_WECOM__PROXY_URL, not here (the console does not store passwords in clear) / \
             带用户名或密码的代理请在配置文件或 WECOM_IDP_WECOM__PROXY_URL 中设置",
        ));
    }
    Ok(v.to_string())
}

/// `change` applied to the stored WeCom overrides; the secret is sealed under `master`.
pub(super) fn apply_wecom(
    config: &Config,
    mut o: WecomOverride,
    change: &WecomChange,
    rng: &dyn Rng,
) -> Result<WecomOverride, AdminError> {
    let c = &config.wecom;
    if let Some(v) = &change.corp_id {
        let v = text("corp_id", v, 64)?;
        if !v.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AdminError::invalid(
                "corp_id",
                "the corp ID (企业ID, `ww…`) is letters and digits: copy it from 我的企业 › 企业信息",
            ));
        }
        o.corp_id = keep(v, &c.corp_id);
    }
    if let Some(v) = &change.agent_id {
        o.agent_id = keep(text("agent_id", v, 32)?, &c.agent_id);
    }
    for (field, value, slot, default) in [
        ("api_base", &change.api_base, &mut o.api_base, &c.api_base),
        (
            "oauth_base",
            &change.oauth_base,
            &mut o.oauth_base,
            &c.oauth_base,
        ),
        (
            "web_login_base",
            &change.web_login_base,
            &mut o.web_login_base,
            &c.web_login_base,
        ),
    ] {
        if let Some(v) = value {
            *slot = keep(text(field, v, 512)?, default);
        }
    }
    if let Some(v) = &change.proxy_url {
        o.proxy_url = keep(check_proxy(v)?, &c.proxy_url);
    }
    if let Some(v) = change.secret.as_deref().filter(|s| !s.trim().is_empty()) {
        let v = check_secret(v)?;
        if v == c.secret {
            o.secret_sealed = None;
            o.secret_key_id = None;
        } else {
            let key = config.master_key().map_err(config_err)?;
            o.secret_sealed = Some(
                key.seal(settings::SECRET_CONTEXT, v.as_bytes(), rng)
                    .map_err(|e| AdminError::invalid("secret", e))?,
            );
            o.secret_key_id = Some(key.id().to_string());
        }
    }
    apply_callback(config, &mut o, change, rng)?;
    Ok(o)
}

/// The event callback's Token and EncodingAESKey: the Token may be emptied (together with the key
/// that turns the callback off), the key is sealed under the master key.
fn apply_callback(
    config: &Config,
    o: &mut WecomOverride,
    change: &WecomChange,
    rng: &dyn Rng,
) -> Result<(), AdminError> {
    let c = &config.wecom;
    if let Some(v) = &change.callback_token {
        let v = v.trim();
        if !v.is_empty() {
            crate::wecom::event_crypto::CallbackToken::parse(v)
                .map_err(|e| AdminError::invalid("callback_token", e))?;
        }
        o.callback_token = keep(v.to_string(), &c.callback_token);
    }
    if let Some(v) = change.callback_aes_key.as_deref().map(str::trim) {
        if v.is_empty() {
            return Ok(());
        }
        crate::wecom::event_crypto::AesKey::parse(v)
            .map_err(|e| AdminError::invalid("callback_aes_key", e))?;
        if v == c.callback_aes_key {
            o.callback_aes_key_sealed = None;
            o.callback_aes_key_key_id = None;
        } else {
            let key = config.master_key().map_err(config_err)?;
            o.callback_aes_key_sealed = Some(
                key.seal(settings::AES_KEY_CONTEXT, v.as_bytes(), rng)
                    .map_err(|e| AdminError::invalid("callback_aes_key", e))?,
            );
            o.callback_aes_key_key_id = Some(key.id().to_string());
        }
    }
    Ok(())
}

/// Whether the update changes the secret in force.
fn secret_changed(before: &Current, after: &Current) -> bool {
    !crate::crypto::constant_time_eq(
        before.wecom.secret.as_bytes(),
        after.wecom.secret.as_bytes(),
    ) || before.source("secret") != after.source("secret")
}

/// Whether the update changes the EncodingAESKey in force.
fn aes_key_changed(before: &Current, after: &Current) -> bool {
    !crate::crypto::constant_time_eq(
        before.wecom.callback_aes_key.as_bytes(),
        after.wecom.callback_aes_key.as_bytes(),
    ) || before.source("callback_aes_key") != after.source("callback_aes_key")
}

/// Applies a partial update of the WeCom source (validated as a whole), runs the set-up check on
/// the result and, when it passes (or `mode` is [`SaveMode::Anyway`]), stores and audits it.
pub async fn update_wecom(
    c: &Change<'_>,
    change: &WecomChange,
    mode: SaveMode,
) -> Result<WecomSave, AdminError> {
    let stored = settings::stored(c.store).await.map_err(settings_err)?;
    let before = current_of(c.config, &stored)?;
    let next = Stored {
        wecom: apply_wecom(c.config, stored.wecom.clone(), change, c.rng)?,
        binding: stored.binding.clone(),
    };
    let after = current_of(c.config, &next)?;
    validate_wecom(&after.wecom)?;
    wecom_bases::require_secret_for_new_api_base(&before.wecom.api_base, change)?;
    wecom_bases::require_secret_for_new_proxy(&before.wecom.proxy_url, change)?;
    wecom_bases::check_typed_bases(c.config, change).await?;
    let secret = secret_changed(&before, &after);
    let aes_key = aes_key_changed(&before, &after);
    if next.wecom == stored.wecom || (!secret && !aes_key && same_wecom(&before, &after)) {
        return Ok(WecomSave::Unchanged);
    }
    let check = super::wecom_check::check_source(c.config, &after.wecom, c.clock.clone()).await?;
    if !check.ok && mode != SaveMode::Anyway {
        tracing::warn!(actor = %Escaped(c.actor.label()), errcode = check.errcode,
            endpoint = check.endpoint.as_deref(), "WeCom source not saved: the set-up check failed");
        return Ok(WecomSave::Refused(check));
    }
    write(c, settings::WECOM, &next.wecom).await?;
    // The checked values are now the ones in force: this is their latest check.
    super::wecom_check::record(c.store, c.now, &check).await;
    let mut detail = json!({ "before": before.wecom_json(), "after": after.wecom_json() });
    if secret {
        detail["secret"] = json!("changed");
    }
    if aes_key {
        detail["callback_aes_key"] = json!("changed");
    }
    if !check.ok {
        // The one way a source that fails the check gets in force: say who chose it, and why not.
        detail["saved_anyway"] = json!(true);
        detail["check"] = check.summary();
    }
    audit_change(
        c.store,
        c.now,
        AdminChange {
            actor: c.actor,
            event: AuditKind::SettingsWecom,
            app: None,
            userid: None,
            detail: Some(detail),
            client_ip: c.ip,
        },
    )
    .await;
    tracing::info!(actor = %Escaped(c.actor.label()), secret_changed = secret,
        check_ok = check.ok, "WeCom source changed in the console");
    Ok(WecomSave::Saved(check))
}

fn same_wecom(a: &Current, b: &Current) -> bool {
    a.wecom_json() == b.wecom_json()
}

/// The WeCom source's own checks, as field errors.
pub(super) fn validate_wecom(w: &WecomConfig) -> Result<(), AdminError> {
    w.require_complete().map_err(config_err)?;
    w.validate_values().map_err(config_err)
}

/// Applies a partial update of the binding settings (validated as a whole), stores and audits it.
/// Returns false when nothing changed.
pub async fn update_binding(c: &Change<'_>, change: &BindingChange) -> Result<bool, AdminError> {
    let stored = settings::stored(c.store).await.map_err(settings_err)?;
    let before = current_of(c.config, &stored)?;
    let o = overlay_binding(stored.binding.clone(), &c.config.binding, change)?;
    let next = Stored {
        wecom: stored.wecom.clone(),
        binding: o,
    };
    let after = current_of(c.config, &next)?;
    after.binding.policy().map_err(config_err)?;
    after.binding.default_access().map_err(config_err)?;
    if next.binding == stored.binding || before.binding_json() == after.binding_json() {
        return Ok(false);
    }
    write(c, settings::BINDING, &next.binding).await?;
    audit_change(
        c.store,
        c.now,
        AdminChange {
            actor: c.actor,
            event: AuditKind::SettingsBinding,
            app: None,
            userid: None,
            detail: Some(json!({
                "before": before.binding_json(),
                "after": after.binding_json(),
            })),
            client_ip: c.ip,
        },
    )
    .await;
    tracing::info!(actor = %Escaped(c.actor.label()), "binding settings changed in the console");
    Ok(true)
}

/// The stored binding overrides with `change` on top; a value equal to the configuration's is no
/// override. Each value is checked on its own here, the whole policy by the caller.
fn overlay_binding(
    mut o: BindingOverride,
    d: &BindingConfig,
    change: &BindingChange,
) -> Result<BindingOverride, AdminError> {
    if let Some(v) = change.auto_bind {
        o.auto_bind = keep(v, &d.auto_bind);
    }
    if let Some(v) = &change.match_keys {
        let keys: Vec<String> = v
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        o.match_keys = keep(keys, &d.match_keys);
    }
    for (field, value, slot, default) in [
        (
            "when_unmatched",
            &change.when_unmatched,
            &mut o.when_unmatched,
            &d.when_unmatched,
        ),
        (
            "employee_no_from",
            &change.employee_no_from,
            &mut o.employee_no_from,
            &d.employee_no_from,
        ),
        (
            "default_access",
            &change.default_access,
            &mut o.default_access,
            &d.default_access,
        ),
    ] {
        if let Some(v) = value {
            *slot = keep(text(field, v, 128)?, default);
        }
    }
    if let Some(v) = &change.contact {
        let v = v.trim();
        if v.chars().count() > 200 || v.chars().any(char::is_control) {
            return Err(AdminError::invalid(
                "contact",
                "must be at most 200 characters, without control characters",
            ));
        }
        o.contact = keep(v.to_string(), &d.contact);
    }
    Ok(o)
}

/// Puts the WeCom source (`wecom`) or the binding settings (`binding`) back to the configuration's
/// values. Refused when the configuration alone is incomplete (the console sign-in needs WeCom).
pub async fn reset(c: &Change<'_>, which: &str) -> Result<bool, AdminError> {
    let stored = settings::stored(c.store).await.map_err(settings_err)?;
    let before = current_of(c.config, &stored)?;
    let mut next = stored.clone();
    let event = match which {
        settings::WECOM => {
            next.wecom = WecomOverride::default();
            AuditKind::SettingsWecomReset
        }
        settings::BINDING => {
            next.binding = BindingOverride::default();
            AuditKind::SettingsBindingReset
        }
        other => return Err(AdminError::NotFound(format!("settings `{other}`"))),
    };
    if next == stored {
        return Ok(false);
    }
    let after = current_of(c.config, &next)?;
    if which == settings::WECOM {
        validate_wecom(&after.wecom).map_err(|e| {
            AdminError::invalid(
                "",
                format!("the configuration alone is not a complete WeCom source ({e}); set it there first"),
            )
        })?;
    }
    c.store
        .put_setting(which, "null", &c.actor.label(), c.now)
        .await?;
    let detail = if which == settings::WECOM {
        let mut d = json!({ "before": before.wecom_json(), "after": after.wecom_json() });
        if secret_changed(&before, &after) {
            d["secret"] = json!("changed");
        }
        if aes_key_changed(&before, &after) {
            d["callback_aes_key"] = json!("changed");
        }
        d
    } else {
        json!({ "before": before.binding_json(), "after": after.binding_json() })
    };
    audit_change(
        c.store,
        c.now,
        AdminChange {
            actor: c.actor,
            event,
            app: None,
            userid: None,
            detail: Some(detail),
            client_ip: c.ip,
        },
    )
    .await;
    tracing::info!(actor = %Escaped(c.actor.label()), settings = %Escaped(which), "settings reset to the configuration");
    Ok(true)
}

async fn write<T: serde::Serialize>(c: &Change<'_>, name: &str, v: &T) -> Result<(), AdminError> {
    let json = serde_json::to_string(v)
        .map_err(|e| AdminError::Store(StoreError::Corrupt(format!("setting `{name}`: {e}"))))?;
    c.store
        .put_setting(name, &json, &c.actor.label(), c.now)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_equal_to_the_configuration_are_not_stored() {
        let mut config = Config::default();
        config.wecom.corp_id = "wwa".into();
        config.wecom.secret = "config-secret".into();
        config.master_key = Some(crate::secrets::MasterKey::from_bytes([1; 32]));
        let rng = crate::random::OsRng;
        let change = WecomChange {
            corp_id: Some(" wwa ".into()),
            agent_id: Some("1000009".into()),
            secret: Some(String::new()),
            ..Default::default()
        };
        let o = apply_wecom(&config, WecomOverride::default(), &change, &rng).unwrap();
        assert_eq!(o.corp_id, None);
        assert_eq!(o.agent_id.as_deref(), Some("1000009"));
        assert_eq!(o.secret_sealed, None, "an empty secret leaves it unchanged");
        let change = WecomChange {
            secret: Some("a-new-secret-value".into()),
            ..Default::default()
        };
        let o = apply_wecom(&config, o, &change, &rng).unwrap();
        let sealed = o.secret_sealed.clone().unwrap();
        assert!(!sealed.contains("a-new-secret-value"));
        let bad = WecomChange {
            corp_id: Some("ww<x>".into()),
            ..Default::default()
        };
        assert!(matches!(
            apply_wecom(&config, o, &bad, &rng),
            Err(AdminError::Invalid { field, .. }) if field == "corp_id"
        ));
    }
}
