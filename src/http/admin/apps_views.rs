//! The JSON views of apps and presets, shared by the API (`apps.rs`) and the console pages
//! (`apps_console.rs`): what an app is (SP, certificates, addresses, metadata source) and what a
//! metadata preview would import.

use super::super::AppState;
use super::api::{rfc3339, ApiError};
use crate::admin::app_metadata::{CertInfo, Inspected};
use crate::apps::App;
use crate::logsafe::Escaped;
use crate::saml::sp_metadata::AcsEndpoint;
use serde::Serialize;
use utoipa::ToSchema;

/// A preset parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParamView {
    /// The key (`params.KEY` in requests).
    pub key: String,
    /// Other accepted spellings.
    pub aliases: Vec<String>,
    /// Whether the app cannot be made without it.
    pub required: bool,
    /// What it is.
    pub help: String,
}

/// A cloud console preset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresetView {
    /// `preset` in requests.
    pub name: String,
    /// One line.
    pub title: String,
    /// Its parameters.
    pub parameters: Vec<ParamView>,
    /// `idp-initiated` or `sp-initiated`: where the WeCom homepage starts the login (with the
    /// required parameters given).
    pub homepage_mode: String,
    /// Whether the SP metadata must be given (per-account variants).
    pub needs_metadata: bool,
}

/// Every preset, as views.
pub fn preset_views() -> Vec<PresetView> {
    crate::providers::all()
        .iter()
        .map(|p| {
            // Build with sample values of the shapes consoles use, to tell the homepage mode and
            // whether the SP comes from a file; the first set the preset accepts wins.
            let built = crate::admin::app_checks::sample_params(p).and_then(|v| p.build(&v).ok());
            let mode = built
                .as_ref()
                .map(|b| p.homepage(&b.settings, "mount").mode)
                .unwrap_or(crate::providers::Mode::IdpInitiated);
            PresetView {
                name: p.name.into(),
                title: p.summary.into(),
                parameters: p
                    .params
                    .iter()
                    .map(|x| ParamView {
                        key: x.key.into(),
                        aliases: x.aliases.iter().map(|a| a.to_string()).collect(),
                        required: x.required,
                        help: x.help.into(),
                    })
                    .collect(),
                homepage_mode: mode.as_str().into(),
                needs_metadata: matches!(
                    built.map(|b| b.sp),
                    Some(crate::providers::Sp::FromFile(_))
                ),
            }
        })
        .collect()
}

/// An app in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppItem {
    /// Name.
    pub name: String,
    /// SP entity ID.
    pub entity_id: String,
    /// The preset it was made from.
    pub preset: Option<String>,
    /// Mount address.
    pub mount_url: String,
    /// WeCom homepage URL.
    pub homepage_url: String,
    /// `idp-initiated` / `sp-initiated`.
    pub mode: String,
}

/// The WeCom homepage of an app.
#[derive(Debug, Serialize, ToSchema)]
pub struct HomepageView {
    /// Paste it as the WeCom app's homepage (应用主页).
    pub url: String,
    /// `idp-initiated` / `sp-initiated`.
    pub mode: String,
    /// Why this URL.
    pub why: String,
    /// Why this URL, in Chinese (for the console).
    #[serde(skip)]
    pub why_zh: String,
}

/// An ACS endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcsView {
    /// URL.
    pub location: String,
    /// Binding URI.
    pub binding: String,
    /// `index`.
    pub index: Option<u32>,
    /// `isDefault`.
    pub is_default: Option<bool>,
}

impl From<&AcsEndpoint> for AcsView {
    fn from(a: &AcsEndpoint) -> Self {
        Self {
            location: a.location.clone(),
            binding: a.binding.clone(),
            index: a.index,
            is_default: a.is_default,
        }
    }
}

/// A certificate of the SP.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertView {
    /// `signing`, `encryption` or both.
    pub usage: String,
    /// Subject.
    pub subject: String,
    /// Valid from (RFC 3339).
    pub not_before: String,
    /// Valid until (RFC 3339).
    pub not_after: String,
    /// Whether it has expired.
    pub expired: bool,
}

impl From<&CertInfo> for CertView {
    fn from(c: &CertInfo) -> Self {
        Self {
            usage: c.usage.clone(),
            subject: c.subject.clone(),
            not_before: rfc3339(c.not_before),
            not_after: rfc3339(c.not_after),
            expired: c.expired,
        }
    }
}

