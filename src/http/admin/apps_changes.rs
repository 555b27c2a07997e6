//! Changes to an app from its console page: its metadata replaced (with a preview first),
//! a version rolled back to, its metadata refreshed from its URL, the app deleted with its name
//! typed. Each ends on the app page, or on the page again with the error beside its field.

use super::super::flow::redirect;
use super::super::AppState;
use super::super::ClientIp;
use super::apps::ctx;
use super::apps_forms::{
    checked, csrf_fields, entity_id, form_metadata, refresh_secs, values, Errors, Fields,
};
use super::apps_new::PreviewPage;
use super::apps_page::{after, render_app};
use super::apps_views::PreviewView;
use super::auth::{chrome, ConsoleAdmin};
use super::page;
use crate::admin::app_checks;
use crate::admin::app_metadata::MetadataInput;
use crate::admin::app_refresh;
use crate::admin::apps as domain;
use crate::admin::AdminError;
use crate::http::error::WebError;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Form;
use axum::Router;
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps/{name}/metadata", post(replace_form))
        .route(
            "/admin/apps/{name}/metadata/preview",
            post(replace_preview_form),
        )
        .route("/admin/apps/{name}/rollback", post(rollback_form))
        .route("/admin/apps/{name}/refresh", post(refresh_form))
        .route("/admin/apps/{name}/delete", post(delete_form))
}

/// The metadata a form gives, or `missing` (field, message) when it gives none.
fn given_metadata(
    f: &Fields,
    missing: (&'static str, &'static str),
) -> Result<MetadataInput, AdminError> {
    form_metadata(f)?.ok_or_else(|| AdminError::invalid(missing.0, missing.1))
}

/// `POST /admin/apps/{name}/metadata/preview`: checks a replacement document and shows what
/// would change; nothing is stored.
async fn replace_preview_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = csrf_fields(&admin, mp).await?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let r = async {
        let app = domain::load(&state.store, &name).await?;
        let refresh = refresh_secs(&f)?;
        let input = given_metadata(
            &f,
            (
                "metadata_file",
                "upload the SP's metadata file, paste it, or give its URL",
            ),
        )?;
        let accept = checked(&f, "accept_expired");
        let i = domain::preview(&cx, Some(&name), &input, entity_id(&f), accept).await?;
        app_checks::replacement(&cx, &app, &i).await?;
        Ok((i, refresh))
    }
    .await;
    let c = chrome(&admin, &headers, "apps");
    match r {
        Ok((i, refresh_secs)) => page(&PreviewPage {
            c,
            action: format!("/admin/apps/{name}/metadata"),
            name,
            p: PreviewView::from(&i),
            xml: i.xml,
            refresh_secs,
            accept_expired: checked(&f, "accept_expired"),
            facts: Vec::new(),
            hidden: Vec::new(),
        }),
        Err(e @ (AdminError::NotFound(_) | AdminError::Store(_))) => {
            after(&state, &admin, &headers, &name, Err(e)).await
        }
        // The page again with the error beside its field and the chosen file kept.
        Err(e) => render_app(&state, c, &name, Errors::of(e)?, Some(&values(&f)), None).await,
    }
}

/// `POST /admin/apps/{name}/metadata`: replaces the app's metadata with the previewed document.
async fn replace_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = csrf_fields(&admin, mp).await?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let r = async {
        let input = given_metadata(&f, ("metadata_xml", "no metadata given"))?;
        let accept = checked(&f, "accept_expired");
        domain::replace_metadata(&cx, &name, &input, entity_id(&f), accept, refresh_secs(&f)?)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, &admin, &headers, &name, r).await
}

#[derive(Debug, Deserialize)]
struct RollbackForm {
    csrf: String,
    version: String,
}

async fn rollback_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<RollbackForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let actor = admin.actor();
    let r = match f.version.trim().parse::<i64>() {
        Ok(v) => domain::rollback(&ctx(&state, &actor, &ip), &name, v)
            .await
            .map(|_| ()),
        Err(_) => Err(AdminError::invalid(
            "version",
            "a version number from the list",
        )),
    };
    after(&state, &admin, &headers, &name, r).await
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn refresh_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let actor = admin.actor();
    let r = app_refresh::refresh(&ctx(&state, &actor, &ip), &name)
        .await
        .map(|_| ());
    after(&state, &admin, &headers, &name, r).await
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    csrf: String,
    confirm_name: String,
}

async fn delete_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    if f.confirm_name.trim() != name {
        let e = AdminError::invalid(
            "confirm_name",
            format!("type the app's name ({name}) to confirm the deletion"),
        );
        return after(&state, &admin, &headers, &name, Err(e)).await;
    }
    let actor = admin.actor();
    match domain::delete(&ctx(&state, &actor, &ip), &name).await {
        Ok(()) => redirect("/admin/apps"),
        Err(e) => after(&state, &admin, &headers, &name, Err(e)).await,
    }
}
