//! OpenID Connect Back-Channel Logout's delivery: when an IdP session ends — the member's own
//! sign-out, RP-initiated logout, a SAML Single Logout, or a leaver cut off — every OIDC client
//! that holds a grant of that session and registered a `backchannel_logout_uri` gets a signed
//! Logout Token ([`crate::oidc::backchannel`]) naming the member (`sub`) and the session (`sid`).
//!
//! Shaped like SAML's SOAP back channel (`lifecycle::back_channel`): who to tell is read before
//! the session is deleted, the session ends first, and only then are the clients called, a few at
//! a time, each call with a short timeout, no proxy (the configured proxy is WeCom's) and no
//! redirects followed. What each client answered is its word: `confirmed` (200 or 204),
//! `failed (why)`, or `no_backchannel_uri`. The initiating client of an RP-initiated logout is
//! told too: the specification lets the OP include it, and it costs the RP nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::grant::Grant;
use crate::keys::KeyRing;
use crate::logsafe::Escaped;
use crate::oidc::backchannel::{sid, LogoutToken};
use crate::oidc::{Client, ClientId};
use crate::random::Rng;
use crate::store::{AuditKind, AuditResult, AuditRow, GrantRow, Store, StoreError};
pub use crate::told::audit_value;
use crate::told::{merge, Word};

/// How many clients are told at once.
const CONCURRENCY: usize = 4;

/// One client to tell about one ended session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The client's ID.
    pub client_id: String,
    /// The ended session's hash (its `sid` at the client is derived from it).
    pub session_hash: String,
    /// The member as the client knows them (the latest grant's `sub`).
    pub sub: String,
}

/// The distinct (client, session) pairs of `rows`, each with the latest grant's `sub`; a grant
/// whose JSON cannot be read is skipped (logged).
pub fn participants(rows: Vec<GrantRow>) -> Vec<Participant> {
    let mut out: Vec<Participant> = Vec::new();
    for row in rows {
        let sub = match serde_json::from_str::<Grant>(&row.grant_json) {
            Ok(g) => g.sub().to_string(),
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), "a stored OIDC grant is unreadable; its client is not told of the logout");
                continue;
            }
        };
        match out
            .iter_mut()
            .find(|p| p.client_id == row.client_id && p.session_hash == row.session_hash)
        {
            // Rows come oldest first: the latest grant's `sub` wins.
            Some(p) => p.sub = sub,
            None => out.push(Participant {
                client_id: row.client_id,
                session_hash: row.session_hash,
                sub,
            }),
        }
    }
    out
}

/// The clients a session's grants gave to (revoked grants included).
pub async fn of_session(store: &Store, session_hash: &str) -> Result<Vec<Participant>, StoreError> {
    Ok(participants(
        store.all_grants_of_session(session_hash).await?,
    ))
}

/// The clients every live session of `userid` gave grants to, read before the sessions end.
pub async fn of_member(store: &Store, userid: &str) -> Result<Vec<Participant>, StoreError> {
    Ok(participants(store.grants_of_member_sessions(userid).await?))
}

/// What sending needs: the key ring (each client's algorithm), our issuer, an HTTP client without
/// the proxy, and randomness for `jti`.
#[derive(Clone)]
pub struct Sender {
    ring: Arc<KeyRing>,
    issuer: String,
    http: reqwest::Client,
    rng: Arc<dyn Rng>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender signing with `ring` as `issuer` over `http`: the server's one back-channel client
    /// (no proxy — the configured proxy is WeCom's —, no redirects, the short timeout).
    pub fn with_client(
        ring: Arc<KeyRing>,
        issuer: String,
        rng: Arc<dyn Rng>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            ring,
            issuer,
            http,
            rng,
        }
    }
}

/// One client's word in the audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// The client answered 200 or 204.
    Confirmed,
    /// Not confirmed (why: `http_500`, `timeout`, `unreachable`, `not_signed`).
    Failed(String),
    /// The client registered no `backchannel_logout_uri` (or is gone).
    NoUri,
}

