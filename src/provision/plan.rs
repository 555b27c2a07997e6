//! The planner: from the address book (plain members, departments and tags), the app's rules and
//! what was last sent, the changes a run makes. Who is in scope is decided by
//! [`crate::assertion::decide`], the function a sign-in uses, and the `userName` is the NameID
//! value the sign-in would send ([`crate::assertion::name_id_value`] over the same context), so the
//! provisioned user and the signed-in user cannot differ. Nothing here talks to the network.

use super::resource;
use crate::apps::{App, ProvisionGroups};
use crate::identity::access::Access;
use crate::identity::roles::{with_ancestors, MemberTags, TagRef};
use crate::identity::{Profile, Source};
use crate::login::release::Release;
use crate::store::ScimResourceRow;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One member of the address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirMember {
    /// The member (department IDs and names filled in).
    pub profile: Profile,
    /// WeCom status 1 (active): only active members are provisioned.
    pub active: bool,
}

/// One department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirDepartment {
    /// Its ID.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its parent's ID (0 for the root).
    pub parent: i64,
}

/// One tag with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirTag {
    /// Its ID.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Members tagged directly.
    pub userids: Vec<String>,
    /// Departments tagged as a whole (their sub-departments too).
    pub departments: Vec<i64>,
}

/// The address book a run plans from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// Members.
    pub members: Vec<DirMember>,
    /// Departments.
    pub departments: Vec<DirDepartment>,
    /// Tags (read only when the app's rules or groups need them).
    pub tags: Vec<DirTag>,
}

/// What a run does to one resource at the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A user not sent before: looked up by `userName`, created when the app has none.
    CreateUser {
        /// The WeCom userid.
        userid: String,
        /// The resource.
        body: Value,
    },
    /// A user sent before whose resource changed (or who comes back): replaced.
    UpdateUser {
        /// The WeCom userid.
        userid: String,
        /// The app's ID of the user.
        remote_id: String,
        /// The resource.
        body: Value,
    },
    /// A user sent before who is no longer in scope: `active` set to false (never deleted).
    DeactivateUser {
        /// The WeCom userid.
        userid: String,
        /// The app's ID of the user.
        remote_id: String,
    },
    /// A group to create or replace, with its members by userid (their remote IDs are known
    /// only once the users are sent).
    PutGroup {
        /// `dept:ID` or `tag:ID`.
        key: String,
        /// The group's name.
        display_name: String,
        /// Its members' userids, sorted.
        members: Vec<String>,
        /// The app's ID of the group, when sent before.
        remote_id: Option<String>,
    },
}

impl Change {
    /// The change in words, for the dry run, the log and the audit reason.
    pub fn describe(&self) -> String {
        match self {
            Self::CreateUser { userid, body } => {
                format!("create user {userid} (userName {})", body["userName"])
            }
            Self::UpdateUser { userid, body, .. } => {
                format!("update user {userid} (userName {})", body["userName"])
            }
            Self::DeactivateUser { userid, .. } => format!("deactivate user {userid}"),
            Self::PutGroup {
                key,
                display_name,
                members,
                remote_id,
            } => format!(
                "{} group {key} \"{display_name}\" with {} member(s)",
                if remote_id.is_some() {
                    "update"
                } else {
                    "create"
                },
                members.len()
            ),
        }
    }

    /// The audit reason of the change (each has its label in [`crate::text::REASONS`]).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::CreateUser { .. } => "scim_create_user",
            Self::UpdateUser { .. } => "scim_update_user",
            Self::DeactivateUser { .. } => "scim_deactivate_user",
            Self::PutGroup { .. } => "scim_put_group",
        }
    }

    /// The hash recorded once this change is made (a group's over its members' userids).
    pub fn hash(&self) -> String {
        match self {
            Self::CreateUser { body, .. } | Self::UpdateUser { body, .. } => resource::hash(body),
            Self::DeactivateUser { .. } => resource::hash(&resource::deactivation()),
            Self::PutGroup {
                key,
                display_name,
                members,
                ..
            } => resource::hash(&resource::group(key, display_name, members)),
        }
    }
}

/// A member in scope whose NameID has no value (e.g. no email): not provisioned, and said why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The WeCom userid.
    pub userid: String,
    /// Why.
    pub reason: String,
}

/// What a run will do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Users first (groups refer to them), then groups.
    pub changes: Vec<Change>,
    /// Members in scope who cannot be provisioned.
    pub skipped: Vec<Skipped>,
}

