//! `GET /oidc/jwks`: the OpenID Connect JWK Set (discovery's `jwks_uri`) — every published key of
//! the ring (active, next, previous; RS256 and ES256) for relying parties to verify our tokens.

use super::AppState;
use crate::http::error::WebError;
use crate::oidc::jwks::{JWKS_MAX_AGE_SECS, JWKS_PATH};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(JWKS_PATH, get(jwks))
}

async fn jwks(State(state): State<AppState>) -> Result<Response, WebError> {
    let doc = state
        .keys()
        .jose
        .document()
        .map_err(|e| WebError::internal("JWK Set", &e))?;
    let mut r = doc.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Briefly: a relying party sees a new `next` key, and forgets a retired one, within minutes.
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={JWKS_MAX_AGE_SECS}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    // Public keys: browser-based relying parties may read them from any origin.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(r)
}
