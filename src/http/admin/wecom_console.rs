//! The console page `/admin/wecom`: the WeCom source form (secret empty, with the masked hint as
//! placeholder), "check connection" (saved or unsaved values; ✓ or WeCom's exact errcode with its
//! meaning and fix in both languages), Save (which runs the same check first; on failure nothing is
//! saved, the result is shown beside the field it points at, the typed values stay in the form and
//! a "Save anyway" button appears), the binding settings form with the table of what each
//! combination does, reset to configuration, and the list of WeCom's domain-ownership files (their
//! upload and remove forms are in `verify_files.rs`). CSRF first in every handler.

use super::super::AppState;
use super::super::ClientIp;
use super::auth::{chrome, ConsoleAdmin};
use super::wecom::{change, check, current, BindingView, CheckView, WecomView};
use super::{page, Chrome};
use crate::admin::settings::{self as domain, BindingChange, SaveMode, WecomChange, WecomSave};
use crate::admin::AdminError;
use crate::http::error::WebError;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/wecom", get(wecom_page))
        .route("/admin/wecom/source", post(source_form))
        .route("/admin/wecom/check", post(check_form))
        .route("/admin/wecom/binding", post(binding_form))
        .route("/admin/wecom/reset", post(reset_form))
}

// ---- console page ----

/// One row of the `auto_bind` × `when_unmatched` table (README's text).
struct Combo {
    auto_bind: bool,
    when: &'static str,
    matched: (&'static str, &'static str),
    none: (&'static str, &'static str),
}

const COMBOS: &[Combo] = &[
    Combo {
        auto_bind: true,
        when: "create",
        matched: ("bound (auto), signs in", "自动绑定后登录"),
        none: (
            "an account is created from the WeCom profile",
            "按企业微信资料创建账号",
        ),
    },
    Combo {
        auto_bind: true,
        when: "bind",
        matched: ("bound (auto)", "自动绑定"),
        none: (
            "bind page: prove an account by password or one-time code",
            "绑定页：用账号密码或一次性验证码证明账号",
        ),
    },
    Combo {
        auto_bind: true,
        when: "bind_or_create",
        matched: ("bound (auto)", "自动绑定"),
        none: (
            "bind page with \"create a new account\"",
            "绑定页，另可“创建新账号”",
        ),
    },
    Combo {
        auto_bind: true,
        when: "reject",
        matched: ("bound (auto)", "自动绑定"),
        none: (
            "refused: no_account, naming the contact",
            "拒绝：no_account，显示联系人",
        ),
    },
    Combo {
        auto_bind: false,
        when: "create",
        matched: ("— (never matched)", "不自动匹配"),
        none: (
            "account created (username gets a suffix when taken)",
            "创建账号（用户名被占用时加后缀）",
        ),
    },
    Combo {
        auto_bind: false,
        when: "bind",
        matched: ("— (never matched)", "不自动匹配"),
        none: ("bind page", "绑定页"),
    },
    Combo {
        auto_bind: false,
        when: "bind_or_create",
        matched: ("— (never matched)", "不自动匹配"),
        none: ("bind page with \"create\"", "绑定页，另可“创建”"),
    },
    Combo {
        auto_bind: false,
        when: "reject",
        matched: ("— (never matched)", "不自动匹配"),
        none: ("refused: no_account", "拒绝：no_account"),
    },
];

#[derive(Template)]
#[template(path = "admin/wecom.html")]
struct WecomPage {
    c: Chrome,
    w: WecomView,
    b: BindingView,
    combos: &'static [Combo],
    check: Option<CheckView>,
    /// (field, message) of a refused form.
    error: Option<(String, String)>,
    saved: bool,
    /// A Save was refused because the check failed: offer "Save anyway".
    refused: bool,
    /// The refused Save carried a typed Secret (never sent back: it must be typed again).
    secret_typed: bool,
    /// What the app's trusted domain must be in WeCom (host[:port]).
    trusted_domain: String,
    /// The URL to paste as the event callback's URL in WeCom.
    events_url: String,
    /// WeCom's domain-ownership files, served at the root.
    verify_files: Vec<super::verify_files::VerifyFileView>,
}

