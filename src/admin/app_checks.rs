//! Checks that report every mistake of a form at once, each under its own field, before anything is
//! saved: a new app from a preset (the name, each parameter, the roles, the metadata, a name or
//! entity ID already in use), the metadata preview of a new app, and a set of changed settings.
//! The console shows them all together so the admin fixes them in one round trip; saving still goes
//! through [`super::apps`], which checks everything again.

use super::app_metadata::{Inspected, MetadataInput};
use super::apps::{apply_settings, check_refresh, inspect_new, shared_entity_refusal, Ctx, NewApp};
use super::AdminError;
use crate::apps::{App, AppName};
use crate::providers::{self, Params, Preset, Sp};
use crate::saml::sp_metadata::SpMetadata;

/// Sample parameter values of the shapes consoles use (hex and digit account IDs of the common
/// lengths); the first that a preset accepts for all its required parameters is its baseline.
const SAMPLE_VALUES: &[&str] = &[
    "0123456789abcdef0123456789abcdef",
    "100012345678",
    "1234567890123456",
    "2100012345",
    "wecom",
];

/// Required parameters a preset accepts, to try one parameter of the admin's at a time against.
pub fn sample_params(p: &Preset) -> Option<Params> {
    SAMPLE_VALUES.iter().find_map(|v| {
        let params: Params = p
            .params
            .iter()
            .filter(|x| x.required)
            .map(|x| (x.key.to_string(), v.to_string()))
            .collect();
        p.build(&params).ok().map(|_| params)
    })
}

/// The name is valid and free.
async fn check_name(
    ctx: &Ctx<'_>,
    name: &str,
    out: &mut Vec<AdminError>,
) -> Result<(), AdminError> {
    match AppName::parse(name.trim()) {
        Err(_) => out.push(AdminError::invalid(
            "name",
            "1 to 64 characters: lowercase letters a-z, digits and -",
        )),
        Ok(n) => {
            if ctx.store.app(n.as_str()).await?.is_some() {
                out.push(AdminError::invalid(
                    "name",
                    format!("an app named {n} already exists: choose another name"),
                ));
            }
        }
    }
    Ok(())
}

/// An entity ID no other app (than `except`, the app being changed) has, or that the apps sharing
/// it tell apart by ACS URL.
async fn check_entity(
    ctx: &Ctx<'_>,
    except: Option<&str>,
    metadata: &SpMetadata,
    out: &mut Vec<AdminError>,
) -> Result<(), AdminError> {
    if let Some((other, url)) = ctx.store.acs_clash(except, metadata).await? {
        out.push(AdminError::invalid(
            "entity_id",
            shared_entity_refusal(&other, &metadata.entity_id, &url),
        ));
    }
    Ok(())
}

/// Every mistake of a new app from a preset; empty when [`super::apps::plan`] may run. A store
/// failure is the only `Err`.
pub async fn preset_app(ctx: &Ctx<'_>, new: &NewApp) -> Result<Vec<AdminError>, AdminError> {
    let mut out = Vec::new();
    check_name(ctx, &new.name, &mut out).await?;
    if let Err(e) = check_refresh(new.refresh_secs) {
        out.push(e);
    }
    let Some(preset) = new
        .preset
        .as_deref()
        .and_then(|p| providers::find(p.trim()).ok())
    else {
        out.push(AdminError::invalid(
            "preset",
            "choose a preset from the list",
        ));
        return Ok(out);
    };
    let (params, mut params_ok) = known_params(&preset, new, &mut out);
    let trial = trial_params(&preset, &params, &mut params_ok, &mut out);
    let built = match preset.build(if params_ok { &params } else { &trial }) {
        Ok(b) => b,
        Err(e) => {
            if params_ok {
                out.push(AdminError::invalid("params", plain(&preset, &e.0)));
            }
            return Ok(out);
        }
    };
    // The roles: the admin's rules on top of the preset's settings.
    let mut settings = built.settings;
    let before = out.len();
    for kv in &new.settings {
        if let Err(e) = apply_settings(&mut settings, std::slice::from_ref(kv), Some(&preset)) {
            out.push(e);
        }
    }
    if out.len() == before {
        check_roles(&preset, &settings, &mut out);
    }
    let sp = sp_entity(ctx, new, &preset, built.sp, &mut out).await;
    // An entity ID built from a bad parameter would be someone else's: checked once they are good.
    if let Some(m) = sp.filter(|_| params_ok) {
        check_entity(ctx, None, &m, &mut out).await?;
    }
    Ok(out)
}

