//! One account's console page `/admin/users/{username}`: view with recent logins, edit, disable /
//! enable, bind / unbind, a one-time bind code shown once. Thin over [`crate::admin::users`].

use super::super::flow;
use super::super::AppState;
use super::super::ClientIp;
use super::api::rfc3339;
use super::auth::{chrome, ConsoleAdmin};
use super::users::{bind_checked, corp_id, Bound};
use super::users_console::{beside, fatal, page_error, segment, with_status, Row};
use super::{page, Chrome};
use crate::admin::users::{self as domain, Profile};
use crate::admin::wecom_names;
use crate::admin::AdminError;
use crate::http::error::WebError;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{username}", get(user_page))
        .route("/admin/users/{username}/edit", post(edit_form))
        .route("/admin/users/{username}/status", post(status_form))
        .route("/admin/users/{username}/bind", post(bind_form))
        .route("/admin/users/{username}/unbind", post(unbind_form))
        .route("/admin/users/{username}/code", post(code_form))
}

/// A login attempt as the page shows it.
struct Login {
    at: String,
    app: String,
    result: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/users_view.html")]
struct UserPage {
    c: Chrome,
    u: Row,
    created_at: String,
    updated_at: String,
    logins: Vec<Login>,
    /// A code just issued (shown once) and its expiry.
    code: Option<(String, String)>,
    error: Option<String>,
    /// A userid WeCom did not confirm: the page offers to bind it anyway.
    unconfirmed: Option<String>,
    /// The edit form's refused field and its sentence, shown beside it.
    beside: Option<(String, String)>,
}

impl UserPage {
    /// The refusal to show beside `field`, if it is that field's.
    fn beside(&self, field: &str) -> Option<&str> {
        match &self.beside {
            Some((f, said)) if f == field => Some(said),
            _ => None,
        }
    }
}

/// What the account page says besides the account itself.
#[derive(Debug, Default)]
struct Said {
    /// A refusal, above the forms.
    error: Option<String>,
    /// A userid WeCom did not confirm: the page offers to bind it anyway.
    unconfirmed: Option<String>,
    /// The edit form's refused field and its sentence.
    beside: Option<(String, String)>,
    /// What the refused edit form had, shown instead of the stored values.
    typed: Option<EditForm>,
}

async fn render_user(
    state: &AppState,
    c: Chrome,
    username: &str,
    code: Option<(String, String)>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let said = Said {
        error,
        ..Said::default()
    };
    render_user_with(state, c, username, code, said).await
}

async fn render_user_with(
    state: &AppState,
    c: Chrome,
    username: &str,
    code: Option<(String, String)>,
    said: Said,
) -> Result<Response, WebError> {
    let corp = &corp_id(state).await.map_err(fatal)?;
    let rec = domain::get(&state.store, corp, username)
        .await
        .map_err(fatal)?;
    let logins = match rec.userid() {
        Some(u) => domain::recent_logins(&state.store, u, 20)
            .await
            .map_err(fatal)?,
        None => Vec::new(),
    };
    let bad = said.error.is_some();
    let mut u = Row::of(&rec);
    if let Some(t) = said.typed {
        (u.display_name, u.email, u.mobile) = (t.display_name, t.email, t.mobile);
        (u.employee_no, u.groups) = (t.employee_no, t.groups);
    }
    let r = page(&UserPage {
        c,
        u,
        created_at: rfc3339(rec.account.created_at),
        updated_at: rfc3339(rec.account.updated_at),
        logins: logins
            .iter()
            .map(|e| Login {
                at: rfc3339(e.row.at),
                app: e.row.app.clone().unwrap_or_default(),
                result: e.row.result.to_string(),
                reason: e.row.reason.clone(),
            })
            .collect(),
        code,
        error: said.error,
        unconfirmed: said.unconfirmed,
        beside: said.beside,
    })?;
    Ok(with_status(r, bad))
}

async fn user_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    render_user(
        &state,
        chrome(&admin, &headers, "users"),
        &username,
        None,
        None,
    )
    .await
}

