//! The login flow shared by SP-initiated (`/saml/sso`), IdP-initiated (`/apps/{app}/start`) and the
//! WeCom callback: the pending login, the IdP session lookup, sending the browser to WeCom with a
//! single-use state bound to it, and answering the SP with a signed Response in an auto-posting form.

use super::cookies;
use super::rules;
use super::AppState;
use crate::apps::{App, NameIdFormat};
use crate::assertion::{self, Issue, IssueError};
use crate::crypto::sha256_hex;
use crate::error::{Lang, WebError};
use crate::identity::{Context, Profile};
use crate::logsafe::Escaped;
use crate::saml::response::{StatusCode, SubStatusCode};
use crate::settings::Effective;
use crate::store::{AuditRow, SessionRow};
use crate::wecom::oauth;
use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The client's address as we saw it.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // `request_span` resolves it (trusted proxies, issue 6); the TCP peer otherwise.
        if let Some(ip) = parts.extensions.get::<ClientIp>() {
            return Ok(ip.clone());
        }
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A login waiting for WeCom: what to answer, to whom, once the member is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// App name.
    pub app: String,
    /// The AuthnRequest ID (SP-initiated), or none (IdP-initiated).
    pub request_id: Option<String>,
    /// The ACS chosen from the app's metadata.
    pub acs_url: String,
    /// Passed back unchanged.
    pub relay_state: Option<String>,
    /// ForceAuthn: a fresh WeCom login even with a session.
    pub force_authn: bool,
    /// Set when this is an admin console sign-in (issue 5) rather than a login to an app: the
    /// callback then starts an admin session and goes to `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminSignIn>,
}

/// An admin console sign-in waiting for WeCom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSignIn {
    /// The console page to open afterwards (a path under `/admin`).
    pub next: String,
}

/// A live IdP session.
#[derive(Debug, Clone)]
pub struct Live {
    /// The stored row.
    pub row: SessionRow,
    /// The member as of login.
    pub profile: Profile,
    /// The settings in force for this request, read once when the session was found or started
    /// (so answering does not read them again).
    pub effective: Arc<Effective>,
}

/// Writes an audit row; a failure to audit is logged, never hidden.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    state: &AppState,
    event: &str,
    app: Option<&str>,
    userid: Option<&str>,
    result: &str,
    reason: &str,
    ip: &ClientIp,
    request_id: Option<&str>,
) {
    let row = audit_row(state, event, app, userid, result, reason, ip, request_id);
    write_or_log(state, &row).await;
}

/// Audits a refusal page with its reason and its admin detail (the WeCom errcode, the setting at
/// fault: what the member's page leaves out).
#[allow(clippy::too_many_arguments)]
pub async fn audit_refusal(
    state: &AppState,
    event: &str,
    app: Option<&str>,
    userid: Option<&str>,
    page: &WebError,
    ip: &ClientIp,
    request_id: Option<&str>,
) {
    let mut row = audit_row(
        state,
        event,
        app,
        userid,
        "refused",
        page.reason,
        ip,
        request_id,
    );
    row.detail = page.audit_detail();
    write_or_log(state, &row).await;
}

async fn write_or_log(state: &AppState, row: &AuditRow) {
    let (event, reason) = (row.event.as_str(), row.reason.as_str());
    if let Err(e) = write_audit(state, row).await {
        tracing::error!(error = %Escaped(&e), event, reason, "could not write the audit row");
    }
}

/// An audit row of this request.
#[allow(clippy::too_many_arguments)]
fn audit_row(
    state: &AppState,
    event: &str,
    app: Option<&str>,
    userid: Option<&str>,
    result: &str,
    reason: &str,
    ip: &ClientIp,
    request_id: Option<&str>,
) -> AuditRow {
    AuditRow {
        at: state.clock.unix(),
        event: event.into(),
        app: app.map(str::to_string),
        userid: userid.map(str::to_string),
        result: result.into(),
        reason: reason.into(),
        client_ip: ip.0.clone(),
        request_id: request_id.map(str::to_string),
        actor: None,
        detail: None,
    }
}

/// Writes `row`, counting logins in the metrics.
async fn write_audit(state: &AppState, row: &AuditRow) -> Result<(), crate::store::StoreError> {
    let written = state.store.audit(row).await;
    // A success whose row failed was not a sign-in (the member gets the error page).
    if row.event == "login" && (written.is_ok() || row.result != "success") {
        state
            .metrics
            .login(row.app.as_deref().unwrap_or("-"), &row.result);
    }
    written
}

