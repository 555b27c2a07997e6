//! The account directory's console list page `/admin/users`: search, list, create, CSV import by
//! file upload or paste, export link; and the pieces the account page (`users_account.rs`) shares.
//! Thin over [`crate::admin::users`].

use super::super::flow;
use super::super::AppState;
use super::super::ClientIp;
use super::auth::{chrome, ConsoleAdmin};
use super::users::{corp_id, csv_download, number, MAX_IMPORT_BYTES};
use super::{page, Chrome};
use crate::admin::users::{self as domain, ImportError, Profile, SearchInput, UserRecord};
use crate::admin::AdminError;
use crate::http::error::{t, Lang, Text, WebError};
use crate::identity::directory;
use crate::text;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_page).post(create_form))
        .route(
            "/admin/users/import",
            post(import_form).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/admin/users/export.csv", get(export))
}

/// `s` percent-encoded as one path segment.
pub(super) fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An account as the pages show it.
pub(super) struct Row {
    pub(super) href: String,
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) email: String,
    pub(super) mobile: String,
    pub(super) employee_no: String,
    pub(super) groups: String,
    pub(super) status: String,
    pub(super) userid: Option<String>,
    pub(super) how: String,
    pub(super) has_password: bool,
}

impl Row {
    pub(super) fn of(u: &UserRecord) -> Self {
        let a = &u.account;
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        Self {
            href: format!("/admin/users/{}", segment(&a.username)),
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            email: o(&a.email),
            mobile: o(&a.mobile),
            employee_no: o(&a.employee_no),
            groups: directory::groups(a).join("; "),
            status: a.status.as_str().to_string(),
            userid: u.userid().map(str::to_string),
            how: u
                .binding
                .as_ref()
                .map(|b| b.how.clone())
                .unwrap_or_default(),
            has_password: a.password_hash.is_some(),
        }
    }
}

/// An error no form can show: store failures (logged, 500), an unknown account (404), anything
/// else as a 400 page.
pub(super) fn fatal(e: AdminError) -> WebError {
    match e {
        AdminError::Store(e) => e.into(),
        AdminError::NotFound(what) => WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t("Not found", "未找到"),
            t(
                format!("{what} does not exist."),
                format!("{what} 不存在。"),
            ),
        ),
        e => {
            let m = e.to_string();
            WebError::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                t("The request is not valid", "请求无效"),
                t(m.clone(), m),
            )
        }
    }
}

/// The message a page shows (400) for an error the admin can fix, or the error page for others.
/// The field is named as the form labels it, in the admin's language, never by its key; the
/// sentence is the catalogue's (the domain's English message is for the CLI and the API).
pub(super) fn page_error(e: AdminError, lang: Lang) -> Result<String, WebError> {
    match e {
        e @ (AdminError::Store(_) | AdminError::NotFound(_)) => Err(fatal(e)),
        AdminError::Invalid { field, message } | AdminError::State { field, message } => {
            let said = said(&field, &message, lang);
            Ok(match field_label(&field) {
                Some(label) => format!("{}{}{said}", lang.pick(&label), lang.t(": ", "：")),
                None => said,
            })
        }
        e @ AdminError::Conflict(_) => Ok(said("", &e.to_string(), lang)),
    }
}

/// A refusal in the page's language: the catalogue's sentence, else the message as the domain
/// wrote it.
fn said(field: &str, message: &str, lang: Lang) -> String {
    text::field_error(field, message)
        .map(|t| t.get(lang).to_string())
        .unwrap_or_else(|| message.to_string())
}

/// A line error of a CSV import (`line N: …`) in the page's language.
fn import_line(line: &str, lang: Lang) -> String {
    let Some((n, message)) = line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    else {
        return line.to_string();
    };
    let sentence = text::any_field_error(message)
        .map(|t| t.get(lang).to_string())
        .unwrap_or_else(|| message.to_string());
    match lang {
        Lang::En => format!("line {n}: {sentence}"),
        Lang::Zh => format!("第 {n} 行：{sentence}"),
    }
}

