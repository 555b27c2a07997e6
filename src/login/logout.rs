//! Single Logout as a domain, without HTTP or SAML: which SPs a session served and under which
//! NameID and SessionIndex ([`Participant`]), whether a LogoutRequest names this browser's session
//! ([`check_named`]), ending the session, and the logout chain ([`Chain`]): every other SP of the
//! session with a Single Logout endpoint is told in turn, the chain waits a bounded time for each
//! one's answer, and at the end the SP that asked (if one did) is answered. The chain lives in the
//! store under a random ID, so any instance carries it on.

use super::refusal::Error;
use super::{AuditEvent, AuditKind, Ctx, Live, Refusal, Who};
use crate::store::ServiceRow;
use serde::{Deserialize, Serialize};

/// How long a chain may take in all, seconds (each SP is waited for a few seconds only).
const CHAIN_TTL_SECS: i64 = 600;

/// An SP of the session, named the way it knows the member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// The app's name.
    pub app: String,
    /// The NameID value as sent.
    pub name_id: String,
    /// The NameID Format as sent.
    pub name_id_format: String,
    /// `NameQualifier` as sent.
    pub name_qualifier: Option<String>,
    /// `SPNameQualifier` as sent.
    pub sp_name_qualifier: Option<String>,
    /// The SessionIndex the SP received.
    pub session_index: String,
}

impl From<ServiceRow> for Participant {
    fn from(r: ServiceRow) -> Self {
        Self {
            app: r.app,
            name_id: r.name_id,
            name_id_format: r.name_id_format,
            name_qualifier: r.name_qualifier,
            sp_name_qualifier: r.sp_name_qualifier,
            session_index: r.session_index,
        }
    }
}

/// The SP that asked for the logout, answered when the chain ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initiator {
    /// The app's name.
    pub app: String,
    /// Its LogoutRequest's ID (our answer's `InResponseTo`).
    pub request_id: String,
    /// Its RelayState, returned unchanged.
    pub relay_state: Option<String>,
}

/// The SP told last, whose LogoutResponse the chain waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Whom.
    pub participant: Participant,
    /// The ID of the LogoutRequest we sent it.
    pub request_id: String,
}

/// A logout in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// The member whose session ended.
    pub userid: String,
    /// The SP that asked, if one did.
    pub initiator: Option<Initiator>,
    /// SPs still to be told, in order.
    pub pending: Vec<Participant>,
    /// The SP told last, while its answer has not come.
    pub waiting: Option<Waiting>,
    /// Apps that confirmed.
    pub confirmed: Vec<String>,
    /// Apps that did not confirm (no answer in time, or not Success).
    pub failed: Vec<String>,
    /// Where the browser goes at the end instead of the signed-out page (an OpenID Connect
    /// client's registered post-logout redirect URI, checked before the chain started).
    #[serde(default)]
    pub return_to: Option<String>,
}

/// What the browser does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Carry a new LogoutRequest (with `waiting.request_id`) to `waiting.participant`'s app.
    Tell {
        /// The chain (the LogoutRequest's RelayState).
        chain_id: String,
        /// Whom, and the request's ID.
        waiting: Waiting,
    },
    /// Everyone was told: answer the initiator, or show the signed-out page.
    Done {
        /// The SP that asked, if one did.
        initiator: Option<Initiator>,
        /// Whether some SP did not confirm.
        partial: bool,
        /// The member.
        userid: String,
        /// Where the browser goes instead of the signed-out page, if somewhere.
        return_to: Option<String>,
    },
}

/// What the session `live` served, oldest first.
pub async fn served(ctx: &Ctx<'_>, live: &Live) -> Result<Vec<ServiceRow>, Error> {
    Ok(ctx.store.services_of(&live.row.id_hash).await?)
}