/// The parameters given: known to the preset (under their key, not an alias), without empty ones;
/// `false` when a required one is missing.
fn known_params(preset: &Preset, new: &NewApp, out: &mut Vec<AdminError>) -> (Params, bool) {
    let mut params = Params::new();
    for (k, v) in &new.params {
        let k = k.trim();
        match preset
            .params
            .iter()
            .find(|p| p.key == k || p.aliases.contains(&k))
        {
            Some(p) => {
                params.insert(p.key.to_string(), v.trim().to_string());
            }
            None => out.push(AdminError::invalid(
                &format!("params.{k}"),
                format!("{} does not take this value", preset.name),
            )),
        }
    }
    params.retain(|_, v| !v.is_empty());
    let mut params_ok = true;
    for p in preset.params.iter().filter(|p| p.required) {
        if !params.contains_key(p.key) {
            params_ok = false;
            out.push(AdminError::invalid(
                &format!("params.{}", p.key),
                "required: fill this in",
            ));
        }
    }
    (params, params_ok)
}

/// Each parameter alone against a baseline the preset accepts, so every bad one is found; when
/// some are bad, the rest of the form is still checked on the baseline with the good ones (the
/// returned set).
fn trial_params(
    preset: &Preset,
    params: &Params,
    params_ok: &mut bool,
    out: &mut Vec<AdminError>,
) -> Params {
    let base = sample_params(preset);
    let mut trial = base.clone().unwrap_or_default();
    if let Some(base) = &base {
        for (k, v) in params {
            let mut one = base.clone();
            one.insert(k.clone(), v.clone());
            match preset.build(&one) {
                Ok(_) => {
                    trial.insert(k.clone(), v.clone());
                }
                Err(e) => {
                    *params_ok = false;
                    out.push(AdminError::invalid(
                        &format!("params.{k}"),
                        plain(preset, &e.0),
                    ));
                }
            }
        }
    }
    trial
}

/// The SP: from the metadata given (checked, and the preset's own when it has one), or the
/// preset's; `None` with the mistake in `out` when there is none to check.
async fn sp_entity(
    ctx: &Ctx<'_>,
    new: &NewApp,
    preset: &Preset,
    sp: Sp,
    out: &mut Vec<AdminError>,
) -> Option<SpMetadata> {
    match (&new.metadata, sp) {
        (Some(input), sp) => match inspect_new(ctx, new, input).await {
            Ok(i) => {
                if let Sp::Fixed(m) = &sp {
                    if m.entity_id != i.metadata.entity_id {
                        out.push(AdminError::invalid(
                            "metadata",
                            format!(
                                "this file is for {} but {} is for {}: give the console's own \
                                 file, or no file",
                                i.metadata.entity_id, preset.name, m.entity_id
                            ),
                        ));
                    }
                }
                Some(i.metadata)
            }
            Err(e) => {
                out.push(e);
                None
            }
        },
        (None, Sp::Fixed(m)) => Some(m),
        (None, Sp::FromFile(where_)) => {
            out.push(AdminError::invalid(
                "metadata",
                format!(
                    "this console gives each account its own SP metadata: upload it ({where_})"
                ),
            ));
            None
        }
    }
}

