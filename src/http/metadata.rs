//! `GET /saml/metadata`: our IdP EntityDescriptor, to upload to each console; and
//! `GET /apps/{app}/metadata`: the same entity and keys with that app's own
//! `WantAuthnRequestsSigned`, for SPs (samlify) that sign requests only when the IdP's metadata
//! asks for it, without forcing signatures on every other app.

use super::snapshot;
use super::AppState;
use crate::apps::{App, AppName};
use crate::config::Config;
use crate::http::error::WebError;
use crate::keys::KeyRing;
use crate::login::Refusal;
use crate::saml::metadata::{idp_metadata, IdpMetadataInput};
use crate::saml::sign::SignError;
use crate::saml::uris::name_id;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/saml/metadata", get(metadata))
        .route("/apps/{app}/metadata", get(app_metadata))
}

/// The NameID formats we can produce.
pub const NAME_ID_FORMATS: &[&str] = &[
    name_id::UNSPECIFIED,
    name_id::EMAIL,
    name_id::PERSISTENT,
    name_id::TRANSIENT,
];

/// The metadata document for this configuration and key ring.
pub fn document(config: &Config, keys: &KeyRing) -> Result<Vec<u8>, SignError> {
    with_policy(config, keys, config.saml.want_authn_requests_signed)
}

/// The metadata document for one app: the IdP's, but `WantAuthnRequestsSigned` says whether
/// this app's requests must be signed (its `require_signed_requests`).
pub fn app_document(config: &Config, keys: &KeyRing, app: &App) -> Result<Vec<u8>, SignError> {
    let want = app.requires_signed_requests(config.saml.want_authn_requests_signed);
    with_policy(config, keys, want)
}

fn with_policy(config: &Config, keys: &KeyRing, want_signed: bool) -> Result<Vec<u8>, SignError> {
    let certs: Vec<&str> = keys.published.iter().map(String::as_str).collect();
    idp_metadata(&IdpMetadataInput {
        entity_id: &config.entity_id(),
        sso_url: &config.sso_url(),
        slo_url: &config.slo_url(),
        signing_certs: &certs,
        want_authn_requests_signed: want_signed,
        name_id_formats: NAME_ID_FORMATS,
        valid_until: None,
    })
}

async fn metadata(State(state): State<AppState>) -> Result<Response, WebError> {
    let doc = document(&state.config, &state.keys())
        .map_err(|e| WebError::internal("IdP metadata", &e))?;
    Ok(xml_reply(doc, "wecom-idp-metadata.xml"))
}

async fn app_metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let name = AppName::parse(&name).map_err(|_| Refusal::UnknownApp)?;
    let snap = snapshot::snapshot(&state, &headers).await?;
    let Some(app) = snapshot::app_named(&state, &snap, &name).await? else {
        return Err(Refusal::UnknownApp.into());
    };
    let doc = app_document(&state.config, &state.keys(), &app)
        .map_err(|e| WebError::internal("IdP metadata", &e))?;
    Ok(xml_reply(
        doc,
        &format!("wecom-idp-metadata-{}.xml", name.as_str()),
    ))
}

/// The document as `application/samlmetadata+xml`, shown inline, saved under `filename`.
fn xml_reply(doc: Vec<u8>, filename: &str) -> Response {
    let mut r = doc.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    // An app name is a-z, 0-9 and '-', so the file name is always a valid header value.
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
