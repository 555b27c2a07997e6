//! A saved version's diff in the console (`/admin/apps/{name}/versions/{n}/diff`): what the change
//! after that version did, key by key, each key by its form label in the admin's language and both
//! values as stored. Thin over [`crate::admin::apps::version_diff`].

use super::super::AppState;
use super::auth::{chrome, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::apps::{self as domain, Against, Change};
use crate::admin::AdminError;
use crate::apps::form;
use crate::http::error::{t, Lang, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/apps/{name}/versions/{version}/diff", get(diff_page))
}

/// One changed key as the page shows it.
struct Row {
    key: String,
    /// The form's label for it, when it has one.
    label: Option<String>,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "admin/app_version_diff.html")]
struct DiffPage {
    c: Chrome,
    app: String,
    version: i64,
    /// The next version it is compared with; `None`: the app as it is now.
    against: Option<i64>,
    rows: Vec<Row>,
}

/// The settings form's key for a stored key (the stored names are the serde names of
/// `AppSettings`; the form uses the CLI's `--set` names).
fn form_key(stored: &str) -> &str {
    match stored {
        "name_id_format" => "nameid_format",
        "name_id_source" => "nameid_source",
        "default_relay_state" => "relay_state",
        "roles.default_role" => "role",
        "roles.rules" => "role_rules",
        "roles.mode" => "role_mode",
        "roles.contact" => "role_contact",
        "roles.accounts" => "accounts",
        "session_name.source" => "session_name_source",
        other => other,
    }
}

fn label(key: &str, l: Lang) -> Option<String> {
    match key {
        "entity_id" => return Some(l.t("Entity ID", "实体 ID").into()),
        "metadata.acs" => return Some(l.t("ACS endpoints", "ACS 地址").into()),
        "metadata.signing_certs" => return Some(l.t("Signing certificates", "签名证书").into()),
        "metadata.encryption_certs" => {
            return Some(l.t("Encryption certificates", "加密证书").into())
        }
        _ => {}
    }
    if let Some(p) = key.strip_prefix("params.") {
        return Some(format!("{} {p}", l.t("Parameter", "参数")));
    }
    form::field(form_key(key)).map(|f| l.t(f.label.0, f.label.1).to_string())
}

fn value(v: &serde_json::Value, l: Lang) -> String {
    match v {
        serde_json::Value::Null => l.t("(not set)", "（未设置）").into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn row(c: Change, l: Lang) -> Row {
    Row {
        label: label(&c.key, l),
        before: value(&c.before, l),
        after: value(&c.after, l),
        key: c.key,
    }
}

async fn diff_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let c = chrome(&admin, &headers, "apps");
    // A number no version can have is "no such version" too, on the console's page.
    let found = match version.parse::<i64>() {
        Ok(v) => domain::version_diff(&state.store, &name, v).await,
        Err(_) => Err(AdminError::NotFound(String::new())),
    };
    let d = match found {
        Ok(d) => d,
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(_) => {
            return Err(WebError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                t("No such version", "没有这个版本"),
                t(
                    "This app has no saved version with this number; its page lists them.",
                    "此应用没有这个编号的历史版本；应用页面列出了所有版本。",
                ),
            ))
        }
    };
    let l = c.l;
    page(&DiffPage {
        c,
        app: name,
        version: d.version,
        against: match d.against {
            Against::Version(n) => Some(n),
            Against::Current => None,
        },
        rows: d.changes.into_iter().map(|x| row(x, l)).collect(),
    })
}
