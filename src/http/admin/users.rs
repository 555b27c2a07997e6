//! The account directory over the JSON API: `/api/v1/users` (search, view with recent logins,
//! create, edit, bind/unbind, one-time bind codes, CSV import and export). Thin over
//! [`crate::admin::users`]; the console pages are in `users_console.rs`.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{
    int_param, or_empty, rfc3339, ApiError, ApiJson, ApiQuery, ErrorBody, ErrorDetail,
};
use super::auth::ApiAdmin;
use super::directory::NamesRefusedBody;
use crate::admin::users::{self as domain, ImportError, Profile, SearchInput, UserRecord};
use crate::admin::wecom_names::{self, Gate, Named, NamesCheck};
use crate::admin::AdminError;
use crate::identity::directory;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// Largest CSV import (the rest of the API keeps the server's default cap).
pub(super) const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/export", get(export))
        .route(
            "/users/import",
            post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/users/{username}", get(show).patch(update))
        .route("/users/{username}/binding", put(bind).delete(unbind))
        .route("/users/{username}/bind-code", post(bind_code))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, show, create, update, bind, unbind, bind_code, import, export),
    components(schemas(
        UserView,
        BindingView,
        UserList,
        UserDetail,
        LoginView,
        NewUser,
        UserChange,
        BindTo,
        BindCode,
        ImportDone,
        ImportRefused,
        UserStatus
    ))
)]
pub(super) struct UsersApi;

/// A WeCom binding (named `AccountBinding` in the document: `BindingView` is the binding settings).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AccountBinding)]
pub struct BindingView {
    /// WeCom userid (账号).
    pub userid: String,
    /// `auto`, `manual`, `admin` or `created`.
    pub how: String,
    /// When (RFC 3339).
    pub bound_at: String,
}

/// An account (never its password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Unique login name.
    pub username: String,
    /// Stable internal ID.
    pub id: String,
    /// Display name (姓名).
    pub display_name: String,
    /// Email.
    pub email: Option<String>,
    /// Mobile (手机).
    pub mobile: Option<String>,
    /// Employee number (工号).
    pub employee_no: Option<String>,
    /// Groups.
    pub groups: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// The WeCom member bound to it.
    pub binding: Option<BindingView>,
    /// Whether a bind password is set.
    pub has_password: bool,
    /// Bind passwords refused until (RFC 3339), after too many failures.
    pub locked_until: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        let a = &u.account;
        Self {
            username: a.username.clone(),
            id: a.id.clone(),
            display_name: a.display_name.clone(),
            email: a.email.clone(),
            mobile: a.mobile.clone(),
            employee_no: a.employee_no.clone(),
            groups: directory::groups(a),
            status: a.status.as_str().to_string(),
            binding: u.binding.as_ref().map(|b| BindingView {
                userid: b.userid.clone(),
                how: b.how.clone(),
                bound_at: rfc3339(b.bound_at),
            }),
            has_password: a.password_hash.is_some(),
            locked_until: a.locked_until.map(rfc3339),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// Search parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    /// Text in username, display name, email, mobile, employee number or bound WeCom userid (at
    /// most 128 characters).
    #[param(max_length = 128)]
    q: Option<String>,
    /// `active` or `disabled`.
    #[param(schema_with = status_param)]
    status: Option<String>,
    /// Accounts per page, 1–500 (default 50).
    #[param(schema_with = limit_param)]
    limit: Option<String>,
    /// Accounts to skip.
    #[param(schema_with = offset_param)]
    offset: Option<String>,
}

/// An account's status.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the vocabulary of the `status` fields (checked by the domain)
#[schema(rename_all = "lowercase")]
pub(super) enum UserStatus {
    Active,
    Disabled,
}

/// The schema of a `groups` field: group names of at most 64 characters, without `;`, commas,
/// quotes or control characters.
fn groups_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[^;,\"\\x00-\\x1f\\x7f-\\x9f]*$"))
        .max_length(Some(64));
    ArrayBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Array,
            utoipa::openapi::schema::Type::Null,
        ]))
        .items(name)
        .into()
}

fn status_param() -> utoipa::openapi::schema::Schema {
    or_empty(utoipa::openapi::Ref::from_schema_name("UserStatus"))
}

fn limit_param() -> utoipa::openapi::schema::Schema {
    int_param(1, domain::MAX_LIMIT)
}

fn offset_param() -> utoipa::openapi::schema::Schema {
    int_param(0, i64::MAX)
}

/// A whole number from a query parameter, or a field error.
pub(super) fn number(field: &str, v: &Option<String>) -> Result<Option<i64>, AdminError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| AdminError::invalid(field, format!("`{s}` is not a whole number"))),
    }
}