/// Audits a refused login with the page's own reason (one spelling, never two) and returns the page.
pub async fn refuse(
    state: &AppState,
    app: &App,
    userid: Option<&str>,
    ip: &ClientIp,
    pending: &Pending,
    page: WebError,
) -> WebError {
    audit_refusal(
        state,
        "login",
        Some(app.name.as_str()),
        userid,
        &page,
        ip,
        pending.request_id.as_deref(),
    )
    .await;
    page
}

/// The browser's live session, if any (see [`super::snapshot::live_session`]).
pub async fn current_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Live>, WebError> {
    let snap = super::snapshot::snapshot(state, headers).await?;
    super::snapshot::live_session(state, snap).await
}

/// Starts a new session after a WeCom login; returns the cookie value (kept only by the browser).
pub async fn start_session(
    state: &AppState,
    effective: Arc<Effective>,
    profile: &Profile,
) -> Result<(String, Live), WebError> {
    let token = state.rng.token();
    let now = state.clock.unix();
    let row = SessionRow {
        id_hash: sha256_hex(token.as_bytes()),
        userid: profile.userid.clone(),
        profile_json: serde_json::to_string(profile)
            .map_err(|e| WebError::internal("profile encoding", &e))?,
        authn_instant: now,
        last_seen: now,
        expires_at: now + state.config.session.absolute_timeout_secs,
    };
    state.store.create_session(&row).await?;
    Ok((
        token,
        Live {
            row,
            profile: profile.clone(),
            effective,
        },
    ))
}

/// The `Set-Cookie` for a session token.
pub fn session_cookie(state: &AppState, token: &str) -> Option<HeaderValue> {
    let secure = state.config.secure_cookies();
    cookies::set(
        &cookies::name(cookies::SESSION, secure),
        token,
        state.config.session.absolute_timeout_secs,
        secure,
    )
}

/// Whether this browser is inside the WeCom client (User-Agent; in the demo, also a cookie).
pub fn in_wecom_client(state: &AppState, headers: &HeaderMap) -> bool {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    oauth::is_wecom_client(ua)
        || (state.demo.is_some()
            && cookies::get(headers, cookies::DEMO_CLIENT).as_deref() == Some("wxwork"))
}

/// Sends the browser to WeCom with a fresh single-use state bound to it.
pub async fn begin_login(
    state: &AppState,
    headers: &HeaderMap,
    app: &App,
    pending: &Pending,
    ip: &ClientIp,
) -> Result<Response, WebError> {
    let scope = if app.settings.needs_private_info() {
        oauth::Scope::PrivateInfo
    } else {
        oauth::Scope::Base
    };
    match begin_wecom(state, headers, pending, ip, scope).await? {
        Ok(resp) => {
            tracing::debug!(app = %app.name, "no session: sending the browser to WeCom");
            Ok(resp)
        }
        Err(page) => Err(refuse(state, app, None, ip, pending, page).await),
    }
}

