//! Adding an app in the console (`/admin/apps/new`): a preset's own form → `/admin/apps/new/preview`,
//! or SP metadata by file upload, pasted XML or URL → `/admin/apps/preview`; each preview reports
//! every mistake at once, then Save creates the app. Also a console's set-up guide
//! (`/admin/apps/guide/{console}`) and the preview page the metadata replacement shares.

use super::super::flow::redirect;
use super::super::AppState;
use super::super::ClientIp;
use super::apps::ctx;
use super::apps_forms::{
    checked, csrf_fields, entity_id, field, form_metadata, prefixed, refresh_secs, values,
    with_status, Errors, Fields,
};
use super::apps_names;
use super::apps_text::{param_fields, usage, warning_zh, ParamField};
use super::apps_views::{preset_views, PreviewView};
use super::auth::{chrome, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::app_checks;
use crate::admin::app_create::Created;
use crate::admin::apps::{self as domain, Ctx, NewApp, Plan};
use crate::admin::AdminError;
use crate::http::error::{t, Lang, Text, WebError};
use crate::providers::text as preset_text;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps/new", get(new_page).post(create_form))
        .route("/admin/apps/preview", post(preview_form))
        .route("/admin/apps/new/preview", post(preset_preview_form))
        .route("/admin/apps/guide/{console}", get(guide_page))
}

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
    /// Roles may be in several accounts of the console (`accounts`).
    accounts: bool,
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
            "accounts",
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
            accounts: p.role_rule.is_some()
                && matches!(p.accounts, crate::providers::Accounts::Several { .. }),
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
pub(super) struct PreviewPage {
    pub(super) c: Chrome,
    /// Where Save posts.
    pub(super) action: String,
    /// The app (new or existing).
    pub(super) name: String,
    pub(super) p: PreviewView,
    /// The document to re-submit.
    pub(super) xml: String,
    pub(super) refresh_secs: i64,
    pub(super) accept_expired: bool,
    /// Lines shown above the SP (label in English and Chinese, value).
    pub(super) facts: Vec<(&'static str, &'static str, String)>,
    /// More fields Save re-submits (a preset's parameters and rules).
    pub(super) hidden: Vec<(String, String)>,
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
    let f = csrf_fields(&admin, mp).await?;
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
    let entity = entity_id(&f);
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
fn preset_app(f: &Fields) -> Result<NewApp, AdminError> {
    Ok(NewApp {
        name: field(f, "name").trim().to_string(),
        preset: Some(field(f, "preset").trim().to_string()).filter(|p| !p.is_empty()),
        params: prefixed(f, "param."),
        metadata: form_metadata(f)?,
        entity_id: entity_id(f).map(str::to_string),
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
    let f = csrf_fields(&admin, mp).await?;
    let c = chrome(&admin, &headers, "apps");
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let preset = field(&f, "preset").trim().to_string();
    let (new, plan) = match planned(&cx, &f).await {
        Ok(p) => p,
        Err(errors) => {
            let errors = Errors::all(errors, Some(&preset))?;
            return render_new(c, Some(&preset), values(&f), errors);
        }
    };
    let forced = match apps_names::gate(&state, &new, &f).await? {
        Ok(forced) => forced,
        Err(r) => return apps_names::refused(c, Some(&preset), &f, &r.field, &r.found),
    };
    let mut facts = preset_facts(&state, &plan, &preset);
    let mut hidden = preset_hidden(&f, &preset);
    apps_names::mark_forced(c.l, forced.as_ref(), &mut facts, &mut hidden);
    let p = PreviewView::of_app(&plan.app, state.clock.now(), plan.warnings.clone());
    page(&PreviewPage {
        c,
        action: "/admin/apps/new".into(),
        name: new.name.clone(),
        p,
        facts,
        hidden,
        xml: plan.inspected.map(|i| i.xml).unwrap_or_default(),
        refresh_secs: new.refresh_secs,
        accept_expired: new.accept_expired_certificates,
    })
}

/// A preset form's app, checked (every mistake at once) and planned, or what is wrong with it.
async fn planned(cx: &Ctx<'_>, f: &Fields) -> Result<(NewApp, Plan), Vec<AdminError>> {
    let new = preset_app(f).map_err(|e| vec![e])?;
    let errors = match app_checks::preset_app(cx, &new).await {
        Ok(v) => v,
        Err(e) => vec![e],
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let plan = domain::plan(cx, &new).await.map_err(|e| vec![e])?;
    Ok((new, plan))
}

/// The lines a preset's preview shows above the SP: the preset, its addresses, parameters and
/// roles.
fn preset_facts(
    state: &AppState,
    plan: &Plan,
    preset: &str,
) -> Vec<(&'static str, &'static str, String)> {
    let a = crate::admin::app_view::addresses(&state.config, &plan.app);
    let mut facts = vec![
        ("Preset", "预设", preset.to_string()),
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
    facts
}

/// What Save re-submits of a preset form: the preset, its parameters and settings.
fn preset_hidden(f: &Fields, preset: &str) -> Vec<(String, String)> {
    let mut hidden: Vec<(String, String)> = vec![("preset".into(), preset.to_string())];
    hidden.extend(
        prefixed(f, "param.")
            .into_iter()
            .map(|(k, v)| (format!("param.{k}"), v)),
    );
    hidden.extend(
        prefixed(f, "setting.")
            .into_iter()
            .map(|(k, v)| (format!("setting.{k}"), v)),
    );
    hidden
}

/// `POST /admin/apps/new`: creates the app — from a preset's form, or from a previewed document.
async fn create_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    mp: Multipart,
) -> Result<Response, WebError> {
    let f = csrf_fields(&admin, mp).await?;
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    let preset = Some(field(&f, "preset").trim()).filter(|p| !p.is_empty());
    let r = match preset_app(&f) {
        Ok(new) => apps_names::create(&state, &cx, &new, &f).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(Created::Saved { saved, .. }) => redirect(&format!("/admin/apps/{}", saved.app.name)),
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
