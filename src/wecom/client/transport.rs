//! One call to WeCom: the HTTP client (bounded time, no redirects), the token and busy retries,
//! the observed send with its body cap, the `errcode` check, and logging a failure at the level
//! it deserves.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::{error, info, warn};

use super::WecomClient;
use crate::wecom::errors::{hint_of, ErrorKind, WecomError};

/// Largest response body read (a big corp's department list is the largest answer).
const MAX_BODY: usize = 16 * 1024 * 1024;

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

/// A request's parameters: a GET's query, or a POST's JSON body.
pub(super) enum Req {
    /// Query parameters (the token is added).
    Get(Vec<(&'static str, String)>),
    /// A JSON body.
    Post(serde_json::Value),
}

/// The HTTP client for WeCom: bounded connect and total time, no redirects (WeCom's API never
/// redirects; following one could send the token elsewhere), our User-Agent, and `[wecom]
/// proxy_url` when set (an `https` API base is then tunnelled with CONNECT: the proxy sees neither
/// the Secret nor a token).
fn build_http(
    timeout: Duration,
    pinned: Option<(String, std::net::SocketAddr)>,
    proxy: Option<&str>,
) -> Result<reqwest::Client, WecomError> {
    let mut http = reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("wecom-idp/", env!("CARGO_PKG_VERSION")));
    if let Some((host, addr)) = &pinned {
        http = http.resolve(host, *addr);
    }
    if let Some(p) = proxy {
        let p = reqwest::Proxy::all(p).map_err(|e| WecomError::Setup {
            detail: format!("[wecom] proxy_url: {}", error_chain(&e.without_url())),
        })?;
        http = http.proxy(p);
    }
    http.build().map_err(|e| WecomError::Setup {
        detail: error_chain(&e.without_url()),
    })
}

impl WecomClient {
    /// The HTTP client, built once (on a blocking thread: it reads the CA bundle from disk).
    pub(super) async fn http(&self) -> Result<&reqwest::Client, WecomError> {
        self.inner
            .http
            .get_or_try_init(|| {
                let timeout = self.inner.settings.timeout;
                let pinned = self.inner.options.pinned.clone();
                let proxy = self.inner.settings.proxy.clone();
                async move {
                    tokio::task::spawn_blocking(move || {
                        build_http(timeout, pinned, proxy.as_deref())
                    })
                    .await
                    .map_err(|e| WecomError::Setup {
                        detail: e.to_string(),
                    })?
                }
            })
            .await
    }

    /// A data call with a token: on 40001/40014/42001 evict, refetch, retry once.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        ep: &'static str,
        req: Req,
    ) -> Result<T, WecomError> {
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
    pub(super) async fn busy_retry<T, F, Fut>(
        &self,
        ep: &'static str,
        mut f: F,
    ) -> Result<T, WecomError>
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
    pub(super) async fn send<T: DeserializeOwned>(
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
        let http = self.http().await.map_err(|e| (CallOutcome::Connect, e))?;
        let response = self
            .request(http, ep, token, req)
            .send()
            .await
            .map_err(transport(ep, CallOutcome::Connect))?;
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
        let body = read_capped(ep, response).await?;
        decode(ep, &body).map_err(|e| match e {
            WecomError::Api { code, .. } => (CallOutcome::Errcode(code), e),
            other => (CallOutcome::BadBody, other),
        })
    }

    /// The request to `/cgi-bin/{ep}` with the token (when one is given) and `req`'s parameters.
    fn request(
        &self,
        http: &reqwest::Client,
        ep: &'static str,
        token: Option<&str>,
        req: &Req,
    ) -> reqwest::RequestBuilder {
        let url = format!(
            "{}/cgi-bin/{ep}",
            self.inner.settings.api_base.trim_end_matches('/')
        );
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(t) = token {
            query.push(("access_token", t));
        }
        match req {
            Req::Get(params) => {
                query.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
                http.get(&url).query(&query)
            }
            Req::Post(body) => http.post(&url).query(&query).json(body),
        }
    }
}

/// What a transport error means: a timeout, else `broken` (what a failure at this point means).
fn transport(ep: &'static str, broken: CallOutcome) -> impl Fn(reqwest::Error) -> Failed {
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
}

/// The body, read chunk by chunk and refused once it is larger than [`MAX_BODY`].
async fn read_capped(ep: &'static str, mut response: reqwest::Response) -> Result<Vec<u8>, Failed> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(transport(ep, CallOutcome::BadBody))?
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
    Ok(body)
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
pub(super) fn decode<T: DeserializeOwned>(ep: &'static str, body: &[u8]) -> Result<T, WecomError> {
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
