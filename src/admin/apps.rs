//! Apps as admins change them — the one implementation behind the CLI (`app add|set|remove`), the
//! console and the API: create from a preset or from SP metadata (a document or a URL), change
//! settings through [`AppSettings::set`] (so every surface validates alike), replace the metadata,
//! roll back to a saved version, refresh from the metadata URL, delete.
//!
//! Every change first saves the app as it was into `app_versions`, then writes one audit row with
//! the actor and a JSON detail (entity ID and settings before/after). A refused metadata upload is
//! audited too (`result = refused`), and stores nothing.

use super::app_metadata::{self, ExpiredCerts, Inspected, MetadataInput};
use super::metadata_fetch::FetchPolicy;
use super::{Actor, AdminError};
use crate::apps::{App, AppName, AppSettings, SETTING_KEYS};
use crate::providers::{self, Preset, Sp};
use crate::saml::sp_metadata::{AcsEndpoint, SpMetadata};
use crate::store::{AuditKind, Store};
use std::net::IpAddr;

use super::app_history::replace;
pub(crate) use super::app_history::{audit, audit_refused, to_row};
pub use super::app_history::{
    delete, rollback, version_diff, versions, Against, Change, VersionDiff,
};
use time::OffsetDateTime;

/// Who acts, when, from where, and how URLs are fetched: what every operation needs.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// The store.
    pub store: &'a Store,
    /// Now (from the clock).
    pub now: OffsetDateTime,
    /// Who acts.
    pub actor: &'a Actor,
    /// The client IP, for the audit log.
    pub ip: Option<IpAddr>,
    /// How metadata URLs are fetched.
    pub fetch: FetchPolicy,
}

impl Ctx<'_> {
    /// Now, Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now.unix_timestamp()
    }
}

/// An app to create.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    /// `[a-z0-9-]{1,64}`.
    pub name: String,
    /// A cloud preset, with its parameters.
    pub preset: Option<String>,
    /// The preset's parameters, `KEY` → value.
    pub params: Vec<(String, String)>,
    /// The SP metadata (required without a preset, and for per-account preset variants).
    pub metadata: Option<MetadataInput>,
    /// Which SP of a file with several.
    pub entity_id: Option<String>,
    /// App settings (`SETTING_KEYS`), applied in order.
    pub settings: Vec<(String, String)>,
    /// With a metadata URL: seconds between automatic refreshes (0 = off).
    pub refresh_secs: i64,
    /// Import even if a certificate has expired.
    pub accept_expired_certificates: bool,
}

/// An app just made or changed, and what the admin should know.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The app as stored.
    pub app: App,
    /// Warnings of the metadata import.
    pub warnings: Vec<String>,
}

pub(crate) fn expired_policy(accept: bool) -> ExpiredCerts {
    if accept {
        ExpiredCerts::Accept
    } else {
        ExpiredCerts::Refuse
    }
}

/// Loads the app `name`.
pub async fn load(store: &Store, name: &str) -> Result<App, AdminError> {
    let name = parse_name(name)?;
    let row = store
        .app(name.as_str())
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("app `{name}`")))?;
    App::from_row(row)
        .map_err(|e| AdminError::Store(crate::store::StoreError::Corrupt(e.to_string())))
}

fn parse_name(name: &str) -> Result<AppName, AdminError> {
    AppName::parse(name.trim()).map_err(|e| AdminError::invalid("name", e.to_string()))
}

/// Checks metadata without storing anything (the preview); a refusal is audited.
pub async fn preview(
    ctx: &Ctx<'_>,
    app: Option<&str>,
    input: &MetadataInput,
    entity_id: Option<&str>,
    accept_expired: bool,
) -> Result<Inspected, AdminError> {
    let r = app_metadata::inspect(
        input,
        entity_id,
        &expired_policy(accept_expired),
        ctx.now,
        &ctx.fetch,
    )
    .await;
    if let Err(e) = &r {
        audit_refused(ctx, AuditKind::AppPreview, app, e).await;
    }
    r
}

/// Creates an app; see [`NewApp`].
pub async fn create(ctx: &Ctx<'_>, new: &NewApp) -> Result<Saved, AdminError> {
    let r = create_inner(ctx, new).await;
    if let Err(e) = &r {
        audit_refused(ctx, AuditKind::AppCreate, Some(new.name.trim()), e).await;
    }
    r
}

