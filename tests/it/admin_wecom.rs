//! The WeCom source and binding settings edited over the
//! configuration — read, partial update, validation, reset, over the API and the console; the secret
//! write-only and stored sealed; "check connection" with WeCom's exact error, its meaning and fix; a
//! change taking effect at the next login, on this instance and on another one sharing the database.
//! Each test names the rule it checks.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

const NEW_SECRET: &str = "console-secret-rotated-7b2c";

/// The raw `value_json` column of a settings row.
async fn raw_setting(env: &Env, name: &str) -> Option<String> {
    env.state
        .store
        .settings()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.value_json)
}

/// Opens `app` in the WeCom client as `userid` against the server at `base`.
async fn open_at(env: &Env, base: &str, app: &str, userid: &str) -> Page {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    b.follow(&format!("{base}/apps/{app}/start")).await
}

fn refused(p: &Page, reason: &str) {
    assert_eq!(
        p.reason().as_deref(),
        Some(reason),
        "{} {}",
        p.status,
        p.body
    );
    assert!(p.form().is_none());
}

both_dbs!(api_read_update_reset, api_read_update_reset_body);
// Rule: GET shows the values in force with their source and never the secret (a masked hint);
// PUT is partial and validated like the configuration (field named); a value equal to the
// configuration's is not stored; DELETE goes back to the configuration; every change is audited
// with before/after and `secret: changed`, never the secret; the stored secret is sealed.
async fn api_read_update_reset_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    let (s, v) = api.get("/wecom").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["corp_id"], CORP_ID);
    assert_eq!(v["agent_id"], AGENT_ID);
    assert_eq!(v["secret_set"], true);
    assert_eq!(v["secret_hint"], "••••5f3a");
    assert_eq!(v["api_base"], env.sim_base);
    assert_eq!(v["sources"]["corp_id"], "config");
    assert_eq!(v["sources"]["secret"], "config");
    assert!(!v.to_string().contains(SECRET));

    // Validation names the field.
    for (body, field) in [
        (json!({"agent_id": "10000x"}), "agent_id"),
        (json!({"api_base": "ftp://x.example"}), "api_base"),
        (json!({"corp_id": ""}), "corp_id"),
        (json!({"corp_id": "ww<script>"}), "corp_id"),
        (json!({"secret": "has space"}), "secret"),
    ] {
        let (s, e) = api.put("/wecom", body.clone()).await;
        assert_eq!(s, 400, "{body} → {e}");
        assert_eq!(e["error"]["field"], field, "{body} → {e}");
    }
    let (s, e) = api.put("/wecom", json!({"corpid": "x"})).await;
    assert_eq!(s, 400, "unknown fields are refused: {e}");
    assert!(raw_setting(&env, "wecom").await.is_none(), "nothing stored");

    // A partial update; an empty secret leaves it as it is. WeCom has no app 1000003, so the
    // save goes through only when forced (the refusal itself is `wecom_save`'s).
    let (s, v) = api
        .put("/wecom", json!({"agent_id": "1000003", "secret": ""}))
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(raw_setting(&env, "wecom").await.is_none(), "nothing stored");
    let (s, v) = api
        .put(
            "/wecom",
            json!({"agent_id": "1000003", "secret": "", "force": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agent_id"], "1000003");
    assert_eq!(v["sources"]["agent_id"], "console");
    assert_eq!(v["sources"]["corp_id"], "config");
    assert_eq!(v["sources"]["secret"], "config");
    // The configuration's value again: not stored, the source is the configuration.
    let (_, v) = api.put("/wecom", json!({"agent_id": AGENT_ID})).await;
    assert_eq!(v["sources"]["agent_id"], "config");

    // The secret: write-only, sealed at rest, `changed` in the audit.
    let (s, v) = api
        .put("/wecom", json!({"secret": NEW_SECRET, "force": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["secret_hint"], "••••7b2c");
    assert_eq!(v["sources"]["secret"], "console");
    assert!(!v.to_string().contains(NEW_SECRET));
    let raw = raw_setting(&env, "wecom").await.unwrap();
    assert!(
        !raw.contains(NEW_SECRET),
        "the secret is not stored in clear"
    );
    assert!(raw.contains("secret_sealed"), "{raw}");
    let key = test_master_key();
    let stored: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let opened = key
        .open(
            wecom_idp::settings::SECRET_CONTEXT,
            stored["secret_sealed"].as_str().unwrap(),
        )
        .unwrap();
    assert_eq!(opened, NEW_SECRET.as_bytes(), "sealed under the master key");
    let rows = env.audit().await;
    let change = rows
        .iter()
        .find(|r| {
            r.event == "settings_wecom"
                && r.detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("secret\":\"changed")
        })
        .expect("an audit row for the secret change");
    assert_eq!(change.actor.as_deref(), Some("token:ops"));
    for r in &rows {
        let d = r.detail.as_deref().unwrap_or("");
        assert!(
            !d.contains(NEW_SECRET) && !d.contains(SECRET),
            "secret in audit: {d}"
        );
    }
    let details: Vec<serde_json::Value> = rows
        .iter()
        .filter(|r| r.event == "settings_wecom")
        .map(|r| serde_json::from_str(r.detail.as_deref().unwrap()).unwrap())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d["before"]["agent_id"] == AGENT_ID && d["after"]["agent_id"] == "1000003"),
        "before/after of the AgentId: {details:?}"
    );

    // Reset to the configuration.
    let (s, v) = api.delete("/wecom").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sources"]["secret"], "config");
    assert_eq!(v["secret_hint"], "••••5f3a");
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.event == "settings_wecom_reset"));

    // Binding: read, validate, update, reset.
    let (s, v) = api.get("/binding").await;
    assert_eq!(s, 200);
    assert_eq!(v["when_unmatched"], "create");
    assert_eq!(v["default_access"], "everyone");
    assert_eq!(v["match"], json!(["userid"]));
    assert_eq!(v["sources"]["when_unmatched"], "config");
    for (body, field) in [
        (json!({"when_unmatched": "maybe"}), "when_unmatched"),
        (json!({"match": []}), "match"),
        (json!({"match": ["phone"]}), "match"),
        (json!({"employee_no_from": "extattr:"}), "employee_no_from"),
        (json!({"default_access": "dept:1"}), "default_access"),
    ] {
        let (s, e) = api.put("/binding", body.clone()).await;
        assert_eq!(s, 400, "{body} → {e}");
        assert_eq!(e["error"]["field"], field, "{body} → {e}");
    }
    let (s, v) = api
        .put(
            "/binding",
            json!({"when_unmatched": "bind", "match": ["email", "userid"], "contact": "IT 服务台"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["match"], json!(["email", "userid"]));
    assert_eq!(v["sources"]["when_unmatched"], "console");
    assert_eq!(v["sources"]["auto_bind"], "config");
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "settings_binding")
        .unwrap();
    let d: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    assert_eq!(d["before"]["when_unmatched"], "create");
    assert_eq!(d["after"]["when_unmatched"], "bind");
    let (_, v) = api.delete("/binding").await;
    assert_eq!(v["when_unmatched"], "create");
    assert_eq!(v["sources"]["match"], "config");

    // The OpenAPI document describes the area.
    let (_, doc) = api.get("/openapi.json").await;
    for p in ["/api/v1/wecom", "/api/v1/wecom/check", "/api/v1/binding"] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from OpenAPI");
    }
}

