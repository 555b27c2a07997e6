//! OIDC clients in the console: the "new OIDC client" form (`/admin/oidc/new`), the client's page
//! (`/admin/oidc/{name}`: issuer, discovery URL and client ID to copy, the settings form drawn from
//! the client's keys, the names its rules name checked against WeCom as for a SAML app), rotating
//! its secret and deleting it. A secret is shown once, on the page
//! that answers the create or the rotation, never again: that page is `no-store`, its script
//! turns its address into the client's page (a reload asks for the page, not the form again),
//! and a create form sent again anyway gets the client's page saying so, 409, no secret. Every form checks the CSRF token first;
//! every refusal draws the page again with the error beside its field and what was typed kept.
//! Thin over [`crate::admin::oidc_clients`] (which audits every change).

use super::super::flow::redirect;
use super::super::AppState;
use super::super::ClientIp;
use super::apps::ctx;
use super::apps_forms::with_status;
use super::auth::{chrome, ConsoleAdmin};
use super::directory;
use super::oidc_clients::{view, OidcClientView};
use super::oidc_text::{self as words, ClientField};
use super::{page, Chrome};
use crate::admin::oidc_clients::{self as domain, NewOidcClient};
use crate::admin::wecom_names::{self, Gate};
use crate::admin::AdminError;
use crate::http::error::{t, Text, WebError};
use crate::oidc::Client;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/oidc/new", get(new_page).post(new_form))
        .route("/admin/oidc/{name}", get(client_page))
        .route("/admin/oidc/{name}/settings", post(settings_form))
        .route("/admin/oidc/{name}/secret", post(rotate_form))
        .route("/admin/oidc/{name}/delete", post(delete_form))
}

/// Errors of a form: `(field, words)`.
#[derive(Debug, Default)]
struct Errors(Vec<(String, Text)>);

impl Errors {
    fn of(e: AdminError) -> Result<Self, WebError> {
        let (field, en) = match e {
            AdminError::Invalid { field, message } | AdminError::State { field, message } => {
                (field, message)
            }
            AdminError::Conflict(what) => ("name".to_string(), format!("{what} already exists")),
            AdminError::NotFound(what) => (String::new(), format!("{what} does not exist")),
            AdminError::Store(crate::store::StoreError::Conflict(what)) => {
                ("name".to_string(), format!("{what} already exists"))
            }
            AdminError::Store(e) => return Err(e.into()),
        };
        let said = words::say(&field, &en);
        Ok(Self(vec![(field, said)]))
    }
    fn get(&self, field: &str) -> Option<&Text> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// ---- new client ----

#[derive(Template)]
#[template(path = "admin/oidc_new.html")]
struct NewPage {
    c: Chrome,
    errors: Errors,
    name: String,
    redirect_uris: String,
    public: bool,
}

impl NewPage {
    fn err(&self, f: &str) -> Option<&Text> {
        self.errors.get(f)
    }
    /// Errors no field on the page shows.
    fn others(&self) -> Vec<&Text> {
        self.errors
            .0
            .iter()
            .filter(|(f, _)| !["name", "redirect_uris", "client_type"].contains(&f.as_str()))
            .map(|(_, m)| m)
            .collect()
    }
}

async fn new_page(admin: ConsoleAdmin, headers: HeaderMap) -> Result<Response, WebError> {
    page(&NewPage {
        c: chrome(&admin, &headers, "apps"),
        errors: Errors::default(),
        name: String::new(),
        redirect_uris: String::new(),
        public: false,
    })
}

#[derive(Debug, Deserialize)]
struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    client_type: String,
}

/// `POST /admin/oidc/new`: creates the client and answers with its page showing the secret once.
async fn new_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Form(f): Form<NewForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let actor = admin.actor();
    let public = f.client_type == "public";
    let new = NewOidcClient {
        name: f.name.trim().to_string(),
        redirect_uris: f
            .redirect_uris
            .split_ascii_whitespace()
            .map(String::from)
            .collect(),
        settings: vec![(
            "client_type".to_string(),
            if public { "public" } else { "confidential" }.to_string(),
        )],
    };
    let c = chrome(&admin, &headers, "apps");
    match domain::create(&ctx(&state, &actor, &ip), state.rng.as_ref(), &new).await {
        Ok(made) => {
            let secret = made.secret.map(|s| (s, Shown::Created));
            render(
                &state,
                c,
                &made.client,
                Errors::default(),
                None,
                None,
                secret,
            )
        }
        Err(e) if is_conflict(&e) => match sent_again(&state, &new).await? {
            Some(client) => sent_again_page(&state, c, &client),
            None => new_refused(c, e, f, public),
        },
        Err(e) => new_refused(c, e, f, public),
    }
}

fn is_conflict(e: &AdminError) -> bool {
    matches!(
        e,
        AdminError::Conflict(_) | AdminError::Store(crate::store::StoreError::Conflict(_))
    )
}

