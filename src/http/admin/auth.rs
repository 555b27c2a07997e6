//! Admin authentication: console sign-in with WeCom (QR or in-client, through the same single-use
//! login states as app logins), console sessions and their CSRF token, sign-out, and the two
//! extractors handlers use — [`ConsoleAdmin`] for pages, [`ApiAdmin`] for the JSON API (bearer
//! tokens). Membership is checked at every request, so removing an admin takes effect at once.

use super::super::flow;
use super::super::refusal::refuse;
use super::super::ClientIp;
use super::super::{cookies, AppState};
use super::api::ApiError;
use super::{page, Chrome};
use crate::admin::{auth as admin_auth, Actor};
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::http::error::{t, Lang, WebError};
use crate::login::{self, AdminSignIn, AuditEvent, AuditKind, Ctx, Pending, Refusal, Who};
use crate::logsafe::Escaped;
use crate::store::AdminSessionRow;
use crate::wecom::oauth::Scope;
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

/// The admin console session cookie.
pub const ADMIN_COOKIE: &str = "wecom_idp_admin";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page))
        .route("/admin/login/wecom", get(login_start))
        .route("/admin/logout", post(logout))
}

/// A signed-in console admin.
#[derive(Debug, Clone)]
pub struct ConsoleAdmin {
    /// WeCom userid.
    pub userid: String,
    /// The CSRF token of this session (forms post it back as `csrf`).
    pub csrf: String,
    /// Hash of the session cookie.
    session_hash: String,
}

impl ConsoleAdmin {
    /// The actor of this admin's changes.
    pub fn actor(&self) -> Actor {
        Actor::Member(self.userid.clone())
    }

    /// Checks the CSRF token a form posted back (constant time). Every state-changing console form
    /// calls this before doing anything.
    pub fn check_csrf(&self, presented: &str) -> Result<(), WebError> {
        if constant_time_eq(presented.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            tracing::warn!(userid = %Escaped(&self.userid), "admin form without a valid CSRF token: refused");
            Err(forbidden_page("csrf"))
        }
    }
}

/// The CSRF token of the session whose cookie is `cookie`: a keyed hash of the cookie, so it needs no
/// storage and cannot be computed without the (HttpOnly) cookie.
fn csrf_for(cookie: &str) -> String {
    sha256_hex(format!("wecom-idp admin csrf\0{cookie}").as_bytes())
}

/// A 403 page for a refused admin request.
pub fn forbidden_page(reason: &'static str) -> WebError {
    WebError::new(
        StatusCode::FORBIDDEN,
        reason,
        t("This request was refused", "请求被拒绝"),
        t(
            "The form was not sent from this console page (or the page is too old).",
            "这个表单不是从本管理台页面提交的（或页面已过期）。",
        ),
    )
    .with_fix(t(
        "Reload the console page and try again.",
        "请刷新管理台页面后重试。",
    ))
}

/// Where the console sends a browser without a session.
fn to_login(parts: &Parts) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| parts.method == axum::http::Method::GET && safe_next(p))
        .unwrap_or("/admin");
    let url = format!(
        "/admin/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    flow::redirect(&url).unwrap_or_else(IntoResponse::into_response)
}

/// A page to return to after sign-in: a path under `/admin`, never another site.
fn safe_next(next: &str) -> bool {
    (next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?"))
        && !next.contains("//")
        && !next.contains('\\')
        && next.len() <= 512
        && next.bytes().all(|b| (0x21..0x7f).contains(&b))
}

impl FromRequestParts<AppState> for ConsoleAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let secure = state.config.secure_cookies();
        let Some(cookie) = cookies::get(&parts.headers, &cookies::name(ADMIN_COOKIE, secure))
        else {
            return Err(to_login(parts));
        };
        let hash = sha256_hex(cookie.as_bytes());
        let now = state.clock.unix();
        let idle_cutoff = now - state.config.admin.session_idle_secs;
        let row = match state.store.admin_session(&hash, now, idle_cutoff).await {
            Ok(Some(r)) => r,
            Ok(None) => return Err(to_login(parts)),
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        match admin_auth::is_admin(&state.config, &state.store, &row.userid).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(userid = %Escaped(&row.userid), "admin session of a member who is no longer an admin: ended");
                let _ = state.store.delete_admin_session(&hash).await;
                return Err(to_login(parts));
            }
            Err(e) => return Err(WebError::from(e).into_response()),
        }
        Ok(Self {
            userid: row.userid,
            csrf: csrf_for(&cookie),
            session_hash: hash,
        })
    }
}

/// A caller of the JSON API, authenticated by `Authorization: Bearer wip_…`.
#[derive(Debug, Clone)]
pub struct ApiAdmin {
    /// The token's name, as the actor of changes.
    pub token_name: String,
}

