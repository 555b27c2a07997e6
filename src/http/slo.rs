//! Single Logout's HTTP edge. `GET|POST /saml/slo` takes an SP's LogoutRequest (HTTP-Redirect or
//! HTTP-POST; found by Issuer and verified with that app's metadata certificates only, like an
//! AuthnRequest, replays refused) or an SP's LogoutResponse to a request of ours (inside the
//! logout page's frame); `GET /logout` is the member's own sign-out; `GET /saml/slo/next` moves a
//! logout chain on. The domain is [`login::logout`]; here are the bindings and the pages: each
//! other SP is told in a hidden frame of a page that moves on after `saml.logout_wait_secs` (or at
//! once when the SP answers), and at the end the SP that asked gets a signed LogoutResponse.

use super::client_ip::ClientIp;
use super::flow;
use super::refusal::refuse;
use super::snapshot;
use super::AppState;
use crate::apps::App;
use crate::http::error::{Lang, WebError};
use crate::login::logout::{self as domain, Initiator, Step, Waiting};
use crate::login::{AuditEvent, AuditKind, Ctx, Live, Who};
use crate::logsafe::Escaped;
use crate::saml::dom::Document;
use crate::saml::logout::{self, Field, LogoutStatus};
use crate::saml::request::{self, Common, Inbound, MessageKind, RequestLimits, VerifyContext};
use crate::saml::response::NameId;
use crate::saml::sp_metadata::{SloEndpoint, HTTP_POST};
use crate::text;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;
use std::sync::Arc;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/saml/slo", get(redirect_binding).post(post_binding))
        .route("/saml/slo/next", get(next))
        .route("/logout", get(member_logout))
}

async fn redirect_binding(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let raw = uri.query().unwrap_or("");
    match request::decode_redirect_logout(raw, &RequestLimits::default()) {
        Ok(inbound) => handle(&state, &ctx, &headers, inbound).await,
        Err(e) => Err(undecodable(&ctx, &e).await),
    }
}

