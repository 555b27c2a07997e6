//! `GET|POST /saml/sso`: SP-initiated login (HTTP-Redirect and HTTP-POST bindings). Decode with caps,
//! find the app by Issuer, verify with that app's metadata certificates only, refuse replays, choose
//! the ACS from metadata only, then answer from the session or send the browser to WeCom.

use super::flow::{self, ClientIp, Pending};
use super::snapshot;
use super::AppState;
use crate::error::WebError;
use crate::logsafe::Escaped;
use crate::saml::request::{self, Inbound, RequestLimits, VerifyContext};
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

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/saml/sso", get(redirect_binding).post(post_binding))
}

async fn redirect_binding(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let raw = uri.query().unwrap_or("");
    let inbound = match request::decode_redirect(raw, &RequestLimits::default()) {
        Ok(i) => i,
        Err(e) => return Err(refuse_undecodable(&state, &ip, &e).await),
    };
    handle(&state, &headers, inbound, &ip).await
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
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            tracing::debug!("POST body over the cap refused");
            flow::audit(
                &state,
                "sso_request",
                None,
                None,
                "refused",
                "request_too_large",
                &ip,
                None,
            )
            .await;
            return Err(WebError::member(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
            ));
        }
        Err(e) => {
            tracing::debug!(error = %Escaped(&e), "unreadable POST body");
            return Err(refuse_no_request(&state, &ip).await);
        }
    };
    let Some(saml_request) = form.saml_request else {
        return Err(refuse_no_request(&state, &ip).await);
    };
    let inbound = match request::decode_post(
        &saml_request,
        form.relay_state.as_deref(),
        &RequestLimits::default(),
    ) {
        Ok(i) => i,
        Err(e) => return Err(refuse_undecodable(&state, &ip, &e).await),
    };
    handle(&state, &headers, inbound, &ip).await
}

/// A POST without a readable `SAMLRequest`: audited like every other refusal.
async fn refuse_no_request(state: &AppState, ip: &ClientIp) -> WebError {
    flow::audit(
        state,
        "sso_request",
        None,
        None,
        "refused",
        "no_saml_request",
        ip,
        None,
    )
    .await;
    bad_request_page()
}

fn bad_request_page() -> WebError {
    WebError::member(StatusCode::BAD_REQUEST, "no_saml_request")
}

/// A refused AuthnRequest: the audit keeps the precise reason; the member reads the one page every
/// refused request shares.
fn invalid_request_page(reason: &'static str) -> WebError {
    WebError::member_page(StatusCode::BAD_REQUEST, reason, text::REQUEST_REFUSED)
}

async fn refuse_undecodable(
    state: &AppState,
    ip: &ClientIp,
    e: &request::RequestError,
) -> WebError {
    tracing::debug!(error = %Escaped(e), "AuthnRequest refused before its Issuer was known");
    flow::audit(
        state,
        "sso_request",
        None,
        None,
        "refused",
        e.reason(),
        ip,
        None,
    )
    .await;
    invalid_request_page(e.reason())
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    inbound: Inbound,
    ip: &ClientIp,
) -> Result<Response, WebError> {
    let Some(issuer) = inbound.request().issuer().map(str::to_string) else {
        flow::audit(
            state,
            "sso_request",
            None,
            None,
            "refused",
            "no_issuer",
            ip,
            None,
        )
        .await;
        return Err(invalid_request_page("no_issuer"));
    };
    let snap = snapshot::snapshot(state, headers).await?;
    let Some(app) = snapshot::app_for_issuer(state, &snap, &issuer).await? else {
        tracing::info!(issuer = %Escaped(&issuer), "AuthnRequest from an unknown Issuer");
        flow::audit(
            state,
            "sso_request",
            None,
            None,
            "refused",
            "unknown_issuer",
            ip,
            None,
        )
        .await;
        return Err(
            WebError::member(StatusCode::FORBIDDEN, "unknown_issuer").with_admin_detail(
                serde_json::json!({
                    "error": "no registered app has this Issuer (entity ID): add it with its metadata",
                }),
            ),
        );
    };
    super::request_log::note_app(app.name.as_str());
    // The only keys a request is verified with: the certificates of this app's metadata.
    let certs = app
        .metadata
        .signing_x509()
        .map_err(|e| WebError::internal("stored SP certificate", &e))?;
    let sso_urls = [state.config.sso_url()];
    let ctx = VerifyContext {
        certs: &certs,
        require_signed: app.requires_signed_requests(state.config.saml.want_authn_requests_signed),
        allow_sha1: app.settings.allow_sha1,
        sso_urls: &sso_urls,
        now: state.clock.now(),
        skew: time::Duration::seconds(state.config.saml.clock_skew_secs),
    };
    let verified = match inbound.verify(&ctx) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(app = %app.name, error = %Escaped(&e), "AuthnRequest refused");
            flow::audit(
                state,
                "sso_request",
                Some(app.name.as_str()),
                None,
                "refused",
                e.reason(),
                ip,
                None,
            )
            .await;
            return Err(invalid_request_page(e.reason()));
        }
    };
    let lifetime =
        state.config.saml.clock_skew_secs * 2 + state.config.saml.assertion_lifetime_secs;
    if !state
        .store
        .remember_request(
            &issuer,
            &verified.id,
            state.clock.unix() + lifetime.max(600),
        )
        .await?
    {
        tracing::debug!(app = %app.name, "AuthnRequest ID seen before: replay refused");
        flow::audit(
            state,
            "sso_request",
            Some(app.name.as_str()),
            None,
            "refused",
            "replayed_request",
            ip,
            Some(&verified.id),
        )
        .await;
        return Err(invalid_request_page("replayed_request"));
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
            flow::audit(
                state,
                "sso_request",
                Some(app.name.as_str()),
                None,
                "refused",
                "acs_not_in_metadata",
                ip,
                Some(&verified.id),
            )
            .await;
            return Err(invalid_request_page("acs_not_in_metadata"));
        }
    };
    let pending = Pending {
        app: app.name.as_str().to_string(),
        request_id: Some(verified.id.clone()),
        acs_url: acs,
        relay_state: verified.relay_state.clone(),
        force_authn: verified.force_authn,
        admin: None,
    };
    let live = if verified.force_authn {
        None
    } else {
        snapshot::live_session(state, snap).await?
    };
    match live {
        Some(live) => flow::answer(state, headers, &app, &pending, &live, ip).await,
        None if verified.is_passive => {
            flow::answer_status(
                state,
                headers,
                &app,
                &pending,
                SubStatusCode::NoPassive,
                "no session and IsPassive",
                ip,
            )
            .await
        }
        None => flow::begin_login(state, headers, &app, &pending, ip).await,
    }
}
