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

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::{debug, error, info, warn};

use super::errors::{hint_of, ErrorKind, WecomError};
pub use super::types::{
    Agent, CodeIdentity, Department, DepartmentMember, EmailType, ExtAttr, Member, MemberDetail,
    Tag, TagMembers, TagUser,
};
use super::types::{RawIdentity, UserIdAnswer};
use crate::clock::Clock;

/// Default WeCom API base.
pub const DEFAULT_API_BASE: &str = "https://qyapi.weixin.qq.com";
/// Default total timeout of one HTTP call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// A token is refreshed this long before WeCom says it expires.
pub const TOKEN_REFRESH_MARGIN_SECS: i64 = 300;
/// Largest response body read (a big corp's department list is the largest answer).
const MAX_BODY: usize = 16 * 1024 * 1024;
/// At most this many tags' member lists are cached (role rules name a handful).
const MAX_CACHED_TAGS: usize = 256;
/// At most this many departments' member lists are cached (the console's member picker).
const MAX_CACHED_DEPARTMENTS: usize = 1024;

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
}

/// Connection settings of one self-built app. `Debug` masks the secret.
#[derive(Clone)]
pub struct Settings {
    /// The corp ID (`ww…`).
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: String,
    /// The app's Secret. Never printed.
    pub secret: String,
    /// API base, `https://qyapi.weixin.qq.com` unless pointing at the simulator.
    pub api_base: String,
    /// Total timeout of one HTTP call (the connect timeout is the smaller of this and 3 s).
    pub timeout: Duration,
}

