//! WeCom's domain-ownership files over HTTP: the API `/api/v1/wecom/verify-files` (list, upload,
//! remove) and the console's upload and remove forms on the WeCom page (`/admin/wecom`). Thin over
//! [`crate::admin::verify_files`]; the files themselves are served by `http/verify_file.rs`.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{rfc3339, ApiError, ApiJson, ErrorBody};
use super::apps_forms::{csrf_fields, field};
use super::auth::ApiAdmin;
use super::auth::{chrome, ConsoleAdmin};
use crate::admin::verify_files::{self as domain, VerifyCtx, VerifyFile};
use crate::admin::Actor;
use crate::admin::AdminError;
use crate::http::error::WebError;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::{OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/wecom/verify-files", post(upload_form))
        .route("/admin/wecom/verify-files/remove", post(remove_form))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/wecom/verify-files", get(list).post(add))
        .route("/wecom/verify-files/{name}", delete(remove))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, add, remove),
    components(schemas(VerifyFileView, VerifyFileUpload))
)]
pub(super) struct VerifyFilesApi;

/// A WeCom domain-ownership file, served at `{public_url}/{name}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyFileView {
    /// `WW_verify_<code>.txt`.
    pub name: String,
    /// The content, exactly as served.
    pub content: String,
    /// The path it is served at (`/WW_verify_<code>.txt`).
    pub path: String,
    /// When it was uploaded (RFC 3339).
    pub created_at: String,
}

impl From<VerifyFile> for VerifyFileView {
    fn from(f: VerifyFile) -> Self {
        Self {
            path: format!("/{}", f.name),
            name: f.name,
            content: f.content,
            created_at: rfc3339(f.created_at),
        }
    }
}

/// An upload: the file's name and content as WeCom offers them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyFileUpload {
    /// `WW_verify_` + letters/digits + `.txt`, as WeCom names it.
    #[schema(pattern = "^WW_verify_[A-Za-z0-9]{1,64}\\.txt$")]
    pub name: String,
    /// The file's content: a short printable token (at most 128 bytes, one final line break
    /// allowed).
    #[schema(max_length = 128)]
    pub content: String,
}

pub(super) fn ctx<'a>(state: &'a AppState, actor: &'a Actor, ip: Option<IpAddr>) -> VerifyCtx<'a> {
    VerifyCtx {
        store: &state.store,
        now: state.clock.unix(),
        actor,
        ip,
    }
}

/// Every uploaded ownership file.
#[utoipa::path(get, path = "/api/v1/wecom/verify-files", tag = "wecom",
    responses((status = 200, body = [VerifyFileView]), (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<Vec<VerifyFileView>>, ApiError> {
    let files = domain::list(&state.store).await?;
    Ok(Json(files.into_iter().map(Into::into).collect()))
}

/// Uploads WeCom's ownership file; every instance serves it at `/{name}` at once (audited).
#[utoipa::path(post, path = "/api/v1/wecom/verify-files", tag = "wecom",
    request_body = VerifyFileUpload,
    responses((status = 201, body = VerifyFileView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 409, description = "a file of that name exists, or too many files",
               body = ErrorBody)))]
async fn add(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<VerifyFileUpload>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let f = domain::add(
        ctx(&state, &actor, ip.0),
        &body.name,
        body.content.as_bytes(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(VerifyFileView::from(f))).into_response())
}

/// Removes an ownership file (audited); its path answers 404 from then on.
#[utoipa::path(delete, path = "/api/v1/wecom/verify-files/{name}", tag = "wecom",
    params(("name" = String, Path, description = "`WW_verify_<code>.txt`")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let actor = a.actor();
    domain::remove(ctx(&state, &actor, ip.0), &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- console forms (the list is on the WeCom page) ----

/// A refusal shown beside the upload form: what is wrong and how to fix it.
fn shown(e: AdminError) -> Result<AdminError, WebError> {
    match e {
        AdminError::Store(e) => Err(e.into()),
        e => Ok(AdminError::invalid("verify_file", e.message())),
    }
}

/// The upload form: the chosen file's own name and bytes.
async fn upload_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = csrf_fields(&admin, mp).await?;
    let c = chrome(&admin, &headers, "wecom");
    let name = field(&f, "file_name").to_string();
    let bytes = f.get("file").map(Vec::as_slice).unwrap_or_default();
    let actor = admin.actor();
    match domain::add(ctx(&state, &actor, ip.0), &name, bytes).await {
        Ok(_) => super::wecom_console::render(&state, c, None, None, true).await,
        Err(e) => super::wecom_console::render(&state, c, None, Some(shown(e)?), false).await,
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    csrf: String,
    name: String,
}

async fn remove_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<RemoveForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "wecom");
    let actor = admin.actor();
    match domain::remove(ctx(&state, &actor, ip.0), &f.name).await {
        Ok(()) => super::wecom_console::render(&state, c, None, None, true).await,
        Err(e) => super::wecom_console::render(&state, c, None, Some(shown(e)?), false).await,
    }
}