/// The changes that bring the app to the directory.
pub fn plan(app: &App, dir: &Directory, default_access: &Access, sent: &[ScimResourceRow]) -> Plan {
    let parents: HashMap<i64, i64> = dir.departments.iter().map(|d| (d.id, d.parent)).collect();
    let sent_of = |kind: &str| -> BTreeMap<&str, &ScimResourceRow> {
        sent.iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.local_key.as_str(), r))
            .collect()
    };
    let (users_sent, groups_sent) = (sent_of("user"), sent_of("group"));
    let mut out = Plan::default();
    let mut in_scope: Vec<&DirMember> = Vec::new();
    for m in dir.members.iter().filter(|m| m.active) {
        let tags = member_tags(app, dir, &m.profile, &parents);
        let Ok(granted) =
            crate::assertion::decide(app, &m.profile, &parents, &tags, default_access)
        else {
            continue;
        };
        let release = Release {
            roles: granted.roles,
            session_name: granted.session_name,
            subject: String::new(),
        };
        let values = release.context(app, &m.profile, None);
        let user_name = match crate::assertion::name_id_value(app, &values) {
            Ok(Some(v)) => v,
            Ok(None) | Err(_) => {
                out.skipped.push(Skipped {
                    userid: m.profile.userid.clone(),
                    reason: format!(
                        "the member has no {} for the user name (the NameID)",
                        app.settings.name_id_source.label()
                    ),
                });
                continue;
            }
        };
        in_scope.push(m);
        let body = resource::user(&m.profile, &user_name, releases_email(app), true);
        let userid = m.profile.userid.clone();
        match users_sent.get(userid.as_str()) {
            None => out.changes.push(Change::CreateUser { userid, body }),
            Some(row) if row.sent_hash != resource::hash(&body) => {
                out.changes.push(Change::UpdateUser {
                    userid,
                    remote_id: row.remote_id.clone(),
                    body,
                })
            }
            Some(_) => {}
        }
    }
    let kept: BTreeSet<&str> = in_scope.iter().map(|m| m.profile.userid.as_str()).collect();
    for (userid, row) in &users_sent {
        if row.active == 1 && !kept.contains(userid) {
            out.changes.push(Change::DeactivateUser {
                userid: userid.to_string(),
                remote_id: row.remote_id.clone(),
            });
        }
    }
    let groups = wanted_groups(app.settings.provision_groups, dir, &in_scope, &parents);
    push_groups(&mut out, groups, &groups_sent, dir);
    out
}

/// The group changes: every wanted group whose content changed, and every group sent before that
/// is no longer wanted, emptied (kept at the app, never deleted).
fn push_groups(
    out: &mut Plan,
    mut wanted: BTreeMap<String, (String, Vec<String>)>,
    groups_sent: &BTreeMap<&str, &ScimResourceRow>,
    dir: &Directory,
) {
    for key in groups_sent.keys() {
        wanted
            .entry(key.to_string())
            .or_insert_with(|| (group_name(dir, key), Vec::new()));
    }
    for (key, (display_name, members)) in wanted {
        let change = Change::PutGroup {
            remote_id: groups_sent.get(key.as_str()).map(|r| r.remote_id.clone()),
            key: key.clone(),
            display_name,
            members,
        };
        let unchanged = groups_sent
            .get(key.as_str())
            .is_some_and(|r| r.sent_hash == change.hash());
        if !unchanged {
            out.changes.push(change);
        }
    }
}

/// A group's name from the directory; its key when the department or tag is gone.
fn group_name(dir: &Directory, key: &str) -> String {
    let found = match key.split_once(':') {
        Some(("dept", id)) => dir
            .departments
            .iter()
            .find(|d| d.id.to_string() == id)
            .map(|d| d.name.clone()),
        Some(("tag", id)) => dir
            .tags
            .iter()
            .find(|t| t.id.to_string() == id)
            .map(|t| t.name.clone()),
        _ => None,
    };
    found.unwrap_or_else(|| key.to_string())
}

/// The groups the app gets: key → (display name, sorted member userids).
fn wanted_groups(
    which: ProvisionGroups,
    dir: &Directory,
    in_scope: &[&DirMember],
    parents: &HashMap<i64, i64>,
) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    match which {
        ProvisionGroups::None => {}
        ProvisionGroups::Departments => {
            let names: HashMap<i64, &str> = dir
                .departments
                .iter()
                .map(|d| (d.id, d.name.as_str()))
                .collect();
            for m in in_scope {
                for d in &m.profile.department_ids {
                    let name = names.get(d).map(|n| n.to_string()).unwrap_or(d.to_string());
                    let entry = out.entry(format!("dept:{d}")).or_insert((name, Vec::new()));
                    entry.1.push(m.profile.userid.clone());
                }
            }
        }
        ProvisionGroups::Tags => {
            for t in &dir.tags {
                let members: Vec<String> = in_scope
                    .iter()
                    .filter(|m| in_tag(t, &m.profile, parents))
                    .map(|m| m.profile.userid.clone())
                    .collect();
                if !members.is_empty() {
                    out.insert(format!("tag:{}", t.id), (t.name.clone(), members));
                }
            }
        }
    }
    for (_, members) in out.values_mut() {
        members.sort();
        members.dedup();
    }
    out
}

/// Whether the member is in the tag: tagged directly, or in a tagged department or below one.
fn in_tag(t: &DirTag, p: &Profile, parents: &HashMap<i64, i64>) -> bool {
    t.userids.contains(&p.userid)
        || with_ancestors(&p.department_ids, parents)
            .iter()
            .any(|d| t.departments.contains(d))
}

/// The member's tags as a sign-in reads them, for the tags the app's rules name: a tag the
/// directory does not hold is not checked, so it grants nothing (as at sign-in).
fn member_tags(app: &App, dir: &Directory, p: &Profile, parents: &HashMap<i64, i64>) -> MemberTags {
    let mut refs = app.settings.access.tag_refs();
    refs.extend(app.settings.roles.tag_refs());
    let mut out = MemberTags::default();
    for r in refs {
        let found = dir.tags.iter().find(|t| match r {
            TagRef::Id(id) => t.id == *id,
            TagRef::Name(n) => t.name == *n,
        });
        if let Some(t) = found {
            out.checked.insert(r.clone());
            if in_tag(t, p, parents) {
                out.member_of.insert(r.clone());
            }
        }
    }
    out
}

/// Whether the app releases the member's email (then it is provisioned too).
fn releases_email(app: &App) -> bool {
    app.settings.name_id_source == Source::Email
        || app
            .settings
            .attributes
            .iter()
            .any(|a| a.source == Source::Email)
}
