//! An app's SCIM bearer token over HTTP, write-only: the API `/api/v1/apps/{name}/scim-token`
//! (set or replace with PUT, clear with DELETE, GET says only whether one is set and since when)
//! and the console's form on the app page (`POST /admin/apps/{name}/scim-token`). The token is
//! sealed under the master key by [`crate::provision::set_token`], as `scim_token_file` on the
//! command line is; no answer, page or log line ever carries it.

use super::super::flow::redirect;
use super::super::{AppState, ClientIp};
use super::api::{rfc3339, ApiError, ApiJson, ErrorBody};
use super::apps_forms::Errors;
use super::apps_page::render_app;
use super::auth::{chrome, ApiAdmin, ConsoleAdmin};
use crate::admin::apps as domain;
use crate::admin::{Actor, AdminError};
use crate::apps::App;
use crate::http::error::WebError;
use crate::provision::client::{Retry, ScimToken};
use crate::provision::{self, ProvisionError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/apps/{name}/scim-token", post(token_form))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new().route("/apps/{name}/scim-token", get(show).put(set).delete(clear))
}

#[derive(OpenApi)]
#[openapi(
    paths(show, set, clear),
    components(schemas(ScimTokenView, ScimTokenRequest))
)]
pub(super) struct ScimTokenApi;

/// Whether the app has a SCIM token; never the token.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScimTokenView {
    /// A token is set.
    pub set: bool,
    /// When it was set (RFC 3339), when one is.
    pub set_at: Option<String>,
}

/// The bearer token the app's SCIM endpoint expects.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScimTokenRequest {
    /// One line of printable ASCII without spaces (surrounding whitespace is dropped), at most
    /// 8192 characters.
    #[schema(min_length = 1, max_length = 8192)]
    pub token: String,
}

impl From<ProvisionError> for ApiError {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::Store(e) => e.into(),
            ProvisionError::Invalid(m) => ApiError::invalid("token", m),
            e => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
        }
    }
}

/// The token's state as an answer.
async fn view(state: &AppState, app: &App) -> Result<ScimTokenView, ApiError> {
    let at = state.store.scim_token_set_at(app.name.as_str()).await?;
    Ok(ScimTokenView {
        set: at.is_some(),
        set_at: at.map(rfc3339),
    })
}

/// Who acts, and from where (the audit rows say both).
#[derive(Debug, Clone)]
struct By {
    actor: Actor,
    ip: ClientIp,
}

/// The provisioning context of a request; the master key must be configured.
fn ctx<'a>(state: &'a AppState, by: &'a By) -> Result<provision::Ctx<'a>, ProvisionError> {
    let master_key = state
        .config
        .master_key()
        .map_err(|e| ProvisionError::NoMasterKey(e.to_string()))?;
    Ok(provision::Ctx {
        store: &state.store,
        master_key,
        now: state.clock.unix(),
        retry: Retry::default(),
        actor: &by.actor,
        ip: by.ip.0,
    })
}

/// Parses, seals and stores the token (audited without it).
async fn store_token(
    state: &AppState,
    by: &By,
    app: &App,
    text: &str,
) -> Result<(), ProvisionError> {
    let token = ScimToken::parse(text).map_err(ProvisionError::Invalid)?;
    provision::set_token(&ctx(state, by)?, app, &token, state.rng.as_ref()).await
}

/// Clears the token (audited).
async fn clear_token(state: &AppState, by: &By, app: &App) -> Result<(), ProvisionError> {
    provision::clear_token(&ctx(state, by)?, app)
        .await
        .map(|_| ())
}

/// Whether the app has a SCIM token, and since when (never the token).
#[utoipa::path(get, path = "/api/v1/apps/{name}/scim-token", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = ScimTokenView), (status = 400, description = "not an app name", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path(name): Path<String>,
) -> Result<Json<ScimTokenView>, ApiError> {
    let app = domain::load(&state.store, &name).await?;
    Ok(Json(view(&state, &app).await?))
}

/// Sets (or replaces) the app's SCIM bearer token: sealed under the master key, audited, never
/// shown again; the answer says only that one is set.
#[utoipa::path(put, path = "/api/v1/apps/{name}/scim-token", tag = "apps", request_body = ScimTokenRequest,
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = ScimTokenView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "no master key is configured to seal the token", body = ErrorBody)))]
async fn set(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ScimTokenRequest>,
) -> Result<Json<ScimTokenView>, ApiError> {
    let app = domain::load(&state.store, &name).await?;
    let by = By {
        actor: a.actor(),
        ip,
    };
    store_token(&state, &by, &app, &body.token).await?;
    Ok(Json(view(&state, &app).await?))
}

/// Clears the app's SCIM token (audited); provisioning runs stop until one is set again.
#[utoipa::path(delete, path = "/api/v1/apps/{name}/scim-token", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$")),
    responses((status = 200, body = ScimTokenView), (status = 400, description = "not an app name", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "no master key is configured", body = ErrorBody)))]
async fn clear(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<Json<ScimTokenView>, ApiError> {
    let app = domain::load(&state.store, &name).await?;
    let by = By {
        actor: a.actor(),
        ip,
    };
    clear_token(&state, &by, &app).await?;
    Ok(Json(view(&state, &app).await?))
}

// ---- the console's form ----

#[derive(Debug, Deserialize)]
struct TokenForm {
    csrf: String,
    /// `set` (also replaces) or `clear`.
    action: String,
    #[serde(default)]
    token: String,
}

/// The token form: set or replace (`action=set`), or clear. Back on the app page; a refused
/// token is said beside the field, never echoed.
async fn token_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    ip: ClientIp,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(f): Form<TokenForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let by = By {
        actor: admin.actor(),
        ip,
    };
    let done = match domain::load(&state.store, &name).await {
        Ok(app) if f.action == "clear" => clear_token(&state, &by, &app).await.map_err(refused),
        Ok(app) => store_token(&state, &by, &app, &f.token)
            .await
            .map_err(refused),
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => redirect(&format!("/admin/apps/{name}#provisioning")),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => {
            let c = chrome(&admin, &headers, "apps");
            render_app(&state, c, &name, Errors::of(e)?, None, None).await
        }
    }
}

/// A refusal as the form's error beside the token field (a store failure stays one).
fn refused(e: ProvisionError) -> AdminError {
    match e {
        ProvisionError::Store(e) => AdminError::Store(e),
        e => AdminError::invalid("scim_token", e.to_string()),
    }
}
