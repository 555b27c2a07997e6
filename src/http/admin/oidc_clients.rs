//! OpenID Connect clients in the JSON API (`/api/v1/oidc/clients…`): list, create (the secret in
//! the answer, once), show (never the secret nor its hash), change settings, rotate the secret,
//! delete. Beside the SAML apps' routes rather than inside them, so the apps' schemas stay as they
//! are; the names are one name space (a name a SAML app has is a 409 here, and the reverse).
//! Thin over [`crate::admin::oidc_clients`], which audits every change.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{rfc3339, ApiError, ApiJson, ErrorBody};
use super::apps::{ctx, pairs_schema, Pairs};
use super::auth::ApiAdmin;
use super::directory::{self, NamesRefusedBody};
use crate::admin::apps::Ctx;
use crate::admin::oidc_clients::{self as domain, NewOidcClient};
use crate::admin::wecom_names::{self, NamesCheck};
use crate::oidc::client::{APP_KEYS, CLIENT_KEYS};
use crate::oidc::Client;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/oidc/clients", get(list).post(create))
        .route(
            "/oidc/clients/{name}",
            get(show).patch(patch).delete(remove),
        )
        .route("/oidc/clients/{name}/secret", post(rotate))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, patch, rotate, remove),
    components(schemas(
        OidcClientView,
        OidcClientType,
        NewOidcClientRequest,
        OidcPatchRequest,
        OidcSecretView
    ))
)]
pub(super) struct OidcClientsApi;

/// Confidential (a secret) or public (PKCE, no secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OidcClientType {
    /// A server-side app that keeps a secret.
    Confidential,
    /// A browser or native app: PKCE is its proof.
    Public,
}

impl OidcClientType {
    /// `confidential` or `public`.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }
}

/// An OIDC client as an admin sees it: never its secret nor the secret's hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct OidcClientView {
    /// The app's name (one name space with the SAML apps).
    pub name: String,
    /// The client ID to give the app.
    pub client_id: String,
    /// Confidential or public.
    pub client_type: OidcClientType,
    /// Where codes may be sent, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The scopes the client may ask for.
    pub scopes: Vec<String>,
    /// Access token lifetime, seconds.
    pub access_token_lifetime: i64,
    /// Refresh token lifetime, seconds (0: no refresh tokens).
    pub refresh_token_lifetime: i64,
    /// ID token lifetime, seconds: the `id_token_lifetime` setting, or the access token lifetime
    /// when it is unset (`settings` shows it empty then).
    pub id_token_lifetime: i64,
    /// Where the mount address sends the browser, when set.
    pub initiate_login_uri: Option<String>,
    /// Where Logout Tokens are POSTed when a session that gave the client a grant ends
    /// (OpenID Connect Back-Channel Logout; `settings.backchannel_logout_uri` sets it), when set.
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client declared it needs `sid` in Logout Tokens (always sent).
    pub backchannel_logout_session_required: bool,
    /// Every setting's current value, as `PATCH` takes it back (the client's keys and the app
    /// rules: access, roles, how `sub` is made).
    pub settings: BTreeMap<String, String>,
    /// The issuer to give the app.
    pub issuer: String,
    /// The discovery document's URL.
    pub discovery_url: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// A client and its secret: shown in this answer only, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct OidcSecretView {
    /// The client.
    pub client: OidcClientView,
    /// The secret (absent for a public client). Store it now: only its hash is kept.
    pub client_secret: Option<String>,
}

/// A client to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOidcClientRequest {
    /// 1–64 of a-z, 0-9 and `-`; no SAML app or client may have it.
    #[schema(pattern = "^[a-z0-9-]{1,64}$", min_length = 1, max_length = 64)]
    pub name: String,
    /// Redirect URIs (at least one): https, or http on a loopback host; no #fragment.
    pub redirect_uris: Vec<String>,
    /// Confidential (default) or public.
    pub client_type: Option<OidcClientType>,
    /// Other settings (`scopes`, `access_token_lifetime`, `access`, …), applied in order.
    #[serde(default)]
    #[schema(schema_with = pairs_schema)]
    pub settings: Pairs,
    /// Create the client even though WeCom does not know a department, tag or member that
    /// `access` or `role_rules` names, or could not be asked (audited with what the check found).
    pub force: Option<bool>,
}

/// Settings to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcPatchRequest {
    /// `KEY: value`, applied in order and checked as a whole before anything is stored
    /// (`redirect_uris` space-separated, replacing the list).
    #[schema(schema_with = pairs_schema)]
    pub settings: Pairs,
    /// Save even though WeCom does not know a department, tag or member that `access` or
    /// `role_rules` names, or could not be asked (audited with what the check found).
    pub force: Option<bool>,
}

/// Records a save made past WeCom's check.
async fn audit_forced(c: &Ctx<'_>, name: &str, changes: &[(String, String)], found: &NamesCheck) {
    wecom_names::audit_forced(
        c.store,
        c.unix(),
        wecom_names::ForcedSave {
            actor: c.actor,
            what: wecom_names::field_of(changes, found),
            app: Some(name),
            userid: None,
            found,
            ip: c.ip,
        },
    )
    .await;
}

