//! The SCIM 2.0 client (RFC 7644): find a user by `userName` (or `externalId`), create with POST,
//! replace with PUT, deactivate with PATCH; the same for groups, whose members may also change by
//! PATCH and be read (listed, or asked about one by one). Every call carries the app's bearer
//! token and is retried, a bounded number of times, on 429 (after the `Retry-After` the app asks
//! for, capped) and on 5xx or a lost connection (with doubling back-off). The token is never logged
//! nor put in an error.

use super::resource;
use serde_json::Value;
use std::time::Duration;

/// An app's SCIM bearer token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ScimToken(String);

impl ScimToken {
    /// A token as read from a file or a form; surrounding whitespace is dropped. Refuses an empty
    /// token or one that cannot be an HTTP header value.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("the SCIM token is empty".into());
        }
        if t.len() > 8192 || t.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(
                "the SCIM token must be one line of printable ASCII without spaces (at most 8192)"
                    .into(),
            );
        }
        Ok(Self(t.to_string()))
    }

    /// The token's bytes, for sealing.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for ScimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScimToken(…)")
    }
}

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// The first back-off; each next one doubles.
    pub first_delay: Duration,
    /// The longest wait, also the cap on a `Retry-After`.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Why a SCIM call failed. The messages name the call and the status, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimError {
    /// The app answered an error status (after the retries, for 429 and 5xx).
    Status {
        /// `POST /Users` and the like.
        call: String,
        /// The HTTP status.
        status: u16,
        /// The SCIM `detail` (or the start of the body).
        detail: String,
    },
    /// The app could not be reached.
    Transport {
        /// The call.
        call: String,
        /// What failed.
        detail: String,
    },
    /// The app answered something that is not SCIM (no `id` on a created resource, bad JSON).
    Protocol {
        /// The call.
        call: String,
        /// What was wrong.
        detail: String,
    },
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status {
                call,
                status,
                detail,
            } => write!(f, "{call} answered {status}: {detail}"),
            Self::Transport { call, detail } => write!(f, "{call} failed: {detail}"),
            Self::Protocol { call, detail } => {
                write!(f, "{call} answered something that is not SCIM: {detail}")
            }
        }
    }
}

impl std::error::Error for ScimError {}

/// A client of one app's SCIM endpoint.
#[derive(Debug, Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base: String,
    token: ScimToken,
    retry: Retry,
}

/// `Users` or `Groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/Users`.
    Users,
    /// `/Groups`.
    Groups,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Self::Users => "Users",
            Self::Groups => "Groups",
        }
    }
}

impl ScimClient {
    /// A client of `base` (the SCIM base URL, no trailing `/`).
    pub fn new(base: &str, token: ScimToken, retry: Retry) -> Result<Self, ScimError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            // AWS IAM Identity Center refuses a PATCH that carries no User-Agent.
            .user_agent(concat!("wecom-idp/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ScimError::Transport {
                call: "client".into(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            retry,
        })
    }

