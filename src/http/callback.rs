//! `GET /wecom/callback?code=…&state=…`: WeCom sends the browser back here. The state is consumed
//! (single use, bound to this browser, 10 minutes); the code is exchanged once; the member is read
//! (only status 1 may sign in); a new session starts; the pending login is answered. A double-submitted
//! callback from the same browser gets the first result: the same session and Response, or the same
//! bind page when the first one ended there (issue 4).

use super::flow::{self, ClientIp, Live, Pending};
use super::{cookies, AppState};
use crate::crypto::sha256_hex;
use crate::error::WebError;
use crate::identity::Profile;
use crate::logsafe::Escaped;
use crate::settings::Effective;
use crate::store::Consumed;
use crate::wecom::client::CodeIdentity;
use crate::wecom::errors::{ErrorKind, WecomError};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/wecom/callback", get(callback))
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

fn state_refused(reason: &'static str) -> WebError {
    WebError::member(StatusCode::BAD_REQUEST, reason)
}

async fn callback(
    State(state): State<AppState>,
    Query(q): Query<CallbackQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let headers = &headers;
    let login_state = q.state.unwrap_or_default();
    if !crate::wecom::oauth::valid_state(&login_state) {
        flow::audit(
            &state,
            "login",
            None,
            None,
            "refused",
            "bad_state",
            &ip,
            None,
        )
        .await;
        return Err(state_refused("bad_state"));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 512) else {
        flow::audit(&state, "login", None, None, "refused", "no_code", &ip, None).await;
        return Err(WebError::member(StatusCode::BAD_REQUEST, "no_code"));
    };
    let secure = state.config.secure_cookies();
    let carried = cookies::bindings(headers, &cookies::name(cookies::BROWSER, secure));
    if carried.is_empty() {
        flow::audit(
            &state,
            "login",
            None,
            None,
            "refused",
            "state_foreign",
            &ip,
            None,
        )
        .await;
        return Err(state_refused("state_foreign"));
    }
    let code_hash = sha256_hex(code.as_bytes());
    // The browser carries the bindings of its newest login starts; the state names one of them.
    let mut found = None;
    for b in &carried {
        let hash = sha256_hex(b.as_bytes());
        let c = state
            .store
            .consume_login_state(&login_state, &hash, &code_hash, state.clock.unix())
            .await?;
        if !matches!(c, Consumed::Foreign) {
            found = Some((b.clone(), hash, c));
            break;
        }
    }
    let (browser, browser_hash, consumed) = match found {
        Some(f) => f,
        None => (String::new(), String::new(), Consumed::Foreign),
    };
    let pending_json = match consumed {
        Consumed::Fresh { pending_json } => pending_json,
        Consumed::Repeat {
            pending_json,
            result_session,
        } => {
            return repeat(
                &state,
                headers,
                &browser,
                &login_state,
                &pending_json,
                result_session,
                &ip,
            )
            .await;
        }
        other => {
            let reason = match other {
                Consumed::Foreign => "state_foreign",
                Consumed::Expired => "state_expired",
                Consumed::Used => "state_used",
                _ => "state_unknown",
            };
            tracing::debug!(reason, "WeCom callback refused");
            flow::audit(&state, "login", None, None, "refused", reason, &ip, None).await;
            return Err(state_refused(reason));
        }
    };
    let pending: Pending = serde_json::from_str(&pending_json)
        .map_err(|e| WebError::internal("stored pending login", &e))?;
    if let Some(admin) = &pending.admin {
        return super::admin::finish_sign_in(&state, &code, admin, &ip).await;
    }
    let app = flow::load_app(&state, &pending.app).await?;
    super::request_log::note_app(app.name.as_str());
    // The settings in force, read once for the whole login.
    let effective = state.effective().await?;
    let profile = match member_profile(&state, &effective, &code).await {
        Ok(p) => p,
        Err(refusal) => {
            flow::audit_refusal(
                &state,
                "login",
                Some(app.name.as_str()),
                refusal.userid.as_deref(),
                &refusal.error,
                &ip,
                pending.request_id.as_deref(),
            )
            .await;
            return Err(refusal.error);
        }
    };
    // ---- account step (issue 4): binding, when_unmatched, disabled accounts ----
    let profile = match super::account::login_account(
        &state,
        &effective,
        headers,
        &app,
        &pending,
        profile,
        &browser_hash,
        &ip,
    )
    .await?
    {
        super::account::Step::Ready(p) => p,
        super::account::Step::Bind { page, token } => {
            // A repeated callback shows the same bind page (sealed with the browser cookie).
            let sealed = crate::crypto::seal(
                browser.as_bytes(),
                &login_state,
                format!("{BIND_RESULT}{token}").as_bytes(),
                state.rng.as_ref(),
            )
            .map_err(|e| WebError::internal("sealing the login result", &e))?;
            state.store.set_login_result(&login_state, &sealed).await?;
            return Ok(page);
        }
    };
    // ---- end account step ----
    // A new login replaces the browser's previous session (ForceAuthn, another member): end it.
    let session_cookie = cookies::name(cookies::SESSION, secure);
    if let Some(old) = cookies::get(headers, &session_cookie) {
        state
            .store
            .delete_session(&sha256_hex(old.as_bytes()))
            .await?;
    }
    let (token, live) = flow::start_session(&state, effective, &profile).await?;
    // Kept for a repeated callback, sealed with the browser cookie the store never sees.
    let sealed = crate::crypto::seal(
        browser.as_bytes(),
        &login_state,
        token.as_bytes(),
        state.rng.as_ref(),
    )
    .map_err(|e| WebError::internal("sealing the login result", &e))?;
    state.store.set_login_result(&login_state, &sealed).await?;
    super::request_log::note_userid(&profile.userid);
    tracing::debug!(userid = %Escaped(&profile.userid), app = %app.name, "WeCom login succeeded; session started");
    let mut resp = flow::answer(&state, headers, &app, &pending, &live, &ip).await?;
    if let Some(c) = flow::session_cookie(&state, &token) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// What a login result holds when the first callback ended on the bind page: this, then the bind
/// page's token (a session token is hex and never starts with it).
const BIND_RESULT: &str = "bind:";

/// The same browser sent the same callback again: wait briefly for the first one, then give the same
/// result (same session, a Response for the same pending login; or the same bind page).
async fn repeat(
    state: &AppState,
    headers: &HeaderMap,
    browser: &str,
    login_state: &str,
    pending_json: &str,
    mut result: Option<String>,
    ip: &ClientIp,
) -> Result<Response, WebError> {
    for _ in 0..50 {
        if result.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // The first callback records its session when it has one.
        result = state.store.login_result(login_state).await?;
    }
    if let Ok(Pending {
        admin: Some(admin), ..
    }) = serde_json::from_str::<Pending>(pending_json)
    {
        // An admin sign-in sets its cookie on the first answer; a repeat just goes on to the page.
        return flow::redirect(&admin.next);
    }
    let token = result
        .and_then(|sealed| crate::crypto::open(browser.as_bytes(), login_state, &sealed))
        .and_then(|t| String::from_utf8(t).ok());
    if let Some(bind_token) = token.as_deref().and_then(|t| t.strip_prefix(BIND_RESULT)) {
        tracing::info!("repeated WeCom callback: showing the same bind page");
        return super::account::bind_page_again(state, headers, bind_token).await;
    }
    let Some(token) = token else {
        return Err(state_refused("state_in_progress"));
    };
    let hash = sha256_hex(token.as_bytes());
    let now = state.clock.unix();
    let live_row = state.store.session(&hash).await?.filter(|r| {
        r.expires_at > now && r.last_seen + state.config.session.idle_timeout_secs > now
    });
    let Some(row) = live_row else {
        return Err(state_refused("state_used"));
    };
    let profile: Profile = serde_json::from_str(&row.profile_json)
        .map_err(|e| WebError::internal("stored session profile", &e))?;
    let pending: Pending = serde_json::from_str(pending_json)
        .map_err(|e| WebError::internal("stored pending login", &e))?;
    let app = flow::load_app(state, &pending.app).await?;
    super::request_log::note_app(app.name.as_str());
    tracing::info!(app = %app.name, "repeated WeCom callback: answering with the first result");
    let live = Live {
        row,
        profile,
        effective: state.effective().await?,
    };
    let mut resp = flow::answer(state, headers, &app, &pending, &live, ip).await?;
    if let Some(c) = flow::session_cookie(state, &token) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}

/// A member who may not sign in, with the page that says why.
pub(super) struct Refusal {
    /// The WeCom userid, when known.
    pub userid: Option<String>,
    /// The page.
    pub error: WebError,
}

/// Exchanges the code and reads the member; only active members (status 1) get a profile.
pub(super) async fn member_profile(
    state: &AppState,
    effective: &Effective,
    code: &str,
) -> Result<Profile, Refusal> {
    let wecom_err = |userid: Option<&str>, e: WecomError| Refusal {
        userid: userid.map(str::to_string),
        error: wecom_page(&e),
    };
    let wecom = &effective.client;
    let identity = wecom
        .identity_from_code(code)
        .await
        .map_err(|e| wecom_err(None, e))?;
    let (userid, ticket) = match identity {
        CodeIdentity::Member {
            userid,
            user_ticket,
        } => (userid, user_ticket),
        CodeIdentity::NonMember { .. } => {
            return Err(Refusal {
                userid: None,
                error: WebError::member(StatusCode::FORBIDDEN, "not_a_member"),
            })
        }
    };
    let member = wecom
        .get_user(&userid)
        .await
        .map_err(|e| wecom_err(Some(&userid), e))?;
    if !member.is_active() {
        // Any live session of this member ends too.
        if let Err(e) = state.store.delete_sessions_of(&userid).await {
            tracing::error!(error = %Escaped(&e), "could not end the sessions of an inactive member");
        }
        // The member reads one neutral sentence (a leaver is not told to get activated); the status
        // is for the administrator.
        let status = match member.status {
            2 => "disabled",
            4 => "not activated",
            5 => "left the organisation",
            _ => "not active",
        };
        tracing::debug!(userid = %Escaped(&userid), status = member.status, "member may not sign in");
        return Err(Refusal {
            userid: Some(userid.clone()),
            error: WebError::member(StatusCode::FORBIDDEN, "member_not_active").with_admin_detail(
                serde_json::json!({ "wecom_status": member.status, "meaning": status }),
            ),
        });
    }
    let mut profile = crate::identity::member::profile_of(wecom, &effective.policy, &member).await;
    if let Some(ticket) = ticket {
        match wecom.user_detail(&ticket).await {
            Ok(d) => {
                if let Some(m) = d.mobile.filter(|s| !s.is_empty()) {
                    profile.mobile = Some(m);
                }
                if let Some(e) = d.email.or(d.biz_mail).filter(|s| !s.is_empty()) {
                    profile.email = Some(e);
                }
            }
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), "getuserdetail failed; going on without mobile/email")
            }
        }
    }
    Ok(profile)
}