/// The view of `c`.
pub(super) fn view(state: &AppState, c: &Client) -> OidcClientView {
    let base = state.config.base();
    let cfg = &c.config;
    OidcClientView {
        name: c.name.as_str().to_string(),
        client_id: c.client_id.as_str().to_string(),
        client_type: match cfg.client_type {
            crate::oidc::client::ClientType::Confidential => OidcClientType::Confidential,
            crate::oidc::client::ClientType::Public => OidcClientType::Public,
        },
        redirect_uris: cfg
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_string())
            .collect(),
        scopes: cfg
            .scopes
            .to_wire()
            .split_ascii_whitespace()
            .map(String::from)
            .collect(),
        access_token_lifetime: cfg.access_token_secs,
        refresh_token_lifetime: cfg.refresh_token_secs,
        id_token_lifetime: c.id_token_secs(),
        initiate_login_uri: cfg.initiate_login_uri.clone(),
        backchannel_logout_uri: cfg
            .backchannel_logout_uri
            .as_ref()
            .map(|u| u.as_str().to_string()),
        backchannel_logout_session_required: cfg.backchannel_logout_session_required,
        settings: CLIENT_KEYS
            .iter()
            .map(|(k, _)| *k)
            .chain(APP_KEYS.iter().copied())
            .filter_map(|k| Some((k.to_string(), c.value(k)?)))
            .collect(),
        discovery_url: format!("{base}{}", crate::http::oidc::DISCOVERY_PATH),
        issuer: base,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    }
}

const NAME_PARAM: &str = "client name: 1–64 of a-z, 0-9 and -";

/// Every OIDC client, by name.
#[utoipa::path(get, path = "/api/v1/oidc/clients", tag = "oidc",
    responses((status = 200, body = [OidcClientView]), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<Vec<OidcClientView>>, ApiError> {
    let all = domain::list(&state.store).await?;
    Ok(Json(all.iter().map(|c| view(&state, c)).collect()))
}

/// Creates a client. The answer carries its client ID and, for a confidential client, its secret:
/// the only time the secret is shown.
#[utoipa::path(post, path = "/api/v1/oidc/clients", tag = "oidc", request_body = NewOidcClientRequest,
    responses((status = 201, body = OidcSecretView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, description = "a SAML app or an OIDC client has the name, or WeCom does not know a name the rules name, or could not be asked", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewOidcClientRequest>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let c = ctx(&state, &actor, &ip);
    let mut settings = Vec::new();
    if let Some(t) = body.client_type {
        settings.push(("client_type".to_string(), t.as_str().to_string()));
    }
    settings.extend(body.settings.0);
    // A syntax error is the admin's first fix: answer it before asking WeCom.
    crate::oidc::Client::create(
        body.name.trim(),
        &body.redirect_uris,
        &settings,
        state.rng.as_ref(),
        c.unix(),
    )
    .map_err(|e| ApiError::from(domain::refusal(&settings, e)))?;
    let forced = match directory::settings_gate(&state, &settings, body.force).await? {
        Ok(f) => f,
        Err(r) => return Ok(directory::names_refused(&r.field, &r.found)),
    };
    let new = NewOidcClient {
        name: body.name,
        redirect_uris: body.redirect_uris,
        settings,
    };
    let made = domain::create(&c, state.rng.as_ref(), &new).await?;
    if let Some(found) = forced {
        audit_forced(&c, made.client.name.as_str(), &new.settings, &found).await;
    }
    Ok((
        StatusCode::CREATED,
        Json(OidcSecretView {
            client: view(&state, &made.client),
            client_secret: made.secret,
        }),
    )
        .into_response())
}

/// One client: settings, issuer and discovery URL; never the secret nor its hash.
#[utoipa::path(get, path = "/api/v1/oidc/clients/{name}", tag = "oidc",
    params(("name" = String, Path, description = NAME_PARAM, pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = OidcClientView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path(name): Path<String>,
) -> Result<Json<OidcClientView>, ApiError> {
    let c = domain::load(&state.store, &name).await?;
    Ok(Json(view(&state, &c)))
}

/// Changes settings: redirect URIs, scopes, token lifetimes, `initiate_login_uri`, the access and
/// role rules, how `sub` is made. All or nothing: one bad value stores none. The departments, tags
/// and members `access` or `role_rules` name are checked against WeCom first (409 with the names
/// unless `force: true`, which is audited).
#[utoipa::path(patch, path = "/api/v1/oidc/clients/{name}", tag = "oidc", request_body = OidcPatchRequest,
    params(("name" = String, Path, description = NAME_PARAM, pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = OidcClientView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "WeCom does not know a name the rules name, or could not be asked", body = NamesRefusedBody)))]
async fn patch(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<OidcPatchRequest>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let cx = ctx(&state, &actor, &ip);
    let changes = &body.settings.0;
    let before = domain::load(&state.store, &name).await?;
    domain::check_settings(&before, changes)?;
    let forced = match directory::settings_gate(&state, changes, body.force).await? {
        Ok(f) => f,
        Err(r) => return Ok(directory::names_refused(&r.field, &r.found)),
    };
    let c = domain::update_settings(&cx, &name, changes).await?;
    if let Some(found) = forced {
        audit_forced(&cx, &name, changes, &found).await;
    }
    Ok(Json(view(&state, &c)).into_response())
}

/// Gives a confidential client a new secret, shown in this answer only; the old one stops working
/// at once. A public client has none (400).
#[utoipa::path(post, path = "/api/v1/oidc/clients/{name}/secret", tag = "oidc",
    params(("name" = String, Path, description = NAME_PARAM, pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = OidcSecretView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<Json<OidcSecretView>, ApiError> {
    let actor = a.actor();
    let (c, secret) =
        domain::rotate_secret(&ctx(&state, &actor, &ip), state.rng.as_ref(), &name).await?;
    Ok(Json(OidcSecretView {
        client: view(&state, &c),
        client_secret: Some(secret),
    }))
}

/// Deletes a client (and the pairwise subjects it had).
#[utoipa::path(delete, path = "/api/v1/oidc/clients/{name}", tag = "oidc",
    params(("name" = String, Path, description = NAME_PARAM, pattern = "^[a-z0-9-]{1,64}$")),
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
