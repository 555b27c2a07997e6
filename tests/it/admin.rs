//! The admin foundation: console sign-in with WeCom (admins only), console sessions and
//! CSRF, sign-out, API tokens (made, used, revoked), admins added and removed, the API's error body
//! and OpenAPI document. Each test names the rule it checks.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

both_dbs!(sign_in, sign_in_body);
// Rule: only an admin signs in to the console (WeCom member listed in the store or `[admin]`);
// a member who is not one gets a 403 page and an audit row; the session cookie is HttpOnly and
// SameSite=Lax; pages without a session send the browser to the sign-in page.
async fn sign_in_body(env: Env) {
    // No session: to the sign-in page, remembering where to go.
    let b = env.browser(CHROME_UA);
    let p = b.get(&format!("{}/admin/access", env.base)).await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/login?next=%2Fadmin%2Faccess")
    );
    let p = b
        .get(&format!("{}/admin/login?next=%2Fadmin%2Faccess", env.base))
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("/admin/login/wecom?next=%2Fadmin%2Faccess"));

    // Not an admin: refused after WeCom, audited.
    let lisi = env.browser(WXWORK_UA);
    env.wecom_client_login(&lisi, "lisi").await;
    let p = lisi
        .follow(&format!("{}/admin/login/wecom", env.base))
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert_eq!(p.reason().as_deref(), Some("not_admin"));
    assert!(lisi.cookie(&env.base, "wecom_idp_admin").is_none());
    let rows = env.audit().await;
    assert!(rows.iter().any(|r| r.event == "admin_login"
        && r.userid.as_deref() == Some("lisi")
        && r.reason == "not_admin"));

    // An admin: signed in, lands where they asked.
    env.state
        .store
        .add_admin("zhangsan", "shell", 0)
        .await
        .unwrap();
    let zs = env.browser(WXWORK_UA);
    env.wecom_client_login(&zs, "zhangsan").await;
    let (url, _) = zs
        .follow_until(
            &format!("{}/admin/login/wecom?next=%2Fadmin%2Faccess", env.base),
            |u| u.contains("/admin/access"),
        )
        .await;
    assert!(url.ends_with("/admin/access"), "{url}");
    let p = zs.get(&format!("{}/admin/access", env.base)).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("zhangsan"));
    // Console pages have the console's stricter policy.
    let csp = p.header("content-security-policy").unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert_eq!(p.header("x-frame-options"), Some("DENY"));

    // An open redirect through `next` is not possible.
    let evil = env.browser(WXWORK_UA);
    env.wecom_client_login(&evil, "zhangsan").await;
    let (url, _) = evil
        .follow_until(
            &format!(
                "{}/admin/login/wecom?next=%2F%2Fevil.example%2Fadmin",
                env.base
            ),
            |u| !u.starts_with(&env.base) && !u.starts_with(&env.sim_base),
        )
        .await;
    assert!(url.starts_with(&env.base), "{url}");

    // Removing the admin ends their console access at the next request.
    env.state.store.remove_admin("zhangsan").await.unwrap();
    let p = zs.get(&format!("{}/admin/access", env.base)).await;
    assert_eq!(p.status, 302);
}

