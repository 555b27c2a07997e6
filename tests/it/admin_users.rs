//! Users and bindings: the API (search, view with recent logins, create, edit,
//! disable ending sessions, bind/unbind, one-time codes, CSV import with per-line errors, export
//! defusing formulas) and the console pages with CSRF, file upload and paste.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use wecom_idp::crypto::sha256_hex;

async fn import_csv(
    env: &Env,
    token: &str,
    csv: &str,
    content_type: &str,
) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/users/import", env.base))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn export_csv(env: &Env, token: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/users/export", env.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    r.text().await.unwrap()
}

both_dbs!(api, api_body);
// Rule: every users operation of the API works and refuses bad input with the field named; a
// binding is one member ↔ one account; disabling and unbinding end the member's sessions; every
// change is audited with the actor.
async fn api_body(env: Env) {
    env.add_app("console", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    let (s, u) = api
        .post(
            "/users",
            json!({"username": "zs", "display_name": "张三", "email": "zs@corp.example",
                   "mobile": "+86 13800000001", "employee_no": "E001", "groups": ["ops", "dev"]}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    assert_eq!(u["groups"], json!(["ops", "dev"]));
    assert_eq!(u["status"], "active");
    assert!(u["binding"].is_null());
    assert_eq!(api.post("/users", json!({"username": "zs"})).await.0, 409);
    for (body, field) in [
        (json!({"username": ""}), "username"),
        (json!({"username": "a,b"}), "username"),
        (json!({"username": "x", "email": "no-at"}), "email"),
        (json!({"username": "x", "mobile": "=1+2"}), "mobile"),
        (json!({"username": "x", "status": "gone"}), "status"),
    ] {
        let (s, e) = api.post("/users", body.clone()).await;
        assert_eq!(s, 400, "{body}");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    assert_eq!(
        api.post("/users", json!({"username": "y", "nope": 1}))
            .await
            .0,
        400
    );
    api.post("/users", json!({"username": "ls", "display_name": "李四"}))
        .await;

    // Search: by any column, status, paging.
    for (q, want) in [
        ("q=zs%40corp", "zs"),
        ("q=138000", "zs"),
        ("q=e001", "zs"),
        ("q=%E6%9D%8E", "ls"),
    ] {
        let (s, l) = api.get(&format!("/users?{q}")).await;
        assert_eq!(s, 200);
        let names: Vec<&str> = l["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec![want], "{q}");
    }
    let (_, l) = api.get("/users?q=%25").await;
    assert!(l["users"].as_array().unwrap().is_empty(), "% is literal");
    let (_, l) = api.get("/users?limit=1").await;
    assert_eq!(l["users"].as_array().unwrap().len(), 1);
    assert_eq!(l["next_offset"], 1);
    let (_, l) = api.get("/users?limit=1&offset=1").await;
    assert!(l["next_offset"].is_null());
    assert_eq!(
        api.get("/users?status=maybe").await.1["error"]["field"],
        "status"
    );
    assert_eq!(
        api.get("/users?limit=abc").await.1["error"]["field"],
        "limit"
    );

    // Bind, and search by the bound member.
    let (s, u) = api
        .put("/users/zs/binding", json!({"userid": "zhangsan"}))
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["binding"]["userid"], "zhangsan");
    assert_eq!(u["binding"]["how"], "admin");
    let (_, l) = api.get("/users?q=zhangsan").await;
    assert_eq!(l["users"][0]["username"], "zs");
    let (s, e) = api
        .put("/users/ls/binding", json!({"userid": "zhangsan"}))
        .await;
    assert_eq!(s, 409, "one member, one account: {e}");
    assert_eq!(
        api.put("/users/zs/binding", json!({"userid": "lisi"}))
            .await
            .0,
        409
    );
    assert_eq!(
        api.put("/users/ls/binding", json!({"userid": "<x>"}))
            .await
            .1["error"]["field"],
        "userid"
    );
    assert_eq!(
        api.put("/users/nobody/binding", json!({"userid": "wangwu"}))
            .await
            .0,
        404
    );

    // A login shows in the account's recent logins.
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let (s, d) = api.get("/users/zs").await;
    assert_eq!(s, 200);
    assert_eq!(d["username"], "zs");
    let logins = d["recent_logins"].as_array().unwrap();
    assert!(
        logins
            .iter()
            .any(|l| l["result"] == "success" && l["app"] == "console"),
        "{d}"
    );
    assert_eq!(api.get("/users/nobody").await.0, 404);

    // Edit; disabling ends the member's session.
    let (s, u) = api
        .patch(
            "/users/zs",
            json!({"display_name": "Zhang San", "email": "", "groups": ["ops"]}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["display_name"], "Zhang San");
    assert!(u["email"].is_null());
    assert_eq!(u["groups"], json!(["ops"]));
    let audit = env.audit().await;
    let upd = audit.iter().find(|r| r.event == "user_update").unwrap();
    let d: serde_json::Value = serde_json::from_str(upd.detail.as_deref().unwrap()).unwrap();
    assert_eq!(d["before"]["display_name"], "张三");
    assert_eq!(d["after"]["display_name"], "Zhang San");
    assert_eq!(upd.actor.as_deref(), Some("token:ci"));
    assert_eq!(upd.userid.as_deref(), Some("zhangsan"));
    assert_eq!(
        api.patch("/users/zs", json!({"email": "bad"})).await.1["error"]["field"],
        "email"
    );
    let cookie = b.cookie(&env.base, "wecom_idp_session").unwrap();
    let hash = sha256_hex(cookie.as_bytes());
    assert!(env.state.store.session(&hash).await.unwrap().is_some());
    let (s, u) = api.patch("/users/zs", json!({"status": "disabled"})).await;
    assert_eq!(s, 200);
    assert_eq!(u["status"], "disabled");
    assert!(
        env.state.store.session(&hash).await.unwrap().is_none(),
        "session ended"
    );
    assert!(env.audit().await.iter().any(|r| r.event == "user_disable"));
    assert_eq!(
        api.get("/users?status=disabled").await.1["users"][0]["username"],
        "zs"
    );
    let (_, u) = api.patch("/users/zs", json!({"status": "active"})).await;
    assert_eq!(u["status"], "active");

    // Unbind ends the session too; unbinding twice is a 404.
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let hash = sha256_hex(b.cookie(&env.base, "wecom_idp_session").unwrap().as_bytes());
    assert_eq!(api.delete("/users/zs/binding").await.0, 204);
    assert!(env.state.store.session(&hash).await.unwrap().is_none());
    assert_eq!(api.delete("/users/zs/binding").await.0, 404);

    // A bind code is shown once and stored only hashed.
    let (s, c) = api.post("/users/ls/bind-code", json!({})).await;
    assert_eq!(s, 201);
    let code = c["code"].as_str().unwrap();
    assert_eq!(code.len(), 10);
    assert!(c["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-21T08:00:00"));
    assert_eq!(api.post("/users/nobody/bind-code", json!({})).await.0, 404);
    assert!(!format!("{:?}", env.audit().await).contains(code));
    let events: Vec<String> = env
        .audit()
        .await
        .into_iter()
        .map(|r| r.event.to_string())
        .collect();
    for ev in [
        "user_create",
        "user_bind",
        "user_unbind",
        "user_enable",
        "user_bind_code",
    ] {
        assert!(events.iter().any(|e| e == ev), "{ev} not audited");
    }
}

both_dbs!(csv, csv_body);
// Rule: import checks every line first (per-line errors, nothing imported), then one transaction;
// it wants text/csv; export is the import format with spreadsheet formulas defused, and re-imports
// unchanged.
async fn csv_body(env: Env) {
    let token = env.api_token("ci").await;
    let api = env.api(&token);
    let header = wecom_idp::admin::users::CSV_HEADER;
    let bad = format!("{header}\nok,,,,,active\n,x,,,,\nb,,,,,gone\nc,,no-at,,,\n");
    let (s, e) = import_csv(&env, &token, &bad, "text/csv").await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["code"], "invalid");
    let lines = e["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(lines[0].as_str().unwrap().starts_with("line 3:"));
    assert!(
        api.get("/users").await.1["users"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing imported"
    );
    let (s, e) = import_csv(&env, &token, &bad, "application/json").await;
    assert_eq!(s, 415, "{e}");

    let good = format!(
        "{header}\nzs,=HYPERLINK(\"x\"),zs@example.com,+8613800000001,@E1,active\nls,李四,,,,disabled\n"
    );
    let (s, r) = import_csv(&env, &token, &good, "text/csv; charset=utf-8").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r, json!({"created": 2, "updated": 0}));
    api.patch("/users/zs", json!({"groups": ["ops"]})).await;
    let (_, u) = api.get("/users/zs").await;
    assert_eq!(u["mobile"], "+8613800000001");
    let csv = export_csv(&env, &token).await;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(header));
    assert_eq!(lines.next(), Some("ls,李四,,,,disabled"), "{csv}");
    assert_eq!(
        lines.next(),
        Some("zs,'=HYPERLINK( x ),zs@example.com,'+8613800000001,'@E1,active"),
        "{csv}"
    );
    // Re-importing the export changes nothing (the defusing quote is stripped), groups are kept.
    let (s, r) = import_csv(&env, &token, &csv, "text/csv").await;
    assert_eq!(s, 200);
    assert_eq!(r, json!({"created": 0, "updated": 2}));
    let (_, u) = api.get("/users/zs").await;
    assert_eq!(u["mobile"], "+8613800000001");
    assert_eq!(u["employee_no"], "@E1");
    assert_eq!(u["groups"], json!(["ops"]));
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "user_import")
        .unwrap();
    assert_eq!(row.actor.as_deref(), Some("token:ci"));
}

both_dbs!(console, console_body);
// Rule: the console's users pages search, create, edit, disable, bind/unbind, issue a code (shown
// once), import (upload or paste) and export; every form needs the CSRF token.
async fn console_body(env: Env) {
    let (b, csrf) = env.admin_browser("wangwu").await;
    let url = |p: &str| format!("{}{p}", env.base);
    let p = b.get(&url("/admin/users")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("enctype=\"multipart/form-data\""));

    // Create.
    let form = [
        ("csrf", "bad"),
        ("username", "zhang san"),
        ("display_name", "张三"),
    ];
    assert_eq!(b.post_form(&url("/admin/users"), &form).await.status, 403);
    let form = [
        ("csrf", csrf.as_str()),
        ("username", "zhang san"),
        ("display_name", "张三"),
    ];
    let p = b.post_form(&url("/admin/users"), &form).await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/admin/users/zhang%20san"));
    let p = b.post_form(&url("/admin/users"), &form).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("已有同名的账号"), "in the page's language");
    let page = url("/admin/users/zhang%20san");
    let p = b.get(&page).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("张三"));
    assert_eq!(b.get(&url("/admin/users/nobody")).await.status, 404);

    // Edit, with a field error shown on the page.
    let p = b
        .post_form(
            &format!("{page}/edit"),
            &[
                ("csrf", &csrf),
                ("display_name", "Zhang"),
                ("email", "bad"),
                ("groups", ""),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    // The field by its label in the page's language (Chinese by default), not by its key.
    assert!(p.body.contains("邮箱："), "{}", p.body);
    assert!(!p.body.contains("email: "), "{}", p.body);
    let p = b
        .post_form(
            &format!("{page}/edit"),
            &[
                ("csrf", &csrf),
                ("display_name", "Zhang"),
                ("email", "z@x.cn"),
                ("groups", "ops; dev"),
            ],
        )
        .await;
    assert_eq!(p.status, 302);
    let acct = env
        .state
        .store
        .account_by_username("zhang san")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acct.groups, "ops;dev");
    assert_eq!(acct.email.as_deref(), Some("z@x.cn"));

    // Bind, unbind, code, disable — each refused without the token.
    for (path, extra) in [
        ("bind", Some(("userid", "lisi"))),
        ("code", None),
        ("status", Some(("status", "disabled"))),
        ("unbind", None),
    ] {
        let mut f = vec![("csrf", "bad")];
        f.extend(extra);
        assert_eq!(
            b.post_form(&format!("{page}/{path}"), &f).await.status,
            403,
            "{path}"
        );
    }
    let p = b
        .post_form(
            &format!("{page}/bind"),
            &[("csrf", &csrf), ("userid", "lisi")],
        )
        .await;
    assert_eq!(p.status, 302);
    assert!(b.get(&page).await.body.contains("<code>lisi</code>"));
    let p = b
        .post_form(&format!("{page}/unbind"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 302);
    let p = b
        .post_form(&format!("{page}/code"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"bind-code\""));
    assert!(
        !b.get(&page).await.body.contains("bind-code\">"),
        "shown once"
    );
    let p = b
        .post_form(
            &format!("{page}/status"),
            &[("csrf", &csrf), ("status", "disabled")],
        )
        .await;
    assert_eq!(p.status, 302);
    let acct = env
        .state
        .store
        .account_by_username("zhang san")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acct.status, wecom_idp::store::AccountStatus::Disabled);
    let audit = env.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.event == "user_disable" && r.actor.as_deref() == Some("wecom:wangwu")));

    // Search.
    let p = b.get(&url("/admin/users?q=zhang&status=disabled")).await;
    assert_eq!(p.body.matches("class=\"user-row\"").count(), 1);
    let p = b.get(&url("/admin/users?q=nobody")).await;
    assert_eq!(p.body.matches("class=\"user-row\"").count(), 0);

    // Import: upload and paste; refused without the token; line errors on the page.
    let header = wecom_idp::admin::users::CSV_HEADER;
    let csv = format!("{header}\nup1,,,,,active\n");
    let p = b
        .post_multipart_fields(
            &url("/admin/users/import"),
            &[("csrf", "bad")],
            &[("file", "u.csv", &csv)],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = b
        .post_multipart_fields(
            &url("/admin/users/import"),
            &[("csrf", &csrf)],
            &[("file", "u.csv", &csv)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"imported\""));
    let pasted = format!("{header}\npaste1,,,,,active\n");
    let p = b
        .post_multipart_fields(
            &url("/admin/users/import"),
            &[("csrf", &csrf), ("text", &pasted)],
            &[],
        )
        .await;
    assert_eq!(p.status, 200);
    let bad = format!("{header}\nx,,,,,nope\n");
    let p = b
        .post_multipart_fields(
            &url("/admin/users/import"),
            &[("csrf", &csrf), ("text", &bad)],
            &[],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("第 2 行："), "{}", p.body);
    for u in ["up1", "paste1"] {
        assert!(
            env.state
                .store
                .account_by_username(u)
                .await
                .unwrap()
                .is_some(),
            "{u}"
        );
    }

    // Export with the session cookie.
    let p = b.get(&url("/admin/users/export.csv")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.starts_with(header) && p.body.contains("paste1"));
    assert_eq!(
        Browser::new(CHROME_UA)
            .get(&url("/admin/users/export.csv"))
            .await
            .status,
        302
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: `wecom-idp user …` runs the same functions as the console and API: the same checks and
// formula-safe export, and its changes are audited with the actor `shell`.
async fn cli_shares_the_domain() {
    use crate::cli::{base_env, run, text};
    let dir = tempfile::tempdir().unwrap();
    let vars = base_env(dir.path());
    let csv = dir.path().join("u.csv");
    let header = wecom_idp::admin::users::CSV_HEADER;
    std::fs::write(&csv, format!("{header}\nzs,张三,,+86138,,active\n")).unwrap();
    let o = run(&["user", "import", csv.to_str().unwrap()], &vars);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 new"), "{}", text(&o));
    let o = run(&["user", "bind", "zs", "zhangsan"], &vars);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["user", "bind", "zs", "<bad>"], &vars);
    assert!(!o.status.success());
    assert!(text(&o).contains("userid"), "{}", text(&o));
    let o = run(&["user", "disable", "zs"], &vars);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["user", "export"], &vars);
    assert!(
        text(&o).contains("zs,张三,,'+86138,,disabled"),
        "{}",
        text(&o)
    );
    let o = run(&["user", "list"], &vars);
    assert!(text(&o).contains("wecom:zhangsan (admin)"), "{}", text(&o));
    let store = wecom_idp::store::Store::connect(&vars[1].1).await.unwrap();
    let rows = store.audit_rows(100).await.unwrap();
    for ev in ["user_import", "user_bind", "user_disable"] {
        let r = rows.iter().find(|r| r.event == ev).unwrap();
        assert_eq!(r.actor.as_deref(), Some("shell"), "{ev}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the OpenAPI document lists every users, audit and keys operation the router serves.
async fn openapi_lists_users_audit_keys() {
    let env = Env::start(Db::Sqlite).await;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (p, m) in [
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{username}", "get"),
        ("/api/v1/users/{username}", "patch"),
        ("/api/v1/users/{username}/binding", "put"),
        ("/api/v1/users/{username}/binding", "delete"),
        ("/api/v1/users/{username}/bind-code", "post"),
        ("/api/v1/users/import", "post"),
        ("/api/v1/users/export", "get"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/export", "get"),
        ("/api/v1/keys", "get"),
        ("/api/v1/keys", "post"),
        ("/api/v1/keys/{id}/activate", "post"),
        ("/api/v1/keys/{id}/retire", "post"),
    ] {
        assert!(doc["paths"][p][m].is_object(), "{m} {p} missing");
    }
}

both_dbs!(console_errors_in_both_languages, console_errors_body);
// Rule: every refusal of the users pages reads in the page's language: on a Chinese page no
// English sentence is left (the domain's English message is for the CLI and the API), on an English
// page no Chinese; each names its field by the form's label.
async fn console_errors_body(env: Env) {
    let (b, csrf) = env.admin_browser("wangwu").await;
    let url = |p: &str| format!("{}{p}", env.base);
    let made = [("csrf", csrf.as_str()), ("username", "zs")];
    assert_eq!(b.post_form(&url("/admin/users"), &made).await.status, 302);
    let long = "x".repeat(65);
    let creates: Vec<Vec<(&str, &str)>> = vec![
        vec![("username", "zs")],
        vec![("username", long.as_str())],
        vec![("username", "n1"), ("email", "bad")],
        vec![("username", "n2"), ("mobile", "call me")],
        vec![("username", "n3"), ("display_name", "Zhang, San")],
        vec![("username", "n4"), ("employee_no", long.as_str())],
    ];
    let mut en = b.clone();
    en.accept_language = Some("en-US".into());
    for (lang, b) in [("zh", &b), ("en", &en)] {
        for fields in &creates {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields.iter().copied());
            let p = b.post_form(&url("/admin/users"), &form).await;
            assert_eq!(p.status, 400, "{fields:?}");
            let e = crate::browser_text::text_of_id(&p.body, "form-error");
            crate::browser_text::assert_language(&e, lang, &format!("{fields:?}"));
        }
        let bad =
            "username,display_name,email,mobile,employee_no,status\nx,,,,,nope\nx,,,,,active\n";
        for text in [bad, "", "a,b\n"] {
            let p = b
                .post_multipart_fields(
                    &url("/admin/users/import"),
                    &[("csrf", &csrf), ("text", text)],
                    &[],
                )
                .await;
            assert_eq!(p.status, 400, "{text}");
            let shown = format!(
                "{} {}",
                crate::browser_text::text_of_id(&p.body, "form-error"),
                crate::browser_text::text_of_id(&p.body, "import-errors")
            );
            crate::browser_text::assert_language(&shown, lang, text);
        }
        let p = b
            .post_form(
                &url("/admin/users/zs/edit"),
                &[("csrf", &csrf), ("groups", "ops;dev, x"), ("email", "")],
            )
            .await;
        assert_eq!(p.status, 400, "{}", p.body);
        let e = crate::browser_text::text_of_id(&p.body, "form-error");
        crate::browser_text::assert_language(&e, lang, "groups");
        // Also beside the groups field, with what was typed kept.
        let beside = crate::browser_text::text_of_id(&p.body, "error-groups");
        assert!(!beside.is_empty(), "{}", p.body);
        crate::browser_text::assert_language(&beside, lang, "groups beside");
        assert!(p.body.contains("value=\"ops;dev, x\""), "{}", p.body);
    }
}
