//! Role rules on WeCom tags end to end: a tag rule grants a cloud role to the
//! tag's members and to the members of its departments (sub-departments included); tags are read
//! from WeCom only for apps with tag rules; first-match and union combine tag rules with the others;
//! and a tag WeCom cannot read grants nothing — first-match refuses the member rather than let a
//! later rule or the default role stand in, union keeps only what the readable rules give.

use crate::both_dbs;
use crate::harness::*;
use wecom_idp::wecom::simulator::{demo_tags, tag};

const ROLE: &str = "https://cloud.tencent.com/SAML/Attributes/Role";

/// The Tencent role value for `role` in the test account.
fn tencent(role: &str) -> String {
    format!(
        "qcs::cam::uin/100012345678:roleName/{role},qcs::cam::uin/100012345678:saml-provider/wecom"
    )
}

/// The demo tags plus `全员 everyone` (tag 4), which tags the root department: every member through
/// their sub-department.
fn seed_tags(env: &Env) {
    let mut tags = demo_tags();
    tags.push(tag(4, "全员 everyone", &[], &[1]));
    env.sim.set_tags(tags);
}

/// (Re)creates the Tencent role app `tencent` as `app add --preset tencent-role` does.
async fn tencent_app(env: &Env, extra: &[&str]) {
    let _ = env.state.store.remove_app("tencent").await.unwrap();
    let mut sets = vec![
        "account_id=100012345678".to_string(),
        "provider_name=wecom".to_string(),
        "role_contact=IT 服务台 it@example.com".to_string(),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    wecom_idp::cli::add_preset_app(
        &env.state.store,
        "tencent",
        "tencent-role",
        None,
        None,
        &sets,
        &*env.clock,
    )
    .await
    .unwrap_or_else(|e| panic!("tencent: {e}"));
}

/// The roles `userid` gets, or `None` when refused with the `no_role` page (nothing posted).
async fn roles_of(env: &Env, userid: &str) -> Option<Vec<String>> {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    let page = b.follow(&format!("{}/apps/tencent/start", env.base)).await;
    match page.form() {
        Some(form) => Some(Saml::of(&form).attribute(ROLE).unwrap_or_default()),
        None => {
            assert_eq!(page.status, 403, "{}", page.body);
            assert_eq!(page.reason().as_deref(), Some("no_role"), "{}", page.body);
            assert!(page.body.contains("it@example.com"));
            None
        }
    }
}

fn want(roles: &[&str]) -> Option<Vec<String>> {
    Some(roles.iter().map(|r| tencent(r)).collect())
}

both_dbs!(a_tag_rule_grants_a_role, tag_rule_grants);
async fn tag_rule_grants(env: Env) {
    seed_tags(&env);
    // No tag rule: WeCom's tags are never read.
    tencent_app(&env, &["role_rules=user:zhangsan=Admin"]).await;
    assert_eq!(roles_of(&env, "zhangsan").await, want(&["Admin"]));
    assert_eq!(env.sim.calls("tag/get") + env.sim.calls("tag/list"), 0);

    // First match: by ID, by name, through a tagged department, through a tagged parent department.
    tencent_app(
        &env,
        &[
            "role_rules=tag:1=Admin|Auditor;tag:审计 auditors=Auditor;tag:3=Ops;tag:全员 everyone=ReadOnly",
        ],
    )
    .await;
    assert_eq!(
        roles_of(&env, "zhangsan").await,
        want(&["Admin", "Auditor"])
    );
    assert_eq!(roles_of(&env, "lisi").await, want(&["Auditor"]));
    // wangwu is tagged on-call by hand; a member of department 3 is in it through the department.
    assert_eq!(roles_of(&env, "wangwu").await, want(&["Ops"]));
    let mut ops = wecom_idp::wecom::simulator::Member::new("zhouba", "周八");
    ops.department = vec![3];
    env.sim.upsert_member(ops);
    assert_eq!(roles_of(&env, "zhouba").await, want(&["Ops"]));
    // Department 4 is tagged through its parent, the root.
    let mut finance = wecom_idp::wecom::simulator::Member::new("wujiu", "吴九");
    finance.department = vec![4];
    env.sim.upsert_member(finance);
    assert_eq!(roles_of(&env, "wujiu").await, want(&["ReadOnly"]));
    assert_eq!(env.sim.calls("tag/list"), 1, "names resolved once (cached)");

    // Union: every matching rule, in rule order, each role once.
    tencent_app(
        &env,
        &[
            "role_rules=tag:1=Admin;user:zhangsan=Billing;tag:审计 auditors=Auditor;tag:3=Ops|Auditor;dept:2=Developer",
            "role_mode=union",
        ],
    )
    .await;
    assert_eq!(
        roles_of(&env, "zhangsan").await,
        want(&["Admin", "Billing", "Developer"])
    );
    assert_eq!(roles_of(&env, "lisi").await, want(&["Auditor", "Ops"]));
    assert_eq!(roles_of(&env, "wangwu").await, want(&["Ops", "Auditor"]));

    // Taking a member out of a tag shows once the short cache (60 s) has passed.
    env.sim
        .set_tags(vec![tag(1, "云管理员 cloud-admins", &[], &[])]);
    env.clock.advance(time::Duration::seconds(61));
    assert_eq!(
        roles_of(&env, "zhangsan").await,
        want(&["Billing", "Developer"])
    );
}

both_dbs!(a_failing_tag_api_grants_nothing, failing_tag_api);
async fn failing_tag_api(env: Env) {
    seed_tags(&env);
    // First match with a default role: the unreadable tag rule comes first, so neither the later
    // department rule nor the default may stand in for it — the member is refused.
    tencent_app(
        &env,
        &["role_rules=tag:1=Admin;dept:2=Developer", "role=ReadOnly"],
    )
    .await;
    env.sim.fail_next("tag/get", 60011, 1);
    assert_eq!(roles_of(&env, "zhangsan").await, None);
    let audit = env.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.reason == "no_role" && r.userid.as_deref() == Some("zhangsan")));
    // A failure is not cached: the next login reads the tag and grants it.
    assert_eq!(roles_of(&env, "zhangsan").await, want(&["Admin"]));

    // Union: the readable rules still count; the unreadable one adds nothing; no default.
    tencent_app(
        &env,
        &[
            "role_rules=tag:2=Auditor;dept:2=Developer",
            "role=ReadOnly",
            "role_mode=union",
        ],
    )
    .await;
    env.sim.fail_next("tag/get", 45009, 1);
    assert_eq!(roles_of(&env, "zhangsan").await, want(&["Developer"]));
    env.sim.fail_next("tag/get", -1, 10);
    assert_eq!(
        roles_of(&env, "wangwu").await,
        None,
        "busy WeCom: no default"
    );
    env.sim.fail_next("tag/get", 0, 0);
    assert_eq!(roles_of(&env, "wangwu").await, want(&["ReadOnly"]));

    // A tag name WeCom does not know, and a tag list that cannot be read, grant nothing either.
    tencent_app(
        &env,
        &[
            "role_rules=tag:no such tag=Admin;tag:审计 auditors=Auditor",
            "role_mode=union",
        ],
    )
    .await;
    assert_eq!(roles_of(&env, "lisi").await, want(&["Auditor"]));
    env.state
        .effective()
        .await
        .unwrap()
        .client
        .invalidate_tags();
    env.sim.fail_next("tag/list", 60020, 1);
    assert_eq!(roles_of(&env, "lisi").await, None);
    // A tag ID that does not exist (40068) is an unreadable tag too.
    tencent_app(&env, &["role_rules=tag:99=Admin", "role=ReadOnly"]).await;
    assert_eq!(roles_of(&env, "lisi").await, None);
}