#[derive(Debug, Deserialize)]
struct PostForm {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn post_binding(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Result<Form<PostForm>, FormRejection>,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let message = match form {
        Ok(Form(f)) => match (f.saml_request, f.saml_response) {
            (Some(m), None) | (None, Some(m)) => Some((m, f.relay_state)),
            _ => None,
        },
        Err(e) => {
            tracing::debug!(error = %Escaped(&e), "unreadable logout POST body");
            None
        }
    };
    let Some((message, relay_state)) = message else {
        return Err(refused(
            &ctx,
            AuditKind::SloRequest,
            Who::default(),
            page("no_saml_request"),
        )
        .await);
    };
    let limits = RequestLimits::default();
    match request::decode_post_logout(&message, relay_state.as_deref(), &limits) {
        Ok(inbound) => handle(&state, &ctx, &headers, inbound).await,
        Err(e) => Err(undecodable(&ctx, &e).await),
    }
}

/// The page every refused logout message shows (the audit keeps the precise reason).
fn page(reason: &'static str) -> WebError {
    WebError::member_page(StatusCode::BAD_REQUEST, reason, text::LOGOUT_REFUSED)
}

/// Audits a refused logout message and returns its page.
async fn refused(ctx: &Ctx<'_>, event: AuditKind, who: Who<'_>, page: WebError) -> WebError {
    ctx.record(&AuditEvent::refused(event, page.reason).who(who))
        .await;
    page
}

async fn undecodable(ctx: &Ctx<'_>, e: &request::RequestError) -> WebError {
    tracing::debug!(error = %Escaped(e), "logout message refused before its Issuer was known");
    refused(ctx, AuditKind::SloRequest, Who::default(), page(e.reason())).await
}

fn event_of(kind: MessageKind) -> AuditKind {
    match kind {
        MessageKind::LogoutResponse => AuditKind::SloResponse,
        _ => AuditKind::SloRequest,
    }
}

/// A decoded logout message: its app by Issuer, verified with that app's metadata certificates
/// only (signatures required where the app's policy requires them for AuthnRequests), then a
/// LogoutRequest or a LogoutResponse.
async fn handle(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    inbound: Inbound,
) -> Result<Response, WebError> {
    let event = event_of(inbound.request().kind());
    let Some(issuer) = inbound.request().issuer().map(str::to_string) else {
        return Err(refused(ctx, event, Who::default(), page("no_issuer")).await);
    };
    let snap = snapshot::snapshot(state, headers).await?;
    // Apps sharing an entity ID are told apart by ACS, which a logout message does not name.
    let apps = snapshot::apps_for_issuer(state, &snap, &issuer).await?;
    if apps.len() > 1 {
        let page = WebError::member(StatusCode::BAD_REQUEST, "ambiguous_app");
        return Err(refused(ctx, event, Who::default(), page).await);
    }
    let Some(app) = apps.into_iter().next() else {
        tracing::info!(issuer = %Escaped(&issuer), "logout message from an unknown Issuer");
        let page = WebError::member(StatusCode::FORBIDDEN, "unknown_issuer");
        return Err(refused(ctx, event, Who::default(), page).await);
    };
    super::request_log::note_app(app.name.as_str());
    let kind = inbound.request().kind();
    let (common, doc, relay_state) = verify(state, ctx, &app, event, inbound).await?;
    let id = common.id.clone();
    let who = Who::app(app.name.as_str()).request_id(Some(&id));
    let until = state.clock.unix() + state.config.saml.clock_skew_secs * 2 + 600;
    if !state
        .store
        .remember_request(&issuer, &common.id, until)
        .await?
    {
        tracing::debug!(app = %app.name, "logout message ID seen before: replay refused");
        return Err(refused(ctx, event, who, page("replayed_request")).await);
    }
    if kind == MessageKind::LogoutResponse {
        let answer = logout::read_logout_response(common, &doc, relay_state);
        return on_response(state, ctx, headers, &app, answer).await;
    }
    let skew = time::Duration::seconds(state.config.saml.clock_skew_secs);
    match logout::read_logout_request(common, &doc, relay_state, state.clock.now(), skew) {
        Ok(r) => on_request(state, ctx, headers, &app, r).await,
        Err(e) => Err(refused(ctx, event, who, page(e.reason())).await),
    }
}

async fn verify(
    state: &AppState,
    ctx: &Ctx<'_>,
    app: &App,
    event: AuditKind,
    inbound: Inbound,
) -> Result<(Common, Document, Option<String>), WebError> {
    let certs = app
        .metadata
        .signing_x509()
        .map_err(|e| WebError::internal("stored SP certificate", &e))?;
    let slo_urls = [state.config.slo_url()];
    let vctx = VerifyContext {
        certs: &certs,
        require_signed: app.requires_signed_requests(state.config.saml.want_authn_requests_signed),
        allow_sha1: app.settings.allow_sha1,
        sso_urls: &slo_urls,
        now: state.clock.now(),
        skew: time::Duration::seconds(state.config.saml.clock_skew_secs),
    };
    match inbound.verify_common(&vctx) {
        Ok(v) => Ok(v),
        Err(e) => {
            tracing::debug!(app = %app.name, error = %Escaped(&e), "logout message refused");
            let who = Who::app(app.name.as_str());
            Err(refused(ctx, event, who, page(e.reason())).await)
        }
    }
}

/// An SP's verified LogoutRequest: with no session here, the SP is answered at once; otherwise
/// the request must name this browser's session as that SP knows it, then the session ends and
/// the chain tells the session's other SPs before answering this one.
async fn on_request(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    app: &App,
    req: logout::VerifiedLogoutRequest,
) -> Result<Response, WebError> {
    let initiator = Initiator {
        app: app.name.as_str().to_string(),
        request_id: req.common.id.clone(),
        relay_state: req.relay_state.clone(),
    };
    let who = Who::app(app.name.as_str()).request_id(Some(&req.common.id));
    let Some(live) = flow::current_session(state, headers).await? else {
        ctx.record(&AuditEvent::success(AuditKind::SloRequest, "no_session").who(who))
            .await;
        let done = Step::Done {
            initiator: Some(initiator),
            partial: false,
            userid: String::new(),
            return_to: None,
        };
        return render_step(state, ctx, headers, done).await;
    };
    let who = who.userid(Some(&live.row.userid));
    let served = domain::served(ctx, &live).await?;
    let n = &req.name_id;
    let named = domain::check_named(
        &served,
        app.name.as_str(),
        &n.value,
        &n.format,
        &req.session_indexes,
    );
    if let Err(r) = named {
        tracing::info!(app = %app.name, "LogoutRequest names another session: refused, session kept");
        return Err(refuse(ctx, AuditKind::SloRequest, who, r.into()).await);
    }
    ctx.record(&AuditEvent::success(AuditKind::SloRequest, "sp_initiated").who(who))
        .await;
    let ending = Ending {
        initiator: Some(initiator),
        how: "sp_initiated",
        return_to: None,
    };
    end_and_start(state, ctx, headers, &live, served, ending).await
}

/// Who ends a session and where the browser goes at the end of the chain.
pub(super) struct Ending {
    /// The SP that asked (answered at the end), if one did.
    pub initiator: Option<Initiator>,
    /// The `logout` audit row's reason (`sp_initiated`, `idp_initiated`, `oidc_rp_initiated`).
    pub how: &'static str,
    /// A checked URL the browser goes to at the end instead of the signed-out page.
    pub return_to: Option<String>,
}

/// Ends `live`'s session and runs the chain over its SPs with a Single Logout endpoint (the
/// initiator left out); the session's OIDC clients are told on the back channel; the browser's
/// session cookie is cleared.
pub(super) async fn end_and_start(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    live: &Live,
    served: Vec<crate::store::ServiceRow>,
    ending: Ending,
) -> Result<Response, WebError> {
    let Ending {
        initiator,
        how,
        return_to,
    } = ending;
    let snap = snapshot::snapshot(state, headers).await?;
    let mut with_slo = Vec::new();
    for row in &served {
        if let Ok(name) = crate::apps::AppName::parse(&row.app) {
            if let Some(a) = snapshot::app_named(state, &snap, &name).await? {
                if a.metadata.slo_endpoint().is_some() {
                    with_slo.push(row.app.clone());
                }
            }
        }
    }
    let except = initiator.as_ref().map(|i| i.app.as_str());
    let others = domain::to_tell(served.clone(), except, |a| with_slo.iter().any(|w| w == a));
    // The OIDC clients of the session are read before it ends and told after, off the page.
    let oidc = match crate::oidc_flow::backchannel::of_session(&state.store, &live.row.id_hash)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %Escaped(&e), "could not read the session's OIDC grants; no back-channel logout is sent");
            Vec::new()
        }
    };
    domain::end_session(ctx, live, how).await?;
    tell_oidc_clients(state, live, oidc);
    let chain = domain::start(ctx, &live.row.userid, initiator, others, return_to).await?;
    let step = domain::next(ctx, &chain, None).await?;
    let mut resp = render_step(state, ctx, headers, step).await?;
    let secure = state.config.secure_cookies();
    if let Some(c) = super::cookies::clear(&flow::session_cookie_name(state), secure) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// Starts Back-Channel Logout for the ended session's OIDC clients (the browser does not wait).
