//! The one INFO line every finished request produces (`target: wecom_idp::request`): method, path,
//! status, duration, request ID, client IP, and — when a handler learned them — the app, the WeCom
//! userid and the refusal reason. Handlers add what they learn with [`note_app`], [`note_userid`]
//! and [`note_reason`]; the request's own task carries the note, so no handler signature changes.
//! Every value taken from the request or from WeCom is escaped (`escape_debug`).
//! Lines that would only repeat this one are DEBUG where they are written.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// What handlers learned about a request.
#[derive(Debug, Default, Clone)]
struct Note {
    app: Option<String>,
    userid: Option<String>,
    reason: Option<&'static str>,
}

tokio::task_local! {
    static NOTE: Arc<Mutex<Note>>;
}

fn with(f: impl FnOnce(&mut Note)) {
    let _ = NOTE.try_with(|n| match n.lock() {
        Ok(mut g) => f(&mut g),
        Err(p) => f(&mut p.into_inner()),
    });
}

/// The app the request is for (also recorded on the request span).
pub fn note_app(app: &str) {
    tracing::Span::current().record("app", app);
    with(|n| n.app = Some(app.escape_debug().to_string()));
}

/// The WeCom userid the request signed in or answered for.
pub fn note_userid(userid: &str) {
    with(|n| n.userid = Some(userid.escape_debug().to_string()));
}

/// Why the request was refused (the error page's reason code).
pub fn note_reason(reason: &'static str) {
    with(|n| n.reason = Some(reason));
}

/// Where a request's line is built: created when it arrives, [`Self::finish`]ed with its status.
pub(super) struct RequestLine {
    started: std::time::Instant,
    note: Arc<Mutex<Note>>,
    method: String,
    path: String,
}

impl RequestLine {
    /// Starts timing a request.
    pub(super) fn start(method: &axum::http::Method, path: &str) -> Self {
        Self {
            started: std::time::Instant::now(),
            note: Arc::default(),
            method: method.to_string(),
            path: path.escape_debug().to_string(),
        }
    }

    /// Runs `fut` (the rest of the request) with this request's note in reach of its handlers.
    pub(super) async fn scope<F: std::future::Future>(&self, fut: F) -> F::Output {
        NOTE.scope(self.note.clone(), fut).await
    }

    /// Writes the line.
    pub(super) fn finish(self, status: u16, request_id: &str, client_ip: Option<IpAddr>) {
        let note = match self.note.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        let duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        // Path, app and userid come from the request or WeCom: they were escaped when noted, so a
        // text line cannot be split or forged by them.
        tracing::info!(
            target: "wecom_idp::request",
            method = %self.method,
            path = %self.path,
            status,
            duration_ms,
            request_id,
            client_ip = client_ip.map(tracing::field::display),
            app = note.app.as_deref(),
            userid = note.userid.as_deref(),
            reason = note.reason,
            "request"
        );
    }
}
