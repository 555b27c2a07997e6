//! Who may administer: console admins (from `[admin] userids` and the store) and API tokens — the
//! console page `/admin/access` and the API `/api/v1/admins`, `/api/v1/tokens`. A token is shown once,
//! when it is made; only its SHA-256 is kept.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{rfc3339, ApiError, ApiJson, ApiPath, ErrorBody};
use super::auth::{chrome, ApiAdmin, ConsoleAdmin};
use super::directory::{self, NamesRefusedBody};
use super::{page, Chrome};
use crate::admin::auth::{self as admin_auth, check_userid};
use crate::admin::wecom_names::{self, Gate, Named, NamesCheck};
use crate::admin::{Actor, AdminError};
use crate::http::error::{t, Text, WebError};
use crate::store::{AdminTokenRow, AuditKind};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::{OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/access", get(access_page))
        .route("/admin/access/tokens", post(token_create_form))
        .route("/admin/access/tokens/revoke", post(token_revoke_form))
        .route("/admin/access/admins", post(admin_add_form))
        .route("/admin/access/admins/remove", post(admin_remove_form))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(tokens_list).post(token_create))
        .route("/tokens/{name}", delete(token_revoke))
        .route("/admins", get(admins_list).post(admin_add))
        .route("/admins/{userid}", delete(admin_remove))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        tokens_list,
        token_create,
        token_revoke,
        admins_list,
        admin_add,
        admin_remove
    ),
    components(schemas(TokenView, NewToken, CreatedToken, AdminView, NewAdmin))
)]
pub(super) struct AccessApi;

// ---- domain operations shared by the page and the API ----

async fn add_admin(
    state: &AppState,
    actor: &Actor,
    userid: &str,
    ip: Option<IpAddr>,
) -> Result<(), AdminError> {
    let userid = userid.trim();
    check_userid(userid)?;
    let now = state.clock.unix();
    if !state.store.add_admin(userid, &actor.label(), now).await? {
        return Err(AdminError::Conflict(format!("admin `{userid}`")));
    }
    audit_admin(state, now, actor, userid, true, ip).await;
    Ok(())
}

/// The audit row of `userid` made an admin (`admin`) or no longer one.
async fn audit_admin(
    state: &AppState,
    now: i64,
    actor: &Actor,
    userid: &str,
    admin: bool,
    ip: Option<IpAddr>,
) {
    admin_auth::audit_change(
        &state.store,
        now,
        admin_auth::AdminChange {
            actor,
            event: if admin {
                AuditKind::AdminAdd
            } else {
                AuditKind::AdminRemove
            },
            app: None,
            userid: Some(userid),
            detail: Some(
                serde_json::json!({"before": {"admin": !admin}, "after": {"admin": admin}}),
            ),
            client_ip: ip,
        },
    )
    .await;
}

/// How an add with the WeCom check ended.
enum Added {
    /// Added (perhaps in spite of the check, which is then audited).
    Yes,
    /// Not added: WeCom does not know the userid, or could not be asked.
    Refused(NamesCheck),
}

/// Adds an admin once WeCom confirms the userid is a member the WeCom app can see (an admin who is
/// not one can never sign in), unless `force`.
async fn add_admin_checked(
    state: &AppState,
    actor: &Actor,
    userid: &str,
    force: Option<bool>,
    ip: Option<IpAddr>,
) -> Result<Added, AdminError> {
    let userid = userid.trim();
    check_userid(userid)?;
    let forced = match directory::gate(state, &[Named::User(userid.into())], force).await? {
        Gate::Go => None,
        Gate::Forced(found) => Some(found),
        Gate::Refused(found) => return Ok(Added::Refused(found)),
    };
    add_admin(state, actor, userid, ip).await?;
    if let Some(found) = forced {
        let now = state.clock.unix();
        wecom_names::audit_forced(
            &state.store,
            now,
            wecom_names::ForcedSave {
                actor,
                what: "admin",
                app: None,
                userid: Some(userid),
                found: &found,
                ip,
            },
        )
        .await;
    }
    Ok(Added::Yes)
}

async fn remove_admin(
    state: &AppState,
    actor: &Actor,
    userid: &str,
    ip: Option<IpAddr>,
) -> Result<(), AdminError> {
    if state
        .config
        .admin
        .userids
        .iter()
        .any(|u| u.trim() == userid)
    {
        return Err(AdminError::invalid(
            "userid",
            format!(
                "`{userid}` is named in the configuration (`[admin] userids`); remove it there and \
                 restart"
            ),
        ));
    }
    if let Actor::Member(me) = actor {
        if me == userid {
            return Err(AdminError::invalid(
                "userid",
                "you cannot remove yourself; ask another admin",
            ));
        }
    }
    if !state.store.remove_admin(userid).await? {
        return Err(AdminError::NotFound(format!("admin `{userid}`")));
    }
    audit_admin(state, state.clock.unix(), actor, userid, false, ip).await;
    Ok(())
}

