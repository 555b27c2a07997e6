//! The WeCom address book behind the rule pickers (`/api/v1/wecom/directory/…`), and the check of
//! names against WeCom on save: app access and role rules, admins, account bindings. An unknown
//! name or an unreachable WeCom refuses the save with a clear answer; `force` saves anyway, audited.

use crate::both_dbs;
use crate::harness::*;
use serde_json::{json, Value};
use wecom_idp::wecom::simulator::{demo_tags, Fault};

fn tokens(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["token"].as_str().unwrap().to_string())
        .collect()
}

both_dbs!(directory_lists_what_wecom_has, directory_body);
// Rule: departments come as a tree (each after its parent, with its depth), tags and members with
// their names and the rule token to insert; members by department or by a search of name/userid.
async fn directory_body(env: Env) {
    env.sim.set_tags(demo_tags());
    let api = env.api(&env.api_token("ci").await);

    let (s, d) = api.get("/wecom/directory/departments").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(tokens(&d), ["dept:1", "dept:2", "dept:3", "dept:4"]);
    assert_eq!(d[0]["depth"], 0);
    assert_eq!(d[2]["depth"], 1);
    assert_eq!(d[2]["name"], "运维部");
    assert_eq!(d[2]["name_en"], "Operations");

    let (s, t) = api.get("/wecom/directory/tags").await;
    assert_eq!(s, 200, "{t}");
    let names: Vec<&str> = t
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"审计 auditors"), "{t}");
    assert!(tokens(&t).contains(&"tag:2".to_string()), "{t}");

    let (s, m) = api.get("/wecom/directory/members?department=3").await;
    assert_eq!(s, 200, "{m}");
    let ids: Vec<&str> = m
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["userid"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"lisi") && !ids.contains(&"zhangsan"), "{m}");
    let lisi = m.as_array().unwrap().iter().find(|x| x["userid"] == "lisi");
    assert_eq!(lisi.unwrap()["name"], "李四");
    assert_eq!(lisi.unwrap()["token"], "user:lisi");

    // A search by name, then by userid (case-insensitive).
    let (s, m) = api
        .get(&format!("/wecom/directory/members?q={}", enc("张")))
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(tokens(&m), ["user:zhangsan"]);
    let (_, m) = api.get("/wecom/directory/members?q=WANG").await;
    assert_eq!(tokens(&m), ["user:wangwu"]);
    // Typing the next letter reads the departments' lists from the cache, not from WeCom again.
    let calls = env.sim.calls("user/simplelist");
    api.get("/wecom/directory/members?q=WANGW").await;
    assert_eq!(env.sim.calls("user/simplelist"), calls);

    // One of department and q, well formed.
    for bad in [
        "",
        "?department=3&q=x",
        "?q=",
        "?department=0",
        "?department=abc",
    ] {
        let (s, e) = api.get(&format!("/wecom/directory/members{bad}")).await;
        assert_eq!(s, 400, "{bad}: {e}");
    }

    // The OpenAPI document describes them.
    let (_, doc) = api.get("/openapi.json").await;
    for p in [
        "/api/v1/wecom/directory/departments",
        "/api/v1/wecom/directory/tags",
        "/api/v1/wecom/directory/members",
    ] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} missing");
    }
}

both_dbs!(wecom_refusals_say_what_to_configure, refusals_body);
// Rule: when WeCom refuses a read (60011 outside the visible range, 48009 a Secret that may not,
// 60020 an untrusted IP) or cannot be reached, the answer says so and what to configure in WeCom.
async fn refusals_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    env.sim.hide_department(4);
    let (s, e) = api.get("/wecom/directory/members?department=4").await;
    assert_eq!(s, 502, "{e}");
    assert_eq!(e["error"]["code"], "wecom_unreadable");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("60011") && msg.contains("visible range") && msg.contains("可见范围"),
        "{msg}"
    );

    env.sim.fail_next("tag/list", 48009, 1);
    let (s, e) = api.get("/wecom/directory/tags").await;
    assert_eq!(s, 502, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("contacts-sync") && msg.contains("通讯录同步"),
        "{msg}"
    );

    env.sim.fail_next("department/list", 60020, 1);
    let (s, e) = api.get("/wecom/directory/departments").await;
    assert_eq!(s, 502, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("企业可信IP"),
        "{e}"
    );

    env.sim
        .fail_next_with("department/list", Fault::HttpStatus(502), 1);
    let (s, e) = api.get("/wecom/directory/departments").await;
    assert_eq!(s, 502, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{e}"
    );
    // Failures are not cached: the next read works.
    let (s, _) = api.get("/wecom/directory/departments").await;
    assert_eq!(s, 200);
}

