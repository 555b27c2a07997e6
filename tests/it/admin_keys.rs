//! Signing-key rollover: add a `next` key (published at once), activate it
//! (Responses signed with it, the old key still published as `previous`), retire the old one (gone
//! from the metadata); refusals; the console page with CSRF; the expiry warning; a second instance
//! on the same PostgreSQL following the switch; key files refusing rollover.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

fn pem_of(b64: &str) -> String {
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    String::from_utf8(
        openssl::x509::X509::from_der(&der)
            .unwrap()
            .to_pem()
            .unwrap(),
    )
    .unwrap()
}

async fn metadata(env: &Env) -> String {
    Browser::new(CHROME_UA)
        .get(&format!("{}/saml/metadata", env.base))
        .await
        .body
}

fn cert_count(md: &str) -> usize {
    md.matches("X509Certificate>").count() / 2
}

both_dbs!(rollover, rollover_body);
// Rule: the three steps work as documented — add (published, not signing), activate (signing with
// the new key, old still published), retire (old gone) — and each step is audited with the actor.
async fn rollover_body(env: Env) {
    env.add_app("console", &[]).await;
    let api = env.api(&env.api_token("ci").await);
    let (s, keys) = api.get("/keys").await;
    assert_eq!(s, 200);
    let keys = keys.as_array().unwrap().clone();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], "initial");
    assert_eq!(keys[0]["state"], "active");
    assert_eq!(keys[0]["published"], true);
    assert_eq!(keys[0]["expires_soon"], false);
    assert!(keys[0]["subject"].as_str().unwrap().starts_with("CN="));
    assert_eq!(keys[0]["fingerprint_sha256"].as_str().unwrap().len(), 95);
    let old_cert = env.state.keys().active.cert_base64().to_string();
    let old_pem = env.idp_cert_pem();
    assert_eq!(cert_count(&metadata(&env).await), 1);

    // Step 1: a next key, published at once, not signing.
    let (s, next) = api.post("/keys", json!({})).await;
    assert_eq!(s, 201, "{next}");
    assert_eq!(next["state"], "next");
    assert_eq!(next["published"], true);
    let id = next["id"].as_str().unwrap().to_string();
    let md = metadata(&env).await;
    assert_eq!(cert_count(&md), 2, "{md}");
    assert!(md.contains(&old_cert));
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "console", "zhangsan").await;
    assert!(
        xmlsec_verify(&form.xml, &old_pem, RESPONSE_SIG)
            || xmlsec_verify(&form.xml, &old_pem, ASSERTION_SIG),
        "still signed with the active key"
    );
    // Only one next key at a time.
    let (s, body) = api.post("/keys", json!({})).await;
    assert_eq!(s, 409, "a second next key conflicts with the waiting one");
    assert_eq!(body["error"]["code"], "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains(&id));

    // Refusals before the switch.
    let (s, body) = api.post("/keys/initial/retire", json!({})).await;
    assert_eq!(s, 409, "the active key cannot be retired");
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["field"], "id");
    let (s, body) = api.post("/keys/nope/activate", json!({})).await;
    assert_eq!(s, 404);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(api.post("/keys/nope/retire", json!({})).await.0, 404);
    assert_eq!(
        api.post("/keys/initial/activate", json!({})).await.0,
        409,
        "only a next key can be activated"
    );

    // Step 2: activate. Responses are signed with the new key; the old one stays published.
    let (s, active) = api.post(&format!("/keys/{id}/activate"), json!({})).await;
    assert_eq!(s, 200, "{active}");
    assert_eq!(active["state"], "active");
    let new_pem = env.idp_cert_pem();
    assert_ne!(new_pem, old_pem);
    assert_eq!(env.state.keys().active_id, id);
    let md = metadata(&env).await;
    assert_eq!(cert_count(&md), 2);
    assert!(md.contains(&old_cert), "the previous key stays published");
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "console", "lisi").await;
    assert_independently_verified(&env, &form);
    assert!(
        !xmlsec_verify(&form.xml, &old_pem, RESPONSE_SIG)
            && !xmlsec_verify(&form.xml, &old_pem, ASSERTION_SIG),
        "no longer signed with the old key"
    );
    let (_, keys) = api.get("/keys").await;
    let states: Vec<(String, String)> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_string(),
                k["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (id.clone(), "active".into()),
            ("initial".into(), "previous".into())
        ]
    );

    // Step 3: retire the previous key — not while other instances may still sign with it.
    let (s, body) = api.post("/keys/initial/retire", json!({})).await;
    assert_eq!(
        s, 409,
        "too soon after the switch is a state conflict: {body}"
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("seconds"));
    env.clock.advance(time::Duration::seconds(
        wecom_idp::admin::keys::RETIRE_GRACE_SECS,
    ));
    let (s, retired) = api.post("/keys/initial/retire", json!({})).await;
    assert_eq!(s, 200, "{retired}");
    assert_eq!(retired["state"], "retired");
    assert_eq!(retired["published"], false);
    let md = metadata(&env).await;
    assert_eq!(cert_count(&md), 1);
    assert!(!md.contains(&old_cert), "the retired key left the metadata");
    assert_eq!(
        api.post("/keys/initial/activate", json!({})).await.0,
        409,
        "a retired key cannot come back"
    );
    assert_eq!(api.post("/keys/initial/retire", json!({})).await.0, 409);
    // Its private key is erased.
    let rows = env.state.store.signing_keys().await.unwrap();
    let r = rows.iter().find(|r| r.id == "initial").unwrap();
    assert!(r.key_enc.is_none() && r.key_pem.is_empty());

    // Audited, with the actor and no secret.
    let audit = env.audit().await;
    for ev in ["key_add", "key_activate", "key_retire"] {
        let row = audit.iter().find(|r| r.event == ev).unwrap();
        assert_eq!(row.actor.as_deref(), Some("token:ci"), "{ev}");
        let d = row.detail.as_deref().unwrap();
        assert!(d.contains("fingerprint") && !d.contains("PRIVATE"), "{d}");
    }
    // The master-key rotation still works with a retired key in the store.
    let new_master = wecom_idp::secrets::MasterKey::generate(&wecom_idp::random::OsRng);
    let n = wecom_idp::keys::rotate_master_key(
        &env.state.store,
        &test_master_key(),
        &new_master,
        &wecom_idp::random::OsRng,
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "only the live key is re-sealed");
}

