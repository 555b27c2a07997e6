//! The app page in the console (`/admin/apps/{name}`): addresses to copy, the settings form with
//! its rule pickers, metadata replace, versions and rollback, refresh, delete; drawn again with
//! the errors beside their fields after a refused change.

use super::super::flow::redirect;
use super::super::AppState;
use super::apps_forms::{with_status, Errors};
use super::apps_pickers::{self, Pickers};
use super::apps_text::{fetch_result, setting_fields, usage, SettingField};
use super::apps_views::{app_view, AppView};
use super::auth::{chrome, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::apps as domain;
use crate::admin::AdminError;
use crate::apps::App;
use crate::apps::SETTING_KEYS;
use crate::http::error::{t, Lang, Text, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/apps/{name}", get(app_page))
}

#[derive(Template)]
#[template(path = "admin/app.html")]
struct AppPage {
    c: Chrome,
    a: AppView,
    versions: Vec<(i64, String, String, String)>,
    errors: Errors,
    /// The settings form, with current (or just typed) values.
    settings: Vec<SettingField>,
    /// A change was just saved (`settings`, `unchanged`).
    saved: Option<String>,
    /// What a refused form had (the settings form, or the metadata form with its file kept).
    typed: HashMap<String, String>,
    /// The rule picker (departments, tags, members from WeCom).
    pick: Pickers,
    /// WeCom did not confirm a name the rules name: the form offers to save anyway.
    unconfirmed: bool,
}

impl AppPage {
    fn err(&self, f: &str) -> Option<&Text> {
        self.errors.get(f)
    }
    fn usage(&self, u: &str) -> String {
        usage(self.c.l, u)
    }
    /// What the metadata form had, after a refused preview (`metadata_kept`: the chosen file).
    fn typed(&self, k: &str) -> &str {
        self.typed.get(k).map(String::as_str).unwrap_or("")
    }
    fn fetch_result(&self, r: &str) -> String {
        fetch_result(self.c.l, r)
    }
    /// The "what is configured" lines in the page's language.
    fn summary(&self) -> &[(String, String)] {
        match self.c.l {
            Lang::En => &self.a.summary,
            Lang::Zh => &self.a.summary_zh,
        }
    }
    /// Why this homepage, in the page's language.
    fn homepage_why(&self) -> &str {
        match self.c.l {
            Lang::En => &self.a.homepage.why,
            Lang::Zh => &self.a.homepage.why_zh,
        }
    }
    /// Where the picker adds a token: the access rule and the role rules.
    fn pick_targets(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        apps_pickers::TARGETS
    }
    fn other_errors(&self) -> Vec<Text> {
        let mut shown: Vec<&str> = SETTING_KEYS.iter().map(|(k, _)| *k).collect();
        shown.extend([
            "metadata",
            "metadata_file",
            "metadata_xml",
            "metadata_url",
            "entity_id",
            "refresh_secs",
            "version",
            "confirm_name",
            "scim_token",
        ]);
        self.errors.other(&shown)
    }
}

pub(super) async fn render_app(
    state: &AppState,
    c: Chrome,
    name: &str,
    errors: Errors,
    typed: Option<&HashMap<String, String>>,
    saved: Option<String>,
) -> Result<Response, WebError> {
    render_app_with(state, c, name, errors, typed, saved, Shown::default()).await
}

/// What the settings form shows after a picker action or a save WeCom did not confirm.
#[derive(Debug, Default)]
pub(super) struct Shown {
    /// The picker's notice.
    pub(super) notice: Option<Text>,
    /// The picker's error.
    pub(super) error: Option<Text>,
    /// Offer "Save anyway".
    pub(super) unconfirmed: bool,
}

/// The app page, with `errors` beside their fields, what was `typed` kept, a `saved` notice and
/// what the picker or an unconfirmed save has to say.
pub(super) async fn render_app_with(
    state: &AppState,
    c: Chrome,
    name: &str,
    errors: Errors,
    typed: Option<&HashMap<String, String>>,
    saved: Option<String>,
    shown: Shown,
) -> Result<Response, WebError> {
    let app = load(state, name).await?;
    let a = app_view(state, &app)
        .await
        .map_err(|e| WebError::internal("app view", &e.message))?;
    let versions = versions(state, &app).await?;
    let mut pick = apps_pickers::load(state, c.l, typed).await;
    if shown.notice.is_some() {
        pick.notice = shown.notice;
    }
    if shown.error.is_some() {
        pick.error = shown.error;
    }
    let bad = !errors.is_empty() || pick.error.is_some();
    Ok(with_status(
        page(&AppPage {
            c,
            a,
            versions,
            errors,
            settings: setting_fields(
                &app.settings,
                typed.filter(|m| m.keys().any(|k| k.starts_with("setting."))),
            ),
            saved: saved.filter(|s| s == "settings" || s == "unchanged"),
            typed: typed.cloned().unwrap_or_default(),
            pick,
            unconfirmed: shown.unconfirmed,
        })?,
        bad,
    ))
}

/// The app, or the "no such app" page.
async fn load(state: &AppState, name: &str) -> Result<App, WebError> {
    match domain::load(&state.store, name).await {
        Ok(a) => Ok(a),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(_) => Err(WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t("No such app", "没有这个应用"),
            t(
                "There is no app with this name. The list of apps is at /admin/apps.",
                "没有这个名称的应用。应用列表在 /admin/apps。",
            ),
        )),
    }
}

/// The app's saved versions: number, entity ID, when, by whom.
async fn versions(
    state: &AppState,
    app: &App,
) -> Result<Vec<(i64, String, String, String)>, WebError> {
    Ok(state
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
        .collect())
}

#[derive(Debug, Deserialize)]
struct AppQuery {
    saved: Option<String>,
}

async fn app_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<AppQuery>,
) -> Result<Response, WebError> {
    render_app(
        &state,
        chrome(&admin, &headers, "apps"),
        &name,
        Errors::default(),
        None,
        q.saved,
    )
    .await
}

/// After a change: back to the app page, or the page again with the error next to its field.
pub(super) async fn after(
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
                None,
                None,
            )
            .await
        }
        Err(e) => {
            render_app(
                state,
                chrome(admin, headers, "apps"),
                name,
                Errors::of(e)?,
                None,
                None,
            )
            .await
        }
    }
}
