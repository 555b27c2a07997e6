//! OpenID Connect signing keys: the JWK Set at `/oidc/jwks` (RS256 and ES256, every published key),
//! tokens signed with the active key and its ID, the rollover seen by a relying party (the next key
//! published before it signs, the previous one verifying until retired), keys made before ES256
//! getting a P-256 companion on any instance, and key files (with and without `signing.ec_key_file`).
//! Signatures are checked here with keys rebuilt from the published JWK numbers by OpenSSL, not by
//! our verifier.

use crate::both_dbs;
use crate::harness::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use serde_json::{json, Value};
use wecom_idp::oidc::jwt::{self, JwsAlg, JwtError, TokenType};

async fn jwks_page(base: &str) -> Page {
    Browser::new(CHROME_UA)
        .get(&format!("{base}/oidc/jwks"))
        .await
}

async fn jwks(base: &str) -> Vec<Value> {
    let p = jwks_page(base).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let doc: Value = serde_json::from_str(&p.body).unwrap();
    doc["keys"].as_array().unwrap().clone()
}

fn kids(keys: &[Value]) -> Vec<String> {
    keys.iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

fn num(jwk: &Value, name: &str) -> BigNum {
    BigNum::from_slice(&B64URL.decode(jwk[name].as_str().unwrap()).unwrap()).unwrap()
}

/// The public key a relying party builds from a JWK.
fn key_of(jwk: &Value) -> PKey<Public> {
    assert_eq!(jwk["use"], "sig");
    match jwk["kty"].as_str().unwrap() {
        "RSA" => {
            assert_eq!(jwk["alg"], "RS256");
            let rsa =
                openssl::rsa::Rsa::from_public_components(num(jwk, "n"), num(jwk, "e")).unwrap();
            PKey::from_rsa(rsa).unwrap()
        }
        "EC" => {
            assert_eq!(
                (jwk["alg"].as_str(), jwk["crv"].as_str()),
                (Some("ES256"), Some("P-256"))
            );
            let group =
                openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
            let ec = openssl::ec::EcKey::from_public_key_affine_coordinates(
                &group,
                &num(jwk, "x"),
                &num(jwk, "y"),
            )
            .unwrap();
            PKey::from_ec_key(ec).unwrap()
        }
        other => panic!("unexpected kty {other}"),
    }
}

/// Verifies `token` as a relying party would: the header's `kid` picks a key of the set, whose own
/// algorithm checks the signature. Returns the `kid`.
fn rp_verify(keys: &[Value], token: &str) -> Result<String, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&B64URL.decode(parts[0]).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap();
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or(format!("kid {kid} not in the set"))?;
    assert_eq!(header["alg"], jwk["alg"]);
    let signed = format!("{}.{}", parts[0], parts[1]);
    let mut sig = B64URL.decode(parts[2]).unwrap();
    if jwk["kty"] == "EC" {
        assert_eq!(sig.len(), 64, "ES256 is r ‖ s");
        sig = openssl::ecdsa::EcdsaSig::from_private_components(
            BigNum::from_slice(&sig[..32]).unwrap(),
            BigNum::from_slice(&sig[32..]).unwrap(),
        )
        .unwrap()
        .to_der()
        .unwrap();
    }
    let key = key_of(jwk);
    let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &key).unwrap();
    if v.verify_oneshot(&sig, signed.as_bytes()).unwrap_or(false) {
        Ok(kid.to_string())
    } else {
        Err(format!("signature of {kid} does not verify"))
    }
}

fn token(env: &Env, alg: JwsAlg) -> String {
    jwt::sign(
        &env.state.keys().jose,
        alg,
        TokenType::Jwt,
        &json!({"iss": env.base, "sub": "zhangsan"}),
    )
    .unwrap()
}

