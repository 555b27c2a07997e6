//! `GET|POST /oidc/authorize`: the OpenID Connect authorization endpoint. The client and its
//! redirect URI are checked before anything is redirected (a bilingual page otherwise); the rest
//! of the request's errors go back to the client with `state` and `iss`. With a live IdP session
//! (young enough for `max_age`, and no `prompt=login`) the member's release is decided and a code
//! goes back by the request's response mode (query by default, fragment or `form_post`); without one, the WeCom login of `login::` runs for an OIDC pending login, and the
//! callback answers with the code ([`answer`]) — or, for `response_type=id_token`, with an ID
//! token in the fragment or a `form_post` page (the same login path; only the last step differs).
//! Also the discovery document.

use super::flow;
use super::refusal::refuse;
use super::AppState;
use super::ClientIp;
use crate::http::error::{Lang, WebError};
use crate::login::{self, AuditEvent, AuditKind, Ctx, Live, Pending, Who};
use crate::logsafe::Escaped;
use crate::oidc::authorize::{
    self, ErrorCode, Params, Prompt, RedirectError, Request, ResponseMode,
};
use crate::oidc::{Client, ClientId, ResponseType};
use crate::wecom::oauth;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The authorization endpoint's path.
pub const AUTHORIZE_PATH: &str = "/oidc/authorize";

/// The discovery document's path (under the issuer).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(AUTHORIZE_PATH, get(by_query).post(by_form))
        .route(DISCOVERY_PATH, get(discovery))
}