/// What creating `new` would store: the app, the metadata it was read from, and warnings.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The app as it would be stored.
    pub app: App,
    /// The metadata given, as checked.
    pub inspected: Option<Inspected>,
    /// What the admin should know.
    pub warnings: Vec<String>,
}

/// Everything [`create`] checks, without storing anything (the console's preview of a preset app).
pub async fn plan(ctx: &Ctx<'_>, new: &NewApp) -> Result<Plan, AdminError> {
    let name = parse_name(&new.name)?;
    if ctx.store.app(name.as_str()).await?.is_some() {
        return Err(AdminError::Conflict(format!("an app named `{name}`")));
    }
    check_refresh(new.refresh_secs)?;
    let inspected = match &new.metadata {
        Some(input) => Some(inspect_new(ctx, new, input).await?),
        None => None,
    };
    let Made {
        settings,
        metadata,
        mut warnings,
    } = made(new, inspected.as_ref())?;
    if let Some(i) = &inspected {
        warnings.extend(i.warnings.iter().cloned());
    }
    if let Some((other, url)) = ctx.store.acs_clash(None, &metadata).await? {
        return Err(AdminError::state(
            "entity_id",
            shared_entity_refusal(&other, &metadata.entity_id, &url),
        ));
    }
    let now = ctx.unix();
    let app = App {
        name,
        metadata,
        settings,
        metadata_xml: inspected.as_ref().map(|i| i.xml.clone()),
        created_at: now,
        updated_at: now,
    };
    check_encryption(&app)?;
    check_provisioning(&app)?;
    Ok(Plan {
        app,
        inspected,
        warnings,
    })
}

/// The metadata of a new app as given, checked with the app's choice of SP and expired
/// certificates.
pub(crate) async fn inspect_new(
    ctx: &Ctx<'_>,
    new: &NewApp,
    input: &MetadataInput,
) -> Result<Inspected, AdminError> {
    app_metadata::inspect(
        input,
        new.entity_id.as_deref(),
        &expired_policy(new.accept_expired_certificates),
        ctx.now,
        &ctx.fetch,
    )
    .await
}

/// The settings and SP of a new app, and what the admin should know about them.
struct Made {
    settings: AppSettings,
    metadata: SpMetadata,
    warnings: Vec<String>,
}

/// A new app's settings and SP: from its preset, or from its metadata with the admin's settings.
fn made(new: &NewApp, inspected: Option<&Inspected>) -> Result<Made, AdminError> {
    match new.preset.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => {
            let preset =
                providers::find(p).map_err(|e| AdminError::invalid("preset", e.to_string()))?;
            from_preset(&preset, new, inspected)
        }
        _ => {
            let Some(i) = inspected else {
                return Err(AdminError::invalid(
                    "metadata",
                    "give the SP's metadata (a file, the XML or its URL), or choose a preset",
                ));
            };
            let mut settings = AppSettings::default();
            apply_settings(&mut settings, &new.settings, None)?;
            providers::check_settings(None, &settings)
                .map_err(|e| AdminError::invalid("role_rules", e.to_string()))?;
            Ok(Made {
                settings,
                metadata: i.metadata.clone(),
                warnings: Vec::new(),
            })
        }
    }
}

async fn create_inner(ctx: &Ctx<'_>, new: &NewApp) -> Result<Saved, AdminError> {
    let plan = plan(ctx, new).await?;
    store_plan(ctx, new, plan).await
}

/// Stores what [`plan`] made of `new`, with its metadata URL as the app's source, and audits it.
pub(crate) async fn store_plan(
    ctx: &Ctx<'_>,
    new: &NewApp,
    plan: Plan,
) -> Result<Saved, AdminError> {
    let Plan {
        app,
        inspected,
        warnings,
    } = plan;
    ctx.store.insert_app(&to_row(&app)?).await?;
    let source = inspected.as_ref().and_then(|i| i.url.clone());
    if let Some(url) = &source {
        set_source(ctx, app.name.as_str(), url, new.refresh_secs).await?;
    }
    audit(
        ctx,
        AuditKind::AppCreate,
        &app,
        serde_json::json!({
            "entity_id": app.metadata.entity_id,
            "preset": app.settings.preset,
            "metadata_url": source,
            "settings": app.settings,
        }),
    )
    .await;
    Ok(Saved { app, warnings })
}

