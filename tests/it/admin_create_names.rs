//! The names an app's rules name, checked against WeCom when the app is created (the API's
//! `POST /apps` with settings, the console's preset forms), as a settings save checks them: unknown
//! names, or a WeCom that cannot be asked, create nothing and say so; the admin may create it
//! anyway, which is audited.

use crate::admin_apps::{sp, valid_cert};
use crate::both_dbs;
use crate::harness::*;
use serde_json::{json, Value};
use wecom_idp::wecom::simulator::{demo_tags, Fault};

async fn stored(env: &Env, name: &str) -> bool {
    env.state.store.app(name).await.unwrap().is_some()
}

fn new_app(name: &str, settings: Value) -> Value {
    let xml = sp(
        &format!("https://sp.example/{name}"),
        &format!("https://sp.example/{name}/acs"),
        &valid_cert(),
    );
    json!({"name": name, "metadata_xml": xml, "settings": settings})
}

both_dbs!(api_create_checks_names, api_create_body);
// Rule: `POST /apps` whose rules name a department, tag or member WeCom does not know creates
// nothing and answers 409 with the unknown names, as a settings save does; a mistake in the form is
// answered first, without asking WeCom; `force: true` creates it, audited with what WeCom did not
// know; known names create it without asking the admin anything; an unreachable WeCom says so.
async fn api_create_body(env: Env) {
    env.sim.set_tags(demo_tags());
    let api = env.api(&env.api_token("ci").await);
    // WeCom cannot be asked (before anything is cached): not created, and the answer says why.
    env.sim
        .fail_next_with("department/list", Fault::HttpStatus(502), 1);
    let (s, e) = api
        .post("/apps", new_app("hr", json!({"access": "dept:2"})))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "wecom_unreadable");
    assert_eq!(e["error"]["field"], "access");
    assert!(!stored(&env, "hr").await);

    let rules = json!({"role_rules": "user:zhangsn=Admin;tag:运维组=Ops;dept:2=Dev"});
    let (s, e) = api.post("/apps", new_app("crm", rules.clone())).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "rules_unknown_in_wecom");
    assert_eq!(e["error"]["field"], "role_rules");
    assert_eq!(e["unknown"], json!(["user:zhangsn", "tag:运维组"]));
    assert!(!stored(&env, "crm").await, "nothing created");

    // A mistake in the form comes first: WeCom is not asked.
    let calls = env.sim.calls("user/get");
    let mut bad = new_app("crm", rules.clone());
    bad["name"] = json!("Not A Name");
    let (s, e) = api.post("/apps", bad).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(env.sim.calls("user/get"), calls);

    // Names WeCom knows: created.
    let known = json!({"role_rules": "user:zhangsan=Admin;tag:2=Auditor;dept:3=Ops"});
    let (s, v) = api.post("/apps", new_app("crm", known)).await;
    assert_eq!(s, 201, "{v}");
    assert!(forced_rows(&env).await.is_empty());

    // Force: created, and the audit log says who created what WeCom did not know.
    let mut forced = new_app("erp", rules);
    forced["force"] = json!(true);
    let (s, v) = api.post("/apps", forced).await;
    assert_eq!(s, 201, "{v}");
    assert!(stored(&env, "erp").await);
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("erp"));
    assert_eq!(rows[0].actor.as_deref(), Some("token:ci"));
    let detail: Value = serde_json::from_str(rows[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["what"], "role_rules");
    assert_eq!(
        detail["unknown_in_wecom"],
        json!(["user:zhangsn", "tag:运维组"])
    );
}

/// A tencent-role preset form with these role rules (and `force=1` when asked).
fn preset_form<'a>(
    csrf: &'a str,
    rules: &'a str,
    force: bool,
) -> Vec<(&'a str, Option<&'a str>, &'a [u8])> {
    let mut f: Vec<(&str, Option<&str>, &[u8])> = vec![
        ("csrf", None, csrf.as_bytes()),
        ("preset", None, b"tencent-role"),
        ("name", None, b"tc"),
        ("param.account_id", None, b"100012345678"),
        ("param.provider_name", None, b"wecom"),
        ("setting.role_rules", None, rules.as_bytes()),
        ("metadata_xml", None, b""),
    ];
    if force {
        f.push(("force", None, b"1"));
    }
    f
}

both_dbs!(preset_form_checks_names, preset_form_body);
// Rule: a preset form whose role rules name a member WeCom does not know is shown again with the
// refusal beside the rules, everything typed kept and a "continue anyway" button; continuing
// previews the app naming what WeCom did not confirm, and its Save creates the app, audited. A
// Save posted without continuing creates nothing.
async fn preset_form_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let preview = format!("{}/admin/apps/new/preview", env.base);
    let create = format!("{}/admin/apps/new", env.base);
    let rules = "user:zhangsn=Admin";

    let p = b
        .post_multipart(&preview, &preset_form(&csrf, rules, false))
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    let beside = p
        .body
        .split("id=\"error-role_rules\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_string();
    assert!(beside.contains("user:zhangsn"), "{beside}");
    assert!(
        p.body.contains(">user:zhangsn=Admin</textarea>"),
        "typed input kept"
    );
    assert!(
        p.body.contains("id=\"preset-preview-anyway\""),
        "{}",
        p.body
    );
    assert!(!stored(&env, "tc").await);

    // Continue anyway: the preview names what WeCom did not confirm and Save re-submits `force`.
    let p = b
        .post_multipart(&preview, &preset_form(&csrf, rules, true))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains("<th>企业微信未确认</th><td><code>user:zhangsn</code>"),
        "{}",
        p.body
    );
    assert!(p.body.contains("name=\"force\" value=\"1\""), "{}", p.body);
    assert!(!stored(&env, "tc").await);

    // WeCom cannot be asked: continuing anyway names why, in the page's language.
    env.sim
        .fail_next_with("user/get", Fault::HttpStatus(502), 1);
    let p = b
        .post_multipart(&preview, &preset_form(&csrf, rules, true))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let why = p
        .body
        .split("<th>企业微信未确认</th><td><code>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_string();
    assert!(
        why.contains("无法连接企业微信") && !why.contains("WeCom"),
        "{why}"
    );

    // A Save without it is refused beside the field, nothing stored.
    let p = b
        .post_multipart(&create, &preset_form(&csrf, rules, false))
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"error-role_rules\""), "{}", p.body);
    assert!(!stored(&env, "tc").await);
    assert!(forced_rows(&env).await.is_empty());

    // Save from the preview: created, audited.
    let p = b
        .post_multipart(&create, &preset_form(&csrf, rules, true))
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert!(stored(&env, "tc").await);
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("tc"));
    assert_eq!(rows[0].actor.as_deref(), Some("wecom:zhangsan"));
}
