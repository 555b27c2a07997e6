//! A leaver's OIDC clients, told on the back channel (OpenID Connect Back-Channel Logout): the
//! clients their sessions gave grants to are read before the sessions are deleted, and told after
//! the cut-off, like the SAML apps ([`super::back_channel`]); the `member_left` row keeps each
//! client's word under `oidc_logout`.

use serde_json::{json, Value};

use super::Ctx;
use crate::logsafe::Escaped;
use crate::oidc_flow::backchannel::{self, Participant};

/// Who to tell, read before the sessions end: `None` when this context cannot tell anyone,
/// `Some(None)` when the store failed (the row says so).
pub(super) type Read = Option<Option<Vec<Participant>>>;

/// Reads [`Read`] for `userid`.
pub(super) async fn participants(ctx: &Ctx<'_>, userid: &str) -> Read {
    ctx.back_channel.and_then(|bc| bc.oidc())?;
    Some(match backchannel::of_member(ctx.store, userid).await {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(userid = %Escaped(userid), error = %Escaped(&e),
                "could not read the leaver's OIDC grants; no back-channel logout is sent to OIDC clients");
            None
        }
    })
}

/// Tells them (the sessions have ended); the `oidc_logout` value of the audit row.
pub(super) async fn tell(ctx: &Ctx<'_>, read: Read) -> Value {
    let sender = ctx.back_channel.and_then(|bc| bc.oidc());
    match (sender, read) {
        (Some(sender), Some(Some(p))) => {
            backchannel::audit_value(&backchannel::tell_all(sender, ctx.store, p, ctx.now).await)
        }
        (Some(_), Some(None)) => json!("participants_unreadable"),
        // Said, not implied: this context cannot sign, so the clients' own sessions are not told.
        _ => json!("back_channel_not_available"),
    }
}
