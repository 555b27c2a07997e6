//! The HTTP surface: [`AppState`], the router, and what every request goes through (a tracing span
//! with a request ID and outcome, security headers, body and URL caps, error pages). The request ID
//! header and the security headers are tower-http layers; the caps and the timeout answer with our
//! own pages and audit rows. One file per route group; handlers are thin and call into
//! [`crate::login`] (the login's domain) through `flow` (its HTTP and SAML edge) and `refusal` (its
//! pages).

pub mod admin;
mod bind;
pub mod browsers;
pub mod buckets;
mod callback;
pub mod client_ip;
mod cookies;
pub mod demo;
mod demo_leave;
pub mod error;
mod error_pages;
mod flow;
mod health;
pub mod limits;
mod metadata;
pub mod oidc;
mod oidc_consent;
mod oidc_jwks;
mod oidc_logout;
mod oidc_response;
mod oidc_token;
mod refusal;
pub mod request_log;
pub mod server;
mod slo;
mod snapshot;
mod sso;
mod start;
mod target;
mod verify_file;
mod wecom_events;

pub use client_ip::ClientIp;
pub use metadata::document as metadata_document;

use crate::clock::Clock;
use crate::config::Config;
use crate::http::error::{RequestId, WebError};
use crate::keys::{KeyRing, SharedKeys};
use crate::login::{AuditEvent, AuditKind};
use crate::metrics::Metrics;
use crate::random::Rng;
use crate::settings::{Effective, LiveSettings};
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use error_pages::render_errors;
use std::sync::Arc;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::{SetRequestHeaderLayer, SetResponseHeaderLayer};
use tracing::Instrument;

/// Largest request body we read (POST binding AuthnRequests are far smaller).
pub const MAX_BODY: usize = 256 * 1024;
/// Longest request URI we accept (Redirect binding requests included).
pub const MAX_URI: usize = 16 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The configuration, validated.
    pub config: Arc<Config>,
    /// Shared persistence.
    pub store: Store,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Randomness.
    pub rng: Arc<dyn Rng>,
    /// The effective WeCom source and binding settings, with the WeCom client (see
    /// [`AppState::effective`]).
    pub settings: Arc<LiveSettings>,
    /// Signing keys, swappable at runtime (rollover); read them with [`AppState::keys`].
    pub keys: SharedKeys,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Demo mode: the workbench and demo SP routes exist, and a cookie may say "inside WeCom".
    pub demo: Option<Arc<demo::Demo>>,
    /// Parsed apps, checked against the store's apps revision at each request.
    pub apps: Arc<crate::app_cache::AppCache>,
    /// Per-IP request ceiling of the login routes, per instance.
    pub limiter: Arc<limits::RateLimiter>,
    /// Per-IP budget of failed requests to the login routes, per instance.
    pub failure_limiter: Arc<limits::RateLimiter>,
    /// Browsers this instance sent to WeCom, which may finish their login past their address's limits.
    pub browsers: Arc<browsers::Browsers>,
    /// Per-IP rate limits of the admin console and API, per instance.
    pub admin_limiter: Arc<limits::RateLimiter>,
    /// The one HTTP client of back-channel logouts (`None`: none could be made, logged at start).
    pub back_channel_http: Option<reqwest::Client>,
}

impl AppState {
    /// The WeCom source, binding settings and WeCom client in force now (configuration overlaid by
    /// the console's values; reloaded when another instance changed them).
    pub async fn effective(&self) -> Result<Arc<Effective>, WebError> {
        self.settings
            .current(&self.store)
            .await
            .map_err(|e| match e {
                crate::settings::SettingsError::Store(e) => {
                    WebError::store("WeCom and binding settings", &e)
                }
                e => WebError::internal("WeCom and binding settings", &e),
            })
    }

