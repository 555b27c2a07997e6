//! Back-channel Single Logout for a leaver: their browser is gone, so each SAML app their ended
//! sessions served is told on the SOAP binding, when its metadata has a SOAP
//! `SingleLogoutService` — a signed `LogoutRequest` naming the member exactly as that app received
//! them (NameID, qualifiers, SessionIndex), `Reason` admin. The sessions end first; the calls run
//! after, a few at a time, each with a short timeout and without the WeCom proxy, and what each
//! app answered is the word the `member_left` audit row keeps for it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::apps::App;
use crate::logsafe::Escaped;
use crate::random::Rng;
use crate::saml::logout::{logout_request_element, LogoutRequestInput, REASON_ADMIN};
use crate::saml::response::NameId;
use crate::saml::sign::SigningKey;
use crate::saml::soap::{self, Expected, SoapError};
use crate::store::{ServiceRow, Store};
pub use crate::told::audit_value;
use crate::told::{merge, worst, Word};

/// How many apps are told at once.
const CONCURRENCY: usize = 4;
/// The most of an SP's answer read (a LogoutResponse is a few kilobytes).
const MAX_ANSWER: usize = 256 * 1024;
/// How long our LogoutRequest stays valid at the SP.
const VALIDITY: time::Duration = time::Duration::minutes(5);

/// What sending needs: our signing key and entity ID, an HTTP client with no proxy, IDs.
#[derive(Clone)]
pub struct BackChannel {
    key: SigningKey,
    entity_id: String,
    http: reqwest::Client,
    rng: Arc<dyn Rng>,
    oidc: Option<crate::oidc_flow::backchannel::Sender>,
}

impl std::fmt::Debug for BackChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackChannel")
            .field("entity_id", &self.entity_id)
            .finish_non_exhaustive()
    }
}

impl BackChannel {
    /// A back channel signing with `key` as `entity_id` over `http` from [`http_client`] (a server
    /// makes it once: its connections and TLS set-up serve every leaver). The configured proxy is
    /// WeCom's and is not used: the apps are reached directly.
    pub fn with_client(
        key: SigningKey,
        entity_id: String,
        rng: Arc<dyn Rng>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            key,
            entity_id,
            http,
            rng,
            oidc: None,
        }
    }

    /// The same back channel telling OIDC clients too (Back-Channel Logout 1.0).
    pub fn with_oidc(mut self, sender: crate::oidc_flow::backchannel::Sender) -> Self {
        self.oidc = Some(sender);
        self
    }

    /// What tells the OIDC clients, when this back channel can.
    pub fn oidc(&self) -> Option<&crate::oidc_flow::backchannel::Sender> {
        self.oidc.as_ref()
    }
}

/// The HTTP client the back channel calls apps with: no proxy, no redirects, `timeout` per call.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
}

/// The HTTP client for `saml.soap_logout_timeout_secs`; `None` (logged) when none can be made.
pub fn configured_client(config: &crate::config::Config) -> Option<reqwest::Client> {
    let timeout = Duration::from_secs(config.saml.soap_logout_timeout_secs.unsigned_abs());
    match http_client(timeout) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %Escaped(&e), "no HTTP client for back-channel logout");
            None
        }
    }
}

/// The back channel of a server: its key ring's active key and entity ID (and the ring's JOSE
/// keys and the public URL for the OIDC clients), over `http` (from [`configured_client`]);
/// `None` without one.
pub fn for_server(
    config: &crate::config::Config,
    ring: &Arc<crate::keys::KeyRing>,
    rng: Arc<dyn Rng>,
    http: Option<&reqwest::Client>,
) -> Option<BackChannel> {
    use crate::oidc_flow::backchannel::Sender;
    http.map(|h| {
        let oidc = Sender::with_client(ring.clone(), config.base(), rng.clone(), h.clone());
        BackChannel::with_client(ring.active.clone(), config.entity_id(), rng, h.clone())
            .with_oidc(oidc)
    })
}