both_dbs!(unknown_names_in_rules_are_refused, unknown_rules_body);
// Rule: a save of access or role rules that name a department, tag or member WeCom does not know
// stores nothing and answers 409 with the unknown names; `force: true` saves and is audited; rules
// WeCom knows save without asking anything.
async fn unknown_rules_body(env: Env) {
    env.sim.set_tags(demo_tags());
    env.add_app("crm", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    let rules =
        "user:zhangsn=Admin;tag:运维组=Ops;dept:99=Dev;tag:审计 auditors=Auditor;dept:2=Dev";
    let (s, e) = api
        .patch("/apps/crm", json!({"settings": {"role_rules": rules}}))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "rules_unknown_in_wecom");
    assert_eq!(e["error"]["field"], "role_rules");
    assert_eq!(
        e["unknown"],
        json!(["user:zhangsn", "tag:运维组", "dept:99"])
    );
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("user:zhangsn") && msg.contains("force"),
        "{msg}"
    );
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(!app.settings_json.contains("zhangsn"), "nothing stored");

    // The access rule too, with its own field.
    let (s, e) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"access": "user:lsi;dept:3"}}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["field"], "access");
    assert_eq!(e["unknown"], json!(["user:lsi"]));

    // A syntax error is answered first, without asking WeCom.
    let (s, e) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"role_rules": "user:zhangsn"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");

    // Known names: saved.
    let (s, v) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"role_rules": "user:zhangsan=Admin;tag:2=Auditor;dept:3=Ops"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(forced_rows(&env).await.is_empty());

    // Force: saved, and the audit log says who saved what WeCom did not know.
    let (s, v) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"role_rules": rules}, "force": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(app.settings_json.contains("zhangsn"));
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("crm"));
    assert_eq!(rows[0].actor.as_deref(), Some("token:ci"));
    let detail: Value = serde_json::from_str(rows[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["unknown_in_wecom"][0], "user:zhangsn");
}

both_dbs!(wecom_down_says_so_and_force_saves, wecom_down_body);
// Rule: when WeCom cannot be asked, the save says so (nothing stored) and `force` saves unchecked.
async fn wecom_down_body(env: Env) {
    env.add_app("crm", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    env.sim
        .fail_next_with("department/list", Fault::HttpStatus(502), 1);
    let (s, e) = api
        .patch("/apps/crm", json!({"settings": {"access": "dept:2"}}))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "wecom_unreadable");
    assert_eq!(e["wecom"]["problem"], "unreachable");
    assert!(
        e["wecom"]["fix"]["zh"]
            .as_str()
            .unwrap()
            .contains("api_base"),
        "{e}"
    );
    assert_eq!(e["unknown"], json!([]));

    env.sim
        .fail_next_with("department/list", Fault::HttpStatus(502), 1);
    let (s, v) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"access": "dept:2"}, "force": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    let detail: Value = serde_json::from_str(rows[0].detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["wecom_unreadable"], "unreachable");
}