/// A role-SSO preset needs a default role or rules, and role names the console accepts.
fn check_roles(preset: &Preset, s: &crate::apps::AppSettings, out: &mut Vec<AdminError>) {
    if s.roles.required && s.roles.default_role.is_none() && s.roles.rules.is_empty() {
        out.push(AdminError::invalid(
            "params.role",
            "give a default role, or role rules below: a member without a role cannot sign in",
        ));
        return;
    }
    if let Err(e) = preset.check_accounts(s) {
        let field = if e.starts_with("accounts") {
            "accounts"
        } else {
            "role_rules"
        };
        out.push(AdminError::invalid(field, e));
        return;
    }
    if let Some(rule) = preset.role_rule {
        for r in s.roles.all_roles() {
            if let Err(e) = rule(crate::identity::roles::RoleTarget::parse(r).role) {
                let field = if s.roles.default_role.as_deref() == Some(r) {
                    "params.role"
                } else {
                    "role_rules"
                };
                out.push(AdminError::invalid(field, format!("role {r}: {e}")));
            }
        }
    }
}

/// A preset's message without the preset's name in front.
fn plain(preset: &Preset, msg: &str) -> String {
    msg.strip_prefix(&format!("{}: ", preset.name))
        .unwrap_or(msg)
        .to_string()
}

/// The preview of a new app from metadata: every mistake at once (the name, the refresh interval,
/// the document, a name or entity ID already in use), or what would be imported.
pub async fn metadata_app(
    ctx: &Ctx<'_>,
    name: &str,
    input: Option<&MetadataInput>,
    entity_id: Option<&str>,
    accept_expired: bool,
    refresh_secs: i64,
) -> Result<Result<Inspected, Vec<AdminError>>, AdminError> {
    let mut out = Vec::new();
    check_name(ctx, name, &mut out).await?;
    if let Err(e) = check_refresh(refresh_secs) {
        out.push(e);
    }
    let inspected = match input {
        None => {
            out.push(AdminError::invalid(
                "metadata_file",
                "upload the SP's metadata file, paste it, or give its URL",
            ));
            None
        }
        Some(input) => {
            match super::apps::preview(ctx, Some(name.trim()), input, entity_id, accept_expired)
                .await
            {
                Ok(i) => Some(i),
                Err(AdminError::Store(e)) => return Err(AdminError::Store(e)),
                Err(e) => {
                    out.push(e);
                    None
                }
            }
        }
    };
    if let Some(i) = &inspected {
        check_entity(ctx, None, &i.metadata, &mut out).await?;
    }
    Ok(match inspected {
        Some(i) if out.is_empty() => Ok(i),
        _ => Err(out),
    })
}

/// Every refused change of a settings form, each under its key; `changes` are tried one by one on
/// the app as it is, then together.
pub fn settings(app: &App, changes: &[(String, String)]) -> Vec<AdminError> {
    let preset = app
        .settings
        .preset
        .as_deref()
        .and_then(|p| providers::find(p).ok());
    let mut out = Vec::new();
    for kv in changes {
        let mut s = app.settings.clone();
        if let Err(e) = apply_settings(&mut s, std::slice::from_ref(kv), preset.as_ref()) {
            out.push(e);
        }
    }
    if out.is_empty() {
        let mut s = app.settings.clone();
        if let Err(e) = apply_settings(&mut s, changes, preset.as_ref()) {
            out.push(e);
            return out;
        }
        let after = App {
            settings: s.clone(),
            ..app.clone()
        };
        if let Err(e) = super::apps::check_encryption(&after) {
            out.push(e);
        }
        if let Err(e) = super::apps::check_provisioning(&after) {
            out.push(e);
        }
        if preset.is_none() {
            if let Err(e) = providers::check_settings(None, &s) {
                out.push(AdminError::invalid("role_rules", e.to_string()));
            }
        } else if let Some(p) = &preset {
            let mut roles = Vec::new();
            check_roles(p, &s, &mut roles);
            out.extend(roles.into_iter().map(|e| match e {
                AdminError::Invalid { field, message } if field == "params.role" => {
                    AdminError::invalid("role", message.replace(" below", ""))
                }
                e => e,
            }));
        }
    }
    out
}

/// The preview of a replacement document: its entity ID must be the app's own or free.
pub async fn replacement(ctx: &Ctx<'_>, app: &App, i: &Inspected) -> Result<(), AdminError> {
    let mut out = Vec::new();
    check_entity(ctx, Some(app.name.as_str()), &i.metadata, &mut out).await?;
    match out.pop() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
