//! Apps in the console: the list (`/admin/apps`), adding one (`/admin/apps/new`: a preset's own
//! form, or SP metadata by file upload, pasted XML or URL → a preview → Save), and the app page
//! (`/admin/apps/{name}`: addresses to copy, settings, metadata replace with preview, versions and
//! rollback, refresh, delete with the name typed). Nothing is stored before Save; Save re-submits
//! the previewed document, which is checked again. Thin over [`crate::admin::apps`].

use super::super::flow::{redirect, ClientIp};
use super::super::AppState;
use super::apps::{ctx, APP_BODY_LIMIT};
use super::apps_forms::{
    checked, field, fields, form_metadata, prefixed, refresh_secs, values, with_status, Errors,
};
use super::apps_views::{
    app_items, app_view, preset_views, AppItem, AppView, PresetView, PreviewView,
};
use super::auth::{chrome, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::app_refresh;
use crate::admin::apps::{self as domain, NewApp};
use crate::admin::AdminError;
use crate::apps::SETTING_KEYS;
use crate::error::{t, WebError};
use crate::logsafe::Escaped;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list_page))
        .route("/admin/apps/new", get(new_page).post(create_form))
        .route("/admin/apps/preview", post(preview_form))
        .route("/admin/apps/{name}", get(app_page))
        .route("/admin/apps/{name}/settings", post(settings_form))
        .route("/admin/apps/{name}/metadata", post(replace_form))
        .route(
            "/admin/apps/{name}/metadata/preview",
            post(replace_preview_form),
        )
        .route("/admin/apps/{name}/rollback", post(rollback_form))
        .route("/admin/apps/{name}/refresh", post(refresh_form))
        .route("/admin/apps/{name}/delete", post(delete_form))
        .route_layer(DefaultBodyLimit::max(APP_BODY_LIMIT))
}

// ---- list ----

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct ListPage {
    c: Chrome,
    apps: Vec<AppItem>,
}

async fn list_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let apps = app_items(&state).await.map_err(|e| {
        tracing::error!(error = %Escaped(&e.message), "apps list");
        WebError::internal("apps list", &e.message)
    })?;
    page(&ListPage {
        c: chrome(&admin, &headers, "apps"),
        apps,
    })
}

// ---- new ----

#[derive(Template)]
#[template(path = "admin/app_new.html")]
struct NewPage {
    c: Chrome,
    presets: Vec<PresetView>,
    /// The chosen preset.
    preset: Option<PresetView>,
    /// What the admin typed, to show again.
    values: HashMap<String, String>,
    errors: Errors,
}

impl NewPage {
    fn err(&self, f: &str) -> Option<&str> {
        self.errors.get(f)
    }
    fn value(&self, f: &str) -> &str {
        self.values.get(f).map(String::as_str).unwrap_or("")
    }
    fn param_err(&self, key: &str) -> Option<&str> {
        self.errors.get(&format!("params.{key}"))
    }
    fn param_value(&self, key: &str) -> &str {
        self.value(&format!("param.{key}"))
    }
    fn other_errors(&self) -> Vec<String> {
        self.errors.other(&[
            "name",
            "metadata_file",
            "metadata_xml",
            "metadata_url",
            "entity_id",
            "refresh_secs",
        ])
    }
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    preset: Option<String>,
}

async fn new_page(
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    render_new(
        chrome(&admin, &headers, "apps"),
        q.preset.as_deref(),
        HashMap::new(),
        Errors::default(),
    )
}

fn render_new(
    c: Chrome,
    preset: Option<&str>,
    values: HashMap<String, String>,
    errors: Errors,
) -> Result<Response, WebError> {
    let presets = preset_views();
    let chosen = preset.and_then(|p| presets.iter().position(|x| x.name == p));
    let mut presets = presets;
    let preset = chosen.map(|i| presets.remove(i));
    let bad = !errors.is_empty();
    Ok(with_status(
        page(&NewPage {
            c,
            presets,
            preset,
            values,
            errors,
        })?,
        bad,
    ))
}

