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
