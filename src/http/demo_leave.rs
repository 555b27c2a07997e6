//! Demo only: `POST /demo/leave` — "this member leaves". The simulator removes the member and sends
//! the encrypted `delete_user` event to the IdP's own event callback, as WeCom would; the
//! workbench then says what happened (the member's sessions ended, the account disabled), so the
//! demo shows a leaver cut off live.

use super::flow::redirect;
use super::AppState;
use crate::http::error::WebError;
use crate::logsafe::Escaped;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/demo/leave", post(leave))
}

#[derive(Debug, Deserialize)]
struct LeaveForm {
    userid: String,
}

async fn leave(
    State(state): State<AppState>,
    Form(f): Form<LeaveForm>,
) -> Result<Response, WebError> {
    let sim = super::demo::demo(&state)?
        .simulator
        .clone()
        .ok_or_else(|| WebError::member(StatusCode::NOT_FOUND, "not_found"))?;
    let sent = sim
        .member_leaves(&f.userid)
        .await
        .map_err(|e| WebError::internal("the demo's leave event", &e))?;
    if sent.status != 200 {
        let why = format!("the IdP answered {} {}", sent.status, sent.answer);
        return Err(WebError::internal("the demo's leave event", &why));
    }
    tracing::info!(userid = %Escaped(&f.userid), "demo: the member left; WeCom's event was accepted");
    let enc: String = url::form_urlencoded::byte_serialize(f.userid.as_bytes()).collect();
    redirect(&format!("/demo?left={enc}"))
}
