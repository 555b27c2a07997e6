//! The admin's member preview ("what would 张三 receive from this app"), API and console: it gives
//! what a real login gives (decision and reason, NameID, attributes, roles), writes nothing, reports
//! rules that name users or tags WeCom does not have, and refuses unknown members clearly.

use crate::both_dbs;
use crate::harness::*;
use serde_json::{json, Value};

/// The preview of `userid` for `app` through the API.
async fn preview(api: &Api, app: &str, userid: &str) -> (u16, Value) {
    api.get(&format!("/apps/{app}/preview?userid={}", enc(userid)))
        .await
}

/// The preview's attributes as (name, values), in order.
fn attributes_of(p: &Value) -> Vec<(String, Vec<String>)> {
    p["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let values = a["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            (a["name"].as_str().unwrap().to_string(), values)
        })
        .collect()
}

async fn login_rows(env: &Env) -> usize {
    env.audit()
        .await
        .iter()
        .filter(|r| r.event == "login" || r.event == "bind")
        .count()
}

both_dbs!(
    allowed_member_matches_login,
    allowed_member_matches_login_body
);
// Rule: an allowed member's preview has the NameID, every attribute and the roles a real login then
// sends, and the preview itself writes nothing (no account, no binding, no audit row).
async fn allowed_member_matches_login_body(env: Env) {
    env.add_app(
        "wiki",
        &[
            "nameid_format=email",
            "attributes=userid,email=mail,name=displayName,department_ids=dept,const:x=fixed,template:{role}@wiki=roles",
            "role_rules=user:zhangsan=Admin|Auditor;dept:3=Ops",
        ],
    )
    .await;
    let api = env.api(&env.api_token("ci").await);
    let (s, p) = preview(&api, "wiki", "zhangsan").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["decision"], "allowed", "{p}");
    assert!(p["reason"].is_null(), "{p}");
    assert_eq!(p["name"], "张三");
    assert_eq!(p["account"], "create", "{p}");
    assert_eq!(p["roles"], json!(["Admin", "Auditor"]));
    // user/get gives no email (as for WeCom apps made after 2022-06-20): the NameID and `mail`
    // come from the sign-in, and the preview says so rather than refusing.
    assert_eq!(p["name_id"]["kind"], "given_at_sign_in", "{p}");
    assert_eq!(p["sign_in_only"], json!(["email", "mobile"]));
    assert_eq!(
        p["name_id"]["format"],
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert_eq!(p["mount_url"], format!("{}/apps/wiki/start", env.base));
    assert_eq!(p["homepage_url"], p["mount_url"]);
    assert_eq!(p["warnings"], json!([]));
    let attrs = attributes_of(&p);
    assert!(
        attrs.contains(&(
            "roles".into(),
            vec!["Admin@wiki".into(), "Auditor@wiki".into()]
        )),
        "{attrs:?}"
    );
    assert!(
        attrs.contains(&("fixed".into(), vec!["x".into()])),
        "{attrs:?}"
    );
    // Looking wrote nothing: no account was created, no login or binding audited.
    assert_eq!(api.get("/users/zhangsan").await.0, 404);
    assert_eq!(login_rows(&env).await, 0);

    assert!(!attrs.iter().any(|(n, _)| n == "mail"), "{attrs:?}");
    assert!(
        attrs.contains(&("userid".into(), vec!["zhangsan".into()])),
        "{attrs:?}"
    );

    // After a sign-in the account holds the email: the preview now shows exactly what the real
    // login sent.
    let form = env
        .login_in_client(&env.browser(WXWORK_UA), "wiki", "zhangsan")
        .await;
    let saml = Saml::of(&form);
    let (_, p) = preview(&api, "wiki", "zhangsan").await;
    assert_eq!(p["account"], "bound", "{p}");
    assert_eq!(p["username"], "zhangsan");
    assert_eq!(p["sign_in_only"], json!([]), "{p}");
    assert_eq!(p["name_id"]["kind"], "fixed");
    assert_eq!(p["name_id"]["value"], saml.name_id());
    assert_eq!(attributes_of(&p), saml.attributes());

    // Another member, other rules: lisi's department gives Ops.
    let form = env
        .login_in_client(&env.browser(WXWORK_UA), "wiki", "lisi")
        .await;
    let (_, p) = preview(&api, "wiki", "lisi").await;
    assert_eq!(p["roles"], json!(["Ops"]), "{p}");
    assert_eq!(attributes_of(&p), Saml::of(&form).attributes());
}

