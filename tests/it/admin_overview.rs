//! The console's overview: the set-up checklist computed from real state (the last WeCom check, an
//! admin, an app, a login proving a console has the IdP metadata, a login from the homepage), the
//! first-run guide that walks the fixed order, the signing key's expiry and refusals of the last
//! 24 hours by reason — on the page (English and Chinese) and in `GET /api/v1/overview`.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use wecom_idp::clock::Clock;

fn step(v: &serde_json::Value, name: &str) -> bool {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {v}"))["done"]
        .as_bool()
        .unwrap()
}

both_dbs!(checklist_follows_real_state, checklist_body);
// Rule: each checklist step is done only when the state shows it — the newest check of the WeCom
// source in force succeeded (a failed one undoes it; a check of unsaved values does not count), an
// admin exists, an app exists, an app had a successful login, an IdP-initiated login was seen —
// and `next_step` is the first step not done in the fixed order.
async fn checklist_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    let (s, v) = api.get("/overview").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["complete"], false);
    assert_eq!(v["next_step"], "wecom", "{v}");
    assert!(v["wecom_check"].is_null(), "{v}");
    assert_eq!(v["apps"], 0);
    assert_eq!(v["steps"].as_array().unwrap().len(), 6);
    assert_eq!(v["steps"][0]["href"], "/admin/wecom");

    // A check of unsaved values says nothing about the source in force.
    let (_, c) = api
        .post("/wecom/check", json!({"secret": "wrong-secret-123"}))
        .await;
    assert_eq!(c["ok"], false, "{c}");
    let (_, v) = api.get("/overview").await;
    assert!(v["wecom_check"].is_null(), "{v}");

    // A failed check of the saved source: recorded with its errcode, step not done.
    env.sim.fail_next("gettoken", 40001, 1);
    let (_, c) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(c["ok"], false, "{c}");
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["wecom_check"]["ok"], false, "{v}");
    assert_eq!(v["wecom_check"]["reason"], "wecom_40001", "{v}");
    assert_eq!(v["wecom_check"]["at"], "2026-11-20T08:00:00Z");
    assert!(!step(&v, "wecom"));

    env.clock.advance(time::Duration::minutes(5));
    let (_, c) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(c["ok"], true, "{c}");
    let (_, v) = api.get("/overview").await;
    assert!(step(&v, "wecom"), "{v}");
    assert_eq!(v["wecom_check"]["at"], "2026-11-20T08:05:00Z");
    assert_eq!(v["next_step"], "admin", "{v}");

    env.state
        .store
        .add_admin("lisi", "shell", env.clock.unix())
        .await
        .unwrap();
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["admins"], 1);
    assert_eq!(v["next_step"], "app", "{v}");

    env.add_app("console", &[]).await;
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["next_step"], "metadata", "{v}");

    // An SP-initiated login: the console has the IdP metadata; the homepage is not proven yet.
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let req = Req::new(&env, "console");
    let page = b.follow(&redirect_url(&env, &req.xml(), None)).await;
    assert!(page.form().is_some(), "{} {}", page.status, page.body);
    let (_, v) = api.get("/overview").await;
    assert!(step(&v, "metadata"), "{v}");
    assert_eq!(v["last_login"]["app"], "console");
    assert!(v["last_homepage_login"].is_null(), "{v}");
    assert_eq!(v["next_step"], "homepage", "{v}");

    // A login from the mount address (the homepage): set-up complete.
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "lisi").await;
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["complete"], true, "{v}");
    assert!(v["next_step"].is_null());
    assert_eq!(v["last_homepage_login"]["userid"], "lisi");
}

both_dbs!(health_shows_key_expiry_and_refusals, health_body);
// Rule: the signing key's days left come from its certificate at the clock's time, with the next
// key once one is added; refusals are counted by reason over the last 24 hours only.
async fn health_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    env.add_app("console", &[]).await;
    let (_, keys) = api.get("/keys").await;
    let not_after = keys[0]["not_after"].as_str().unwrap().to_string();
    let end =
        time::OffsetDateTime::parse(&not_after, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let days = (end - T0).whole_days();
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["signing_key"]["days_left"], days, "{v}");
    assert_eq!(v["signing_key"]["not_after"], not_after.as_str());
    assert!(v["signing_key"]["next_key"].is_null());
    let (s, added) = api.post("/keys", json!(null)).await;
    assert_eq!(s, 201, "{added}");
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["signing_key"]["next_key"], added["id"], "{v}");

    let b = env.browser(CHROME_UA);
    for _ in 0..2 {
        let p = b
            .get(&format!(
                "{}/apps/console/start?RelayState={}",
                env.base,
                enc("https://evil.example/")
            ))
            .await;
        assert_eq!(p.reason().as_deref(), Some("relay_state_not_allowed"));
    }
    let p = b.get(&format!("{}/wecom/callback", env.base)).await;
    assert!(p.status >= 400, "{}", p.status);
    let (_, v) = api.get("/overview").await;
    let refusals = v["refusals_24h"].as_array().unwrap();
    assert_eq!(
        refusals[0],
        json!({"reason": "relay_state_not_allowed", "count": 2}),
        "{v}"
    );
    assert_eq!(refusals.len(), 2, "{v}");

    // A day later they are out of the window.
    env.clock.advance(time::Duration::hours(25));
    let (_, v) = api.get("/overview").await;
    assert_eq!(v["refusals_24h"], json!([]), "{v}");
}