/// One app's word in the audit row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Told {
    /// A signed LogoutResponse (or an unsigned one over TLS) says Success.
    Confirmed,
    /// The SP answered Success with `PartialLogout`: it did not end every session of its own.
    Partial,
    /// Delivered and answered Success, but unsigned over plain HTTP: nothing authenticates it.
    Sent,
    /// Not confirmed (why).
    Failed(String),
    /// The app's metadata has no SOAP SingleLogoutService (or the app is gone).
    NoSoapEndpoint,
}

impl Word for Told {
    /// `confirmed`, `partial`, `sent`, `failed (reason)`, `no_soap_endpoint`.
    fn word(&self) -> String {
        match self {
            Self::Confirmed => "confirmed".into(),
            Self::Partial => "partial".into(),
            Self::Sent => "sent".into(),
            Self::Failed(reason) => format!("failed ({reason})"),
            Self::NoSoapEndpoint => "no_soap_endpoint".into(),
        }
    }

    /// How bad an outcome is: an app told of several sessions keeps its worst.
    fn rank(&self) -> u8 {
        match self {
            Self::Confirmed => 0,
            Self::Partial => 1,
            Self::Sent => 2,
            Self::NoSoapEndpoint => 3,
            Self::Failed(_) => 4,
        }
    }
}

/// What the leaver's sessions served, read before they are deleted (`None`: the store failed,
/// and the audit row says so).
pub async fn participants(store: &Store, userid: &str) -> Option<Vec<ServiceRow>> {
    match store.services_of_member(userid).await {
        Ok(rows) => Some(rows),
        Err(e) => {
            tracing::warn!(userid = %Escaped(userid), error = %Escaped(&e),
                "could not read the leaver's session participants; no back-channel logout is sent");
            None
        }
    }
}

/// Tells every participant's app, at most [`CONCURRENCY`] apps at a time; per app, its word (the
/// worst over its requests). An app gets one LogoutRequest per NameID it received, carrying the
/// SessionIndex of every ended session under it (SAML Core §3.7.1), and these go one after
/// another: the SP finds the sessions by that NameID, and one request lets it end them together.
/// Shibboleth SP answers `Responder` when none of a request's indexes names a session it still
/// has (a Response it refused, a session it ended itself), so a stale index alone would fail the
/// app. `now` is the injected clock's.
pub async fn tell_all(
    bc: &BackChannel,
    store: &Store,
    rows: Vec<ServiceRow>,
    now: OffsetDateTime,
) -> BTreeMap<String, Told> {
    let mut by_app: BTreeMap<String, Vec<ServiceRow>> = BTreeMap::new();
    for r in rows {
        by_app.entry(r.app.clone()).or_default().push(r);
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    let mut out: BTreeMap<String, Told> = BTreeMap::new();
    for (name, rows) in by_app {
        let app = match store.app(&name).await {
            Ok(Some(row)) => App::from_row(row).ok(),
            _ => None,
        };
        let Some(app) = app.filter(|a| a.metadata.soap_slo_endpoint().is_some()) else {
            tracing::info!(app = %Escaped(&name), outcome = "no_soap_endpoint", "back-channel logout");
            out.insert(name, Told::NoSoapEndpoint);
            continue;
        };
        let (bc, limit) = (bc.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let mut word: Option<Told> = None;
            for (name_id, indexes) in by_name_id(rows) {
                let told = tell(&bc, &app, &name_id, &indexes, now).await;
                word = Some(match word {
                    Some(had) => worst(had, told),
                    None => told,
                });
            }
            (name, word.unwrap_or(Told::NoSoapEndpoint))
        });
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok((app, told)) => {
                tracing::info!(app = %Escaped(&app), outcome = %Escaped(&told.word()), "back-channel logout");
                merge(&mut out, app, told);
            }
            Err(e) => tracing::error!(error = %Escaped(&e), "a back-channel logout task failed"),
        }
    }
    out
}