impl Settings {
    /// Settings with the default API base and timeout.
    pub fn new(
        corp_id: impl Into<String>,
        agent_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            corp_id: corp_id.into(),
            agent_id: agent_id.into(),
            secret: secret.into(),
            api_base: DEFAULT_API_BASE.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl Settings {
    /// Checks that nothing is empty and `api_base` is an http(s) URL, so a bad configuration fails at
    /// start-up with a clear message instead of at the first login.
    pub fn validate(&self) -> Result<(), WecomError> {
        let setup = |detail: &str| {
            Err(WecomError::Setup {
                detail: detail.to_owned(),
            })
        };
        if self.corp_id.trim().is_empty() {
            return setup("[wecom] corp_id is empty");
        }
        if self.agent_id.trim().is_empty() {
            return setup("[wecom] agent_id is empty");
        }
        if self.secret.trim().is_empty() {
            return setup("[wecom] secret is empty");
        }
        match url::Url::parse(&self.api_base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => return setup("[wecom] api_base is not an http(s) URL"),
        }
        if self.timeout.is_zero() {
            return setup("the WeCom timeout must be above zero");
        }
        Ok(())
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field(
                "secret",
                &if self.secret.is_empty() {
                    "<empty>"
                } else {
                    "<redacted>"
                },
            )
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How one HTTP call to WeCom ended, as the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// WeCom answered `errcode` 0 with a body we could read.
    Ok,
    /// No answer within the configured timeout (connecting, waiting, or reading the body).
    Timeout,
    /// No HTTP answer at all: DNS, refused or reset connection, TLS failure.
    Connect,
    /// An HTTP answer whose status is not 2xx (a proxy's 502, WeCom's 503, …).
    HttpStatus(u16),
    /// A 2xx answer we could not use: not JSON, not the expected shape, too large, or cut off.
    BadBody,
    /// WeCom answered a non-zero `errcode`.
    Errcode(i64),
}

impl CallOutcome {
    /// The `kind` label of a failure (`timeout`, `connect`, `http_status`, `bad_body`, `errcode`);
    /// `None` for success.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            Self::Ok => None,
            Self::Timeout => Some("timeout"),
            Self::Connect => Some("connect"),
            Self::HttpStatus(_) => Some("http_status"),
            Self::BadBody => Some("bad_body"),
            Self::Errcode(_) => Some("errcode"),
        }
    }
}

/// Called after every HTTP call with the endpoint, its latency and how it ended. For metrics.
pub type CallObserver = Arc<dyn Fn(&'static str, Duration, CallOutcome) + Send + Sync>;

/// A failed call: how it ended (for the observer) and the error the caller gets.
type Failed = (CallOutcome, WecomError);

/// Tuning knobs; `Options::default()` is right for production.
#[derive(Clone)]
pub struct Options {
    /// Receives latency and outcome of every call.
    pub observer: Option<CallObserver>,
    /// Sleeps between tries when WeCom answers −1 (busy); tries = `len() + 1`. Default 100 ms, 200 ms.
    pub busy_backoff: Vec<Duration>,
    /// How long `department/list` is cached. Default 10 minutes.
    pub department_ttl: Duration,
    /// Exchange codes with the legacy `user/getuserinfo` instead of `auth/getuserinfo`.
    pub legacy_code_endpoint: bool,
    /// How long `tag/list` and each `tag/get` answer are cached. Default 60 s: short, because a tag
    /// grants cloud roles and taking someone out of it should take effect soon.
    pub tag_ttl: Duration,
    /// Connect to this address for this host instead of resolving it again: the address a guard
    /// has just checked (a one-off connection check with an admin-typed base).
    pub pinned: Option<(String, std::net::SocketAddr)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            observer: None,
            busy_backoff: vec![Duration::from_millis(100), Duration::from_millis(200)],
            department_ttl: Duration::from_secs(600),
            legacy_code_endpoint: false,
            tag_ttl: Duration::from_secs(60),
            pinned: None,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("observer", &self.observer.is_some())
            .field("busy_backoff", &self.busy_backoff)
            .field("department_ttl", &self.department_ttl)
            .field("legacy_code_endpoint", &self.legacy_code_endpoint)
            .field("tag_ttl", &self.tag_ttl)
            .field("pinned", &self.pinned)
            .finish()
    }
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
    /// tagid → (fetched at, members); bounded by [`MAX_CACHED_TAGS`].
    tag_members: Mutex<HashMap<i64, (i64, TagMembers)>>,
    /// department ID → (fetched at, direct members); bounded by [`MAX_CACHED_DEPARTMENTS`].
    department_members: Mutex<HashMap<i64, (i64, Vec<DepartmentMember>)>>,
}

struct CachedToken {
    value: String,
    refresh_at: i64,
}

enum Req {
    Get(Vec<(&'static str, String)>),
    Post(serde_json::Value),
}

impl fmt::Debug for WecomClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WecomClient")
            .field("settings", &self.inner.settings)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// The HTTP client for WeCom: bounded connect and total time, no redirects (WeCom's API never
/// redirects; following one could send the token elsewhere), our User-Agent.
fn build_http(
    timeout: Duration,
    pinned: Option<(String, std::net::SocketAddr)>,
) -> Result<reqwest::Client, WecomError> {
    let mut http = reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wecom-idp/", env!("CARGO_PKG_VERSION")));
    if let Some((host, addr)) = &pinned {
        http = http.resolve(host, *addr);
    }
    http.build().map_err(|e| WecomError::Setup {
        detail: error_chain(&e.without_url()),
    })
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

    /// The HTTP client, built once (on a blocking thread: it reads the CA bundle from disk).
    async fn http(&self) -> Result<&reqwest::Client, WecomError> {
        self.inner
            .http
            .get_or_try_init(|| {
                let timeout = self.inner.settings.timeout;
                let pinned = self.inner.options.pinned.clone();
                async move {
                    tokio::task::spawn_blocking(move || build_http(timeout, pinned))
                        .await
                        .map_err(|e| WecomError::Setup {
                            detail: e.to_string(),
                        })?
                }
            })
            .await
    }

    /// The settings this client was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Checks the connection and credentials: fetches a fresh token (and keeps it).
    pub async fn check(&self) -> Result<(), WecomError> {
        let mut last_error = self.inner.fetch_lock.lock().await;
        self.fetch_and_store(&mut last_error).await.map(|_| ())
    }

    /// [`Self::check`], then one data call (`department/list`, refreshing its cache). `gettoken` succeeds
    /// from an untrusted IP; data calls then fail with 60020, so a "check connection" button should use
    /// this to catch the trusted-IP set-up error before the first member tries to sign in.
    pub async fn check_data_access(&self) -> Result<(), WecomError> {
        self.check().await?;
        self.invalidate_departments();
        self.departments().await.map(|_| ())
    }

    /// The whole set-up check an admin's Save runs: a fresh token ([`Self::check`]), this app read
    /// back with `agent/get` (gettoken succeeds with any AgentId, but every login of a wrong one
    /// ends on WeCom's "agentid 无效" page; 40056 no such app, 301002 the Secret is another app's),
    /// then one data call (`department/list`, which catches an untrusted server IP). Returns the app.
    pub async fn check_app(&self) -> Result<Agent, WecomError> {
        self.check().await?;
        let agent = self.agent(&self.inner.settings.agent_id).await?;
        self.invalidate_departments();
        self.departments().await?;
        Ok(agent)
    }

    /// Reads a self-built app (`agent/get?agentid=…`).
    pub async fn agent(&self, agentid: &str) -> Result<Agent, WecomError> {
        self.call(
            endpoint::AGENT_GET,
            Req::Get(vec![("agentid", agentid.trim().to_owned())]),
        )
        .await
    }

    /// Exchanges a login code (single use, 5 minutes) for the identity behind it. Never retried on
    /// 40029: a spent code means the login must start again.
    pub async fn identity_from_code(&self, code: &str) -> Result<CodeIdentity, WecomError> {
        let ep = if self.inner.options.legacy_code_endpoint {
            endpoint::USER_GETUSERINFO
        } else {
            endpoint::AUTH_GETUSERINFO
        };
        if code.is_empty() || code.len() > 512 {
            return Err(WecomError::Api {
                code: 40029,
                errmsg: "empty or oversized code (rejected before calling WeCom)".to_owned(),
                endpoint: ep,
            });
        }
        let raw: RawIdentity = self
            .call(ep, Req::Get(vec![("code", code.to_owned())]))
            .await?;
        raw.into_identity(ep)
    }

    /// Reads a member (`user/get`). 60111/46004 when there is no such userid.
    pub async fn get_user(&self, userid: &str) -> Result<Member, WecomError> {
        self.call(
            endpoint::USER_GET,
            Req::Get(vec![("userid", userid.to_owned())]),
        )
        .await
    }

    /// Reads the sensitive profile (mobile, email, …) with a `user_ticket` from a
    /// `snsapi_privateinfo` login.
    pub async fn user_detail(&self, user_ticket: &str) -> Result<MemberDetail, WecomError> {
        self.call(
            endpoint::AUTH_GETUSERDETAIL,
            Req::Post(serde_json::json!({ "user_ticket": user_ticket })),
        )
        .await
    }

    /// All departments visible to the app, cached for [`Options::department_ttl`].
    pub async fn departments(&self) -> Result<Vec<Department>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = i64::try_from(self.inner.options.department_ttl.as_secs()).unwrap_or(i64::MAX);
        if let Some((at, list)) = lock(&self.inner.departments).as_ref() {
            if now >= *at && now - *at < ttl {
                return Ok(list.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            department: Vec<Department>,
        }
        let list: List = self
            .call(endpoint::DEPARTMENT_LIST, Req::Get(Vec::new()))
            .await?;
        debug!(
            count = list.department.len(),
            "WeCom department list refreshed"
        );
        *lock(&self.inner.departments) = Some((now, list.department.clone()));
        Ok(list.department)
    }

    /// Names of the given department IDs, in order, skipping unknown IDs (uses the cached list).
    pub async fn department_names(&self, ids: &[i64]) -> Result<Vec<String>, WecomError> {
        let all = self.departments().await?;
        Ok(ids
            .iter()
            .filter_map(|id| all.iter().find(|d| d.id == *id).map(|d| d.name.clone()))
            .collect())
    }

    /// Forgets the cached department list.
    pub fn invalidate_departments(&self) {
        *lock(&self.inner.departments) = None;
    }

    /// All tags (`tag/list`), cached for [`Options::tag_ttl`].
    pub async fn tags(&self) -> Result<Vec<Tag>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, list)) = lock(&self.inner.tags).as_ref() {
            if now >= *at && now - *at < ttl {
                return Ok(list.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            taglist: Vec<Tag>,
        }
        let list: List = self.call(endpoint::TAG_LIST, Req::Get(Vec::new())).await?;
        debug!(count = list.taglist.len(), "WeCom tag list refreshed");
        *lock(&self.inner.tags) = Some((now, list.taglist.clone()));
        Ok(list.taglist)
    }

    /// A tag's members and departments (`tag/get`), cached per tag for [`Options::tag_ttl`]. 40068
    /// when there is no such tag.
    pub async fn tag_members(&self, tagid: i64) -> Result<TagMembers, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, members)) = lock(&self.inner.tag_members).get(&tagid) {
            if now >= *at && now - *at < ttl {
                return Ok(members.clone());
            }
        }
        let members: TagMembers = self
            .call(
                endpoint::TAG_GET,
                Req::Get(vec![("tagid", tagid.to_string())]),
            )
            .await?;
        debug!(
            tagid,
            users = members.userlist.len(),
            departments = members.partylist.len(),
            "WeCom tag members refreshed"
        );
        let mut cache = lock(&self.inner.tag_members);
        if cache.len() >= MAX_CACHED_TAGS && !cache.contains_key(&tagid) {
            cache.retain(|_, (at, _)| now >= *at && now - *at < ttl);
            if cache.len() >= MAX_CACHED_TAGS {
                cache.clear();
            }
        }
        cache.insert(tagid, (now, members.clone()));
        Ok(members)
    }