both_dbs!(csrf_and_logout, csrf_and_logout_body);
// Rule: every console form needs the session's CSRF token and a same-origin Origin; sign-out ends
// the session.
async fn csrf_and_logout_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let url = format!("{}/admin/access/admins", env.base);
    // Without the token: refused, nothing changes.
    let p = b
        .post_form(&url, &[("csrf", "0000"), ("userid", "lisi")])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(p.reason().as_deref(), Some("csrf"));
    assert!(!env.state.store.is_stored_admin("lisi").await.unwrap());
    // Another browser's token does not work either.
    let (_, other_csrf) = env.admin_browser("wangwu").await;
    let p = b
        .post_form(&url, &[("csrf", &other_csrf), ("userid", "lisi")])
        .await;
    assert_eq!(p.status, 403);
    // A cross-origin post is refused even with the token.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&url)
        .header("Origin", "https://evil.example")
        .header(
            "Cookie",
            format!(
                "wecom_idp_admin={}",
                b.cookie(&env.base, "wecom_idp_admin").unwrap()
            ),
        )
        .form(&[("csrf", csrf.as_str()), ("userid", "lisi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(!env.state.store.is_stored_admin("lisi").await.unwrap());
    // With the token: done, audited with the actor.
    let p = b
        .post_form(&url, &[("csrf", &csrf), ("userid", "lisi")])
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert!(env.state.store.is_stored_admin("lisi").await.unwrap());
    let rows = env.state.store.audit_rows(50).await.unwrap();
    let row = rows.iter().find(|r| r.event == "admin_add").unwrap();
    assert_eq!(row.actor.as_deref(), Some("wecom:zhangsan"));
    assert_eq!(row.userid.as_deref(), Some("lisi"));
    // A bad userid is a field error on the page, in the page's language.
    let p = b
        .post_form(&url, &[("csrf", &csrf), ("userid", "<b>x</b>")])
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("a WeCom userid is"), "{}", p.body);
    assert!(
        !p.body.contains("userid: a WeCom userid"),
        "no field prefix on the page: {}",
        p.body
    );
    assert!(!p.body.contains("<b>x</b>"));
    // Sign-out.
    let p = b
        .post_form(&format!("{}/admin/logout", env.base), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 302);
    let p = b.get(&format!("{}/admin", env.base)).await;
    assert_eq!(p.status, 302);
}

both_dbs!(tokens, tokens_body);
// Rule: the API needs a live token (401 with the error body otherwise); tokens are stored hashed,
// shown once, revocable (a revoked token never works again), their last use is kept.
async fn tokens_body(env: Env) {
    let anon = env.api("");
    let (s, body) = anon.get("/me").await;
    assert_eq!(s, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (s, _) = env.api("wip_notatoken").get("/me").await;
    assert_eq!(s, 401);

    let token = env.api_token("ci").await;
    assert!(token.starts_with("wip_"));
    let api = env.api(&token);
    let (s, body) = api.get("/me").await;
    assert_eq!(s, 200);
    assert_eq!(body["actor"], "token:ci");

    // The store holds no token in the clear.
    let (s, made) = api.post("/tokens", json!({"name": "terraform"})).await;
    assert_eq!(s, 201, "{made}");
    let secret = made["token"].as_str().unwrap().to_string();
    let (_, list) = api.get("/tokens").await;
    assert!(!list.to_string().contains(&secret));
    let ci = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci")
        .unwrap();
    assert!(ci["last_used_at"].is_string());
    // Same name twice: a conflict.
    let (s, body) = api.post("/tokens", json!({"name": "terraform"})).await;
    assert_eq!(s, 409);
    assert_eq!(body["error"]["code"], "conflict");
    // Bad name: field error.
    let (s, body) = api.post("/tokens", json!({"name": "a b"})).await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["field"], "name");
    // Bad JSON and wrong content type: the same error body.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/tokens", env.base))
        .bearer_auth(&token)
        .body("{not json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "bad_json");
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/tokens", env.base))
        .bearer_auth(&token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);

    // Revoke: the token stops working at once.
    let tf = env.api(&secret);
    assert_eq!(tf.get("/me").await.0, 200);
    let (s, _) = api.delete("/tokens/terraform").await;
    assert_eq!(s, 204);
    assert_eq!(tf.get("/me").await.0, 401);
    assert_eq!(api.delete("/tokens/terraform").await.0, 404);
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "token_revoke" && r.actor.as_deref() == Some("token:ci")));

    // Admins over the API; config admins cannot be removed there.
    let (s, _) = api.post("/admins", json!({"userid": "wangwu"})).await;
    assert_eq!(s, 201);
    let (_, admins) = api.get("/admins").await;
    assert!(admins
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["userid"] == "wangwu" && a["source"] == "store"));
    assert_eq!(api.delete("/admins/wangwu").await.0, 204);
    assert_eq!(api.delete("/admins/wangwu").await.0, 404);

    // Unknown API routes: JSON 404.
    let (s, body) = api.get("/nope").await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the OpenAPI document is served, is OpenAPI 3, names the bearer scheme and lists every