/// The client this create form made already, when the form is the same one sent again (a reload
/// of the page that showed the secret, without script): same name, type and redirect URIs.
async fn sent_again(state: &AppState, new: &NewOidcClient) -> Result<Option<Client>, WebError> {
    let client = match domain::load(&state.store, &new.name).await {
        Ok(c) => c,
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(_) => return Ok(None),
    };
    let uris: Vec<&str> = client
        .config
        .redirect_uris
        .iter()
        .map(|u| u.as_str())
        .collect();
    let same_type = new
        .settings
        .iter()
        .all(|(k, v)| k != "client_type" || *v == client.config.client_type.as_str());
    Ok((same_type && uris == new.redirect_uris).then_some(client))
}

/// The client's page, no secret, saying that the form was sent again: the secret was shown once,
/// on the answer to the first send, and only its hash is kept — replace it if it was not copied.
fn sent_again_page(state: &AppState, c: Chrome, client: &Client) -> Result<Response, WebError> {
    let mut r = page(&ClientPage {
        c,
        v: view(state, client),
        confidential: client.secret_hash.is_some(),
        fields: words::fields(client, None),
        errors: Errors::default(),
        saved: None,
        secret: None,
        unconfirmed: false,
        sent_again: true,
    })?;
    *r.status_mut() = StatusCode::CONFLICT;
    Ok(no_store(r))
}

/// A page the browser must not keep in its cache (it shows a secret, or answers a form that
/// made one).
fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The new-client form again, with the error and what was typed.
fn new_refused(c: Chrome, e: AdminError, f: NewForm, public: bool) -> Result<Response, WebError> {
    Ok(with_status(
        page(&NewPage {
            c,
            errors: Errors::of(e)?,
            name: f.name,
            redirect_uris: f.redirect_uris,
            public,
        })?,
        true,
    ))
}

// ---- the client's page ----

/// Why a secret is on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// The client was just made.
    Created,
    /// The secret was just rotated.
    Rotated,
}

#[derive(Template)]
#[template(path = "admin/oidc_client.html")]
struct ClientPage {
    c: Chrome,
    v: OidcClientView,
    confidential: bool,
    fields: Vec<ClientField>,
    errors: Errors,
    /// A save just happened (`settings`, `unchanged`).
    saved: Option<String>,
    /// The secret, shown this once, and why.
    secret: Option<(String, Shown)>,
    /// WeCom did not confirm a name the rules name: the form offers to save anyway.
    unconfirmed: bool,
    /// The create form was sent again (a reload): the secret is not shown again.
    sent_again: bool,
}

impl ClientPage {
    fn err(&self, f: &str) -> Option<&Text> {
        self.errors.get(f)
    }
    fn just_made(&self) -> bool {
        matches!(self.secret, Some((_, Shown::Created)))
    }
    /// Errors no field on the page shows.
    fn others(&self) -> Vec<&Text> {
        let mut shown: Vec<&str> = words::keys().collect();
        shown.extend(["confirm", "confirm_name", "client_type"]);
        self.errors
            .0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m)
            .collect()
    }
}

fn render(
    state: &AppState,
    c: Chrome,
    client: &Client,
    errors: Errors,
    typed: Option<&HashMap<String, String>>,
    saved: Option<String>,
    secret: Option<(String, Shown)>,
) -> Result<Response, WebError> {
    let bad = !errors.is_empty();
    let confidential = client.secret_hash.is_some();
    let shows_secret = secret.is_some();
    let r = with_status(
        page(&ClientPage {
            c,
            v: view(state, client),
            confidential,
            fields: words::fields(client, typed),
            errors,
            saved: saved.filter(|s| s == "settings" || s == "unchanged"),
            secret,
            unconfirmed: false,
            sent_again: false,
        })?,
        bad,
    );
    Ok(if shows_secret { no_store(r) } else { r })
}

/// The client, or the "no such client" page.
async fn load(state: &AppState, name: &str) -> Result<Client, WebError> {
    match domain::load(&state.store, name).await {
        Ok(c) => Ok(c),
        Err(AdminError::Store(e)) => Err(e.into()),
        Err(_) => Err(WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t("No such OIDC client", "没有这个 OIDC 客户端"),
            t(
                "There is no OIDC client with this name. The list of apps and clients is at /admin/apps.",
                "没有这个名称的 OIDC 客户端。应用和客户端列表在 /admin/apps。",
            ),
        )),
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    saved: Option<String>,
}

async fn client_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let client = load(&state, &name).await?;
    let c = chrome(&admin, &headers, "apps");
    render(&state, c, &client, Errors::default(), None, q.saved, None)
}