both_dbs!(name_id_kinds, name_id_kinds_body);
// Rule: a persistent NameID is shown once assigned (the value login sends) and is not assigned by a
// preview; a transient one is new at every login.
async fn name_id_kinds_body(env: Env) {
    env.add_app("pers", &["nameid_format=persistent"]).await;
    env.add_app("tran", &["nameid_format=transient"]).await;
    let api = env.api(&env.api_token("ci").await);
    let (s, p) = preview(&api, "pers", "zhangsan").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["name_id"]["kind"], "assigned_at_first_login", "{p}");
    assert!(p["name_id"]["value"].is_null());
    // A second look still finds none: the preview did not assign one.
    let (_, p) = preview(&api, "pers", "zhangsan").await;
    assert_eq!(p["name_id"]["kind"], "assigned_at_first_login", "{p}");
    let form = env
        .login_in_client(&env.browser(WXWORK_UA), "pers", "zhangsan")
        .await;
    let (_, p) = preview(&api, "pers", "zhangsan").await;
    assert_eq!(p["name_id"]["kind"], "fixed", "{p}");
    assert_eq!(p["name_id"]["value"], Saml::of(&form).name_id());

    let (_, p) = preview(&api, "tran", "zhangsan").await;
    assert_eq!(p["name_id"]["kind"], "new_each_login", "{p}");
    assert!(p["name_id"]["value"].is_null());
    assert_eq!(
        p["name_id"]["format"],
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    );
}

both_dbs!(refused_members, refused_members_body);
// Rule: a member the rules refuse is previewed as refused with login's own reason code (access rule,
// no role for a role-SSO app, a WeCom member who is not active), and nothing is released.
async fn refused_members_body(env: Env) {
    env.add_app("ops", &["access=user:lisi", "attributes=userid"])
        .await;
    wecom_idp::cli::add_preset_app(
        &env.state.store,
        "tencent",
        "tencent-role",
        None,
        None,
        &[
            "account_id=100012345678".to_string(),
            "provider_name=wecom".to_string(),
            "role_rules=user:zhangsan=Admin".to_string(),
        ],
        &*env.clock,
    )
    .await
    .unwrap();
    let api = env.api(&env.api_token("ci").await);

    let (s, p) = preview(&api, "ops", "zhangsan").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["decision"], "refused", "{p}");
    assert_eq!(p["reason"], "access_denied");
    assert!(p["name_id"].is_null());
    assert_eq!(p["attributes"], json!([]));
    let (_, p) = preview(&api, "ops", "lisi").await;
    assert_eq!(p["decision"], "allowed", "{p}");

    let (_, p) = preview(&api, "tencent", "lisi").await;
    assert_eq!(p["decision"], "refused", "{p}");
    assert_eq!(p["reason"], "no_role");
    let (_, p) = preview(&api, "tencent", "zhangsan").await;
    assert_eq!(p["decision"], "allowed", "{p}");
    assert_eq!(p["roles"], json!(["Admin"]));

    // zhaoliu is disabled in WeCom.
    let (_, p) = preview(&api, "ops", "zhaoliu").await;
    assert_eq!(p["decision"], "refused", "{p}");
    assert_eq!(p["reason"], "member_not_active");

    // The real login agrees with the preview's reason.
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = b.follow(&format!("{}/apps/ops/start", env.base)).await;
    assert_eq!(
        page.reason().as_deref(),
        Some("access_denied"),
        "{}",
        page.body
    );
}

both_dbs!(disabled_account, disabled_account_body);
// Rule: a member whose account is disabled is previewed as refused (`account_disabled`), as login
// refuses them.
async fn disabled_account_body(env: Env) {
    env.add_app("wiki", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    env.login_in_client(&env.browser(WXWORK_UA), "wiki", "zhangsan")
        .await;
    let (s, u) = api
        .patch("/users/zhangsan", json!({"status": "disabled"}))
        .await;
    assert_eq!(s, 200, "{u}");
    let (s, p) = preview(&api, "wiki", "zhangsan").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["decision"], "refused", "{p}");
    assert_eq!(p["reason"], "account_disabled");
    assert_eq!(p["account"], "bound");
    assert!(p["name_id"].is_null());
}