/// The form label of an account field.
fn field_label(field: &str) -> Option<Text> {
    Some(match field {
        "username" => t("Username", "用户名"),
        "display_name" => t("Display name", "显示名称"),
        "email" => t("Email", "邮箱"),
        "mobile" => t("Mobile", "手机号"),
        "employee_no" => t("Employee number", "工号"),
        "groups" => t("Groups", "分组"),
        "password" => t("Password", "密码"),
        "status" => t("Status", "状态"),
        _ => return None,
    })
}

pub(super) fn with_status(mut r: Response, error: bool) -> Response {
    if error {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

// ---- the list ----

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    offset: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    c: Chrome,
    q: String,
    status: String,
    rows: Vec<Row>,
    prev_url: Option<String>,
    next_url: Option<String>,
    error: Option<String>,
    /// An import's outcome.
    imported: Option<(usize, usize)>,
    /// An import's lines at fault.
    import_errors: Vec<String>,
    /// The new-account form's refused field and its sentence, shown beside it.
    beside: Option<(String, String)>,
    /// What the new-account form had, shown again after a refusal.
    typed: HashMap<String, String>,
}

impl ListPage {
    /// The new-account field's value as typed ("" when none).
    fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map(String::as_str).unwrap_or("")
    }
    /// The refusal to show beside `field`, if it is that field's.
    fn beside(&self, field: &str) -> Option<&str> {
        match &self.beside {
            Some((f, said)) if f == field => Some(said),
            _ => None,
        }
    }
}

struct Outcome {
    error: Option<String>,
    imported: Option<(usize, usize)>,
    import_errors: Vec<String>,
    beside: Option<(String, String)>,
    typed: HashMap<String, String>,
}

/// A refusal of a form field the page labels: the field and the catalogue's sentence, to show
/// beside it (the summary above the form says it too).
pub(super) fn beside(e: &AdminError, lang: Lang) -> Option<(String, String)> {
    match e {
        AdminError::Invalid { field, message } | AdminError::State { field, message }
            if field_label(field).is_some() =>
        {
            Some((field.clone(), said(field, message, lang)))
        }
        _ => None,
    }
}

async fn render_list(
    state: &AppState,
    c: Chrome,
    lq: &ListQuery,
    out: Outcome,
) -> Result<Response, WebError> {
    let input = number("offset", &lq.offset).map(|offset| SearchInput {
        q: lq.q.clone(),
        status: lq.status.clone(),
        limit: None,
        offset,
    });
    let found = match input {
        Ok(i) => match corp_id(state).await {
            Ok(corp) => domain::search(&state.store, &corp, &i).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (q, status) = (
        lq.q.clone().unwrap_or_default(),
        lq.status.clone().unwrap_or_default(),
    );
    let link = |offset: i64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", &q)
            .append_pair("status", &status)
            .append_pair("offset", &offset.to_string());
        format!("/admin/users?{}", s.finish())
    };
    let (rows, prev_url, next_url, error) = match found {
        Ok(p) => (
            p.users.iter().map(Row::of).collect(),
            (p.offset > 0).then(|| link((p.offset - p.limit).max(0))),
            p.more.then(|| link(p.offset + p.limit)),
            out.error,
        ),
        Err(e) => (Vec::new(), None, None, Some(page_error(e, c.l)?)),
    };
    let bad = error.is_some() || !out.import_errors.is_empty();
    let r = page(&ListPage {
        c,
        q: q.clone(),
        status: status.clone(),
        rows,
        prev_url,
        next_url,
        error,
        imported: out.imported,
        import_errors: out.import_errors,
        beside: out.beside,
        typed: out.typed,
    })?;
    Ok(with_status(r, bad))
}

const NOTHING: fn() -> Outcome = || Outcome {
    error: None,
    imported: None,
    import_errors: Vec::new(),
    beside: None,
    typed: HashMap::new(),
};

async fn list_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Query(lq): Query<ListQuery>,
) -> Result<Response, WebError> {
    render_list(&state, chrome(&admin, &headers, "users"), &lq, NOTHING()).await
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    csrf: String,
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    employee_no: String,
}

