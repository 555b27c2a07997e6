//! Editing the WeCom source and the binding settings (issue 5 item 4): partial updates validated
//! like the configuration is (over the configuration's values, so the result is checked as a
//! whole), reset to the configuration, and the "check connection" of a WeCom source (saved or not
//! yet saved) with the catalogue's meaning and fix of any WeCom error. What the bases may point at,
//! and when the Secret must be typed again, is [`super::wecom_bases`]'s. Every change writes one audit
//! row with the before/after values; the secret appears there only as `"secret": "changed"`.
//!
//! A submitted value equal to the configuration's is not stored (its source stays `config`). The
//! effective values in force are [`crate::settings`]'s; this module only writes the store's rows.

use super::auth::audit_change;
use super::wecom_bases;
use super::{Actor, AdminError};
use crate::clock::Clock;
use crate::config::{BindingConfig, Config, ConfigError, WecomConfig};
use crate::logsafe::Escaped;
use crate::random::Rng;
use crate::settings::{self, BindingOverride, Source, Stored, WecomOverride};
use crate::store::{Store, StoreError};
use crate::wecom::errors::WecomError;
use serde_json::json;
use std::collections::BTreeMap;
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
    pub ip: Option<&'a str>,
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
            "secret_source": self.source("secret").as_str(),
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

