//! `/healthz` (the process answers), `/readyz` (database reachable, key loaded) and `/metrics`
//! (Prometheus text).

use super::AppState;
use crate::logsafe::Escaped;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let within = std::time::Duration::from_millis(state.config.database.ready_timeout_ms);
    let db = state.store.ping(within).await;
    let key = !state.keys().published.is_empty();
    match (db, key) {
        (Ok(()), true) => (StatusCode::OK, "ready\n").into_response(),
        (Err(e), _) => {
            tracing::warn!(error = %Escaped(&e), "not ready: database");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
        (_, false) => (StatusCode::SERVICE_UNAVAILABLE, "no signing key\n").into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    // The same bound as readiness: a scrape never waits longer for the database than /readyz does.
    let within = std::time::Duration::from_millis(state.config.database.ready_timeout_ms);
    let database_up = state.store.ping(within).await.is_ok();
    let gauges = crate::metrics::Gauges {
        database_up,
        signing_key_expiry: state.keys().active.not_after().unix_timestamp(),
    };
    let mut r = state.metrics.render(&gauges).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
