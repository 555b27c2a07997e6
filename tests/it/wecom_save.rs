//! A Save of the WeCom source never locks anyone out: it runs the whole set-up check first
//! (gettoken with the typed or stored Secret, the app read back with `agent/get?agentid=…`, a data
//! call), refuses with the result beside the field and the typed values kept, and saves a failing
//! source only on an explicit "save anyway", which is audited. Also: the trusted-domain hint says
//! what WeCom's field wants, and an unreachable `api_base` names the configured host. Each test names
//! the rule it checks.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

async fn raw_wecom(env: &Env) -> Option<String> {
    env.state
        .store
        .settings()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "wecom")
        .map(|r| r.value_json)
        .filter(|v| v.trim() != "null")
}

async fn member_signs_in(env: &Env, userid: &str) -> bool {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    b.follow(&format!("{}/apps/app/start", env.base))
        .await
        .form()
        .is_some()
}

both_dbs!(api_save_runs_the_full_check, api_save_body);
// Rule: PUT /wecom checks the resulting source against WeCom before storing it. A wrong AgentId
// (40056 from agent/get), another app's AgentId (301002), a wrong Secret (40001 from gettoken), a
// wrong corp ID (40013) and a disabled app are each refused with 409 `wecom_check_failed`, the field
// to fix and the check; nothing is stored and members still sign in. `force: true` saves anyway and
// the audit row says so, with the failed check; a passing save reports its check.
async fn api_save_body(env: Env) {
    env.add_app("app", &[]).await;
    let api = env.api(&env.api_token("ops").await);
    env.sim.add_other_agent("1000099");
    for (body, field, endpoint, errcode) in [
        (
            json!({"agent_id": "9999999"}),
            "agent_id",
            "agent/get",
            40056,
        ),
        (
            json!({"agent_id": "1000099"}),
            "agent_id",
            "agent/get",
            301002,
        ),
        (
            json!({"secret": "wrong-secret-123"}),
            "secret",
            "gettoken",
            40001,
        ),
        (
            json!({"corp_id": "wwsomeoneelse0001"}),
            "corp_id",
            "gettoken",
            40013,
        ),
    ] {
        let (s, e) = api.put("/wecom", body.clone()).await;
        assert_eq!(s, 409, "{body} → {e}");
        assert_eq!(e["error"]["code"], "wecom_check_failed", "{e}");
        assert_eq!(e["error"]["field"], field, "{body} → {e}");
        assert_eq!(e["check"]["ok"], false, "{e}");
        assert_eq!(e["check"]["endpoint"], endpoint, "{body} → {e}");
        assert_eq!(e["check"]["errcode"], errcode, "{body} → {e}");
        assert_eq!(e["check"]["field"], field, "{e}");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("force") && msg.contains("未保存"), "{msg}");
        assert!(!e.to_string().contains("wrong-secret-123"), "{e}");
        assert!(raw_wecom(&env).await.is_none(), "{body}: nothing stored");
    }
    // The agent/get meaning names the cause in both languages.
    let (_, e) = api.put("/wecom", json!({"agent_id": "1000099"})).await;
    assert!(
        e["check"]["meaning"]["en"]
            .as_str()
            .unwrap()
            .contains("different apps"),
        "{e}"
    );
    assert!(
        e["check"]["meaning"]["zh"]
            .as_str()
            .unwrap()
            .contains("不属于同一个应用"),
        "{e}"
    );
    // A disabled app: agent/get answers, but members would meet 50003.
    env.sim.set_app_closed(true);
    let (s, e) = api.put("/wecom", json!({"agent_id": " 1000002 "})).await;
    assert_eq!(s, 200, "equal to the saved value: nothing to check: {e}");
    let (_, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["endpoint"], "agent/get");
    assert_eq!(v["field"], "agent_id");
    assert!(v["meaning"]["en"].as_str().unwrap().contains("disabled"));
    env.sim.set_app_closed(false);
    assert!(member_signs_in(&env, "zhangsan").await, "nothing was saved");
    assert!(
        !env.audit()
            .await
            .iter()
            .any(|r| r.event == "settings_wecom"),
        "a refused save writes no change row"
    );

    // Saved anyway: stored, audited with the failed check; the check now fails on the saved values.
    let (s, v) = api
        .put("/wecom", json!({"agent_id": "9999999", "force": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["agent_id"], "9999999");
    assert_eq!(v["check"]["ok"], false, "{v}");
    assert_eq!(v["check"]["errcode"], 40056, "{v}");
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "settings_wecom")
        .expect("the forced save is audited");
    assert_eq!(row.actor.as_deref(), Some("token:ops"));
    let d: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    assert_eq!(d["saved_anyway"], true, "{d}");
    assert_eq!(d["check"]["errcode"], 40056, "{d}");
    assert_eq!(d["check"]["endpoint"], "agent/get", "{d}");
    assert_eq!(d["after"]["agent_id"], "9999999", "{d}");
    let (_, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(v["errcode"], 40056, "{v}");

    // The right AgentId passes the check and is saved without force; the check is in the answer.
    let (s, v) = api.put("/wecom", json!({"agent_id": AGENT_ID})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["check"]["ok"], true, "{v}");
    assert!(
        v["check"]["app_name"].as_str().unwrap().contains("WeCom"),
        "{v}"
    );
    assert_eq!(v["sources"]["agent_id"], "config");
    assert!(member_signs_in(&env, "lisi").await);
    // The OpenAPI document names the refusal.
    let (_, doc) = api.get("/openapi.json").await;
    assert!(
        doc["paths"]["/api/v1/wecom"]["put"]["responses"]
            .get("409")
            .is_some(),
        "409 documented"
    );
}

async fn send(b: &Browser, env: &Env, fields: Vec<(String, String)>) -> Page {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(&format!("{}/admin/wecom/source", env.base), &f)
        .await
}

both_dbs!(console_save_refuses_and_keeps_typed, console_save_body);
// Rule: in the console, Save with a wrong AgentId or Secret stores nothing, answers the page with
// the check's result beside the field (in the page's language), the typed values kept (never the
// Secret, which it asks to type again) and a "Save anyway" button; "Check without saving" keeps what
// was typed too; "Save anyway" stores it and the audit row names the admin and the failed check.
async fn console_save_body(env: Env) {
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    let form = |agent: &str, secret: &str, action: &str| -> Vec<(String, String)> {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("corp_id".into(), CORP_ID.into()),
            ("agent_id".into(), agent.into()),
            ("secret".into(), secret.into()),
            ("api_base".into(), env.sim_base.clone()),
            ("oauth_base".into(), env.sim_base.clone()),
            ("web_login_base".into(), env.sim_base.clone()),
            ("action".into(), action.into()),
        ]
    };

    // Save a wrong AgentId: refused, explained beside the AgentId, the typed value kept.
    let p = send(&b, &env, form("9999999", "", "save")).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("id=\"not-saved\""), "{}", p.body);
    assert!(p.body.contains("<code id=\"check-errcode\">40056</code>"));
    assert!(
        p.body.contains("id=\"check-agent_id\""),
        "the result beside the field: {}",
        p.body
    );
    assert!(p.body.contains("name=\"agent_id\" value=\"9999999\""));
    assert!(p.body.contains("id=\"save-anyway\""));
    assert!(p.body.contains("wecom-idp settings reset --wecom"));
    assert!(raw_wecom(&env).await.is_none(), "nothing stored");
    assert!(!p.body.contains("id=\"saved\""));

    // A wrong Secret, in Chinese: beside the Secret, never echoed, asked to type it again.
    b.accept_language = Some("zh-CN,zh;q=0.9".into());
    let p = send(&b, &env, form(AGENT_ID, "wrong-secret-123", "save")).await;
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("id=\"check-secret\""), "{}", p.body);
    assert!(p.body.contains("未保存"), "{}", p.body);
    assert!(p.body.contains("不合法的 secret 参数"), "{}", p.body);
    assert!(p.body.contains("id=\"secret-again\""));
    assert!(p.body.contains("请重新输入"));
    assert!(p.body.contains("仍然保存"));
    assert!(!p.body.contains("wrong-secret-123"));
    assert!(raw_wecom(&env).await.is_none());

    // Check without saving: the typed values stay, the result is beside the field, no Save anyway.
    let p = send(&b, &env, form("9999999", "", "check")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("name=\"agent_id\" value=\"9999999\""));
    assert!(p.body.contains("id=\"check-agent_id\""));
    assert!(!p.body.contains("id=\"save-anyway\""));
    assert!(raw_wecom(&env).await.is_none());

    // Save anyway: stored, audited with the failed check and the admin.
    let p = send(&b, &env, form("9999999", "", "force")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"saved\""), "{}", p.body);
    assert!(raw_wecom(&env).await.unwrap().contains("9999999"));
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "settings_wecom")
        .unwrap();
    assert_eq!(row.actor.as_deref(), Some("wecom:zhangsan"));
    let d: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    assert_eq!(d["saved_anyway"], true, "{d}");
    assert_eq!(d["check"]["errcode"], 40056, "{d}");

    // The right AgentId saves after a passing check.
    let p = send(&b, &env, form(AGENT_ID, "", "save")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"saved\""));
    assert!(
        p.body.contains("✓"),
        "the passing check is shown: {}",
        p.body
    );
}