impl UserParams {
    pub(super) fn input(&self) -> Result<SearchInput, AdminError> {
        Ok(SearchInput {
            q: self.q.clone(),
            status: self.status.clone(),
            limit: number("limit", &self.limit)?,
            offset: number("offset", &self.offset)?,
        })
    }
}

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// By username.
    pub users: Vec<UserView>,
    /// Pass as `offset` for the next page; absent on the last page.
    pub next_offset: Option<i64>,
}

/// The corp ID in force (the console's over the configuration's). Logins key bindings by it, so the
/// console and the API must too: after a corp ID change in the console, a binding keyed to the
/// configuration's corp would never be found by a login.
pub(super) async fn corp_id(state: &AppState) -> Result<String, AdminError> {
    crate::settings::corp_id(&state.config, &state.store)
        .await
        .map_err(|e| match e {
            crate::settings::SettingsError::Store(e) => AdminError::Store(e),
            e => AdminError::invalid("", e.to_string()),
        })
}

/// Searches accounts (by username).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserParams),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _a: ApiAdmin,
    ApiQuery(p): ApiQuery<UserParams>,
) -> Result<Json<UserList>, ApiError> {
    let page = domain::search(&state.store, &corp_id(&state).await?, &p.input()?).await?;
    Ok(Json(UserList {
        users: page.users.iter().map(UserView::from).collect(),
        next_offset: page.more.then_some(page.offset + page.limit),
    }))
}

/// A login attempt from the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    /// When (RFC 3339).
    pub at: String,
    /// App.
    pub app: Option<String>,
    /// `success`, `refused` or `error`.
    pub result: String,
    /// Why.
    pub reason: String,
    /// Client IP.
    pub client_ip: Option<String>,
}

/// An account with its recent logins.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    /// The account.
    #[serde(flatten)]
    pub user: UserView,
    /// The bound member's latest login attempts (newest first, up to 20).
    pub recent_logins: Vec<LoginView>,
}

/// One account, its binding and its member's recent logins.
#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "users",
    params(("username" = String, Path, description = "account username", pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$")),
    responses((status = 200, body = UserDetail), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    _a: ApiAdmin,
    Path(username): Path<String>,
) -> Result<Json<UserDetail>, ApiError> {
    let rec = domain::get(&state.store, &corp_id(&state).await?, &username).await?;
    let logins = match rec.userid() {
        Some(u) => domain::recent_logins(&state.store, u, 20).await?,
        None => Vec::new(),
    };
    Ok(Json(UserDetail {
        user: UserView::from(&rec),
        recent_logins: logins
            .iter()
            .map(|e| LoginView {
                at: rfc3339(e.row.at),
                app: e.row.app.clone(),
                result: e.row.result.to_string(),
                reason: e.row.reason.clone(),
                client_ip: e.row.client_ip.map(|ip| ip.to_string()),
            })
            .collect(),
    }))
}

/// An account to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1–64 characters, no commas, quotes, control characters or spaces at the ends.
    #[schema(
        pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$",
        min_length = 1,
        max_length = 64
    )]
    pub username: String,
    /// Display name (at most 128 characters, no commas, quotes or control characters).
    #[schema(pattern = "^[^,\"\\x00-\\x1f\\x7f-\\x9f]*$", max_length = 128)]
    pub display_name: Option<String>,
    /// Email (with an `@`; at most 254 characters, no commas or quotes).
    #[schema(
        pattern = "^([^,\"\\x00-\\x1f\\x7f-\\x9f]*@[^,\"\\x00-\\x1f\\x7f-\\x9f]*)?$",
        max_length = 254
    )]
    pub email: Option<String>,
    /// Mobile: digits, `+`, `-` and spaces, at most 32.
    #[schema(pattern = "^[0-9+ -]{0,32}$")]
    pub mobile: Option<String>,
    /// Employee number (at most 64 characters, no commas, quotes or control characters).
    #[schema(pattern = "^[^,\"\\x00-\\x1f\\x7f-\\x9f]*$", max_length = 64)]
    pub employee_no: Option<String>,
    /// Groups (each at most 64 characters, no `;`, commas, quotes or control characters).
    #[schema(schema_with = groups_schema)]
    pub groups: Option<Vec<String>>,
    /// `active` (default) or `disabled`.
    #[schema(value_type = Option<UserStatus>)]
    pub status: Option<String>,
}