fn tell_oidc_clients(
    state: &AppState,
    live: &Live,
    participants: Vec<crate::oidc_flow::backchannel::Participant>,
) {
    use crate::oidc_flow::backchannel::{spawn_after_logout, Sender};
    if participants.is_empty() {
        return;
    }
    let Some(http) = state.back_channel_http.clone() else {
        return;
    };
    let sender = Sender::with_client(state.keys(), state.config.base(), state.rng.clone(), http);
    let (store, userid) = (state.store.clone(), live.row.userid.clone());
    spawn_after_logout(sender, store, participants, userid, state.clock.unix());
}

/// An SP's verified LogoutResponse to the request a chain waits for (its RelayState names the
/// chain): recorded, and the frame it arrived in moves the page on.
async fn on_response(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    app: &App,
    answer: logout::VerifiedLogoutResponse,
) -> Result<Response, WebError> {
    let who = Who::app(app.name.as_str()).request_id(answer.in_response_to.as_deref());
    let chain = answer.relay_state.clone().unwrap_or_default();
    let irt = answer.in_response_to.as_deref();
    if let Err(e) = domain::answered(ctx, &chain, app.name.as_str(), irt, answer.success).await {
        return Err(refuse(ctx, AuditKind::SloResponse, who, e).await);
    }
    let audit = if answer.success {
        AuditEvent::success(AuditKind::SloResponse, "confirmed")
    } else {
        AuditEvent::error(AuditKind::SloResponse, "not_confirmed")
    };
    ctx.record(&audit.who(who)).await;
    let next = next_url(state, &chain, irt);
    answered_page(Lang::from_headers(headers), &next)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    chain: String,
    after: Option<String>,
}