/// Stores a single-use login state for `pending`, bound to this browser (capped per IP and in total),
/// and redirects to WeCom: in-client OAuth inside the WeCom client, web/QR login elsewhere.
/// The inner `Err` is a refusal page for the caller to audit; the outer one a failure of ours.
pub async fn begin_wecom(
    state: &AppState,
    headers: &HeaderMap,
    pending: &Pending,
    ip: &ClientIp,
    scope: oauth::Scope,
) -> Result<Result<Response, WebError>, WebError> {
    let secure = state.config.secure_cookies();
    let browser_cookie = cookies::name(cookies::BROWSER, secure);
    let carried = cookies::bindings(headers, &browser_cookie);
    let now = state.clock.unix();
    // No cap per browser: each binding holds one login state and the cookie keeps only the newest
    // few (older logins can no longer finish), and a client that wants more simply drops or invents
    // the cookie. What bounds a client is its address, and the table as a whole.

    // A cap across every browser behind one IP (sized for an office behind NAT), so cookie-less
    // clients cannot fill the table from one address.
    if let Some(client_ip) = ip.0.as_deref() {
        if state
            .store
            .live_login_states_from_ip(client_ip, now)
            .await?
            >= state.config.limits.login_states_per_ip
        {
            return Ok(Err(WebError::member(
                Http::TOO_MANY_REQUESTS,
                "too_many_logins_from_ip",
            )));
        }
    }
    // A cap on the whole table, so clients spread over many addresses cannot fill the storage
    // either; every client is refused until rows expire (a 503: not this client's fault).
    if state.store.live_login_states_total(now).await? >= state.config.limits.login_states_total {
        tracing::warn!(
            cap = state.config.limits.login_states_total,
            "unfinished logins at limits.login_states_total: refusing new sign-ins until some expire"
        );
        return Ok(Err(WebError::member(
            Http::SERVICE_UNAVAILABLE,
            "login_states_full",
        )));
    }
    // A fresh binding for every login start, never the value the client sent (see `cookies`).
    let binding = state.rng.token();
    let login_state = state.rng.hex(24);
    let pending_json =
        serde_json::to_string(pending).map_err(|e| WebError::internal("pending encoding", &e))?;
    state
        .store
        .create_login_state(
            &login_state,
            &sha256_hex(binding.as_bytes()),
            &pending_json,
            now,
            now + state.config.saml.login_state_ttl_secs,
            ip.0.as_deref(),
        )
        .await?;
    let effective = state.effective().await?;
    let w = &effective.wecom;
    let callback = state.config.callback_url();
    let in_client = in_wecom_client(state, headers);
    let url = if in_client {
        oauth::authorize_url(
            &w.oauth_base,
            &w.corp_id,
            &w.agent_id,
            &callback,
            scope,
            &login_state,
        )
    } else {
        let lang = match Lang::from_headers(headers) {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        oauth::web_login_url(
            &w.web_login_base,
            &w.corp_id,
            &w.agent_id,
            &callback,
            &login_state,
            lang,
        )
    };
    tracing::debug!(
        in_client,
        "sending the browser to WeCom {}",
        if in_client { "OAuth" } else { "web/QR login" }
    );
    let mut resp = redirect(&url)?;
    let value = cookies::with_binding(&binding, &carried);
    if let Some(c) = cookies::set(&browser_cookie, &value, 400 * 86400, secure) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(Ok(resp))
}

/// A 302 to `url`.
pub fn redirect(url: &str) -> Result<Response, WebError> {
    let v = HeaderValue::from_str(url).map_err(|e| WebError::internal("redirect URL", &e))?;
    let mut r = Http::FOUND.into_response();
    r.headers_mut().insert(header::LOCATION, v);
    Ok(r)
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct PostForm<'a> {
    lang: &'a str,
    title: &'a str,
    button: &'a str,
    action: &'a str,
    field: &'a str,
    message: &'a str,
    relay_state: Option<&'a str>,
}

/// The auto-submitting POST form carrying `field` (SAMLResponse / SAMLRequest) to `action`.
pub fn post_form(
    lang: Lang,
    action: &str,
    field: &str,
    xml: &[u8],
    relay_state: Option<&str>,
) -> Result<Response, WebError> {
    let message = base64::engine::general_purpose::STANDARD.encode(xml);
    let (title, button) = match lang {
        Lang::Zh => ("正在登录…", "继续"),
        Lang::En => ("Signing you in…", "Continue"),
    };
    let html = PostForm {
        lang: lang.code(),
        title,
        button,
        action,
        field,
        message: &message,
        relay_state,
    }
    .render()
    .map_err(|e| WebError::internal("post form", &e))?;
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// Answers the SP for a member with a live session: a signed Response in an auto-posting form.
pub async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    app: &App,
    pending: &Pending,
    live: &Live,
    ip: &ClientIp,
) -> Result<Response, WebError> {
    let now = state.clock.now();
    let profile = &live.profile;
    let effective = &live.effective;
    let parents = rules::department_parents(effective, app).await;
    // Tags named by the access rule and the role rules, read once.
    let tags = rules::member_tags(effective, app, profile, &parents).await;
    let granted = match assertion::decide(app, profile, &parents, &tags, &effective.default_access)
    {
        Ok(g) => g,
        Err(refused) => {
            let page = match refused {
                assertion::Refused::AccessDenied => rules::access_denied_page(app),
                assertion::Refused::NoRole => {
                    tracing::warn!(app = %app.name, userid = %Escaped(&profile.userid), "refused: no role rule gives the member a role for this app");
                    rules::no_role_page(app)
                }
            };
            return Err(refuse(state, app, Some(&profile.userid), ip, pending, page).await);
        }
    };
    let ctx = Context {
        profile,
        params: &app.settings.params,
        roles: &granted.roles,
        session_name: granted.session_name.as_deref(),
        // A deep link only when we chose it (IdP-initiated); an SP's RelayState is opaque.
        relay_state: pending
            .request_id
            .is_none()
            .then_some(pending.relay_state.as_deref())
            .flatten(),
    };
    let name_id = match app.settings.name_id_format {
        NameIdFormat::Persistent => {
            let candidate = format!("p-{}", state.rng.hex(16));
            state
                .store
                .pairwise_id(
                    app.name.as_str(),
                    &profile.userid,
                    &candidate,
                    now.unix_timestamp(),
                )
                .await?
        }
        NameIdFormat::Transient => state.rng.saml_id(),
        _ => match assertion::name_id_value(app, &ctx) {
            Ok(Some(v)) => v,
            Ok(None) => state.rng.saml_id(),
            Err(e) => {
                tracing::warn!(app = %app.name, "refused: {}", Escaped(&e));
                let page = WebError::member(Http::FORBIDDEN, "no_name_id").with_admin_detail(
                    serde_json::json!({
                        "nameid_source": e_source(&e),
                        "error": format!("the member's WeCom profile has no {}: fill it in WeCom, or change the app's nameid_source", e_source(&e)),
                    }),
                );
                return Err(refuse(state, app, Some(&profile.userid), ip, pending, page).await);
            }
        },
    };
    let session_index = format!(
        "_s{}",
        live.row.id_hash.get(..32).unwrap_or(&live.row.id_hash)
    );
    let issue = Issue {
        idp_entity_id: &state.config.entity_id(),
        acs_url: &pending.acs_url,
        in_response_to: pending.request_id.as_deref(),
        now,
        authn_instant: OffsetDateTime::from_unix_timestamp(live.row.authn_instant).unwrap_or(now),
        session_not_on_or_after: OffsetDateTime::from_unix_timestamp(live.row.expires_at).ok(),
        session_index: &session_index,
        skew: Duration::seconds(state.config.saml.clock_skew_secs),
        lifetime: Duration::seconds(state.config.saml.assertion_lifetime_secs),
        ids: (state.rng.saml_id(), state.rng.saml_id()),
    };
    let started = std::time::Instant::now();
    let xml = assertion::issue(app, &ctx, name_id, &issue, &state.keys().active)
        .map_err(|e| WebError::internal("issuing the Response", &e))?;
    state.metrics.signing(started.elapsed());
    super::request_log::note_userid(&profile.userid);
    tracing::debug!(
        app = %app.name,
        userid = %Escaped(&profile.userid),
        sp_initiated = pending.request_id.is_some(),
        "signed Response issued"
    );
    // No Response leaves without its audit row: when the row cannot be written (the database is
    // down), the member gets the error page instead of a sign-in nobody could trace.
    let row = audit_row(
        state,
        "login",
        Some(app.name.as_str()),
        Some(&profile.userid),
        "success",
        if pending.request_id.is_some() {
            "sp_initiated"
        } else {
            "idp_initiated"
        },
        ip,
        pending.request_id.as_deref(),
    );
    write_audit(state, &row)
        .await
        .map_err(|e| WebError::store("the audit row of a signed Response", &e))?;
    post_form(
        Lang::from_headers(headers),
        &pending.acs_url,
        "SAMLResponse",
        &xml,
        pending.relay_state.as_deref(),
    )
}

fn e_source(e: &IssueError) -> &'static str {
    match e {
        IssueError::NoNameId(s) => s,
        IssueError::NoRole | IssueError::Sign(_) => "-",
    }
}

