//! The account step of a login (issue 4), between reading the WeCom member and starting the
//! session: resolve the bound account ([`crate::identity::binding`]), refuse a disabled account, and
//! apply `binding.when_unmatched` (create, reject, or the bind page of [`super::bind`]). The binding
//! settings are the effective ones ([`crate::settings`]): the console's over the configuration's.

use super::bind::bind_page;
use super::flow::{self, ClientIp, Pending};
use super::AppState;
use crate::apps::App;
use crate::crypto::sha256_hex;
use crate::error::{Lang, WebError};
use crate::identity::binding::{self, Resolution};
use crate::identity::directory::WhenUnmatched;
use crate::identity::Profile;
use crate::logsafe::Escaped;
use crate::settings::Effective;
use crate::store::{AccountRow, BindStateRow, StoreError};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

pub use super::bind::bind_page_again;

/// What the account step decided.
pub enum Step {
    /// Go on with this profile (the bound account's values).
    Ready(Profile),
    /// Show the bind page; `token` is its single-use token (kept, sealed, for a repeated callback).
    Bind {
        /// The page.
        page: Response,
        /// The page's token.
        token: String,
    },
}

pub(super) fn store_err(e: StoreError) -> WebError {
    WebError::store("account directory", &e)
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn audit(
    state: &AppState,
    app: &App,
    userid: &str,
    result: &str,
    reason: &str,
    ip: &ClientIp,
    pending: &Pending,
) {
    flow::audit(
        state,
        "login",
        Some(app.name.as_str()),
        Some(userid),
        result,
        reason,
        ip,
        pending.request_id.as_deref(),
    )
    .await;
}

/// Resolves the member's account for a login; refusals are audited and returned as pages.
#[allow(clippy::too_many_arguments)]
pub async fn login_account(
    state: &AppState,
    effective: &Effective,
    headers: &HeaderMap,
    app: &App,
    pending: &Pending,
    profile: Profile,
    browser_hash: &str,
    ip: &ClientIp,
) -> Result<Step, WebError> {
    let policy = &effective.policy;
    let corp = &effective.wecom.corp_id;
    let now = state.clock.unix();
    let resolution = binding::resolve(&state.store, &effective.client, corp, policy, &profile, now)
        .await
        .map_err(store_err)?;
    let account = match resolution {
        Resolution::Bound { account, reason } => {
            tracing::info!(userid = %Escaped(&profile.userid), reason, "account resolved");
            if reason != "bound" {
                flow::audit(
                    state,
                    "bind",
                    Some(app.name.as_str()),
                    Some(&profile.userid),
                    "success",
                    &reason,
                    ip,
                    None,
                )
                .await;
            }
            *account
        }
        Resolution::Ambiguous { key } => {
            let reason = format!("ambiguous_{}", key.as_str());
            flow::audit(
                state,
                "bind",
                Some(app.name.as_str()),
                Some(&profile.userid),
                "refused",
                &reason,
                ip,
                None,
            )
            .await;
            audit(
                state,
                app,
                &profile.userid,
                "refused",
                "ambiguous_account",
                ip,
                pending,
            )
            .await;
            return Err(WebError::member(StatusCode::FORBIDDEN, "ambiguous_account")
                .with_contact(policy.contact.as_deref()));
        }
        Resolution::Unmatched => match policy.when_unmatched {
            WhenUnmatched::Create => {
                let rng = state.rng.clone();
                let a = binding::create(&state.store, corp, &profile, now, |n| rng.hex(n))
                    .await
                    .map_err(store_err)?;
                flow::audit(
                    state,
                    "bind",
                    Some(app.name.as_str()),
                    Some(&profile.userid),
                    "success",
                    "created",
                    ip,
                    None,
                )
                .await;
                a
            }
            WhenUnmatched::Reject => {
                audit(
                    state,
                    app,
                    &profile.userid,
                    "refused",
                    "no_account",
                    ip,
                    pending,
                )
                .await;
                return Err(WebError::member(StatusCode::FORBIDDEN, "no_account")
                    .with_contact(policy.contact.as_deref()));
            }
            WhenUnmatched::Bind | WhenUnmatched::BindOrCreate => {
                let token = state.rng.token();
                let row = BindStateRow {
                    token_hash: sha256_hex(token.as_bytes()),
                    browser_hash: browser_hash.to_string(),
                    pending_json: serde_json::to_string(pending)
                        .map_err(|e| WebError::internal("pending encoding", &e))?,
                    profile_json: serde_json::to_string(&profile)
                        .map_err(|e| WebError::internal("profile encoding", &e))?,
                    attempts: 0,
                    expires_at: now + state.config.saml.login_state_ttl_secs,
                    consumed_at: None,
                };
                state.store.create_bind_state(&row).await?;
                flow::audit(
                    state,
                    "bind",
                    Some(app.name.as_str()),
                    Some(&profile.userid),
                    "pending",
                    "bind_page",
                    ip,
                    None,
                )
                .await;
                let allow_create = policy.when_unmatched == WhenUnmatched::BindOrCreate;
                let page = bind_page(
                    Lang::from_headers(headers),
                    &token,
                    allow_create,
                    None,
                    StatusCode::OK,
                )?;
                return Ok(Step::Bind { page, token });
            }
        },
    };
    ready(state, app, pending, account, profile, ip)
        .await
        .map(Step::Ready)
}

/// A disabled account is refused (and its member's sessions end); otherwise the profile to use.
pub(super) async fn ready(
    state: &AppState,
    app: &App,
    pending: &Pending,
    account: AccountRow,
    profile: Profile,
    ip: &ClientIp,
) -> Result<Profile, WebError> {
    if !binding::usable(&account) {
        if let Err(e) = state.store.delete_sessions_of(&profile.userid).await {
            tracing::error!(error = %Escaped(&e), "could not end the sessions of a disabled account");
        }
        audit(
            state,
            app,
            &profile.userid,
            "refused",
            "account_disabled",
            ip,
            pending,
        )
        .await;
        return Err(WebError::member(StatusCode::FORBIDDEN, "account_disabled"));
    }
    binding::apply(&state.store, account, profile, state.clock.unix())
        .await
        .map_err(store_err)
}