#[derive(Template)]
#[template(path = "admin/app_preview.html")]
struct PreviewPage {
    c: Chrome,
    /// Where Save posts.
    action: String,
    /// The app (new or existing).
    name: String,
    p: PreviewView,
    /// The document to re-submit.
    xml: String,
    refresh_secs: i64,
    accept_expired: bool,
}

/// `POST /admin/apps/preview`: checks the metadata of a new app and shows what would be imported.
async fn preview_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = fields(mp).await?;
    admin.check_csrf(field(&f, "csrf"))?;
    let c = chrome(&admin, &headers, "apps");
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let r = async {
        let name = field(&f, "name").trim();
        crate::apps::AppName::parse(name)
            .map_err(|e| AdminError::invalid("name", e.to_string()))?;
        let refresh = refresh_secs(&f)?;
        let Some(input) = form_metadata(&f)? else {
            return Err(AdminError::invalid(
                "metadata_file",
                "upload the SP's metadata file, paste it, or give its URL",
            ));
        };
        let entity = Some(field(&f, "entity_id")).filter(|e| !e.trim().is_empty());
        let i = domain::preview(
            &cx,
            Some(name),
            &input,
            entity,
            checked(&f, "accept_expired"),
        )
        .await?;
        Ok((name.to_string(), i, refresh))
    }
    .await;
    match r {
        Ok((name, i, refresh_secs)) => page(&PreviewPage {
            c,
            action: "/admin/apps/new".into(),
            name,
            p: PreviewView::from(&i),
            xml: i.xml,
            refresh_secs,
            accept_expired: checked(&f, "accept_expired"),
        }),
        Err(e) => render_new(c, None, values(&f), Errors::of(e)?),
    }
}

/// `POST /admin/apps/new`: creates the app — from a preset's form, or from a previewed document.
async fn create_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = fields(mp).await?;
    admin.check_csrf(field(&f, "csrf"))?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let preset = Some(field(&f, "preset").trim()).filter(|p| !p.is_empty());
    let r = async {
        let new = NewApp {
            name: field(&f, "name").trim().to_string(),
            preset: preset.map(str::to_string),
            params: prefixed(&f, "param."),
            metadata: form_metadata(&f)?,
            entity_id: Some(field(&f, "entity_id").to_string()).filter(|e| !e.trim().is_empty()),
            settings: prefixed(&f, "setting."),
            refresh_secs: refresh_secs(&f)?,
            accept_expired_certificates: checked(&f, "accept_expired"),
        };
        domain::create(&cx, &new).await
    }
    .await;
    match r {
        Ok(saved) => redirect(&format!("/admin/apps/{}", saved.app.name)),
        Err(e) => render_new(
            chrome(&admin, &headers, "apps"),
            preset,
            values(&f),
            Errors::of(e)?,
        ),
    }
}

// ---- the app page ----

#[derive(Template)]
#[template(path = "admin/app.html")]
struct AppPage {
    c: Chrome,
    a: AppView,
    versions: Vec<(i64, String, String, String)>,
    errors: Errors,
}

impl AppPage {
    fn err(&self, f: &str) -> Option<&str> {
        self.errors.get(f)
    }
    fn setting_keys(&self) -> Vec<(&'static str, &'static str)> {
        SETTING_KEYS.to_vec()
    }
    fn other_errors(&self) -> Vec<String> {
        let mut shown: Vec<&str> = SETTING_KEYS.iter().map(|(k, _)| *k).collect();
        shown.extend([
            "metadata_file",
            "metadata_xml",
            "metadata_url",
            "entity_id",
            "refresh_secs",
            "version",
            "confirm_name",
        ]);
        self.errors.other(&shown)
    }
}

