//! The audit log over HTTP: the console page `/admin/audit` (filter form, table, paging, CSV export
//! link) and the API `/api/v1/audit` (JSON pages, newest first) and `/api/v1/audit/export` (CSV, same
//! filters, formula-safe). Thin over [`crate::admin::audit`].

use super::super::AppState;
use super::api::{int_param, or_empty, rfc3339, ApiError, ApiQuery, ErrorBody};
use super::auth::{chrome, ApiAdmin, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::audit::{self as domain, FilterInput};
use crate::admin::AdminError;
use crate::http::error::WebError;
use crate::store::{self, AuditEntry};
use crate::text;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(audit_page))
        .route("/admin/audit/export.csv", get(console_export))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(search))
        .route("/audit/export", get(export))
}

#[derive(OpenApi)]
#[openapi(
    paths(search, export),
    components(schemas(AuditView, AuditPageView, AuditResult, AuditEvent))
)]
pub(super) struct AuditApi;

/// The filters, as query parameters. Empty means "any". The fields stay text (the console's filter
/// form sends empty ones); the documented schemas are what the checks below accept.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// App name.
    app: Option<String>,
    /// WeCom userid.
    userid: Option<String>,
    /// `success`, `refused`, `error` or `pending`.
    #[param(schema_with = result_param)]
    result: Option<String>,
    /// Event (`login`, `admin_login`, `user_update`, `key_activate`, …).
    #[param(schema_with = event_param)]
    event: Option<String>,
    /// From: RFC 3339, `YYYY-MM-DD` (UTC) or Unix seconds (0–253402300799).
    #[param(schema_with = time_param)]
    since: Option<String>,
    /// To (exclusive; a date includes that whole day, UTC); after `since`.
    #[param(schema_with = time_param)]
    until: Option<String>,
    /// Rows older than this ID: the `next_before_id` of the previous page.
    #[param(schema_with = before_id_param)]
    before_id: Option<String>,
    /// Rows per page, 1–1000 (default 100).
    #[param(schema_with = limit_param)]
    limit: Option<String>,
}

/// The `result` of an audit row in the document: the words of [`store::AuditResult`], so the
/// document lists every result the log can hold.
struct AuditResult;

impl utoipa::PartialSchema for AuditResult {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        words_schema(store::AuditResult::ALL.iter().map(|r| r.as_str())).into()
    }
}

impl ToSchema for AuditResult {
    fn name() -> std::borrow::Cow<'static, str> {
        "AuditResult".into()
    }
}

/// The `event` of an audit row in the document: the words of [`store::AuditKind`].
struct AuditEvent;

impl utoipa::PartialSchema for AuditEvent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        words_schema(store::AuditKind::ALL.iter().map(|k| k.as_str())).into()
    }
}

impl ToSchema for AuditEvent {
    fn name() -> std::borrow::Cow<'static, str> {
        "AuditEvent".into()
    }
}

/// A string that is one of `words`.
fn words_schema<'a>(words: impl Iterator<Item = &'a str>) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words))
        .into()
}

fn result_param() -> utoipa::openapi::schema::Schema {
    or_empty(utoipa::openapi::Ref::from_schema_name("AuditResult"))
}

fn event_param() -> utoipa::openapi::schema::Schema {
    or_empty(utoipa::openapi::Ref::from_schema_name("AuditEvent"))
}

fn before_id_param() -> utoipa::openapi::schema::Schema {
    int_param(1, i64::MAX)
}

fn limit_param() -> utoipa::openapi::schema::Schema {
    int_param(1, domain::MAX_LIMIT)
}

/// A time filter's schema (empty: any): a date (UTC), an RFC 3339 instant or Unix seconds.
fn time_param() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    let text = |f| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(f)))
    };
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .item(text(KnownFormat::Date))
        .item(text(KnownFormat::DateTime))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(domain::MAX_UNIX)),
        )
        .into()
}

fn number(field: &str, v: &Option<String>) -> Result<Option<i64>, AdminError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| AdminError::invalid(field, format!("`{s}` is not a whole number"))),
    }
}

impl AuditParams {
    fn input(&self) -> Result<FilterInput, AdminError> {
        Ok(FilterInput {
            app: self.app.clone(),
            userid: self.userid.clone(),
            result: self.result.clone(),
            event: self.event.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            before_id: number("before_id", &self.before_id)?,
            limit: number("limit", &self.limit)?,
        })
    }

