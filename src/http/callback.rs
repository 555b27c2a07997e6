//! `GET /wecom/callback?code=…&state=…`: WeCom sends the browser back here. The state is consumed
//! (single use, bound to this browser, 10 minutes); the code is exchanged once; the member is read
//! (only status 1 may sign in); a new session starts; the pending login is answered. A double-submitted
//! callback from the same browser gets the first result: the same session and Response, or the same
//! bind page when the first one ended there (issue 4).

use super::flow::{self, ClientIp, Live, Pending};
use super::{cookies, AppState};
use crate::crypto::sha256_hex;
use crate::error::{t, Text, WebError};
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

fn state_refused(reason: &'static str, detail: Text) -> WebError {
    WebError::bad_request(reason, t("This sign-in link is no longer valid", "登录链接已失效"), detail)
        .with_fix(t(
            "Open the app again from the WeCom workbench (or the console's login page) to start a new sign-in.",
            "请从企业微信工作台（或控制台登录页）重新打开应用，开始新的登录。",
        ))
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
        return Err(state_refused(
            "bad_state",
            t("The sign-in link is damaged.", "登录链接不完整或已损坏。"),
        ));
    }
    let Some(code) = q.code.filter(|c| !c.is_empty() && c.len() <= 512) else {
        flow::audit(&state, "login", None, None, "refused", "no_code", &ip, None).await;
        return Err(WebError::bad_request(
            "no_code",
            t("Sign-in was cancelled", "登录已取消"),
            t(
                "WeCom did not confirm who you are (the authorisation was declined or cancelled).",
                "企业微信没有确认你的身份（授权被拒绝或取消）。",
            ),
        )
        .with_fix(t(
            "Open the app again and allow the sign-in in WeCom.",
            "请重新打开应用，并在企业微信中同意授权。",
        )));
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
        return Err(state_refused(
            "state_foreign",
            t(
                "This sign-in was started in another browser (or cookies are blocked).",
                "这次登录是在另一个浏览器中发起的（或浏览器禁用了 Cookie）。",
            ),
        ));
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
            let (reason, detail) = match other {
                Consumed::Foreign => (
                    "state_foreign",
                    t(
                        "This sign-in was started in another browser.",
                        "这次登录是在另一个浏览器中发起的。",
                    ),
                ),
                Consumed::Expired => (
                    "state_expired",
                    t(
                        "The sign-in took too long (more than 10 minutes).",
                        "登录超时（超过 10 分钟）。",
                    ),
                ),
                Consumed::Used => (
                    "state_used",
                    t(
                        "This sign-in link has already been used.",
                        "这个登录链接已经用过了。",
                    ),
                ),
                _ => (
                    "state_unknown",
                    t(
                        "This sign-in link is not known here.",
                        "无法识别这个登录链接。",
                    ),
                ),
            };
            tracing::debug!(reason, "WeCom callback refused");
            flow::audit(&state, "login", None, None, "refused", reason, &ip, None).await;
            return Err(state_refused(reason, detail));
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
            flow::audit(
                &state,
                "login",
                Some(app.name.as_str()),
                refusal.userid.as_deref(),
                "refused",
                refusal.error.reason,
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
        return Err(state_refused(
            "state_in_progress",
            t(
                "The first attempt of this sign-in did not finish.",
                "这次登录的第一次尝试没有完成。",
            ),
        ));
    };
    let hash = sha256_hex(token.as_bytes());
    let now = state.clock.unix();
    let live_row = state.store.session(&hash).await?.filter(|r| {
        r.expires_at > now && r.last_seen + state.config.session.idle_timeout_secs > now
    });
    let Some(row) = live_row else {
        return Err(state_refused(
            "state_used",
            t(
                "This sign-in link has already been used.",
                "这个登录链接已经用过了。",
            ),
        ));
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
    let (userid, ticket) =
        match identity {
            CodeIdentity::Member {
                userid,
                user_ticket,
            } => (userid, user_ticket),
            CodeIdentity::NonMember { .. } => return Err(Refusal {
                userid: None,
                error: WebError::new(
                    StatusCode::FORBIDDEN,
                    "not_a_member",
                    t(
                        "You are not a member of this organisation",
                        "你不是本企业的成员",
                    ),
                    t(
                        "WeCom says the account you used is not a member of this organisation.",
                        "企业微信显示你使用的账号不是本企业成员。",
                    ),
                )
                .with_fix(t(
                    "Sign in to WeCom with your work account, or ask the administrator to add you.",
                    "请使用工作账号登录企业微信，或请管理员把你加入通讯录。",
                )),
            }),
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
        let (en, zh) = match member.status {
            2 => ("is disabled", "已被禁用"),
            4 => ("is not activated yet", "尚未激活"),
            5 => ("has left the organisation", "已退出企业"),
            _ => ("is not active", "状态不是“已激活”"),
        };
        tracing::debug!(userid = %Escaped(&userid), status = member.status, "member may not sign in");
        return Err(Refusal {
            userid: Some(userid.clone()),
            error: WebError::new(
                StatusCode::FORBIDDEN,
                "member_not_active",
                t(
                    "Your WeCom account cannot sign in",
                    "你的企业微信账号不能登录",
                ),
                t(
                    format!("Your WeCom account {en}."),
                    format!("你的企业微信账号{zh}。"),
                ),
            )
            .with_fix(t(
                "Ask your WeCom administrator to activate your account.",
                "请联系企业微信管理员启用你的账号。",
            )),
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

/// A WeCom failure as a page: the catalogue's explanation and fix.
fn wecom_page(e: &WecomError) -> WebError {
    tracing::warn!(error = %Escaped(&e), "WeCom call failed");
    let x = explain_error(e);
    let (status, reason) = match x.kind {
        ErrorKind::Config => (StatusCode::BAD_GATEWAY, "wecom_config"),
        ErrorKind::Denied => (StatusCode::FORBIDDEN, "wecom_denied"),
        ErrorKind::RestartLogin => (StatusCode::BAD_REQUEST, "wecom_code_invalid"),
        ErrorKind::Retry => (StatusCode::SERVICE_UNAVAILABLE, "wecom_busy"),
        ErrorKind::Unknown => (StatusCode::BAD_GATEWAY, "wecom_error"),
    };
    let code = match e {
        WecomError::Api { code, .. } => format!(" (errcode {code})"),
        _ => String::new(),
    };
    WebError::new(
        status,
        reason,
        t(
            format!("{}{code}", x.title_en),
            format!("{}{code}", x.title_zh),
        ),
        t(
            "Signing in with WeCom did not work.",
            "通过企业微信登录没有成功。",
        ),
    )
    .with_fix(t(x.fix_en.to_string(), x.fix_zh.to_string()))
}

fn explain_error(e: &WecomError) -> crate::wecom::errors::Explanation {
    e.explain()
}