/// A WeCom failure as a page: the member reads one sentence for the kind of failure; the errcode,
/// its meaning and the fix go to the audit row and the log.
fn wecom_page(e: &WecomError) -> WebError {
    tracing::warn!(error = %Escaped(&e), "WeCom call failed");
    let x = e.explain();
    let (status, reason) = match x.kind {
        ErrorKind::Config => (StatusCode::BAD_GATEWAY, "wecom_config"),
        ErrorKind::Denied => (StatusCode::FORBIDDEN, "wecom_denied"),
        ErrorKind::RestartLogin => (StatusCode::BAD_REQUEST, "wecom_code_invalid"),
        ErrorKind::Retry => (StatusCode::SERVICE_UNAVAILABLE, "wecom_busy"),
        ErrorKind::Unknown => (StatusCode::BAD_GATEWAY, "wecom_error"),
    };
    let mut detail = serde_json::json!({
        "meaning": x.title_en,
        "fix": x.fix_en,
    });
    if let Some(code) = e.code() {
        detail["errcode"] = code.into();
    }
    if let Some(endpoint) = e.endpoint() {
        detail["endpoint"] = endpoint.into();
    }
    if let Some(hint) = e.hint() {
        detail["hint"] = hint.into();
    }
    WebError::member(status, reason).with_admin_detail(detail)
}