/// Settings and SP of a preset app: the preset's parameters, the admin's settings on top, and the
/// SP from the preset or from the given metadata (required for per-account variants).
fn from_preset(
    preset: &Preset,
    new: &NewApp,
    inspected: Option<&Inspected>,
) -> Result<Made, AdminError> {
    let params = preset_params(preset, new)?;
    let built = preset.build(&params).map_err(|e| {
        let msg = e.to_string();
        let body = msg
            .strip_prefix(&format!("{}: ", preset.name))
            .unwrap_or(&msg);
        let field = preset
            .params
            .iter()
            .find(|p| body.starts_with(p.key) || p.aliases.iter().any(|a| body.starts_with(a)))
            .map(|p| format!("params.{}", p.key))
            .unwrap_or_else(|| "params".into());
        AdminError::invalid(&field, msg)
    })?;
    let mut settings = built.settings;
    apply_settings(&mut settings, &new.settings, Some(preset))?;
    preset
        .check(&settings)
        .map_err(|e| AdminError::invalid(role_field(&new.settings), e.to_string()))?;
    let (metadata, warnings) = preset_sp(preset, built.sp, inspected, &settings)?;
    if settings.encrypt_assertion && metadata.encryption_certs.is_empty() {
        let from = settings
            .params
            .get("sp_metadata_url")
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        return Err(AdminError::invalid(
            "metadata",
            format!(
                "preset {} encrypts assertions: give the SP's metadata{from} with its encryption \
                 certificate (a file, its XML or URL; --metadata on the command line)",
                preset.name
            ),
        ));
    }
    Ok(Made {
        settings,
        metadata,
        warnings,
    })
}

/// The preset's parameters as given: each known (under its key, not an alias), given once, the
/// required ones not empty.
fn preset_params(preset: &Preset, new: &NewApp) -> Result<providers::Params, AdminError> {
    let mut params = providers::Params::new();
    for (k, v) in &new.params {
        let k = k.trim();
        let Some(p) = preset
            .params
            .iter()
            .find(|p| p.key == k || p.aliases.contains(&k))
        else {
            return Err(AdminError::invalid(
                &format!("params.{k}"),
                format!(
                    "preset {} does not take `{k}`; it takes {}",
                    preset.name,
                    preset.describe_params()
                ),
            ));
        };
        if params
            .insert(p.key.to_string(), v.trim().to_string())
            .is_some()
        {
            return Err(AdminError::invalid(
                &format!("params.{}", p.key),
                "given twice",
            ));
        }
    }
    if let Some(p) = preset
        .params
        .iter()
        .find(|p| p.required && params.get(p.key).is_none_or(|v| v.is_empty()))
    {
        return Err(AdminError::invalid(
            &format!("params.{}", p.key),
            format!("required: {}", p.help),
        ));
    }
    Ok(params)
}