/// The row of `app` when the LogoutRequest's NameID (value and Format) and, if it names any,
/// one of its SessionIndexes are what this session sent that app; otherwise
/// [`Refusal::LogoutNotThisSession`] (the session is kept).
pub fn check_named<'s>(
    served: &'s [ServiceRow],
    app: &str,
    name_id: &str,
    name_id_format: &str,
    session_indexes: &[String],
) -> Result<&'s ServiceRow, Refusal> {
    let row = served
        .iter()
        .find(|r| r.app == app)
        .ok_or(Refusal::LogoutNotThisSession)?;
    let unspecified = crate::saml::uris::name_id::UNSPECIFIED;
    let format_ok = name_id_format == row.name_id_format || name_id_format == unspecified;
    let index_ok = session_indexes.is_empty() || session_indexes.contains(&row.session_index);
    if row.name_id != name_id || !format_ok || !index_ok {
        return Err(Refusal::LogoutNotThisSession);
    }
    Ok(row)
}

/// Ends the session `live` (every instance sees it: sessions are in the store; what it served
/// goes with it) and audits it as `how` (`sp_initiated`, `idp_initiated`).
pub async fn end_session(ctx: &Ctx<'_>, live: &Live, how: &'static str) -> Result<(), Error> {
    ctx.store.delete_session(&live.row.id_hash).await?;
    let who = Who::default().userid(Some(&live.row.userid));
    ctx.record(&AuditEvent::success(AuditKind::Logout, how).who(who))
        .await;
    Ok(())
}

/// Starts a chain telling `others` (the session's SPs with a Single Logout endpoint, the
/// initiator left out) and returns its ID; at its end the browser goes to `return_to` when given.
pub async fn start(
    ctx: &Ctx<'_>,
    userid: &str,
    initiator: Option<Initiator>,
    others: Vec<Participant>,
    return_to: Option<String>,
) -> Result<String, Error> {
    let chain = Chain {
        userid: userid.to_string(),
        initiator,
        pending: others,
        waiting: None,
        confirmed: Vec::new(),
        failed: Vec::new(),
        return_to,
    };
    let id = ctx.rng.hex(16);
    let now = ctx.unix();
    ctx.store
        .create_logout_chain(&id, &encode(&chain)?, now, now + CHAIN_TTL_SECS)
        .await?;
    Ok(id)
}

/// The participants among `served` to tell: those whose app has a Single Logout endpoint
/// (`has_slo`), `except` the initiator.
pub fn to_tell(
    served: Vec<ServiceRow>,
    except: Option<&str>,
    has_slo: impl Fn(&str) -> bool,
) -> Vec<Participant> {
    served
        .into_iter()
        .filter(|r| Some(r.app.as_str()) != except && has_slo(&r.app))
        .map(Participant::from)
        .collect()
}

/// Moves the chain on. `after` is the request the browser's page waited for: when the chain
/// still waits for it, that SP did not answer in time (audited) and the next is told; when the
/// chain already moved on (the answer came), this is the next step anyway.
pub async fn next(ctx: &Ctx<'_>, chain_id: &str, after: Option<&str>) -> Result<Step, Error> {
    loop {
        let (stored, mut chain) = load(ctx, chain_id).await?;
        if let Some(w) = &chain.waiting {
            if after != Some(w.request_id.as_str()) {
                // A page of an older step (or a reload): carry on with the current one.
                let waiting = w.clone();
                return Ok(Step::Tell {
                    chain_id: chain_id.to_string(),
                    waiting,
                });
            }
            let who = Who::app(&w.participant.app)
                .userid(Some(&chain.userid))
                .request_id(Some(&w.request_id));
            ctx.record(&AuditEvent::error(AuditKind::SloResponse, "no_answer").who(who))
                .await;
            let app = w.participant.app.clone();
            chain.failed.push(app);
            chain.waiting = None;
        }
        let step = if chain.pending.is_empty() {
            Step::Done {
                initiator: chain.initiator.clone(),
                partial: !chain.failed.is_empty(),
                userid: chain.userid.clone(),
                return_to: chain.return_to.clone(),
            }
        } else {
            let participant = chain.pending.remove(0);
            let waiting = Waiting {
                participant,
                request_id: ctx.rng.saml_id(),
            };
            chain.waiting = Some(waiting.clone());
            Step::Tell {
                chain_id: chain_id.to_string(),
                waiting,
            }
        };
        if let Step::Done { .. } = step {
            ctx.store.delete_logout_chain(chain_id).await?;
            return Ok(step);
        }
        if ctx
            .store
            .update_logout_chain(chain_id, &stored, &encode(&chain)?)
            .await?
        {
            return Ok(step);
        }
        // Another request moved the chain meanwhile: read it again.
    }
}