/// Answers the SP with a signed error status (e.g. NoPassive) in an auto-posting form.
pub async fn answer_status(
    state: &AppState,
    headers: &HeaderMap,
    app: &App,
    pending: &Pending,
    second: SubStatusCode,
    message: &str,
    ip: &ClientIp,
) -> Result<Response, WebError> {
    let xml = assertion::issue_status(
        &state.config.entity_id(),
        &pending.acs_url,
        pending.request_id.as_deref(),
        state.clock.now(),
        &state.rng.saml_id(),
        StatusCode::Responder,
        second,
        Some(message),
        &state.keys().active,
    )
    .map_err(|e| WebError::internal("issuing a status Response", &e))?;
    let uri = second.uri();
    let reason = uri.rsplit(':').next().unwrap_or(uri);
    audit(
        state,
        "login",
        Some(app.name.as_str()),
        None,
        "refused",
        reason,
        ip,
        pending.request_id.as_deref(),
    )
    .await;
    post_form(
        Lang::from_headers(headers),
        &pending.acs_url,
        "SAMLResponse",
        &xml,
        pending.relay_state.as_deref(),
    )
}

/// The "unknown app" page.
pub fn unknown_app() -> WebError {
    WebError::member(Http::NOT_FOUND, "unknown_app").with_admin_detail(serde_json::json!({
        "error": "no app under this name: check the WeCom app's homepage URL (wecom-idp app show NAME prints it)",
    }))
}

/// Loads an app by name, or the "unknown app" page.
pub async fn load_app(state: &AppState, name: &str) -> Result<App, WebError> {
    let Ok(name) = crate::apps::AppName::parse(name) else {
        return Err(unknown_app());
    };
    let Some(row) = state.store.app(name.as_str()).await? else {
        return Err(unknown_app());
    };
    App::from_row(row).map_err(|e| WebError::internal("stored app", &e))
}