/// One app's session rows by the NameID each received (Format, qualifiers and value), with their
/// SessionIndexes, in the order first seen.
fn by_name_id(rows: Vec<ServiceRow>) -> Vec<(NameId, Vec<String>)> {
    let mut out: Vec<(NameId, Vec<String>)> = Vec::new();
    for row in rows {
        let name_id = NameId {
            format: row.name_id_format,
            value: row.name_id,
            sp_name_qualifier: row.sp_name_qualifier,
            name_qualifier: row.name_qualifier,
        };
        match out.iter_mut().find(|(n, _)| *n == name_id) {
            Some((_, indexes)) => indexes.push(row.session_index),
            None => out.push((name_id, vec![row.session_index])),
        }
    }
    out
}

/// One LogoutRequest to one app's SOAP endpoint for one NameID, and what its answer says.
async fn tell(
    bc: &BackChannel,
    app: &App,
    name_id: &NameId,
    indexes: &[String],
    now: OffsetDateTime,
) -> Told {
    let Some(endpoint) = app.metadata.soap_slo_endpoint() else {
        return Told::NoSoapEndpoint;
    };
    let indexes: Vec<&str> = indexes.iter().map(String::as_str).collect();
    let id = bc.rng.saml_id();
    let input = LogoutRequestInput {
        id: &id,
        issue_instant: now,
        not_on_or_after: now + VALIDITY,
        issuer: &bc.entity_id,
        destination: &endpoint.location,
        name_id,
        session_indexes: &indexes,
        reason: Some(REASON_ADMIN),
    };
    let body =
        match logout_request_element(&input, Some(&bc.key)).and_then(|el| soap::envelope(&el)) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %Escaped(&e), "could not build the SOAP LogoutRequest");
                return Told::Failed("not_built".into());
            }
        };
    let answer = match post(bc, &endpoint.location, body).await {
        Ok(a) => a,
        Err(reason) => return Told::Failed(reason),
    };
    let certs = match app.metadata.signing_x509() {
        Ok(c) => c,
        Err(_) => return Told::Failed("sp_certificate_unreadable".into()),
    };
    let expected = Expected {
        request_id: &id,
        sp_entity_id: &app.metadata.entity_id,
        certs: &certs,
        allow_sha1: app.settings.allow_sha1,
    };
    let read = soap::read_logout_response(&answer, &expected);
    if let Err(e) = &read {
        tracing::warn!(app = %Escaped(app.name.as_str()), error = %Escaped(e),
            "the SP's answer to the back-channel logout confirms nothing");
    }
    judge(read, endpoint.location.starts_with("https://"))
}

/// What a read answer is worth. SAML Profiles §4.4.4.2: a SOAP LogoutResponse is authenticated by
/// its signature or by the binding; only TLS (`https`) authenticates the endpoint the metadata
/// names, so an unsigned answer over plain http is only `Sent`.
fn judge(read: Result<soap::Answer, SoapError>, https: bool) -> Told {
    match read {
        Ok(a) if !a.signed && !https => Told::Sent,
        Ok(a) if a.partial => Told::Partial,
        Ok(_) => Told::Confirmed,
        Err(SoapError::Status(s)) => Told::Failed(format!("status {s}")),
        Err(e) => Told::Failed(e.reason().into()),
    }
}

/// POSTs the envelope; the answer's body (a SOAP fault comes with HTTP 500), or why there is none.
async fn post(bc: &BackChannel, url: &str, body: Vec<u8>) -> Result<Vec<u8>, String> {
    let sent = bc
        .http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{}\"", soap::SOAP_ACTION).as_str())
        .body(body)
        .send()
        .await;
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Err("timeout".into()),
        Err(_) => return Err("unreachable".into()),
    };
    let status = resp.status().as_u16();
    if status != 200 && status != 500 {
        return Err(format!("http_{status}"));
    }
    let mut got = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) if got.len() + c.len() <= MAX_ANSWER => got.extend_from_slice(&c),
            Ok(Some(_)) => return Err("answer_too_large".into()),
            Ok(None) => return Ok(got),
            Err(e) if e.is_timeout() => return Err("timeout".into()),
            Err(_) => return Err("unreachable".into()),
        }
    }
}

#[cfg(test)]
mod tests;
