//! What an app's access and role rules need to know about a member beyond the profile: the
//! department tree and the member's WeCom tags, read (cached) only when a rule needs them. Login and
//! the admin's member preview both read them here, so a preview decides on the same inputs.

use super::access::Access;
use super::roles::RoleConfig;
use super::roles::{self, MemberTags, TagRef};
use super::Profile;
use crate::logsafe::Escaped;
use crate::wecom::client::{Tag, WecomClient};
use std::collections::HashMap;

/// The rules of one app these inputs are read for: the app's name (for the administrator's log
/// lines), its role rules and its access rule. The app module implements it for its app type.
pub trait AppRules {
    /// The app's name.
    fn app_name(&self) -> &str;
    /// The app's role rules.
    fn roles(&self) -> &RoleConfig;
    /// The app's access rule.
    fn access(&self) -> &Access;
}

/// Why a tag a rule names was not read: its rules grant nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// WeCom has no tag of this name.
    NoSuchName(String),
    /// WeCom's tag list could not be read (so no tag name could be resolved).
    ListUnavailable,
    /// The members of this tag could not be read (unknown ID, or a WeCom error).
    MembersUnavailable(TagRef),
}

/// Department → parent, from WeCom's (cached) department list, when the app's rules need the tree.
/// Without it rules match the member's own departments only (never more), so a WeCom error is
/// logged and the caller goes on.
pub async fn department_parents(client: &WecomClient, app: &impl AppRules) -> HashMap<i64, i64> {
    if !app.roles().needs_departments() && !app.access().needs_departments() {
        return HashMap::new();
    }
    match client.departments().await {
        Ok(list) => list.iter().map(|d| (d.id, d.parentid)).collect(),
        Err(e) => {
            tracing::warn!(error = %Escaped(&e), app = %app.app_name(), "department list unavailable: role rules see direct departments only");
            HashMap::new()
        }
    }
}

/// Which of the tags the app's role rules and access rule name the member is in, read from WeCom
/// (`tag/get`, and `tag/list` for rules that name a tag by name; both briefly cached) only when there
/// are such rules. A tag that cannot be read — WeCom error, or no tag of that name — is left out of
/// [`MemberTags::checked`], so its rule grants nothing and lets no other rule stand in for it; the
/// failure is logged for the administrator and returned as a [`TagProblem`].
pub async fn member_tags(
    client: &WecomClient,
    app: &impl AppRules,
    profile: &Profile,
    parents: &HashMap<i64, i64>,
) -> (MemberTags, Vec<TagProblem>) {
    let mut refs = app.roles().tag_refs();
    for t in app.access().tag_refs() {
        if !refs.contains(&t) {
            refs.push(t);
        }
    }
    let mut out = MemberTags::default();
    let mut problems = Vec::new();
    if refs.is_empty() {
        return (out, problems);
    }
    let departments = roles::with_ancestors(&profile.department_ids, parents);
    // Fetched once, and only when a rule names a tag by name.
    let mut names: Option<Option<Vec<Tag>>> = None;
    for r in refs {
        let id = match r {
            TagRef::Id(id) => *id,
            TagRef::Name(name) => {
                match tag_named(client, app.app_name(), name, &mut names, &mut problems).await {
                    Some(id) => id,
                    None => continue,
                }
            }
        };
        match client.tag_members(id).await {
            Ok(members) => {
                out.checked.insert(r.clone());
                if members.contains(&profile.userid, &departments) {
                    out.member_of.insert(r.clone());
                }
            }
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), app = %app.app_name(), tagid = id, "WeCom tag members unavailable: its rules grant nothing");
                problems.push(TagProblem::MembersUnavailable(r.clone()));
            }
        }
    }
    (out, problems)
}

/// The ID of the tag named `name`, from WeCom's tag list (read at most once per call of
/// [`member_tags`], kept in `names`); `None`, with the problem logged and recorded, when the list
/// cannot be read or has no tag of that name.
async fn tag_named(
    client: &WecomClient,
    app: &str,
    name: &str,
    names: &mut Option<Option<Vec<Tag>>>,
    problems: &mut Vec<TagProblem>,
) -> Option<i64> {
    let list = match names {
        Some(list) => list,
        None => names.insert(match client.tags().await {
            Ok(list) => Some(list),
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), app = %app, "WeCom tag list unavailable: rules on tag names grant nothing");
                problems.push(TagProblem::ListUnavailable);
                None
            }
        }),
    };
    let list = list.as_ref()?;
    match list.iter().find(|t| t.tagname == *name) {
        Some(t) => Some(t.tagid),
        None => {
            tracing::warn!(app = %app, tag = %Escaped(&name), "no WeCom tag has this name: its rules grant nothing");
            problems.push(TagProblem::NoSuchName(name.to_string()));
            None
        }
    }
}