/// The logout page's timer (or the frame's answer) moves the chain on.
async fn next(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    match domain::next(&ctx, &q.chain, q.after.as_deref()).await {
        Ok(step) => render_step(&state, &ctx, &headers, step).await,
        Err(e) => Err(refuse(&ctx, AuditKind::Logout, Who::default(), e).await),
    }
}

/// `GET /logout`: the member signs out here; every SP of the session with a Single Logout
/// endpoint is told, then the signed-out page.
async fn member_logout(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let Some(live) = flow::current_session(&state, &headers).await? else {
        ctx.record(&AuditEvent::success(AuditKind::Logout, "no_session"))
            .await;
        return signed_out(Lang::from_headers(&headers), false, false);
    };
    let served = domain::served(&ctx, &live).await?;
    let ending = Ending {
        initiator: None,
        how: "idp_initiated",
        return_to: None,
    };
    end_and_start(&state, &ctx, &headers, &live, served, ending).await
}

/// Where the logout page goes next: the chain, and the request it waited for.
fn next_url(state: &AppState, chain: &str, after: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("chain", chain);
    if let Some(a) = after {
        q.append_pair("after", a);
    }
    format!("{}/saml/slo/next?{}", state.config.base(), q.finish())
}

/// The page (or answer) of a chain's step. An SP to tell whose app is gone or has no endpoint
/// any more counts as not answering.
async fn render_step(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    mut step: Step,
) -> Result<Response, WebError> {
    let snap = snapshot::snapshot(state, headers).await?;
    let lang = Lang::from_headers(headers);
    loop {
        match step {
            Step::Tell { chain_id, waiting } => {
                let app = load_app(state, &snap, &waiting.participant.app).await?;
                if let Some((app, endpoint)) = app.as_ref().and_then(|a| with_endpoint(a)) {
                    return tell(state, ctx, lang, app, endpoint, &chain_id, &waiting).await;
                }
                step = domain::next(ctx, &chain_id, Some(&waiting.request_id)).await?;
            }
            Step::Done {
                initiator: Some(initiator),
                partial,
                userid,
                ..
            } => {
                let app = load_app(state, &snap, &initiator.app).await?;
                let Some((app, endpoint)) = app.as_ref().and_then(|a| with_endpoint(a)) else {
                    let member = Some(userid.as_str()).filter(|u| !u.is_empty());
                    let who = Who::app(&initiator.app).userid(member);
                    let audit = AuditEvent::error(AuditKind::SloResponse, "no_slo_endpoint");
                    ctx.record(&audit.who(who)).await;
                    return signed_out(lang, partial, true);
                };
                return answer_initiator(state, ctx, lang, app, endpoint, &initiator, partial)
                    .await;
            }
            Step::Done {
                return_to: Some(to),
                ..
            } => return flow::redirect(&to),
            Step::Done { partial, .. } => return signed_out(lang, partial, false),
        }
    }
}

