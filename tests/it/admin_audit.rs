//! The audit log: logins and admin changes recorded with who/what/result; filters by
//! app, user, result, event and time; paging newest first; the CSV export (API and console),
//! formula-safe; the console page; field errors for bad filters; no secret in any detail.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use wecom_idp::clock::Clock;
use wecom_idp::store::AuditRow;

fn row(event: &str, app: Option<&str>, userid: Option<&str>, result: &str, at: i64) -> AuditRow {
    AuditRow {
        at,
        event: event.parse().unwrap(),
        app: app.map(str::to_string),
        userid: userid.map(str::to_string),
        result: result.parse().unwrap(),
        reason: "test".into(),
        client_ip: "192.0.2.1".parse().ok(),
        request_id: None,
        actor: None,
        detail: None,
    }
}

both_dbs!(filters_and_paging, filters_body);
// Rule: every login is recorded with its result; the API filters by app, user, result, event and
// time range (dates are whole UTC days) and pages newest first through `next_before_id`.
async fn filters_body(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let refused = env.browser(WXWORK_UA);
    env.wecom_client_login(&refused, "zhaoliu").await;
    let p = refused
        .follow(&format!("{}/apps/console/start", env.base))
        .await;
    assert_eq!(p.status, 403);
    let t0 = env.clock.unix();
    env.state
        .store
        .audit(&row(
            "login",
            Some("other"),
            Some("wangwu"),
            "success",
            t0 + 86_400,
        ))
        .await
        .unwrap();
    let api = env.api(&env.api_token("ci").await);

    let (s, page) = api.get("/audit?userid=zhangsan&event=login").await;
    assert_eq!(s, 200, "{page}");
    let rows = page["entries"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["userid"] == "zhangsan" && r["event"] == "login"));
    assert!(rows
        .iter()
        .any(|r| r["result"] == "success" && r["app"] == "console"));
    let (_, page) = api.get("/audit?result=refused&app=console").await;
    let rows = page["entries"].as_array().unwrap();
    assert!(rows
        .iter()
        .any(|r| r["userid"] == "zhaoliu" && r["result"] == "refused"));
    assert!(rows.iter().all(|r| r["result"] == "refused"));
    // Time range: the row of the next day only, then everything but it.
    let (_, page) = api.get("/audit?since=2026-11-21").await;
    let rows = page["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["userid"], "wangwu");
    assert!(rows[0]["at"].as_str().unwrap().starts_with("2026-11-21T"));
    let (_, page) = api.get("/audit?until=2026-11-20").await;
    let rows = page["entries"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["userid"] != "wangwu"));
    // Paging: newest first, no row twice, the last page has no next_before_id.
    let mut seen = Vec::new();
    let mut path = "/audit?limit=2".to_string();
    loop {
        let (s, page) = api.get(&path).await;
        assert_eq!(s, 200);
        for r in page["entries"].as_array().unwrap() {
            seen.push(r["id"].as_i64().unwrap());
        }
        match page["next_before_id"].as_i64() {
            Some(id) => path = format!("/audit?limit=2&before_id={id}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "newest first, each row once");
    assert_eq!(seen.len(), env.audit().await.len());
    // Bad filters are field errors.
    for (q, field) in [
        ("result=ok", "result"),
        ("event=settings_change", "event"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("before_id=-1", "before_id"),
        ("since=2026-11-21&until=2026-11-20", "until"),
    ] {
        let (s, body) = api.get(&format!("/audit?{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert_eq!(body["error"]["field"], field, "{q}: {body}");
    }
    // Every word the log holds is a filter, `pending` among the results and `wecom_check` among
    // the events.
    for q in ["result=pending", "event=wecom_check"] {
        assert_eq!(api.get(&format!("/audit?{q}")).await.0, 200, "{q}");
    }
    assert_eq!(env.api("").get("/audit").await.0, 401);
}

both_dbs!(export_csv, export_body);
// Rule: the export is CSV with the same filters, every cell a spreadsheet would run as a formula
// starts with `'`, and cells holding commas or quotes are quoted; the console's export link works
// with the session cookie only.
async fn export_body(env: Env) {
    let t0 = env.clock.unix();
    let mut evil = row(
        "login",
        Some("=cmd|' /C calc'!A0"),
        Some("@zhangsan"),
        "refused",
        t0,
    );
    evil.detail = Some(r#"{"a":"x,y","b":"say \"hi\""}"#.into());
    env.state.store.audit(&evil).await.unwrap();
    env.state
        .store
        .audit(&row("login", Some("console"), Some("lisi"), "success", t0))
        .await
        .unwrap();
    let token = env.api_token("ci").await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/audit/export?result=refused", env.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,time_utc,event,app,userid,result,reason,actor,client_ip,request_id,detail")
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 1, "{csv}");
    assert!(
        body[0].contains(",'=cmd|' /C calc'!A0,'@zhangsan,refused,"),
        "{csv}"
    );
    assert!(
        body[0].contains(r#""{""a"":""x,y"",""b"":""say \""hi\""""}""#),
        "{csv}"
    );
    assert!(!csv.contains("lisi"));
    assert!(body[0].contains("2026-11-20T08:00:00Z"));

    // Console: with the session cookie only.
    let anon = Browser::new(CHROME_UA);
    let p = anon
        .get(&format!("{}/admin/audit/export.csv", env.base))
        .await;
    assert_eq!(p.status, 302);
    let (b, _) = env.admin_browser("zhangsan").await;
    let p = b
        .get(&format!("{}/admin/audit/export.csv?userid=lisi", env.base))
        .await;
    assert_eq!(p.status, 200);
    assert!(p.header("content-type").unwrap().starts_with("text/csv"));
    assert!(p.body.contains("lisi") && !p.body.contains("calc"));
    let p = b
        .get(&format!("{}/admin/audit/export.csv?since=nope", env.base))
        .await;
    assert_eq!(p.status, 400);
}

both_dbs!(console_page, console_body);
// Rule: the console page filters like the API, shows times in UTC, pages with an "older" link, and
// shows a bad filter as a field error (400); its export link carries the same filters.
async fn console_body(env: Env) {
    let t0 = env.clock.unix();
    for i in 0..3 {
        env.state
            .store
            .audit(&row(
                "login",
                Some("console"),
                Some("lisi"),
                "refused",
                t0 + i,
            ))
            .await
            .unwrap();
    }
    let (b, _) = env.admin_browser("zhangsan").await;
    let p = b
        .get(&format!(
            "{}/admin/audit?userid=lisi&result=refused&limit=2",
            env.base
        ))
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(
        p.body.matches("class=\"audit-row\"").count(),
        2,
        "{}",
        p.body
    );
    // One date format across the console: RFC 3339 in UTC, as the API.
    assert!(p.body.contains("2026-11-20T08:00:02Z"));
    assert!(p.body.contains("UTC"));
    assert!(html_unescape(&p.body).contains("/admin/audit/export.csv?userid=lisi&result=refused"));
    let older = p
        .body
        .split("href=\"")
        .find(|s| s.contains("before_id"))
        .unwrap();
    let older = html_unescape(&older[..older.find('"').unwrap()]);
    let p = b.get(&format!("{}{older}", env.base)).await;
    assert_eq!(p.body.matches("class=\"audit-row\"").count(), 1);
    let p = b
        .get(&format!("{}/admin/audit?since=31%2F12%2F2026", env.base))
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"form-error\""), "{}", p.body);
    assert!(
        !p.body.contains("since: "),
        "no field-key prefix: {}",
        p.body
    );
    // The admin's own sign-in is in the log.
    let p = b
        .get(&format!("{}/admin/audit?event=admin_login", env.base))
        .await;
    assert!(p.body.contains("signed_in"));
}

both_dbs!(changes_are_audited, changes_body);
// Rule: every admin change writes one row with the actor and a JSON detail, and no secret reaches
// any detail — even if a caller passes one.
async fn changes_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let (_, made) = api.post("/users", json!({"username": "a1"})).await;
    assert_eq!(made["username"], "a1");
    let (_, code) = api.post("/users/a1/bind-code", json!({})).await;
    let code = code["code"].as_str().unwrap().to_string();
    let (_, token) = api.post("/tokens", json!({"name": "tf"})).await;
    let token = token["token"].as_str().unwrap().to_string();
    wecom_idp::admin::auth::audit_change(
        &env.state.store,
        env.clock.unix(),
        wecom_idp::admin::auth::AdminChange {
            actor: &wecom_idp::admin::Actor::Shell,
            event: wecom_idp::store::AuditKind::SettingsWecom,
            app: None,
            userid: None,
            detail: Some(
                json!({"before": {"wecom": {"secret": SECRET}}, "after": {"note": token}}),
            ),
            client_ip: None,
        },
    )
    .await;
    let (_, page) = api.get("/audit?limit=1000").await;
    let text = page.to_string();
    for secret in [code.as_str(), token.as_str(), SECRET] {
        assert!(!text.contains(secret), "{secret} leaked into the audit log");
    }
    let rows = page["entries"].as_array().unwrap();
    for ev in [
        "user_create",
        "user_bind_code",
        "token_create",
        "settings_wecom",
    ] {
        let r = rows.iter().find(|r| r["event"] == ev).unwrap();
        assert!(r["actor"].is_string(), "{ev} has no actor");
        assert!(r["detail"].is_object(), "{ev} has no detail");
    }
    let r = rows
        .iter()
        .find(|r| r["event"] == "settings_wecom")
        .unwrap();
    assert_eq!(r["detail"]["before"]["wecom"]["secret"], "[redacted]");
}
