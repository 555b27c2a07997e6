//! `POST /oidc/token` and `GET|POST /oidc/userinfo`: the machine side of OpenID Connect. Requests
//! become typed inputs for [`crate::oidc_flow::token`]; errors are RFC 6749 §5.2 JSON (`invalid_client`
//! with 401 and a `WWW-Authenticate` challenge), and every answer says `Cache-Control: no-store`.
//! Userinfo takes the bearer access token from the `Authorization` header only (RFC 6750 §2.1).

use super::flow;
use super::AppState;
use super::ClientIp;
use crate::login::{AuditEvent, AuditKind, Who};
use crate::logsafe::Escaped;
use crate::oidc_flow::token::{self, Credentials, Issuer, TokenError};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;

/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/oidc/token";
/// The userinfo endpoint's path.
pub const USERINFO_PATH: &str = "/oidc/userinfo";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(TOKEN_PATH, post(token_endpoint))
        .route(USERINFO_PATH, get(userinfo).post(userinfo))
}

/// The token request's form (a parameter sent twice is refused by the form reader).
#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A JSON answer that no cache keeps.
fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

fn token_error(e: &TokenError, basic: bool) -> Response {
    let status = match e {
        TokenError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        TokenError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = serde_json::json!({"error": e.code(), "error_description": e.description()});
    let mut r = json(status, &body);
    // RFC 6749 §5.2: a client that tried Basic is answered with the Basic challenge.
    if status == StatusCode::UNAUTHORIZED && basic {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oidc\""),
        );
    }
    r
}

/// `Authorization: Basic` as RFC 6749 §2.3.1 sends it: both halves form-urlencoded.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, TokenError> {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Some(b64) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    else {
        return Ok(None);
    };
    let bad = TokenError::InvalidClient("malformed Basic credentials");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| TokenError::InvalidClient("malformed Basic credentials"))?;
    let raw = String::from_utf8(raw)
        .map_err(|_| TokenError::InvalidClient("malformed Basic credentials"))?;
    let (id, secret) = raw.split_once(':').ok_or(bad)?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((dec(id), dec(secret))))
}

async fn token_endpoint(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let ctx = flow::ctx(&state, &ip);
    let Ok(Form(f)) = form else {
        let e = TokenError::InvalidRequest("the body must be a form with each parameter once");
        return token_error(&e, false);
    };
    let basic = match basic_credentials(&headers) {
        Ok(b) => b,
        Err(e) => return token_error(&e, true),
    };
    let used_basic = basic.is_some();
    let creds = Credentials {
        basic,
        form_id: f.client_id.clone(),
        form_secret: f.client_secret.clone(),
    };
    let client = match token::authenticate(&ctx, &creds).await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(
                reason = e.description(),
                "OIDC token request: client authentication failed"
            );
            ctx.record(&AuditEvent::refused(
                AuditKind::SsoRequest,
                "oidc_invalid_client",
            ))
            .await;
            return token_error(&e, used_basic);
        }
    };
    let ring = state.keys();
    let iss = state.config.base();
    let issuer = Issuer {
        iss: &iss,
        keys: &ring.jose,
    };
    let result = match f.grant_type.as_deref() {
        Some("authorization_code") => {
            token::redeem_code(
                &ctx,
                &issuer,
                &client,
                f.code.as_deref(),
                f.redirect_uri.as_deref(),
                f.code_verifier.as_deref(),
            )
            .await
        }
        Some("refresh_token") => {
            token::refresh(&ctx, &issuer, &client, f.refresh_token.as_deref()).await
        }
        None => Err(TokenError::InvalidRequest("grant_type is required")),
        Some(_) => Err(TokenError::UnsupportedGrantType),
    };
    let who = Who::app(client.name.as_str());
    match result {
        Ok(tokens) => match serde_json::to_value(&tokens) {
            Ok(v) => json(StatusCode::OK, &v),
            Err(e) => token_error(&TokenError::Server(e.to_string()), used_basic),
        },
        Err(e) => {
            if let TokenError::Server(detail) = &e {
                tracing::error!(error = %Escaped(detail), "OIDC token request failed");
            } else {
                tracing::info!(app = %client.name, error = e.code(), reason = e.description(), "OIDC token request refused");
                let event = AuditEvent::refused(AuditKind::SsoRequest, "oidc_invalid_grant")
                    .who(who)
                    .detail(Some(e.description().to_string()));
                ctx.record(&event).await;
            }
            token_error(&e, used_basic)
        }
    }
}

/// `WWW-Authenticate: Bearer` with an error (RFC 6750 §3).
fn bearer_error(status: StatusCode, error: Option<&'static str>) -> Response {
    let body = match error {
        Some(e) => serde_json::json!({"error": e}),
        None => serde_json::json!({"error": "invalid_request"}),
    };
    let mut r = json(status, &body);
    let challenge = match error {
        Some(e) => format!("Bearer error=\"{e}\""),
        None => "Bearer".to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

async fn userinfo(State(state): State<AppState>, ip: ClientIp, headers: HeaderMap) -> Response {
    let ctx = flow::ctx(&state, &ip);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= crate::oidc::jwt::MAX_TOKEN_LEN);
    let Some(token) = token else {
        return bearer_error(StatusCode::UNAUTHORIZED, None);
    };
    match token::userinfo(&ctx, token).await {
        Ok(Some(claims)) => json(StatusCode::OK, &claims),
        Ok(None) => bearer_error(StatusCode::UNAUTHORIZED, Some("invalid_token")),
        Err(e) => {
            tracing::error!(error = %Escaped(&e), "userinfo: the store failed");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({"error": "temporarily_unavailable"}),
            )
        }
    }
}