    /// The ID of the resource whose `attr` equals `value` (`filter=attr eq "value"`), if any.
    pub async fn find(
        &self,
        at: Endpoint,
        attr: &str,
        value: &str,
    ) -> Result<Option<String>, ScimError> {
        let filter = format!("{attr} eq {}", Value::String(value.to_string()));
        let url = format!("{}/{}", self.base, at.path());
        let call = format!("GET /{}?filter={attr} eq …", at.path());
        let answer = self
            .send(&call, || {
                self.http
                    .get(&url)
                    .query(&[("filter", filter.as_str()), ("count", "2")])
            })
            .await?;
        let found = answer
            .get("Resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(found)
    }

    /// The remote IDs of a group's members as the app lists them (`GET /Groups/{id}`); empty when
    /// it lists none (some apps never do).
    pub async fn group_members(&self, id: &str) -> Result<Vec<String>, ScimError> {
        let url = format!("{}/Groups/{}", self.base, urlencoding(id));
        let answer = self
            .send("GET /Groups/{id}", || self.http.get(&url))
            .await?;
        Ok(answer
            .get("members")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|x| x.get("value").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether the user is a member of the group, by the filter `id eq "G" and members eq "U"`
    /// (how AWS IAM Identity Center, which lists no members, tells a membership).
    pub async fn has_member(&self, group: &str, user: &str) -> Result<bool, ScimError> {
        let filter = format!(
            "id eq {} and members eq {}",
            Value::String(group.to_string()),
            Value::String(user.to_string())
        );
        let url = format!("{}/Groups", self.base);
        let answer = self
            .send("GET /Groups?filter=id eq … and members eq …", || {
                self.http
                    .get(&url)
                    .query(&[("filter", filter.as_str()), ("count", "1")])
            })
            .await?;
        Ok(answer
            .get("Resources")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty()))
    }

    /// Creates a resource; returns its ID.
    pub async fn create(&self, at: Endpoint, body: &Value) -> Result<String, ScimError> {
        let url = format!("{}/{}", self.base, at.path());
        let call = format!("POST /{}", at.path());
        let answer = self.send(&call, || self.http.post(&url).json(body)).await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(ScimError::Protocol {
                call,
                detail: "the created resource has no id".into(),
            })
    }

    /// Replaces a resource (PUT).
    pub async fn replace(&self, at: Endpoint, id: &str, body: &Value) -> Result<(), ScimError> {
        let url = format!("{}/{}/{}", self.base, at.path(), urlencoding(id));
        let call = format!("PUT /{}/{{id}}", at.path());
        self.send(&call, || self.http.put(&url).json(body)).await?;
        Ok(())
    }

    /// Modifies a resource (PATCH with a PatchOp message, RFC 7644 §3.5.2).
    pub async fn patch(&self, at: Endpoint, id: &str, body: &Value) -> Result<(), ScimError> {
        let url = format!("{}/{}/{}", self.base, at.path(), urlencoding(id));
        let call = format!("PATCH /{}/{{id}}", at.path());
        self.send(&call, || self.http.patch(&url).json(body))
            .await?;
        Ok(())
    }

    /// Sets a user's `active` to false (PATCH), leaving the rest as the app has it.
    pub async fn deactivate(&self, id: &str) -> Result<(), ScimError> {
        let url = format!("{}/Users/{}", self.base, urlencoding(id));
        let body = resource::deactivation();
        self.send("PATCH /Users/{id}", || self.http.patch(&url).json(&body))
            .await?;
        Ok(())
    }

    /// One call with its retries; the answer's JSON (`null` for an empty body).
    async fn send(
        &self,
        call: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, ScimError> {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            let sent = make()
                .bearer_auth(&self.token.0)
                .header("Accept", "application/scim+json, application/json")
                .send()
                .await;
            let outcome = match sent {
                Ok(r) => self.answer(call, r).await,
                Err(e) => Err(Attempt::Again {
                    error: ScimError::Transport {
                        call: call.to_string(),
                        detail: without_url(&e),
                    },
                    after: None,
                }),
            };
            match outcome {
                Ok(v) => return Ok(v),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Again { error, after }) => {
                    if attempt >= self.retry.attempts {
                        return Err(error);
                    }
                    let wait = after.unwrap_or(delay).min(self.retry.max_delay);
                    tracing::info!(
                        call,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "SCIM call retried: {error}"
                    );
                    tokio::time::sleep(wait).await;
                    delay = (delay * 2).min(self.retry.max_delay);
                    attempt += 1;
                }
            }
        }
    }

    /// What one answer means: its JSON, an error to retry (429, 5xx), or a final error.
    async fn answer(&self, call: &str, r: reqwest::Response) -> Result<Value, Attempt> {
        let status = r.status();
        let retry_after = r
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = r.text().await.unwrap_or_default();
        if status.is_success() {
            if body.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&body).map_err(|e| {
                Attempt::Final(ScimError::Protocol {
                    call: call.to_string(),
                    detail: e.to_string(),
                })
            });
        }
        let error = ScimError::Status {
            call: call.to_string(),
            status: status.as_u16(),
            detail: detail_of(&body),
        };
        if status.as_u16() == 429 || status.is_server_error() {
            Err(Attempt::Again {
                error,
                after: retry_after,
            })
        } else {
            Err(Attempt::Final(error))
        }
    }
}

/// The outcome of one failed attempt.
enum Attempt {
    /// Try again (after the app's `Retry-After` when it gave one).
    Again {
        error: ScimError,
        after: Option<Duration>,
    },
    /// Do not.
    Final(ScimError),
}

/// The SCIM error's `detail`, else the start of the body, on one line.
fn detail_of(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string));
    let text = from_json.unwrap_or_else(|| body.chars().take(200).collect());
    crate::logsafe::Escaped(&text).to_string()
}

/// What kind of transport failure it was (the URL is the app's, not needed again).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}

/// A remote ID as one path segment.
fn urlencoding(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
