//! Apps in the JSON API (`/api/v1/presets`, `/api/v1/apps…`): list, show, preview metadata, create
//! from a preset or metadata, change settings, replace metadata, versions and rollback, refresh from
//! the metadata URL, delete. Thin over [`crate::admin::apps`]; the console pages are in
//! `apps_console.rs` and share the views defined here.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{rfc3339, ApiError, ApiJson, ErrorBody};
use super::apps_views::*;
use super::auth::ApiAdmin;
use super::directory::{self, NamesRefusedBody};
use crate::admin::app_checks;
use crate::admin::app_create::{self, Created};
use crate::admin::app_metadata::MetadataInput;
use crate::admin::app_refresh;
use crate::admin::apps::{self as domain, Ctx, NewApp};
use crate::admin::metadata_fetch::FetchPolicy;
use crate::admin::wecom_names;
use crate::admin::Actor;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// Request bodies of app routes may carry a metadata document (≤ 1 MiB, more once JSON-escaped or
/// form-encoded): the cap here is above that so the import refuses an oversized document by name.
pub(super) const APP_BODY_LIMIT: usize = 4 * 1024 * 1024;

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/presets", get(presets))
        .route("/apps", get(list).post(create))
        .route("/apps/preview", post(preview))
        .route("/apps/{name}", get(show).patch(patch).delete(remove))
        .route("/apps/{name}/metadata", put(replace_metadata))
        .route("/apps/{name}/versions", get(versions))
        .route("/apps/{name}/versions/{version}/diff", get(version_diff))
        .route("/apps/{name}/rollback", post(rollback))
        .route("/apps/{name}/refresh", post(refresh))
        .route_layer(DefaultBodyLimit::max(APP_BODY_LIMIT))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        presets,
        list,
        show,
        preview,
        create,
        patch,
        replace_metadata,
        versions,
        version_diff,
        rollback,
        refresh,
        remove
    ),
    components(schemas(
        PresetView,
        ParamView,
        AppItem,
        AppView,
        ProvisioningView,
        ProvisioningRunView,
        HomepageView,
        AcsView,
        CertView,
        SourceView,
        PreviewView,
        PreviewRequest,
        NewAppRequest,
        PatchRequest,
        MetadataRequest,
        VersionView,
        VersionDiffView,
        ChangeView,
        RollbackRequest,
        RefreshView
    ))
)]
pub(super) struct AppsApi;

/// The domain context of a request.
pub(super) fn ctx<'a>(state: &'a AppState, actor: &'a Actor, ip: &'a ClientIp) -> Ctx<'a> {
    Ctx {
        store: &state.store,
        now: state.clock.now(),
        actor,
        ip: ip.0,
        fetch: FetchPolicy {
            allow_private: state.config.admin.allow_private_metadata_urls,
            ..FetchPolicy::default()
        },
    }
}

// ---- requests ----

/// `KEY` → value pairs in the order they were written (settings apply in order).
#[derive(Debug, Default, Clone)]
pub struct Pairs(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of KEY: value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, serde_json::Value>()? {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => v.to_string(),
                        _ => {
                            return Err(serde::de::Error::custom(format!(
                                "{k}: give the value as a string"
                            )))
                        }
                    };
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The schema of [`Pairs`]: an object whose values are strings (numbers, booleans and null are
/// taken as their text; objects and arrays are refused).
pub(super) fn pairs_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::RefOr(value.into())))
        .into()
}

/// Metadata to check. Other fields are ignored, so the body of a create can be previewed as is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PreviewRequest {
    /// The SP metadata document.
    pub metadata_xml: Option<String>,
    /// Or its URL (fetched now).
    pub metadata_url: Option<String>,
    /// Which SP, in a file with several.
    pub entity_id: Option<String>,
    /// Import even if a certificate has expired.
    #[serde(default)]
    pub accept_expired_certificates: bool,
}

