//! Apps in the console: the routes of the list (`/admin/apps`), adding one ([`super::apps_new`]),
//! the app page ([`super::apps_page`]) with its settings form ([`super::apps_settings`]) and its
//! metadata, versions, refresh and delete ([`super::apps_changes`]). Nothing is stored before
//! Save; Save re-submits what was previewed, which is checked again. Thin over
//! [`crate::admin::apps`] and [`crate::admin::app_checks`].

use super::super::AppState;
use super::apps::APP_BODY_LIMIT;
use super::apps_views::{app_items, AppItem};
use super::auth::{chrome, ConsoleAdmin};
use super::{apps_changes, apps_new, apps_page, apps_settings};
use super::{page, Chrome};
use crate::http::error::WebError;
use crate::logsafe::Escaped;
use askama::Template;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list_page))
        .merge(apps_new::routes())
        .merge(apps_page::routes())
        .merge(apps_settings::routes())
        .merge(apps_changes::routes())
        .route_layer(DefaultBodyLimit::max(APP_BODY_LIMIT))
}

// ---- list ----

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct ListPage {
    c: Chrome,
    apps: Vec<AppItem>,
    /// The OpenID Connect clients, listed beside the SAML apps.
    clients: Vec<super::oidc_clients::OidcClientView>,
}

async fn list_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let apps = app_items(&state).await.map_err(|e| {
        tracing::error!(error = %Escaped(&e.message), "apps list");
        WebError::internal("apps list", &e.message)
    })?;
    let clients = crate::admin::oidc_clients::list(&state.store)
        .await
        .map_err(|e| WebError::internal("OIDC clients list", &e.to_string()))?
        .iter()
        .map(|c| super::oidc_clients::view(&state, c))
        .collect();
    page(&ListPage {
        c: chrome(&admin, &headers, "apps"),
        apps,
        clients,
    })
}
