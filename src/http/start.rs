//! `GET /apps/{app}/start[?RelayState=…]`: the mount address, IdP-initiated login. Same WeCom login
//! as SP-initiated, then an unsolicited Response (no InResponseTo) to the app's default ACS. For an
//! OpenID Connect client (`?target_link_uri=…`), a redirect to the client's login initiation
//! address with `iss` ([`crate::oidc::initiate`]): the client starts the sign-in.

use super::flow;
use super::refusal::refuse;
use super::snapshot;
use super::AppState;
use super::ClientIp;
use crate::http::error::WebError;
use crate::login::{AppLogin, AuditKind, Refusal, Who};
use crate::logsafe::Escaped;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/apps/{app}/start", get(start))
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
    /// OpenID Connect third-party-initiated login's target (OIDC clients only).
    target_link_uri: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<StartQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let headers = &headers;
    let name = crate::apps::AppName::parse(&name).map_err(|_| Refusal::UnknownApp)?;
    let snap = snapshot::snapshot(&state, headers).await?;
    let Some(app) = snapshot::app_named(&state, &snap, &name).await? else {
        return oidc_start(&state, &ctx, &name, q.target_link_uri.as_deref()).await;
    };
    super::request_log::note_app(app.name.as_str());
    let relay_state = match app.relay_state_for(q.relay_state.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(app = %app.name, relay_state = %Escaped(q.relay_state.as_deref().unwrap_or_default()), "refused RelayState: {}", Escaped(&e));
            let who = Who::app(app.name.as_str());
            let refusal = Refusal::RelayStateNotAllowed.into();
            return Err(refuse(&ctx, AuditKind::Login, who, refusal).await);
        }
    };
    let acs = app.default_acs().ok_or(Refusal::NoAcs)?;
    let login = AppLogin {
        app: app.name.as_str().to_string(),
        request_id: None,
        acs_url: acs.location.clone(),
        relay_state,
        force_authn: false,
    };
    match snapshot::live_session(&state, snap).await? {
        Some(live) => flow::answer(&state, &ctx, headers, &app, &login, &live).await,
        None => flow::begin_login(&state, &ctx, headers, &app, login).await,
    }
}

/// The mount address of an OpenID Connect client: its login initiation address with `iss` (and
/// a registered `target_link_uri`), else its first redirect URI's origin; an unknown name is
/// refused as before.
async fn oidc_start(
    state: &AppState,
    ctx: &crate::login::Ctx<'_>,
    name: &crate::apps::AppName,
    target_link_uri: Option<&str>,
) -> Result<Response, WebError> {
    let Some(row) = ctx.store.oidc_client(name.as_str()).await? else {
        return Err(Refusal::UnknownApp.into());
    };
    let client = crate::oidc::Client::from_row(row)
        .map_err(|e| WebError::internal("stored OIDC client", &e))?;
    super::request_log::note_app(client.name.as_str());
    let issuer = state.config.base();
    let Some(url) = crate::oidc::initiate::start_url(&client, &issuer, target_link_uri) else {
        return Err(Refusal::NoAcs.into());
    };
    tracing::debug!(app = %client.name, "mount address of an OIDC client: to its login initiation");
    flow::redirect(url.as_str())
}
