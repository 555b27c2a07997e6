//! `GET /WW_verify_<code>.txt`: WeCom's domain-ownership file, served from the database with
//! exactly the bytes an admin uploaded (`admin::verify_files`), as `text/plain`. The route lives in
//! the router's fallback: a root path of any other shape, or a well-formed name nobody uploaded,
//! is the ordinary 404 page.

use super::error::WebError;
use super::AppState;
use crate::admin::verify_files::VerifyFileName;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The file's answer when `uri` names a stored ownership file and the method reads; else `None`.
pub(super) async fn answer(
    state: &AppState,
    method: &Method,
    uri: &Uri,
) -> Result<Option<Response>, WebError> {
    if method != Method::GET && method != Method::HEAD {
        return Ok(None);
    }
    let Some(name) = uri.path().strip_prefix('/') else {
        return Ok(None);
    };
    if !VerifyFileName::matches(name) {
        return Ok(None);
    }
    let Some(row) = state.store.verify_file(name).await? else {
        return Ok(None);
    };
    let mut r = (StatusCode::OK, row.content).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(Some(r))
}
