//! The HTTP side of the login shared by SP-initiated (`/saml/sso`), IdP-initiated
//! (`/apps/{app}/start`) and the WeCom callback: the [`login::Ctx`] of a request, the browser's
//! session, sending the browser to WeCom with a single-use state bound to it, and the SAML edge —
//! a [`login::Release`] turned into a signed Response in an auto-posting form.

use super::client_ip::ClientIp;
use super::cookies;
use super::refusal::refuse;
use super::AppState;
use crate::apps::App;
use crate::assertion::{self, Issue};
use crate::http::error::{Lang, WebError};
use crate::login::{self, AppLogin, AuditEvent, AuditKind, Ctx, Live, Pending, Who};
use crate::logsafe::Escaped;
use crate::saml::encrypt::Recipient;
use crate::saml::response::{Encryption, StatusCode, StatusInput, SubStatusCode};
use crate::text;
use crate::wecom::oauth;
use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode as Http};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use time::{Duration, OffsetDateTime};

/// The login context of a request: the services of `state` and the client's address.
pub fn ctx<'a>(state: &'a AppState, ip: &'a ClientIp) -> Ctx<'a> {
    Ctx {
        store: &state.store,
        clock: state.clock.as_ref(),
        rng: state.rng.as_ref(),
        config: &state.config,
        metrics: &state.metrics,
        ip: ip.0,
    }
}

/// Who an app login's audit rows concern.
pub fn who<'a>(app: &'a App, login: &'a AppLogin) -> Who<'a> {
    Who::app(app.name.as_str()).request_id(login.request_id.as_deref())
}

/// The browser's live session, if any (see [`super::snapshot::live_session`]).
pub async fn current_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Live>, WebError> {
    let snap = super::snapshot::snapshot(state, headers).await?;
    super::snapshot::live_session(state, snap).await
}

/// The name of the session cookie.
pub fn session_cookie_name(state: &AppState) -> String {
    cookies::name(cookies::SESSION, state.config.secure_cookies())
}

/// The `Set-Cookie` for a session token.
pub fn session_cookie(state: &AppState, token: &str) -> Option<HeaderValue> {
    let secure = state.config.secure_cookies();
    cookies::set(
        &cookies::name(cookies::SESSION, secure),
        token,
        state.config.session.absolute_timeout_secs,
        secure,
    )
}

/// Whether this browser is inside the WeCom client (User-Agent; in the demo, also a cookie).
pub fn in_wecom_client(state: &AppState, headers: &HeaderMap) -> bool {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    oauth::is_wecom_client(ua)
        || (state.demo.is_some()
            && cookies::get(headers, cookies::DEMO_CLIENT).as_deref() == Some("wxwork"))
}

/// Sends the browser to WeCom for an app login, with a fresh single-use state bound to it; a
/// refusal (too many unfinished logins) is audited as the app's login.
pub async fn begin_login(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    app: &App,
    login: AppLogin,
) -> Result<Response, WebError> {
    let scope = if app.settings.needs_private_info() {
        oauth::Scope::PrivateInfo
    } else {
        oauth::Scope::Base
    };
    let pending = Pending::App(login);
    let started = match login::state::begin(ctx, &pending).await {
        Ok(s) => s,
        Err(e) => {
            let who = Who::app(app.name.as_str()).request_id(pending.request_id());
            return Err(refuse(ctx, AuditKind::Login, who, e).await);
        }
    };
    tracing::debug!(app = %app.name, "no session: sending the browser to WeCom");
    to_wecom(state, headers, &started, scope).await
}

