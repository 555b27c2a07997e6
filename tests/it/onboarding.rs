//! WeCom onboarding helpers: the domain-ownership file `WW_verify_<code>.txt` uploaded through the
//! API and the CLI and served by every instance with exactly its bytes.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

async fn fetch(base: &str, path: &str) -> (u16, Option<String>, String) {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, ct, r.text().await.unwrap())
}

both_dbs!(verify_file_served_everywhere, verify_file_body);
// Rule: an uploaded ownership file is served at the root by every instance (the second one shares
// only the database) with exactly its bytes as text/plain; other names of the pattern, near-misses
// and other methods are 404; bad names and bad content are refused saying what to fix; a duplicate
// is a conflict; upload and removal are audited; after removal the path is 404 everywhere.
async fn verify_file_body(env: Env) {
    let api = env.api(&env.api_token("ops").await);
    let second = env.second_instance().await;
    let name = "WW_verify_Ab12Cd34Ef56Gh78.txt";
    let path = format!("/{name}");
    assert_eq!(fetch(&env.base, &path).await.0, 404, "nothing uploaded yet");

    let (s, v) = api
        .post(
            "/wecom/verify-files",
            json!({"name": name, "content": "Xy7Kq2Lm9Pz4Rt1W\n"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["path"], path);
    for base in [&env.base, &second] {
        let (status, ct, body) = fetch(base, &path).await;
        assert_eq!(status, 200, "{base}");
        assert_eq!(body, "Xy7Kq2Lm9Pz4Rt1W\n", "exactly the uploaded bytes");
        assert!(ct.unwrap().starts_with("text/plain"));
    }
    for other in [
        "/WW_verify_Other123.txt",
        "/ww_verify_Ab12Cd34Ef56Gh78.txt",
        "/WW_verify_Ab12Cd34Ef56Gh78.txt.bak",
        "/x/WW_verify_Ab12Cd34Ef56Gh78.txt",
    ] {
        assert_eq!(fetch(&env.base, other).await.0, 404, "{other}");
    }
    let post = reqwest::Client::new()
        .post(format!("{}{path}", env.base))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 404, "only GET and HEAD read it");

    let (s, v) = api
        .post(
            "/wecom/verify-files",
            json!({"name": name, "content": "again"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = api
        .post(
            "/wecom/verify-files",
            json!({"name": "WW_verify_../x.txt", "content": "abc"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["field"], "name");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("WW_verify_"));
    let (s, v) = api
        .post(
            "/wecom/verify-files",
            json!({"name": "WW_verify_abc.txt", "content": "<script>alert(1)</script> x"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["field"], "content");
    let (s, v) = api
        .post(
            "/wecom/verify-files",
            json!({"name": "WW_verify_abc.txt", "content": "a".repeat(129)}),
        )
        .await;
    assert_eq!(s, 400, "size cap: {v}");

    let (s, v) = api.get("/wecom/verify-files").await;
    assert_eq!(s, 200);
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["name"], name);

    let (s, _) = api.delete(&format!("/wecom/verify-files/{name}")).await;
    assert_eq!(s, 204);
    let (s, _) = api.delete(&format!("/wecom/verify-files/{name}")).await;
    assert_eq!(s, 404);
    for base in [&env.base, &second] {
        assert_eq!(fetch(base, &path).await.0, 404, "removed everywhere");
    }
    let rows = env.audit().await;
    for event in ["verify_file_add", "verify_file_remove"] {
        let r = rows.iter().find(|r| r.event == event).expect(event);
        assert!(r.detail.as_deref().unwrap().contains(name), "{r:?}");
        assert_eq!(r.actor.as_deref(), Some("token:ops"));
    }
}

both_dbs!(verify_file_cli, verify_file_cli_body);
// Rule: `wecom verify-file add PATH` takes the file's own name, the running server serves it at
// once; a renamed file is refused saying to keep WeCom's name; `list` shows it, `remove` ends it;
// both audited as `shell`.
async fn verify_file_cli_body(env: Env) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("WW_verify_Cli9Token.txt");
    std::fs::write(&file, "Qw3Er5Ty7Ui9Op1A").unwrap();
    let renamed = dir.path().join("verify.txt");
    std::fs::write(&renamed, "Qw3Er5Ty7Ui9Op1A").unwrap();
    let vars = shell(&env);
    let cmd = |args: &[&str]| {
        let mut all = vec!["wecom", "verify-file"];
        all.extend_from_slice(args);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let vars = vars.clone();
        async move {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run_shell(&vars, &a).await
        }
    };
    let (ok, out) = run(cmd(&["add", renamed.to_str().unwrap()])).await;
    assert!(!ok && out.contains("WW_verify_"), "{out}");
    let (ok, out) = run(cmd(&["add", file.to_str().unwrap()])).await;
    assert!(ok, "{out}");
    assert!(out.contains("/WW_verify_Cli9Token.txt"), "{out}");
    let (status, _, body) = fetch(&env.base, "/WW_verify_Cli9Token.txt").await;
    assert_eq!((status, body.as_str()), (200, "Qw3Er5Ty7Ui9Op1A"));
    let (ok, out) = run(cmd(&["list"])).await;
    assert!(ok && out.contains("WW_verify_Cli9Token.txt"), "{out}");
    let (ok, out) = run(cmd(&["remove", "WW_verify_Cli9Token.txt"])).await;
    assert!(ok, "{out}");
    assert_eq!(fetch(&env.base, "/WW_verify_Cli9Token.txt").await.0, 404);
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "verify_file_add" && r.actor.as_deref() == Some("shell")));
    assert!(rows
        .iter()
        .any(|r| r.event == "verify_file_remove" && r.actor.as_deref() == Some("shell")));
}

/// A small HTTP forwarding proxy (absolute-form requests and CONNECT) whose outgoing connections
/// leave from `egress`, another loopback address than the server's own: the simulator, trusting
/// only `egress`, then tells proxied calls from direct ones as WeCom tells trusted IPs.
struct TestProxy {
    url: String,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TestProxy {
    async fn start(egress: std::net::IpAddr) -> TestProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = connections.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(forward(conn, egress));
            }
        });
        TestProxy { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn forward(mut client: tokio::net::TcpStream, egress: std::net::IpAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut buf).await.unwrap();
        if n == 0 {
            return;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut parts = line.split(' ');
    let method = parts.next().unwrap().to_string();
    let target = parts.next().unwrap().to_string();
    let authority = if method == "CONNECT" {
        target
    } else {
        let u = url::Url::parse(&target).unwrap();
        format!(
            "{}:{}",
            u.host_str().unwrap(),
            u.port_or_known_default().unwrap()
        )
    };
    let addr: std::net::SocketAddr = authority.parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(egress, 0)).unwrap();
    let mut upstream = socket.connect(addr).await.unwrap();
    if method == "CONNECT" {
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .unwrap();
    } else {
        // Origin servers accept the absolute form, so the bytes go on as they came.
        upstream.write_all(&head).await.unwrap();
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

both_dbs!(proxy_and_egress_ip, proxy_body);
// Rule: when WeCom refuses the server's address (60020), "check connection" names the address
// WeCom saw and says to trust it or set proxy_url; `serve --check` says the same; with proxy_url
// set (console/API: only with the Secret typed again) every WeCom call goes through the proxy —
// the check and a member's sign-in work from the proxy's trusted address, and the proxy carried
// them; `WECOM_IDP_WECOM__PROXY_URL` routes the shell's check the same way.
async fn proxy_body(env: Env) {
    let egress: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    env.sim.set_trusted_ips(Some(vec![egress]));
    env.add_app("app", &[]).await;
    let api = env.api(&env.api_token("ops").await);

    let (s, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["errcode"], 60020, "{v}");
    assert_eq!(v["egress_ip"], "127.0.0.1", "{v}");
    let fix = v["fix"]["en"].as_str().unwrap();
    assert!(
        fix.contains("127.0.0.1") && fix.contains("proxy_url"),
        "{fix}"
    );
    assert!(
        v["fix"]["zh"].as_str().unwrap().contains("企业可信IP"),
        "{v}"
    );
    let (ok, out) = run_shell(&shell(&env), &["serve", "--check"]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("60020") && out.contains("from 127.0.0.1"),
        "{out}"
    );

    let proxy = TestProxy::start(egress).await;
    let (s, v) = api.put("/wecom", json!({"proxy_url": proxy.url})).await;
    assert_eq!(s, 400, "a new proxy needs the Secret: {v}");
    assert_eq!(v["error"]["field"], "secret", "{v}");
    let (s, v) = api
        .put(
            "/wecom",
            json!({"proxy_url": "http://user:pw@127.0.0.1:1", "secret": SECRET}),
        )
        .await;
    assert_eq!(s, 400, "no credentials stored in clear: {v}");
    assert_eq!(v["error"]["field"], "proxy_url", "{v}");
    let (s, v) = api
        .put("/wecom", json!({"proxy_url": proxy.url, "secret": SECRET}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["proxy_url"], proxy.url);
    assert_eq!(v["check"]["ok"], true, "{v}");
    let (s, v) = api.post("/wecom/check", json!(null)).await;
    assert_eq!((s, &v["ok"]), (200, &json!(true)), "{v}");
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "app", "zhangsan").await;
    assert!(proxy.connections() > 0, "the calls went through the proxy");

    // The configuration's proxy (here from the environment) serves the shell's check.
    let (s, v) = api.delete("/wecom").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["proxy_url"], "", "back to the configuration's: direct");
    let mut vars = shell(&env);
    vars.push(("WECOM_IDP_WECOM__PROXY_URL", proxy.url.clone()));
    let before = proxy.connections();
    let (_, out) = run_shell(&vars, &["serve", "--check"]).await;
    assert!(out.contains("through proxy"), "{out}");
    assert!(!out.contains("60020"), "{out}");
    assert!(proxy.connections() > before, "{out}");
}

both_dbs!(verify_file_console, verify_file_console_body);
// Rule: the WeCom settings page uploads the chosen file under its own name (served at once), lists
// it, refuses a renamed file beside the form saying to keep WeCom's name, and removes it; the
// forms need the CSRF token.
async fn verify_file_console_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let url = format!("{}/admin/wecom/verify-files", env.base);
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, b"wrong"),
                ("file", Some("WW_verify_Page1.txt"), b"Tok3n"),
            ],
        )
        .await;
    assert_ne!(p.status, 200, "CSRF first");
    assert_eq!(fetch(&env.base, "/WW_verify_Page1.txt").await.0, 404);
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file", Some("WW_verify_Page1.txt"), b"Tok3n"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("WW_verify_Page1.txt"), "listed");
    assert_eq!(fetch(&env.base, "/WW_verify_Page1.txt").await.2, "Tok3n");
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file", Some("verify (1).txt"), b"Tok3n"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"verify-file-error\""), "{}", p.body);
    let p = b
        .post_form(
            &format!("{url}/remove"),
            &[("csrf", &csrf), ("name", "WW_verify_Page1.txt")],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(fetch(&env.base, "/WW_verify_Page1.txt").await.0, 404);
}