/// An app to create: `preset` + `params`, or metadata (`metadata_xml` or `metadata_url`), or both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppRequest {
    /// 1–64 of a-z, 0-9 and `-`.
    #[schema(pattern = "^[a-z0-9-]{1,64}$", min_length = 1, max_length = 64)]
    pub name: String,
    /// A preset (`GET /api/v1/presets`).
    pub preset: Option<String>,
    /// The preset's parameters.
    #[serde(default)]
    #[schema(schema_with = pairs_schema)]
    pub params: Pairs,
    /// The SP metadata document.
    pub metadata_xml: Option<String>,
    /// Or its URL.
    pub metadata_url: Option<String>,
    /// Seconds between automatic refreshes of `metadata_url` (0 = off, else 300–2592000).
    #[serde(default)]
    pub refresh_secs: i64,
    /// Which SP, in a file with several.
    pub entity_id: Option<String>,
    /// Settings (`wecom-idp app set --help` lists the keys), applied in order.
    #[serde(default)]
    #[schema(schema_with = pairs_schema)]
    pub settings: Pairs,
    /// Import even if a certificate has expired.
    #[serde(default)]
    pub accept_expired_certificates: bool,
    /// Create the app even though WeCom does not know a department, tag or member that the
    /// `access` or `role_rules` setting names, or could not be asked (audited with what the check
    /// found).
    pub force: Option<bool>,
}

/// Settings to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    /// `KEY: value`, applied in order, each validated as `wecom-idp app set` does.
    #[schema(schema_with = pairs_schema)]
    pub settings: Pairs,
    /// Save even though WeCom does not know a department, tag or member that `access` or
    /// `role_rules` names, or could not be asked (audited with what the check found).
    pub force: Option<bool>,
}

/// New metadata for an app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataRequest {
    /// The SP metadata document (drops the metadata URL).
    pub metadata_xml: Option<String>,
    /// Or its URL (becomes the app's metadata URL).
    pub metadata_url: Option<String>,
    /// Seconds between automatic refreshes of `metadata_url` (0 = off).
    #[serde(default)]
    pub refresh_secs: i64,
    /// Which SP, in a file with several.
    pub entity_id: Option<String>,
    /// Import even if a certificate has expired.
    #[serde(default)]
    pub accept_expired_certificates: bool,
}

/// A saved version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// Its number (for rollback).
    pub version: i64,
    /// SP entity ID of that state.
    pub entity_id: String,
    /// When it was replaced (RFC 3339).
    pub saved_at: String,
    /// Who replaced it.
    pub saved_by: String,
}

/// What changed after a saved version: the version against the state that replaced it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDiffView {
    /// The version.
    pub version: i64,
    /// The next saved version it is compared with; absent: compared with the app as it is now.
    pub against_version: Option<i64>,
    /// The keys that differ (`entity_id`, `metadata.…`, settings by dotted path), in key order.
    pub changes: Vec<ChangeView>,
}

/// One key that differs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// The key.
    pub key: String,
    /// Its value in the version (`null`: not set).
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// Its value in the state compared with (`null`: not set).
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

impl From<domain::VersionDiff> for VersionDiffView {
    fn from(d: domain::VersionDiff) -> Self {
        Self {
            version: d.version,
            against_version: match d.against {
                domain::Against::Version(n) => Some(n),
                domain::Against::Current => None,
            },
            changes: d
                .changes
                .into_iter()
                .map(|c| ChangeView {
                    key: c.key,
                    before: c.before,
                    after: c.after,
                })
                .collect(),
        }
    }
}

/// The version to restore.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    /// A version number from `GET …/versions` (404 when the app has no such version).
    #[schema(minimum = 1, maximum = 9223372036854775807_i64)]
    pub version: i64,
}

/// What a refresh did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshView {
    /// `updated` or `unchanged`.
    pub result: String,
    /// The app after it.
    pub app: AppView,
}

/// The metadata a request must give: exactly one of the document and the URL.
fn required_metadata(xml: Option<String>, url: Option<String>) -> Result<MetadataInput, ApiError> {
    metadata_input(xml, url)?
        .ok_or_else(|| ApiError::invalid("metadata_xml", "give metadata_xml or metadata_url"))
}