both_dbs!(page_guides_the_first_run_in_both_languages, page_body);
// Rule: while set-up is not complete, /admin shows the guide in the fixed order with the next step
// marked and linked to where it is done, the checklist with a fix link per open step, the key notice
// and the refusals — in the page's language only; the addresses (with the trusted domain) stay.
async fn page_body(env: Env) {
    let (mut b, _) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en".into());
    let p = b.get(&format!("{}/admin", env.base)).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"guide\""), "{}", p.body);
    let order: Vec<usize> = [
        "WeCom connected",
        "At least one admin",
        "At least one app",
        "IdP metadata given to the console",
        "Homepage pasted in WeCom",
        "Try it",
    ]
    .iter()
    .map(|t| p.body.find(t).unwrap_or_else(|| panic!("{t}: {}", p.body)))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // The admin signed in, so WeCom works but was never checked: WeCom is still next.
    let next = &p.body[p.body.find("class=\"next\"").unwrap()..];
    assert!(next.contains("WeCom connected"), "{next}");
    assert!(
        next.contains("href=\"/admin/wecom\" class=\"button\""),
        "{next}"
    );
    assert!(p.body.contains("Never checked"));
    assert!(p.body.contains("The signing certificate expires in"));
    assert!(p.body.contains("id=\"trusted-domain\""));
    assert!(p.body.contains("href=\"/admin/apps/new\""));

    b.accept_language = Some("zh-CN".into());
    let p = b.get(&format!("{}/admin", env.base)).await;
    for zh in [
        "首次使用",
        "企业微信已连接",
        "下一步",
        "尚未检查",
        "签名证书将在",
        "设置检查清单",
    ] {
        assert!(p.body.contains(zh), "{zh}: {}", p.body);
    }
    for en in [
        "WeCom connected",
        "do this next",
        "Never checked",
        "Set-up checklist",
        "expires in",
    ] {
        assert!(!p.body.contains(en), "English `{en}` on the Chinese page");
    }

    // Complete: the guide goes, the checklist says so.
    let api = env.api(&env.api_token("ops").await);
    assert_eq!(api.post("/wecom/check", json!(null)).await.1["ok"], true);
    env.add_app("console", &[]).await;
    env.login_in_client(&env.browser(WXWORK_UA), "console", "lisi")
        .await;
    b.accept_language = Some("en".into());
    let p = b.get(&format!("{}/admin", env.base)).await;
    assert!(!p.body.contains("id=\"guide\""), "{}", p.body);
    assert!(p.body.contains("✓ complete"), "{}", p.body);
    assert!(
        p.body.contains("from the homepage: console lisi"),
        "{}",
        p.body
    );
}

both_dbs!(
    homepage_step_follows_the_apps_homepage_mode,
    homepage_mode_body
);
// Rule: for an app whose WeCom homepage is the console's own login link (a Huawei preset with its
// account ID and IdP name), the SP-initiated login that link starts proves the homepage; an
// SP-initiated login of an app whose homepage is the mount address does not.
async fn homepage_mode_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    let login_sp = |app: &'static str| {
        let env = &env;
        async move {
            let b = env.browser(WXWORK_UA);
            env.wecom_client_login(&b, "zhangsan").await;
            let req = Req::new(env, app);
            let page = b.follow(&redirect_url(env, &req.xml(), None)).await;
            assert!(page.form().is_some(), "{} {}", page.status, page.body);
        }
    };
    env.add_app("plain", &[]).await;
    login_sp("plain").await;
    let (_, v) = api.get("/overview").await;
    assert!(!step(&v, "homepage"), "{v}");

    let mut hw = env
        .add_app(
            "hw",
            &[
                "param.account_id=0123456789abcdef",
                "param.provider_name=wecom",
                "role=readonly",
            ],
        )
        .await;
    hw.settings.preset = Some("huawei".into());
    assert!(env
        .state
        .store
        .update_app(&hw.to_row().unwrap())
        .await
        .unwrap());
    env.clock.advance(time::Duration::seconds(1));
    login_sp("hw").await;
    let (_, v) = api.get("/overview").await;
    assert!(step(&v, "homepage"), "{v}");
    assert_eq!(v["last_homepage_login"]["app"], "hw", "{v}");
}