both_dbs!(
    unknown_member_and_bad_input,
    unknown_member_and_bad_input_body
);
// Rule: an unknown userid is a 404 naming the field and the fix; a malformed or missing one a 400;
// an unknown app a 404; without a token a 401; the operation is in the OpenAPI document.
async fn unknown_member_and_bad_input_body(env: Env) {
    env.add_app("wiki", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    let (s, e) = preview(&api, "wiki", "zhangsn").await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(e["error"]["code"], "not_found");
    assert_eq!(e["error"]["field"], "userid");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("zhangsn") && msg.contains("userid"), "{msg}");
    let (s, e) = preview(&api, "wiki", "张三").await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "userid");
    let (s, e) = api.get("/apps/wiki/preview").await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "userid");
    let (s, e) = preview(&api, "nope", "zhangsan").await;
    assert_eq!(s, 404, "{e}");
    assert!(e["error"]["field"].is_null());

    let anonymous = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/apps/wiki/preview?userid=zhangsan",
            env.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let bad = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/apps/wiki/preview?userid=zhangsan",
            env.base
        ))
        .bearer_auth("wip_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);

    let (_, doc) = api.get("/openapi.json").await;
    let op = &doc["paths"]["/api/v1/apps/{name}/preview"]["get"];
    assert!(op.is_object(), "not documented");
    for code in ["200", "400", "401", "404", "502"] {
        assert!(op["responses"][code].is_object(), "{code} not documented");
    }
    assert!(doc["components"]["schemas"]["MemberPreview"].is_object());
}

both_dbs!(rule_warnings, rule_warnings_body);
// Rule: role and access rules naming a userid or a tag WeCom does not have are reported as warnings
// (they grant nothing); rules naming real ones are not.
async fn rule_warnings_body(env: Env) {
    env.sim.set_tags(wecom_idp::wecom::simulator::demo_tags());
    env.add_app(
        "ops",
        &[
            "role_rules=user:zhangsn=Admin;tag:运维组=Ops;tag:审计 auditors=Audit;user:lisi=Ops",
            "access=user:wangwu;user:nobody1;tag:云管理员 cloud-admins",
        ],
    )
    .await;
    let api = env.api(&env.api_token("ci").await);
    let (s, p) = preview(&api, "ops", "wangwu").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["decision"], "allowed", "{p}");
    assert_eq!(
        p["warnings"],
        json!([
            "user zhangsn not found in WeCom: its rules grant nothing",
            "user nobody1 not found in WeCom: its rules grant nothing",
            "tag 运维组 not found in WeCom: its rules grant nothing",
        ]),
        "{p}"
    );
}

both_dbs!(console_page, console_page_body);
// Rule: the app page links to the member preview; the preview page shows the decision, NameID,
// attributes and roles in Chinese and English, and an unknown userid as an error with the input kept.
async fn console_page_body(env: Env) {
    env.add_app(
        "wiki",
        &[
            "attributes=email=mail",
            "role_rules=user:lisi=Editor",
            "access=user:lisi",
        ],
    )
    .await;
    let (b, _) = env.admin_browser("zhangsan").await;
    let app_page = b.get(&format!("{}/admin/apps/wiki", env.base)).await;
    assert!(
        app_page
            .body
            .contains("href=\"/admin/apps/wiki/member-preview\""),
        "{}",
        app_page.body
    );
    let url = |u: &str| format!("{}/admin/apps/wiki/member-preview?userid={u}", env.base);
    let empty = b
        .get(&format!("{}/admin/apps/wiki/member-preview", env.base))
        .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("预览成员"));
    assert!(!empty.body.contains("preview-result"));

    let zh = b.get(&url("lisi")).await;
    assert_eq!(zh.status, 200, "{}", zh.body);
    assert!(zh.body.contains("data-decision=\"allowed\""), "{}", zh.body);
    assert!(zh.body.contains("允许"), "{}", zh.body);
    assert!(zh.body.contains("李四"));
    assert!(zh.body.contains("Editor"));
    let refused = b.get(&url("zhangsan")).await;
    assert!(refused.body.contains("data-decision=\"refused\""));
    assert!(refused.body.contains("access_denied"));
    assert!(refused.body.contains("应用的访问规则不允许该成员"));

    let mut en = b.clone_with_cookies();
    en.accept_language = Some("en".into());
    let page = en.get(&url("lisi")).await;
    assert!(
        page.body.contains("Allowed: a Response would be sent"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Preview a member"));

    let unknown = b.get(&url("zhangsn")).await;
    assert_eq!(unknown.status, 200);
    assert!(
        unknown
            .body
            .contains("企业微信中没有 userid 为 zhangsn 的成员"),
        "{}",
        unknown.body
    );
    assert!(unknown.body.contains("value=\"zhangsn\""));
    let unknown_en = en.get(&url("zhangsn")).await;
    assert!(unknown_en
        .body
        .contains("WeCom has no member with the userid zhangsn"));
    assert_eq!(
        b.get(&format!(
            "{}/admin/apps/nope/member-preview?userid=lisi",
            env.base
        ))
        .await
        .status,
        404
    );

    // Without a console session: the sign-in, not the preview.
    let anon = env.browser(CHROME_UA);
    let page = anon.get(&url("lisi")).await;
    assert!(!page.body.contains("preview-result"));
    assert!(!page.body.contains("李四"));
}