impl ApiAdmin {
    /// The actor of this caller's changes.
    pub fn actor(&self) -> Actor {
        Actor::Token(self.token_name.clone())
    }
}

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(presented) = presented else {
            return Err(ApiError::unauthorized(
                "send an API token: `Authorization: Bearer wip_…` (make one with `wecom-idp admin \
                 token create --name NAME`)",
            ));
        };
        match admin_auth::authenticate_token(&state.store, presented, state.clock.unix()).await {
            Ok(Some(row)) => Ok(Self {
                token_name: row.name,
            }),
            Ok(None) => {
                tracing::info!("API request with an unknown or revoked token: refused");
                Err(ApiError::unauthorized(
                    "this API token is not valid (unknown or revoked)",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// Set by sign-out: the page is shown, not skipped, so signing out inside WeCom sticks.
    signed_out: Option<String>,
}

fn next_or_home(q: &NextQuery) -> String {
    q.next
        .as_deref()
        .filter(|n| safe_next(n))
        .unwrap_or("/admin")
        .to_string()
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    l: Lang,
    start_url: String,
}

/// `GET /admin/login`: the sign-in page (one button: sign in with WeCom). Inside the WeCom client
/// there is nothing to choose, so the browser goes straight to the silent WeCom sign-in (as a
/// member's login does), unless it comes from signing out.
async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = next_or_home(&q);
    let start_url = format!(
        "/admin/login/wecom?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    if q.signed_out.is_none() && flow::in_wecom_client(&state, &headers) {
        return flow::redirect(&start_url);
    }
    page(&LoginPage {
        l: Lang::from_headers(&headers),
        start_url,
    })
}

/// `GET /admin/login/wecom`: sends the browser to WeCom (QR page, or silent OAuth in the client).
async fn login_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
    ip: ClientIp,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let pending = Pending::Admin(AdminSignIn {
        next: next_or_home(&q),
    });
    match login::state::begin(&ctx, &pending).await {
        Ok(started) => flow::to_wecom(&state, &headers, &started, Scope::Base).await,
        Err(e) => Err(refuse(&ctx, AuditKind::AdminLogin, Who::default(), e).await),
    }
}

/// The WeCom callback of an admin sign-in: the member must be active and an admin; then a console
/// session starts and the browser goes to the page it asked for.
pub(crate) async fn finish_sign_in(
    state: &AppState,
    ctx: &Ctx<'_>,
    code: &str,
    admin: &AdminSignIn,
) -> Result<Response, WebError> {
    let effective = state.effective().await?;
    let profile = match login::member::profile(ctx, &effective, code).await {
        Ok(p) => p,
        Err(m) => {
            let who = Who::default().userid(m.userid.as_deref());
            return Err(refuse(ctx, AuditKind::AdminLogin, who, m.error).await);
        }
    };
    let userid = Some(profile.userid.as_str());
    if !admin_auth::is_admin(&state.config, &state.store, &profile.userid).await? {
        tracing::info!(userid = %Escaped(&profile.userid), "admin sign-in refused: not an admin");
        let who = Who::default().userid(userid);
        return Err(refuse(ctx, AuditKind::AdminLogin, who, Refusal::NotAdmin.into()).await);
    }
    let token = state.rng.token();
    let now = state.clock.unix();
    state
        .store
        .create_admin_session(&AdminSessionRow {
            id_hash: sha256_hex(token.as_bytes()),
            userid: profile.userid.clone(),
            created_at: now,
            last_seen: now,
            expires_at: now + state.config.admin.session_absolute_secs,
        })
        .await?;
    let signed_in = AuditEvent::success(AuditKind::AdminLogin, "signed_in");
    ctx.record(&signed_in.who(Who::default().userid(userid)))
        .await;
    tracing::info!(userid = %Escaped(&profile.userid), "admin signed in to the console");
    let next = if safe_next(&admin.next) {
        admin.next.as_str()
    } else {
        "/admin"
    };
    let mut resp = flow::redirect(next)?;
    let secure = state.config.secure_cookies();
    if let Some(c) = cookies::set(
        &cookies::name(ADMIN_COOKIE, secure),
        &token,
        state.config.admin.session_absolute_secs,
        secure,
    ) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// `POST /admin/logout`: ends the console session.
async fn logout(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    ip: ClientIp,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    state
        .store
        .delete_admin_session(&admin.session_hash)
        .await?;
    let signed_out = AuditEvent::success(AuditKind::AdminLogout, "signed_out");
    let who = Who::default().userid(Some(&admin.userid));
    flow::ctx(&state, &ip).record(&signed_out.who(who)).await;
    let mut resp = flow::redirect("/admin/login?signed_out=1")?;
    let secure = state.config.secure_cookies();
    if let Some(c) = cookies::clear(&cookies::name(ADMIN_COOKIE, secure), secure) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// The chrome of a page for this admin (language from the request).
pub fn chrome(admin: &ConsoleAdmin, headers: &HeaderMap, section: &'static str) -> Chrome {
    Chrome::new(admin, Lang::from_headers(headers), section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_console() {
        assert!(safe_next("/admin"));
        assert!(safe_next("/admin/apps/aws?tab=1"));
        assert!(!safe_next("//evil.example/admin"));
        assert!(!safe_next("/admin//evil.example"));
        assert!(!safe_next("https://evil.example/admin"));
        assert!(!safe_next("/adminx"));
        assert!(!safe_next("/admin/\\evil"));
        assert!(!safe_next("/admin/a b"));
    }

    #[test]
    fn csrf_depends_on_the_cookie() {
        assert_ne!(csrf_for("a"), csrf_for("b"));
        assert_eq!(csrf_for("a"), csrf_for("a"));
    }
}