impl WecomPage {
    fn set_in_console(&self, field: &str) -> bool {
        let v = self
            .w
            .sources
            .get(field)
            .or_else(|| self.b.sources.get(field));
        v.map(String::as_str) == Some("console")
    }

    fn field_error(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// The failed check's meaning, beside the field it points at.
    fn check_note(&self, field: &str) -> Option<String> {
        let r = self
            .check
            .as_ref()
            .filter(|r| !r.ok && r.field.as_deref() == Some(field))?;
        let code = r
            .errcode
            .map(|c| format!(" (errcode {c})"))
            .unwrap_or_default();
        Some(format!(
            "{}{code}",
            self.c.l.t(r.meaning.en.as_str(), r.meaning.zh.as_str())
        ))
    }
}

pub(super) async fn render(
    state: &AppState,
    c: Chrome,
    check: Option<CheckView>,
    error: Option<AdminError>,
    saved: bool,
) -> Result<Response, WebError> {
    render_typed(state, c, check, error, saved, None, false).await
}

/// The page, with the source form showing what the admin typed (never the secret) instead of the
/// values in force: after a refused save or a check of unsaved values the admin fixes one field
/// rather than typing everything again.
async fn render_typed(
    state: &AppState,
    c: Chrome,
    check: Option<CheckView>,
    error: Option<AdminError>,
    saved: bool,
    typed: Option<&WecomChange>,
    refused: bool,
) -> Result<Response, WebError> {
    let now = current(state).await.map_err(admin_web)?;
    let verify_files = crate::admin::verify_files::list(&state.store)
        .await
        .map_err(admin_web)?
        .into_iter()
        .map(Into::into)
        .collect();
    let mut w = WecomView::from(&now);
    if let Some(t) = typed {
        for (slot, value) in [
            (&mut w.corp_id, &t.corp_id),
            (&mut w.agent_id, &t.agent_id),
            (&mut w.api_base, &t.api_base),
            (&mut w.oauth_base, &t.oauth_base),
            (&mut w.web_login_base, &t.web_login_base),
            (&mut w.callback_token, &t.callback_token),
            (&mut w.proxy_url, &t.proxy_url),
        ] {
            if let Some(v) = value {
                v.clone_into(slot);
            }
        }
    }
    let error = error.map(|e| match e {
        AdminError::Invalid { field, message } | AdminError::State { field, message } => {
            (field, message)
        }
        e => (String::new(), e.to_string()),
    });
    let bad = error.is_some();
    let secret_typed = typed
        .and_then(|t| t.secret.as_deref())
        .is_some_and(|s| !s.trim().is_empty());
    let mut resp = page(&WecomPage {
        c,
        w,
        b: BindingView::from(&now),
        combos: COMBOS,
        check,
        error,
        saved,
        refused,
        secret_typed,
        trusted_domain: state.config.trusted_domain(),
        events_url: format!("{}/wecom/events", state.config.base()),
        verify_files,
    })?;
    if bad {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    } else if refused {
        *resp.status_mut() = StatusCode::CONFLICT;
    }
    Ok(resp)
}

fn admin_web(e: AdminError) -> WebError {
    match e {
        AdminError::Store(e) => e.into(),
        e => WebError::internal("WeCom settings", &e),
    }
}

async fn wecom_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    render(&state, chrome(&admin, &headers, "wecom"), None, None, false).await
}

