//! Where a run's address book comes from: the stored directory ([`from_store`], what the periodic
//! sync keeps) when it is current, otherwise read live from WeCom with the app's own Secret
//! ([`from_wecom`]: departments, each department's members, each member as `user/get` returns it,
//! and the tags when asked). Either way each member's profile is built as a sign-in builds it
//! ([`crate::identity::member::profile_of`]), so the SCIM `userName` is the NameID. What WeCom
//! withholds from self-built apps made after 2022-06-20 (email, mobile) is absent, so a NameID from
//! email skips those members, saying why.

use super::plan::{DirDepartment, DirMember, DirTag, Directory};
use crate::identity::directory::BindingPolicy;
use crate::store::{DirectorySnapshot, MemberRow};
use crate::wecom::client::WecomClient;
use crate::wecom::errors::WecomError;
use crate::wecom::types::Member;
use std::collections::BTreeSet;

/// The address book as WeCom shows it to the app now; tags only when `with_tags`.
pub async fn from_wecom(
    client: &WecomClient,
    policy: &BindingPolicy,
    with_tags: bool,
) -> Result<Directory, WecomError> {
    let departments = client.departments().await?;
    let mut userids = BTreeSet::new();
    for d in &departments {
        for m in client.department_members(d.id).await? {
            userids.insert(m.userid);
        }
    }
    let mut members = Vec::new();
    for userid in userids {
        let member = match client.get_user(&userid).await {
            Ok(m) => m,
            // Deleted between the list and the read: not in the address book any more.
            Err(e) if e.is_no_such_user() => continue,
            Err(e) => return Err(e),
        };
        members.push(DirMember {
            active: member.is_active(),
            profile: crate::identity::member::profile_of(client, policy, &member).await,
        });
    }
    let mut tags = Vec::new();
    if with_tags {
        for t in client.tags().await? {
            let m = client.tag_members(t.tagid).await?;
            tags.push(DirTag {
                id: t.tagid,
                name: t.tagname,
                userids: m.userlist.into_iter().map(|u| u.userid).collect(),
                departments: m.partylist,
            });
        }
    }
    Ok(Directory {
        members,
        departments: departments
            .into_iter()
            .map(|d| DirDepartment {
                id: d.id,
                name: d.name,
                parent: d.parentid,
            })
            .collect(),
        tags,
    })
}

/// The address book as the stored directory holds it (the last full sync plus the events since).
pub async fn from_store(
    snapshot: DirectorySnapshot,
    client: &WecomClient,
    policy: &BindingPolicy,
) -> Directory {
    let mut members = Vec::with_capacity(snapshot.members.len());
    for row in snapshot.members {
        let active = row.status.may_sign_in();
        let member = member_of(row);
        members.push(DirMember {
            active,
            profile: crate::identity::member::profile_of(client, policy, &member).await,
        });
    }
    Directory {
        members,
        departments: snapshot
            .departments
            .into_iter()
            .map(|d| DirDepartment {
                id: d.id,
                name: d.name,
                parent: d.parent_id,
            })
            .collect(),
        tags: snapshot
            .tags
            .into_iter()
            .map(|t| DirTag {
                id: t.id,
                name: t.name,
                userids: t.users,
                departments: t.departments,
            })
            .collect(),
    }
}

/// A stored member in the shape `user/get` answers, for the sign-in's profile builder.
fn member_of(row: MemberRow) -> Member {
    Member {
        userid: row.userid,
        name: row.name,
        department: row.departments,
        main_department: row.main_department,
        position: row.position,
        mobile: row.mobile,
        email: row.email,
        biz_mail: row.biz_mail,
        alias: row.alias,
        status: row.status.code(),
        extattr: row.extattr,
        open_userid: row.open_userid,
    }
}
