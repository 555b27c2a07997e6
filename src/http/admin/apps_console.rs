//! Apps in the console: the list (`/admin/apps`), adding one (`/admin/apps/new`: a preset's own
//! form → `/admin/apps/new/preview`, or SP metadata by file upload, pasted XML or URL →
//! `/admin/apps/preview`; each preview reports every mistake at once, then Save), a console's
//! set-up guide (`/admin/apps/guide/{console}`), and the app page (`/admin/apps/{name}`: addresses
//! to copy, the settings form, metadata replace with preview, versions and rollback, refresh,
//! delete with the name typed). Nothing is stored before Save; Save re-submits what was previewed,
//! which is checked again. Thin over [`crate::admin::apps`] and [`crate::admin::app_checks`].

use super::super::flow::{redirect, ClientIp};
use super::super::AppState;
use super::apps::{ctx, APP_BODY_LIMIT};
use super::apps_forms::{
    checked, field, fields, form_metadata, prefixed, refresh_secs, values, with_status, Errors,
};
use super::apps_names;
use super::apps_pickers::{self, Pickers};
use super::apps_text::{
    fetch_result, param_fields, setting_fields, usage, warning_zh, ParamField, SettingField,
};
use super::apps_views::{app_items, app_view, preset_views, AppItem, AppView, PreviewView};
use super::auth::{chrome, ConsoleAdmin};
use super::directory;
use super::{page, Chrome};
use crate::admin::app_create::Created;
use crate::admin::apps::{self as domain, NewApp};
use crate::admin::wecom_names::{self, Gate};
use crate::admin::AdminError;
use crate::admin::{app_checks, app_refresh};
use crate::apps::form::{self as setting_form, Kind};
use crate::apps::SETTING_KEYS;
use crate::error::{t, Lang, Text, WebError};
use crate::logsafe::Escaped;
use crate::providers::text as preset_text;
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
        .route("/admin/apps/new/preview", post(preset_preview_form))
        .route("/admin/apps/guide/{console}", get(guide_page))
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

/// A preset in the list.
struct PresetItem {
    name: &'static str,
    title: &'static str,
    title_zh: &'static str,
}

/// The chosen preset's form.
struct PresetForm {
    name: &'static str,
    title: &'static str,
    title_zh: &'static str,
    needs_metadata: bool,
    params: Vec<ParamField>,
    /// A role-SSO preset: role rules can be given with the default role.
    role_rules: bool,
    /// The console of its set-up guide (`/admin/apps/guide/{guide}`).
    guide: &'static str,
}

#[derive(Template)]
#[template(path = "admin/app_new.html")]
struct NewPage {
    c: Chrome,
    presets: Vec<PresetItem>,
    /// The chosen preset.
    preset: Option<PresetForm>,
    /// What the admin typed, to show again.
    values: HashMap<String, String>,
    errors: Errors,
}