/// Redirects to WeCom with a started login state: in-client OAuth inside the WeCom client,
/// web/QR login elsewhere. The browser cookie gets the state's fresh binding beside the newest
/// few it carries.
pub async fn to_wecom(
    state: &AppState,
    headers: &HeaderMap,
    started: &login::state::Started,
    scope: oauth::Scope,
) -> Result<Response, WebError> {
    let secure = state.config.secure_cookies();
    let browser_cookie = cookies::name(cookies::BROWSER, secure);
    let carried = cookies::bindings(headers, &browser_cookie);
    let effective = state.effective().await?;
    let w = &effective.wecom;
    let callback = state.config.callback_url();
    let in_client = in_wecom_client(state, headers);
    let url = if in_client {
        oauth::authorize_url(
            &w.oauth_base,
            &w.corp_id,
            &w.agent_id,
            &callback,
            scope,
            &started.login_state,
        )
    } else {
        let lang = match Lang::from_headers(headers) {
            Lang::Zh => "zh",
            Lang::En => "en",
        };
        oauth::web_login_url(
            &w.web_login_base,
            &w.corp_id,
            &w.agent_id,
            &callback,
            &started.login_state,
            lang,
        )
    };
    tracing::debug!(
        in_client,
        "sending the browser to WeCom {}",
        if in_client { "OAuth" } else { "web/QR login" }
    );
    let mut resp = redirect(&url)?;
    let value = cookies::with_binding(&started.binding, &carried);
    if let Some(c) = cookies::set(&browser_cookie, &value, 400 * 86400, secure) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// A 302 to `url`.
pub fn redirect(url: &str) -> Result<Response, WebError> {
    let v = HeaderValue::from_str(url).map_err(|e| WebError::internal("redirect URL", &e))?;
    let mut r = Http::FOUND.into_response();
    r.headers_mut().insert(header::LOCATION, v);
    Ok(r)
}

#[derive(Template)]
#[template(path = "post_form.html")]
struct PostForm<'a> {
    lang: &'a str,
    title: &'a str,
    button: &'a str,
    action: &'a str,
    field: &'a str,
    message: Base64,
    relay_state: Option<&'a str>,
}

/// A message in base64 (the standard alphabet, `+`, `/` and `=`): no character of it means
/// anything to HTML, so the form writes it as it is instead of running askama's escaping over a
/// Response of several kilobytes (~1% of a Response's CPU). Made only by encoding bytes.
struct Base64(String);