fn current_of(config: &Config, stored: &Stored) -> Result<Current, AdminError> {
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

fn settings_err(e: settings::SettingsError) -> AdminError {
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

/// `change` applied to the stored WeCom overrides; the secret is sealed under `master`.
fn apply_wecom(
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
    Ok(o)
}

/// Whether the update changes the secret in force.
fn secret_changed(before: &Current, after: &Current) -> bool {
    !crate::crypto::constant_time_eq(
        before.wecom.secret.as_bytes(),
        after.wecom.secret.as_bytes(),
    ) || before.source("secret") != after.source("secret")
}

/// Applies a partial update of the WeCom source (validated as a whole), stores it and audits it.
/// Returns false when nothing changed (no write, no audit row).
pub async fn update_wecom(c: &Change<'_>, change: &WecomChange) -> Result<bool, AdminError> {
    let stored = settings::stored(c.store).await.map_err(settings_err)?;
    let before = current_of(c.config, &stored)?;
    let next = Stored {
        wecom: apply_wecom(c.config, stored.wecom.clone(), change, c.rng)?,
        binding: stored.binding.clone(),
    };
    let after = current_of(c.config, &next)?;
    validate_wecom(&after.wecom)?;
    wecom_bases::require_secret_for_new_api_base(&before.wecom.api_base, change)?;
    wecom_bases::check_typed_bases(c.config, change).await?;
    let secret = secret_changed(&before, &after);
    if next.wecom == stored.wecom || (!secret && same_wecom(&before, &after)) {
        return Ok(false);
    }
    write(c, settings::WECOM, &next.wecom).await?;
    let mut detail = json!({ "before": before.wecom_json(), "after": after.wecom_json() });
    if secret {
        detail["secret"] = json!("changed");
    }
    audit_change(
        c.store,
        c.now,
        c.actor,
        "settings_wecom",
        None,
        None,
        Some(detail),
        c.ip,
    )
    .await;
    tracing::info!(actor = %Escaped(c.actor.label()), secret_changed = secret, "WeCom source changed in the console");
    Ok(true)
}

fn same_wecom(a: &Current, b: &Current) -> bool {
    a.wecom_json() == b.wecom_json()
}

/// The WeCom source's own checks, as field errors.
fn validate_wecom(w: &WecomConfig) -> Result<(), AdminError> {
    w.require_complete().map_err(config_err)?;
    w.validate_values().map_err(config_err)
}

/// Applies a partial update of the binding settings (validated as a whole), stores and audits it.
/// Returns false when nothing changed.
pub async fn update_binding(c: &Change<'_>, change: &BindingChange) -> Result<bool, AdminError> {
    let stored = settings::stored(c.store).await.map_err(settings_err)?;
    let before = current_of(c.config, &stored)?;
    let d = &c.config.binding;
    let mut o = stored.binding.clone();
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
        c.actor,
        "settings_binding",
        None,
        None,
        Some(json!({ "before": before.binding_json(), "after": after.binding_json() })),
        c.ip,
    )
    .await;
    tracing::info!(actor = %Escaped(c.actor.label()), "binding settings changed in the console");
    Ok(true)
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
            "settings_wecom_reset"
        }
        settings::BINDING => {
            next.binding = BindingOverride::default();
            "settings_binding_reset"
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
        d
    } else {
        json!({ "before": before.binding_json(), "after": after.binding_json() })
    };
    audit_change(
        c.store,
        c.now,
        c.actor,
        event,
        None,
        None,
        Some(detail),
        c.ip,
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

/// What a connection check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// `gettoken` and a data call (`department/list`) worked.
    pub ok: bool,
    /// The WeCom endpoint that failed.
    pub endpoint: Option<String>,
    /// WeCom's errcode, when WeCom answered with one.
    pub errcode: Option<i64>,
    /// What it means, English / Chinese.
    pub meaning_en: String,
    /// 含义.
    pub meaning_zh: String,
    /// What to do, English / Chinese.
    pub fix_en: String,
    /// 处理办法.
    pub fix_zh: String,
    /// WeCom's `hint:[…]` (quote it to WeCom support).
    pub hint: Option<String>,
}

impl CheckOutcome {
    fn from_error(e: &WecomError) -> Self {
        let x = e.explain();
        Self {
            ok: false,
            endpoint: e.endpoint().map(str::to_string),
            errcode: e.code(),
            meaning_en: x.title_en,
            meaning_zh: x.title_zh,
            fix_en: x.fix_en,
            fix_zh: x.fix_zh,
            hint: e.hint().map(str::to_string),
        }
    }
}

/// Checks a WeCom source with a fresh client (so `gettoken` really runs): the saved one, or the saved
/// one with `unsaved` applied (an empty secret: the saved secret). A value that is not even
/// well-formed is a field error, not a check result.
pub async fn check_connection(
    store: &Store,
    config: &Config,
    unsaved: Option<&WecomChange>,
    clock: Arc<dyn Clock>,
    rng: &dyn Rng,
) -> Result<CheckOutcome, AdminError> {
    let mut stored = settings::stored(store).await.map_err(settings_err)?;
    let saved_api_base = current_of(config, &stored)?.wecom.api_base;
    if let Some(change) = unsaved {
        stored.wecom = apply_wecom(config, stored.wecom, change, rng)?;
    }
    let w = current_of(config, &stored)?.wecom;
    validate_wecom(&w)?;
    if let Some(change) = unsaved {
        wecom_bases::require_secret_for_new_api_base(&saved_api_base, change)?;
        wecom_bases::check_typed_bases(config, change).await?;
    }
    let options = crate::wecom::client::Options {
        pinned: wecom_bases::pin_for_check(config, &w.api_base).await?,
        ..Default::default()
    };
    let client = settings::client_for(&w, clock, options).map_err(settings_err)?;
    let outcome = match client.check_data_access().await {
        Ok(()) => CheckOutcome {
            ok: true,
            endpoint: None,
            errcode: None,
            meaning_en: "Connected: gettoken and department/list work".into(),
            meaning_zh: "连接正常：gettoken 和 department/list 均可调用".into(),
            fix_en: String::new(),
            fix_zh: String::new(),
            hint: None,
        },
        Err(e) => CheckOutcome::from_error(&e),
    };
    tracing::info!(
        ok = outcome.ok,
        errcode = outcome.errcode,
        endpoint = outcome.endpoint.as_deref(),
        unsaved = unsaved.is_some(),
        "WeCom connection check"
    );
    Ok(outcome)
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
