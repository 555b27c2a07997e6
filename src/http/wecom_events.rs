//! `GET|POST /wecom/events`: WeCom's event callback (接收消息). GET is the URL verification (answer
//! the decrypted `echostr` as plain text); POST an encrypted event (answer `success`). The caller
//! is WeCom's server, not a browser: answers are short plain text, the audit row (`wecom_event`)
//! says the detail. The rules are [`crate::events`]'s.

use super::{AppState, ClientIp};
use crate::events::{self, Received, Refusal, Signed};
use crate::logsafe::Escaped;
use crate::store::{AuditKind, AuditResult, AuditRow};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/wecom/events", get(verify).post(receive))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventQuery {
    msg_signature: String,
    timestamp: String,
    nonce: String,
    echostr: String,
}

impl EventQuery {
    fn signed(&self) -> Signed {
        Signed {
            msg_signature: self.msg_signature.clone(),
            timestamp: self.timestamp.clone(),
            nonce: self.nonce.clone(),
        }
    }
}

fn plain(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The scheme in force, or why there is none.
async fn crypto(state: &AppState) -> Result<(events::Ctx, i64), Refusal> {
    let e = state
        .effective()
        .await
        .map_err(|_| Refusal::Store("WeCom settings".into()))?;
    let crypto = e
        .wecom
        .event_crypto()
        .ok()
        .flatten()
        .ok_or(Refusal::NotConfigured)?;
    let now = state.clock.now().unix_timestamp();
    let ctx = events::Ctx {
        store: state.store.clone(),
        crypto,
        corp_id: e.wecom.corp_id.clone(),
        now,
        leaver_account: state.config.lifecycle.leaver_account,
        client: e.client.clone(),
        master_key: state.config.master_key().ok().cloned(),
        back_channel: crate::lifecycle::back_channel::for_server(
            &state.config,
            &state.keys(),
            state.rng.clone(),
            state.back_channel_http.as_ref(),
        ),
    };
    Ok((ctx, now))
}

async fn verify(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<EventQuery>,
) -> Response {
    let answer = match crypto(&state).await {
        Ok((ctx, now)) => events::verify_url(&ctx.crypto, now, &q.signed(), &q.echostr),
        Err(r) => Err(r),
    };
    match answer {
        Ok(echo) => {
            audit(&state, ip, AuditResult::Success, "url_verified", json!({})).await;
            tracing::info!("WeCom verified the event callback URL");
            plain(StatusCode::OK, echo)
        }
        Err(r) => refused(&state, ip, "url_verification", &r).await,
    }
}

async fn receive(
    State(state): State<AppState>,
    ip: ClientIp,
    Query(q): Query<EventQuery>,
    body: Bytes,
) -> Response {
    let answer = match crypto(&state).await {
        Ok((ctx, _)) => events::receive(&ctx, &q.signed(), &body).await,
        Err(r) => Err(r),
    };
    match answer {
        Ok(Received::Change { change, outcome }) => {
            let detail = json!({
                "change_type": change.change_type(),
                "outcome": outcome.map(|o| format!("{o:?}")),
            });
            let userid = crate::lifecycle::userid_of(&change);
            tracing::info!(change_type = change.change_type(),
                userid = %Escaped(userid.unwrap_or_default()), "WeCom event received");
            audit_user(&state, ip, AuditResult::Success, "received", detail, userid).await;
            plain(StatusCode::OK, "success".into())
        }
        Ok(Received::Ignored(what)) => {
            tracing::info!(message = %Escaped(&what), "WeCom event ignored: not an address-book change we act on");
            audit(
                &state,
                ip,
                AuditResult::Success,
                "ignored",
                json!({ "message": what }),
            )
            .await;
            plain(StatusCode::OK, "success".into())
        }
        Err(r) => refused(&state, ip, "event", &r).await,
    }
}

async fn refused(state: &AppState, ip: ClientIp, what: &str, r: &Refusal) -> Response {
    let status = match r {
        Refusal::NotConfigured => StatusCode::NOT_FOUND,
        Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let detail = match r {
        Refusal::Missing(name) => json!({ "request": what, "missing": name }),
        Refusal::Message(e) => json!({ "request": what, "problem": e.to_string() }),
        Refusal::Store(e) => json!({ "request": what, "problem": e }),
        _ => json!({ "request": what }),
    };
    tracing::warn!(
        reason = r.reason(),
        request = what,
        "WeCom event callback refused"
    );
    let result = if matches!(r, Refusal::Store(_)) {
        AuditResult::Error
    } else {
        AuditResult::Refused
    };
    audit(state, ip, result, r.reason(), detail).await;
    plain(status, r.reason().to_string())
}

async fn audit(
    state: &AppState,
    ip: ClientIp,
    result: AuditResult,
    reason: &str,
    detail: serde_json::Value,
) {
    audit_user(state, ip, result, reason, detail, None).await;
}

async fn audit_user(
    state: &AppState,
    ip: ClientIp,
    result: AuditResult,
    reason: &str,
    detail: serde_json::Value,
    userid: Option<&str>,
) {
    let row = AuditRow {
        at: state.clock.now().unix_timestamp(),
        event: AuditKind::WecomEvent,
        app: None,
        userid: userid.map(str::to_string),
        result,
        reason: reason.to_string(),
        client_ip: ip.0,
        request_id: None,
        actor: None,
        detail: Some(detail.to_string()),
    };
    if let Err(e) = state.store.audit(&row).await {
        tracing::error!(error = %Escaped(&e), "could not write the audit row of a WeCom event");
    }
}
