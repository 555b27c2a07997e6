//! The WeCom address book in the API, for the rule pickers and for automation:
//! `GET /api/v1/wecom/directory/departments`, `…/tags`, `…/members?department=ID` or `?q=TEXT`, read
//! from the stored directory while its last sync is fresh and live through the WeCom client in
//! force otherwise (thin over [`crate::admin::directory`]). Also the one
//! answer every save gives when WeCom does not know a name it names (`409`, the unknown names, and
//! `force: true` to save anyway), shared by app settings, admins and account bindings.

use super::super::AppState;
use super::api::{ApiError, ApiQuery, ErrorBody, ErrorDetail};
use super::auth::ApiAdmin;
use super::wecom::Bilingual;
use crate::admin::directory::{self as domain, MemberQuery, SearchText, Unreadable};
use crate::admin::settings::SaveMode;
use crate::admin::wecom_names::{self, Gate, Named, NamesCheck, Refused, Wecom};
use crate::admin::AdminError;
use crate::wecom::client::WecomClient;
use crate::wecom::errors::WecomError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/wecom/directory/departments", get(departments))
        .route("/wecom/directory/tags", get(tags))
        .route("/wecom/directory/members", get(members))
        .route("/wecom/directory/status", get(status))
}

#[derive(OpenApi)]
#[openapi(
    paths(departments, tags, members, status),
    components(schemas(
        DeptView,
        TagView,
        MemberView,
        NamesRefusedBody,
        WecomProblemView,
        DirectoryStatusView
    ))
)]
pub(super) struct DirectoryApi;

/// The WeCom client of the settings in force.
pub(super) async fn client(state: &AppState) -> Result<WecomClient, AdminError> {
    match state.settings.current(&state.store).await {
        Ok(e) => Ok(e.client.clone()),
        Err(crate::settings::SettingsError::Store(e)) => Err(AdminError::Store(e)),
        Err(e) => Err(AdminError::state(
            "",
            format!("the WeCom settings in force do not work ({e}); fix them on the WeCom page"),
        )),
    }
}

/// Where the pickers read the address book: the stored directory while its last full sync is
/// within twice `directory.sync_interval`, WeCom live otherwise.
pub(super) async fn source(state: &AppState) -> Result<domain::Source, AdminError> {
    let client = client(state).await?;
    Ok(domain::Source::choose(&state.store, &client, state.clock.unix(), fresh_secs(state)).await)
}

/// The periodic sync's interval in seconds, `None` when it is off.
pub(super) fn interval_secs(state: &AppState) -> Option<i64> {
    let interval = state.config.directory.interval().ok().flatten()?;
    i64::try_from(interval.as_secs()).ok()
}

/// The stored directory's state now.
pub(super) async fn directory_status(
    state: &AppState,
) -> Result<domain::DirectoryStatus, AdminError> {
    domain::status(
        &state.store,
        state.clock.unix(),
        interval_secs(state),
        fresh_secs(state),
    )
    .await
}

/// How old the last full sync may be for the stored directory to count as current.
pub(super) fn fresh_secs(state: &AppState) -> Option<i64> {
    let interval = state.config.directory.interval().ok().flatten()?;
    i64::try_from(interval.as_secs())
        .ok()
        .map(|s| s.saturating_mul(2))
}

/// Checks the names a save names against WeCom (see [`crate::admin::wecom_names`]): settings in
/// force that do not work count as "WeCom could not be asked", which the admin may override.
pub(super) async fn gate(
    state: &AppState,
    names: &[Named],
    force: Option<bool>,
) -> Result<Gate, AdminError> {
    // Naming nothing asks nothing, not even the settings in force.
    if names.is_empty() {
        return Ok(Gate::Go);
    }
    let wecom = names_wecom(state).await?;
    Ok(wecom_names::gate_through(&wecom, names, mode(force)).await)
}

/// [`gate`] for settings about to be saved (the names their `access` and `role_rules` name): the
/// one check of an app's or an OIDC client's settings, from the API and the console's forms.
/// `Ok(None)` to save, `Ok(Some(found))` to save and audit as forced, `Err` to store nothing.
pub(super) async fn settings_gate(
    state: &AppState,
    settings: &[(String, String)],
    force: Option<bool>,
) -> Result<Result<Option<NamesCheck>, Refused>, AdminError> {
    let names = wecom_names::named_in_settings(settings);
    let gate = gate(state, &names, force).await?;
    Ok(wecom_names::settle(settings, gate))
}

/// The WeCom client a names check asks, or why WeCom cannot be asked (settings in force that do
/// not work); only a store failure is an error.
pub(super) async fn names_wecom(state: &AppState) -> Result<Wecom, AdminError> {
    match client(state).await {
        Ok(c) => Ok(Ok(c)),
        Err(AdminError::State { message, .. }) => {
            Ok(Err(Unreadable::of(WecomError::Setup { detail: message })))
        }
        Err(e) => Err(e),
    }
}

