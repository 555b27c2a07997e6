//! The admin console (`/admin/…`, server-rendered pages in Chinese and English) and the JSON API
//! (`/api/v1/…`, bearer tokens). Handlers are thin over [`crate::admin`]; one file per
//! area. Shared here: the router with the admin rate limit and the console's stricter headers
//! (CSP `form-action 'self'`, cross-origin form posts refused), the page chrome and the page renderer.
//!
//! Console sessions: WeCom sign-in (QR or in-client) of a member who is an admin, cookie
//! `wecom_idp_admin` (HttpOnly, SameSite=Lax, `__Host-`/Secure on https), absolute and idle timeouts
//! from `[admin]`; every form carries a CSRF token derived from the session cookie. API: `Authorization:
//! Bearer wip_…` tokens made with `wecom-idp admin token create` or in the console.

mod access;
pub mod api;
mod app_versions;
mod apps;
mod apps_changes;
mod apps_console;
mod apps_forms;
mod apps_names;
mod apps_new;
mod apps_page;
mod apps_pickers;
mod apps_settings;
mod apps_text;
mod apps_views;
mod audit;
mod auth;
mod console;
mod directory;
mod keys;
mod markdown;
mod oidc_clients;
mod oidc_console;
mod oidc_text;
mod overview;
mod preview;
mod scim_token;
mod users;
mod users_account;
mod users_console;
mod verify_files;
mod wecom;
mod wecom_console;

pub(super) use auth::finish_sign_in;
pub use auth::{ApiAdmin, ConsoleAdmin};

use super::AppState;
use crate::http::error::{Lang, WebError};
use crate::login::{AuditEvent, AuditKind};
use crate::logsafe::Escaped;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// The admin routes (console and API), rate-limited per client IP by `[admin]`.
pub(super) fn router(state: &AppState) -> Router<AppState> {
    let console = Router::new()
        .merge(auth::routes())
        .merge(console::routes())
        .merge(access::routes())
        .merge(apps_console::routes())
        .merge(app_versions::routes())
        .merge(wecom_console::routes())
        .merge(verify_files::routes())
        .merge(scim_token::routes())
        .merge(keys::routes())
        .merge(preview::routes())
        .merge(audit::routes())
        .merge(users_console::routes())
        .merge(users_account::routes())
        .merge(oidc_console::routes())
        .layer(middleware::from_fn_with_state(state.clone(), console_guard));
    Router::new()
        .merge(console)
        .nest("/api/v1", api::routes())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            admin_rate_limit,
        ))
}

/// What every console page shows around its content: language, the signed-in admin, the CSRF token
/// for its forms, and which section is open.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page language.
    pub l: Lang,
    /// The signed-in admin's userid.
    pub userid: String,
    /// The CSRF token every form posts back as `csrf`.
    pub csrf: String,
    /// The open section (`apps`, `wecom`, `users`, `keys`, `audit`, `access`), for the menu.
    pub section: &'static str,
}

impl Chrome {
    /// The chrome of a page in `section` for `admin`.
    pub fn new(admin: &ConsoleAdmin, l: Lang, section: &'static str) -> Self {
        Self {
            l,
            userid: admin.userid.clone(),
            csrf: admin.csrf.clone(),
            section,
        }
    }
}

/// Renders a console page as HTML.
pub fn page(t: &impl Template) -> Result<Response, WebError> {
    let html = t
        .render()
        .map_err(|e| WebError::internal("admin page rendering", &e))?;
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// The console's own headers, and the refusal of state-changing requests from another origin (a
/// second line behind the CSRF token: a browser always sends `Origin` on a cross-site POST).
async fn console_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        let ours = state
            .config
            .public_url()
            .ok()
            .map(|u| u.origin().ascii_serialization());
        if let (Some(origin), Some(ours)) = (origin, ours) {
            if origin != ours {
                tracing::warn!(origin = %Escaped(&origin), "admin form posted from another origin: refused");
                return auth::forbidden_page("cross_origin").into_response();
            }
        }
    }
    let mut resp = next.run(req).await;
    // `same-origin` rather than the sign-in pages' `no-referrer`: with `no-referrer` a browser sends
    // `Origin: null` on form posts, and the origin check above needs the real one.
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    resp
}

/// Per-IP rate limit of the console and the API (`[admin] requests_per_minute`, `burst`): a 429,
/// JSON for the API and a page for the console, and one audit row when a client first hits it.
async fn admin_rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(addr) = super::limits::client_ip_of(&req).0 else {
        return next.run(req).await;
    };
    match state.admin_limiter.check(addr) {
        super::limits::Decision::Allow => next.run(req).await,
        super::limits::Decision::Refuse { retry_after, first } => {
            if first {
                tracing::warn!(client_ip = %addr, "admin rate limit reached");
                let refused = AuditEvent::refused(AuditKind::AdminRequest, "rate_limited");
                super::flow::ctx(&state, &super::limits::client_ip_of(&req))
                    .record(&refused)
                    .await;
            }
            if req.uri().path().starts_with("/api/") {
                let mut r = api::ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests from this address; wait and retry (see Retry-After)",
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            } else {
                super::limits::limited_page(&req, "admin", retry_after)
            }
        }
    }
}