    /// The signing keys in use now (hold the `Arc` for the whole request).
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.current()
    }

    /// Re-reads the stored signing keys and follows a change made here or on another instance.
    pub async fn follow_keys(&self) {
        if let Err(e) = crate::keys::follow(&self.config, &self.store, &self.keys).await {
            tracing::warn!(error = %crate::logsafe::Escaped(&e), "re-reading the signing keys failed; the current ring stays");
        }
    }

    /// The configured trusted proxies (parsed when the configuration was read, validated at start).
    pub fn trusted_proxies(&self) -> &[crate::config::Cidr] {
        &self.config.limits.trusted_proxies
    }
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    // The login routes are limited per client IP: a request ceiling and a failure budget (`[limits]`).
    let limited = Router::new()
        .merge(sso::router())
        .merge(start::router())
        .merge(callback::router())
        .merge(bind::router())
        .merge(slo::router())
        .merge(wecom_events::router())
        .merge(oidc::router())
        .merge(oidc_token::router())
        .merge(oidc_consent::router())
        .merge(oidc_logout::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ));
    let mut r = Router::new()
        .merge(limited)
        .merge(metadata::router())
        .merge(oidc_jwks::router())
        .merge(health::router())
        .merge(admin::router(&state))
        .route("/static/style.css", get(style))
        .route("/static/admin.css", get(admin_style))
        .route("/static/admin.js", get(admin_script))
        .route("/static/autosubmit.js", get(autosubmit))
        .route("/static/slo-next.js", get(slo_next));
    if state.demo.is_some() {
        r = r.merge(demo::router());
    }
    let mut r = r
        .fallback(not_found)
        .layer(middleware::from_fn(render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), request_span))
        // Every request carries an ID of ours (one a client sent is replaced: it would name the
        // error pages' reference code and the log lines), and every answer names it.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestHeaderLayer::overriding(
            X_REQUEST_ID,
            new_request_id(state.rng.clone()),
        ));
    // Security headers on every answer that did not set its own (the console sets a stricter CSP).
    for (name, value) in SECURITY_HEADERS {
        r = r.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if state.config.secure_cookies() {
        r = r.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    r.layer(DefaultBodyLimit::max(MAX_BODY)).with_state(state)
}

/// The request ID header.
const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// The headers every answer carries unless it set its own.
const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action *; frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
];

/// A fresh request ID (16 hex digits from the server's randomness) for each request.
fn new_request_id(
    rng: Arc<dyn Rng>,
) -> impl Fn(&Request) -> Option<HeaderValue> + Clone + Send + Sync + 'static {
    move |_| HeaderValue::from_str(&rng.hex(8)).ok()
}

/// Every path no route claims: WeCom's ownership file when one of that name is stored
/// ([`verify_file`]), else the 404 page.
async fn not_found(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    match verify_file::answer(&state, &method, &uri).await {
        Ok(Some(r)) => r,
        Ok(None) => WebError::member(StatusCode::NOT_FOUND, "not_found").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn style() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../templates/style.css"),
    )
}

async fn admin_style() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../templates/admin/admin.css"),
    )
}

async fn admin_script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../templates/admin/admin.js"),
    )
}

async fn autosubmit() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../templates/autosubmit.js"),
    )
}

async fn slo_next() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../templates/slo-next.js"),
    )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// One span per request with method, path, request ID and outcome, and one INFO line when it is
/// answered ([`request_log`]); the URI and header caps and the request timeout, answered with a
/// page in the member's language (tower-http's timeout answers an empty body), with an audit row.
async fn request_span(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = match req.headers().get(&X_REQUEST_ID).map(HeaderValue::to_str) {
        Some(Ok(id)) => id.to_string(),
        _ => state.rng.hex(8),
    };
    let line = request_log::RequestLine::start(req.method(), req.uri().path());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %crate::logsafe::Escaped(req.uri().path()),
        app = tracing::field::Empty,
        status = tracing::field::Empty,
    );
    let ip = mark_client(&state, &mut req);
    let client_ip = ip.0;
    let resp = guarded(state, ip, id.clone(), req, next).instrument(span.clone());
    let resp = line.scope(resp).await;
    span.record("status", resp.status().as_u16());
    line.finish(resp.status().as_u16(), &id, client_ip);
    resp
}

/// The client IP (a trusted proxy's X-Forwarded-For, else the peer), noted on the request for
/// the handlers.
fn mark_client(state: &AppState, req: &mut Request) -> ClientIp {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let addr = client_ip::resolve_client_ip(peer, req.headers(), state.trusted_proxies());
    let ip = ClientIp(addr);
    req.extensions_mut().insert(ip);
    ip
}

/// The header and URI caps (refused with an audit row) and the handler timeout.
async fn guarded(state: AppState, ip: ClientIp, rid: String, req: Request, next: Next) -> Response {
    let lang = error::Lang::from_headers(req.headers());
    let refused = if limits::header_bytes(req.headers()) > limits::MAX_HEADER_BYTES {
        Some((
            AuditKind::Request,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        ))
    } else if req.uri().to_string().len() > MAX_URI {
        let event = if req.uri().path() == "/saml/sso" {
            AuditKind::SsoRequest
        } else {
            AuditKind::Request
        };
        Some((event, StatusCode::URI_TOO_LONG, "uri_too_long"))
    } else {
        None
    };
    if let Some((event, status, reason)) = refused {
        flow::ctx(&state, &ip)
            .record(&AuditEvent::refused(event, reason))
            .await;
        return error::render_page(&WebError::member(status, reason), lang, &rid);
    }
    let timeout = std::time::Duration::from_secs(state.config.limits.request_timeout_secs);
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(
                timeout_secs = timeout.as_secs(),
                "request timed out (limits.request_timeout_secs)"
            );
            let e = WebError::member(StatusCode::SERVICE_UNAVAILABLE, "timeout");
            error::render_page(&e, lang, &rid)
        }
    }
}
