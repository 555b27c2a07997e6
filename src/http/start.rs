//! `GET /apps/{app}/start[?RelayState=…]`: the mount address, IdP-initiated login. Same WeCom login
//! as SP-initiated, then an unsolicited Response (no InResponseTo) to the app's default ACS.

use super::flow::{self, ClientIp, Pending};
use super::snapshot;
use super::AppState;
use crate::error::WebError;
use crate::logsafe::Escaped;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
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
}

async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<StartQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let headers = &headers;
    let Ok(name) = crate::apps::AppName::parse(&name) else {
        return Err(flow::unknown_app());
    };
    let snap = snapshot::snapshot(&state, headers).await?;
    let Some(app) = snapshot::app_named(&state, &snap, &name).await? else {
        return Err(flow::unknown_app());
    };
    super::request_log::note_app(app.name.as_str());
    let relay_state = match app.relay_state_for(q.relay_state.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            flow::audit(
                &state,
                "login",
                Some(app.name.as_str()),
                None,
                "refused",
                "relay_state_not_allowed",
                &ip,
                None,
            )
            .await;
            tracing::debug!(app = %app.name, relay_state = %Escaped(q.relay_state.as_deref().unwrap_or_default()), "refused RelayState: {}", Escaped(&e));
            return Err(
                WebError::member(StatusCode::BAD_REQUEST, "relay_state_not_allowed")
                    .with_admin_detail(serde_json::json!({
                        "error": "the RelayState is not in the app's relay_state_allow",
                    })),
            );
        }
    };
    let Some(acs) = app.default_acs() else {
        return Err(
            WebError::member(StatusCode::INTERNAL_SERVER_ERROR, "no_acs").with_admin_detail(
                serde_json::json!({
                    "error": "the app's metadata has no HTTP-POST AssertionConsumerService",
                }),
            ),
        );
    };
    let pending = Pending {
        app: app.name.as_str().to_string(),
        request_id: None,
        acs_url: acs.location.clone(),
        relay_state,
        force_authn: false,
        admin: None,
    };
    match snapshot::live_session(&state, snap).await? {
        Some(live) => flow::answer(&state, headers, &app, &pending, &live, &ip).await,
        None => flow::begin_login(&state, headers, &app, &pending, &ip).await,
    }
}