/// Where the metadata is fetched from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceView {
    /// The URL.
    pub url: String,
    /// Seconds between automatic refreshes (0 = only on demand).
    pub refresh_secs: i64,
    /// Last fetch (RFC 3339).
    pub last_fetch_at: Option<String>,
    /// `updated`, `unchanged` or `failed`.
    pub last_result: Option<String>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
    /// Next automatic fetch (RFC 3339), when refresh is on.
    pub next_fetch_at: Option<String>,
}

/// The app's SCIM provisioning: where to, how groups change, whether a token is set (never the
/// token), the last run and, apart from it, the last dry run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisioningView {
    /// `scim` or `none` (the `provision` setting).
    pub mode: String,
    /// The SCIM base URL, when set.
    pub scim_url: Option<String>,
    /// `none`, `departments` or `tags`.
    pub groups: String,
    /// `put` or `patch` (`scim_group_update`).
    pub group_update: String,
    /// A bearer token is set (write-only: `PUT /api/v1/apps/{name}/scim-token`).
    pub token_set: bool,
    /// When the token was set (RFC 3339).
    pub token_set_at: Option<String>,
    /// The last real run, if the app ever ran; a dry run never takes its place.
    pub last_run: Option<ProvisioningRunView>,
    /// The last dry run (what a run would have done then), if there was one.
    pub last_dry_run: Option<ProvisioningRunView>,
}

/// One provisioning run's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisioningRunView {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: String,
    /// Who started it: `shell`, `scheduler` (the directory sync), `token:NAME`, `wecom:USERID`.
    pub trigger: String,
    /// A dry run: the counts are what it would have done, nothing was sent.
    pub dry_run: bool,
    /// Users created.
    pub created: i64,
    /// Users updated.
    pub updated: i64,
    /// Users deactivated.
    pub deactivated: i64,
    /// Groups created or changed.
    pub groups: i64,
    /// Changes that failed.
    pub failed: i64,
    /// The first failure, when one failed.
    pub first_error: Option<String>,
}

impl From<&crate::store::ScimRunRow> for ProvisioningRunView {
    fn from(r: &crate::store::ScimRunRow) -> Self {
        Self {
            started_at: rfc3339(r.started_at),
            finished_at: rfc3339(r.finished_at),
            trigger: r.run_trigger.clone(),
            dry_run: r.dry_run != 0,
            created: r.created,
            updated: r.updated,
            deactivated: r.deactivated,
            groups: r.group_changes,
            failed: r.failed,
            first_error: r.last_error.clone(),
        }
    }
}

/// An app in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    /// Name.
    pub name: String,
    /// SP entity ID.
    pub entity_id: String,
    /// The preset it was made from.
    pub preset: Option<String>,
    /// The settings (as stored).
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// ACS endpoints.
    pub acs: Vec<AcsView>,
    /// SP certificates.
    pub certificates: Vec<CertView>,
    /// Mount address (IdP-initiated sign-in).
    pub mount_url: String,
    /// The WeCom homepage.
    pub homepage: HomepageView,
    /// Our IdP metadata, to upload to the SP's console.
    pub idp_metadata_url: String,
    /// Our IdP metadata with this app's own `WantAuthnRequestsSigned`.
    pub app_metadata_url: String,
    /// Opens a sign-in to this app (the mount address).
    pub test_sign_in_url: String,
    /// The metadata URL, if any, and its last refresh.
    pub source: Option<SourceView>,
    /// The app described line by line, as `wecom-idp app show` prints it.
    pub summary: Vec<(String, String)>,
    /// SCIM provisioning, typed (the `summary` has it in words).
    pub provisioning: ProvisioningView,
    /// The same lines in Chinese (for the console).
    #[serde(skip)]
    pub summary_zh: Vec<(String, String)>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