impl Word for Told {
    /// `confirmed`, `failed (why)`, `no_backchannel_uri`.
    fn word(&self) -> String {
        match self {
            Self::Confirmed => "confirmed".into(),
            Self::Failed(why) => format!("failed ({why})"),
            Self::NoUri => "no_backchannel_uri".into(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Confirmed => 0,
            Self::NoUri => 1,
            Self::Failed(_) => 2,
        }
    }
}

/// Tells every participant's client, at most [`CONCURRENCY`] calls at a time; per client (by its
/// app name), its word — the worst over its sessions. `now` is the injected clock's.
pub async fn tell_all(
    sender: &Sender,
    store: &Store,
    participants: Vec<Participant>,
    now: i64,
) -> BTreeMap<String, Told> {
    let mut clients: BTreeMap<String, Option<Arc<Client>>> = BTreeMap::new();
    for p in &participants {
        if !clients.contains_key(&p.client_id) {
            let client = match ClientId::parse(&p.client_id) {
                Some(id) => match store.client_by_id_row(id.as_str()).await {
                    Ok(Some(row)) => Client::from_row(row).ok().map(Arc::new),
                    _ => None,
                },
                None => None,
            };
            clients.insert(p.client_id.clone(), client);
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    let mut out = BTreeMap::new();
    for p in participants {
        let Some(client) = clients.get(&p.client_id).cloned().flatten() else {
            // A client removed since: nothing to name it by but its ID.
            merge(&mut out, p.client_id.clone(), Told::NoUri);
            continue;
        };
        if client.config.backchannel_logout_uri.is_none() {
            merge(&mut out, client.name.as_str().to_string(), Told::NoUri);
            continue;
        }
        let (sender, limit) = (sender.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let told = tell(&sender, &client, &p, now).await;
            (client.name.as_str().to_string(), told)
        });
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok((app, told)) => {
                tracing::info!(app = %Escaped(&app), outcome = %Escaped(&told.word()), "OIDC back-channel logout");
                merge(&mut out, app, told);
            }
            Err(e) => {
                tracing::error!(error = %Escaped(&e), "an OIDC back-channel logout task failed")
            }
        }
    }
    out
}

/// One Logout Token POSTed to one client, and what its answer says.
async fn tell(sender: &Sender, client: &Client, p: &Participant, now: i64) -> Told {
    let Some(uri) = &client.config.backchannel_logout_uri else {
        return Told::NoUri;
    };
    let jti = sender.rng.hex(16);
    let sid = sid(&p.session_hash, client.client_id.as_str());
    let token = LogoutToken {
        iss: &sender.issuer,
        aud: client.client_id.as_str(),
        sub: &p.sub,
        sid: &sid,
        now,
        jti: &jti,
    };
    let alg = client.config.id_token_signed_response_alg;
    let signed = match token.sign(&sender.ring.jose, alg) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(app = %client.name, error = %Escaped(&e), "could not sign a Logout Token");
            return Told::Failed("not_signed".into());
        }
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &signed)
        .finish();
    let sent = sender
        .http
        .post(uri.as_str())
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if matches!(r.status().as_u16(), 200 | 204) => Told::Confirmed,
        Ok(r) => Told::Failed(format!("http_{}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Told::Failed("timeout".into()),
        Err(_) => Told::Failed("unreachable".into()),
    }
}

/// After a browser's session ended: tells `participants` on a task of its own (the browser does
/// not wait for the clients) and writes one `logout` row, reason `oidc_backchannel`, whose
/// `oidc_logout` detail keeps each client's word (none when no client has an address). Nothing
/// is spawned without a client to tell.
pub fn spawn_after_logout(
    sender: Sender,
    store: Store,
    participants: Vec<Participant>,
    userid: String,
    now: i64,
) {
    if participants.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let told = tell_all(&sender, &store, participants, now).await;
        // No client registered an address: nothing was sent, nothing to keep.
        if told.values().all(|t| *t == Told::NoUri) {
            return;
        }
        let row = AuditRow {
            at: now,
            event: AuditKind::Logout,
            app: None,
            userid: Some(userid),
            result: if told.values().any(|t| matches!(t, Told::Failed(_))) {
                AuditResult::Error
            } else {
                AuditResult::Success
            },
            reason: "oidc_backchannel".into(),
            client_ip: None,
            request_id: None,
            actor: None,
            detail: Some(json!({ "oidc_logout": audit_value(&told) }).to_string()),
        };
        if let Err(e) = store.audit(&row).await {
            tracing::error!(error = %Escaped(&e), "could not write the OIDC back-channel logout audit row");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(client: &str, session: &str, sub: &str) -> GrantRow {
        let grant = json!({
            "app": "a", "redirect_uri": "https://a/cb", "scopes": ["openid"], "nonce": null,
            "code_challenge": null, "auth_time": 0, "claims": {"sub": sub},
        });
        GrantRow {
            id: "g".into(),
            client_id: client.into(),
            userid: "zhangsan".into(),
            session_hash: session.into(),
            grant_json: grant.to_string(),
            created_at: 0,
            expires_at: 0,
            revoked_at: None,
        }
    }

    #[test]
    fn one_participant_per_client_and_session_with_the_latest_sub() {
        let p = participants(vec![
            row("c1", "s1", "old"),
            row("c2", "s1", "x"),
            row("c1", "s1", "new"),
            row("c1", "s2", "y"),
        ]);
        let got: Vec<_> = p
            .iter()
            .map(|p| {
                (
                    p.client_id.as_str(),
                    p.session_hash.as_str(),
                    p.sub.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [("c1", "s1", "new"), ("c2", "s1", "x"), ("c1", "s2", "y")]
        );
    }

    #[test]
    fn a_client_keeps_its_worst_word() {
        let mut out = BTreeMap::new();
        merge(&mut out, "grafana".into(), Told::Confirmed);
        merge(&mut out, "grafana".into(), Told::Failed("http_500".into()));
        merge(&mut out, "grafana".into(), Told::Confirmed);
        merge(&mut out, "argo".into(), Told::NoUri);
        assert_eq!(
            audit_value(&out),
            json!({"grafana": "failed (http_500)", "argo": "no_backchannel_uri"})
        );
    }
}