impl Base64 {
    fn encode(bytes: &[u8]) -> Self {
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl std::fmt::Display for Base64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Base64 {}

/// A Response for `login`, posted by the browser to the app's ACS with its RelayState.
fn post_response(headers: &HeaderMap, login: &AppLogin, xml: &[u8]) -> Result<Response, WebError> {
    post_form(
        Lang::from_headers(headers),
        &login.acs_url,
        "SAMLResponse",
        xml,
        login.relay_state.as_deref(),
    )
}

/// The auto-submitting POST form carrying `field` (SAMLResponse / SAMLRequest) to `action`.
pub fn post_form(
    lang: Lang,
    action: &str,
    field: &str,
    xml: &[u8],
    relay_state: Option<&str>,
) -> Result<Response, WebError> {
    let message = Base64::encode(xml);
    let (title, button) = (
        text::POST_FORM_TITLE.get(lang),
        text::POST_FORM_BUTTON.get(lang),
    );
    let html = PostForm {
        lang: lang.code(),
        title,
        button,
        action,
        field,
        message,
        relay_state,
    }
    .render()
    .map_err(|e| WebError::internal("post form", &e))?;
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// Answers the SP for a member with a live session: what the app may receive about the member
/// ([`login::release`]), then a signed Response in an auto-posting form. A refusal is audited as
/// the app's login; no Response leaves without its audit row.
pub async fn answer(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    app: &App,
    login: &AppLogin,
    live: &Live,
) -> Result<Response, WebError> {
    let now = state.clock.now();
    let profile = &live.profile;
    let who = who(app, login).userid(Some(&profile.userid));
    let release = match login::release::release(
        ctx,
        &live.effective,
        app,
        profile,
        login.deep_link(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return Err(refuse(ctx, AuditKind::Login, who, e).await),
    };
    let recipient = match recipient(app) {
        Ok(r) => r,
        Err(e) => return Err(refuse(ctx, AuditKind::Login, who, e).await),
    };
    let session_index = match login::session::serve(ctx, live, app, &release.subject).await {
        Ok(i) => i,
        Err(e) => return Err(refuse(ctx, AuditKind::Login, who, e).await),
    };
    let to = Delivery {
        session_index: &session_index,
        recipient: recipient.as_ref(),
    };
    let xml = sign_response(state, app, login, live, release, to, now)?;
    super::request_log::note_userid(&profile.userid);
    tracing::debug!(
        app = %app.name,
        userid = %Escaped(&profile.userid),
        sp_initiated = login.request_id.is_some(),
        "signed Response issued"
    );
    // When the row cannot be written (the database is down), the member gets the error page
    // instead of a sign-in nobody could trace.
    let how = if login.request_id.is_some() {
        "sp_initiated"
    } else {
        "idp_initiated"
    };
    login::audit::write(ctx, &AuditEvent::success(AuditKind::Login, how).who(who))
        .await
        .map_err(|e| WebError::store("the audit row of a signed Response", &e))?;
    post_response(headers, login, &xml)
}

/// The certificate the app's Assertions are encrypted to, when it encrypts. An app that encrypts
/// and has no certificate to encrypt to gets nothing: no Response leaves in clear text for it.
fn recipient(app: &App) -> Result<Option<Recipient>, login::Error> {
    app.encryption_recipient().map_err(|e| {
        login::Refusal::NoEncryptionCert {
            app: app.name.clone(),
            why: e.to_string(),
        }
        .into()
    })
}

/// What is particular to this app's Response within the session.
struct Delivery<'a> {
    /// The SessionIndex this session gave the app (its LogoutRequests name it).
    session_index: &'a str,
    /// The certificate the Assertion is encrypted to, when the app encrypts.
    recipient: Option<&'a Recipient>,
}

/// The signed Response carrying `release` for the member of `live`, as `to` says for the app.
fn sign_response(
    state: &AppState,
    app: &App,
    login: &AppLogin,
    live: &Live,
    mut release: login::Release,
    to: Delivery<'_>,
    now: OffsetDateTime,
) -> Result<Vec<u8>, WebError> {
    let Delivery {
        session_index,
        recipient,
    } = to;
    let row = &live.row;
    let issue = Issue {
        idp_entity_id: &state.config.entity_id(),
        acs_url: &login.acs_url,
        in_response_to: login.request_id.as_deref(),
        now,
        authn_instant: OffsetDateTime::from_unix_timestamp(row.authn_instant).unwrap_or(now),
        session_not_on_or_after: OffsetDateTime::from_unix_timestamp(row.expires_at).ok(),
        session_index,
        skew: Duration::seconds(state.config.saml.clock_skew_secs),
        lifetime: Duration::seconds(state.config.saml.assertion_lifetime_secs),
        ids: (state.rng.saml_id(), state.rng.saml_id()),
    };
    let subject = std::mem::take(&mut release.subject);
    let values = release.context(app, &live.profile, login.deep_link());
    let started = std::time::Instant::now();
    let encryption = recipient.map(|to| Encryption {
        to,
        cipher: app.settings.encryption_method,
        rng: state.rng.as_ref(),
    });
    let xml = assertion::issue(
        app,
        &values,
        subject,
        &issue,
        &state.keys().active,
        encryption.as_ref(),
    )
    .map_err(|e| WebError::internal("issuing the Response", &e))?;
    state.metrics.signing(started.elapsed());
    Ok(xml)
}

/// Answers the SP with a signed error status (e.g. NoPassive) in an auto-posting form.
pub async fn answer_status(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    app: &App,
    login: &AppLogin,
    second: SubStatusCode,
    message: &str,
) -> Result<Response, WebError> {
    let input = StatusInput {
        response_id: &state.rng.saml_id(),
        issue_instant: state.clock.now(),
        issuer: &state.config.entity_id(),
        destination: &login.acs_url,
        in_response_to: login.request_id.as_deref(),
        status: StatusCode::Responder,
        sub_status: Some(second),
        message: Some(message),
    };
    let xml = assertion::issue_status(&input, &state.keys().active)
        .map_err(|e| WebError::internal("issuing a status Response", &e))?;
    let uri = second.uri();
    let reason = uri.rsplit(':').next().unwrap_or(uri);
    ctx.record(&AuditEvent::refused(AuditKind::Login, reason).who(who(app, login)))
        .await;
    post_response(headers, login, &xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message reaches the form as its exact base64 (with `+`, `/` and `=`, unescaped), and
    /// what is not base64 — the action and RelayState — is still escaped.
    #[tokio::test]
    async fn the_form_carries_the_base64_as_is_and_escapes_the_rest() {
        let message = [0xfb_u8, 0xff, 0xbf, 0x3e, 0x26];
        let r = post_form(
            Lang::En,
            "https://sp.example/acs?a=1&b=\"2\"",
            "SAMLResponse",
            &message,
            Some("<x>&"),
        )
        .unwrap();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains("value=\"+/+/PiY=\""), "{html}");
        assert!(
            html.contains("a=1&#38;b=&#34;2&#34;") || html.contains("a=1&amp;b=&quot;2&quot;"),
            "{html}"
        );
        assert!(
            html.contains("&#60;x&#62;&#38;") || html.contains("&lt;x&gt;&amp;"),
            "{html}"
        );
    }
}