/// Whether a request asked to save in spite of the check.
pub(super) fn mode(force: Option<bool>) -> SaveMode {
    if force == Some(true) {
        SaveMode::Anyway
    } else {
        SaveMode::CheckFirst
    }
}

/// A department, in tree order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeptView {
    /// Department ID: what a `dept:` rule names.
    pub id: i64,
    /// Name.
    pub name: String,
    /// English name, when WeCom has one.
    pub name_en: Option<String>,
    /// Parent department ID (0 for the corp's root).
    pub parentid: i64,
    /// Depth in the tree of departments the WeCom app can see (0: a top department).
    pub depth: usize,
    /// The rule token: `dept:ID`.
    pub token: String,
}

/// A tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagView {
    /// Tag ID.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The rule token: `tag:ID`.
    pub token: String,
}

/// A member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// WeCom userid: what a `user:` rule names.
    pub userid: String,
    /// Display name.
    pub name: String,
    /// Department IDs.
    pub departments: Vec<i64>,
    /// The rule token: `user:USERID`.
    pub token: String,
}

impl From<domain::DeptEntry> for DeptView {
    fn from(d: domain::DeptEntry) -> Self {
        Self {
            token: format!("dept:{}", d.id),
            id: d.id,
            name: d.name,
            name_en: d.name_en,
            parentid: d.parentid,
            depth: d.depth,
        }
    }
}

impl From<domain::TagEntry> for TagView {
    fn from(t: domain::TagEntry) -> Self {
        Self {
            token: format!("tag:{}", t.id),
            id: t.id,
            name: t.name,
        }
    }
}

impl From<domain::MemberEntry> for MemberView {
    fn from(m: domain::MemberEntry) -> Self {
        Self {
            token: format!("user:{}", m.userid),
            userid: m.userid,
            name: m.name,
            departments: m.departments,
        }
    }
}

/// Why WeCom could not be read, and what to configure in WeCom.
#[derive(Debug, Serialize, ToSchema)]
pub struct WecomProblemView {
    /// `no_privilege` (60011: outside the app's visible range), `api_forbidden` (48002/48009),
    /// `ip_not_trusted` (60020), `unreachable`, `wecom_error`.
    pub problem: String,
    /// WeCom's errcode, when WeCom answered one.
    pub errcode: Option<i64>,
    /// What happened.
    pub title: Bilingual,
    /// What to configure.
    pub fix: Bilingual,
}

impl From<&Unreadable> for WecomProblemView {
    fn from(u: &Unreadable) -> Self {
        Self {
            problem: u.key().into(),
            errcode: u.errcode(),
            title: Bilingual {
                en: u.problem.title.en.into(),
                zh: u.problem.title.zh.into(),
            },
            fix: Bilingual {
                en: u.problem.fix.en.into(),
                zh: u.problem.fix.zh.into(),
            },
        }
    }
}

/// A read of the directory that WeCom refused or never answered: 502 with the problem.
fn unreadable(u: &Unreadable) -> ApiError {
    tracing::warn!(
        problem = u.key(),
        errcode = u.errcode(),
        "WeCom directory read failed"
    );
    ApiError::new(StatusCode::BAD_GATEWAY, "wecom_unreadable", u.message())
}

/// A directory read as the API answers it: the entries as views, or 502 with the problem.
fn listed<E, V: From<E>>(read: Result<Vec<E>, Unreadable>) -> Result<Json<Vec<V>>, ApiError> {
    let list = read.map_err(|u| unreadable(&u))?;
    Ok(Json(list.into_iter().map(V::from).collect()))
}

/// The departments the WeCom app can see, in tree order (each after its parent).
#[utoipa::path(get, path = "/api/v1/wecom/directory/departments", tag = "wecom",
    responses((status = 200, body = [DeptView]), (status = 401, body = ErrorBody),
              (status = 409, description = "the WeCom settings in force do not work", body = ErrorBody),
              (status = 502, description = "WeCom refused or could not be reached; the message says what to configure", body = ErrorBody)))]
async fn departments(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<Vec<DeptView>>, ApiError> {
    let c = source(&state).await?;
    listed(domain::departments(&c).await)
}

/// Every WeCom tag, by name.
#[utoipa::path(get, path = "/api/v1/wecom/directory/tags", tag = "wecom",
    responses((status = 200, body = [TagView]), (status = 401, body = ErrorBody),
              (status = 409, description = "the WeCom settings in force do not work", body = ErrorBody),
              (status = 502, description = "WeCom refused or could not be reached; the message says what to configure", body = ErrorBody)))]
async fn tags(State(state): State<AppState>, _a: ApiAdmin) -> Result<Json<Vec<TagView>>, ApiError> {
    let c = source(&state).await?;
    listed(domain::tags(&c).await)
}

/// Which members: one of `department` and `q`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// A department ID: its direct members (`user/simplelist`).
    #[param(minimum = 1)]
    department: Option<i64>,
    /// Search text (1–64 characters): members whose name or userid contains it, in the departments
    /// the WeCom app can see (at most 50).
    #[param(min_length = 1, max_length = 64)]
    q: Option<String>,
}

