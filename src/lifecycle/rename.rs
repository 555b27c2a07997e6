//! A member's userid renamed in WeCom (`update_user` with `NewUserID`). WeCom lets an admin change a
//! userid once; the person is the same, so the rule is not a leave plus a join (which would disable
//! their account): the binding, the lifecycle hold, the pairwise subjects and an admin's right move
//! to the new userid ([`crate::store::Store::rename_member`]), and the IdP sessions under the old
//! userid end — they carry the old userid, which the apps were given as NameID or `sub`, so the
//! member signs in once more under the new one. Audited as `member_renamed`.
//!
//! Only an event says a userid was renamed: a full sync sees the old userid gone and a new one
//! present, with nothing that ties them (a self-built app gets no stable ID beside the userid), and
//! then the leaver rule acts on the old userid.

use super::{audit, Ctx, LifecycleError, Outcome, Trigger};
use crate::logsafe::Escaped;
use crate::store::AuditKind;
use serde_json::json;

/// Moves what the IdP keeps under `old` to `new` and ends the old userid's sessions.
pub async fn member_renamed(
    ctx: &Ctx<'_>,
    old: &str,
    new: &str,
    trigger: Trigger,
) -> Result<Outcome, LifecycleError> {
    if old == new {
        return Ok(Outcome::Unchanged);
    }
    let moved = ctx.store.rename_member(ctx.corp_id, old, new).await?;
    let sessions_ended = ctx.store.delete_sessions_of(old).await?;
    let binding = if moved.binding {
        "moved"
    } else if moved.binding_conflict {
        "new_userid_already_bound"
    } else {
        "no_binding"
    };
    tracing::info!(
        from = %Escaped(old), to = %Escaped(new), trigger = trigger.as_str(), binding,
        pairwise = moved.pairwise, admin = moved.admin, sessions_ended,
        "member's userid renamed in WeCom: kept data moved to the new userid"
    );
    let detail = json!({
        "trigger": trigger.as_str(), "from": old, "to": new, "binding": binding,
        "lifecycle_hold_moved": moved.hold, "pairwise_moved": moved.pairwise,
        "admin": moved.admin, "sessions_ended": sessions_ended,
    });
    audit(ctx, AuditKind::MemberRenamed, new, "userid_renamed", detail).await;
    Ok(Outcome::Renamed { sessions_ended })
}