/// The page again after a refused change, with the error and what was typed.
async fn refused(
    state: &AppState,
    c: Chrome,
    name: &str,
    e: AdminError,
    typed: Option<&HashMap<String, String>>,
) -> Result<Response, WebError> {
    let client = load(state, name).await?;
    render(state, c, &client, Errors::of(e)?, typed, None, None)
}

/// `POST /admin/oidc/{name}/settings`: the whole form (`setting.KEY`); only what differs from the
/// current value is applied, all or nothing.
async fn settings_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    admin.check_csrf(f.get("csrf").map(String::as_str).unwrap_or(""))?;
    let client = load(&state, &name).await?;
    let changes: Vec<(String, String)> = words::keys()
        .filter(|k| words::editable(k))
        .filter_map(|k| {
            let v = words::submitted_value(k, f.get(&format!("setting.{k}"))?);
            let now = words::submitted_value(k, &client.value(k).unwrap_or_default());
            (v != now).then(|| (k.to_string(), v))
        })
        .collect();
    if changes.is_empty() {
        return redirect(&format!("/admin/oidc/{name}?saved=unchanged#settings"));
    }
    let c = chrome(&admin, &headers, "apps");
    // A syntax error is the admin's first fix; then the names the rules name, asked of WeCom.
    if let Err(e) = domain::check_settings(&client, &changes) {
        return refused(&state, c, &name, e, Some(&f)).await;
    }
    let force = f.get("force").map(String::as_str) == Some("1");
    let names = wecom_names::named_in_settings(&changes);
    let forced = match directory::gate(&state, &names, Some(force)).await {
        Ok(Gate::Go) => None,
        Ok(Gate::Forced(found)) => Some(found),
        Ok(Gate::Refused(found)) => {
            let field = wecom_names::field_of(&changes, &found).to_string();
            let errors = Errors(vec![(field, wecom_names::refusal_text(&found))]);
            return render_with(&state, c, &client, errors, Some(&f), true);
        }
        Err(e) => return refused(&state, c, &name, e, Some(&f)).await,
    };
    let actor = admin.actor();
    let cx = ctx(&state, &actor, &ip);
    match domain::update_settings(&cx, &name, &changes).await {
        Ok(_) => {
            if let Some(found) = forced {
                wecom_names::audit_forced(
                    &state.store,
                    cx.unix(),
                    wecom_names::ForcedSave {
                        actor: &actor,
                        what: wecom_names::field_of(&changes, &found),
                        app: Some(&name),
                        userid: None,
                        found: &found,
                        ip: cx.ip,
                    },
                )
                .await;
            }
            redirect(&format!("/admin/oidc/{name}?saved=settings#settings"))
        }
        Err(e) => refused(&state, c, &name, e, Some(&f)).await,
    }
}

/// The page after a save WeCom did not confirm: the names beside their field, what was typed
/// kept, and "Save anyway".
fn render_with(
    state: &AppState,
    c: Chrome,
    client: &Client,
    errors: Errors,
    typed: Option<&HashMap<String, String>>,
    unconfirmed: bool,
) -> Result<Response, WebError> {
    Ok(with_status(
        page(&ClientPage {
            c,
            v: view(state, client),
            confidential: client.secret_hash.is_some(),
            fields: words::fields(client, typed),
            errors,
            saved: None,
            secret: None,
            unconfirmed,
            sent_again: false,
        })?,
        true,
    ))
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    confirm_name: String,
}

/// `POST /admin/oidc/{name}/secret`: a new secret, shown on the answer only; the old one stops
/// working at once, so the box saying so must be ticked.
async fn rotate_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "apps");
    if f.confirm != "yes" {
        let e = AdminError::invalid(
            "confirm",
            "tick the box to confirm: the old secret stops working at once",
        );
        return refused(&state, c, &name, e, None).await;
    }
    let actor = admin.actor();
    match domain::rotate_secret(&ctx(&state, &actor, &ip), state.rng.as_ref(), &name).await {
        Ok((client, secret)) => render(
            &state,
            c,
            &client,
            Errors::default(),
            None,
            None,
            Some((secret, Shown::Rotated)),
        ),
        Err(e) => refused(&state, c, &name, e, None).await,
    }
}

/// `POST /admin/oidc/{name}/delete`: with the client's name typed to confirm.
async fn delete_form(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    ip: ClientIp,
    Path(name): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    admin.check_csrf(&f.csrf)?;
    let c = chrome(&admin, &headers, "apps");
    if f.confirm_name.trim() != name {
        let e = AdminError::invalid(
            "confirm_name",
            format!("type the client's name ({name}) to confirm the deletion"),
        );
        return refused(&state, c, &name, e, None).await;
    }
    let actor = admin.actor();
    match domain::delete(&ctx(&state, &actor, &ip), &name).await {
        Ok(()) => redirect("/admin/apps"),
        Err(e) => refused(&state, c, &name, e, None).await,
    }
}
