//! `GET|POST /saml/sso`: SP-initiated login (HTTP-Redirect and HTTP-POST bindings). Decode with caps,
//! find the app by Issuer — where several apps share it, the one whose metadata has the ACS the
//! request asks for; none or several is refused — verify with that app's metadata certificates
//! only, refuse replays, choose the ACS from metadata only, then answer from the session or send
//! the browser to WeCom.

use super::flow;
use super::snapshot;
use super::AppState;
use super::ClientIp;
use crate::apps::App;
use crate::http::error::WebError;
use crate::login::{AppLogin, AuditEvent, AuditKind, Ctx, Who};
use crate::logsafe::Escaped;
use crate::saml::request::{
    self, Inbound, RequestLimits, RequestedAcs, VerifiedAuthnRequest, VerifyContext,
};
use crate::saml::response::SubStatusCode;
use crate::saml::sp_metadata::select_acs;
use crate::text;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/saml/sso", get(redirect_binding).post(post_binding))
}

async fn redirect_binding(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let raw = uri.query().unwrap_or("");
    let inbound = match request::decode_redirect(raw, &RequestLimits::default()) {
        Ok(i) => i,
        Err(e) => return Err(refuse_undecodable(&ctx, &e).await),
    };
    handle(&state, &ctx, &headers, inbound).await
}

#[derive(Debug, Deserialize)]
struct PostForm {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn post_binding(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Result<Form<PostForm>, FormRejection>,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            tracing::debug!("POST body over the cap refused");
            let page = WebError::member(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
            return Err(refused(&ctx, Who::default(), page).await);
        }
        Err(e) => {
            tracing::debug!(error = %Escaped(&e), "unreadable POST body");
            return Err(refused(&ctx, Who::default(), bad_request_page()).await);
        }
    };
    let Some(saml_request) = form.saml_request else {
        return Err(refused(&ctx, Who::default(), bad_request_page()).await);
    };
    let limits = RequestLimits::default();
    let relay_state = form.relay_state.as_deref();
    let inbound = match request::decode_post(&saml_request, relay_state, &limits) {
        Ok(i) => i,
        Err(e) => return Err(refuse_undecodable(&ctx, &e).await),
    };
    handle(&state, &ctx, &headers, inbound).await
}

/// Audits a refused AuthnRequest (event `sso_request`, the page's reason) and returns its page.
async fn refused(ctx: &Ctx<'_>, who: Who<'_>, page: WebError) -> WebError {
    ctx.record(&AuditEvent::refused(AuditKind::SsoRequest, page.reason).who(who))
        .await;
    page
}

fn bad_request_page() -> WebError {
    WebError::member(StatusCode::BAD_REQUEST, "no_saml_request")
}

/// A refused AuthnRequest: the audit keeps the precise reason; the member reads the one page every
/// refused request shares.
fn invalid_request_page(reason: &'static str) -> WebError {
    WebError::member_page(StatusCode::BAD_REQUEST, reason, text::REQUEST_REFUSED)
}

async fn refuse_undecodable(ctx: &Ctx<'_>, e: &request::RequestError) -> WebError {
    tracing::debug!(error = %Escaped(e), "AuthnRequest refused before its Issuer was known");
    refused(ctx, Who::default(), invalid_request_page(e.reason())).await
}

/// A decoded AuthnRequest: find its app by Issuer, verify it, then answer from the session, say
/// NoPassive, or send the browser to WeCom.
async fn handle(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    inbound: Inbound,
) -> Result<Response, WebError> {
    let Some(issuer) = inbound.request().issuer().map(str::to_string) else {
        return Err(refused(ctx, Who::default(), invalid_request_page("no_issuer")).await);
    };
    let snap = snapshot::snapshot(state, headers).await?;
    let apps = snapshot::apps_for_issuer(state, &snap, &issuer).await?;
    if apps.is_empty() {
        tracing::info!(issuer = %Escaped(&issuer), "AuthnRequest from an unknown Issuer");
        let page = WebError::member(StatusCode::FORBIDDEN, "unknown_issuer").with_admin_detail(
            serde_json::json!({
                "error": "no registered app has this Issuer (entity ID): add it with its metadata",
            }),
        );
        return Err(refused(ctx, Who::default(), page).await);
    }
    let app = match by_requested_acs(&apps, inbound.request().requested_acs()) {
        Ok(app) => app,
        Err(page) => return Err(refused(ctx, Who::default(), page).await),
    };
    super::request_log::note_app(app.name.as_str());
    let accepted = accept(state, ctx, &app, &issuer, inbound).await?;
    let login = accepted.login;
    let live = if login.force_authn {
        None
    } else {
        snapshot::live_session(state, snap).await?
    };
    match live {
        Some(live) => flow::answer(state, ctx, headers, &app, &login, &live).await,
        None if accepted.is_passive => {
            let (status, message) = (SubStatusCode::NoPassive, "no session and IsPassive");
            flow::answer_status(state, ctx, headers, &app, &login, status, message).await
        }
        None => flow::begin_login(state, ctx, headers, &app, login).await,
    }
}