both_dbs!(check_connection, check_connection_body);
// Rule: "check connection" calls gettoken (and a data call) with the saved values or with submitted
// unsaved ones, and reports WeCom's exact errcode with the catalogue's meaning and fix; a changed
// WeCom source gets a new client (the old token cache does not hide a wrong secret).
async fn check_connection_body(env: Env) {
    env.add_app("app", &[]).await;
    let api = env.api(&env.api_token("ops").await);
    // A login first, so this instance holds a cached token for the good secret.
    assert!(open_at(&env, &env.base, "app", "zhangsan")
        .await
        .form()
        .is_some());
    let (s, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], true, "{v}");

    // Unsaved values: checked, not saved.
    let (_, v) = api
        .post("/wecom/check", json!({"secret": "wrong-secret-123"}))
        .await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["errcode"], 40001);
    assert_eq!(v["endpoint"], "gettoken");
    assert!(
        v["meaning"]["en"].as_str().unwrap().contains("secret"),
        "{v}"
    );
    assert!(
        v["meaning"]["zh"].as_str().unwrap().contains("secret"),
        "{v}"
    );
    assert!(v["fix"]["en"].as_str().unwrap().contains("Secret"), "{v}");
    assert!(!v["fix"]["zh"].as_str().unwrap().is_empty());
    assert!(
        raw_setting(&env, "wecom").await.is_none(),
        "a check saves nothing"
    );

    // A wrong secret is refused on save; saved anyway, the check and the next login both see
    // 40001.
    let (s, e) = api
        .put("/wecom", json!({"secret": "wrong-secret-123"}))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["check"]["errcode"], 40001, "{e}");
    let (s, _) = api
        .put(
            "/wecom",
            json!({"secret": "wrong-secret-123", "force": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(v["ok"], false);
    assert_eq!(v["errcode"], 40001);
    let p = open_at(&env, &env.base, "app", "lisi").await;
    refused(&p, "wecom_config");
    // The member reads a sentence; the errcode is in the audit row for the admin.
    assert!(!p.body.contains("40001"));
    assert!(env.audit().await.iter().any(|r| r.reason == "wecom_config"
        && r.detail
            .as_deref()
            .is_some_and(|d| d.contains("\"errcode\":40001"))));
    // The right one, unsaved, checks fine; saved, logins work again.
    let (_, v) = api.post("/wecom/check", json!({"secret": SECRET})).await;
    assert_eq!(v["ok"], true, "{v}");
    let (_, v) = api.put("/wecom", json!({"secret": SECRET})).await;
    assert_eq!(
        v["sources"]["secret"], "config",
        "equal to the configuration's: not stored"
    );
    assert_eq!(v["check"]["ok"], true, "the save was checked: {v}");
    assert!(open_at(&env, &env.base, "app", "lisi")
        .await
        .form()
        .is_some());
    // A malformed unsaved value is a field error, not a check.
    let (s, e) = api.post("/wecom/check", json!({"agent_id": "x"})).await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "agent_id");
}

both_dbs!(console_page, console_page_body);
// Rule: the console page shows the source form (secret empty, "unchanged (••••…)"), checks the
// connection (✓, or the errcode with meaning and fix in both languages), edits and resets with CSRF
// on each form, shows field errors with status 400, and never shows the secret.
async fn console_page_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let url = |p: &str| format!("{}{p}", env.base);
    let p = b.get(&url("/admin/wecom")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(CORP_ID));
    assert!(p.body.contains("••••5f3a"));
    assert!(p
        .body
        .contains("name=\"secret\" type=\"password\" autocomplete=\"off\" value=\"\""));
    assert!(!p.body.contains(SECRET));
    assert!(
        p.body.contains("id=\"current-combo\""),
        "the combination in force is marked"
    );

    let source = |csrf: &str, agent: &str, secret: &str, action: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("corp_id".into(), CORP_ID.into()),
            ("agent_id".into(), agent.into()),
            ("secret".into(), secret.into()),
            ("api_base".into(), env.sim_base.clone()),
            ("oauth_base".into(), env.sim_base.clone()),
            ("web_login_base".into(), env.sim_base.clone()),
            ("action".into(), action.into()),
        ]
    };
    let post = |path: &'static str, fields: Vec<(String, String)>| {
        let b = &b;
        let u = url(path);
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            b.post_form(&u, &f).await
        }
    };
    // CSRF on every form.
    let binding = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("auto_bind".into(), "true".into()),
            ("match".into(), "userid, mobile".into()),
            ("when_unmatched".into(), "reject".into()),
            ("employee_no_from".into(), "alias".into()),
            ("contact".into(), "".into()),
            ("default_access".into(), "none".into()),
        ]
    };
    let forged = "forged";
    for (path, fields) in [
        (
            "/admin/wecom/source",
            source(forged, AGENT_ID, NEW_SECRET, "save"),
        ),
        ("/admin/wecom/check", vec![("csrf".into(), forged.into())]),
        ("/admin/wecom/binding", binding(forged)),
        (
            "/admin/wecom/reset",
            vec![
                ("csrf".into(), forged.into()),
                ("which".into(), "wecom".into()),
            ],
        ),
    ] {
        let p = post(path, fields).await;
        assert_eq!(p.status, 403, "{path}: {}", p.body);
    }
    assert!(raw_setting(&env, "wecom").await.is_none());

    // A field error: 400, shown beside the field.
    let p = post("/admin/wecom/source", source(&csrf, "10x", "", "save")).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("field-error"));
    assert!(p.body.contains("numeric AgentId"));

    // Check connection with the saved values.
    let p = post("/admin/wecom/check", vec![("csrf".into(), csrf.clone())]).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"check-result\""));
    assert!(p.body.contains("✓"));
    // Unsaved wrong secret: the exact code, its meaning and fix, in the page's language only (one
    // "处理办法", not an English one first).
    let p = post(
        "/admin/wecom/source",
        source(&csrf, AGENT_ID, "wrong-secret-123", "check"),
    )
    .await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("<code id=\"check-errcode\">40001</code>"),
        "{}",
        p.body
    );
    // In the admin's language only (Chinese here): one meaning, one 处理办法, no English paragraph.
    assert!(p.body.contains("不合法的 secret 参数"));
    assert!(p.body.contains("请检查 [wecom] secret"));
    assert_eq!(p.body.matches("处理办法").count(), 1, "{}", p.body);
    assert!(!p.body.contains("Invalid secret"), "{}", p.body);
    assert!(!p.body.contains("Check [wecom] secret"), "{}", p.body);
    assert!(!p.body.contains("wrong-secret-123"));
    let mut en = b.clone_with_cookies();
    en.accept_language = Some("en".into());
    let fields = source(&csrf, AGENT_ID, "wrong-secret-123", "check");
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let p = en.post_form(&url("/admin/wecom/source"), &f).await;
    assert!(p.body.contains("Invalid secret"), "{}", p.body);
    assert!(p.body.contains("Check [wecom] secret"), "{}", p.body);
    assert!(!p.body.contains("不合法的 secret 参数"), "{}", p.body);
    assert!(
        raw_setting(&env, "wecom").await.is_none(),
        "checked, not saved"
    );

    // Save a new secret WeCom does not know: refused first (`wecom_save` checks the page), then
    // saved anyway: sealed, placeholder shows its hint.
    let p = post(
        "/admin/wecom/source",
        source(&csrf, AGENT_ID, NEW_SECRET, "save"),
    )
    .await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(
        raw_setting(&env, "wecom").await.is_none(),
        "refused: nothing stored"
    );
    let p = post(
        "/admin/wecom/source",
        source(&csrf, AGENT_ID, NEW_SECRET, "force"),
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"saved\""));
    assert!(p.body.contains("••••7b2c"));
    assert!(!p.body.contains(NEW_SECRET));
    assert!(!raw_setting(&env, "wecom")
        .await
        .unwrap()
        .contains(NEW_SECRET));
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "settings_wecom")
        .unwrap();
    assert_eq!(row.actor.as_deref(), Some("wecom:zhangsan"));
    assert!(row.detail.unwrap().contains("\"secret\":\"changed\""));

    // Binding form.
    let p = post("/admin/wecom/binding", binding(&csrf)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let api = env.api(&env.api_token("ops").await);
    let (_, v) = api.get("/binding").await;
    assert_eq!(v["when_unmatched"], "reject");
    assert_eq!(v["match"], json!(["userid", "mobile"]));
    assert_eq!(v["default_access"], "none");
    assert_eq!(v["sources"]["contact"], "config");

    // Reset both (the page asks first; without JavaScript the form still posts).
    assert!(p.body.contains("data-confirm="));
    for which in ["wecom", "binding"] {
        let p = post(
            "/admin/wecom/reset",
            vec![
                ("csrf".into(), csrf.clone()),
                ("which".into(), which.into()),
            ],
        )
        .await;
        assert_eq!(p.status, 200, "{}", p.body);
    }
    let (_, v) = api.get("/binding").await;
    assert_eq!(v["when_unmatched"], "create");
    let (_, v) = api.get("/wecom").await;
    assert_eq!(v["sources"]["secret"], "config");
}

