//! What an app's access and role rules need to know about a member beyond the profile — the
//! department tree and the member's WeCom tags, read in [`crate::identity::rule_inputs`] — and the
//! pages of the two refusals those rules can give (`access_denied`, `no_role`), shown before any
//! assertion is built.

use crate::apps::App;
use crate::error::{t, WebError};
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
    WebError::new(
        Http::FORBIDDEN,
        "access_denied",
        t("You may not open this app", "你无权打开此应用"),
        t(
            format!("You signed in with WeCom, but the app `{}` is not open to you, so nothing was sent to it.", app.name),
            format!("你已通过企业微信登录，但应用 `{}` 未向你开放，因此没有向它发送任何信息。", app.name),
        ),
    )
    .with_fix(t(
        format!("Ask your administrator to grant you access (wecom-idp app set {} --set access=…).", app.name),
        "请联系管理员为你开通访问权限。",
    ))
}

/// The page for a member no role rule gives a role (reason `no_role`).
pub(super) fn no_role_page(app: &App) -> WebError {
    let contact = app.settings.roles.contact.clone();
    let (who_en, who_zh) = match &contact {
        Some(c) => (c.clone(), c.clone()),
        None => (
            "your WeCom administrator".to_string(),
            "企业微信管理员".to_string(),
        ),
    };
    WebError::new(
        Http::FORBIDDEN,
        "no_role",
        t("No role for you in this console", "你在此控制台没有角色"),
        t(
            format!(
                "You signed in with WeCom, but no role of the app `{}` is assigned to you, so \
                 nothing was sent to the console.",
                app.name
            ),
            format!(
                "你已通过企业微信登录，但应用 `{}` 没有给你分配角色，因此没有向控制台发送任何信息。",
                app.name
            ),
        ),
    )
    .with_fix(t(
        format!("Ask {who_en} to give you a role for `{}` (wecom-idp app set {} --set role_rules=…).", app.name, app.name),
        format!("请联系{who_zh}为你在 `{}` 中分配角色。", app.name),
    ))
}
