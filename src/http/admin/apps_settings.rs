//! The app settings form (`POST /admin/apps/{name}/settings`): the whole form, its rule pickers,
//! and the names the rules name checked against WeCom before a save.

use super::super::flow::redirect;
use super::super::AppState;
use super::super::ClientIp;
use super::apps::ctx;
use super::apps_forms::Errors;
use super::apps_page::{after, render_app_with, Shown};
use super::apps_pickers;
use super::auth::{chrome, ConsoleAdmin};
use super::directory;
use super::Chrome;
use crate::admin::app_checks;
use crate::admin::apps::{self as domain, Ctx};
use crate::admin::wecom_names::{self, Gate, NamesCheck};
use crate::admin::AdminError;
use crate::apps::form::{self as setting_form, Kind};
use crate::apps::{App, AppSettings};
use crate::http::error::{Lang, WebError};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Form;
use axum::Router;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/apps/{name}/settings", post(settings_form))
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
        let c = chrome(&admin, &headers, "apps");
        return picked(&state, c, &name, f, &action).await;
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
    let changes = changes_of(&app.settings, &f);
    if changes.is_empty() {
        return redirect(&format!("/admin/apps/{name}?saved=unchanged#settings"));
    }
    let force = f.get("force").map(String::as_str) == Some("1");
    let (errors, unconfirmed) = match save(&state, &cx, &name, &app, &changes, force).await {
        Ok(()) => return redirect(&format!("/admin/apps/{name}?saved=settings#settings")),
        Err(refused) => refused,
    };
    let mut shown_errors = Errors::all(errors, None)?;
    let mut shown = Shown::default();
    if let Some(found) = &unconfirmed {
        let field = wecom_names::field_of(&changes, found).to_string();
        shown_errors
            .0
            .push((field, wecom_names::refusal_text(found)));
        shown.unconfirmed = true;
    }
    let c = chrome(&admin, &headers, "apps");
    render_app_with(&state, c, &name, shown_errors, Some(&f), None, shown).await
}

/// A picker button: the form again with the members found or the token added; nothing saved.
async fn picked(
    state: &AppState,
    c: Chrome,
    name: &str,
    mut f: HashMap<String, String>,
    action: &str,
) -> Result<Response, WebError> {
    let mut shown = Shown::default();
    if action == "add" {
        match apps_pickers::add(&mut f) {
            Ok(tokens) => {
                let names = apps_pickers::load(state, Lang::Zh, None).await.names;
                shown.notice = Some(apps_pickers::added_notice(&tokens, &names));
            }
            Err(e) => shown.error = Some(apps_pickers::add_error(&e)),
        }
    }
    render_app_with(state, c, name, Errors::default(), Some(&f), None, shown).await
}

/// The form's settings that differ from the app's (a toggle absent from the form is off).
fn changes_of(settings: &AppSettings, f: &HashMap<String, String>) -> Vec<(String, String)> {
    setting_form::form_fields(settings)
        .filter(|fd| setting_form::round_trips(settings, fd.key))
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
            setting_form::changed(settings, fd.key, &v).then(|| (fd.key.to_string(), v))
        })
        .collect()
}

/// Checks `changes`, the names they name against WeCom (unless `force`), and saves them; a save
/// forced past WeCom is audited. Refused: the errors, or what WeCom did not confirm.
async fn save(
    state: &AppState,
    cx: &Ctx<'_>,
    name: &str,
    app: &App,
    changes: &[(String, String)],
    force: bool,
) -> Result<(), (Vec<AdminError>, Option<NamesCheck>)> {
    let errors = app_checks::settings(app, changes);
    if !errors.is_empty() {
        return Err((errors, None));
    }
    let names = wecom_names::named_in_settings(changes);
    let forced = match directory::gate(state, &names, Some(force)).await {
        Ok(Gate::Go) => None,
        Ok(Gate::Forced(found)) => Some(found),
        Ok(Gate::Refused(found)) => return Err((Vec::new(), Some(found))),
        Err(e) => return Err((vec![e], None)),
    };
    if let Err(e) = domain::update_settings(cx, name, changes).await {
        return Err((vec![e], None));
    }
    if let Some(found) = forced {
        let field = wecom_names::field_of(changes, &found);
        wecom_names::audit_forced(
            &state.store,
            cx.unix(),
            wecom_names::ForcedSave {
                actor: cx.actor,
                what: field,
                app: Some(name),
                userid: None,
                found: &found,
                ip: cx.ip,
            },
        )
        .await;
    }
    Ok(())
}
