//! Consent for clients that ask for it (`consent=on`): whether a member must be asked before a
//! client receives their claims, the consent page's pending authorization (kept server-side,
//! bound to the browser's IdP session, answered once), and the member's answer remembered
//! (member, client, scopes) so a later login with the same or fewer scopes does not ask again.
//! The page itself is `http`'s; the access rules run before it (a member the rules refuse is never
//! asked).

use crate::crypto::sha256_hex;
use crate::login::Ctx;
use crate::oidc::authorize::Request;
use crate::oidc::client::{Client, Consent};
use crate::oidc::scope::{Scope, Scopes};
use crate::store::StoreError;

/// How long a consent page may be answered (seconds).
pub const CONSENT_LIFETIME_SECS: i64 = 600;

/// A consent page's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The member allows the client the asked scopes.
    Allow,
    /// The member refuses: the client gets `access_denied`.
    Deny,
}

/// Whether `userid` must be asked before `client` gets what `req` asks: never when the client's
/// consent is off; always with `prompt=consent`; otherwise unless an earlier answer allowed every
/// asked scope.
pub async fn needed(
    ctx: &Ctx<'_>,
    client: &Client,
    req: &Request,
    userid: &str,
) -> Result<bool, StoreError> {
    if client.config.consent == Consent::Off {
        return Ok(false);
    }
    if req.prompt.asks_consent() {
        return Ok(true);
    }
    let given = ctx
        .store
        .oidc_consent(userid, client.client_id.as_str())
        .await?;
    Ok(!given.is_some_and(|g| covers(&Scopes::parse_known(&g), &req.scopes)))
}

/// Whether the scopes `given` include every one of `asked`.
fn covers(given: &Scopes, asked: &Scopes) -> bool {
    asked.within(given) == *asked
}

/// The scopes a consent page names (each releases claims; `openid` is the identifier, always).
pub fn shown(req: &Request) -> Vec<Scope> {
    Scope::ALL
        .into_iter()
        .filter(|s| req.scopes.has(*s))
        .collect()
}

/// Keeps `req` for the consent page shown to the session `session_hash`; returns the page's
/// ticket (random, kept only as its hash).
pub async fn hold(ctx: &Ctx<'_>, req: &Request, session_hash: &str) -> Result<String, StoreError> {
    let ticket = ctx.rng.token();
    let json = serde_json::to_string(req)
        .map_err(|e| StoreError::Corrupt(format!("consent request: {e}")))?;
    ctx.store
        .create_consent_request(
            &sha256_hex(ticket.as_bytes()),
            session_hash,
            &json,
            ctx.unix() + CONSENT_LIFETIME_SECS,
        )
        .await?;
    Ok(ticket)
}

/// The request a consent page's `ticket` holds, taken once, only by the session it was shown
/// to and before it expires.
pub async fn take(
    ctx: &Ctx<'_>,
    ticket: &str,
    session_hash: &str,
) -> Result<Option<Request>, StoreError> {
    let Some(json) = ctx
        .store
        .take_consent_request(&sha256_hex(ticket.as_bytes()), session_hash, ctx.unix())
        .await?
    else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("consent request: {e}")))
}

/// Remembers that `userid` allowed `client` the scopes of `req` (with what they allowed before).
pub async fn remember(
    ctx: &Ctx<'_>,
    client: &Client,
    req: &Request,
    userid: &str,
) -> Result<(), StoreError> {
    let id = client.client_id.as_str();
    let before = ctx
        .store
        .oidc_consent(userid, id)
        .await?
        .unwrap_or_default();
    let before = Scopes::parse_known(&before);
    let all: Scopes = Scope::ALL
        .into_iter()
        .filter(|s| before.has(*s) || req.scopes.has(*s))
        .collect();
    ctx.store
        .put_oidc_consent(userid, id, &all.to_wire(), ctx.unix())
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_scopes_are_covered_more_are_not() {
        let given = Scopes::parse_known("openid profile email");
        assert!(covers(&given, &Scopes::parse_known("openid email")));
        assert!(covers(&given, &given));
        assert!(!covers(&given, &Scopes::parse_known("openid groups")));
    }
}
