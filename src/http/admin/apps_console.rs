//! Apps in the console.
use super::super::AppState;
use axum::Router;
pub(super) fn routes() -> Router<AppState> {
    Router::new()
}