async fn load_app(
    state: &AppState,
    snap: &snapshot::Snap,
    name: &str,
) -> Result<Option<Arc<App>>, WebError> {
    match crate::apps::AppName::parse(name) {
        Ok(n) => snapshot::app_named(state, snap, &n).await,
        Err(_) => Ok(None),
    }
}

fn with_endpoint(app: &Arc<App>) -> Option<(&App, &SloEndpoint)> {
    app.metadata.slo_endpoint().map(|e| (app.as_ref(), e))
}

#[derive(Template)]
#[template(path = "logout_step.html")]
struct StepPage<'a> {
    lang: &'a str,
    title: &'a str,
    sentence: &'a str,
    button: &'a str,
    wait_secs: i64,
    next: &'a str,
    frame_src: &'a str,
    post: Option<FramePost<'a>>,
}

/// A LogoutRequest posted into the page's frame.
struct FramePost<'a> {
    action: &'a str,
    message: String,
    relay_state: &'a str,
}

/// Tells one SP, in the page's hidden frame: a signed LogoutRequest naming the member as that SP
/// knows them; the page moves on after the wait, or when the SP's answer reaches the frame.
async fn tell(
    state: &AppState,
    ctx: &Ctx<'_>,
    lang: Lang,
    app: &App,
    endpoint: &SloEndpoint,
    chain_id: &str,
    waiting: &Waiting,
) -> Result<Response, WebError> {
    let keys = state.keys();
    let post = endpoint.binding == HTTP_POST;
    let xml = logout_request_xml(state, endpoint, waiting, post.then_some(&keys.active))?;
    let frame_src = if post {
        "about:blank".to_string()
    } else {
        logout::redirect_url(
            &endpoint.location,
            Field::Request,
            &xml,
            Some(chain_id),
            &keys.active,
        )
        .map_err(|e| WebError::internal("LogoutRequest", &e))?
    };
    let chain_user = Who::app(app.name.as_str()).request_id(Some(&waiting.request_id));
    ctx.record(&AuditEvent::success(AuditKind::SloRequest, "sent_to_sp").who(chain_user))
        .await;
    let next = next_url(state, chain_id, Some(&waiting.request_id));
    let html = StepPage {
        lang: lang.code(),
        title: text::LOGOUT_PROGRESS_TITLE.get(lang),
        sentence: text::LOGOUT_PROGRESS_SENTENCE.get(lang),
        button: text::POST_FORM_BUTTON.get(lang),
        wait_secs: state.config.saml.logout_wait_secs,
        next: &next,
        frame_src: &frame_src,
        post: post.then(|| FramePost {
            action: &endpoint.location,
            message: base64::engine::general_purpose::STANDARD.encode(&xml),
            relay_state: chain_id,
        }),
    }
    .render()
    .map_err(|e| WebError::internal("logout page", &e))?;
    // The frame may load any SP; this page itself is never framed.
    Ok(html_page(
        html,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action *; frame-src *; frame-ancestors 'none'; base-uri 'none'",
        "DENY",
    ))
}

/// Our LogoutRequest to `waiting`'s SP, naming the member as that SP knows them; signed
/// enveloped with `key` for HTTP-POST (on Redirect the query is signed instead).
fn logout_request_xml(
    state: &AppState,
    endpoint: &SloEndpoint,
    waiting: &Waiting,
    key: Option<&crate::saml::sign::SigningKey>,
) -> Result<Vec<u8>, WebError> {
    let p = &waiting.participant;
    let name_id = NameId {
        format: p.name_id_format.clone(),
        value: p.name_id.clone(),
        sp_name_qualifier: p.sp_name_qualifier.clone(),
        name_qualifier: p.name_qualifier.clone(),
    };
    let now = state.clock.now();
    let input = logout::LogoutRequestInput {
        id: &waiting.request_id,
        issue_instant: now,
        not_on_or_after: now + time::Duration::seconds(state.config.saml.assertion_lifetime_secs),
        issuer: &state.config.entity_id(),
        destination: &endpoint.location,
        name_id: &name_id,
        session_indexes: &[p.session_index.as_str()],
        reason: Some(logout::REASON_USER),
    };
    logout::build_logout_request(&input, key).map_err(|e| WebError::internal("LogoutRequest", &e))
}