/// Fields to change: absent = unchanged, `""` = cleared.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// Display name (at most 128 characters, no commas, quotes or control characters).
    #[schema(pattern = "^[^,\"\\x00-\\x1f\\x7f-\\x9f]*$", max_length = 128)]
    pub display_name: Option<String>,
    /// Email (with an `@`; at most 254 characters, no commas or quotes).
    #[schema(
        pattern = "^([^,\"\\x00-\\x1f\\x7f-\\x9f]*@[^,\"\\x00-\\x1f\\x7f-\\x9f]*)?$",
        max_length = 254
    )]
    pub email: Option<String>,
    /// Mobile: digits, `+`, `-` and spaces, at most 32.
    #[schema(pattern = "^[0-9+ -]{0,32}$")]
    pub mobile: Option<String>,
    /// Employee number (at most 64 characters, no commas, quotes or control characters).
    #[schema(pattern = "^[^,\"\\x00-\\x1f\\x7f-\\x9f]*$", max_length = 64)]
    pub employee_no: Option<String>,
    /// Groups (replaces the list; each at most 64 characters, no `;`, commas, quotes or control
    /// characters).
    #[schema(schema_with = groups_schema)]
    pub groups: Option<Vec<String>>,
    /// `active` or `disabled` (disabling ends the member's sessions).
    #[schema(value_type = Option<UserStatus>)]
    pub status: Option<String>,
}

/// Creates an account (unbound).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(b): ApiJson<NewUser>,
) -> Result<Response, ApiError> {
    let profile = Profile {
        display_name: b.display_name,
        email: b.email,
        mobile: b.mobile,
        employee_no: b.employee_no,
        groups: b.groups,
        status: b.status,
    };
    let rec = domain::create(
        &state.store,
        &a.actor(),
        state.clock.unix(),
        state.rng.as_ref(),
        &b.username,
        &profile,
        ip.0,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&rec))).into_response())
}

/// Changes an account's profile, groups or status.
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", request_body = UserChange,
    params(("username" = String, Path, description = "account username", pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<UserChange>,
) -> Result<Json<UserView>, ApiError> {
    let profile = Profile {
        display_name: b.display_name,
        email: b.email,
        mobile: b.mobile,
        employee_no: b.employee_no,
        groups: b.groups,
        status: b.status,
    };
    let rec = domain::update(
        &state.store,
        &corp_id(&state).await?,
        &a.actor(),
        state.clock.unix(),
        &username,
        &profile,
        ip.0,
    )
    .await?;
    Ok(Json(UserView::from(&rec)))
}

/// The member to bind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindTo {
    /// WeCom userid (账号): 1–64 letters, digits, `_ - . @`.
    #[schema(pattern = "^\\s*[A-Za-z0-9_.@-]{1,64}\\s*$")]
    pub userid: String,
    /// Bind even though WeCom has no such member (or the WeCom app cannot see them), or could not
    /// be asked (audited with what the check found).
    pub force: Option<bool>,
}

/// How a bind with the WeCom check ended.
pub(super) enum Bound {
    /// Bound (perhaps in spite of the check, which is then audited).
    Yes(Box<UserRecord>),
    /// Not bound: WeCom does not know the userid, or could not be asked.
    Refused(NamesCheck),
}

/// Binds the account once WeCom confirms the userid is a member the WeCom app can see (a binding
/// to anyone else is never used by a login), unless `force`.
pub(super) async fn bind_checked(
    state: &AppState,
    actor: &crate::admin::Actor,
    username: &str,
    userid: &str,
    force: Option<bool>,
    ip: Option<IpAddr>,
) -> Result<Bound, AdminError> {
    let userid = userid.trim();
    crate::admin::auth::check_userid(userid)?;
    let corp = corp_id(state).await?;
    // An unknown account is the first thing to say, before WeCom is asked.
    domain::get(&state.store, &corp, username).await?;
    let forced = match super::directory::gate(state, &[Named::User(userid.into())], force).await? {
        Gate::Go => None,
        Gate::Forced(found) => Some(found),
        Gate::Refused(found) => return Ok(Bound::Refused(found)),
    };
    let now = state.clock.unix();
    let rec = domain::bind(&state.store, &corp, actor, now, username, userid, ip).await?;
    if let Some(found) = forced {
        wecom_names::audit_forced(
            &state.store,
            now,
            wecom_names::ForcedSave {
                actor,
                what: "binding",
                app: None,
                userid: Some(userid),
                found: &found,
                ip,
            },
        )
        .await;
    }
    Ok(Bound::Yes(Box::new(rec)))
}

