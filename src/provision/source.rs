//! Where a run's address book comes from until the stored directory lands: read live from WeCom
//! with the app's own Secret (departments, each department's members, each member as `user/get`
//! returns it, and the tags when asked), each member's profile built as a sign-in builds it
//! ([`crate::identity::member::profile_of`]). What WeCom withholds from self-built apps made after
//! 2022-06-20 (email, mobile) is absent, so a NameID from email skips those members, saying why.

use super::plan::{DirDepartment, DirMember, DirTag, Directory};
use crate::identity::directory::BindingPolicy;
use crate::wecom::client::WecomClient;
use crate::wecom::errors::WecomError;
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