async fn create_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    ip: Option<IpAddr>,
) -> Result<(AdminTokenRow, String), AdminError> {
    let now = state.clock.unix();
    let made =
        admin_auth::create_token(&state.store, name.trim(), actor, now, state.rng.as_ref()).await?;
    admin_auth::audit_change(
        &state.store,
        now,
        admin_auth::AdminChange {
            actor,
            event: AuditKind::TokenCreate,
            app: None,
            userid: None,
            detail: Some(serde_json::json!({ "token": made.0.name })),
            client_ip: ip,
        },
    )
    .await;
    Ok(made)
}

async fn revoke_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    ip: Option<IpAddr>,
) -> Result<(), AdminError> {
    let now = state.clock.unix();
    if !state.store.revoke_admin_token(name, now).await? {
        return Err(AdminError::NotFound(format!("a live token `{name}`")));
    }
    admin_auth::audit_change(
        &state.store,
        now,
        admin_auth::AdminChange {
            actor,
            event: AuditKind::TokenRevoke,
            app: None,
            userid: None,
            detail: Some(serde_json::json!({ "token": name })),
            client_ip: ip,
        },
    )
    .await;
    Ok(())
}

// ---- API ----

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Stable ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Who made it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Last use (RFC 3339), if any.
    pub last_used_at: Option<String>,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
}

impl From<&AdminTokenRow> for TokenView {
    fn from(r: &AdminTokenRow) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            created_by: r.created_by.clone(),
            created_at: rfc3339(r.created_at),
            last_used_at: r.last_used_at.map(rfc3339),
            revoked_at: r.revoked_at.map(rfc3339),
        }
    }
}

/// A token to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// 1–64 letters, digits, `_ - .`: say what uses it.
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,64}$", min_length = 1, max_length = 64)]
    pub name: String,
}

/// A token just made: `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret to send as `Authorization: Bearer …`.
    pub token: String,
    /// The token's record.
    #[serde(flatten)]
    pub info: TokenView,
}

/// A console admin.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminView {
    /// WeCom userid.
    pub userid: String,
    /// `config` (named in `[admin] userids`, removable only there) or `store`.
    pub source: String,
    /// Who added them (store admins).
    pub added_by: Option<String>,
    /// When (RFC 3339, store admins).
    pub added_at: Option<String>,
}

/// An admin to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdmin {
    /// WeCom userid (账号): 1–64 letters, digits, `_ - . @`.
    #[schema(pattern = "^[A-Za-z0-9_.@-]{1,64}$", min_length = 1, max_length = 64)]
    pub userid: String,
    /// Add even though WeCom has no such member (or the WeCom app cannot see them), or could not
    /// be asked (audited with what the check found).
    pub force: Option<bool>,
}

/// Every API token, revoked ones too.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access",
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody)))]
async fn tokens_list(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    let rows = state.store.admin_tokens().await?;
    Ok(Json(rows.iter().map(TokenView::from).collect()))
}

/// Makes an API token; the response holds the token, shown this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn token_create(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    let (row, token) = create_token(&state, &a.actor(), &body.name, ip.0).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            info: TokenView::from(&row),
        }),
    )
        .into_response())
}

