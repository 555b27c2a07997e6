//! What an app's access and role rules need to know about a member beyond the profile — the
//! department tree and the member's WeCom tags, read (cached) only when a rule needs them — and the
//! pages of the two refusals those rules can give (`access_denied`, `no_role`), shown before any
//! assertion is built.

use crate::apps::App;
use crate::error::WebError;
use crate::identity::roles::{self, MemberTags, TagRef};
use crate::identity::Profile;
use crate::logsafe::Escaped;
use crate::settings::Effective;
use crate::wecom;
use axum::http::StatusCode as Http;

/// Department → parent, from WeCom's (cached) department list, when the app's role rules need the
/// tree. Without it rules match the member's own departments only (never more), so a WeCom error
/// is logged and the login goes on.
pub(super) async fn department_parents(
    effective: &Effective,
    app: &App,
) -> std::collections::HashMap<i64, i64> {
    if !app.settings.roles.needs_departments() && !app.settings.access.needs_departments() {
        return Default::default();
    }
    match effective.client.departments().await {
        Ok(list) => list.iter().map(|d| (d.id, d.parentid)).collect(),
        Err(e) => {
            tracing::warn!(error = %Escaped(&e), app = %app.name, "department list unavailable: role rules see direct departments only");
            Default::default()
        }
    }
}

/// Which of the tags the app's role rules and access rule name the member is in, read from WeCom
/// (`tag/get`, and `tag/list` for rules that name a tag by name; both briefly cached) only when there
/// are such rules. A tag that cannot be read — WeCom error, or no tag of that name — is left out of
/// [`MemberTags::checked`], so its rule grants nothing and lets no other rule stand in for it; the
/// failure is logged for the administrator.
pub(super) async fn member_tags(
    effective: &Effective,
    app: &App,
    profile: &Profile,
    parents: &std::collections::HashMap<i64, i64>,
) -> MemberTags {
    let mut refs = app.settings.roles.tag_refs();
    for t in app.settings.access.tag_refs() {
        if !refs.contains(&t) {
            refs.push(t);
        }
    }
    let mut out = MemberTags::default();
    if refs.is_empty() {
        return out;
    }
    let departments = roles::with_ancestors(&profile.department_ids, parents);
    // Fetched once, and only when a rule names a tag by name.
    let mut names: Option<Option<Vec<wecom::client::Tag>>> = None;
    for r in refs {
        let id = match r {
            TagRef::Id(id) => *id,
            TagRef::Name(name) => {
                let list = match &mut names {
                    Some(list) => list,
                    None => names.insert(match effective.client.tags().await {
                        Ok(list) => Some(list),
                        Err(e) => {
                            tracing::warn!(error = %Escaped(&e), app = %app.name, "WeCom tag list unavailable: rules on tag names grant nothing");
                            None
                        }
                    }),
                };
                let Some(list) = list else { continue };
                match list.iter().find(|t| t.tagname == *name) {
                    Some(t) => t.tagid,
                    None => {
                        tracing::warn!(app = %app.name, tag = %Escaped(&name), "no WeCom tag has this name: its rules grant nothing");
                        continue;
                    }
                }
            }
        };
        match effective.client.tag_members(id).await {
            Ok(members) => {
                out.checked.insert(r.clone());
                if members.contains(&profile.userid, &departments) {
                    out.member_of.insert(r.clone());
                }
            }
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), app = %app.name, tagid = id, "WeCom tag members unavailable: its rules grant nothing");
            }
        }
    }
    out
}

/// The page for a member the app's access rule does not allow (reason `access_denied`).
pub(super) fn access_denied_page(app: &App) -> WebError {
    WebError::member(Http::FORBIDDEN, "access_denied").with_admin_detail(serde_json::json!({
        "error": format!("the app's access rule does not allow this member: widen it in the console or with wecom-idp app set {} --set access=…", app.name),
    }))
}

/// The page for a member no role rule gives a role (reason `no_role`); it names the app's contact
/// when one is set.
pub(super) fn no_role_page(app: &App) -> WebError {
    WebError::member(Http::FORBIDDEN, "no_role")
        .with_contact(app.settings.roles.contact.as_deref())
        .with_admin_detail(serde_json::json!({
            "error": format!("no role rule of the app gives this member a role: edit role_rules (wecom-idp app set {} --set role_rules=…)", app.name),
        }))
}