both_dbs!(console, console_body);
// Rule: the console page lists the keys and its three forms need the session's CSRF token; a
// refusal is shown on the page with status 400.
async fn console_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let url = |p: &str| format!("{}{p}", env.base);
    let p = b.get(&url("/admin/keys")).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("initial") && p.body.contains("UTC"));
    assert!(!p.body.contains("expiry-warning"));
    let p = b
        .post_form(&url("/admin/keys/add"), &[("csrf", "bad")])
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(env.state.store.signing_keys().await.unwrap().len(), 1);
    let p = b
        .post_form(&url("/admin/keys/add"), &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let rows = env.state.store.signing_keys().await.unwrap();
    let next = rows
        .iter()
        .find(|r| r.state == wecom_idp::store::KeyState::Next)
        .unwrap()
        .id
        .clone();
    let p = b.get(&url("/admin/keys")).await;
    assert!(p.body.contains(&next));
    let p = b
        .post_form(
            &url("/admin/keys/activate"),
            &[("csrf", "bad"), ("id", &next)],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = b
        .post_form(
            &url("/admin/keys/activate"),
            &[("csrf", &csrf), ("id", &next)],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(env.state.keys().active_id, next);
    let p = b
        .post_form(
            &url("/admin/keys/retire"),
            &[("csrf", &csrf), ("id", &next)],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("is the active key"), "{}", p.body);
    let audit = env.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.event == "key_activate" && r.actor.as_deref() == Some("wecom:zhangsan")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the console warns when the active certificate expires within 90 days (and the API says so).
async fn expiry_warning() {
    let env = Env::start(Db::Sqlite).await;
    env.clock.advance(time::Duration::days(10 * 365 - 60));
    let (b, _) = env.admin_browser("zhangsan").await;
    let p = b.get(&format!("{}/admin/keys", env.base)).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("expiry-warning"), "{}", p.body);
    let api = env.api(&env.api_token("ci").await);
    let (_, keys) = api.get("/keys").await;
    assert_eq!(keys[0]["expires_soon"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: with `signing.key_file`, rollover is refused with a message that says to rotate the files.
async fn key_files_refuse_rollover() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) =
        wecom_idp::saml::sign::generate_key_and_cert("files.example", T0, &[9]).unwrap();
    let kp = dir.path().join("k.pem");
    let cp = dir.path().join("c.pem");
    std::fs::write(&kp, key).unwrap();
    std::fs::write(&cp, cert).unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.signing.key_file = Some(kp);
        c.signing.cert_file = Some(cp);
    })
    .await;
    let api = env.api(&env.api_token("ci").await);
    let (s, keys) = api.get("/keys").await;
    assert_eq!(s, 200);
    assert_eq!(keys[0]["id"], "file");
    assert_eq!(keys[0]["subject"], "CN=files.example");
    let (s, body) = api.post("/keys", json!({})).await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["field"], "signing.key_file");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rotate the files"));
    assert!(env.state.store.signing_keys().await.unwrap().is_empty());
    let (b, _) = env.admin_browser("zhangsan").await;
    let p = b.get(&format!("{}/admin/keys", env.base)).await;
    assert!(p.body.contains("signing.key_file"), "{}", p.body);
    assert!(!p.body.contains("/admin/keys/add"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: every instance follows a rollover made on another (the periodic re-read), so the second
// instance publishes the next key and then signs with the new active key.
async fn another_instance_follows() {
    let Some(url) = Env::postgres_url().await else {
        return; // PostgreSQL only.
    };
    let one = Env::start_with(
        Db::Postgres,
        url.clone(),
        tempfile::tempdir().unwrap(),
        |_| {},
    )
    .await;
    let two = Env::start_with(Db::Postgres, url, tempfile::tempdir().unwrap(), |_| {}).await;
    two.add_app("console", &[]).await;
    let api = one.api(&one.api_token("ci").await);
    let (_, next) = api.post("/keys", json!({})).await;
    let id = next["id"].as_str().unwrap().to_string();
    assert_eq!(cert_count(&metadata(&two).await), 1, "not yet followed");
    two.state.follow_keys().await;
    assert_eq!(
        cert_count(&metadata(&two).await),
        2,
        "two publishes the next key"
    );
    assert_eq!(
        api.post(&format!("/keys/{id}/activate"), json!({})).await.0,
        200
    );
    two.state.follow_keys().await;
    assert_eq!(two.state.keys().active_id, id);
    assert_eq!(two.idp_cert_pem(), one.idp_cert_pem());
    let b = two.browser(WXWORK_UA);
    let form = two.login_in_client(&b, "console", "zhangsan").await;
    assert_independently_verified(&one, &form);
    let new_b64 = one.state.keys().active.cert_base64().to_string();
    assert_eq!(pem_of(&new_b64), one.idp_cert_pem());
}
