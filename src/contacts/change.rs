//! One `change_contact` event applied: the event is a hint, so what it names is read again from
//! WeCom and the stored entry replaced by that answer — or removed when WeCom no longer has it in
//! the visible range. An event that arrives late or twice therefore stores what WeCom holds now,
//! never an older state. A tag created or deleted sends no event (WeCom has none); the periodic
//! full sync picks those up.

use tracing::info;

use super::{department_row, diff, member_row, tag_row, ContactsError, Ctx, Outcome};
use crate::logsafe::Escaped;
use crate::store::DirectorySnapshot;
use crate::wecom::contact_change::ContactChange;

/// Re-reads what `change` names, stores it, and says what changed (with the members' status
/// transitions). `now` is when the event was received (for the log; WeCom's answer is the truth).
pub async fn apply_change(
    ctx: &Ctx<'_>,
    change: &ContactChange,
    now: i64,
) -> Result<Outcome, ContactsError> {
    let (stored, fresh) = match change {
        ContactChange::UserCreated { userid } | ContactChange::UserDeleted { userid } => {
            members(ctx, &[userid.as_str()]).await?
        }
        ContactChange::UserUpdated {
            userid, new_userid, ..
        } => {
            let mut names = vec![userid.as_str()];
            names.extend(new_userid.as_deref());
            members(ctx, &names).await?
        }
        ContactChange::DepartmentCreated { id }
        | ContactChange::DepartmentUpdated { id }
        | ContactChange::DepartmentDeleted { id } => department(ctx, *id).await?,
        ContactChange::TagUpdated { tagid } => tag(ctx, *tagid).await?,
    };
    let (write, outcome) = diff(&stored, &fresh);
    ctx.store.apply_directory(&write).await?;
    info!(
        change = change.change_type(),
        received_at = now,
        changed = outcome.changes.len(),
        status_changes = outcome.transitions.len(),
        entries = %Escaped(
            outcome
                .changes
                .iter()
                .map(|c| format!("{} {} {}", c.entity.as_str(), c.key, c.action.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "directory change applied"
    );
    Ok(outcome)
}

/// The named members as stored and as WeCom has them now.
async fn members(
    ctx: &Ctx<'_>,
    userids: &[&str],
) -> Result<(DirectorySnapshot, DirectorySnapshot), ContactsError> {
    let mut stored = DirectorySnapshot::default();
    let mut fresh = DirectorySnapshot::default();
    for userid in userids {
        stored
            .members
            .extend(ctx.store.directory_member(userid).await?);
        // After a rename WeCom answers for the new userid only; the old one reads as absent.
        fresh
            .members
            .extend(ctx.client.read_user(userid).await?.as_ref().map(member_row));
    }
    Ok((stored, fresh))
}

async fn department(
    ctx: &Ctx<'_>,
    id: i64,
) -> Result<(DirectorySnapshot, DirectorySnapshot), ContactsError> {
    let stored = DirectorySnapshot {
        departments: ctx
            .store
            .directory_department(id)
            .await?
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let fresh = DirectorySnapshot {
        departments: ctx
            .client
            .read_department(id)
            .await?
            .as_ref()
            .map(department_row)
            .into_iter()
            .collect(),
        ..Default::default()
    };
    Ok((stored, fresh))
}

async fn tag(
    ctx: &Ctx<'_>,
    tagid: i64,
) -> Result<(DirectorySnapshot, DirectorySnapshot), ContactsError> {
    let stored = DirectorySnapshot {
        tags: ctx.store.directory_tag(tagid).await?.into_iter().collect(),
        ..Default::default()
    };
    // tag/get names the tag as well, so no tag/list is needed.
    let fresh = DirectorySnapshot {
        tags: ctx
            .client
            .read_tag(tagid)
            .await?
            .map(|t| tag_row(tagid, "", &t))
            .into_iter()
            .collect(),
        ..Default::default()
    };
    Ok((stored, fresh))
}