/// Of the apps sharing an Issuer, the one whose metadata has the ACS the request asks for (a lone
/// app is its Issuer's, its ACS checked after verification as always). None, or several — a
/// request naming no ACS, or an index more than one has — is refused: answering the wrong app
/// would release its roles and attributes to the other.
fn by_requested_acs(apps: &[Arc<App>], want: RequestedAcs<'_>) -> Result<Arc<App>, WebError> {
    if let [app] = apps {
        return Ok(app.clone());
    }
    let matching: Vec<&Arc<App>> = apps
        .iter()
        .filter(|a| select_acs(&a.metadata.acs, want.url, want.binding, want.index).is_ok())
        .collect();
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let (reason, why) = match matching.as_slice() {
        [app] => return Ok((*app).clone()),
        [] => (
            "acs_not_in_metadata",
            "the ACS the request asks for is in none of the apps that share its Issuer",
        ),
        _ => (
            "ambiguous_app",
            "several apps share this Issuer and the request's ACS (or it names none): give each \
             app ACS URLs of its own, and have the SP send AssertionConsumerServiceURL",
        ),
    };
    tracing::info!(apps = %Escaped(names.join(",")), reason, "AuthnRequest matches no single app of its Issuer");
    let page = WebError::member_page(StatusCode::BAD_REQUEST, reason, reason_page(reason))
        .with_admin_detail(serde_json::json!({
            "error": why,
            "apps": names,
            "acs_url": want.url,
            "acs_index": want.index,
        }));
    Err(page)
}

/// The member page of a refusal [`by_requested_acs`] gives.
fn reason_page(reason: &str) -> &'static str {
    if reason == "ambiguous_app" {
        "ambiguous_app"
    } else {
        text::REQUEST_REFUSED
    }
}

/// An AuthnRequest accepted: the login it asks for, and whether it forbids interaction.
struct Accepted {
    login: AppLogin,
    is_passive: bool,
}

/// Verifies the request with this app's metadata certificates only, refuses a replay, and
/// chooses the ACS from the metadata only.
async fn accept(
    state: &AppState,
    ctx: &Ctx<'_>,
    app: &App,
    issuer: &str,
    inbound: Inbound,
) -> Result<Accepted, WebError> {
    let verified = verify(state, ctx, app, inbound).await?;
    let lifetime =
        state.config.saml.clock_skew_secs * 2 + state.config.saml.assertion_lifetime_secs;
    let until = state.clock.unix() + lifetime.max(600);
    let who = Who::app(app.name.as_str()).request_id(Some(&verified.id));
    if !state
        .store
        .remember_request(issuer, &verified.id, until)
        .await?
    {
        tracing::debug!(app = %app.name, "AuthnRequest ID seen before: replay refused");
        return Err(refused(ctx, who, invalid_request_page("replayed_request")).await);
    }
    let acs = match select_acs(
        &app.metadata.acs,
        verified.acs_url.as_deref(),
        verified.protocol_binding.as_deref(),
        verified.acs_index,
    ) {
        Ok(a) => a.location.clone(),
        Err(e) => {
            tracing::debug!(app = %app.name, error = %Escaped(format!("{e:?}")), "AuthnRequest asks for an ACS not in the metadata");
            return Err(refused(ctx, who, invalid_request_page("acs_not_in_metadata")).await);
        }
    };
    Ok(Accepted {
        is_passive: verified.is_passive,
        login: AppLogin {
            app: app.name.as_str().to_string(),
            request_id: Some(verified.id),
            acs_url: acs,
            relay_state: verified.relay_state,
            force_authn: verified.force_authn,
        },
    })
}

/// Verifies the request with the certificates of this app's metadata: the only keys it may be
/// signed with.
async fn verify(
    state: &AppState,
    ctx: &Ctx<'_>,
    app: &App,
    inbound: Inbound,
) -> Result<VerifiedAuthnRequest, WebError> {
    let certs = app
        .metadata
        .signing_x509()
        .map_err(|e| WebError::internal("stored SP certificate", &e))?;
    let sso_urls = [state.config.sso_url()];
    let vctx = VerifyContext {
        certs: &certs,
        require_signed: app.requires_signed_requests(state.config.saml.want_authn_requests_signed),
        allow_sha1: app.settings.allow_sha1,
        sso_urls: &sso_urls,
        now: state.clock.now(),
        skew: time::Duration::seconds(state.config.saml.clock_skew_secs),
    };
    match inbound.verify(&vctx) {
        Ok(v) => Ok(v),
        Err(e) => {
            tracing::debug!(app = %app.name, error = %Escaped(&e), "AuthnRequest refused");
            let who = Who::app(app.name.as_str());
            Err(refused(ctx, who, invalid_request_page(e.reason())).await)
        }
    }
}