    /// A department's direct members (`user/simplelist?department_id=…`), cached per department
    /// for [`Options::tag_ttl`].
    ///
    /// Why this call: it is the member list a self-built app may read with its own Secret, for the
    /// departments in its visible range (elsewhere 60011). `user/list_id` answers only the
    /// contacts-sync Secret (48009 for an app's), and `user/list` gives more than a picker needs. The
    /// deprecated `fetch_child` is not sent: sub-departments are read one by one.
    pub async fn department_members(
        &self,
        department_id: i64,
    ) -> Result<Vec<DepartmentMember>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, members)) = lock(&self.inner.department_members).get(&department_id) {
            if now >= *at && now - *at < ttl {
                return Ok(members.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            userlist: Vec<DepartmentMember>,
        }
        let list: List = self
            .call(
                endpoint::USER_SIMPLELIST,
                Req::Get(vec![("department_id", department_id.to_string())]),
            )
            .await?;
        debug!(
            department_id,
            count = list.userlist.len(),
            "WeCom department members refreshed"
        );
        let mut cache = lock(&self.inner.department_members);
        if cache.len() >= MAX_CACHED_DEPARTMENTS && !cache.contains_key(&department_id) {
            cache.retain(|_, (at, _)| now >= *at && now - *at < ttl);
            if cache.len() >= MAX_CACHED_DEPARTMENTS {
                cache.clear();
            }
        }
        cache.insert(department_id, (now, list.userlist.clone()));
        Ok(list.userlist)
    }

    /// Forgets the cached tag list and tag members.
    pub fn invalidate_tags(&self) {
        *lock(&self.inner.tags) = None;
        lock(&self.inner.tag_members).clear();
    }

    fn tag_ttl(&self) -> i64 {
        i64::try_from(self.inner.options.tag_ttl.as_secs()).unwrap_or(i64::MAX)
    }

    /// mobile → userid (`user/getuserid`). For targeted checks only: WeCom blocks these lookups for a
    /// day when errors exceed 20% of the seat count.
    pub async fn userid_by_mobile(&self, mobile: &str) -> Result<String, WecomError> {
        let r: UserIdAnswer = self
            .call(
                endpoint::USER_GETUSERID,
                Req::Post(serde_json::json!({ "mobile": mobile })),
            )
            .await?;
        Ok(r.userid)
    }

    /// email → userid (`user/get_userid_by_email`). Same caution as [`Self::userid_by_mobile`].
    pub async fn userid_by_email(
        &self,
        email: &str,
        email_type: EmailType,
    ) -> Result<String, WecomError> {
        let r: UserIdAnswer = self
            .call(
                endpoint::USER_GET_USERID_BY_EMAIL,
                Req::Post(serde_json::json!({ "email": email, "email_type": email_type.code() })),
            )
            .await?;
        Ok(r.userid)
    }

    // The access-token cache.

    fn cached_token(&self) -> Option<String> {
        let now = self.inner.clock.unix();
        lock(&self.inner.token)
            .as_ref()
            .filter(|t| now < t.refresh_at)
            .map(|t| t.value.clone())
    }

    /// A valid token: from the cache, or fetched by exactly one caller while the others wait.
    ///
    /// Callers that waited while another caller's fetch failed get that failure instead of fetching
    /// again one after another (a wrong secret must not turn N logins into N `gettoken` calls).
    async fn token(&self) -> Result<String, WecomError> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let seen = self.inner.fetches.load(Ordering::Acquire);
        let mut last_error = self.inner.fetch_lock.lock().await;
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        if self.inner.fetches.load(Ordering::Acquire) != seen {
            if let Some(e) = last_error.as_ref() {
                return Err(e.clone());
            }
        }
        self.fetch_and_store(&mut last_error).await
    }

    /// Fetches a token and caches it; call with `fetch_lock` held (its guarded value is passed in).
    async fn fetch_and_store(
        &self,
        last_error: &mut Option<WecomError>,
    ) -> Result<String, WecomError> {
        let result = self.fetch_token().await;
        self.inner.fetches.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(fresh) => {
                *last_error = None;
                let value = fresh.value.clone();
                *lock(&self.inner.token) = Some(fresh);
                Ok(value)
            }
            Err(e) => {
                *last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Drops the cached token if it is still the one that failed (another caller may have refreshed it).
    fn evict(&self, stale: &str) {
        let mut slot = lock(&self.inner.token);
        if slot.as_ref().is_some_and(|t| t.value == stale) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> Result<CachedToken, WecomError> {
        #[derive(Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            access_token: String,
            #[serde(default)]
            expires_in: i64,
        }
        let s = &self.inner.settings;
        let req = Req::Get(vec![
            ("corpid", s.corp_id.clone()),
            ("corpsecret", s.secret.clone()),
        ]);
        let answer: TokenAnswer = self
            .busy_retry(endpoint::GETTOKEN, || {
                self.send(endpoint::GETTOKEN, None, &req)
            })
            .await?;
        if answer.access_token.is_empty() {
            return Err(WecomError::Decode {
                endpoint: endpoint::GETTOKEN,
                detail: "errcode 0 but no access_token".to_owned(),
            });
        }
        let expires_in = if answer.expires_in > 0 {
            answer.expires_in
        } else {
            7200
        };
        let lifetime = if expires_in > 2 * TOKEN_REFRESH_MARGIN_SECS {
            expires_in - TOKEN_REFRESH_MARGIN_SECS
        } else {
            expires_in / 2
        };
        info!(
            corp_id = %s.corp_id,
            agent_id = %s.agent_id,
            expires_in,
            "WeCom access token refreshed"
        );
        Ok(CachedToken {
            value: answer.access_token,
            refresh_at: self.inner.clock.unix().saturating_add(lifetime),
        })
    }

    // The API calls.

    /// A data call with a token: on 40001/40014/42001 evict, refetch, retry once.
    async fn call<T: DeserializeOwned>(&self, ep: &'static str, req: Req) -> Result<T, WecomError> {
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let result = self
                .busy_retry(ep, || self.send::<T>(ep, Some(&token), &req))
                .await;
            match result {
                Err(e) if !refreshed && matches!(e.code(), Some(40001 | 40014 | 42001)) => {
                    info!(
                        endpoint = ep,
                        errcode = e.code(),
                        corp_id = %self.inner.settings.corp_id,
                        agent_id = %self.inner.settings.agent_id,
                        "WeCom rejected the cached token; evicting and retrying once"
                    );
                    self.evict(&token);
                    refreshed = true;
                }
                other => return other,
            }
        }
    }

    /// Runs `f` again after a sleep while WeCom answers −1 (busy).
    async fn busy_retry<T, F, Fut>(&self, ep: &'static str, mut f: F) -> Result<T, WecomError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, WecomError>>,
    {
        let mut delays = self.inner.options.busy_backoff.iter();
        loop {
            match f().await {
                Err(e) if e.code() == Some(-1) => match delays.next() {
                    Some(d) => {
                        warn!(
                            endpoint = ep,
                            errcode = -1,
                            delay_ms = d.as_millis() as u64,
                            hint = e.hint().unwrap_or(""),
                            "WeCom busy; backing off"
                        );
                        tokio::time::sleep(*d).await;
                    }
                    None => return Err(e),
                },
                other => return other,
            }
        }
    }

    /// One HTTP call, observed, decoded, errcode checked.
    async fn send<T: DeserializeOwned>(
        &self,
        ep: &'static str,
        token: Option<&str>,
        req: &Req,
    ) -> Result<T, WecomError> {
        let started = tokio::time::Instant::now();
        // The reqwest timeout bounds the call; this outer one is a guard in case a body trickles in.
        let guard = self.inner.settings.timeout + Duration::from_secs(1);
        let result = match tokio::time::timeout(guard, self.send_inner::<T>(ep, token, req)).await {
            Ok(r) => r,
            Err(_) => Err((CallOutcome::Timeout, WecomError::Timeout { endpoint: ep })),
        };
        let outcome = match &result {
            Ok(_) => CallOutcome::Ok,
            Err((o, _)) => *o,
        };
        if let Some(observer) = &self.inner.options.observer {
            observer(ep, started.elapsed(), outcome);
        }
        let result = result.map_err(|(_, e)| e);
        if let Err(e) = &result {
            log_failure(ep, e);
        }
        result
    }

    async fn send_inner<T: DeserializeOwned>(
        &self,
        ep: &'static str,
        token: Option<&str>,
        req: &Req,
    ) -> Result<T, Failed> {
        let url = format!(
            "{}/cgi-bin/{ep}",
            self.inner.settings.api_base.trim_end_matches('/')
        );
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = token {
            query.push(("access_token", t));
        }
        let http = self.http().await.map_err(|e| (CallOutcome::Connect, e))?;
        let builder = match req {
            Req::Get(params) => {
                query.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
                http.get(&url).query(&query)
            }
            Req::Post(body) => http.post(&url).query(&query).json(body),
        };
        // `broken`: what a transport error that is not a timeout means at this point.
        let transport = |broken: CallOutcome| {
            move |e: reqwest::Error| {
                if e.is_timeout() {
                    (CallOutcome::Timeout, WecomError::Timeout { endpoint: ep })
                } else {
                    let detail = error_chain(&e.without_url());
                    (
                        broken,
                        WecomError::Transport {
                            endpoint: ep,
                            detail,
                        },
                    )
                }
            }
        };
        let mut response = builder
            .send()
            .await
            .map_err(transport(CallOutcome::Connect))?;
        let status = response.status();
        if !status.is_success() {
            return Err((
                CallOutcome::HttpStatus(status.as_u16()),
                WecomError::Transport {
                    endpoint: ep,
                    detail: format!("HTTP status {status}"),
                },
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(transport(CallOutcome::BadBody))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err((
                    CallOutcome::BadBody,
                    WecomError::Decode {
                        endpoint: ep,
                        detail: format!("answer larger than {MAX_BODY} bytes"),
                    },
                ));
            }
            body.extend_from_slice(&chunk);
        }
        decode(ep, &body).map_err(|e| match e {
            WecomError::Api { code, .. } => (CallOutcome::Errcode(code), e),
            other => (CallOutcome::BadBody, other),
        })
    }
}

/// Logs a failed call at a level that matches what it means: configuration errors are `error`
/// (an admin must act), transient ones `warn`, per-user outcomes (no such user, spent code) `info`.
fn log_failure(ep: &'static str, e: &WecomError) {
    let kind = e.kind();
    match e {
        WecomError::Api { code, errmsg, .. } => {
            let hint = hint_of(errmsg).unwrap_or("");
            match kind {
                ErrorKind::Config => error!(endpoint = ep, errcode = code, hint, errmsg = %errmsg,
                    kind = kind.as_str(), "WeCom call failed: configuration"),
                ErrorKind::Retry | ErrorKind::Unknown => warn!(endpoint = ep, errcode = code, hint,
                    errmsg = %errmsg, kind = kind.as_str(), "WeCom call failed"),
                ErrorKind::Denied | ErrorKind::RestartLogin => info!(endpoint = ep, errcode = code,
                    hint, errmsg = %errmsg, kind = kind.as_str(), "WeCom call refused"),
            }
        }
        other => warn!(endpoint = ep, error = %other, "WeCom call failed"),
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Parses a WeCom answer: a non-zero `errcode` becomes [`WecomError::Api`].
fn decode<T: DeserializeOwned>(ep: &'static str, body: &[u8]) -> Result<T, WecomError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| WecomError::Decode {
        endpoint: ep,
        detail: format!("not WeCom JSON: {e}"),
    })?;
    if envelope.errcode != 0 {
        return Err(WecomError::Api {
            code: envelope.errcode,
            errmsg: envelope.errmsg,
            endpoint: ep,
        });
    }
    serde_json::from_slice(body).map_err(|e| WecomError::Decode {
        endpoint: ep,
        detail: e.to_string(),
    })
}

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests;
