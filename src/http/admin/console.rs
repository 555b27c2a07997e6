//! The console's home page (`/admin`): what this IdP is (entity ID, metadata, SSO and callback URLs
//! to give consoles and WeCom), a count of what is registered, and the way to each section.

use super::super::AppState;
use super::auth::{chrome, ConsoleAdmin};
use super::{page, Chrome};
use crate::error::WebError;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(home))
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    c: Chrome,
    entity_id: String,
    metadata_url: String,
    sso_url: String,
    callback_url: String,
    trusted_domain: String,
    apps: usize,
}

async fn home(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let apps = state.store.apps().await?.len();
    page(&HomePage {
        c: chrome(&admin, &headers, "home"),
        entity_id: state.config.entity_id(),
        metadata_url: format!("{}/saml/metadata", state.config.base()),
        sso_url: state.config.sso_url(),
        callback_url: state.config.callback_url(),
        trusted_domain: state.config.trusted_domain(),
        apps,
    })
}