    /// The filters as a query string, without paging (for the next page and export links).
    fn filter_query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("app", &self.app),
            ("userid", &self.userid),
            ("result", &self.result),
            ("event", &self.event),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

/// One audit row.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    /// Row ID (increases with time).
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What happened (`login`, `user_bind`, `key_activate`, …).
    #[schema(value_type = AuditEvent)]
    pub event: String,
    /// App, when there was one.
    pub app: Option<String>,
    /// WeCom userid, when known.
    pub userid: Option<String>,
    /// `success`, `refused`, `error` or `pending`.
    #[schema(value_type = AuditResult)]
    pub result: String,
    /// Machine-readable reason.
    pub reason: String,
    /// Who made an admin change: `wecom:USERID`, `token:NAME` or `shell`.
    pub actor: Option<String>,
    /// Client IP.
    pub client_ip: Option<String>,
    /// SAML request ID.
    pub request_id: Option<String>,
    /// An admin change's detail (before/after), as JSON.
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        let r = &e.row;
        Self {
            id: e.id,
            at: rfc3339(r.at),
            event: r.event.to_string(),
            app: r.app.clone(),
            userid: r.userid.clone(),
            result: r.result.to_string(),
            reason: r.reason.clone(),
            actor: r.actor.clone(),
            client_ip: r.client_ip.map(|ip| ip.to_string()),
            request_id: r.request_id.clone(),
            detail: r.detail.as_deref().map(|d| {
                serde_json::from_str(d).unwrap_or_else(|_| serde_json::Value::String(d.into()))
            }),
        }
    }
}

/// A page of audit rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    /// Newest first.
    pub entries: Vec<AuditView>,
    /// Pass as `before_id` for the next (older) page; absent on the last page.
    pub next_before_id: Option<i64>,
}

/// Audit rows matching the filters, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPageView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    _a: ApiAdmin,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditPageView>, ApiError> {
    let q = domain::query(&p.input()?)?;
    let page = domain::page(&state.store, &q).await?;
    Ok(Json(AuditPageView {
        entries: page.entries.iter().map(AuditView::from).collect(),
        next_before_id: page.next_before_id,
    }))
}

fn csv_response(body: String) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"wecom-idp-audit.csv\""),
    );
    r
}

/// Every audit row matching the filters as CSV (newest first, up to 100 000 rows; cells a
/// spreadsheet would run as formulas start with `'`).
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(AuditParams),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    _a: ApiAdmin,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Response, ApiError> {
    let q = domain::query(&p.input()?)?;
    Ok(csv_response(domain::export(&state.store, &q).await?))
}

// ---- console page ----

/// A row as the table shows it: the codes with their labels in the admin's language.
struct Line {
    e: AuditView,
    event: String,
    result: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    c: Chrome,
    f: AuditParams,
    results: Vec<(&'static str, String)>,
    lines: Vec<Line>,
    next_url: Option<String>,
    export_url: String,
    error: Option<String>,
}

async fn audit_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Query(f): Query<AuditParams>,
) -> Result<Response, WebError> {
    let c = chrome(&admin, &headers, "audit");
    let fq = f.filter_query();
    let found = match f.input().and_then(|i| domain::query(&i)) {
        Ok(q) => domain::page(&state.store, &q).await.map_err(Some),
        Err(e) => Err(Some(e)),
    };
    let (lines, next, error) = match found {
        Ok(p) => (
            p.entries
                .iter()
                .map(|e| Line {
                    event: text::event_label(e.row.event, c.l).to_string(),
                    result: text::result_label(e.row.result, c.l).to_string(),
                    reason: text::reason_label(&e.row.reason, c.l),
                    e: AuditView::from(e),
                })
                .collect(),
            p.next_before_id,
            None,
        ),
        Err(Some(AdminError::Store(e))) => return Err(e.into()),
        Err(e) => (Vec::new(), None, e.map(|e| e.message())),
    };
    let sep = if fq.is_empty() { "" } else { "&" };
    let results = store::AuditResult::ALL
        .iter()
        .map(|r| (r.as_str(), text::result_label(*r, c.l).to_string()))
        .collect();
    let mut resp = page(&AuditPage {
        c,
        results,
        lines,
        next_url: next.map(|id| format!("/admin/audit?{fq}{sep}before_id={id}")),
        export_url: format!("/admin/audit/export.csv?{fq}"),
        error: error.clone(),
        f,
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

/// `GET /admin/audit/export.csv`: the same export for a console session.
async fn console_export(
    State(state): State<AppState>,
    _admin: ConsoleAdmin,
    Query(f): Query<AuditParams>,
) -> Result<Response, WebError> {
    let q = match f.input().and_then(|i| domain::query(&i)) {
        Ok(q) => q,
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(e) => {
            let m = e.to_string();
            return Err(WebError::new(
                StatusCode::BAD_REQUEST,
                "invalid_filter",
                crate::http::error::t("The filter is not valid", "筛选条件有误"),
                crate::http::error::t(m.clone(), m),
            ));
        }
    };
    match domain::export(&state.store, &q).await {
        Ok(body) => Ok(csv_response(body)),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::internal("audit export", &e)),
    }
}
