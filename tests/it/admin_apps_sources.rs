//! App metadata from a URL — fetched with a streamed size cap, http/https only,
//! redirects re-checked, internal addresses refused unless allowed (SSRF); refreshed on demand and
//! periodically (one instance claims a due source), a failed fetch never changing the app.

use crate::admin_apps::{attack, nothing_stored, refused_rows, sp, valid_cert};
use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Routes = Arc<Mutex<HashMap<String, (u16, Vec<(String, String)>, Vec<u8>)>>>;

/// A tiny HTTP/1.1 server on 127.0.0.1 serving `routes` (path → status, headers, body).
async fn http_server(routes: Routes) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, headers, body) = routes
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, vec![], b"no".to_vec()));
                let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
                let chunked = headers.iter().any(|(k, _)| k == "chunked");
                for (k, v) in &headers {
                    if k != "chunked" {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                }
                if chunked {
                    head.push_str("Transfer-Encoding: chunked\r\n\r\n");
                    let _ = s.write_all(head.as_bytes()).await;
                    for c in body.chunks(64 * 1024) {
                        let _ = s.write_all(format!("{:x}\r\n", c.len()).as_bytes()).await;
                        let _ = s.write_all(c).await;
                        let _ = s.write_all(b"\r\n").await;
                    }
                    let _ = s.write_all(b"0\r\n\r\n").await;
                } else {
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(&body).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn env_allowing_private(db: Db) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await?,
    };
    Some(Env::start_with(db, url, dir, |c| c.admin.allow_private_metadata_urls = true).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_fetch_and_refresh_sqlite() {
    url_fetch_and_refresh(env_allowing_private(Db::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_fetch_and_refresh_postgres() {
    if let Some(env) = env_allowing_private(Db::Postgres).await {
        url_fetch_and_refresh(env).await;
    }
}

// Rule: metadata comes from a URL (size-capped while streaming, http/https only, redirects
// re-checked); refresh imports changes as a new version, a failed fetch never changes the app and is
// shown as the last error; the periodic refresh claims a due source once.
async fn url_fetch_and_refresh(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let cert = valid_cert();
    let routes: Routes = Arc::default();
    let base = http_server(routes.clone()).await;
    let set = |path: &str, status: u16, headers: Vec<(String, String)>, body: Vec<u8>| {
        routes
            .lock()
            .unwrap()
            .insert(path.into(), (status, headers, body));
    };
    set(
        "/m",
        200,
        vec![],
        sp("https://sp.example/u", "https://sp.example/u/acs", &cert).into_bytes(),
    );
    set(
        "/big",
        200,
        vec![("chunked".into(), String::new())],
        vec![b' '; 2 * 1024 * 1024],
    );
    set(
        "/to-file",
        302,
        vec![("Location".into(), "file:///etc/passwd".into())],
        vec![],
    );
    set("/to-m", 302, vec![("Location".into(), "/m".into())], vec![]);

    let (s, p) = api
        .post(
            "/apps/preview",
            json!({"metadata_url": format!("{base}/to-m")}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["entity_id"], "https://sp.example/u");
    for (path, msg) in [
        ("/big", "larger than 1024 KiB"),
        ("/to-file", "scheme file"),
        ("/missing", "answered 404"),
    ] {
        let (s, e) = api
            .post(
                "/apps/preview",
                json!({"metadata_url": format!("{base}{path}")}),
            )
            .await;
        assert_eq!(s, 400, "{path}: {e}");
        assert_eq!(e["error"]["field"], "metadata_url");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(msg),
            "{path}: {e}"
        );
    }
    let (s, e) = api
        .post(
            "/apps/preview",
            json!({"metadata_url": "file:///etc/passwd"}),
        )
        .await;
    assert_eq!(s, 400, "{e}");

    let (s, v) = api
        .post(
            "/apps",
            json!({"name": "u", "metadata_url": format!("{base}/m"), "refresh_secs": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["source"]["url"], format!("{base}/m"));
    assert_eq!(v["source"]["last_result"], "updated");
    assert_eq!(v["source"]["refresh_secs"], 3600);

    // Unchanged: no version.
    let (s, r) = api.post("/apps/u/refresh", json!({})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["result"], "unchanged");
    assert_eq!(
        api.get("/apps/u/versions")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Changed: a version, the new ACS.
    set(
        "/m",
        200,
        vec![],
        sp("https://sp.example/u", "https://sp.example/u/acs2", &cert).into_bytes(),
    );
    let (_, r) = api.post("/apps/u/refresh", json!({})).await;
    assert_eq!(r["result"], "updated");
    assert_eq!(r["app"]["acs"][0]["location"], "https://sp.example/u/acs2");
    assert_eq!(
        api.get("/apps/u/versions")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Broken: the app is unchanged, the error is shown.
    set("/m", 200, vec![], attack("doctype.xml").into_bytes());
    let (s, e) = api.post("/apps/u/refresh", json!({})).await;
    assert_eq!(s, 400, "{e}");
    let (_, v) = api.get("/apps/u").await;
    assert_eq!(v["acs"][0]["location"], "https://sp.example/u/acs2");
    assert_eq!(v["source"]["last_result"], "failed");
    assert!(v["source"]["last_error"]
        .as_str()
        .unwrap()
        .contains("DOCTYPE"));
    assert!(refused_rows(&env.audit().await, "app_refresh") >= 1);

    // Periodic: nothing due yet; once due, one claim fetches, a second finds nothing to do.
    set(
        "/m",
        200,
        vec![],
        sp("https://sp.example/u", "https://sp.example/u/acs3", &cert).into_bytes(),
    );
    fn ctx(env: &Env) -> wecom_idp::admin::apps::Ctx<'_> {
        use wecom_idp::clock::Clock as _;
        wecom_idp::admin::apps::Ctx {
            store: &env.state.store,
            now: env.clock.now(),
            actor: &wecom_idp::admin::Actor::Scheduler,
            ip: None,
            fetch: wecom_idp::admin::metadata_fetch::FetchPolicy {
                allow_private: true,
                ..Default::default()
            },
        }
    }
    assert_eq!(
        wecom_idp::admin::app_refresh::refresh_due(&ctx(&env))
            .await
            .unwrap(),
        0
    );
    env.clock.advance(time::Duration::seconds(3601));
    assert_eq!(
        wecom_idp::admin::app_refresh::refresh_due(&ctx(&env))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        wecom_idp::admin::app_refresh::refresh_due(&ctx(&env))
            .await
            .unwrap(),
        0
    );
    let (_, v) = api.get("/apps/u").await;
    assert_eq!(v["acs"][0]["location"], "https://sp.example/u/acs3");
    assert_eq!(v["source"]["last_result"], "updated");
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "app_refresh" && r.actor.as_deref() == Some("scheduler")));

    // Replacing with a document drops the URL; refresh then says so.
    let (s, _) = api
        .put(
            "/apps/u/metadata",
            json!({"metadata_xml": sp("https://sp.example/u", "https://sp.example/u/acs", &cert)}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, e) = api.post("/apps/u/refresh", json!({})).await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "metadata_url");
}

both_dbs!(private_urls_refused, private_urls_refused_body);
// Rule: by default a metadata URL on a loopback/private address is refused (SSRF), naming the setting.
async fn private_urls_refused_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let routes: Routes = Arc::default();
    let base = http_server(routes).await;
    for url in [
        format!("{base}/m"),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://10.0.0.1/m".into(),
    ] {
        let (s, e) = api
            .post("/apps", json!({"name": "ssrf", "metadata_url": url}))
            .await;
        assert_eq!(s, 400, "{url}: {e}");
        assert_eq!(e["error"]["field"], "metadata_url");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("allow_private_metadata_urls"),
            "{e}"
        );
    }
    nothing_stored(&env).await;
}
