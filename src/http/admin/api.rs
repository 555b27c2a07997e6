//! The JSON API's shared parts: the routes of every area under `/api/v1`, the one error body
//! (`{"error": {"code", "message", "field"}}`) every refusal uses, a JSON extractor whose rejections
//! use it too, and the OpenAPI document (`GET /api/v1/openapi.json`), generated from the handlers'
//! and types' annotations so it cannot drift from the code.

use super::super::AppState;
use super::auth::ApiAdmin;
use crate::admin::AdminError;
use crate::logsafe::Escaped;
use crate::store::StoreError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every route under `/api/v1` (each area adds its own here), and JSON 404s for the rest.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/me", get(me))
        .merge(super::access::api_routes())
        .merge(super::wecom::api_routes())
        .merge(super::verify_files::api_routes())
        .merge(super::directory::api_routes())
        .merge(super::apps::api_routes())
        .merge(super::scim_token::api_routes())
        .merge(super::keys::api_routes())
        .merge(super::audit::api_routes())
        .merge(super::users::api_routes())
        .merge(super::preview::api_routes())
        .merge(super::overview::api_routes())
        .merge(super::oidc_clients::api_routes())
        .fallback(not_found)
}

/// The OpenAPI document: the base (info, security, error body) merged with each area's paths.
pub fn document(public_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = BaseDoc::openapi();
    doc.merge(super::access::AccessApi::openapi());
    doc.merge(super::wecom::WecomApi::openapi());
    doc.merge(super::verify_files::VerifyFilesApi::openapi());
    doc.merge(super::directory::DirectoryApi::openapi());
    doc.merge(super::apps::AppsApi::openapi());
    doc.merge(super::scim_token::ScimTokenApi::openapi());
    doc.merge(super::keys::KeysApi::openapi());
    doc.merge(super::audit::AuditApi::openapi());
    doc.merge(super::users::UsersApi::openapi());
    doc.merge(super::preview::PreviewApi::openapi());
    doc.merge(super::overview::OverviewApi::openapi());
    doc.merge(super::oidc_clients::OidcClientsApi::openapi());
    add_common_responses(&mut doc);
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        public_url.trim_end_matches('/'),
    )]);
    doc
}

/// The refusals every operation can give, documented once here rather than on each handler: 400
/// (bad path, query or body), 401 (no valid token), 429 (rate limited) and, for operations with a
/// body, 415 (not JSON). All use [`ErrorBody`].
fn add_common_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            let r = &mut op.responses.responses;
            r.entry("400".into())
                .or_insert_with(|| error("the request is not valid; `field` names the culprit"));
            r.entry("401".into())
                .or_insert_with(|| error("no valid API token (Authorization: Bearer wip_…)"));
            r.entry("429".into())
                .or_insert_with(|| error("too many requests from this address; see Retry-After"));
            if has_body {
                r.entry("415".into())
                    .or_insert_with(|| error("the body is not JSON (Content-Type)"));
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wecom-idp admin API",
        version = "1",
        description = "Everything the admin console does, for automation. Authenticate with \
                       `Authorization: Bearer wip_…` (`wecom-idp admin token create --name NAME`). \
                       Every error has the body `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    paths(me),
    components(schemas(ErrorBody, ErrorDetail, Me)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct BaseDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wip_…")
                    .build(),
            ),
        );
    }
}

async fn openapi_json(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    Json(document(&state.config.public_url)).into_response()
}

/// The error body of every API refusal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for a program and for a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`invalid`, `not_found`, `conflict`, `unauthorized`, …).
    pub code: String,
    /// What is wrong and what to do, in English.
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An API refusal: status plus the one error body.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Message for people.
    pub message: String,
    /// Field at fault.
    pub field: Option<String>,
}

impl ApiError {
    /// An error without a field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 400 about one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid", message)
        }
    }

    /// A 401 (with `WWW-Authenticate: Bearer`).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
            },
        };
        let mut r = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if self.code == crate::http::error::DATABASE_UNAVAILABLE {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::http::error::RETRY_AFTER_SECS),
            );
        }
        r
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid { field, message } => Self {
                field: Some(field).filter(|f| !f.is_empty()),
                ..Self::new(StatusCode::BAD_REQUEST, "invalid", message)
            },
            AdminError::State { field, message } => Self {
                field: Some(field).filter(|f| !f.is_empty()),
                ..Self::new(StatusCode::CONFLICT, "conflict", message)
            },
            AdminError::NotFound(what) => Self::not_found(format!("{what} does not exist")),
            AdminError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            AdminError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Conflict(what) = e {
            return Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            );
        }
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable; the admin API answers 503");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                crate::http::error::DATABASE_UNAVAILABLE,
                "the database is unreachable right now; retry in a moment",
            );
        }
        tracing::error!(error = %Escaped(&e), "store failure in the admin API");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; the server log has the detail",
        )
    }
}

/// A JSON request body whose rejections (wrong content type, bad JSON, missing or mistyped field)
/// are [`ApiError`]s with the usual body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) => Err(match e {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with `Content-Type: application/json`",
                ),
                JsonRejection::JsonDataError(e) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid", e.body_text())
                }
                JsonRejection::JsonSyntaxError(e) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "bad_json", e.body_text())
                }
                e => ApiError::new(e.status(), "bad_request", e.body_text()),
            }),
        }
    }
}

/// Query parameters whose rejections are [`ApiError`]s with the usual body.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose rejections are [`ApiError`]s with the usual body.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

/// An axum extractor over request parts whose rejection becomes a 400 with the API's error body.
macro_rules! api_parts_extractor {
    ($ours:ident, $axum:ident) => {
        impl<T, S> axum::extract::FromRequestParts<S> for $ours<T>
        where
            T: serde::de::DeserializeOwned + Send,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, ApiError> {
                axum::extract::$axum::<T>::from_request_parts(parts, state)
                    .await
                    .map(|v| Self(v.0))
                    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", e.body_text()))
            }
        }
    };
}

api_parts_extractor!(ApiQuery, Query);
api_parts_extractor!(ApiPath, Path);

/// The schema of an optional query parameter that is also "any" when given empty (`?limit=`, as
/// the console's filter forms send): `schema`, or the empty string.
pub fn or_empty(
    schema: impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(schema)
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

/// A whole-number query parameter from `min` to `max` (or empty: "any").
pub fn int_param(min: i64, max: i64) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    or_empty(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max)),
    )
}

/// Unix seconds as RFC 3339 (UTC), the API's time format.
pub fn rfc3339(unix: i64) -> String {
    crate::admin::audit::utc(unix)
}

/// Who is calling.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The actor as the audit log records it (`token:NAME`).
    pub actor: String,
}

/// Who is calling (checks a token).
#[utoipa::path(get, path = "/api/v1/me", tag = "access",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(admin: ApiAdmin) -> Json<Me> {
    Json(Me {
        actor: admin.actor().label(),
    })
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such API route; see /api/v1/openapi.json")
}