impl NewPage {
    fn err(&self, f: &str) -> Option<&Text> {
        self.errors.get(f)
    }
    fn value(&self, f: &str) -> &str {
        self.values.get(f).map(String::as_str).unwrap_or("")
    }
    fn param_err(&self, key: &str) -> Option<&Text> {
        self.errors.get(&format!("params.{key}"))
    }
    fn other_errors(&self) -> Vec<Text> {
        self.errors.other(&[
            "name",
            "metadata",
            "metadata_file",
            "metadata_xml",
            "metadata_url",
            "entity_id",
            "refresh_secs",
            "role_rules",
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

pub(super) fn render_new(
    c: Chrome,
    preset: Option<&str>,
    values: HashMap<String, String>,
    errors: Errors,
) -> Result<Response, WebError> {
    let all = crate::providers::all();
    let views = preset_views();
    let presets = all
        .iter()
        .map(|p| PresetItem {
            name: p.name,
            title: p.summary,
            title_zh: preset_text::summary_zh(p.name),
        })
        .collect();
    let preset = preset
        .and_then(|name| all.iter().find(|p| p.name == name))
        .map(|p| PresetForm {
            name: p.name,
            title: p.summary,
            title_zh: preset_text::summary_zh(p.name),
            needs_metadata: views.iter().any(|v| v.name == p.name && v.needs_metadata),
            params: param_fields(p, &values),
            role_rules: p.role_rule.is_some(),
            guide: preset_text::console(p),
        });
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

/// `GET /admin/apps/guide/{console}`: the set-up guide of a cloud console, as bundled.
async fn guide_page(
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(console): Path<String>,
) -> Result<Response, WebError> {
    let Some(text) = preset_text::guide(&console) else {
        return Err(WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t("No such guide", "没有这份指南"),
            t(
                "There is no set-up guide with this name. The presets are at /admin/apps/new.",
                "没有这个名称的配置指南。预设列表在 /admin/apps/new。",
            ),
        ));
    };
    page(&GuidePage {
        c: chrome(&admin, &headers, "apps"),
        console,
        html: super::markdown::to_html(text),
    })
}

#[derive(Template)]
#[template(path = "admin/app_guide.html")]
struct GuidePage {
    c: Chrome,
    console: String,
    /// The guide rendered (raw HTML in it shown as text).
    html: String,
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
    /// Lines shown above the SP (label in English and Chinese, value).
    facts: Vec<(&'static str, &'static str, String)>,
    /// More fields Save re-submits (a preset's parameters and rules).
    hidden: Vec<(String, String)>,
}

impl PreviewPage {
    fn usage(&self, u: &str) -> String {
        usage(self.c.l, u)
    }
    /// The import's warnings in the page's language.
    fn warnings(&self) -> Vec<String> {
        self.p
            .warnings
            .iter()
            .map(|w| match self.c.l {
                Lang::En => w.clone(),
                Lang::Zh => warning_zh(w),
            })
            .collect()
    }
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
    let name = field(&f, "name").trim().to_string();
    let accept = checked(&f, "accept_expired");
    let mut errors = Vec::new();
    let refresh = refresh_secs(&f).unwrap_or_else(|e| {
        errors.push(e);
        0
    });
    let input = form_metadata(&f).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let entity = Some(field(&f, "entity_id")).filter(|e| !e.trim().is_empty());
    let r = app_checks::metadata_app(&cx, &name, input.as_ref(), entity, accept, refresh).await;
    let r = match r {
        Ok(Ok(i)) if errors.is_empty() => Ok(i),
        Ok(Ok(_)) => Err(errors),
        Ok(Err(more)) => {
            errors.extend(more);
            Err(errors)
        }
        Err(e) => Err(vec![e]),
    };
    match r {
        Ok(i) => page(&PreviewPage {
            c,
            action: "/admin/apps/new".into(),
            name,
            p: PreviewView::from(&i),
            xml: i.xml,
            refresh_secs: refresh,
            accept_expired: accept,
            facts: Vec::new(),
            hidden: Vec::new(),
        }),
        Err(e) => render_new(c, None, values(&f), Errors::all(e, None)?),
    }
}

/// A preset form's app as the domain takes it.
fn preset_app(f: &super::apps_forms::Fields) -> Result<NewApp, AdminError> {
    Ok(NewApp {
        name: field(f, "name").trim().to_string(),
        preset: Some(field(f, "preset").trim().to_string()).filter(|p| !p.is_empty()),
        params: prefixed(f, "param."),
        metadata: form_metadata(f)?,
        entity_id: Some(field(f, "entity_id").to_string()).filter(|e| !e.trim().is_empty()),
        settings: prefixed(f, "setting."),
        refresh_secs: refresh_secs(f)?,
        accept_expired_certificates: checked(f, "accept_expired"),
    })
}

/// `POST /admin/apps/new/preview`: checks a preset form — every mistake at once, beside its
/// field — and shows what would be created; nothing is stored.
async fn preset_preview_form(
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
    let preset = field(&f, "preset").trim().to_string();
    let new = match preset_app(&f) {
        Ok(n) => n,
        Err(e) => {
            return render_new(
                c,
                Some(&preset),
                values(&f),
                Errors::all(vec![e], Some(&preset))?,
            )
        }
    };
    let errors = match app_checks::preset_app(&cx, &new).await {
        Ok(v) => v,
        Err(e) => vec![e],
    };
    if !errors.is_empty() {
        return render_new(
            c,
            Some(&preset),
            values(&f),
            Errors::all(errors, Some(&preset))?,
        );
    }
    let plan = match domain::plan(&cx, &new).await {
        Ok(p) => p,
        Err(e) => {
            return render_new(
                c,
                Some(&preset),
                values(&f),
                Errors::all(vec![e], Some(&preset))?,
            )
        }
    };
    let forced = match apps_names::gate(&state, &new, &f).await? {
        Ok(forced) => forced,
        Err((key, found)) => return apps_names::refused(c, Some(&preset), &f, &key, &found),
    };
    let a = crate::admin::app_view::addresses(&state.config, &plan.app);
    let mut facts = vec![
        ("Preset", "预设", preset.clone()),
        (
            "WeCom app homepage",
            "企业微信应用主页",
            a.homepage.url.clone(),
        ),
        ("Mount address", "挂载地址", a.mount.clone()),
    ];
    for (k, v) in &plan.app.settings.params {
        facts.push(("Parameter", "参数", format!("{k} = {v}")));
    }
    if let Some(r) = &plan.app.settings.roles.default_role {
        facts.push(("Default role", "默认角色", r.clone()));
    }
    if !plan.app.settings.roles.rules.is_empty() {
        facts.push((
            "Role rules",
            "角色规则",
            crate::identity::roles::format_rules(&plan.app.settings.roles.rules),
        ));
    }
    let mut hidden: Vec<(String, String)> = vec![("preset".into(), preset.clone())];
    hidden.extend(
        prefixed(&f, "param.")
            .into_iter()
            .map(|(k, v)| (format!("param.{k}"), v)),
    );
    hidden.extend(
        prefixed(&f, "setting.")
            .into_iter()
            .map(|(k, v)| (format!("setting.{k}"), v)),
    );
    apps_names::mark_forced(c.l, forced.as_ref(), &mut facts, &mut hidden);
    let p = PreviewView::of_app(&plan.app, state.clock.now(), plan.warnings.clone());
    page(&PreviewPage {
        c,
        action: "/admin/apps/new".into(),
        name: new.name.clone(),
        p,
        xml: plan.inspected.map(|i| i.xml).unwrap_or_default(),
        refresh_secs: new.refresh_secs,
        accept_expired: new.accept_expired_certificates,
        facts,
        hidden,
    })
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
        apps_names::create(&state, &cx, &new, &f).await
    }
    .await;
    match r {
        Ok(Created::Saved(saved)) => redirect(&format!("/admin/apps/{}", saved.app.name)),
        Ok(Created::Refused { field, found }) => {
            apps_names::refused(chrome(&admin, &headers, "apps"), preset, &f, &field, &found)
        }
        Err(e) => render_new(
            chrome(&admin, &headers, "apps"),
            preset,
            values(&f),
            Errors::all(vec![e], preset)?,
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
        ]);
        self.errors.other(&shown)
    }
}

async fn render_app(
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
struct Shown {
    /// The picker's notice.
    notice: Option<Text>,
    /// The picker's error.
    error: Option<Text>,
    /// Offer "Save anyway".
    unconfirmed: bool,
}

async fn render_app_with(
    state: &AppState,
    c: Chrome,
    name: &str,
    errors: Errors,
    typed: Option<&HashMap<String, String>>,
    saved: Option<String>,
    shown: Shown,
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

/// `POST /admin/apps/{name}/settings`: the whole settings form (`setting.KEY` fields, toggles
/// present when on); only what differs from the current value is applied. Every refused change
/// is shown beside its field with everything typed kept; a Save ends on the page with a notice.
/// A single `key` and `value` (the earlier one-setting form) is still taken.
async fn settings_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    admin.check_csrf(f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    // The picker's buttons show the form again (members found, a token added); nothing is saved.
    if let Some(action) = f.get("pick").cloned() {
        let mut f = f;
        let mut shown = Shown::default();
        if action == "add" {
            match apps_pickers::add(&mut f) {
                Ok(tokens) => {
                    let names = apps_pickers::load(&state, Lang::Zh, None).await.names;
                    shown.notice = Some(apps_pickers::added_notice(&tokens, &names));
                }
                Err(e) => shown.error = Some(apps_pickers::add_error(&e)),
            }
        }
        let c = chrome(&admin, &headers, "apps");
        return render_app_with(&state, c, &name, Errors::default(), Some(&f), None, shown).await;
    }
    if let (Some(k), Some(v)) = (f.get("key"), f.get("value")) {
        let r = domain::update_settings(&cx, &name, &[(k.clone(), v.clone())])
            .await
            .map(|_| ());
        return after(&state, &admin, &headers, &name, r).await;
    }
    let app = match domain::load(&state.store, &name).await {
        Ok(a) => a,
        Err(e) => return after(&state, &admin, &headers, &name, Err(e)).await,
    };
    let changes: Vec<(String, String)> = setting_form::form_fields(&app.settings)
        .filter(|fd| setting_form::round_trips(&app.settings, fd.key))
        .filter_map(|fd| {
            let v = match fd.kind {
                Kind::Toggle => if f.contains_key(&format!("setting.{}", fd.key)) {
                    "true"
                } else {
                    "false"
                }
                .to_string(),
                _ => f.get(&format!("setting.{}", fd.key))?.clone(),
            };
            setting_form::changed(&app.settings, fd.key, &v).then(|| (fd.key.to_string(), v))
        })
        .collect();
    if changes.is_empty() {
        return redirect(&format!("/admin/apps/{name}?saved=unchanged#settings"));
    }
    let mut errors = app_checks::settings(&app, &changes);
    let mut unconfirmed = None;
    if errors.is_empty() {
        // The names the rules name, against WeCom: warn with the unknown ones, let the admin decide.
        let names = wecom_names::named_in_settings(&changes);
        let force = Some(f.get("force").map(String::as_str) == Some("1"));
        let forced = match directory::gate(&state, &names, force).await {
            Ok(Gate::Go) => None,
            Ok(Gate::Forced(found)) => Some(found),
            Ok(Gate::Refused(found)) => {
                unconfirmed = Some(found);
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if errors.is_empty() && unconfirmed.is_none() {
            match domain::update_settings(&cx, &name, &changes).await {
                Ok(_) => {
                    if let Some(found) = forced {
                        let field = wecom_names::field_of(&changes, &found);
                        wecom_names::audit_forced(
                            &state.store,
                            cx.unix(),
                            wecom_names::ForcedSave {
                                actor: &actor,
                                what: field,
                                app: Some(&name),
                                userid: None,
                                found: &found,
                                ip: cx.ip,
                            },
                        )
                        .await;
                    }
                    return redirect(&format!("/admin/apps/{name}?saved=settings#settings"));
                }
                Err(e) => errors.push(e),
            }
        }
    }
    let mut shown_errors = Errors::all(errors, None)?;
    let mut shown = Shown::default();
    if let Some(found) = &unconfirmed {
        let field = wecom_names::field_of(&changes, found).to_string();
        shown_errors
            .0
            .push((field, wecom_names::refusal_text(found)));
        shown.unconfirmed = true;
    }
    render_app_with(
        &state,
        chrome(&admin, &headers, "apps"),
        &name,
        shown_errors,
        Some(&f),
        None,
        shown,
    )
    .await
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
        let app = domain::load(&state.store, &name).await?;
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
        app_checks::replacement(&cx, &app, &i).await?;
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
            facts: Vec::new(),
            hidden: Vec::new(),
        }),
        Err(e @ (AdminError::NotFound(_) | AdminError::Store(_))) => {
            after(&state, &admin, &headers, &name, Err(e)).await
        }
        // The page again with the error beside its field and the chosen file kept.
        Err(e) => {
            render_app(
                &state,
                chrome(&admin, &headers, "apps"),
                &name,
                Errors::of(e)?,
                Some(&values(&f)),
                None,
            )
            .await
        }
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
