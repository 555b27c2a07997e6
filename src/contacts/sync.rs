//! The full sync: read the whole visible address book from WeCom, compare it with the stored one,
//! and store the difference in one transaction (a sync that fails half-way, or whose write fails,
//! leaves the stored directory exactly as it was). [`sync_if_due`] is the periodic one: a lease in
//! the sync-status row lets one instance at a time run it, and only when the last success is older
//! than the interval.
//!
//! Reads, with the app's own Secret: `department/list` (the visible departments), `user/list` for
//! each of them (a member in several departments is listed in each; kept once), `tag/list`, then
//! `tag/get` for each tag. A department listed but refused by `user/list` with 60011 (the range
//! covers it only in part) is skipped; any other error ends the sync with nothing written. Members
//! the range covers on their own (`agent/get`'s `allow_userinfos`, or the members of a tag in its
//! `allow_tags`) whose departments are not visible are read one by one with `user/get`.

use std::collections::BTreeMap;

use tracing::{info, warn};

use super::{diff, member_row, tag_row, ContactsError, Ctx, Outcome};
use crate::logsafe::Escaped;
use crate::store::DirectorySnapshot;
use crate::wecom::client::WecomClient;

/// How long a claimed periodic sync may run before another instance may take over (a crashed
/// instance must not stop the sync for long), seconds.
pub const LEASE_SECS: i64 = 900;

/// The visible address book as WeCom holds it now, each list sorted by its key.
pub async fn read_wecom(client: &WecomClient) -> Result<DirectorySnapshot, ContactsError> {
    let mut departments: Vec<_> = client
        .read_departments()
        .await?
        .iter()
        .map(super::department_row)
        .collect();
    departments.sort_by_key(|d| d.id);
    departments.dedup_by_key(|d| d.id);
    let mut members = BTreeMap::new();
    for d in &departments {
        let list = match client.read_department_users(d.id).await {
            Ok(list) => list,
            Err(e) if e.code() == Some(60011) => {
                warn!(department = d.id, "directory sync: department listed but its members are refused (60011); skipped");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for m in &list {
            members
                .entry(m.userid.clone())
                .or_insert_with(|| member_row(m));
        }
    }
    let mut tags = Vec::new();
    let mut list = client.read_tags().await?;
    list.sort_by_key(|t| t.tagid);
    list.dedup_by_key(|t| t.tagid);
    // Members the range covers without covering a department of theirs — put in it one by one,
    // or through a tag in the range — are listed by no department: each is read on its own.
    let app = client.own_app().await?;
    let mut alone: Vec<String> = app
        .allow_userinfos
        .user
        .into_iter()
        .map(|u| u.userid)
        .collect();
    for t in &list {
        // A tag deleted between the two calls is simply not there.
        if let Some(carriers) = client.read_tag(t.tagid).await? {
            if app.allow_tags.tagid.contains(&t.tagid) {
                alone.extend(carriers.userlist.iter().map(|u| u.userid.clone()));
            }
            tags.push(tag_row(t.tagid, &t.tagname, &carriers));
        }
    }
    alone.sort();
    alone.dedup();
    for userid in alone {
        if members.contains_key(&userid) {
            continue;
        }
        if let Some(m) = client.read_user(&userid).await? {
            members.insert(m.userid.clone(), member_row(&m));
        }
    }
    Ok(DirectorySnapshot {
        departments,
        members: members.into_values().collect(),
        tags,
    })
}

/// Reads everything from WeCom and stores the difference; records the start, the result or the
/// error in the sync-status row. Returns what changed.
pub async fn full_sync(ctx: &Ctx<'_>, now: i64) -> Result<Outcome, ContactsError> {
    ctx.store.directory_sync_started(now).await?;
    let result = sync_once(ctx).await;
    match &result {
        Ok((outcome, stored)) => {
            ctx.store.directory_sync_finished(now, *stored).await?;
            info!(
                departments = stored[0],
                members = stored[1],
                tags = stored[2],
                created = outcome.members.created,
                updated = outcome.members.updated,
                removed = outcome.members.removed,
                status_changes = outcome.transitions.len(),
                "directory sync finished"
            );
        }
        Err(e) => {
            warn!(error = %Escaped(e), "directory sync failed; the stored directory is unchanged");
            // The failure itself is what to report; a failing status write is only logged.
            if let Err(se) = ctx.store.directory_sync_failed(now, &e.to_string()).await {
                warn!(error = %se, "directory sync: could not record the failure");
            }
        }
    }
    result.map(|(outcome, _)| outcome)
}

async fn sync_once(ctx: &Ctx<'_>) -> Result<(Outcome, [i64; 3]), ContactsError> {
    let fresh = read_wecom(ctx.client).await?;
    let stored = ctx.store.directory_snapshot().await?;
    if fresh.members.is_empty() && !stored.members.is_empty() {
        return Err(ContactsError::EmptyAnswer {
            stored_members: stored.members.len(),
        });
    }
    let (write, outcome) = diff(&stored, &fresh);
    ctx.store.apply_directory(&write).await?;
    for c in &outcome.changes {
        info!(
            entity = c.entity.as_str(),
            key = %Escaped(&c.key),
            name = %Escaped(&c.name),
            action = c.action.as_str(),
            "directory sync changed an entry"
        );
    }
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let stored = [
        count(fresh.departments.len()),
        count(fresh.members.len()),
        count(fresh.tags.len()),
    ];
    Ok((outcome, stored))
}

/// The periodic sync: runs [`full_sync`] when no other instance holds the lease and the last
/// success is at least `interval_secs` old; `None` when it was not this instance's turn.
pub async fn sync_if_due(
    ctx: &Ctx<'_>,
    holder: &str,
    now: i64,
    interval_secs: i64,
) -> Result<Option<Outcome>, ContactsError> {
    let claimed = ctx
        .store
        .claim_directory_sync(holder, now, now + LEASE_SECS, now - interval_secs)
        .await?;
    if !claimed {
        return Ok(None);
    }
    let result = full_sync(ctx, now).await;
    ctx.store.release_directory_sync(holder).await?;
    result.map(Some)
}
