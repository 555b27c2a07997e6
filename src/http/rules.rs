//! What an app's access and role rules need to know about a member beyond the profile — the
//! department tree and the member's WeCom tags, read in [`crate::identity::rule_inputs`] — and the
//! pages of the two refusals those rules can give (`access_denied`, `no_role`), shown before any
//! assertion is built.

use crate::apps::App;
use crate::error::WebError;
use crate::identity::roles::MemberTags;
use crate::identity::{rule_inputs, Profile};
use crate::settings::Effective;
use axum::http::StatusCode as Http;

/// Department → parent when the app's rules need the tree (see [`rule_inputs::department_parents`]).
pub(super) async fn department_parents(
    effective: &Effective,
    app: &App,
) -> std::collections::HashMap<i64, i64> {
    rule_inputs::department_parents(&effective.client, app).await
}

/// The member's tags the app's rules name (see [`rule_inputs::member_tags`]); the tags that could
/// not be read are logged there and grant nothing.
pub(super) async fn member_tags(
    effective: &Effective,
    app: &App,
    profile: &Profile,
    parents: &std::collections::HashMap<i64, i64>,
) -> MemberTags {
    rule_inputs::member_tags(&effective.client, app, profile, parents)
        .await
        .0
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
