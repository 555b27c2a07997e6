//! Signing-key rollover over HTTP: the console page `/admin/keys` and the API `/api/v1/keys`
//! (list; add a `next` key; activate it; retire a `previous` or `next` key). Thin over
//! [`crate::admin::keys`].

use super::super::flow;
use super::super::AppState;
use super::super::ClientIp;
use super::api::{rfc3339, ApiError, ErrorBody};
use super::auth::{chrome, ApiAdmin, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::keys::{self as domain, KeyInfo, EXPIRY_WARNING_DAYS};
use crate::admin::{Actor, AdminError};
use crate::http::error::WebError;
use crate::keys::KeySource;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::{OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/keys", get(keys_page))
        .route("/admin/keys/add", post(add_form))
        .route("/admin/keys/activate", post(activate_form))
        .route("/admin/keys/retire", post(retire_form))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/keys", get(list).post(add))
        .route("/keys/{id}/activate", post(activate))
        .route("/keys/{id}/retire", post(retire))
}

#[derive(OpenApi)]
#[openapi(paths(list, add, activate, retire), components(schemas(KeyView)))]
pub(super) struct KeysApi;

/// A signing key (never its private key).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Stored ID (`file` for a configured key file).
    pub id: String,
    /// `next` (published, not signing yet), `active` (signs), `previous` (published, no longer
    /// signing) or `retired` (not published).
    pub state: String,
    /// Certificate subject.
    pub subject: String,
    /// Certificate valid from (RFC 3339).
    pub not_before: String,
    /// Certificate valid until (RFC 3339).
    pub not_after: String,
    /// SHA-256 of the certificate, `AB:CD:…`.
    pub fingerprint_sha256: String,
    /// Whether `/saml/metadata` lists it.
    pub published: bool,
    /// Whether the certificate expires within 90 days.
    pub expires_soon: bool,
    /// When it was made (RFC 3339).
    pub created_at: Option<String>,
    /// When it became active (RFC 3339).
    pub activated_at: Option<String>,
    /// When it was retired (RFC 3339).
    pub retired_at: Option<String>,
}

impl KeyView {
    fn of(k: &KeyInfo, now: i64) -> Self {
        Self {
            id: k.id.clone(),
            state: k.state.clone(),
            subject: k.subject.clone(),
            not_before: rfc3339(k.not_before),
            not_after: rfc3339(k.not_after),
            fingerprint_sha256: k.fingerprint.clone(),
            published: k.published,
            expires_soon: k.expires_soon(now),
            created_at: k.created_at.map(rfc3339),
            activated_at: k.activated_at.map(rfc3339),
            retired_at: k.retired_at.map(rfc3339),
        }
    }
}

/// The three steps, shared by the page and the API.
enum Step<'a> {
    Add,
    Activate(&'a str),
    Retire(&'a str),
}

async fn run(
    state: &AppState,
    actor: &Actor,
    step: Step<'_>,
    ip: Option<IpAddr>,
) -> Result<KeyInfo, AdminError> {
    let k = domain::KeyCtx {
        config: &state.config,
        store: &state.store,
        shared: &state.keys,
        actor,
        ip,
    };
    let now = state.clock.unix();
    match step {
        Step::Add => domain::add_next(k, state.clock.now(), state.rng.as_ref()).await,
        Step::Activate(id) => domain::activate(k, id, now).await,
        Step::Retire(id) => domain::retire(k, id, now).await,
    }
}

/// A key step asked through the API, answered with the key as it is now.
async fn stepped(
    state: &AppState,
    a: &ApiAdmin,
    ip: &ClientIp,
    step: Step<'_>,
) -> Result<Json<KeyView>, ApiError> {
    let k = run(state, &a.actor(), step, ip.0).await?;
    Ok(Json(KeyView::of(&k, state.clock.unix())))
}

// ---- API ----

/// Every signing key: the active one first, then next, previous, retired.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys",
    responses((status = 200, body = [KeyView]), (status = 401, body = ErrorBody)))]
