//! `GET /saml/metadata`: our IdP EntityDescriptor, to upload to each console.

use super::AppState;
use crate::config::Config;
use crate::http::error::WebError;
use crate::keys::KeyRing;
use crate::saml::metadata::{idp_metadata, IdpMetadataInput};
use crate::saml::uris::name_id;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/saml/metadata", get(metadata))
}

/// The NameID formats we can produce.
pub const NAME_ID_FORMATS: &[&str] = &[
    name_id::UNSPECIFIED,
    name_id::EMAIL,
    name_id::PERSISTENT,
    name_id::TRANSIENT,
];

/// The metadata document for this configuration and key ring.
pub fn document(config: &Config, keys: &KeyRing) -> Result<Vec<u8>, crate::saml::sign::SignError> {
    let certs: Vec<&str> = keys.published.iter().map(String::as_str).collect();
    idp_metadata(&IdpMetadataInput {
        entity_id: &config.entity_id(),
        sso_url: &config.sso_url(),
        signing_certs: &certs,
        want_authn_requests_signed: config.saml.want_authn_requests_signed,
        name_id_formats: NAME_ID_FORMATS,
        valid_until: None,
    })
}

async fn metadata(State(state): State<AppState>) -> Result<Response, WebError> {
    let doc = document(&state.config, &state.keys())
        .map_err(|e| WebError::internal("IdP metadata", &e))?;
    let mut r = doc.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"wecom-idp-metadata.xml\""),
    );
    Ok(r)
}
