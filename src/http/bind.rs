//! The bind page (issue 4): shown when a login's member has no account and `binding.when_unmatched`
//! is `bind` or `bind_or_create`; `POST /bind`, where the member proves an existing account by its
//! password or a one-time code (or asks for a new account) and the login goes on. The page's state
//! (pending login + profile) is kept server-side under the hash of a single-use token bound to the
//! browser cookie; the token in the form is its CSRF token too.
//!
//! An unknown username (or an account without a password) is checked against a dummy argon2 hash,
//! so the time an answer takes does not tell which usernames exist.

use super::account::{ready, store_err};
use super::flow::{self, ClientIp, Pending};
use super::{cookies, AppState};
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::error::{Lang, WebError};
use crate::identity::binding;
use crate::identity::directory::{self, BindHow, WhenUnmatched};
use crate::identity::Profile;
use crate::store::StoreError;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use std::sync::OnceLock;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/bind", post(bind))
}

/// An argon2id hash of a password nobody has (made once, with the parameters of real hashes): what a
/// password is checked against when the username is unknown or has no password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        directory::hash_password("wecom-idp: no account has this password", &[0x5a; 16])
            .unwrap_or_default()
    })
}

/// Checks `password` against `phc` (or the dummy hash) off the async threads; counted in the
/// metrics either way.
async fn verify(state: &AppState, password: String, phc: Option<String>) -> bool {
    state.metrics.password_check();
    let real = phc.filter(|h| !h.is_empty());
    tokio::task::spawn_blocking(move || {
        let ok = directory::verify_password(&password, real.as_deref().unwrap_or(dummy_hash()));
        ok && real.is_some()
    })
    .await
    .unwrap_or(false)
}

/// A repeated WeCom callback whose first answer was the bind page: the same page again while it is
/// usable, `bind_expired` otherwise.
pub async fn bind_page_again(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
) -> Result<Response, WebError> {
    let now = state.clock.unix();
    let usable = state
        .store
        .bind_state(&sha256_hex(token.as_bytes()))
        .await?
        .filter(|r| {
            r.consumed_at.is_none()
                && r.expires_at > now
                && r.attempts < directory::MAX_PAGE_ATTEMPTS
        });
    if usable.is_none() {
        return Err(expired());
    }
    let effective = state.effective().await?;
    let allow_create = effective.policy.when_unmatched == WhenUnmatched::BindOrCreate;
    bind_page(
        Lang::from_headers(headers),
        token,
        allow_create,
        None,
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "bind.html")]
struct BindPage<'a> {
    lang: &'a str,
    title: &'a str,
    intro: &'a str,
    message: Option<&'a str>,
    token: &'a str,
    username_label: &'a str,
    password_legend: &'a str,
    password_label: &'a str,
    password_button: &'a str,
    code_legend: &'a str,
    code_label: &'a str,
    code_button: &'a str,
    allow_create: bool,
    create_button: &'a str,
}

