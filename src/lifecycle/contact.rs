//! One `change_contact` event turned into [`super::member_changed`]: the status the event carries,
//! or the member re-read from WeCom when it carries none (a member created). A re-read that fails
//! is logged and skipped: the periodic reconciliation repairs what an event could not settle. The
//! stored directory's status transitions (an event applied to it, or a full reconciliation) go
//! through [`on_transitions`].

use super::{cut_off, member_changed, tell_and_audit, Ctx, LifecycleError, Outcome, Trigger};
use crate::contacts::StatusTransition;
use crate::logsafe::Escaped;
use crate::wecom::contact_change::{ContactChange, MemberStatus};

/// Applies the lifecycle rules to one change: `None` when the change is not one they act on (a
/// department or tag, a member's update that does not touch the status) or the member could not be
/// re-read.
pub async fn on_contact_change(
    ctx: &Ctx<'_>,
    change: &ContactChange,
) -> Result<Option<Outcome>, LifecycleError> {
    let trigger = Trigger::Event(change.change_type());
    let (userid, after) = match change {
        ContactChange::UserDeleted { userid } => (userid, None),
        // After a rename the status is the renamed member's.
        ContactChange::UserUpdated {
            userid,
            new_userid,
            status: Some(s),
        } => (new_userid.as_ref().unwrap_or(userid), Some(*s)),
        ContactChange::UserCreated { userid } => match reread(ctx, userid).await {
            Some(after) => (userid, after),
            None => return Ok(None),
        },
        // WeCom names only the fields that changed: no Status, no change of status.
        _ => return Ok(None),
    };
    member_changed(ctx, userid, None, after, trigger)
        .await
        .map(Some)
}

/// The member's status now: `Some(None)` when WeCom says there is no such member, `None` when it
/// could not be asked.
async fn reread(ctx: &Ctx<'_>, userid: &str) -> Option<Option<MemberStatus>> {
    let client = ctx.client?;
    match client.get_user(userid).await {
        Ok(m) => Some(Some(MemberStatus::from_code(m.status))),
        Err(e) if e.is_no_such_user() => Some(None),
        Err(e) => {
            tracing::warn!(userid = %Escaped(userid), error = %Escaped(&e),
                "could not re-read the member an event named; the reconciliation will");
            None
        }
    }
}

/// Applies the rules to each status transition the stored directory saw (a member whose status
/// changed, appeared or vanished); each member's outcome, rejoins first, then leavers in order.
pub async fn on_transitions(
    ctx: &Ctx<'_>,
    transitions: &[StatusTransition],
    trigger: Trigger,
) -> Result<Vec<(String, Outcome)>, LifecycleError> {
    let mut out = Vec::with_capacity(transitions.len());
    // Every leaver is cut off in the database before any app is called: one slow SP or SCIM
    // target must not keep the next leaver's sessions open.
    let mut cuts = Vec::new();
    let mut failed = None;
    for t in transitions {
        if t.after.is_some_and(MemberStatus::may_sign_in) {
            match member_changed(ctx, &t.userid, t.before, t.after, trigger).await {
                Ok(o) => out.push((t.userid.clone(), o)),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            continue;
        }
        match cut_off(ctx, &t.userid, t.before, t.after).await {
            Ok(cut) => cuts.push(cut),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    // Those already cut off are told and audited even when a later one failed.
    for cut in cuts {
        let userid = cut.userid.clone();
        out.push((userid, tell_and_audit(ctx, cut, trigger).await));
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