#[derive(Debug, Deserialize)]
struct SourceForm {
    csrf: String,
    corp_id: String,
    agent_id: String,
    #[serde(default)]
    secret: String,
    api_base: String,
    oauth_base: String,
    web_login_base: String,
    #[serde(default)]
    callback_token: String,
    #[serde(default)]
    callback_aes_key: String,
    /// Empty: direct. A proxy with a password in force shows masked; sent back unchanged it
    /// stays as it is.
    #[serde(default)]
    proxy_url: String,
    /// `save` (default: check, then save), `check` (check these values without saving them) or
    /// `force` (save even though the check fails).
    #[serde(default)]
    action: String,
}

async fn source_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<SourceForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "wecom");
    let action = f.action.clone();
    let shown =
        crate::config::mask_proxy(&current(&state).await.map_err(admin_web)?.wecom.proxy_url);
    let proxy_url = (f.proxy_url.trim() != shown).then_some(f.proxy_url);
    let ch = WecomChange {
        corp_id: Some(f.corp_id),
        agent_id: Some(f.agent_id),
        secret: Some(f.secret),
        api_base: Some(f.api_base),
        oauth_base: Some(f.oauth_base),
        web_login_base: Some(f.web_login_base),
        callback_token: Some(f.callback_token),
        callback_aes_key: Some(f.callback_aes_key),
        proxy_url,
    };
    if action == "check" {
        return match check(&state, Some(&ch)).await {
            Ok(o) => render_typed(&state, c, Some(o.into()), None, false, Some(&ch), false).await,
            Err(AdminError::Store(e)) => Err(e.into()),
            Err(e) => render_typed(&state, c, None, Some(e), false, Some(&ch), false).await,
        };
    }
    let mode = if action == "force" {
        SaveMode::Anyway
    } else {
        SaveMode::CheckFirst
    };
    let actor = admin.actor();
    match domain::update_wecom(&change(&state, &actor, ip.0), &ch, mode).await {
        Ok(WecomSave::Saved(o)) => render(&state, c, Some(o.into()), None, true).await,
        Ok(WecomSave::Unchanged) => render(&state, c, None, None, true).await,
        Ok(WecomSave::Refused(o)) => {
            render_typed(&state, c, Some(o.into()), None, false, Some(&ch), true).await
        }
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render_typed(&state, c, None, Some(e), false, Some(&ch), false).await,
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn check_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "wecom");
    match check(&state, None).await {
        Ok(o) => render(&state, c, Some(o.into()), None, false).await,
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render(&state, c, None, Some(e), false).await,
    }
}

#[derive(Debug, Deserialize)]
struct BindingForm {
    csrf: String,
    auto_bind: String,
    /// Comma-separated keys.
    #[serde(rename = "match")]
    match_keys: String,
    when_unmatched: String,
    employee_no_from: String,
    #[serde(default)]
    contact: String,
    default_access: String,
}

async fn binding_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<BindingForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "wecom");
    let auto_bind = match f.auto_bind.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            let e = AdminError::invalid("auto_bind", "choose on or off");
            return render(&state, c, None, Some(e), false).await;
        }
    };
    let ch = BindingChange {
        auto_bind: Some(auto_bind),
        match_keys: Some(
            f.match_keys
                .split(',')
                .map(|k| k.trim().to_string())
                .collect(),
        ),
        when_unmatched: Some(f.when_unmatched),
        employee_no_from: Some(f.employee_no_from),
        contact: Some(f.contact),
        default_access: Some(f.default_access),
    };
    let actor = admin.actor();
    match domain::update_binding(&change(&state, &actor, ip.0), &ch).await {
        Ok(_) => render(&state, c, None, None, true).await,
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render(&state, c, None, Some(e), false).await,
    }
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    csrf: String,
    /// `wecom` or `binding`.
    which: String,
}

async fn reset_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<ResetForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "wecom");
    let actor = admin.actor();
    match domain::reset(&change(&state, &actor, ip.0), &f.which).await {
        Ok(_) => render(&state, c, None, None, true).await,
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(e) => render(&state, c, None, Some(e), false).await,
    }
}