/// The metadata input of a request: exactly one of the document and the URL.
pub(super) fn metadata_input(
    xml: Option<String>,
    url: Option<String>,
) -> Result<Option<MetadataInput>, ApiError> {
    let xml = xml.filter(|x| !x.trim().is_empty());
    let url = url.filter(|u| !u.trim().is_empty());
    match (xml, url) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "metadata_url",
            "give metadata_xml or metadata_url, not both",
        )),
        (Some(x), None) => Ok(Some(MetadataInput::Xml {
            xml: x.into_bytes(),
            field: "metadata_xml",
            fetched_from: None,
        })),
        (None, Some(u)) => Ok(Some(MetadataInput::Url {
            url: u,
            field: "metadata_url",
        })),
        (None, None) => Ok(None),
    }
}

// ---- handlers ----

/// Every cloud console preset, with its parameters.
#[utoipa::path(get, path = "/api/v1/presets", tag = "apps",
    responses((status = 200, body = [PresetView]), (status = 401, body = ErrorBody)))]
async fn presets(_a: ApiAdmin) -> Json<Vec<PresetView>> {
    Json(preset_views())
}

/// Every app.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps",
    responses((status = 200, body = [AppItem]), (status = 401, body = ErrorBody)))]
async fn list(State(state): State<AppState>, _a: ApiAdmin) -> Result<Json<Vec<AppItem>>, ApiError> {
    Ok(Json(app_items(&state).await?))
}

/// One app: settings, SP, addresses, metadata source.
#[utoipa::path(get, path = "/api/v1/apps/{name}", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = AppView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path(name): Path<String>,
) -> Result<Json<AppView>, ApiError> {
    let app = domain::load(&state.store, &name).await?;
    Ok(Json(app_view(&state, &app).await?))
}

/// Checks metadata (a document or a URL) and shows what would be imported; stores nothing.
#[utoipa::path(post, path = "/api/v1/apps/preview", tag = "apps", request_body = PreviewRequest,
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    let actor = a.actor();
    let c = ctx(&state, &actor, &ip);
    let input = required_metadata(body.metadata_xml, body.metadata_url)?;
    let i = domain::preview(
        &c,
        None,
        &input,
        body.entity_id.as_deref(),
        body.accept_expired_certificates,
    )
    .await?;
    Ok(Json(PreviewView::from(&i)))
}

/// Creates an app from a preset and/or SP metadata.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", request_body = NewAppRequest,
    responses((status = 201, body = AppView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, description = "the app exists, or WeCom does not know a name its rules name, or could not be asked", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewAppRequest>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let c = ctx(&state, &actor, &ip);
    let new = NewApp {
        name: body.name,
        preset: body.preset,
        params: body.params.0,
        metadata: metadata_input(body.metadata_xml, body.metadata_url)?,
        entity_id: body.entity_id,
        settings: body.settings.0,
        refresh_secs: body.refresh_secs,
        accept_expired_certificates: body.accept_expired_certificates,
    };
    let wecom = directory::names_wecom(&state).await?;
    match app_create::create(&c, &new, &wecom, directory::mode(body.force)).await? {
        Created::Saved { saved, .. } => Ok((
            StatusCode::CREATED,
            Json(app_view(&state, &saved.app).await?),
        )
            .into_response()),
        Created::Refused { field, found } => Ok(directory::names_refused(&field, &found)),
    }
}

/// Changes settings (attribute mapping, role rules, access rules, signing, RelayState, …). The
/// departments, tags and members that changed `access` or `role_rules` name are checked against
/// WeCom first: an unknown one (or WeCom unreachable) stores nothing and answers 409 with the names,
/// unless `force: true` (audited).
#[utoipa::path(patch, path = "/api/v1/apps/{name}", tag = "apps", request_body = PatchRequest,
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = AppView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "WeCom does not know a name the rules name, or could not be asked", body = NamesRefusedBody)))]
async fn patch(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PatchRequest>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let c = ctx(&state, &actor, &ip);
    let changes = &body.settings.0;
    let mut forced = None;
    if !wecom_names::named_in_settings(changes).is_empty() {
        // A syntax error is the admin's first fix: answer it before asking WeCom.
        let app = domain::load(&state.store, &name).await?;
        if let Some(e) = app_checks::settings(&app, changes).into_iter().next() {
            return Err(e.into());
        }
        match directory::settings_gate(&state, changes, body.force).await? {
            Ok(f) => forced = f,
            Err(r) => return Ok(directory::names_refused(&r.field, &r.found)),
        }
    }
    let saved = domain::update_settings(&c, &name, changes).await?;
    if let Some(found) = forced {
        let field = wecom_names::field_of(changes, &found);
        wecom_names::audit_forced(
            &state.store,
            c.unix(),
            wecom_names::ForcedSave {
                actor: &actor,
                what: field,
                app: Some(&name),
                userid: None,
                found: &found,
                ip: c.ip,
            },
        )
        .await;
    }
    Ok(Json(app_view(&state, &saved.app).await?).into_response())
}

