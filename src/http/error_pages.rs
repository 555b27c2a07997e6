//! The middleware that turns a [`WebError`] a handler answered into the HTML page in the request's
//! language, and notes its reason on the request's log line.

use crate::http::error::{render_page, Lang, RequestId, WebError};
use crate::logsafe::Escaped;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Renders [`WebError`]s left in response extensions as HTML pages in the request's language.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let lang = Lang::from_headers(req.headers());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let mut resp = next.run(req).await;
    let Some(err) = resp.extensions_mut().remove::<WebError>() else {
        return resp;
    };
    // The request's INFO line carries the reason; this one only adds the page title.
    super::request_log::note_reason(err.reason);
    tracing::debug!(
        reason = err.reason,
        status = err.status.as_u16(),
        detail = %Escaped(err.audit_detail().unwrap_or_default()),
        "refused: {}",
        err.title.en
    );
    render_page(&err, lang, &request_id)
}