/// The signed LogoutResponse to the SP that asked, at its endpoint's ResponseLocation (or
/// Location), on that endpoint's binding.
async fn answer_initiator(
    state: &AppState,
    ctx: &Ctx<'_>,
    lang: Lang,
    app: &App,
    endpoint: &SloEndpoint,
    initiator: &Initiator,
    partial: bool,
) -> Result<Response, WebError> {
    let destination = endpoint.response_url();
    let input = logout::LogoutResponseInput {
        id: &state.rng.saml_id(),
        issue_instant: state.clock.now(),
        issuer: &state.config.entity_id(),
        destination,
        in_response_to: &initiator.request_id,
        status: if partial {
            LogoutStatus::PartialLogout
        } else {
            LogoutStatus::Success
        },
    };
    let keys = state.keys();
    let post = endpoint.binding == HTTP_POST;
    let xml = logout::build_logout_response(&input, post.then_some(&keys.active))
        .map_err(|e| WebError::internal("LogoutResponse", &e))?;
    let who = Who::app(app.name.as_str()).request_id(Some(&initiator.request_id));
    let reason = if partial {
        "partial_logout"
    } else {
        "sp_initiated"
    };
    ctx.record(&AuditEvent::success(AuditKind::SloResponse, reason).who(who))
        .await;
    let rs = initiator.relay_state.as_deref();
    if post {
        return flow::post_form(lang, destination, "SAMLResponse", &xml, rs);
    }
    let url = logout::redirect_url(destination, Field::Response, &xml, rs, &keys.active)
        .map_err(|e| WebError::internal("LogoutResponse", &e))?;
    flow::redirect(&url)
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOut<'a> {
    lang: &'a str,
    title: &'a str,
    sentence: &'a str,
    notes: Vec<&'a str>,
}

/// The signed-out page: `partial` when some SP did not confirm, `no_return` when the SP that
/// asked cannot be answered (no Single Logout endpoint in its metadata).
pub(super) fn signed_out(lang: Lang, partial: bool, no_return: bool) -> Result<Response, WebError> {
    let mut notes = Vec::new();
    if partial {
        notes.push(text::SIGNED_OUT_PARTIAL.get(lang));
    }
    if no_return {
        notes.push(text::SIGNED_OUT_NO_RETURN.get(lang));
    }
    let html = SignedOut {
        lang: lang.code(),
        title: text::SIGNED_OUT_TITLE.get(lang),
        sentence: text::SIGNED_OUT_SENTENCE.get(lang),
        notes,
    }
    .render()
    .map_err(|e| WebError::internal("signed-out page", &e))?;
    Ok(html_page(html, DEFAULT_CSP, "DENY"))
}

const DEFAULT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action *; frame-ancestors 'none'; base-uri 'none'";

#[derive(Template)]
#[template(path = "logout_answered.html")]
struct Answered<'a> {
    lang: &'a str,
    title: &'a str,
    button: &'a str,
    next: &'a str,
}

/// What the frame shows once its SP answered: it moves the whole page on. Framed by our own
/// logout page only.
fn answered_page(lang: Lang, next: &str) -> Result<Response, WebError> {
    let html = Answered {
        lang: lang.code(),
        title: text::LOGOUT_PROGRESS_TITLE.get(lang),
        button: text::POST_FORM_BUTTON.get(lang),
        next,
    }
    .render()
    .map_err(|e| WebError::internal("logout frame page", &e))?;
    Ok(html_page(
        html,
        "default-src 'none'; script-src 'self'; style-src 'self'; frame-ancestors 'self'; \
         base-uri 'none'",
        "SAMEORIGIN",
    ))
}

pub(super) fn html_page(html: String, csp: &'static str, frame_options: &'static str) -> Response {
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(frame_options),
    );
    r
}