both_dbs!(jwks_rollover, jwks_rollover_body);
// Rule: the JWK Set lists every published key (RS256 and ES256, `use=sig`), is cacheable briefly,
// and follows the rollover: a next key is in it before it signs, tokens carry the active key's ID,
// the previous key verifies until it is retired, and a retired key is gone.
async fn jwks_rollover_body(env: Env) {
    let p = jwks_page(&env.base).await;
    assert_eq!(p.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(p.header("content-type"), Some("application/json"));
    assert_eq!(p.header("access-control-allow-origin"), Some("*"));
    assert!(!p.body.contains("\"d\""), "no private part");
    let set = jwks(&env.base).await;
    assert_eq!(kids(&set), ["initial", "initial-es256"]);
    let old_rs = token(&env, JwsAlg::Rs256);
    let old_es = token(&env, JwsAlg::Es256);
    assert_eq!(rp_verify(&set, &old_rs).unwrap(), "initial");
    assert_eq!(rp_verify(&set, &old_es).unwrap(), "initial-es256");

    // A next key: published (both halves) at once, not signing.
    let api = env.api(&env.api_token("ci").await);
    let (s, next) = api.post("/keys", json!({})).await;
    assert_eq!(s, 201, "{next}");
    let id = next["id"].as_str().unwrap().to_string();
    let es_id = format!("{id}-es256");
    let set = jwks(&env.base).await;
    assert_eq!(
        kids(&set),
        ["initial", "initial-es256", id.as_str(), es_id.as_str()]
    );
    assert_eq!(
        rp_verify(&set, &token(&env, JwsAlg::Rs256)).unwrap(),
        "initial"
    );
    assert_eq!(
        rp_verify(&set, &token(&env, JwsAlg::Es256)).unwrap(),
        "initial-es256"
    );

    // Activated: tokens are signed by the key the relying party already holds.
    assert_eq!(
        api.post(&format!("/keys/{id}/activate"), json!({})).await.0,
        200
    );
    let cached = set;
    assert_eq!(rp_verify(&cached, &token(&env, JwsAlg::Rs256)).unwrap(), id);
    assert_eq!(
        rp_verify(&cached, &token(&env, JwsAlg::Es256)).unwrap(),
        es_id
    );
    let set = jwks(&env.base).await;
    assert_eq!(
        kids(&set),
        [id.as_str(), es_id.as_str(), "initial", "initial-es256"]
    );
    assert_eq!(rp_verify(&set, &old_es).unwrap(), "initial-es256");
    assert_eq!(env.state.keys().jose.published.len(), 4);
    assert!(jwt::verify(&env.state.keys().jose, &old_rs, TokenType::Jwt).is_ok());

    // Retired: gone from the set; its tokens no longer verify, here or at a relying party.
    env.clock.advance(time::Duration::seconds(
        wecom_idp::admin::keys::RETIRE_GRACE_SECS,
    ));
    assert_eq!(api.post("/keys/initial/retire", json!({})).await.0, 200);
    let set = jwks(&env.base).await;
    assert_eq!(kids(&set), [id.as_str(), es_id.as_str()]);
    assert!(rp_verify(&set, &old_rs).is_err());
    assert!(matches!(
        jwt::verify(&env.state.keys().jose, &old_es, TokenType::Jwt),
        Err(JwtError::UnknownKey(k)) if k == "initial-es256"
    ));
    let rows = env.state.store.signing_keys().await.unwrap();
    let retired = rows.iter().find(|r| r.id == "initial").unwrap();
    assert!(
        retired.ec_key_enc.is_none(),
        "the P-256 private key is erased too"
    );
    let active = rows.iter().find(|r| r.id == id).unwrap();
    assert!(
        !active.ec_key_enc.as_deref().unwrap().contains("PRIVATE"),
        "sealed"
    );

    // Master-key rotation re-seals the companion: a restart with the new key opens it.
    let new_master = wecom_idp::secrets::MasterKey::generate(&wecom_idp::random::OsRng);
    wecom_idp::keys::rotate_master_key(
        &env.state.store,
        &test_master_key(),
        &new_master,
        &wecom_idp::random::OsRng,
    )
    .await
    .unwrap();
    let mut config = (*env.state.config).clone();
    config.master_key = Some(new_master);
    let ring = wecom_idp::keys::KeyRing::load(
        &config,
        &env.state.store,
        &*env.clock,
        &wecom_idp::random::OsRng,
    )
    .await
    .unwrap();
    assert_eq!(ring.jose.es256_kid(), Some(es_id.as_str()));
    assert!(jwt::verify(&ring.jose, &token(&env, JwsAlg::Es256), TokenType::Jwt).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: a key stored before ES256 existed gets a P-256 companion at the next start of any instance,
// and the other instances follow it (their JWKS and ES256 tokens use the same companion).
async fn keys_made_before_es256_get_a_companion() {
    let env = Env::start(Db::Sqlite).await;
    sqlx::query("UPDATE signing_keys SET ec_key_enc = NULL")
        .execute(&sqlx::SqlitePool::connect(&env.database_url).await.unwrap())
        .await
        .unwrap();
    let before = jwks(&env.base).await;
    env.state.follow_keys().await;
    assert_eq!(kids(&jwks(&env.base).await), ["initial"], "as before ES256");
    let second = env.second_instance().await;
    let after = jwks(&second).await;
    assert_eq!(kids(&after), ["initial", "initial-es256"]);
    assert_ne!(before[1], after[1], "a new companion");
    env.state.follow_keys().await;
    assert_eq!(jwks(&env.base).await, after, "the first instance follows");
    assert_eq!(
        rp_verify(&after, &token(&env, JwsAlg::Es256)).unwrap(),
        "initial-es256"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: key files publish their RSA key under an ID that changes with the key; ES256 needs
// `signing.ec_key_file` (P-256 only), and that setting needs the key files.
async fn key_files() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) =
        wecom_idp::saml::sign::generate_key_and_cert("files.example", T0, &[9]).unwrap();
    let (kp, cp, ep) = (
        dir.path().join("k.pem"),
        dir.path().join("c.pem"),
        dir.path().join("ec.pem"),
    );
    std::fs::write(&kp, key).unwrap();
    std::fs::write(&cp, cert).unwrap();
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let ec = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    std::fs::write(&ep, ec.private_key_to_pem_pkcs8().unwrap()).unwrap();

    let mut config = wecom_idp::config::Config {
        public_url: "https://idp.example".into(),
        ..Default::default()
    };
    config.signing.ec_key_file = Some(ep.clone());
    let e = config.validate().unwrap_err();
    assert_eq!(e.setting, "signing.ec_key_file");

    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let (k2, c2) = (kp.clone(), cp.clone());
    let env = Env::start_with(Db::Sqlite, url, dir, move |c| {
        c.signing.key_file = Some(k2);
        c.signing.cert_file = Some(c2);
    })
    .await;
    let set = jwks(&env.base).await;
    assert_eq!(set.len(), 1);
    let kid = set[0]["kid"].as_str().unwrap();
    assert!(kid.starts_with("file-") && kid.len() == 21, "{kid}");
    assert_eq!(rp_verify(&set, &token(&env, JwsAlg::Rs256)).unwrap(), kid);
    let jose = &env.state.keys().jose;
    assert!(!jose.can_sign(JwsAlg::Es256));
    assert!(matches!(
        jwt::sign(jose, JwsAlg::Es256, TokenType::Jwt, &json!({})),
        Err(JwtError::NoKey(JwsAlg::Es256))
    ));
    // An ES256 client here is refused at the authorization endpoint, before the member signs in.
    let (es, _) =
        crate::oidc::add_client(&env, "es-app", &[("id_token_signed_response_alg", "ES256")]).await;
    let p = env
        .browser(WXWORK_UA)
        .get(&crate::oidc::authorize_url(&env, &es, &[]))
        .await;
    let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert!(u.as_str().starts_with(crate::oidc::RP), "{u}");
    assert_eq!(
        crate::oidc::param(&u, "error").as_deref(),
        Some("server_error")
    );
    assert_eq!(crate::oidc::param(&u, "state").as_deref(), Some("st-1"));
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.reason == "oidc_no_signing_key"));

    let mut config = (*env.state.config).clone();
    config.signing.ec_key_file = Some(ep.clone());
    let ring = wecom_idp::keys::KeyRing::load(
        &config,
        &env.state.store,
        &*env.clock,
        &wecom_idp::random::OsRng,
    )
    .await
    .unwrap();
    let es = jwt::sign(&ring.jose, JwsAlg::Es256, TokenType::Jwt, &json!({})).unwrap();
    let doc: Value = serde_json::from_slice(&ring.jose.document().unwrap()).unwrap();
    let set = doc["keys"].as_array().unwrap().clone();
    assert!(rp_verify(&set, &es).unwrap().starts_with("file-es256-"));
    // Not a P-256 key: a clear error naming the setting.
    std::fs::write(&ep, std::fs::read(&kp).unwrap()).unwrap();
    let err = wecom_idp::keys::KeyRing::load(
        &config,
        &env.state.store,
        &*env.clock,
        &wecom_idp::random::OsRng,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("signing.ec_key_file") && err.contains("P-256"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: across a rollover, every token we sign verifies against the JWK Set a relying party fetches,
// and a tampered token or one of a retired key does not. With `WECOM_IDP_INTEROP_DIR` set, the set and the
// tokens (with what each must give) are written to `$WECOM_IDP_INTEROP_DIR/oidc/` for the JOSE
// libraries of `interop/oidc/` (npm `jose`, Python `authlib`) to check the same.
async fn interop_jwks_tokens() {
    let env = Env::start(Db::Sqlite).await;
    let api = env.api(&env.api_token("ci").await);
    let sign = |alg| {
        jwt::sign(
            &env.state.keys().jose,
            alg,
            TokenType::Jwt,
            &json!({"iss": env.base, "aud": "interop", "sub": "张三 <&>", "exp": 4_102_444_800i64}),
        )
        .unwrap()
    };
    let mut cases = vec![
        ("rs256-initial", sign(JwsAlg::Rs256), true),
        ("es256-initial", sign(JwsAlg::Es256), true),
    ];
    let (_, next) = api.post("/keys", json!({})).await;
    let id = next["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.post(&format!("/keys/{id}/activate"), json!({})).await.0,
        200
    );
    cases.push(("rs256-after-switch", sign(JwsAlg::Rs256), true));
    cases.push(("es256-after-switch", sign(JwsAlg::Es256), true));
    let t = sign(JwsAlg::Es256);
    let dots: Vec<&str> = t.split('.').collect();
    let other = B64URL.encode(br#"{"iss":"x","aud":"interop","sub":"lisi"}"#);
    cases.push((
        "es256-tampered",
        format!("{}.{other}.{}", dots[0], dots[2]),
        false,
    ));
    let set = jwks(&env.base).await;
    for (name, token, valid) in &cases {
        assert_eq!(rp_verify(&set, token).is_ok(), *valid, "{name}");
    }
    // The first key is retired before the set is written: its two tokens no longer verify.
    env.clock.advance(time::Duration::seconds(
        wecom_idp::admin::keys::RETIRE_GRACE_SECS,
    ));
    assert_eq!(api.post("/keys/initial/retire", json!({})).await.0, 200);
    cases[0].2 = false;
    cases[1].2 = false;
    let page = jwks_page(&env.base).await;
    let set: Value = serde_json::from_str(&page.body).unwrap();
    for (name, token, valid) in &cases {
        let set = set["keys"].as_array().unwrap();
        assert_eq!(
            rp_verify(set, token).is_ok(),
            *valid,
            "{name} after retiring"
        );
    }

    let Some(dir) = std::env::var_os("WECOM_IDP_INTEROP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir).join("oidc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), &page.body).unwrap();
    let cases: Vec<Value> = cases
        .iter()
        .map(|(name, token, valid)| json!({"name": name, "token": token, "valid": valid}))
        .collect();
    let doc = json!({"issuer": env.base, "audience": "interop", "cases": cases});
    std::fs::write(dir.join("tokens.json"), doc.to_string()).unwrap();
}

both_dbs!(per_client_alg, per_client_alg_body);
// Rule: `id_token_signed_response_alg` chooses what signs a client's ID token and access token:
// ES256 with the published EC key (its `-es256` kid), RS256 (the default) with the RSA key; a
// relying party verifies both from the JWK Set alone, and discovery lists both algorithms.
async fn per_client_alg_body(env: Env) {
    use crate::oidc::{add_client, code_for, token, RP, VERIFIER};
    use wecom_idp::clock::Clock as _;
    let set = jwks(&env.base).await;
    for (name, alg, kid, kty) in [
        ("es-app", Some("ES256"), "initial-es256", "EC"),
        ("rs-app", None, "initial", "RSA"),
        ("rs-named", Some("RS256"), "initial", "RSA"),
    ] {
        let sets: Vec<(&str, &str)> = alg
            .map(|a| vec![("id_token_signed_response_alg", a)])
            .unwrap_or_default();
        let (client, secret) = add_client(&env, name, &sets).await;
        let b = env.browser(WXWORK_UA);
        let code = code_for(&env, &b, &client, "zhangsan").await;
        let (status, t, _) = token(
            &env,
            Some((client.client_id.as_str(), secret.as_deref().unwrap())),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
        assert_eq!(status, 200, "{t}");
        let want = alg.unwrap_or("RS256");
        for tok in [&t["id_token"], &t["access_token"]] {
            let tok = tok.as_str().unwrap();
            let header: Value =
                serde_json::from_slice(&B64URL.decode(tok.split('.').next().unwrap()).unwrap())
                    .unwrap();
            assert_eq!(
                (header["alg"].as_str(), header["kid"].as_str()),
                (Some(want), Some(kid)),
                "{name}"
            );
            assert_eq!(rp_verify(&set, tok).unwrap(), kid, "{name}");
            let jwk = set.iter().find(|k| k["kid"] == kid).unwrap();
            assert_eq!(jwk["kty"], kty);
        }
    }
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    // Only the two algorithms are accepted as a setting.
    let ctx = wecom_idp::admin::apps::Ctx {
        store: &env.state.store,
        now: env.clock.now(),
        actor: &wecom_idp::admin::Actor::Shell,
        ip: None,
        fetch: Default::default(),
    };
    let bad = wecom_idp::admin::oidc_clients::update_settings(
        &ctx,
        "es-app",
        &[("id_token_signed_response_alg".into(), "HS256".into())],
    )
    .await;
    assert!(bad.is_err());
}