/// Revokes a token (by name or ID); it never authenticates again.
#[utoipa::path(delete, path = "/api/v1/tokens/{name}", tag = "access",
    params(("name" = String, Path, description = "token name or ID")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn token_revoke(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    revoke_token(&state, &a.actor(), &name, ip.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn admin_views(state: &AppState) -> Result<Vec<AdminView>, crate::store::StoreError> {
    let mut out: Vec<AdminView> = state
        .config
        .admin
        .userids
        .iter()
        .map(|u| AdminView {
            userid: u.trim().to_string(),
            source: "config".into(),
            added_by: None,
            added_at: None,
        })
        .collect();
    for r in state.store.admins().await? {
        if out.iter().any(|a| a.userid == r.userid) {
            continue;
        }
        out.push(AdminView {
            userid: r.userid,
            source: "store".into(),
            added_by: Some(r.added_by),
            added_at: Some(rfc3339(r.added_at)),
        });
    }
    Ok(out)
}

/// Every console admin: from the configuration and from the store.
#[utoipa::path(get, path = "/api/v1/admins", tag = "access",
    responses((status = 200, body = [AdminView]), (status = 401, body = ErrorBody)))]
async fn admins_list(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<Vec<AdminView>>, ApiError> {
    Ok(Json(admin_views(&state).await?))
}

/// Adds a console admin (a WeCom userid). WeCom is asked first: a userid it does not know (or that
/// the WeCom app cannot see) adds nothing and answers 409 `rules_unknown_in_wecom`, unless
/// `force: true` (audited).
#[utoipa::path(post, path = "/api/v1/admins", tag = "access", request_body = NewAdmin,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, description = "already an admin (`conflict`), or WeCom does not know the userid or could not be asked", body = NamesRefusedBody)))]
async fn admin_add(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewAdmin>,
) -> Result<Response, ApiError> {
    match add_admin_checked(&state, &a.actor(), &body.userid, body.force, ip.0).await? {
        Added::Yes => Ok(StatusCode::CREATED.into_response()),
        Added::Refused(found) => Ok(directory::names_refused("userid", &found)),
    }
}

/// Removes a console admin added in the store (their console sessions end).
#[utoipa::path(delete, path = "/api/v1/admins/{userid}", tag = "access",
    params(("userid" = String, Path, description = "WeCom userid")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn admin_remove(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiPath(userid): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    remove_admin(&state, &a.actor(), &userid, ip.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- console page ----

#[derive(Template)]
#[template(path = "admin/access.html")]
struct AccessPage {
    c: Chrome,
    admins: Vec<AdminView>,
    tokens: Vec<TokenView>,
    /// A token just made, shown once.
    new_token: Option<(String, String)>,
    /// What the last form did.
    notice: Option<String>,
    error: Option<String>,
    /// A userid WeCom did not confirm: the page offers to add it anyway.
    unconfirmed: Option<String>,
}

async fn render_access(
    state: &AppState,
    c: Chrome,
    new_token: Option<(String, String)>,
    done: Option<Done>,
    error: Option<String>,
) -> Result<Response, WebError> {
    render_access_with(state, c, new_token, done, error, None).await
}

async fn render_access_with(
    state: &AppState,
    c: Chrome,
    new_token: Option<(String, String)>,
    done: Option<Done>,
    error: Option<String>,
    unconfirmed: Option<String>,
) -> Result<Response, WebError> {
    let tokens = state.store.admin_tokens().await?;
    let notice = done.map(|d| c.l.pick(&d.notice()).to_string());
    let mut resp = page(&AccessPage {
        c,
        admins: admin_views(state).await?,
        tokens: tokens.iter().map(TokenView::from).collect(),
        new_token,
        notice,
        error: error.clone(),
        unconfirmed,
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

async fn access_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let done = q.done.as_deref().and_then(Done::parse);
    render_access(&state, chrome(&admin, &headers, "access"), None, done, None).await
}

#[derive(Debug, Deserialize)]
struct NameForm {
    csrf: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct UseridForm {
    csrf: String,
    userid: String,
    /// `1`: add even though WeCom did not confirm the userid.
    force: Option<String>,
}

async fn token_create_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "access");
    match create_token(&state, &admin.actor(), &f.name, ip.0).await {
        Ok((row, token)) => render_access(&state, c, Some((row.name, token)), None, None).await,
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render_access(&state, c, None, None, Some(e.message())).await,
    }
}

/// A form's outcome: back to the page, or the page again with the error (status 400).
async fn after_form(
    state: &AppState,
    admin: &ConsoleAdmin,
    headers: &HeaderMap,
    r: Result<(), AdminError>,
    done: Done,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => super::super::flow::redirect(&format!("/admin/access?done={}", done.as_str())),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => {
            let c = chrome(admin, headers, "access");
            render_access(state, c, None, None, Some(e.message())).await
        }
    }
}

/// What a form on the access page just did, for the notice after the redirect (a closed set: the
/// page never echoes the query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    AdminAdded,
    AdminRemoved,
    TokenRevoked,
}

impl Done {
    fn as_str(self) -> &'static str {
        match self {
            Self::AdminAdded => "admin-added",
            Self::AdminRemoved => "admin-removed",
            Self::TokenRevoked => "token-revoked",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::AdminAdded, Self::AdminRemoved, Self::TokenRevoked]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    fn notice(self) -> Text {
        match self {
            Self::AdminAdded => t("Administrator added.", "已添加管理员。"),
            Self::AdminRemoved => t(
                "Administrator removed; their console sessions have ended.",
                "已移除管理员，其管理台会话已结束。",
            ),
            Self::TokenRevoked => t(
                "Token revoked; it no longer opens the API.",
                "令牌已吊销，不能再访问 API。",
            ),
        }
    }
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn token_revoke_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let r = revoke_token(&state, &admin.actor(), &f.name, ip.0).await;
    after_form(&state, &admin, &headers, r, Done::TokenRevoked).await
}

async fn admin_add_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<UseridForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let force = Some(f.force.as_deref() == Some("1"));
    let r = add_admin_checked(&state, &admin.actor(), &f.userid, force, ip.0).await;
    match r {
        Ok(Added::Yes) => after_form(&state, &admin, &headers, Ok(()), Done::AdminAdded).await,
        Ok(Added::Refused(found)) => {
            // The page again with what WeCom said and a button to add the userid anyway.
            let c = chrome(&admin, &headers, "access");
            let message = c.l.pick(&wecom_names::refusal_text(&found)).to_string();
            let userid = Some(f.userid.trim().to_string());
            let mut resp = render_access_with(&state, c, None, None, Some(message), userid).await?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => after_form(&state, &admin, &headers, Err(e), Done::AdminAdded).await,
    }
}

async fn admin_remove_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<UseridForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let r = remove_admin(&state, &admin.actor(), &f.userid, ip.0).await;
    after_form(&state, &admin, &headers, r, Done::AdminRemoved).await
}