// operation the router serves (here: the foundation's; each area adds its own).
async fn openapi_document() {
    let env = Env::start(Db::Sqlite).await;
    let r = reqwest::get(format!("{}/api/v1/openapi.json", env.base))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for p in [
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}",
        "/api/v1/admins",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    assert_eq!(doc["servers"][0]["url"], env.base);
    // The audit words come from the log's own enums: every result a row can hold, `pending` too.
    let results = &doc["components"]["schemas"]["AuditResult"]["enum"];
    for r in ["success", "refused", "error", "pending"] {
        assert!(
            results.as_array().unwrap().iter().any(|v| v == r),
            "{r}: {results}"
        );
    }
    let events = &doc["components"]["schemas"]["AuditEvent"]["enum"];
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "wecom_check"),
        "{events}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: console, admin sign-in and API are rate-limited per client
// IP — past the burst, a 429 with Retry-After (the API's JSON error body, an HTML page for the
// console) and one audit row per episode; the login routes have their own budget.
async fn admin_requests_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.admin.requests_per_minute = 60;
        c.admin.burst = 3;
    })
    .await;
    let token = env.api_token("ci").await;
    let api = env.api(&token);
    for _ in 0..3 {
        assert_eq!(api.get("/me").await.0, 200);
    }
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/me", env.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    // The sign-in start is in the same budget, and answers with a page.
    let p = env
        .browser(CHROME_UA)
        .get(&format!("{}/admin/login/wecom", env.base))
        .await;
    assert_eq!(p.status, 429);
    assert_eq!(p.reason().as_deref(), Some("rate_limited"));
    let rows = env.audit().await;
    assert_eq!(
        rows.iter()
            .filter(|r| r.event == "admin_request" && r.reason == "rate_limited")
            .count(),
        1
    );
    // App logins have their own budget: not affected.
    let p = env
        .browser(CHROME_UA)
        .get(&format!("{}/apps/nope/start", env.base))
        .await;
    assert_eq!(p.status, 404);
}

both_dbs!(silent_sign_in_inside_wecom, silent_sign_in_body);
// Rule: inside the WeCom client an admin opening the console is signed in without a click (the
// sign-in page forwards to the silent snsapi_base OAuth, as a member's login does); an ordinary
// browser gets the page with its button (for the QR code); after signing out the page stays, so
// signing out inside WeCom is not undone at once.
async fn silent_sign_in_body(env: Env) {
    env.state
        .store
        .add_admin("zhangsan", "shell", 0)
        .await
        .unwrap();
    let zs = env.browser(WXWORK_UA);
    env.wecom_client_login(&zs, "zhangsan").await;
    let p = zs
        .get(&format!("{}/admin/login?next=%2Fadmin%2Faccess", env.base))
        .await;
    assert_eq!(p.status, 302, "no page to click through: {}", p.body);
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/login/wecom?next=%2Fadmin%2Faccess")
    );
    let p = zs
        .get(&format!("{}{}", env.base, p.location.unwrap()))
        .await;
    let to_wecom = p.location.unwrap_or_default();
    assert!(to_wecom.contains("snsapi_base"), "silent OAuth: {to_wecom}");
    // From the console's address to the page asked for, with no page in between.
    let page = zs.follow(&format!("{}/admin/access", env.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("zhangsan"));

    // An ordinary browser: the page with the button.
    let p = env
        .browser(CHROME_UA)
        .get(&format!("{}/admin/login", env.base))
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"wecom-sign-in\""));

    // Signing out inside WeCom stays signed out: the page, not another silent sign-in.
    let csrf = csrf_of(&page.body);
    let p = zs
        .post_form(&format!("{}/admin/logout", env.base), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 302);
    let p = zs
        .get(&format!("{}{}", env.base, p.location.unwrap()))
        .await;
    assert_eq!(p.status, 200, "the sign-in page after signing out");
    assert!(p.body.contains("id=\"wecom-sign-in\""));
    assert!(zs
        .cookie(&env.base, "wecom_idp_admin")
        .is_none_or(|c| c.is_empty()));
}