both_dbs!(trusted_domain_hint, trusted_domain_body);
// Rule: the console tells what WeCom's trusted-domain field wants: host[:port] of this server, no
// scheme, no path (the callback URL is shown apart, as what must lie on that domain).
async fn trusted_domain_body(env: Env) {
    let (mut b, _csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en".into());
    let host = env.base.trim_start_matches("http://").to_string();
    assert!(host.contains(':') && !host.contains('/'), "{host}");
    let p = b.get(&format!("{}/admin", env.base)).await;
    assert!(
        p.body
            .contains(&format!("<code id=\"trusted-domain\">{host}</code>")),
        "{}",
        p.body
    );
    assert!(p.body.contains("host[:port]"));
    assert!(p.body.contains(&format!("{}/wecom/callback", env.base)));
    let p = b.get(&format!("{}/admin/wecom", env.base)).await;
    let hint = p
        .body
        .split("id=\"trusted-domain-hint\"")
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap_or_else(|| panic!("no hint: {}", p.body));
    assert!(hint.contains(&format!("<code>{host}</code>")), "{hint}");
    assert!(!hint.contains("http://"), "{hint}");
    b.accept_language = Some("zh-CN".into());
    let p = b.get(&format!("{}/admin", env.base)).await;
    assert!(p.body.contains("主机名[:端口]"), "{}", p.body);
}

/// An instance whose configured API base is a loopback port nobody listens on.
async fn env_with_dead_api_base(db: Db) -> Option<(Env, String)> {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}")
    };
    let d = dead.clone();
    let tweak = move |c: &mut wecom_idp::config::Config| c.wecom.api_base = d;
    let env = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
            Env::start_with(db, url, dir, tweak).await
        }
        Db::Postgres => {
            let url = Env::postgres_url().await?;
            Env::start_with(db, url, tempfile::tempdir().unwrap(), tweak).await
        }
    };
    Some((env, dead))
}

mod unreachable_api_base_names_its_host {
    // Rule: when the configured api_base cannot be reached, the check blames that host (and points
    // at the api_base field), not qyapi.weixin.qq.com, which this server never called.
    async fn body(db: crate::harness::Db) {
        let Some((env, dead)) = super::env_with_dead_api_base(db).await else {
            return;
        };
        let api = env.api(&env.api_token("ops").await);
        let (s, v) = api.post("/wecom/check", serde_json::json!(null)).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ok"], false, "{v}");
        assert_eq!(v["field"], "api_base", "{v}");
        let host = dead.trim_start_matches("http://");
        for lang in ["en", "zh"] {
            let fix = v["fix"][lang].as_str().unwrap();
            assert!(fix.contains(host), "{lang}: {fix}");
            assert!(!fix.contains("qyapi"), "{lang}: {fix}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        body(crate::harness::Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        body(crate::harness::Db::Postgres).await;
    }
}
