//! The OIDC consent page and `POST /oidc/consent`, its answer. The page names the client and what
//! it will receive by scope, with Allow and Deny; the form carries only a ticket to the pending
//! authorization kept server-side, which only the IdP session the page was shown to can take, once
//! — a forged or replayed POST finds nothing. Allow remembers the grant and sends the code; Deny
//! sends `access_denied` with `state` and `iss`. The rules are [`crate::oidc_flow::consent`]'s.

use super::flow;
use super::refusal::refuse;
use super::AppState;
use super::ClientIp;
use crate::http::error::{Lang, WebError};
use crate::login::{AuditEvent, AuditKind, Ctx, Live, Who};
use crate::oidc::authorize::{ErrorCode, RedirectError, Request};
use crate::oidc::{Client, Scope};
use crate::oidc_flow::consent::{self, Decision};
use crate::text::CONSENT_PAGE;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

/// Where the consent page posts its answer.
pub const CONSENT_PATH: &str = "/oidc/consent";

pub(super) fn router() -> Router<AppState> {
    Router::new().route(CONSENT_PATH, post(decide))
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    lang: &'a str,
    title: &'a str,
    client: &'a str,
    intro: &'a str,
    claims: Vec<&'a str>,
    ticket: &'a str,
    allow: &'a str,
    deny: &'a str,
    remembered: &'a str,
}

/// The consent page for `req`, once the access rules let the member in (a refused member gets
/// the refusal page, never a question).
pub(super) async fn ask(
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    client: &Client,
    req: &Request,
    live: &Live,
) -> Result<Response, WebError> {
    let who = Who::app(client.name.as_str()).userid(Some(&live.profile.userid));
    if let Err(e) =
        crate::login::release::release(ctx, &live.effective, client, &live.profile, None).await
    {
        return Err(refuse(ctx, AuditKind::Login, who, e).await);
    }
    let ticket = consent::hold(ctx, req, &live.row.id_hash)
        .await
        .map_err(|e| WebError::store("an OIDC consent page", &e))?;
    let lang = Lang::from_headers(headers);
    let t = CONSENT_PAGE;
    let claims = consent::shown(req)
        .into_iter()
        .map(|s| {
            match s {
                Scope::Openid => t.openid,
                Scope::Profile => t.profile,
                Scope::Email => t.email,
                Scope::Phone => t.phone,
                Scope::Groups => t.groups,
            }
            .get(lang)
        })
        .collect();
    let html = ConsentPage {
        lang: lang.code(),
        title: t.title.get(lang),
        client: client.name.as_str(),
        intro: t.intro.get(lang),
        claims,
        ticket: &ticket,
        allow: t.allow.get(lang),
        deny: t.deny.get(lang),
        remembered: t.remembered.get(lang),
    }
    .render()
    .map_err(|e| WebError::internal("consent page", &e))?;
    let mut r = (StatusCode::OK, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The form as sent; anything missing or unknown gets the expired page, never a bare error.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    ticket: Option<String>,
    decision: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(a): Form<Answer>,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let expired = || {
        WebError::member_page(
            StatusCode::BAD_REQUEST,
            "oidc_consent_expired",
            "oidc_consent_expired",
        )
    };
    let decision = match a.decision.as_deref() {
        Some("allow") => Decision::Allow,
        Some("deny") => Decision::Deny,
        _ => return Err(expired()),
    };
    let (Some(ticket), Some(live)) = (a.ticket, flow::current_session(&state, &headers).await?)
    else {
        return Err(expired());
    };
    let Some(req) = consent::take(&ctx, &ticket, &live.row.id_hash)
        .await
        .map_err(|e| WebError::store("an OIDC consent answer", &e))?
    else {
        return Err(expired());
    };
    let client = super::oidc::pending_client(&ctx, &req).await?;
    let who = Who::app(client.name.as_str()).userid(Some(&live.profile.userid));
    match decision {
        Decision::Allow => {
            consent::remember(&ctx, &client, &req, &live.profile.userid)
                .await
                .map_err(|e| WebError::store("an OIDC consent", &e))?;
            let event = AuditEvent::success(AuditKind::OidcConsent, "consent_granted")
                .who(who)
                .detail(Some(req.scopes.to_wire()));
            ctx.record(&event).await;
            super::oidc::give_code(&state, &ctx, &client, &req, &live).await
        }
        Decision::Deny => {
            let event = AuditEvent::refused(AuditKind::OidcConsent, "consent_denied")
                .who(who)
                .detail(Some(req.scopes.to_wire()));
            ctx.record(&event).await;
            let e = RedirectError {
                code: ErrorCode::AccessDenied,
                description: "the member denied consent",
            };
            super::oidc::error_redirect(&state, &req.redirect_uri, req.state.as_deref(), &e)
        }
    }
}