/// Binds the account to a WeCom member (both must be unbound). WeCom is asked first: a userid it
/// does not know (or that the WeCom app cannot see) binds nothing and answers 409
/// `rules_unknown_in_wecom`, unless `force: true` (audited).
#[utoipa::path(put, path = "/api/v1/users/{username}/binding", tag = "users", request_body = BindTo,
    params(("username" = String, Path, description = "account username", pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$")),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "either side is bound already (`conflict`), or WeCom does not know the userid or could not be asked", body = NamesRefusedBody)))]
async fn bind(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<BindTo>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    match bind_checked(&state, &actor, &username, &b.userid, b.force, ip.0).await? {
        Bound::Yes(rec) => Ok(Json(UserView::from(rec.as_ref())).into_response()),
        Bound::Refused(found) => Ok(super::directory::names_refused("userid", &found)),
    }
}

/// Removes the account's binding; the member's sessions end.
#[utoipa::path(delete, path = "/api/v1/users/{username}/binding", tag = "users",
    params(("username" = String, Path, description = "account username", pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unbind(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    domain::unbind(
        &state.store,
        &corp_id(&state).await?,
        &a.actor(),
        state.clock.unix(),
        &username,
        ip.0,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time bind code, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindCode {
    /// The code the member types on the bind page.
    pub code: String,
    /// Valid until (RFC 3339).
    pub expires_at: String,
}

/// Issues a one-time bind code (24 hours; replaces an earlier one). Only its hash is stored.
#[utoipa::path(post, path = "/api/v1/users/{username}/bind-code", tag = "users",
    params(("username" = String, Path, description = "account username", pattern = "^[^\\s,\"\\x00-\\x1f\\x7f-\\x9f]([^,\"\\x00-\\x1f\\x7f-\\x9f]{0,62}[^\\s,\"\\x00-\\x1f\\x7f-\\x9f])?$")),
    responses((status = 201, body = BindCode), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn bind_code(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let (code, expires_at) = domain::issue_code(
        &state.store,
        &corp_id(&state).await?,
        &a.actor(),
        state.clock.unix(),
        state.rng.as_ref(),
        &username,
        ip.0,
    )
    .await?;
    let body = BindCode {
        code,
        expires_at: rfc3339(expires_at),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDone {
    /// New accounts.
    pub created: usize,
    /// Existing accounts updated (by username).
    pub updated: usize,
}

/// An import refused: the usual error body plus every line at fault (nothing was imported).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRefused {
    /// What went wrong.
    pub error: ErrorDetail,
    /// `line N: …`, one per line at fault.
    pub lines: Vec<String>,
}

/// Imports accounts from CSV (`Content-Type: text/csv`; header
/// `username,display_name,email,mobile,employee_no,status`). Every line is checked first; any
/// error imports nothing and lists every line at fault. Existing accounts (by username) are updated
/// and keep their password, groups and binding.
#[utoipa::path(post, path = "/api/v1/users/import", tag = "users",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportDone), (status = 400, body = ImportRefused),
              (status = 401, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/csv"));
    if !csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the CSV file as the body with `Content-Type: text/csv`",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::invalid("body", "the CSV file is not UTF-8: save it as UTF-8"))?;
    match domain::import(
        &state.store,
        &a.actor(),
        state.clock.unix(),
        state.rng.as_ref(),
        text,
        ip.0,
    )
    .await
    {
        Ok(done) => Ok(Json(ImportDone {
            created: done.created,
            updated: done.updated,
        })
        .into_response()),
        Err(ImportError::Lines(lines)) => Ok((
            StatusCode::BAD_REQUEST,
            Json(ImportRefused {
                error: ErrorDetail {
                    code: "invalid".into(),
                    message: format!(
                        "{} line(s) are wrong; nothing was imported: {}",
                        lines.len(),
                        lines.join("; ")
                    ),
                    field: Some("body".into()),
                },
                lines,
            }),
        )
            .into_response()),
        Err(ImportError::Admin(e)) => Err(e.into()),
    }
}

/// A CSV download.
pub(super) fn csv_download(body: String, filename: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(filename),
    );
    r
}

/// Every account as CSV, in the import format. Cells a spreadsheet would run as formulas (`=`, `+`,
/// `-`, `@`, tab, CR first) start with `'`; the import strips it again.
#[utoipa::path(get, path = "/api/v1/users/export", tag = "users",
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 401, body = ErrorBody)))]
async fn export(State(state): State<AppState>, _a: ApiAdmin) -> Result<Response, ApiError> {
    Ok(csv_download(
        domain::export(&state.store).await?,
        "attachment; filename=\"wecom-idp-users.csv\"",
    ))
}
