//! The first read of a sign-in request: one query gives the console settings' and the apps'
//! versions (checked against this instance's caches) and the browser's session with its account's
//! status. With a live session and cached settings and app, answering a member costs that read and
//! the audit write — no other round trip — while unbinding or disabling an account, editing an app or
//! the console settings still applies at the next request on every instance.

use super::cookies;
use super::AppState;
use crate::app_cache::CacheError;
use crate::apps::{App, AppName};
use crate::crypto::sha256_hex;
use crate::http::error::WebError;
use crate::identity::Profile;
use crate::login::Live;
use crate::logsafe::Escaped;
use crate::settings::{Effective, STORED};
use crate::store::{AccountStatus, SessionRow};
use axum::http::HeaderMap;
use std::sync::Arc;

/// Seconds between two writes of a session's `last_seen`: the idle timeout is measured from a
/// value at most this old, so a session may end up to this much before its idle timeout, never
/// after; a member opening apps in a row writes once a minute, not once a request.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// What the request's first read found.
pub struct Snap {
    /// The settings in force (from this instance's cache when the stored versions match).
    pub effective: Arc<Effective>,
    /// The apps revision the app cache is checked against.
    pub apps_revision: i64,
    /// The cookie's hash, the session row and its account's status, when the session exists.
    session: Option<(String, SessionRow, Option<AccountStatus>)>,
}

impl From<CacheError> for WebError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Store(e) => e.into(),
            CacheError::App(e) => WebError::internal("stored app", &e),
        }
    }
}

/// Reads the versions and the browser's session (when it sent a session cookie) in one query.
pub async fn snapshot(state: &AppState, headers: &HeaderMap) -> Result<Snap, WebError> {
    let secure = state.config.secure_cookies();
    let hash = cookies::get(headers, &cookies::name(cookies::SESSION, secure))
        .map(|token| sha256_hex(token.as_bytes()));
    // The session's binding is looked up under the corp ID in force; the cached one is right
    // unless the versions read alongside say the settings changed (then read once more).
    let cached = match state.settings.peek() {
        Some(e) => e,
        None => state.effective().await?,
    };
    let mut read = state
        .store
        .request_snapshot(STORED, hash.as_deref(), &cached.wecom.corp_id)
        .await?;
    let effective = state
        .settings
        .current_given(&state.store, &read.setting_versions)
        .await
        .map_err(|e| WebError::internal("WeCom and binding settings", &e))?;
    if hash.is_some() && effective.wecom.corp_id != cached.wecom.corp_id {
        read = state
            .store
            .request_snapshot(STORED, hash.as_deref(), &effective.wecom.corp_id)
            .await?;
    }
    Ok(Snap {
        effective,
        apps_revision: read.apps_revision,
        session: match (hash, read.session) {
            (Some(h), Some((row, status))) => Some((h, row, status)),
            _ => None,
        },
    })
}

/// The app called `name`, from the cache when it is current.
pub async fn app_named(
    state: &AppState,
    snap: &Snap,
    name: &AppName,
) -> Result<Option<Arc<App>>, WebError> {
    Ok(state
        .apps
        .by_name(&state.store, snap.apps_revision, name.as_str())
        .await?)
}

/// Every app whose SP entity ID is `entity_id` (several when they have different ACS URLs), from
/// the cache when it is current.
pub async fn apps_for_issuer(
    state: &AppState,
    snap: &Snap,
    entity_id: &str,
) -> Result<Vec<Arc<App>>, WebError> {
    Ok(state
        .apps
        .by_entity_id(&state.store, snap.apps_revision, entity_id)
        .await?)
}

/// The browser's live session, if any: absolute and idle timeouts applied, an unbound or disabled
/// account ends it, use recorded at most every [`TOUCH_EVERY_SECS`].
pub async fn live_session(state: &AppState, snap: Snap) -> Result<Option<Live>, WebError> {
    let Some((hash, row, account_status)) = snap.session else {
        return Ok(None);
    };
    if account_status != Some(AccountStatus::Active) {
        tracing::info!(userid = %Escaped(&row.userid), "session ended: account unbound or disabled");
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    let now = state.clock.unix();
    if row.expires_at <= now || row.last_seen + state.config.session.idle_timeout_secs <= now {
        tracing::info!("session ended by timeout");
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    let profile: Profile = match serde_json::from_str(&row.profile_json) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %Escaped(&e), "stored session profile is unreadable; ending the session");
            state.store.delete_session(&hash).await?;
            return Ok(None);
        }
    };
    if now - row.last_seen >= TOUCH_EVERY_SECS {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Some(Live {
        row,
        profile,
        effective: snap.effective,
    }))
}