/// The bind page for `token`.
pub(super) fn bind_page(
    lang: Lang,
    token: &str,
    allow_create: bool,
    message: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let zh = lang == Lang::Zh;
    let pick = |en: &'static str, z: &'static str| if zh { z } else { en };
    let html = BindPage {
        lang: lang.code(),
        title: pick("Link your account", "关联你的账号"),
        intro: pick(
            "No account here is linked to your WeCom member yet. Prove which account is yours with its password, or with a one-time code from your administrator.",
            "这里还没有与你的企业微信成员关联的账号。请用账号密码，或管理员给你的一次性验证码，证明哪个账号是你的。",
        ),
        message,
        token,
        username_label: pick("Username", "用户名"),
        password_legend: pick("With the account's password", "用账号密码"),
        password_label: pick("Password", "密码"),
        password_button: pick("Link with password", "用密码关联"),
        code_legend: pick("Or with a one-time code", "或用一次性验证码"),
        code_label: pick("One-time code", "一次性验证码"),
        code_button: pick("Link with code", "用验证码关联"),
        allow_create,
        create_button: pick("Create a new account instead", "改为创建新账号"),
    }
    .render()
    .map_err(|e| WebError::internal("bind page", &e))?;
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct BindForm {
    token: String,
    method: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

fn expired() -> WebError {
    WebError::member(StatusCode::BAD_REQUEST, "bind_expired")
}

fn locked(until: i64, now: i64) -> WebError {
    WebError::member(StatusCode::TOO_MANY_REQUESTS, "bind_locked")
        .with_admin_detail(serde_json::json!({ "locked_for_secs": until - now }))
}

/// `POST /bind`: the member proves an account (or asks for a new one); the login goes on.
async fn bind(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<BindForm>,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(&headers);
    let secure = state.config.secure_cookies();
    let carried = cookies::bindings(&headers, &cookies::name(cookies::BROWSER, secure));
    let token_hash = sha256_hex(f.token.as_bytes());
    let now = state.clock.unix();
    let row = state
        .store
        .bind_state(&token_hash)
        .await?
        .ok_or_else(expired)?;
    let ours = carried.iter().any(|b| {
        constant_time_eq(
            row.browser_hash.as_bytes(),
            sha256_hex(b.as_bytes()).as_bytes(),
        )
    });
    let usable = ours
        && row.consumed_at.is_none()
        && row.expires_at > now
        && row.attempts < directory::MAX_PAGE_ATTEMPTS;
    if !usable {
        return Err(expired());
    }
    let pending: Pending = serde_json::from_str(&row.pending_json)
        .map_err(|e| WebError::internal("stored pending login", &e))?;
    let profile: Profile = serde_json::from_str(&row.profile_json)
        .map_err(|e| WebError::internal("stored bind profile", &e))?;
    let app = flow::load_app(&state, &pending.app).await?;
    let effective = state.effective().await?;
    let allow_create = effective.policy.when_unmatched == WhenUnmatched::BindOrCreate;
    let corp = effective.wecom.corp_id.clone();
    // Every outcome of this page is audited as event `bind` of this app and member.
    let audit = |result: &'static str, reason: &'static str| {
        flow::audit(
            &state,
            "bind",
            Some(app.name.as_str()),
            Some(profile.userid.as_str()),
            result,
            reason,
            &ip,
            None,
        )
    };
    let again = |msg: &'static str, zh: &'static str| {
        bind_page(
            lang,
            &f.token,
            allow_create,
            Some(if lang == Lang::Zh { zh } else { msg }),
            StatusCode::UNAUTHORIZED,
        )
    };
    let account = match f.method.as_str() {
        "create" if allow_create => {
            if !state.store.consume_bind_state(&token_hash, now).await? {
                return Err(expired());
            }
            let rng = state.rng.clone();
            let a = binding::create(&state.store, &corp, &profile, now, |n| rng.hex(n))
                .await
                .map_err(store_err)?;
            audit("success", "created").await;
            a
        }
        "password" | "code" => {
            let candidate = state.store.account_by_username(f.username.trim()).await?;
            let proved = match (&candidate, f.method.as_str()) {
                (Some(a), "password") => {
                    if let Some(until) = a.locked_until.filter(|&u| u > now) {
                        audit("refused", "bind_locked").await;
                        return Err(locked(until, now));
                    }
                    let ok = verify(&state, f.password.clone(), a.password_hash.clone()).await;
                    if !ok
                        && state
                            .store
                            .record_failed_password(
                                &a.id,
                                now,
                                directory::MAX_PASSWORD_FAILURES,
                                directory::LOCK_SECS,
                            )
                            .await?
                    {
                        state.store.bump_bind_attempts(&token_hash).await?;
                        audit("refused", "bind_locked").await;
                        return Err(locked(now + directory::LOCK_SECS, now));
                    }
                    ok
                }
                (Some(a), _) => {
                    state
                        .store
                        .take_bind_code(&a.id, &directory::code_hash(&f.code), now)
                        .await?
                }
                (None, "password") => {
                    // The same work as for a real account, so timing does not reveal usernames.
                    verify(&state, f.password.clone(), None).await
                }
                (None, _) => false,
            };
            let Some(account) = candidate.filter(|_| proved) else {
                state.store.bump_bind_attempts(&token_hash).await?;
                audit("refused", "bind_wrong_proof").await;
                return again(
                    "The username, password or code is wrong.",
                    "用户名、密码或验证码不正确。",
                );
            };
            state.store.clear_failed_passwords(&account.id).await?;
            match state
                .store
                .bind_account(
                    &corp,
                    &profile.userid,
                    &account.id,
                    BindHow::Manual.as_str(),
                    now,
                )
                .await
            {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => {
                    audit("refused", "bind_taken").await;
                    return again(
                        "This account is already linked to another WeCom member.",
                        "此账号已关联到另一个企业微信成员。",
                    );
                }
                Err(e) => return Err(e.into()),
            }
            if !state.store.consume_bind_state(&token_hash, now).await? {
                return Err(expired());
            }
            audit(
                "success",
                if f.method == "code" {
                    "manual_code"
                } else {
                    "manual_password"
                },
            )
            .await;
            account
        }
        _ => return Err(expired()),
    };
    let profile = ready(&state, &app, &pending, account, profile, &ip).await?;
    let session_cookie = cookies::name(cookies::SESSION, secure);
    if let Some(old) = cookies::get(&headers, &session_cookie) {
        state
            .store
            .delete_session(&sha256_hex(old.as_bytes()))
            .await?;
    }
    let (token, live) = flow::start_session(&state, effective.clone(), &profile).await?;
    let mut resp = flow::answer(&state, &headers, &app, &pending, &live, &ip).await?;
    if let Some(c) = flow::session_cookie(&state, &token) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}