async fn render_app(
    state: &AppState,
    c: Chrome,
    name: &str,
    errors: Errors,
) -> Result<Response, WebError> {
    let app = match domain::load(&state.store, name).await {
        Ok(a) => a,
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(_) => {
            return Err(WebError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                t("No such app", "没有这个应用"),
                t(
                    "There is no app with this name. The list of apps is at /admin/apps.",
                    "没有这个名称的应用。应用列表在 /admin/apps。",
                ),
            ))
        }
    };
    let a = app_view(state, &app)
        .await
        .map_err(|e| WebError::internal("app view", &e.message))?;
    let versions = state
        .store
        .app_versions(app.name.as_str())
        .await?
        .into_iter()
        .map(|v| {
            (
                v.version,
                v.entity_id,
                super::api::rfc3339(v.saved_at),
                v.saved_by,
            )
        })
        .collect();
    let bad = !errors.is_empty();
    Ok(with_status(
        page(&AppPage {
            c,
            a,
            versions,
            errors,
        })?,
        bad,
    ))
}

async fn app_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    render_app(
        &state,
        chrome(&admin, &headers, "apps"),
        &name,
        Errors::default(),
    )
    .await
}

/// After a change: back to the app page, or the page again with the error next to its field.
async fn after(
    state: &AppState,
    admin: &ConsoleAdmin,
    headers: &HeaderMap,
    name: &str,
    r: Result<(), AdminError>,
) -> Result<Response, WebError> {
    match r {
        Ok(()) => redirect(&format!("/admin/apps/{name}")),
        Err(AdminError::NotFound(_)) => {
            render_app(
                state,
                chrome(admin, headers, "apps"),
                name,
                Errors::default(),
            )
            .await
        }
        Err(e) => render_app(state, chrome(admin, headers, "apps"), name, Errors::of(e)?).await,
    }
}

#[derive(Debug, Deserialize)]
struct SettingForm {
    csrf: String,
    key: String,
    value: String,
}

async fn settings_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<SettingForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let actor = admin.actor();
    let r = domain::update_settings(&ctx(&state, &actor, &ip), &name, &[(f.key, f.value)])
        .await
        .map(|_| ());
    after(&state, &admin, &headers, &name, r).await
}

async fn replace_preview_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = fields(mp).await?;
    admin.check_csrf(field(&f, "csrf"))?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let r = async {
        domain::load(&state.store, &name).await?;
        let refresh = refresh_secs(&f)?;
        let Some(input) = form_metadata(&f)? else {
            return Err(AdminError::invalid(
                "metadata_file",
                "upload the SP's metadata file, paste it, or give its URL",
            ));
        };
        let entity = Some(field(&f, "entity_id")).filter(|e| !e.trim().is_empty());
        let i = domain::preview(
            &cx,
            Some(&name),
            &input,
            entity,
            checked(&f, "accept_expired"),
        )
        .await?;
        Ok((i, refresh))
    }
    .await;
    match r {
        Ok((i, refresh_secs)) => page(&PreviewPage {
            c: chrome(&admin, &headers, "apps"),
            action: format!("/admin/apps/{name}/metadata"),
            name,
            p: PreviewView::from(&i),
            xml: i.xml,
            refresh_secs,
            accept_expired: checked(&f, "accept_expired"),
        }),
        Err(e) => after(&state, &admin, &headers, &name, Err(e)).await,
    }
}

async fn replace_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = fields(mp).await?;
    admin.check_csrf(field(&f, "csrf"))?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let r = async {
        let Some(input) = form_metadata(&f)? else {
            return Err(AdminError::invalid("metadata_xml", "no metadata given"));
        };
        let entity = Some(field(&f, "entity_id")).filter(|e| !e.trim().is_empty());
        domain::replace_metadata(
            &cx,
            &name,
            &input,
            entity,
            checked(&f, "accept_expired"),
            refresh_secs(&f)?,
        )
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