both_dbs!(admins_and_bindings_must_be_members, members_body);
// Rule: an admin added by userid, and the member an account is bound to, must be members the WeCom
// app can see (`lsi` is a typo of `lisi`); `force` adds or binds anyway, audited.
async fn members_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let (s, e) = api.post("/admins", json!({"userid": "lsi"})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "rules_unknown_in_wecom");
    assert_eq!(e["error"]["field"], "userid");
    assert_eq!(e["unknown"], json!(["user:lsi"]));
    assert!(!env.state.store.is_stored_admin("lsi").await.unwrap());
    let (s, _) = api.post("/admins", json!({"userid": "lisi"})).await;
    assert_eq!(s, 201);
    let (s, _) = api
        .post("/admins", json!({"userid": "lsi", "force": true}))
        .await;
    assert_eq!(s, 201);
    assert!(env.state.store.is_stored_admin("lsi").await.unwrap());
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].userid.as_deref(), Some("lsi"));

    // The console: the refusal in Chinese with a button to add anyway, which works.
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let url = format!("{}/admin/access/admins", env.base);
    let p = b
        .post_form(&url, &[("csrf", &csrf), ("userid", "wangwuu")])
        .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("企业微信中没有 user:wangwuu"), "{}", p.body);
    assert!(p.body.contains("id=\"admin-add-anyway\""), "{}", p.body);
    assert!(!env.state.store.is_stored_admin("wangwuu").await.unwrap());
    let p = b
        .post_form(
            &url,
            &[("csrf", &csrf), ("userid", "wangwuu"), ("force", "1")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert!(env.state.store.is_stored_admin("wangwuu").await.unwrap());

    // Bindings: API and console.
    let (s, _) = api.post("/users", json!({"username": "ops"})).await;
    assert!(s < 300);
    let (s, e) = api
        .put("/users/ops/binding", json!({"userid": "nobody"}))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["unknown"], json!(["user:nobody"]));
    let (s, e) = api
        .put("/users/missing/binding", json!({"userid": "nobody"}))
        .await;
    assert_eq!(s, 404, "an unknown account is said first: {e}");
    let page = format!("{}/admin/users/ops", env.base);
    let p = b
        .post_form(
            &format!("{page}/bind"),
            &[("csrf", &csrf), ("userid", "nobody")],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"bind-anyway\""), "{}", p.body);
    let p = b
        .post_form(
            &format!("{page}/bind"),
            &[("csrf", &csrf), ("userid", "nobody"), ("force", "1")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (s, v) = api
        .put("/users/ops/binding", json!({"userid": "lisi"}))
        .await;
    assert_eq!(s, 409, "bound already: {v}");
    assert_eq!(v["error"]["code"], "conflict");
}

/// The app's settings form as a browser posts it for `crm` (made with defaults): the toggles at
/// their values, and `fields`.
fn settings_form(csrf: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = vec![
        ("csrf".to_string(), csrf.to_string()),
        ("setting.sign_assertion".to_string(), "true".to_string()),
    ];
    v.extend(fields.iter().map(|(k, x)| (k.to_string(), x.to_string())));
    v
}

async fn post_form(b: &Browser, url: &str, f: &[(String, String)]) -> Page {
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(url, &f).await
}

both_dbs!(the_rule_editor_picks_from_wecom, rule_editor_body);
// Rule: the app page's rule picker lists departments (indented, by ID), tags and the members a
// search finds, every control labelled; without JavaScript, Find and Add show the form again with
// the members found or the token added (nothing saved); a Save naming what WeCom does not know is
// refused beside the field with everything typed kept and a "save anyway" button, which saves and
// is audited.
async fn rule_editor_body(env: Env) {
    env.sim.set_tags(demo_tags());
    env.add_app("crm", &[]).await;
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let page = format!("{}/admin/apps/crm", env.base);
    let url = format!("{page}/settings");
    let p = b.get(&page).await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("<option value=\"1\">演示科技 (1)</option>"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("<option value=\"3\">\u{3000}运维部 (3)</option>"),
        "indented"
    );
    assert!(p
        .body
        .contains("<option value=\"2\">审计 auditors (2)</option>"));
    for id in [
        "pick-target",
        "pick-dept",
        "pick-tag",
        "pick-q",
        "pick-user",
        "pick-role",
    ] {
        assert!(
            p.body.contains(&format!("<label for=\"{id}\">")),
            "{id} has a label"
        );
    }
    assert!(!p.body.contains("id=\"settings-save-anyway\""));

    // Find: the members whose name contains 李, as options; nothing saved.
    let p = post_form(
        &b,
        &url,
        &settings_form(&csrf, &[("pick", "find"), ("pick.q", "李")]),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains("<option value=\"lisi\">李四 (lisi)</option>"),
        "{}",
        p.body
    );

    // Add a department and a tag to the role rules with a role: the box has the tokens, with a
    // notice naming the department; nothing is saved yet.
    let p = post_form(
        &b,
        &url,
        &settings_form(
            &csrf,
            &[
                ("setting.role_rules", "user:zhangsan=Admin"),
                ("pick", "add"),
                ("pick.target", "role_rules"),
                ("pick.dept", "3"),
                ("pick.tag", "2"),
                ("pick.role", "Auditor"),
            ],
        ),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains(">user:zhangsan=Admin;dept:3=Auditor;tag:2=Auditor</textarea>"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("已添加 dept:3=Auditor (运维部)、tag:2=Auditor"),
        "{}",
        p.body
    );
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(!app.settings_json.contains("Auditor"), "not saved by Add");
    // A role rule without a role: said beside the picker.
    let p = post_form(
        &b,
        &url,
        &settings_form(
            &csrf,
            &[
                ("pick", "add"),
                ("pick.target", "role_rules"),
                ("pick.dept", "3"),
            ],
        ),
    )
    .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"picker-error\""), "{}", p.body);

    // Save with a typo: refused beside the rule, the text kept, "save anyway" offered.
    let typo = "user:zhangsan=Admin;tag:运维组=Ops";
    let p = post_form(
        &b,
        &url,
        &settings_form(&csrf, &[("setting.role_rules", typo)]),
    )
    .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"error-role_rules\""), "{}", p.body);
    assert!(p.body.contains("企业微信中没有 tag:运维组"), "{}", p.body);
    assert!(p.body.contains(&format!(">{typo}</textarea>")), "kept");
    assert!(p.body.contains("id=\"settings-save-anyway\""));
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(!app.settings_json.contains("运维组"));
    let p = post_form(
        &b,
        &url,
        &settings_form(&csrf, &[("setting.role_rules", typo), ("force", "1")]),
    )
    .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(app.settings_json.contains("运维组"));
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor.as_deref(), Some("wecom:zhangsan"));

    // Known names save at once.
    let p = post_form(
        &b,
        &url,
        &settings_form(&csrf, &[("setting.role_rules", "dept:3=Ops;tag:2=Auditor")]),
    )
    .await;
    assert_eq!(p.status, 302, "{}", p.body);
    // The numbers in the saved rules are shown with their WeCom names.
    let p = b.get(&page).await;
    assert!(
        p.body.contains("dept:3 = 运维部; tag:2 = 审计 auditors"),
        "{}",
        p.body
    );

    // WeCom unreachable: the page still opens, says so, and rules can be typed by hand.
    env.sim
        .fail_next_with("tag/list", Fault::HttpStatus(502), 1);
    env.clock.advance(time::Duration::seconds(120));
    let p = b.get(&page).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"picker-problem\""), "{}", p.body);
    assert!(p.body.contains("无法连接企业微信"), "{}", p.body);
}