/// OpenID Connect Discovery 1.0: the issuer (the public URL exactly), the endpoints, and what this
/// provider supports — nothing it does not.
async fn discovery(State(state): State<AppState>) -> Response {
    use crate::oidc::jwt::JwsAlg;
    let base = state.config.base();
    let ring = state.keys();
    let algs: Vec<&str> = JwsAlg::ALL
        .into_iter()
        .filter(|a| ring.jose.can_sign(*a))
        .map(JwsAlg::as_str)
        .collect();
    let doc = serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{base}{}", super::oidc_token::TOKEN_PATH),
        "userinfo_endpoint": format!("{base}{}", super::oidc_token::USERINFO_PATH),
        "jwks_uri": format!("{base}{}", crate::oidc::jwks::JWKS_PATH),
        "end_session_endpoint": format!("{base}{}", super::oidc_logout::LOGOUT_PATH),
        "scopes_supported": crate::oidc::Scope::ALL.map(crate::oidc::Scope::as_str),
        "response_types_supported": ["code", "id_token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "implicit"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid",
            "name", "preferred_username", "email", "phone_number", "groups", "roles", "departments"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    let mut r = doc.to_string().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn by_query(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Result<Response, WebError> {
    authorize(&state, &flow::ctx(&state, &ip), &headers, p).await
}

async fn by_form(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(p): Form<Params>,
) -> Result<Response, WebError> {
    authorize(&state, &flow::ctx(&state, &ip), &headers, p).await
}

/// The client a request's `client_id` names, if any.
pub(super) async fn client_by_id(
    ctx: &Ctx<'_>,
    client_id: Option<&str>,
) -> Result<Option<Client>, WebError> {
    let Some(id) = client_id.and_then(ClientId::parse) else {
        return Ok(None);
    };
    let Some(row) = ctx.store.client_by_id_row(id.as_str()).await? else {
        return Ok(None);
    };
    Client::from_row(row)
        .map(Some)
        .map_err(|e| WebError::internal("stored OIDC client", &e))
}

async fn authorize(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    p: Params,
) -> Result<Response, WebError> {
    let found = client_by_id(ctx, p.client_id.as_deref()).await?;
    let (client, uri) = match authorize::redirect_target(found.as_ref(), &p) {
        Ok(t) => t,
        Err(e) => {
            tracing::info!(client_id = %Escaped(p.client_id.as_deref().unwrap_or("")), reason = e.reason(), "OIDC authorization request refused before its redirect URI was trusted");
            let who = Who::app(found.as_ref().map(|c| c.name.as_str()).unwrap_or(""));
            let page =
                WebError::member_page(StatusCode::BAD_REQUEST, e.reason(), "oidc_request_refused");
            ctx.record(&AuditEvent::refused(AuditKind::SsoRequest, e.reason()).who(who))
                .await;
            return Err(page);
        }
    };
    super::request_log::note_app(client.name.as_str());
    let lang = Lang::from_headers(headers);
    let req = match authorize::accept(client, uri, &p) {
        Ok(r) => r,
        Err(e) => {
            let who = Who::app(client.name.as_str());
            ctx.record(
                &AuditEvent::refused(AuditKind::SsoRequest, "oidc_invalid_request")
                    .who(who)
                    .detail(Some(format!("{}: {}", e.code.as_str(), e.description))),
            )
            .await;
            let mode = ResponseMode::of(&p);
            return error_redirect(state, lang, uri.as_str(), mode, p.state.as_deref(), &e);
        }
    };
    // Refused before the member signs in, not at the token endpoint after it: an ES256 client on
    // a server with key files but no `signing.ec_key_file` could never get its tokens.
    let alg = client.config.id_token_signed_response_alg;
    if !state.keys().jose.can_sign(alg) {
        tracing::warn!(app = %client.name, alg = alg.as_str(), "an OIDC client's id_token_signed_response_alg has no signing key here (ES256 with signing.key_file needs signing.ec_key_file)");
        let who = Who::app(client.name.as_str());
        ctx.record(&AuditEvent::refused(AuditKind::SsoRequest, "oidc_no_signing_key").who(who))
            .await;
        let e = RedirectError {
            code: ErrorCode::ServerError,
            description:
                "the client's id_token_signed_response_alg has no signing key on this server",
        };
        return error_redirect(
            state,
            lang,
            &req.redirect_uri,
            req.response_mode,
            req.state.as_deref(),
            &e,
        );
    }
    let live = if req.prompt.fresh_login() {
        None
    } else {
        flow::current_session(state, headers).await?
    };
    let now = ctx.unix();
    let live = live.filter(|l| req.max_age.is_none_or(|m| now - l.row.authn_instant <= m));
    match live {
        Some(live) => answer(state, ctx, headers, client, &req, &live).await,
        None if req.prompt == Prompt::None => {
            let who = Who::app(client.name.as_str());
            ctx.record(&AuditEvent::refused(AuditKind::Login, "oidc_login_required").who(who))
                .await;
            let e = RedirectError {
                code: ErrorCode::LoginRequired,
                description: "no signed-in session (prompt=none)",
            };
            error_redirect(
                state,
                lang,
                &req.redirect_uri,
                req.response_mode,
                req.state.as_deref(),
                &e,
            )
        }
        None => begin_login(state, ctx, headers, client, req).await,
    }
}

/// An error response to the client's redirect URI by the request's response mode, with `state`
/// and `iss` (RFC 9207).
pub(super) fn error_redirect(
    state: &AppState,
    lang: Lang,
    redirect_uri: &str,
    mode: ResponseMode,
    client_state: Option<&str>,
    e: &RedirectError,
) -> Result<Response, WebError> {
    let issuer = state.config.base();
    let mut params = vec![
        ("error", e.code.as_str()),
        ("error_description", e.description),
    ];
    if let Some(s) = client_state.filter(|s| !s.is_empty()) {
        params.push(("state", s));
    }
    params.push(("iss", issuer.as_str()));
    super::oidc_response::deliver(lang, redirect_uri, mode, &params)
}

/// Sends the browser to WeCom for an OIDC login; the callback answers with [`answer`]. WeCom's
/// consent scope (mobile, email) only when the request's scopes would release them.
async fn begin_login(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    client: &Client,
    req: Request,
) -> Result<Response, WebError> {
    let scope = if crate::oidc_flow::grant::needs_private_info(&req.scopes) {
        oauth::Scope::PrivateInfo
    } else {
        oauth::Scope::Base
    };
    let pending = Pending::Oidc(req);
    let started = match login::state::begin(ctx, &pending).await {
        Ok(s) => s,
        Err(e) => {
            let who = Who::app(client.name.as_str());
            return Err(refuse(ctx, AuditKind::Login, who, e).await);
        }
    };
    tracing::debug!(app = %client.name, "no session: sending the browser to WeCom for an OIDC login");
    flow::to_wecom(state, headers, &started, scope).await
}

/// Answers an accepted request for a member with a live session: the consent page first when the
/// client asks for consent and the member has not given it (`consent_required` with
/// `prompt=none`), otherwise a code ([`give_code`]).
pub async fn answer(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    client: &Client,
    req: &Request,
    live: &Live,
) -> Result<Response, WebError> {
    let userid = &live.profile.userid;
    let needed = crate::oidc_flow::consent::needed(ctx, client, req, userid)
        .await
        .map_err(|e| WebError::store("the member's OIDC consent", &e))?;
    let lang = Lang::from_headers(headers);
    if !needed {
        return give_code(state, ctx, lang, client, req, live).await;
    }
    if req.prompt == Prompt::None {
        let who = Who::app(client.name.as_str()).userid(Some(userid));
        ctx.record(&AuditEvent::refused(AuditKind::Login, "oidc_consent_required").who(who))
            .await;
        let e = RedirectError {
            code: ErrorCode::ConsentRequired,
            description: "the member has not consented to this client (prompt=none)",
        };
        let (uri, mode) = (&req.redirect_uri, req.response_mode);
        return error_redirect(state, lang, uri, mode, req.state.as_deref(), &e);
    }
    super::oidc_consent::ask(ctx, headers, client, req, live).await
}

/// A code for a member with a live session: the release (access rules, `sub`, roles) and the
/// code, back to the client's redirect URI with `state` and `iss` — or the ID token, for an
/// `id_token` request ([`give_id_token`]). A refused member is audited and gets the member page
/// (an app that refuses shows it the same way).
pub(super) async fn give_code(
    state: &AppState,
    ctx: &Ctx<'_>,
    lang: Lang,
    client: &Client,
    req: &Request,
    live: &Live,
) -> Result<Response, WebError> {
    if req.response_type == ResponseType::IdToken {
        return give_id_token(state, ctx, lang, client, req, live).await;
    }
    let who = Who::app(client.name.as_str()).userid(Some(&live.profile.userid));
    let code = match crate::oidc_flow::grant::issue_code(ctx, client, req, live).await {
        Ok(c) => c,
        Err(e) => return Err(refuse(ctx, AuditKind::Login, who, e).await),
    };
    login::audit::write(ctx, &AuditEvent::success(AuditKind::Login, "oidc").who(who))
        .await
        .map_err(|e| WebError::store("the audit row of an OIDC code", &e))?;
    super::request_log::note_userid(&live.profile.userid);
    tracing::debug!(app = %client.name, userid = %Escaped(&live.profile.userid), "OIDC code issued");
    let issuer = state.config.base();
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = req.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", issuer.as_str()));
    super::oidc_response::deliver(lang, &req.redirect_uri, req.response_mode, &params)
}

/// The implicit flow's answer: the same release as a code's ([`crate::oidc_flow::grant::decide`]),
/// an ID token signed like the token endpoint's (no access token, so no `at_hash`), sent with
/// `state` and `iss` by the request's response mode. The grant is stored for the ID token's
/// lifetime with nothing to redeem: it ties the token to the session for RP-initiated logout.
async fn give_id_token(
    state: &AppState,
    ctx: &Ctx<'_>,
    lang: Lang,
    client: &Client,
    req: &Request,
    live: &Live,
) -> Result<Response, WebError> {
    use crate::oidc_flow::token::{implicit_id_token, Issuer};
    let who = Who::app(client.name.as_str()).userid(Some(&live.profile.userid));
    let grant = match crate::oidc_flow::grant::decide(ctx, client, req, live).await {
        Ok(g) => g,
        Err(e) => return Err(refuse(ctx, AuditKind::Login, who, e).await),
    };
    let lifetime = client.id_token_secs();
    if let Err(e) = crate::oidc_flow::grant::record(ctx, client, live, &grant, lifetime).await {
        return Err(refuse(ctx, AuditKind::Login, who, e).await);
    }
    let issuer = state.config.base();
    let ring = state.keys();
    let signer = Issuer {
        iss: &issuer,
        keys: &ring.jose,
    };
    let id_token = implicit_id_token(&signer, client, &grant, &live.row.id_hash, ctx.unix())
        .map_err(|e| WebError::internal("an implicit-flow ID token", &format!("{e:?}")))?;
    login::audit::write(
        ctx,
        &AuditEvent::success(AuditKind::Login, "oidc")
            .who(who)
            .detail(Some("response_type=id_token".into())),
    )
    .await
    .map_err(|e| WebError::store("the audit row of an OIDC ID token", &e))?;
    super::request_log::note_userid(&live.profile.userid);
    tracing::debug!(app = %client.name, userid = %Escaped(&live.profile.userid), "OIDC ID token issued (implicit flow)");
    let mut params = vec![("id_token", id_token.as_str())];
    if let Some(s) = req.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", issuer.as_str()));
    super::oidc_response::deliver(lang, &req.redirect_uri, req.response_mode, &params)
}

/// Loads the client of a pending OIDC login (the callback and the bind page answer it).
pub async fn pending_client(ctx: &Ctx<'_>, req: &Request) -> Result<Client, WebError> {
    match client_by_id(ctx, Some(&req.client_id)).await? {
        Some(c) if c.name.as_str() == req.app => Ok(c),
        // Removed while the member was at WeCom.
        _ => Err(login::Refusal::UnknownApp.into()),
    }
}