/// The SP of a preset app: the preset's own, or the metadata given (which must be the preset's own
/// SP when it has one), with a warning when a per-account file does not mention the account.
fn preset_sp(
    preset: &Preset,
    sp: Sp,
    inspected: Option<&Inspected>,
    settings: &AppSettings,
) -> Result<(SpMetadata, Vec<String>), AdminError> {
    let mut warnings = Vec::new();
    let metadata = match (sp, inspected) {
        (Sp::Fixed(m), None) => m,
        (sp, Some(i)) => {
            if let Sp::Fixed(m) = &sp {
                if i.metadata.entity_id != m.entity_id {
                    return Err(AdminError::invalid(
                        "metadata",
                        format!(
                            "this file is for {} but preset {} is for {}; give the console's own \
                             file, or no file",
                            i.metadata.entity_id, preset.name, m.entity_id
                        ),
                    ));
                }
                if settings.encrypt_assertion && !same_acs(&m.acs, &i.metadata.acs) {
                    // The preset knows the ACS that takes encrypted assertions; the file gives
                    // the certificate.
                    warnings.push(format!(
                        "the file's ACS is replaced by {}, where {} takes encrypted assertions",
                        m.acs
                            .iter()
                            .map(|a| a.location.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        preset.name
                    ));
                    let mut md = i.metadata.clone();
                    md.acs = m.acs.clone();
                    return Ok((md, warnings));
                }
            } else if let Some(a) = settings.params.get("account_id") {
                if !i.metadata.entity_id.contains(a.as_str()) {
                    warnings.push(format!(
                        "the metadata's entity ID {} does not mention account {a}: is it this \
                         account's file?",
                        i.metadata.entity_id
                    ));
                }
            }
            i.metadata.clone()
        }
        (Sp::FromFile(where_), None) => {
            return Err(AdminError::invalid(
                "metadata",
                format!(
                    "preset {} needs this account's SP metadata (a file, its XML or URL; \
                     --metadata FILE on the command line): {where_}",
                    preset.name
                ),
            ))
        }
    };
    Ok((metadata, warnings))
}

/// Whether two ACS lists name the same locations.
fn same_acs(a: &[AcsEndpoint], b: &[AcsEndpoint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.location == y.location)
}

/// Applies `KEY=VALUE` settings in order; the error names the key. A preset's parameters are
/// refused (they are fixed when the app is made).
pub(crate) fn apply_settings(
    settings: &mut AppSettings,
    sets: &[(String, String)],
    preset: Option<&Preset>,
) -> Result<(), AdminError> {
    for (k, v) in sets {
        let k = k.trim();
        let setting = SETTING_KEYS.iter().any(|(s, _)| *s == k) || k.starts_with("param.");
        if let Some(p) = preset {
            if !setting
                && p.params
                    .iter()
                    .any(|x| x.key == k || x.aliases.contains(&k))
            {
                return Err(AdminError::invalid(
                    k,
                    format!(
                        "`{k}` is a parameter of preset {}, fixed when the app was added: remove \
                         the app and add it again",
                        p.name
                    ),
                ));
            }
        }
        settings
            .set(k, v)
            .map_err(|e| AdminError::invalid(k, e.to_string()))?;
    }
    Ok(())
}

/// Why an app cannot have this entity ID: app `other` has it with the same ACS URL.
pub(crate) fn shared_entity_refusal(other: &str, entity_id: &str, url: &str) -> String {
    format!(
        "app {other} already has the entity ID {entity_id} with the ACS URL {url}: apps that share \
         an SP entity ID are told apart by the ACS URL a sign-in request asks for, so each needs \
         ACS URLs of its own (give metadata with another AssertionConsumerService URL, or change or \
         remove app {other})"
    )
}

/// The field a refused role check is shown under: the role setting the change touched.
fn role_field(sets: &[(String, String)]) -> &'static str {
    ["accounts", "role_rules"]
        .into_iter()
        .find(|k| sets.iter().any(|(s, _)| s.trim() == *k))
        .unwrap_or("role")
}

pub(crate) fn check_refresh(secs: i64) -> Result<(), AdminError> {
    if secs == 0 || (300..=30 * 86_400).contains(&secs) {
        Ok(())
    } else {
        Err(AdminError::invalid(
            "refresh_secs",
            "0 (no automatic refresh) or from 300 (5 minutes) to 2592000 (30 days)",
        ))
    }
}

async fn set_source(
    ctx: &Ctx<'_>,
    app: &str,
    url: &str,
    refresh_secs: i64,
) -> Result<(), AdminError> {
    let next = if refresh_secs > 0 {
        ctx.unix() + refresh_secs
    } else {
        i64::MAX / 2
    };
    ctx.store
        .set_app_source(app, url, refresh_secs, next)
        .await?;
    ctx.store
        .record_app_fetch(app, ctx.unix(), "updated", None)
        .await?;
    Ok(())
}

/// Changes settings (`KEY` → value, in order) through [`AppSettings::set`].
pub async fn update_settings(
    ctx: &Ctx<'_>,
    name: &str,
    sets: &[(String, String)],
) -> Result<Saved, AdminError> {
    let before = load(ctx.store, name).await?;
    if sets.is_empty() {
        return Err(AdminError::invalid("settings", "no setting given"));
    }
    let preset = match before.settings.preset.as_deref() {
        Some(p) => providers::find(p).ok(),
        None => None,
    };
    let mut after = before.clone();
    apply_settings(&mut after.settings, sets, preset.as_ref())?;
    providers::check_settings(preset.as_ref(), &after.settings)
        .map_err(|e| AdminError::invalid(role_field(sets), e.to_string()))?;
    check_encryption(&after)?;
    check_provisioning(&after)?;
    after.updated_at = ctx.unix();
    if after.settings != before.settings {
        replace(ctx, &before, &after, AuditKind::AppUpdate).await?;
    }
    Ok(Saved {
        app: after,
        warnings: Vec::new(),
    })
}

