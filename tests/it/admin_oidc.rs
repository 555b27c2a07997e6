//! OpenID Connect clients in the admin API and the console: create (the secret shown once, its
//! hash never), show, list beside the SAML apps, change settings (all or nothing), rotate the secret
//! (the old one refused at once), delete; each refusal a field-level error that stores nothing;
//! every change audited; the console's forms behind the CSRF token. Each test names its rule.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use wecom_idp::crypto::sha256_hex;

const RP: &str = "https://grafana.example/login/generic_oauth";

/// A token request with a code that does not exist: `invalid_client` (401) when the secret is
/// wrong, `invalid_grant` (400) once the client is authenticated.
async fn token_error(env: &Env, client_id: &str, secret: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/oidc/token", env.base))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "no-such-code"),
            ("redirect_uri", RP),
            ("code_verifier", &"v".repeat(43)),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (s, v["error"].as_str().unwrap_or("").to_string())
}

fn oidc_rows(rows: &[wecom_idp::store::AuditRow], event: &str) -> Vec<wecom_idp::store::AuditRow> {
    rows.iter()
        .filter(|r| r.event == event && r.app.as_deref() == Some("grafana"))
        .cloned()
        .collect()
}

both_dbs!(api_lifecycle, api_lifecycle_body);
// Rule: a client made over the API answers 201 with its client ID and its secret (once); show and
// list never carry the secret nor its hash; settings change as a whole; a rotated secret is shown
// once and the old one is refused at the token endpoint at once; delete removes it; every change
// is audited with the token as actor and never the secret.
async fn api_lifecycle_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let (s, v) = api
        .post(
            "/oidc/clients",
            json!({"name": "grafana", "redirect_uris": [RP],
                   "settings": {"scopes": "openid profile email", "access_token_lifetime": 900}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let secret = v["client_secret"].as_str().unwrap().to_string();
    let id = v["client"]["client_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(v["client"]["client_type"], "confidential");
    assert_eq!(v["client"]["scopes"], json!(["openid", "profile", "email"]));
    assert_eq!(v["client"]["access_token_lifetime"], 900);
    assert_eq!(v["client"]["redirect_uris"], json!([RP]));
    assert_eq!(v["client"]["issuer"], env.base.as_str());
    assert_eq!(
        v["client"]["discovery_url"],
        format!("{}/.well-known/openid-configuration", env.base)
    );
    assert_eq!(v["client"]["settings"]["access_token_lifetime"], "900");
    let hash = sha256_hex(secret.as_bytes());
    assert!(!v.to_string().contains(&hash), "the hash is never shown");

    // Show and list: never the secret nor its hash.
    let (s, shown) = api.get("/oidc/clients/grafana").await;
    assert_eq!(s, 200);
    assert_eq!(shown["client_id"], id.as_str());
    let (s, list) = api.get("/oidc/clients").await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    for text in [shown.to_string(), list.to_string()] {
        assert!(!text.contains(&secret) && !text.contains(&hash), "{text}");
        assert!(!text.contains("secret_hash"), "{text}");
    }
    // The SAML apps' list keeps its own schema: clients are not in it.
    assert_eq!(api.get("/apps").await.1, json!([]));

    // The secret works: a bogus code is refused as a grant, not as a client.
    assert_eq!(
        token_error(&env, &id, &secret).await,
        (400, "invalid_grant".into())
    );

    // Settings: redirect URIs replaced, rules, lifetimes; the answer is the new state.
    let (s, v) = api
        .patch(
            "/oidc/clients/grafana",
            json!({"settings": {"redirect_uris": format!("{RP} http://127.0.0.1:3000/cb"),
                                "refresh_token_lifetime": "0",
                                "initiate_login_uri": "https://grafana.example/login",
                                "access": "user:zhangsan", "nameid_format": "persistent"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["redirect_uris"].as_array().unwrap().len(), 2);
    assert_eq!(v["refresh_token_lifetime"], 0);
    assert_eq!(v["initiate_login_uri"], "https://grafana.example/login");
    assert_eq!(v["settings"]["nameid_format"], "persistent");
    assert!(v["settings"]["access"]
        .as_str()
        .unwrap()
        .contains("zhangsan"));

    // Rotation: a new secret once; the old one is refused at once, the new one works.
    let (s, r) = api.post("/oidc/clients/grafana/secret", json!({})).await;
    assert_eq!(s, 200, "{r}");
    let new_secret = r["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(r["client"]["client_id"], id.as_str(), "the ID stays");
    assert_eq!(
        token_error(&env, &id, &secret).await,
        (401, "invalid_client".into())
    );
    assert_eq!(
        token_error(&env, &id, &new_secret).await,
        (400, "invalid_grant".into())
    );
    let (_, shown) = api.get("/oidc/clients/grafana").await;
    assert!(!shown.to_string().contains(&new_secret));

    // Delete.
    let (s, _) = api.delete("/oidc/clients/grafana").await;
    assert_eq!(s, 204);
    assert_eq!(api.get("/oidc/clients/grafana").await.0, 404);
    assert_eq!(
        token_error(&env, &id, &new_secret).await.0,
        401,
        "a deleted client cannot authenticate"
    );

    // The audit: create, two updates (settings, secret), delete, by the token, never a secret.
    let rows = env.audit().await;
    assert_eq!(oidc_rows(&rows, "app_create").len(), 1);
    assert_eq!(oidc_rows(&rows, "app_update").len(), 2);
    assert_eq!(oidc_rows(&rows, "app_delete").len(), 1);
    let changes = ["app_create", "app_update", "app_delete"];
    for r in rows
        .iter()
        .filter(|r| changes.iter().any(|e| r.event == *e) && r.app.as_deref() == Some("grafana"))
    {
        assert_eq!(r.actor.as_deref(), Some("token:ci"));
        let d = r.detail.clone().unwrap_or_default();
        for s in [
            &secret,
            &new_secret,
            &hash,
            &sha256_hex(new_secret.as_bytes()),
        ] {
            assert!(!d.contains(s.as_str()), "a secret in the audit: {d}");
        }
    }
    let rotated = oidc_rows(&rows, "app_update");
    assert!(rotated.iter().any(|r| r
        .detail
        .as_deref()
        .unwrap_or("")
        .contains(r#""client_secret":"changed""#)));
}

both_dbs!(api_refusals, api_refusals_body);
// Rule: each refusal names the field to fix (400), an unknown client is 404, a name a SAML app or a
// client has is 409, a public client has no secret to rotate (400), a change with one bad value
// stores nothing, and the routes need a token; nothing is stored by a refusal.
async fn api_refusals_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let bad = |body: serde_json::Value, field: &'static str| {
        let api = &api;
        async move {
            let (s, v) = api.post("/oidc/clients", body.clone()).await;
            assert_eq!(s, 400, "{body} → {v}");
            assert_eq!(v["error"]["field"], field, "{body} → {v}");
            assert!(!v["error"]["message"].as_str().unwrap().is_empty());
        }
    };
    bad(
        json!({"name": "grafana", "redirect_uris": []}),
        "redirect_uris",
    )
    .await;
    bad(
        json!({"name": "grafana", "redirect_uris": ["http://grafana.example/cb"]}),
        "redirect_uris",
    )
    .await;
    bad(
        json!({"name": "grafana", "redirect_uris": ["https://a.example/cb#x"]}),
        "redirect_uris",
    )
    .await;
    bad(json!({"name": "Grafana!", "redirect_uris": [RP]}), "name").await;
    bad(
        json!({"name": "grafana", "redirect_uris": [RP], "settings": {"scopes": "profile"}}),
        "scopes",
    )
    .await;
    bad(
        json!({"name": "grafana", "redirect_uris": [RP], "settings": {"access_token_lifetime": "5"}}),
        "access_token_lifetime",
    )
    .await;
    bad(
        json!({"name": "grafana", "redirect_uris": [RP], "settings": {"sign_response": "false"}}),
        "sign_response",
    )
    .await;
    let (s, _) = api
        .post(
            "/oidc/clients",
            json!({"name": "grafana", "redirect_uris": [RP], "client_type": "secretive"}),
        )
        .await;
    assert_eq!(s, 400, "an unknown client type");
    assert!(env.state.store.oidc_clients().await.unwrap().is_empty());

    // One name space with the SAML apps: 409 both ways.
    env.add_app("crm", &[]).await;
    let (s, v) = api
        .post(
            "/oidc/clients",
            json!({"name": "crm", "redirect_uris": [RP]}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{v}"
    );
    let (s, v) = api
        .post(
            "/oidc/clients",
            json!({"name": "spa", "redirect_uris": [RP], "client_type": "public"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert!(
        v["client_secret"].is_null(),
        "a public client has no secret"
    );
    let (s, _) = api
        .post(
            "/oidc/clients",
            json!({"name": "spa", "redirect_uris": [RP]}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = api.post("/oidc/clients/spa/secret", json!({})).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("client_type")),
        "{v}"
    );

    // All or nothing: one bad value stores none of the others.
    let (s, v) = api
        .patch(
            "/oidc/clients/spa",
            json!({"settings": {"scopes": "openid email", "refresh_token_lifetime": "-1"}}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("refresh_token_lifetime")),
        "{v}"
    );
    let (_, shown) = api.get("/oidc/clients/spa").await;
    assert_eq!(shown["scopes"].as_array().unwrap().len(), 5, "unchanged");
    let (s, v) = api
        .patch(
            "/oidc/clients/spa",
            json!({"settings": {"client_type": "confidential"}}),
        )
        .await;
    assert_eq!(s, 400, "the type is fixed: {v}");

    // Unknown clients; a SAML app is not a client.
    assert_eq!(api.get("/oidc/clients/nope").await.0, 404);
    assert_eq!(api.get("/oidc/clients/crm").await.0, 404);
    assert_eq!(
        api.patch("/oidc/clients/nope", json!({"settings": {}}))
            .await
            .0,
        404
    );
    assert_eq!(
        api.post("/oidc/clients/nope/secret", json!({})).await.0,
        404
    );
    assert_eq!(api.delete("/oidc/clients/nope").await.0, 404);

    // No token, no answer.
    let r = reqwest::get(format!("{}/api/v1/oidc/clients", env.base))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Only the public client was ever stored, and no change was audited for a refusal.
    assert_eq!(env.state.store.oidc_clients().await.unwrap().len(), 1);
    let rows = env.audit().await;
    assert!(!rows
        .iter()
        .any(|r| r.event == "app_update" && r.app.as_deref() == Some("spa")));
}

both_dbs!(openapi_names_routes, openapi_names_routes_body);
// Rule: every OIDC client route is in the OpenAPI document with its status codes.
async fn openapi_names_routes_body(env: Env) {
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p = &doc["paths"];
    for (path, op, code) in [
        ("/api/v1/oidc/clients", "get", "200"),
        ("/api/v1/oidc/clients", "post", "201"),
        ("/api/v1/oidc/clients", "post", "409"),
        ("/api/v1/oidc/clients/{name}", "get", "404"),
        ("/api/v1/oidc/clients/{name}", "patch", "200"),
        ("/api/v1/oidc/clients/{name}", "delete", "204"),
        ("/api/v1/oidc/clients/{name}/secret", "post", "200"),
    ] {
        assert!(
            p[path][op]["responses"][code].is_object(),
            "{op} {path} {code} missing"
        );
    }
    let view = &doc["components"]["schemas"]["OidcClientView"]["properties"];
    assert!(view["client_id"].is_object() && view["secret_hash"].is_null());
}

async fn post(b: &Browser, url: &str, fields: &[(&str, &str)]) -> Page {
    b.post_form(url, fields).await
}

both_dbs!(console_forms, console_forms_body);
// Rule: the console lists clients beside the SAML apps with their protocol; the new-client form
// makes one and shows its secret on that answer only; the client's page shows the issuer,
// discovery URL and client ID and a settings form drawn from the client's keys; a refused save
// marks the field and keeps what was typed; rotating needs the box ticked and shows the new secret
// once; delete needs the name typed; each form without the CSRF token is refused and changes
// nothing.
async fn console_forms_body(env: Env) {
    env.add_app("crm", &[]).await;
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en-US".into());
    let base = &env.base;
    let p = b.get(&format!("{base}/admin/oidc/new")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("name=\"redirect_uris\""));

    // No CSRF token: refused, nothing made.
    let fields = [
        ("name", "grafana"),
        (
            "redirect_uris",
            "https://grafana.example/login/generic_oauth\r\nhttp://127.0.0.1:3000/cb",
        ),
        ("client_type", "confidential"),
    ];
    let p = post(&b, &format!("{base}/admin/oidc/new"), &fields).await;
    assert_eq!(p.status, 403);
    assert!(env.state.store.oidc_clients().await.unwrap().is_empty());

    // A bad redirect URI: marked, typed values kept.
    let mut with = vec![("csrf", csrf.as_str())];
    with.extend([
        ("name", "grafana"),
        ("redirect_uris", "http://grafana.example/cb"),
        ("client_type", "public"),
    ]);
    let p = post(&b, &format!("{base}/admin/oidc/new"), &with).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-redirect_uris\""), "{}", p.body);
    assert!(p.body.contains(">http://grafana.example/cb</textarea>"));
    assert!(p
        .body
        .contains("value=\"public\" id=\"type-public\" checked"));
    // A name a SAML app has.
    let mut with = vec![("csrf", csrf.as_str())];
    with.extend([
        ("name", "crm"),
        ("redirect_uris", RP),
        ("client_type", "confidential"),
    ]);
    let p = post(&b, &format!("{base}/admin/oidc/new"), &with).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-name\""), "{}", p.body);
    assert!(env.state.store.oidc_clients().await.unwrap().is_empty());

    // Made: the secret is on this answer, and matches the stored hash.
    let mut with = vec![("csrf", csrf.as_str())];
    with.extend(fields);
    let p = post(&b, &format!("{base}/admin/oidc/new"), &with).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let secret = html_unescape(
        p.body
            .split("id=\"client-secret\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap(),
    );
    let c = wecom_idp::admin::oidc_clients::load(&env.state.store, "grafana")
        .await
        .unwrap();
    assert!(c.secret_matches(&secret));
    assert_eq!(c.config.redirect_uris.len(), 2);

    // The list and the page: protocol, issuer, discovery, client ID; the secret never again.
    let list = b.get(&format!("{base}/admin/apps")).await;
    assert!(list.body.contains("href=\"/admin/oidc/grafana\""));
    assert!(list.body.contains("<td>OIDC</td>") && list.body.contains("<td>SAML</td>"));
    let page = b.get(&format!("{base}/admin/oidc/grafana")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(c.client_id.as_str()));
    assert!(page.body.contains("/.well-known/openid-configuration"));
    assert!(!page.body.contains(&secret) && !page.body.contains("id=\"client-secret\""));
    for (key, _) in wecom_idp::oidc::client::CLIENT_KEYS {
        assert!(
            page.body.contains(&format!("id=\"setting-{key}\"")),
            "{key} is on the form"
        );
    }

    // The settings form as the browser posts it.
    let form = |edits: &[(&'static str, &'static str)]| {
        let mut v: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
        for k in [
            "redirect_uris",
            "scopes",
            "access_token_lifetime",
            "refresh_token_lifetime",
            "initiate_login_uri",
            "nameid_format",
            "access",
        ] {
            let cur = match edits.iter().find(|(e, _)| *e == k) {
                Some((_, v)) => v.to_string(),
                None => {
                    let v = c.value(k).unwrap();
                    if k == "redirect_uris" {
                        v.replace(' ', "\r\n")
                    } else {
                        v
                    }
                }
            };
            v.push((format!("setting.{k}"), cur));
        }
        v
    };
    let settings_url = format!("{base}/admin/oidc/grafana/settings");
    let send = |fields: Vec<(String, String)>| {
        let (b, url) = (&b, &settings_url);
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post(b, url, &f).await
        }
    };
    let p = send(form(&[])).await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/oidc/grafana?saved=unchanged#settings")
    );
    let p = send(form(&[
        ("scopes", "openid email"),
        ("access_token_lifetime", "5"),
    ]))
    .await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains("id=\"error-access_token_lifetime\""),
        "{}",
        p.body
    );
    assert!(p.body.contains("value=\"openid email\""), "typed kept");
    let p = send(form(&[
        ("scopes", "openid email"),
        ("access_token_lifetime", "1200"),
    ]))
    .await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/oidc/grafana?saved=settings#settings")
    );
    let mut no_csrf = form(&[("scopes", "openid")]);
    no_csrf.remove(0);
    assert_eq!(send(no_csrf).await.status, 403);
    let now = wecom_idp::admin::oidc_clients::load(&env.state.store, "grafana")
        .await
        .unwrap();
    assert_eq!(now.config.scopes.to_wire(), "openid email");
    assert_eq!(now.config.access_token_secs, 1200);
    // A rule naming what WeCom does not know: marked, "Save anyway" offered; forced, saved.
    let p = send(form(&[("access", "dept:99")])).await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains("id=\"error-access\"") && p.body.contains("id=\"settings-save-anyway\"")
    );
    assert!(forced_rows(&env).await.is_empty());
    let mut anyway = form(&[("access", "dept:99")]);
    anyway.push(("force".into(), "1".into()));
    assert_eq!(
        send(anyway).await.location.as_deref(),
        Some("/admin/oidc/grafana?saved=settings#settings")
    );
    assert_eq!(forced_rows(&env).await.len(), 1);

    // Rotate: refused without the token or the box; then a new secret, shown once.
    let rotate = format!("{base}/admin/oidc/grafana/secret");
    assert_eq!(post(&b, &rotate, &[("confirm", "yes")]).await.status, 403);
    let p = post(&b, &rotate, &[("csrf", csrf.as_str())]).await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-confirm\""));
    let still = wecom_idp::admin::oidc_clients::load(&env.state.store, "grafana")
        .await
        .unwrap();
    assert!(still.secret_matches(&secret), "not rotated yet");
    let p = post(&b, &rotate, &[("csrf", csrf.as_str()), ("confirm", "yes")]).await;
    assert_eq!(p.status, 200);
    let new_secret = html_unescape(
        p.body
            .split("id=\"client-secret\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap(),
    );
    let after = wecom_idp::admin::oidc_clients::load(&env.state.store, "grafana")
        .await
        .unwrap();
    assert!(after.secret_matches(&new_secret) && !after.secret_matches(&secret));
    assert!(!b
        .get(&format!("{base}/admin/oidc/grafana"))
        .await
        .body
        .contains(&new_secret));

    // Delete: refused without the token or the name; then gone.
    let del = format!("{base}/admin/oidc/grafana/delete");
    assert_eq!(
        post(&b, &del, &[("confirm_name", "grafana")]).await.status,
        403
    );
    let p = post(
        &b,
        &del,
        &[("csrf", csrf.as_str()), ("confirm_name", "graf")],
    )
    .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-confirm_name\""));
    let p = post(
        &b,
        &del,
        &[("csrf", csrf.as_str()), ("confirm_name", "grafana")],
    )
    .await;
    assert_eq!(p.location.as_deref(), Some("/admin/apps"));
    assert!(env.state.store.oidc_clients().await.unwrap().is_empty());
    assert_eq!(
        b.get(&format!("{base}/admin/oidc/grafana")).await.status,
        404
    );

    // Every change audited with the admin as actor.
    let rows = env.audit().await;
    let mine: Vec<_> = rows
        .iter()
        .filter(|r| r.actor.is_some() && r.app.as_deref() == Some("grafana"))
        .filter(|r| r.event != "wecom_names_forced")
        .collect();
    assert_eq!(mine.len(), 5, "create, settings twice, secret, delete");
    assert!(mine
        .iter()
        .all(|r| r.actor.as_deref() == Some("wecom:zhangsan")));
}

both_dbs!(console_in_chinese, console_in_chinese_body);
// Rule: the client pages speak Chinese to a Chinese browser, a refusal included.
async fn console_in_chinese_body(env: Env) {
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("zh-CN".into());
    let base = &env.base;
    let p = b.get(&format!("{base}/admin/oidc/new")).await;
    assert!(p.body.contains("添加 OpenID Connect 客户端"));
    let p = post(
        &b,
        &format!("{base}/admin/oidc/new"),
        &[
            ("csrf", csrf.as_str()),
            ("name", "grafana"),
            ("redirect_uris", RP),
        ],
    )
    .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("客户端密钥") && p.body.contains("重定向 URI"));
    let p = post(
        &b,
        &format!("{base}/admin/oidc/grafana/settings"),
        &[("csrf", csrf.as_str()), ("setting.scopes", "profile")],
    )
    .await;
    assert_eq!(p.status, 400);
    let e = p
        .body
        .split("id=\"error-scopes\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap();
    assert!(e.contains("授权范围"), "{e}");
}

both_dbs!(api_rules_checked_in_wecom, api_rules_checked_in_wecom_body);
// Rule: as for SAML apps, the departments, tags and members a client's `access` or `role_rules`
// name are checked against WeCom before a create or a change: an unknown one stores nothing and
// answers 409 with the names (after syntax errors, which come first), unless `force: true`, which
// saves and writes a `wecom_names_forced` row.
async fn api_rules_checked_in_wecom_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let (s, e) = api
        .post(
            "/oidc/clients",
            json!({"name": "grafana", "redirect_uris": [RP], "settings": {"access": "user:zhangsn"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("rules_unknown_in_wecom")),
        "{e}"
    );
    assert_eq!(e["error"]["field"], "access");
    assert!(env.state.store.oidc_clients().await.unwrap().is_empty());
    let (s, _) = api
        .post(
            "/oidc/clients",
            json!({"name": "grafana", "redirect_uris": [RP], "settings": {"access": "user:zhangsan"}}),
        )
        .await;
    assert_eq!(s, 201);
    // A syntax error first, then the unknown name.
    let (s, e) = api
        .patch(
            "/oidc/clients/grafana",
            json!({"settings": {"access": "dept:99", "scopes": "profile"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (400, Some("scopes")),
        "{e}"
    );
    let (s, e) = api
        .patch(
            "/oidc/clients/grafana",
            json!({"settings": {"access": "dept:99"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("rules_unknown_in_wecom")),
        "{e}"
    );
    assert_eq!(e["unknown"], json!(["dept:99"]));
    assert!(forced_rows(&env).await.is_empty());
    let (s, v) = api
        .patch(
            "/oidc/clients/grafana",
            json!({"settings": {"access": "dept:99"}, "force": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["settings"]["access"].as_str().unwrap().contains("99"));
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("grafana"));
    assert_eq!(rows[0].actor.as_deref(), Some("token:ci"));
}

both_dbs!(console_new_client_reload, console_reload_body);
// Rule: the answer showing a new client's secret is `no-store` and turns its address into the
// client's page (a reload asks for that page, by admin.js); the same create form sent again (a reload without
// script) gets the client's page, 409, saying the secret was shown once — never the secret, never
// a second client; another form naming the same client is the usual "already exists"; a rotated
// secret's page is `no-store` too.
async fn console_reload_body(env: Env) {
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en-US".into());
    let url = format!("{}/admin/oidc/new", env.base);
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "grafana"),
        (
            "redirect_uris",
            "https://grafana.example/cb\r\nhttp://127.0.0.1:3000/cb",
        ),
        ("client_type", "confidential"),
    ];
    let p = post(&b, &url, &form).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.header("cache-control"), Some("no-store"));
    assert!(p
        .body
        .contains("id=\"secret-card\" data-replace-url=\"/admin/oidc/grafana\""));
    let secret = html_unescape(
        p.body
            .split("id=\"client-secret\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap(),
    );
    // Sent again: the client's page saying so, no secret, the first secret still the one.
    let again = post(&b, &url, &form).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.header("cache-control"), Some("no-store"));
    assert!(again.body.contains("id=\"sent-again\""), "{}", again.body);
    assert!(again.body.contains("shown once"), "{}", again.body);
    assert!(!again.body.contains("id=\"client-secret\"") && !again.body.contains(&secret));
    assert!(
        again.body.contains("id=\"rotate\""),
        "the way to a new secret"
    );
    let c = wecom_idp::admin::oidc_clients::load(&env.state.store, "grafana")
        .await
        .unwrap();
    assert!(c.secret_matches(&secret));
    assert_eq!(env.state.store.oidc_clients().await.unwrap().len(), 1);
    // The same name with other redirect URIs is another form: "already exists" on the name.
    let mut other = form;
    other[2] = ("redirect_uris", "https://other.example/cb");
    let p = post(&b, &url, &other).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"error-name\""), "{}", p.body);
    assert!(!p.body.contains("id=\"sent-again\""));
    // A rotated secret's answer is not kept either, and points the address at the page.
    let r = post(
        &b,
        &format!("{}/admin/oidc/grafana/secret", env.base),
        &[("csrf", csrf.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.body.contains("data-replace-url=\"/admin/oidc/grafana\""));
}
