//! RP-initiated logout over the shared login: the request planned against our keys and the
//! client's registered post-logout redirect URIs ([`crate::oidc::logout`] holds the protocol's
//! checks), whether the `id_token_hint` names the browser's own session (a grant of that session
//! to the hint's client, for the hint's `sub`), the confirmation token a member's "sign out" button
//! carries when there is no such hint, and the revocation of what the session gave the clients.

use super::grant::Grant;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::login::{Ctx, Error, Live};
use crate::oidc::jwks::JoseKeys;
use crate::oidc::logout::{self, Hint, LogoutError, LogoutParams, LogoutPlan};
use crate::oidc::{Client, ClientId};

/// Why an RP-initiated logout cannot go on.
#[derive(Debug)]
pub enum RpLogoutError {
    /// The request breaks a rule of the protocol (the member sees a page, never a redirect).
    Refused(LogoutError),
    /// The store or something of ours failed.
    Login(Error),
}

impl From<Error> for RpLogoutError {
    fn from(e: Error) -> Self {
        Self::Login(e)
    }
}

impl From<LogoutError> for RpLogoutError {
    fn from(e: LogoutError) -> Self {
        Self::Refused(e)
    }
}

/// Plans the logout `params` ask for: the hint checked against `keys` and `issuer`, the client
/// (the hint's audience, or `client_id`) loaded for its registered post-logout redirect URIs.
pub async fn plan(
    ctx: &Ctx<'_>,
    keys: &JoseKeys,
    issuer: &str,
    params: &LogoutParams,
) -> Result<LogoutPlan, RpLogoutError> {
    let hint = match params.id_token_hint.as_deref() {
        Some(t) => Some(logout::check_hint(keys, issuer, t)?),
        None => None,
    };
    let named = hint
        .as_ref()
        .map(|h| h.client_id.as_str())
        .or(params.client_id.as_deref());
    let client = match named.and_then(ClientId::parse) {
        Some(id) => match ctx
            .store
            .client_by_id_row(id.as_str())
            .await
            .map_err(Error::from)?
        {
            Some(row) => {
                Some(Client::from_row(row).map_err(|e| Error::broken("stored OIDC client", &e))?)
            }
            None => None,
        },
        None => None,
    };
    let registered = |id: &str| {
        client
            .as_ref()
            .filter(|c| c.client_id.as_str() == id)
            .map(Client::post_logout_redirect_uris)
    };
    Ok(logout::plan(params, hint, registered)?)
}

/// Whether `hint` names `live`'s session: the session gave the hint's client a grant whose `sub`
/// is the hint's, and the hint's `sid`, when it has one, is this session's at that client (an ID
/// token from before `sid` was issued has none; the grant ties it to its session).
pub async fn hint_names_session(ctx: &Ctx<'_>, live: &Live, hint: &Hint) -> Result<bool, Error> {
    let own_sid = crate::oidc::backchannel::sid(&live.row.id_hash, &hint.client_id);
    if hint.sid.as_deref().is_some_and(|s| s != own_sid) {
        return Ok(false);
    }
    for row in ctx.store.grants_of_session(&live.row.id_hash).await? {
        if row.client_id != hint.client_id {
            continue;
        }
        let grant: Grant = serde_json::from_str(&row.grant_json)
            .map_err(|e| Error::broken("stored OIDC grant", &e))?;
        if grant.sub() == hint.sub {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The token the confirmation page's button carries: bound to the session (only the browser
/// holding the session's cookie can have seen it), so a forged form cannot end the session.
pub fn confirm_token(live: &Live) -> String {
    sha256_hex(format!("oidc-rp-logout-confirm:{}", live.row.id_hash).as_bytes())
}

/// Whether `token` is `live`'s confirmation token (compared in constant time).
pub fn confirm_matches(live: &Live, token: &str) -> bool {
    constant_time_eq(confirm_token(live).as_bytes(), token.as_bytes())
}

/// Revokes every grant `live`'s session gave (its codes, access and refresh tokens); how many.
pub async fn revoke_session_grants(ctx: &Ctx<'_>, live: &Live) -> Result<u64, Error> {
    Ok(ctx
        .store
        .revoke_grants_of_session(&live.row.id_hash, ctx.unix())
        .await?)
}