/// Replaces the app's SP metadata (the previous version is kept for rollback).
#[utoipa::path(put, path = "/api/v1/apps/{name}/metadata", tag = "apps", request_body = MetadataRequest,
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = AppView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn replace_metadata(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<MetadataRequest>,
) -> Result<Json<AppView>, ApiError> {
    let actor = a.actor();
    let c = ctx(&state, &actor, &ip);
    let input = required_metadata(body.metadata_xml, body.metadata_url)?;
    let saved = domain::replace_metadata(
        &c,
        &name,
        &input,
        body.entity_id.as_deref(),
        body.accept_expired_certificates,
        body.refresh_secs,
    )
    .await?;
    Ok(Json(app_view(&state, &saved.app).await?))
}

/// The saved versions of an app, newest first.
#[utoipa::path(get, path = "/api/v1/apps/{name}/versions", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = [VersionView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn versions(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path(name): Path<String>,
) -> Result<Json<Vec<VersionView>>, ApiError> {
    let rows = domain::versions(&state.store, &name).await?;
    Ok(Json(
        rows.into_iter()
            .map(|v| VersionView {
                version: v.version,
                entity_id: v.entity_id,
                saved_at: rfc3339(v.saved_at),
                saved_by: v.saved_by,
            })
            .collect(),
    ))
}

/// What changed after a saved version, key by key: the version against the next saved one, or
/// against the app as it is now when it is the newest.
#[utoipa::path(get, path = "/api/v1/apps/{name}/versions/{version}/diff", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$"),
           ("version" = i64, Path, description = "a version number from GET …/versions")),
    responses((status = 200, body = VersionDiffView), (status = 401, body = ErrorBody),
              (status = 404, description = "no such app or version", body = ErrorBody)))]
async fn version_diff(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path((name, version)): Path<(String, String)>,
) -> Result<Json<VersionDiffView>, ApiError> {
    // Read as text: a number no version can have is "no such version", in JSON like every answer.
    let version = version
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("app `{name}` has no version `{version}`")))?;
    let d = domain::version_diff(&state.store, &name, version).await?;
    Ok(Json(d.into()))
}

/// Restores a saved version (the current state is saved first, so this can be undone too).
#[utoipa::path(post, path = "/api/v1/apps/{name}/rollback", tag = "apps", request_body = RollbackRequest,
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = AppView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, description = "no such app or version", body = ErrorBody),
              (status = 409, description = "another app now has that version's entity ID", body = ErrorBody)))]
async fn rollback(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RollbackRequest>,
) -> Result<Json<AppView>, ApiError> {
    let actor = a.actor();
    let saved = domain::rollback(&ctx(&state, &actor, &ip), &name, body.version).await?;
    Ok(Json(app_view(&state, &saved.app).await?))
}

/// Fetches the app's metadata URL now; a failure leaves the app unchanged.
#[utoipa::path(post, path = "/api/v1/apps/{name}/refresh", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = RefreshView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn refresh(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<Json<RefreshView>, ApiError> {
    let actor = a.actor();
    let r = app_refresh::refresh(&ctx(&state, &actor, &ip), &name).await?;
    let app = domain::load(&state.store, &name).await?;
    Ok(Json(RefreshView {
        result: r.as_str().into(),
        app: app_view(&state, &app).await?,
    }))
}

/// Deletes an app (its last state stays in the saved versions).
#[utoipa::path(delete, path = "/api/v1/apps/{name}", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = a.actor();
    domain::delete(&ctx(&state, &actor, &ip), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
