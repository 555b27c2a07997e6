//! The IdP session: started after a WeCom login (the token stays with the browser, the store keeps
//! its hash), replacing the browser's previous one, found again for a repeated callback, and what
//! it served each app (the NameID and SessionIndex a Single Logout names the member by).

use super::refusal::Error;
use super::Ctx;
use crate::apps::App;
use crate::crypto::sha256_hex;
use crate::identity::Profile;
use crate::settings::Effective;
use crate::store::{ServiceRow, SessionRow};
use std::sync::Arc;

/// A live IdP session.
#[derive(Debug, Clone)]
pub struct Live {
    /// The stored row.
    pub row: SessionRow,
    /// The member as of login.
    pub profile: Profile,
    /// The settings in force for this request, read once when the session was found or started
    /// (so answering does not read them again).
    pub effective: Arc<Effective>,
}

/// Starts a new session for `profile`, ending the browser's previous one (`old_token`: ForceAuthn,
/// another member). Returns the new token (kept only by the browser) and the session.
pub async fn start(
    ctx: &Ctx<'_>,
    effective: Arc<Effective>,
    profile: Profile,
    old_token: Option<&str>,
) -> Result<(String, Live), Error> {
    if let Some(old) = old_token {
        ctx.store
            .delete_session(&sha256_hex(old.as_bytes()))
            .await?;
    }
    let token = ctx.rng.token();
    let now = ctx.unix();
    let row = SessionRow {
        id_hash: sha256_hex(token.as_bytes()),
        userid: profile.userid.clone(),
        profile_json: serde_json::to_string(&profile)
            .map_err(|e| Error::broken("profile encoding", &e))?,
        authn_instant: now,
        last_seen: now,
        expires_at: now + ctx.config.session.absolute_timeout_secs,
    };
    ctx.store.create_session(&row).await?;
    Ok((
        token,
        Live {
            row,
            profile,
            effective,
        },
    ))
}

/// The session behind `token` while it is live (absolute and idle timeouts) with its member, for
/// a repeated callback that answers with the first one's session.
pub async fn by_token(ctx: &Ctx<'_>, token: &str) -> Result<Option<(SessionRow, Profile)>, Error> {
    let now = ctx.unix();
    let idle = ctx.config.session.idle_timeout_secs;
    let row = ctx
        .store
        .session(&sha256_hex(token.as_bytes()))
        .await?
        .filter(|r| r.expires_at > now && r.last_seen + idle > now);
    let Some(row) = row else {
        return Ok(None);
    };
    let profile: Profile = serde_json::from_str(&row.profile_json)
        .map_err(|e| Error::broken("stored session profile", &e))?;
    Ok(Some((row, profile)))
}

/// Records that `live`'s session is about to send `app` a Response naming the member `name_id`
/// (in the app's NameID format, without qualifiers, as `assertion::issue` writes it) and returns
/// the SessionIndex the Assertion carries: random per session and app (neither the session token
/// nor derived from it), the same for every Response of this session to this app.
pub async fn serve(ctx: &Ctx<'_>, live: &Live, app: &App, name_id: &str) -> Result<String, Error> {
    let row = ServiceRow {
        session_hash: live.row.id_hash.clone(),
        app: app.name.as_str().to_string(),
        name_id: name_id.to_string(),
        name_id_format: app.settings.name_id_format.uri().to_string(),
        name_qualifier: None,
        sp_name_qualifier: None,
        session_index: ctx.rng.saml_id(),
        issued_at: ctx.unix(),
    };
    Ok(ctx.store.remember_service(&row).await?)
}