/// The full view of `app`.
pub async fn app_view(state: &AppState, app: &App) -> Result<AppView, ApiError> {
    let a = crate::admin::app_view::addresses(&state.config, app);
    let source = state.store.app_source(app.name.as_str()).await?;
    let mut lines = crate::admin::app_view::lines(&state.config, app);
    let name = app.name.as_str();
    let token_set_at = state.store.scim_token_set_at(name).await?;
    let run = state.store.scim_run(name).await?;
    let dry_run = state.store.scim_dry_run(name).await?;
    lines.extend(crate::admin::app_view::provision_line(
        app,
        token_set_at,
        run.as_ref(),
        dry_run.as_ref(),
    ));
    let s = &app.settings;
    let provisioning = ProvisioningView {
        mode: s.provision.as_str().into(),
        scim_url: s.scim_url.clone(),
        groups: s.provision_groups.as_str().into(),
        group_update: s.scim_group_update.as_str().into(),
        token_set: token_set_at.is_some(),
        token_set_at: token_set_at.map(rfc3339),
        last_run: run.as_ref().map(ProvisioningRunView::from),
        last_dry_run: dry_run.as_ref().map(ProvisioningRunView::from),
    };
    Ok(AppView {
        name: app.name.to_string(),
        entity_id: app.metadata.entity_id.clone(),
        preset: app.settings.preset.clone(),
        settings: serde_json::to_value(&app.settings).unwrap_or_default(),
        acs: app.metadata.acs.iter().map(AcsView::from).collect(),
        certificates: crate::admin::app_metadata::certificates(&app.metadata, state.clock.now())
            .iter()
            .map(CertView::from)
            .collect(),
        test_sign_in_url: a.mount.clone(),
        mount_url: a.mount,
        homepage: HomepageView {
            url: a.homepage.url,
            mode: a.homepage.mode.as_str().into(),
            why: a.homepage.reason.en.to_string(),
            why_zh: a.homepage.reason.zh.to_string(),
        },
        idp_metadata_url: format!("{}/saml/metadata", state.config.base()),
        app_metadata_url: format!("{}/apps/{}/metadata", state.config.base(), app.name),
        source: source.map(|s| SourceView {
            url: s.url,
            refresh_secs: s.refresh_secs,
            last_fetch_at: s.last_fetch_at.map(rfc3339),
            last_result: s.last_result,
            last_error: s.last_error,
            next_fetch_at: (s.refresh_secs > 0).then(|| rfc3339(s.next_fetch_at)),
        }),
        summary: lines
            .iter()
            .map(|(k, v)| (k.en.to_string(), v.en.clone()))
            .collect(),
        summary_zh: lines
            .into_iter()
            .map(|(k, v)| (k.zh.to_string(), v.zh))
            .collect(),
        provisioning,
        created_at: rfc3339(app.created_at),
        updated_at: rfc3339(app.updated_at),
    })
}

/// What would be imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    /// SP entity ID.
    pub entity_id: String,
    /// ACS endpoints.
    pub acs: Vec<AcsView>,
    /// Certificates with their dates.
    pub certificates: Vec<CertView>,
    /// `AuthnRequestsSigned`.
    pub authn_requests_signed: bool,
    /// `NameIDFormat`s.
    pub name_id_formats: Vec<String>,
    /// `validUntil`, as written.
    pub valid_until: Option<String>,
    /// What the admin should know.
    pub warnings: Vec<String>,
    /// The URL it was fetched from.
    pub metadata_url: Option<String>,
}

impl From<&Inspected> for PreviewView {
    fn from(i: &Inspected) -> Self {
        Self {
            entity_id: i.metadata.entity_id.clone(),
            acs: i.metadata.acs.iter().map(AcsView::from).collect(),
            certificates: i.certificates.iter().map(CertView::from).collect(),
            authn_requests_signed: i.metadata.authn_requests_signed,
            name_id_formats: i.metadata.name_id_formats.clone(),
            valid_until: i.metadata.valid_until.clone(),
            warnings: i.warnings.clone(),
            metadata_url: i.url.clone(),
        }
    }
}

impl PreviewView {
    /// What an app about to be made would import (a preset's own SP, or the file given).
    pub fn of_app(app: &App, now: time::OffsetDateTime, warnings: Vec<String>) -> Self {
        let m = &app.metadata;
        Self {
            entity_id: m.entity_id.clone(),
            acs: m.acs.iter().map(AcsView::from).collect(),
            certificates: crate::admin::app_metadata::certificates(m, now)
                .iter()
                .map(CertView::from)
                .collect(),
            authn_requests_signed: m.authn_requests_signed,
            name_id_formats: m.name_id_formats.clone(),
            valid_until: m.valid_until.clone(),
            warnings,
            metadata_url: None,
        }
    }
}

/// The list of apps (shared with the console).
pub async fn app_items(state: &AppState) -> Result<Vec<AppItem>, ApiError> {
    let mut out = Vec::new();
    for row in state.store.apps().await? {
        let name = row.name.clone();
        let Ok(app) = App::from_row(row) else {
            tracing::error!(app = %Escaped(&name), "stored app cannot be read");
            continue;
        };
        let a = crate::admin::app_view::addresses(&state.config, &app);
        out.push(AppItem {
            name: app.name.to_string(),
            entity_id: app.metadata.entity_id.clone(),
            preset: app.settings.preset.clone(),
            mount_url: a.mount,
            homepage_url: a.homepage.url,
            mode: a.homepage.mode.as_str().into(),
        });
    }
    Ok(out)
}
