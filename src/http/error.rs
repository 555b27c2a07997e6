//! The HTTP layer's one error type. A handler returns [`WebError`]; the browser sees an HTML page in
//! its language (Chinese or English) saying what happened and what to do, never internals; the log gets
//! the detail. [`render_page`] renders it, called by the HTTP middleware that knows the request's
//! language.
//! Pages a member sees are made with [`WebError::member`] from the catalogue in [`crate::text`]: one
//! plain sentence and a reference; what the administrator needs rides along in
//! [`WebError::admin_detail`] to the log and the audit row.

pub use crate::lang::{t, Lang, Text};
pub use crate::text::DATABASE_UNAVAILABLE;

use crate::logsafe::Escaped;
use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Reading the page language from a request is the HTTP side of [`Lang`].
impl Lang {
    /// From `Accept-Language` (first tag wins), else the WeCom UA's `Language/xx`, else Chinese.
    pub fn from_headers(h: &HeaderMap) -> Self {
        if let Some(al) = h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) {
            let first = al
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if first.starts_with("en") {
                return Self::En;
            }
            if first.starts_with("zh") {
                return Self::Zh;
            }
        }
        let ua = h
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if ua.contains("Language/en") {
            Self::En
        } else {
            Self::Zh
        }
    }
}

/// Seconds a client is asked to wait before retrying after a 503.
pub const RETRY_AFTER_SECS: u64 = 5;

/// What went wrong, for a browser.
#[derive(Debug, Clone)]
pub struct WebError {
    /// HTTP status.
    pub status: StatusCode,
    /// Short machine-readable reason (also in the audit log and the page footer).
    pub reason: &'static str,
    /// Headline.
    pub title: Box<Text>,
    /// What happened.
    pub detail: Box<Text>,
    /// What to do about it.
    pub fix: Option<Box<Text>>,
    /// What the administrator needs to know (JSON for the audit row's detail, also logged); never
    /// shown on the page.
    pub admin_detail: Option<Box<serde_json::Value>>,
}

impl WebError {
    /// A page with a status, reason, title and detail.
    pub fn new(status: StatusCode, reason: &'static str, title: Text, detail: Text) -> Self {
        Self {
            status,
            reason,
            title: Box::new(title),
            detail: Box::new(detail),
            fix: None,
            admin_detail: None,
        }
    }

    /// A member's page: the title and sentence of `reason` in [`crate::text::MEMBER_PAGES`].
    pub fn member(status: StatusCode, reason: &'static str) -> Self {
        Self::member_page(status, reason, reason)
    }

    /// A member's page under `reason` showing the catalogue's page `key` (a family of reasons that
    /// all mean the same to a member shares one page).
    pub fn member_page(status: StatusCode, reason: &'static str, key: &str) -> Self {
        let p =
            crate::text::member_page(key).or_else(|| crate::text::member_page("internal_error"));
        let (title, detail) = match p {
            Some(p) => (t(p.title.en, p.title.zh), t(p.sentence.en, p.sentence.zh)),
            None => (t("Error", "错误"), t("", "")),
        };
        Self::new(status, reason, title, detail)
    }

    /// The administrator's detail (audit row and log, never the page).
    pub fn with_admin_detail(mut self, detail: serde_json::Value) -> Self {
        self.admin_detail = Some(Box::new(detail));
        self
    }

    /// A line naming whom to contact (a name the administrator configured).
    pub fn with_contact(self, contact: Option<&str>) -> Self {
        match contact.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => self.with_fix(t(format!("Contact: {c}"), format!("联系人：{c}"))),
            None => self,
        }
    }

    /// The admin detail as the audit row stores it, through the same redaction guard as every
    /// admin change's detail (WeCom's answers are not ours to trust with secrets).
    pub fn audit_detail(&self) -> Option<String> {
        self.admin_detail
            .as_ref()
            .map(|d| crate::admin::audit::redact((**d).clone()).to_string())
    }

    /// Adds a "how to fix" line.
    pub fn with_fix(mut self, fix: Text) -> Self {
        self.fix = Some(Box::new(fix));
        self
    }

    /// A failure of ours: the detail goes to the log, the page says only that it failed.
    pub fn internal(what: &str, e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %Escaped(e), "{what}");
        Self::member(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }

    /// The database is unreachable for now: a 503 asking to try again in a moment (with
    /// `Retry-After`), not a failure of ours to report.
    pub fn unavailable(e: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %e, "database unavailable; answering 503");
        Self::member(StatusCode::SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE)
    }

    /// A store failure: [`WebError::unavailable`] when the database was unreachable, otherwise
    /// [`WebError::internal`] with `what` in the log.
    pub fn store(what: &str, e: &crate::store::StoreError) -> Self {
        if e.is_unavailable() {
            Self::unavailable(e)
        } else {
            Self::internal(what, e)
        }
    }

    /// A bad request with a short explanation.
    pub fn bad_request(reason: &'static str, title: Text, detail: Text) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason, title, detail)
    }
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title.en, self.reason)
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::store("store", &e)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        // The body is rendered by `render_errors`, which knows the language.
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    title: &'a str,
    detail: &'a str,
    fix: Option<&'a str>,
    ref_label: &'a str,
    reason: &'a str,
    request_id: &'a str,
}

/// The request ID the tracing middleware gave this request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Renders one error page.
pub fn render_page(err: &WebError, lang: Lang, request_id: &str) -> Response {
    let page = ErrorPage {
        lang: lang.code(),
        title: lang.pick(&err.title),
        detail: lang.pick(&err.detail),
        fix: err.fix.as_ref().map(|f| lang.pick(f)),
        ref_label: match lang {
            Lang::Zh => "参考编号：",
            Lang::En => "Reference:",
        },
        reason: err.reason,
        request_id,
    };
    match page.render() {
        Ok(html) => {
            let mut r = (err.status, html).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            if err.reason == DATABASE_UNAVAILABLE {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (err.status, err.reason).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::Zh);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9,zh;q=0.8"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9"),
        );
        assert_eq!(Lang::from_headers(&h), Lang::Zh);
    }

    #[test]
    fn member_pages_fall_back_to_the_internal_error_page() {
        let e = WebError::member(StatusCode::BAD_REQUEST, "no_such_page_key");
        assert_eq!(e.reason, "no_such_page_key");
        assert_eq!(e.title.en, "Something went wrong");
    }

    #[test]
    fn page_escapes_and_picks_language() {
        let e = WebError::bad_request("x", t("<b>", "标题"), t("d&", "详情"));
        let r = render_page(&e, Lang::En, "rid");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = render_page(&e, Lang::Zh, "rid");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
