//! `GET|POST /oidc/logout`: OpenID Connect RP-initiated logout (the discovery document's
//! `end_session_endpoint`). A hint naming this browser's session ends it at once: the session's
//! OIDC grants are revoked, the session ends and the Single Logout chain tells its SAML apps
//! exactly as `GET /logout` does, then the browser goes to the registered
//! `post_logout_redirect_uri` with `state` (or sees the signed-out page). Without such a hint the
//! member confirms on a page whose button posts a token bound to the session: a link alone ends
//! nothing. Every refusal is a page, never a redirect. The domain is [`oidc_flow::logout`].

use super::client_ip::ClientIp;
use super::flow;
use super::slo::{self, Ending};
use super::AppState;
use crate::http::error::{Lang, WebError};
use crate::login::logout as chain;
use crate::login::{AuditEvent, AuditKind, Ctx, Live, Who};
use crate::logsafe::Escaped;
use crate::oidc::logout::{LogoutParams, LogoutPlan};
use crate::oidc_flow::logout::{self as domain, RpLogoutError};
use crate::text;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

/// The end-session endpoint's path.
pub const LOGOUT_PATH: &str = "/oidc/logout";

/// The form field of the confirmation page's token.
const CONFIRM: &str = "confirm";

pub(super) fn router() -> Router<AppState> {
    Router::new().route(LOGOUT_PATH, get(by_query).post(by_form))
}

impl From<RpLogoutError> for WebError {
    fn from(e: RpLogoutError) -> Self {
        match e {
            RpLogoutError::Refused(r) => {
                WebError::member_page(StatusCode::BAD_REQUEST, r.reason(), "oidc_logout_refused")
            }
            RpLogoutError::Login(e) => e.into(),
        }
    }
}

async fn by_query(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let raw = uri.query().unwrap_or("").as_bytes().to_vec();
    // A confirmation token in a link is ignored: only the page's POST confirms.
    logout(&state, &flow::ctx(&state, &ip), &headers, &raw, false).await
}

async fn by_form(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    logout(&state, &flow::ctx(&state, &ip), &headers, &body, true).await
}

async fn logout(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    raw: &[u8],
    posted: bool,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw).into_owned().collect();
    let confirm: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == CONFIRM)
        .map(|(_, v)| v.as_str())
        .collect();
    let planned =
        match LogoutParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(params) => {
                let keys = state.keys();
                domain::plan(ctx, &keys.jose, &state.config.base(), &params)
                    .await
                    .map(|plan| (params, plan))
            }
            Err(e) => Err(e.into()),
        };
    let (params, plan) = match planned {
        Ok(p) => p,
        Err(RpLogoutError::Refused(r)) => {
            tracing::info!(client_id = %Escaped(pairs.iter().find(|(k, _)| k == "client_id").map(|(_, v)| v.as_str()).unwrap_or("")), "RP-initiated logout refused: {}", Escaped(&r));
            let page = WebError::from(RpLogoutError::Refused(r.clone()));
            let audit =
                AuditEvent::refused(AuditKind::Logout, page.reason).detail(Some(r.to_string()));
            ctx.record(&audit).await;
            return Err(page);
        }
        Err(e) => return Err(e.into()),
    };
    let Some(live) = flow::current_session(state, headers).await? else {
        // Nothing to end: the RP's user is signed out here already.
        ctx.record(&AuditEvent::success(AuditKind::Logout, "no_session"))
            .await;
        return finish(headers, plan.redirect.as_ref());
    };
    let hinted = match &plan.hint {
        Some(h) => domain::hint_names_session(ctx, &live, h).await?,
        None => false,
    };
    if hinted {
        return end(state, ctx, headers, &live, &plan, "oidc_rp_initiated").await;
    }
    let confirmed = posted && confirm.len() == 1 && domain::confirm_matches(&live, confirm[0]);
    if confirmed {
        return end(state, ctx, headers, &live, &plan, "oidc_rp_confirmed").await;
    }
    // A POST carrying a token that is not this session's page's (forged, replayed from another
    // session, repeated) is an attempt worth seeing; the page is shown again and nothing ends.
    // An RP's POST without any token is only a logout request and just gets the page.
    if posted && !confirm.is_empty() {
        let who = Who::default().userid(Some(&live.row.userid));
        ctx.record(&AuditEvent::refused(AuditKind::Logout, "logout_confirm_mismatch").who(who))
            .await;
    }
    confirm_page(state, headers, &live, &params)
}

/// Ends the session: its OIDC grants revoked, the session ended and audited `how`
/// (`oidc_rp_initiated` by a hint, `oidc_rp_confirmed` by the member's confirmation), the SAML
/// apps told by the chain, then the return address.
async fn end(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    live: &Live,
    plan: &LogoutPlan,
    how: &'static str,
) -> Result<Response, WebError> {
    let revoked = domain::revoke_session_grants(ctx, live).await?;
    let app = plan.client_id.as_deref().unwrap_or("");
    tracing::debug!(client_id = %Escaped(app), revoked, "RP-initiated logout: the session's OIDC grants are revoked");
    let served = chain::served(ctx, live).await?;
    let ending = Ending {
        initiator: None,
        how,
        return_to: plan.redirect.as_ref().map(|u| u.to_string()),
    };
    slo::end_and_start(state, ctx, headers, live, served, ending).await
}

/// The registered return address, or the signed-out page.
fn finish(headers: &HeaderMap, redirect: Option<&url::Url>) -> Result<Response, WebError> {
    match redirect {
        Some(u) => flow::redirect(u.as_str()),
        None => slo::signed_out(Lang::from_headers(headers), false, false),
    }
}

#[derive(Template)]
#[template(path = "oidc_logout_confirm.html")]
struct ConfirmPage<'a> {
    lang: &'a str,
    title: &'a str,
    sentence: &'a str,
    button: &'a str,
    action: &'a str,
    confirm: &'a str,
    fields: Vec<(&'static str, &'a str)>,
}

/// Asks the member to confirm; the button posts the request's parameters again with the
/// session's confirmation token.
fn confirm_page(
    state: &AppState,
    headers: &HeaderMap,
    live: &Live,
    params: &LogoutParams,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(headers);
    let action = format!("{}{LOGOUT_PATH}", state.config.base());
    let token = domain::confirm_token(live);
    let mut fields = Vec::new();
    for (name, value) in [
        ("id_token_hint", &params.id_token_hint),
        ("client_id", &params.client_id),
        ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
        ("state", &params.state),
    ] {
        if let Some(v) = value {
            fields.push((name, v.as_str()));
        }
    }
    let html = ConfirmPage {
        lang: lang.code(),
        title: text::OIDC_LOGOUT_CONFIRM_TITLE.get(lang),
        sentence: text::OIDC_LOGOUT_CONFIRM_SENTENCE.get(lang),
        button: text::OIDC_LOGOUT_CONFIRM_BUTTON.get(lang),
        action: &action,
        confirm: &token,
        fields,
    }
    .render()
    .map_err(|e| WebError::internal("logout confirmation page", &e))?;
    // The form posts to us, whose answer may redirect to the client (form-action covers that
    // redirect); the page is never framed (a framed button could be clicked for the member).
    Ok(slo::html_page(
        html,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action *; \
         frame-ancestors 'none'; base-uri 'none'",
        "DENY",
    ))
}