/// Applies `profile` to the account `username` (in the corp in force).
async fn update(
    state: &AppState,
    admin: &ConsoleAdmin,
    ip: &ClientIp,
    username: &str,
    profile: &Profile,
) -> Result<Result<(), AdminError>, WebError> {
    let corp = &corp_id(state).await.map_err(fatal)?;
    let now = state.clock.unix();
    Ok(domain::update(
        &state.store,
        corp,
        &admin.actor(),
        now,
        username,
        profile,
        ip.0,
    )
    .await
    .map(|_| ()))
}

/// After a change: back to the account's page, or the page again with the error.
async fn after(
    state: &AppState,
    admin: &ConsoleAdmin,
    headers: &HeaderMap,
    username: &str,
    done: Result<(), AdminError>,
) -> Result<Response, WebError> {
    match done {
        Ok(()) => flow::redirect(&format!("/admin/users/{}", segment(username))),
        Err(e) => {
            let c = chrome(admin, headers, "users");
            let msg = page_error(e, c.l)?;
            render_user(state, c, username, None, Some(msg)).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct EditForm {
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    employee_no: String,
    /// Separated by `;` or line breaks.
    #[serde(default)]
    groups: String,
}

async fn edit_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(username): Path<String>,
    Form(f): Form<EditForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let profile = Profile {
        display_name: Some(f.display_name.clone()),
        email: Some(f.email.clone()),
        mobile: Some(f.mobile.clone()),
        employee_no: Some(f.employee_no.clone()),
        groups: Some(f.groups.split([';', '\n']).map(str::to_string).collect()),
        status: None,
    };
    match update(&state, &admin, &ip, &username, &profile).await? {
        Ok(()) => after(&state, &admin, &headers, &username, Ok(())).await,
        // The page again with the error beside its field and what was typed kept.
        Err(e) => {
            let c = chrome(&admin, &headers, "users");
            let said = Said {
                beside: beside(&e, c.l),
                error: Some(page_error(e, c.l)?),
                typed: Some(f),
                ..Said::default()
            };
            render_user_with(&state, c, &username, None, said).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf: String,
    status: String,
}

async fn status_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(username): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let profile = Profile {
        status: Some(f.status),
        ..Profile::default()
    };
    let done = update(&state, &admin, &ip, &username, &profile).await?;
    after(&state, &admin, &headers, &username, done).await
}

#[derive(Debug, Deserialize)]
struct BindForm {
    csrf: String,
    userid: String,
    /// `1`: bind even though WeCom did not confirm the userid.
    force: Option<String>,
}

async fn bind_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(username): Path<String>,
    Form(f): Form<BindForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let force = Some(f.force.as_deref() == Some("1"));
    let actor = admin.actor();
    match bind_checked(&state, &actor, &username, &f.userid, force, ip.0).await {
        Ok(Bound::Yes(_)) => after(&state, &admin, &headers, &username, Ok(())).await,
        Ok(Bound::Refused(found)) => {
            // The page again with what WeCom said and a button to bind the userid anyway.
            let c = chrome(&admin, &headers, "users");
            let message = c.l.pick(&wecom_names::refusal_text(&found)).to_string();
            let userid = Some(f.userid.trim().to_string());
            let said = Said {
                error: Some(message),
                unconfirmed: userid,
                ..Said::default()
            };
            render_user_with(&state, c, &username, None, said).await
        }
        Err(e) => after(&state, &admin, &headers, &username, Err(e)).await,
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn unbind_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let corp = &corp_id(&state).await.map_err(fatal)?;
    let now = state.clock.unix();
    let done = domain::unbind(&state.store, corp, &admin.actor(), now, &username, ip.0)
        .await
        .map(|_| ());
    after(&state, &admin, &headers, &username, done).await
}

async fn code_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(username): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let corp = &corp_id(&state).await.map_err(fatal)?;
    let now = state.clock.unix();
    let rng = state.rng.as_ref();
    let c = chrome(&admin, &headers, "users");
    match domain::issue_code(
        &state.store,
        corp,
        &admin.actor(),
        now,
        rng,
        &username,
        ip.0,
    )
    .await
    {
        Ok((code, expires)) => {
            render_user(&state, c, &username, Some((code, rfc3339(expires))), None).await
        }
        Err(e) => {
            let msg = page_error(e, c.l)?;
            render_user(&state, c, &username, None, Some(msg)).await
        }
    }
}