/// Records an SP's LogoutResponse to the request the chain waits for (`success`: its status);
/// [`Refusal::LogoutUnknown`] when the chain does not wait for that app and request.
pub async fn answered(
    ctx: &Ctx<'_>,
    chain_id: &str,
    app: &str,
    in_response_to: Option<&str>,
    success: bool,
) -> Result<(), Error> {
    loop {
        let (stored, mut chain) = load(ctx, chain_id).await?;
        let Some(w) = chain.waiting.take() else {
            return Err(Refusal::LogoutUnknown.into());
        };
        if w.participant.app != app || in_response_to != Some(w.request_id.as_str()) {
            return Err(Refusal::LogoutUnknown.into());
        }
        if success {
            chain.confirmed.push(w.participant.app);
        } else {
            chain.failed.push(w.participant.app);
        }
        if ctx
            .store
            .update_logout_chain(chain_id, &stored, &encode(&chain)?)
            .await?
        {
            return Ok(());
        }
    }
}

async fn load(ctx: &Ctx<'_>, chain_id: &str) -> Result<(String, Chain), Error> {
    let Some(stored) = ctx.store.logout_chain(chain_id, ctx.unix()).await? else {
        return Err(Refusal::LogoutUnknown.into());
    };
    let chain =
        serde_json::from_str(&stored).map_err(|e| Error::broken("stored logout chain", &e))?;
    Ok((stored, chain))
}

fn encode(chain: &Chain) -> Result<String, Error> {
    serde_json::to_string(chain).map_err(|e| Error::broken("logout chain encoding", &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::uris::name_id::{PERSISTENT, UNSPECIFIED};

    fn row(app: &str, name_id: &str, index: &str) -> ServiceRow {
        ServiceRow {
            session_hash: "h".into(),
            app: app.into(),
            name_id: name_id.into(),
            name_id_format: PERSISTENT.into(),
            name_qualifier: None,
            sp_name_qualifier: None,
            session_index: index.into(),
            issued_at: 1,
        }
    }

    #[test]
    // Rule: a LogoutRequest ends the session only when it names what the session sent that app.
    fn a_logout_request_must_name_this_session() {
        let served = [row("wiki", "zhangsan", "_s1"), row("mail", "z@x", "_s2")];
        let ok = check_named(&served, "wiki", "zhangsan", PERSISTENT, &[]).unwrap();
        assert_eq!(ok.app, "wiki");
        assert!(check_named(&served, "wiki", "zhangsan", UNSPECIFIED, &["_s1".into()]).is_ok());
        for (app, name, format, idx) in [
            ("wiki", "lisi", PERSISTENT, vec![]),
            ("wiki", "zhangsan", PERSISTENT, vec!["_s2".to_string()]),
            ("wiki", "zhangsan", "urn:other", vec![]),
            ("crm", "zhangsan", PERSISTENT, vec![]),
            ("mail", "zhangsan", PERSISTENT, vec![]),
        ] {
            assert_eq!(
                check_named(&served, app, name, format, &idx),
                Err(Refusal::LogoutNotThisSession),
                "{app} {name} {format} {idx:?}"
            );
        }
    }
}
