//! Where the WeCom Secret may go: "check connection" and "save" never send the saved Secret to a
//! base an admin typed (the Secret must be typed again), and a typed base is refused when it is an
//! internal address unless `[admin] allow_private_wecom_bases`. Each test names the rule it checks.

use crate::harness::*;
use serde_json::json;
use std::sync::{Arc, Mutex};

/// A listener on 127.0.0.1 that records every request it gets and answers 502.
async fn recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let seen = s2.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = s
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

async fn env_with(db: Db, allow_private: bool) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await?,
    };
    Some(
        Env::start_with(db, url, dir, |c| {
            c.admin.allow_private_wecom_bases = allow_private
        })
        .await,
    )
}

macro_rules! on_both {
    ($name:ident, $body:ident, $allow:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let env = super::env_with(crate::harness::Db::Sqlite, $allow).await;
                super::$body(env.unwrap()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(env) = super::env_with(crate::harness::Db::Postgres, $allow).await {
                    super::$body(env).await;
                }
            }
        }
    };
}

on_both!(saved_secret_stays_with_saved_base, saved_secret_body, true);
// Rule: the saved Secret is sent only to the saved api_base. A check or a save that moves
// api_base without the Secret typed again is a field error on `secret` (both languages) and
// contacts nobody; with the Secret typed, the check goes to the new base with that Secret only.
async fn saved_secret_body(env: Env) {
    let (evil, seen) = recorder().await;
    let api = env.api(&env.api_token("ops").await);
    for (what, send) in [("check", "/wecom/check"), ("save", "/wecom")] {
        let body = json!({ "api_base": evil });
        let (s, e) = if what == "check" {
            api.post(send, body).await
        } else {
            api.put(send, body).await
        };
        assert_eq!(s, 400, "{what}: {e}");
        assert_eq!(e["error"]["field"], "secret", "{what}: {e}");
        let m = e["error"]["message"].as_str().unwrap();
        assert!(m.contains("api_base") && m.contains("Secret"), "{m}");
        assert!(m.contains("请重新输入"), "{m}");
    }
    // An empty secret is no secret.
    let (s, e) = api
        .post("/wecom/check", json!({ "api_base": evil, "secret": " " }))
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "secret");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing was sent to {evil}"
    );
    let (_, v) = api.get("/wecom").await;
    assert_eq!(v["api_base"], env.sim_base, "nothing saved");

    // The saved base (with or without a trailing space) still checks with the saved Secret.
    let (s, v) = api
        .post(
            "/wecom/check",
            json!({ "api_base": format!("{} ", env.sim_base) }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], true, "{v}");

    // With the Secret typed: checked against the new base, carrying only the typed Secret.
    let typed = "typed-again-secret-42";
    let (s, v) = api
        .post("/wecom/check", json!({ "api_base": evil, "secret": typed }))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], false, "{v}");
    let seen = seen.lock().unwrap().join("\n");
    assert!(seen.contains(typed), "{seen}");
    assert!(!seen.contains(SECRET), "the saved Secret left: {seen}");

    // The console: the same refusal beside the Secret field, and the form keeps what was typed.
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let p = b
        .post_form(
            &format!("{}/admin/wecom/source", env.base),
            &[
                ("csrf", csrf.as_str()),
                ("corp_id", CORP_ID),
                ("agent_id", "1000777"),
                ("secret", ""),
                ("api_base", evil.as_str()),
                ("oauth_base", env.sim_base.as_str()),
                ("web_login_base", env.sim_base.as_str()),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("field-error"), "{}", p.body);
    assert!(p.body.contains("请重新输入 Secret"), "{}", p.body);
    assert!(
        p.body
            .contains(&format!("name=\"api_base\" value=\"{evil}\"")),
        "the typed api_base is kept: {}",
        p.body
    );
    assert!(
        p.body.contains("name=\"agent_id\" value=\"1000777\""),
        "the typed AgentId is kept"
    );
    assert!(!p.body.contains(SECRET));
}

on_both!(internal_bases_refused, internal_bases_body, false);
// Rule: a typed api_base / oauth_base / web_login_base that differs from the configuration's is
// refused when it is (or resolves to) an internal address — including IPv6 forms that embed an
// internal IPv4 address — on save and on check, naming the field and the switch; the
// configuration's own (loopback) values still work.
async fn internal_bases_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    let secret = "typed-again-secret-42";
    for (field, base) in [
        ("api_base", "http://127.0.0.1:9"),
        ("api_base", "http://169.254.169.254"),
        ("api_base", "http://[::ffff:10.0.0.1]"),
        ("api_base", "http://[64:ff9b::7f00:1]"),
        ("api_base", "http://[2002:c0a8:101::1]"),
        ("oauth_base", "http://10.1.2.3"),
        ("web_login_base", "http://[::127.0.0.1]"),
    ] {
        for send in ["check", "save"] {
            let body = json!({ field: base, "secret": secret });
            let (s, e) = if send == "check" {
                api.post("/wecom/check", body).await
            } else {
                api.put("/wecom", body).await
            };
            assert_eq!(s, 400, "{send} {field}={base}: {e}");
            assert_eq!(e["error"]["field"], field, "{send} {field}={base}: {e}");
            assert!(
                e["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("allow_private_wecom_bases"),
                "{e}"
            );
        }
    }
    let (_, v) = api.get("/wecom").await;
    assert_eq!(v["sources"]["api_base"], "config", "nothing saved");
    // The configuration's values are the operator's: saved and checked as they are.
    let (s, v) = api
        .put(
            "/wecom",
            json!({ "api_base": env.sim_base, "oauth_base": env.sim_base }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(v["ok"], true, "{v}");
}
