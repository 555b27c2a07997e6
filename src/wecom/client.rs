//! The WeCom server API client for one self-built app: access-token cache, the calls a login needs, and
//! the retry rules below (WeCom's access-token page:
//! <https://developer.work.weixin.qq.com/document/path/91039>).
//!
//! - **Token**: one cached token per client, i.e. per (corp_id, agent_id); refreshed `expires_in − 300 s`
//!   after it was fetched (by the injected [`Clock`]). Fetches are single-flight: a tokio mutex around the
//!   fetch with a double check, so N concurrent callers cause one `gettoken`.
//! - **40001 / 40014 / 42001** from a data call: evict the token (only if it is still the one that failed),
//!   fetch once more, retry the call once. A second failure is returned.
//! - **−1** (busy): back off and try again, at most [`Options::busy_backoff`]`.len() + 1` tries in all.
//! - **45009 / 45033** (rate limits) and everything else: returned at once — no hammering.
//! - Every HTTP call has a connect and a total timeout ([`Settings::timeout`]).
//! - **Caches**: `department/list` for [`Options::department_ttl`] (10 min); `tag/list` and each
//!   `tag/get` for [`Options::tag_ttl`] (60 s, since tags grant cloud roles); each department's
//!   `user/simplelist` for [`Options::tag_ttl`] too (the console's member picker and search read it
//!   while an admin types). Failures are not cached.
//!
//! Nothing here logs or formats a secret, access token, code or user ticket: request URLs are stripped from
//! transport errors, and the types holding such values have masking `Debug` impls.
//!
//! One file per idea: [`options`] (what a client is built with), `token` (the access-token cache),
//! `transport` (one observed call with its retries), `checks` (the set-up checks), `login` (code →
//! identity) and `contacts` (the cached address book).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::errors::WecomError;
pub use super::types::{
    Agent, CodeIdentity, Department, DepartmentMember, EmailType, ExtAttr, Member, MemberDetail,
    Tag, TagMembers, TagUser,
};
use crate::clock::Clock;

mod checks;
mod contacts;
mod directory;
mod login;
pub mod options;
mod token;
mod transport;

#[cfg(test)]
use super::types::RawIdentity;
pub use options::{Options, Settings};
use token::CachedToken;
pub use token::TOKEN_REFRESH_MARGIN_SECS;
#[cfg(test)]
use transport::decode;
pub use transport::{CallObserver, CallOutcome};

/// Default WeCom API base.
pub const DEFAULT_API_BASE: &str = "https://qyapi.weixin.qq.com";
/// Default total timeout of one HTTP call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Endpoint names (paths under `/cgi-bin/`), used in errors, logs and metrics labels.
pub mod endpoint {
    /// `GET gettoken`
    pub const GETTOKEN: &str = "gettoken";
    /// `GET auth/getuserinfo` (code → identity)
    pub const AUTH_GETUSERINFO: &str = "auth/getuserinfo";
    /// `GET user/getuserinfo` (legacy code → identity, capitalised keys)
    pub const USER_GETUSERINFO: &str = "user/getuserinfo";
    /// `POST auth/getuserdetail` (user_ticket → sensitive profile)
    pub const AUTH_GETUSERDETAIL: &str = "auth/getuserdetail";
    /// `GET user/get`
    pub const USER_GET: &str = "user/get";
    /// `POST user/getuserid` (mobile → userid)
    pub const USER_GETUSERID: &str = "user/getuserid";
    /// `POST user/get_userid_by_email`
    pub const USER_GET_USERID_BY_EMAIL: &str = "user/get_userid_by_email";
    /// `GET department/list`
    pub const DEPARTMENT_LIST: &str = "department/list";
    /// `GET tag/list` (all tags)
    pub const TAG_LIST: &str = "tag/list";
    /// `GET tag/get` (a tag's members and departments)
    pub const TAG_GET: &str = "tag/get";
    /// `GET agent/get` (the self-built app: name, visible range, whether it is disabled)
    pub const AGENT_GET: &str = "agent/get";
    /// `GET user/simplelist` (a department's direct members: userid, name, departments)
    pub const USER_SIMPLELIST: &str = "user/simplelist";
    /// `GET user/list` (a department's direct members with what `user/get` releases)
    pub const USER_LIST: &str = "user/list";
}

/// The WeCom client of one app. Cheap to clone (an `Arc` inside); share one per app.
#[derive(Clone)]
pub struct WecomClient {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    options: Options,
    /// Built on first use or by [`WecomClient::warm`]: building one loads the system's CA bundle
    /// (tens of milliseconds), which a start or a settings change should not wait for.
    http: tokio::sync::OnceCell<reqwest::Client>,
    clock: Arc<dyn Clock>,
    token: Mutex<Option<CachedToken>>,
    /// Held while fetching a token; remembers the last fetch's failure for the callers that waited.
    fetch_lock: tokio::sync::Mutex<Option<WecomError>>,
    /// Number of finished token fetches (read before waiting on `fetch_lock`).
    fetches: AtomicU64,
    departments: Mutex<Option<(i64, Vec<Department>)>>,
    tags: Mutex<Option<(i64, Vec<Tag>)>>,
    /// tagid → (fetched at, members); bounded by [`contacts::MAX_CACHED_TAGS`].
    tag_members: Mutex<HashMap<i64, (i64, TagMembers)>>,
    /// department ID → (fetched at, direct members); bounded by [`contacts::MAX_CACHED_DEPARTMENTS`].
    department_members: Mutex<HashMap<i64, (i64, Vec<DepartmentMember>)>>,
}

impl fmt::Debug for WecomClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WecomClient")
            .field("settings", &self.inner.settings)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl WecomClient {
    /// A client with default [`Options`].
    pub fn new(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, WecomError> {
        Self::with_options(settings, clock, Options::default())
    }

    /// A client with explicit [`Options`] (observer, back-off, caches).
    pub fn with_options(
        settings: Settings,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, WecomError> {
        settings.validate()?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                options,
                http: tokio::sync::OnceCell::new(),
                clock,
                token: Mutex::new(None),
                fetch_lock: tokio::sync::Mutex::new(None),
                fetches: AtomicU64::new(0),
                departments: Mutex::new(None),
                tags: Mutex::new(None),
                tag_members: Mutex::new(HashMap::new()),
                department_members: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Builds the HTTP client now, off the runtime's threads, so the first WeCom call does not
    /// wait for it (spawned at start and after a settings change).
    pub async fn warm(&self) {
        if let Err(e) = self.http().await {
            tracing::warn!(error = %e, "cannot build the HTTP client for WeCom");
        }
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }
}

#[cfg(test)]
mod tests;