both_dbs!(takes_effect, takes_effect_body);
// Rule: a changed binding policy takes effect at the next login (reject → a refusal; reset → the
// configuration's `create` again), and the global default access applies to apps whose access is
// `default` (every new app) while an explicit `access=everyone` stands.
async fn takes_effect_body(env: Env) {
    env.add_app("app", &[]).await;
    env.add_app("open", &["access=everyone"]).await;
    let api = env.api(&env.api_token("ops").await);
    let (s, _) = api
        .put("/binding", json!({"when_unmatched": "reject"}))
        .await;
    assert_eq!(s, 200);
    refused(
        &open_at(&env, &env.base, "app", "zhangsan").await,
        "no_account",
    );
    api.delete("/binding").await;
    assert!(open_at(&env, &env.base, "app", "zhangsan")
        .await
        .form()
        .is_some());

    let (s, _) = api.put("/binding", json!({"default_access": "none"})).await;
    assert_eq!(s, 200);
    refused(
        &open_at(&env, &env.base, "app", "zhangsan").await,
        "access_denied",
    );
    assert!(open_at(&env, &env.base, "open", "zhangsan")
        .await
        .form()
        .is_some());
    api.put("/binding", json!({"default_access": "everyone"}))
        .await;
    assert!(open_at(&env, &env.base, "app", "zhangsan")
        .await
        .form()
        .is_some());
}

both_dbs!(two_instances, two_instances_body);
// Rule: a change made through one instance takes effect at the next request on another instance
// sharing the database (binding policy, and the WeCom source with a new client).
async fn two_instances_body(env: Env) {
    env.add_app("app", &[]).await;
    let other = env.second_instance().await;
    // The other instance has loaded (and cached) the settings and a WeCom token.
    assert!(open_at(&env, &other, "app", "zhangsan")
        .await
        .form()
        .is_some());
    let api = env.api(&env.api_token("ops").await);
    api.put("/binding", json!({"when_unmatched": "reject"}))
        .await;
    refused(&open_at(&env, &other, "app", "lisi").await, "no_account");
    api.delete("/binding").await;
    assert!(open_at(&env, &other, "app", "lisi").await.form().is_some());
    api.put(
        "/wecom",
        json!({"secret": "wrong-secret-123", "force": true}),
    )
    .await;
    refused(
        &open_at(&env, &other, "app", "wangwu").await,
        "wecom_config",
    );
    api.delete("/wecom").await;
    assert!(open_at(&env, &other, "app", "wangwu")
        .await
        .form()
        .is_some());
}