/// Members of a department, or found by name or userid, by name.
#[utoipa::path(get, path = "/api/v1/wecom/directory/members", tag = "wecom", params(MemberParams),
    responses((status = 200, body = [MemberView]), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 409, description = "the WeCom settings in force do not work", body = ErrorBody),
              (status = 502, description = "WeCom refused or could not be reached; the message says what to configure", body = ErrorBody)))]
async fn members(
    State(state): State<AppState>,
    _a: ApiAdmin,
    ApiQuery(p): ApiQuery<MemberParams>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let q = match (p.department, p.q) {
        (Some(d), None) if d >= 1 => MemberQuery::Department(d),
        (Some(_), None) => {
            return Err(ApiError::invalid(
                "department",
                "a department ID is 1 or more",
            ))
        }
        (None, Some(q)) => MemberQuery::Search(SearchText::parse(&q)?),
        _ => {
            return Err(ApiError::invalid(
                "department",
                "give either department=ID or q=TEXT",
            ))
        }
    };
    let c = source(&state).await?;
    listed(domain::members(&c, &q).await)
}

/// The stored WeCom directory: its last full sync, what it holds, its last error, and whether the
/// pickers read it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryStatusView {
    /// When the last full sync started (RFC 3339), if ever.
    pub last_started_at: Option<String>,
    /// When the last successful full sync finished (RFC 3339), if ever.
    pub last_synced_at: Option<String>,
    /// Departments stored after it.
    pub departments: i64,
    /// Members stored after it.
    pub members: i64,
    /// Tags stored after it.
    pub tags: i64,
    /// The last failure, cleared by the next success.
    pub last_error: Option<String>,
    /// When it failed (RFC 3339).
    pub last_error_at: Option<String>,
    /// `directory.sync_interval` in seconds; null when the periodic sync is off.
    pub sync_interval_secs: Option<i64>,
    /// `stored` when the pickers read the stored directory (last sync within twice the
    /// interval), `live` when they ask WeCom.
    pub pickers_read: String,
}

impl From<domain::DirectoryStatus> for DirectoryStatusView {
    fn from(s: domain::DirectoryStatus) -> Self {
        use super::api::rfc3339;
        Self {
            last_started_at: s.row.started_at.map(rfc3339),
            last_synced_at: s.row.finished_at.map(rfc3339),
            departments: s.row.departments,
            members: s.row.members,
            tags: s.row.tags,
            last_error: s.row.last_error,
            last_error_at: s.row.error_at.map(rfc3339),
            sync_interval_secs: s.interval_secs,
            pickers_read: if s.fresh { "stored" } else { "live" }.to_owned(),
        }
    }
}

/// The stored directory's state (`wecom-idp directory sync` and the periodic sync fill it).
#[utoipa::path(get, path = "/api/v1/wecom/directory/status", tag = "wecom",
    responses((status = 200, body = DirectoryStatusView), (status = 401, body = ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<DirectoryStatusView>, ApiError> {
    Ok(Json(directory_status(&state).await?.into()))
}

/// The answer to a save refused because WeCom does not know a name it names, or could not be asked:
/// nothing was stored. Send the same request with `"force": true` to save anyway (audited).
#[derive(Debug, Serialize, ToSchema)]
pub struct NamesRefusedBody {
    /// `code` `rules_unknown_in_wecom` (an unknown name) or `wecom_unreadable` (WeCom could not be
    /// asked), the field, and what to do.
    pub error: ErrorDetail,
    /// The unknown names as the rules write them (`user:zhangsn`, `tag:运维组`, `dept:99`).
    pub unknown: Vec<String>,
    /// Why WeCom could not be asked, when it could not.
    pub wecom: Option<WecomProblemView>,
}

/// 409 with the unknown names (or why WeCom could not be asked) and how to save anyway.
pub(super) fn names_refused(field: &str, found: &NamesCheck) -> Response {
    let unknown = found.unknown_tokens();
    let (code, message, wecom) = match found {
        NamesCheck::Unchecked(u) => (
            "wecom_unreadable",
            format!(
                "not saved: the names could not be checked against WeCom: {} Send \"force\": true \
                 to save them unchecked. / 未保存：无法与企业微信核对这些名称。如确需保存，请加上 \
                 \"force\": true。",
                u.message()
            ),
            Some(WecomProblemView::from(u)),
        ),
        _ => (
            "rules_unknown_in_wecom",
            format!(
                "not saved: WeCom does not know {} (or the WeCom app cannot see it); check the \
                 spelling, or send \"force\": true to save anyway. / 未保存：企业微信中没有 {}\
                 （或企业微信应用看不到）；请检查拼写，如确需保存，请加上 \"force\": true。",
                unknown.join(", "),
                unknown.join("、")
            ),
            None,
        ),
    };
    let body = NamesRefusedBody {
        error: ErrorDetail {
            code: code.into(),
            message,
            field: Some(field.to_string()).filter(|f| !f.is_empty()),
        },
        unknown,
        wecom,
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}
