//! How an OIDC authorization response (or error) reaches the client's redirect URI, by its
//! response mode: `query` (a 302 with the parameters in the query — the code flow), `fragment`
//! (a 303 with them form-urlencoded in the fragment) or `form_post` (a page that posts them,
//! auto-submitted like SAML's POST binding; the values escaped by the template).

use super::flow;
use crate::http::error::{Lang, WebError};
use crate::oidc::authorize::{self, ResponseMode};
use crate::text;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "oidc_form_post.html")]
struct FormPost<'a> {
    lang: &'a str,
    title: &'a str,
    button: &'a str,
    action: &'a str,
    fields: &'a [(&'a str, &'a str)],
}

/// Sends `params` to `redirect_uri` the way `mode` says.
pub(super) fn deliver(
    lang: Lang,
    redirect_uri: &str,
    mode: ResponseMode,
    params: &[(&str, &str)],
) -> Result<Response, WebError> {
    match mode {
        ResponseMode::Query => flow::redirect(&authorize::response_url(redirect_uri, params)),
        ResponseMode::Fragment => {
            let url = authorize::fragment_url(redirect_uri, params);
            let v = HeaderValue::from_str(&url)
                .map_err(|e| WebError::internal("fragment redirect URL", &e))?;
            let mut r = StatusCode::SEE_OTHER.into_response();
            r.headers_mut().insert(header::LOCATION, v);
            Ok(r)
        }
        ResponseMode::FormPost => {
            let html = FormPost {
                lang: lang.code(),
                title: text::POST_FORM_TITLE.get(lang),
                button: text::POST_FORM_BUTTON.get(lang),
                action: redirect_uri,
                fields: params,
            }
            .render()
            .map_err(|e| WebError::internal("OIDC form_post page", &e))?;
            let mut r = html.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Ok(r)
        }
    }
}