/// Replaces the metadata (from a document: the URL source is dropped; from a URL: it becomes the
/// source, refreshed every `refresh_secs`).
pub async fn replace_metadata(
    ctx: &Ctx<'_>,
    name: &str,
    input: &MetadataInput,
    entity_id: Option<&str>,
    accept_expired: bool,
    refresh_secs: i64,
) -> Result<Saved, AdminError> {
    let r = async {
        let before = load(ctx.store, name).await?;
        check_refresh(refresh_secs)?;
        let i = app_metadata::inspect(
            input,
            entity_id,
            &expired_policy(accept_expired),
            ctx.now,
            &ctx.fetch,
        )
        .await?;
        let after = with_metadata(ctx, &before, &i).await?;
        if after != before {
            replace(ctx, &before, &after, AuditKind::AppMetadataReplace).await?;
        }
        match &i.url {
            Some(url) => set_source(ctx, name, url, refresh_secs).await?,
            None => ctx.store.remove_app_source(name).await?,
        }
        Ok(Saved {
            app: after,
            warnings: i.warnings,
        })
    }
    .await;
    if let Err(e) = &r {
        audit_refused(ctx, AuditKind::AppMetadataReplace, Some(name), e).await;
    }
    r
}

/// `before` with the metadata of `i`, checked against the preset and the other apps.
async fn with_metadata(ctx: &Ctx<'_>, before: &App, i: &Inspected) -> Result<App, AdminError> {
    let field = "metadata";
    if let Some(p) = before
        .settings
        .preset
        .as_deref()
        .and_then(|p| providers::find(p).ok())
    {
        let fixed = p
            .build(&before.settings.params)
            .ok()
            .and_then(|b| match b.sp {
                Sp::Fixed(m) => Some(m),
                Sp::FromFile(_) => None,
            });
        if let Some(m) = fixed
            .as_ref()
            .filter(|m| before.settings.encrypt_assertion && !same_acs(&m.acs, &i.metadata.acs))
        {
            let mut i = i.clone();
            i.metadata.acs = m.acs.clone();
            return Box::pin(with_metadata(ctx, before, &i)).await;
        }
        if let Some(want) = fixed
            .map(|m| m.entity_id)
            .filter(|w| *w != i.metadata.entity_id)
        {
            return Err(AdminError::invalid(
                field,
                format!(
                    "this file is for {} but preset {} is for {want}",
                    i.metadata.entity_id, p.name
                ),
            ));
        }
    }
    if let Some((other, url)) = ctx
        .store
        .acs_clash(Some(before.name.as_str()), &i.metadata)
        .await?
    {
        return Err(AdminError::invalid(
            "entity_id",
            shared_entity_refusal(&other, &i.metadata.entity_id, &url),
        ));
    }
    let mut after = before.clone();
    after.metadata = i.metadata.clone();
    after.metadata_xml = Some(i.xml.clone());
    after.updated_at = ctx.unix();
    after.check_encryption().map_err(|e| {
        AdminError::invalid(
            field,
            format!("this metadata cannot replace the app's while it encrypts Assertions: {e}"),
        )
    })?;
    Ok(after)
}

/// Refuses an app that encrypts Assertions without an encryption certificate to encrypt to.
pub(crate) fn check_encryption(app: &App) -> Result<(), AdminError> {
    app.check_encryption()
        .map_err(|e| AdminError::invalid("encrypt_assertion", e.to_string()))
}

/// Refuses provisioning settings that cannot work, above all a SCIM `userName` that cannot equal
/// the NameID the app receives.
pub(crate) fn check_provisioning(app: &App) -> Result<(), AdminError> {
    app.settings
        .check_provisioning()
        .map_err(|e| AdminError::invalid("provision", e.to_string()))
}