async fn list(State(state): State<AppState>, _a: ApiAdmin) -> Result<Json<Vec<KeyView>>, ApiError> {
    let now = state.clock.unix();
    let keys = domain::list(&state.store, &state.keys).await?;
    Ok(Json(keys.iter().map(|k| KeyView::of(k, now)).collect()))
}

/// Step 1 of a rollover: generates a `next` key (RSA-2048, sealed under the master key), published
/// in the IdP metadata beside the active key at once. Give every SP the new metadata now.
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys",
    responses((status = 201, body = KeyView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 409, description = "a `next` key is already waiting", body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
) -> Result<Response, ApiError> {
    let k = run(&state, &a.actor(), Step::Add, ip.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(KeyView::of(&k, state.clock.unix())),
    )
        .into_response())
}

/// Step 2: the `next` key signs from now on; the old active key stays published as `previous`.
#[utoipa::path(post, path = "/api/v1/keys/{id}/activate", tag = "keys",
    params(("id" = String, Path, description = "key ID")),
    responses((status = 200, body = KeyView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "the key is not `next`", body = ErrorBody)))]
async fn activate(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    stepped(&state, &a, &ip, Step::Activate(&id)).await
}

/// Step 3: a `previous` (or unwanted `next`) key leaves the metadata and its private key is
/// erased. The active key cannot be retired.
#[utoipa::path(post, path = "/api/v1/keys/{id}/retire", tag = "keys",
    params(("id" = String, Path, description = "key ID")),
    responses((status = 200, body = KeyView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "the key is active, already retired, or stopped signing \
                                            too recently", body = ErrorBody)))]
async fn retire(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    stepped(&state, &a, &ip, Step::Retire(&id)).await
}

// ---- console page ----

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    c: Chrome,
    keys: Vec<KeyView>,
    from_files: bool,
    has_next: bool,
    /// The active certificate expires within 90 days: when (RFC 3339).
    expiry_warning: Option<String>,
    warning_days: i64,
    metadata_url: String,
    error: Option<String>,
}

async fn render(state: &AppState, c: Chrome, error: Option<String>) -> Result<Response, WebError> {
    let now = state.clock.unix();
    let infos = domain::list(&state.store, &state.keys)
        .await
        .map_err(console_error)?;
    let expiry_warning = infos
        .iter()
        .find(|k| k.state == "active" && k.expires_soon(now))
        .map(|k| rfc3339(k.not_after));
    let mut resp = page(&KeysPage {
        c,
        keys: infos.iter().map(|k| KeyView::of(k, now)).collect(),
        from_files: state.keys().source == KeySource::Files,
        has_next: infos.iter().any(|k| k.state == "next"),
        expiry_warning,
        warning_days: EXPIRY_WARNING_DAYS,
        metadata_url: format!("{}/saml/metadata", state.config.base()),
        error: error.clone(),
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

fn console_error(e: AdminError) -> WebError {
    match e {
        AdminError::Store(e) => e.into(),
        e => WebError::internal("signing keys", &e),
    }
}

async fn keys_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    render(&state, chrome(&admin, &headers, "keys"), None).await
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

#[derive(Debug, Deserialize)]
struct KeyForm {
    csrf: String,
    id: String,
}

async fn step_form(
    state: &AppState,
    admin: &ConsoleAdmin,
    headers: &HeaderMap,
    ip: &ClientIp,
    step: Step<'_>,
) -> Result<Response, WebError> {
    match run(state, &admin.actor(), step, ip.0).await {
        Ok(_) => flow::redirect("/admin/keys"),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render(state, chrome(admin, headers, "keys"), Some(e.message())).await,
    }
}

async fn add_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    step_form(&state, &admin, &headers, &ip, Step::Add).await
}

async fn activate_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<KeyForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    step_form(&state, &admin, &headers, &ip, Step::Activate(&f.id)).await
}

async fn retire_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<KeyForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    step_form(&state, &admin, &headers, &ip, Step::Retire(&f.id)).await
}