async fn create_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<CreateForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let typed = HashMap::from([
        ("username".to_string(), f.username.clone()),
        ("display_name".to_string(), f.display_name.clone()),
        ("email".to_string(), f.email.clone()),
        ("mobile".to_string(), f.mobile.clone()),
        ("employee_no".to_string(), f.employee_no.clone()),
    ]);
    let profile = Profile {
        display_name: Some(f.display_name),
        email: Some(f.email),
        mobile: Some(f.mobile),
        employee_no: Some(f.employee_no),
        ..Profile::default()
    };
    let made = domain::create(
        &state.store,
        &admin.actor(),
        state.clock.unix(),
        state.rng.as_ref(),
        &f.username,
        &profile,
        ip.0,
    )
    .await;
    match made {
        Ok(rec) => flow::redirect(&Row::of(&rec).href),
        Err(e) => {
            let lang = Lang::from_headers(&headers);
            let out = Outcome {
                beside: beside(&e, lang),
                typed,
                error: Some(page_error(e, lang)?),
                ..NOTHING()
            };
            let c = chrome(&admin, &headers, "users");
            render_list(&state, c, &ListQuery::default(), out).await
        }
    }
}

/// Reads the import form (multipart: `csrf`, a `file`, or `text` pasted).
async fn read_import(mut m: Multipart) -> Result<(String, String), String> {
    let (mut csrf, mut file, mut text) = (String::new(), String::new(), String::new());
    while let Some(field) = m.next_field().await.map_err(|e| e.body_text())? {
        let name = field.name().unwrap_or_default().to_string();
        let value = field.bytes().await.map_err(|e| e.body_text())?;
        let value = String::from_utf8(value.to_vec())
            .map_err(|_| "the CSV file is not UTF-8: save it as UTF-8".to_string())?;
        match name.as_str() {
            "csrf" => csrf = value,
            "file" => file = value,
            "text" => text = value,
            _ => {}
        }
    }
    let csv = if file.trim().is_empty() { text } else { file };
    Ok((csrf, csv))
}

async fn import_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    m: Multipart,
) -> Result<Response, WebError> {
    let read = read_import(m).await;
    let csrf = read.as_ref().map(|r| r.0.as_str()).unwrap_or_default();
    admin.check_csrf(csrf)?;
    let c = chrome(&admin, &headers, "users");
    let out = match read {
        Err(e) => Outcome {
            error: Some(said("file", &e, c.l)),
            ..NOTHING()
        },
        Ok((_, csv)) if csv.trim().is_empty() => Outcome {
            error: Some(said("file", "choose a CSV file or paste its lines", c.l)),
            ..NOTHING()
        },
        Ok((_, csv)) => {
            let now = state.clock.unix();
            let rng = state.rng.as_ref();
            match domain::import(&state.store, &admin.actor(), now, rng, &csv, ip.0).await {
                Ok(d) => Outcome {
                    imported: Some((d.created, d.updated)),
                    ..NOTHING()
                },
                Err(ImportError::Lines(lines)) => Outcome {
                    import_errors: lines.iter().map(|l| import_line(l, c.l)).collect(),
                    ..NOTHING()
                },
                Err(ImportError::Admin(e)) => Outcome {
                    error: Some(page_error(e, c.l)?),
                    ..NOTHING()
                },
            }
        }
    };
    render_list(&state, c, &ListQuery::default(), out).await
}

async fn export(State(state): State<AppState>, _admin: ConsoleAdmin) -> Result<Response, WebError> {
    let body = domain::export(&state.store).await.map_err(fatal)?;
    Ok(csv_download(
        body,
        "attachment; filename=\"wecom-idp-users.csv\"",
    ))
}
