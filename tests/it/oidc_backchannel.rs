//! OpenID Connect Back-Channel Logout: a test relying party (a real HTTP server here) records each
//! Logout Token POSTed to it and answers as each client is set to (200, 204, 500, or too late).
//! The token is checked as an RP must — its signature against the published `/oidc/jwks`, its
//! `typ`, every claim, no `nonce`, `sid` equal to the ID token's — and the session's end by
//! RP-initiated logout, by a SAML SP's LogoutRequest, and by a leaver's `delete_user` event each
//! sends it, to every client of the session with an address and to no other.

use crate::both_dbs;
use crate::harness::*;
use crate::oidc::{add_client, code_for, token, RP, VERIFIER};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wecom_idp::clock::Clock;
use wecom_idp::config::{Config, LeaverAccount};
use wecom_idp::oidc::Client;
use wecom_idp::wecom::event_crypto::{AesKey, CallbackToken};

const TOKEN: &str = "evToken2026";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// One POST the test RP received.
#[derive(Debug, Clone)]
struct Seen {
    /// The path's last segment: how the RP answers.
    how: String,
    content_type: Option<String>,
    /// The form's `logout_token` (each field once).
    logout_token: Option<String>,
    fields: usize,
}

#[derive(Clone, Default)]
struct Rp {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Rp {
    fn uri(&self, how: &str) -> String {
        format!("{}/bcl/{how}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (a real clock: the sending runs on its own task) until `n` POSTs arrived.
    async fn wait_for(&self, n: usize) -> Vec<Seen> {
        for _ in 0..100 {
            if self.seen().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.seen()
    }
}

async fn endpoint(
    State(rp): State<Rp>,
    Path(how): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    rp.seen.lock().unwrap().push(Seen {
        how: how.clone(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        logout_token: fields
            .iter()
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.clone()),
        fields: fields.len(),
    });
    match how.as_str() {
        "ok" => StatusCode::OK.into_response(),
        "nocontent" => StatusCode::NO_CONTENT.into_response(),
        "broken" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            StatusCode::OK.into_response()
        }
    }
}

async fn start_rp() -> Rp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rp = Rp {
        base: format!("http://{}", listener.local_addr().unwrap()),
        seen: Arc::default(),
    };
    let router = axum::Router::new()
        .route("/bcl/{how}", axum::routing::post(endpoint))
        .with_state(rp.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    rp
}

async fn start(db: Db) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await.unwrap(),
    };
    let env = Env::start_with(db, url, dir, |c: &mut Config| {
        c.wecom.callback_token = TOKEN.into();
        c.wecom.callback_aes_key = AES_KEY.into();
        c.lifecycle.leaver_account = LeaverAccount::Disable;
        c.saml.soap_logout_timeout_secs = 1;
    })
    .await;
    env.sim.set_event_target(
        format!("{}/wecom/events", env.base),
        CallbackToken::parse(TOKEN).unwrap(),
        AesKey::parse(AES_KEY).unwrap(),
    );
    env
}

/// A client whose Logout Tokens go to the RP's `how` endpoint (none when `how` is empty).
async fn client(env: &Env, rp: &Rp, name: &str, how: &str) -> (Client, String) {
    let uri = rp.uri(how);
    let mut sets = vec![("post_logout_redirect_uris", "https://rp.example/bye")];
    if !how.is_empty() {
        sets.push(("backchannel_logout_uri", uri.as_str()));
    }
    let (c, secret) = add_client(env, name, &sets).await;
    (c, secret.unwrap())
}

/// Signs `userid` in to `c` in `b` and redeems the code: the ID token.
async fn id_token(env: &Env, b: &Browser, c: &Client, secret: &str, userid: &str) -> String {
    let code = code_for(env, b, c, userid).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ];
    let (s, t, _) = token(env, Some((c.client_id.as_str(), secret)), &fields).await;
    assert_eq!(s, 200, "{t}");
    t["id_token"].as_str().unwrap().to_string()
}

fn b64(part: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap()
}

/// A JWT's header and claims, unverified.
fn parts(jwt: &str) -> (Value, Value) {
    let p: Vec<&str> = jwt.split('.').collect();
    assert_eq!(p.len(), 3, "{jwt}");
    (
        serde_json::from_slice(&b64(p[0])).unwrap(),
        serde_json::from_slice(&b64(p[1])).unwrap(),
    )
}

/// Verifies an RS256 JWT the way a relying party does: the key its `kid` names in the published
/// JWK Set, RSASSA-PKCS1-v1_5 SHA-256 over `header.payload`.
async fn verify_with_jwks(env: &Env, jwt: &str) {
    let set: Value = reqwest::get(format!("{}/oidc/jwks", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (header, _) = parts(jwt);
    assert_eq!(header["alg"], "RS256");
    let key = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .unwrap_or_else(|| panic!("kid {} not in {set}", header["kid"]));
    let n = openssl::bn::BigNum::from_slice(&b64(key["n"].as_str().unwrap())).unwrap();
    let e = openssl::bn::BigNum::from_slice(&b64(key["e"].as_str().unwrap())).unwrap();
    let rsa = openssl::rsa::Rsa::from_public_components(n, e).unwrap();
    let pkey = openssl::pkey::PKey::from_rsa(rsa).unwrap();
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let mut v =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &pkey).unwrap();
    assert!(
        v.verify_oneshot(&b64(sig), signed.as_bytes()).unwrap(),
        "the Logout Token's signature verifies with the published key"
    );
}

/// Checks a Logout Token for `c` as an RP must; its claims.
async fn check_logout_token(env: &Env, jwt: &str, c: &Client, id_token: &str) -> Value {
    verify_with_jwks(env, jwt).await;
    let (header, claims) = parts(jwt);
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    let (_, id) = parts(id_token);
    assert_eq!(claims["iss"], env.base.as_str(), "{claims}");
    assert_eq!(claims["aud"], c.client_id.as_str(), "{claims}");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(iat, env.clock.unix(), "{claims}");
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 120, "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    assert_eq!(claims["events"], json!({ EVENT: {} }), "{claims}");
    assert_eq!(claims["sub"], id["sub"], "{claims}");
    assert!(id["sid"].is_string(), "the ID token carries sid: {id}");
    assert_eq!(claims["sid"], id["sid"], "{claims}");
    assert!(claims.get("nonce").is_none(), "never a nonce: {claims}");
    claims
}

/// The latest audit row of `event` with `reason`, waited for (it is written after the calls).
async fn row_of(env: &Env, event: &str, reason: &str) -> Value {
    for _ in 0..100 {
        if let Some(r) = env
            .audit()
            .await
            .into_iter()
            .rev()
            .find(|r| r.event == event && r.reason == reason)
        {
            return serde_json::from_str(r.detail.as_deref().unwrap_or("null")).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {event} row with reason {reason}");
}

both_dbs!(
    rp_initiated_logout_tells_every_client_of_the_session,
    rp_initiated(db)
);
// Rule: discovery says back-channel logout with sid is supported; when RP-initiated logout ends
// a session, every OIDC client holding a grant of it with a
// backchannel_logout_uri (the initiating one included) receives one form-encoded, signed
// `logout+jwt` Logout Token with iss, aud, iat, exp (two minutes), jti, the event, sub and the
// ID token's sid, never a nonce; a client without the address receives nothing; the `logout` row
// keeps each client's word.
async fn rp_initiated(db: Db) {
    let env = start(db).await;
    let rp = start_rp().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["backchannel_logout_supported"], true, "{d}");
    assert_eq!(d["backchannel_logout_session_supported"], true, "{d}");
    assert!(d["claims_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("sid")));
    let (grafana, gs) = client(&env, &rp, "grafana", "ok").await;
    let (argo, argos) = client(&env, &rp, "argo", "nocontent").await;
    let (wiki, ws) = client(&env, &rp, "wiki", "").await;
    let b = env.browser(WXWORK_UA);
    let g_id = id_token(&env, &b, &grafana, &gs, "zhangsan").await;
    let a_id = id_token(&env, &b, &argo, &argos, "zhangsan").await;
    let w_id = id_token(&env, &b, &wiki, &ws, "zhangsan").await;
    let sid = |t: &str| parts(t).1["sid"].as_str().unwrap().to_string();
    // sid: per client, and neither the session cookie nor its hash.
    let cookie = b.cookie(&env.base, "wecom_idp_session").unwrap();
    let hash = wecom_idp::crypto::sha256_hex(cookie.as_bytes());
    for t in [&g_id, &a_id, &w_id] {
        assert!(!sid(t).contains(&cookie) && !sid(t).contains(&hash[..16]));
    }
    assert_ne!(sid(&g_id), sid(&a_id));
    assert!(rp.seen().is_empty(), "nothing sent before the logout");

    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", &g_id)
        .append_pair("post_logout_redirect_uri", "https://rp.example/bye")
        .finish();
    let page = b.get(&format!("{}/oidc/logout?{q}", env.base)).await;
    assert!(page.status < 400, "{} {}", page.status, page.body);

    let seen = rp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen_after = rp.seen();
    assert_eq!(seen_after.len(), 2, "grafana and argo only: {seen:?}");
    let mut jtis = Vec::new();
    for (how, c, id) in [("ok", &grafana, &g_id), ("nocontent", &argo, &a_id)] {
        let s = seen_after.iter().find(|s| s.how == how).unwrap();
        assert_eq!(
            s.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(s.fields, 1, "logout_token only");
        let claims = check_logout_token(&env, s.logout_token.as_ref().unwrap(), c, id).await;
        jtis.push(claims["jti"].clone());
    }
    assert_ne!(jtis[0], jtis[1], "jti is random");
    let detail = row_of(&env, "logout", "oidc_backchannel").await;
    assert_eq!(
        detail["oidc_logout"],
        json!({"grafana": "confirmed", "argo": "confirmed", "wiki": "no_backchannel_uri"}),
        "{detail}"
    );
}

both_dbs!(
    a_leaver_s_oidc_clients_are_told_after_the_cut_off,
    leaver(db)
);
// Rule: a leaver's delete_user event ends their sessions first, then tells each OIDC client of
// those sessions on the back channel; a client answering 500 or not in time is `failed` in the
// member_left row's `oidc_logout`, one without an address gets nothing, and none undoes the
// cut-off.
async fn leaver(db: Db) {
    let env = start(db).await;
    let rp = start_rp().await;
    let mut clients = Vec::new();
    for (name, how) in [
        ("grafana", "ok"),
        ("argo", "broken"),
        ("slow", "silent"),
        ("wiki", ""),
    ] {
        let (c, s) = client(&env, &rp, name, how).await;
        clients.push((name, how, c, s));
    }
    let b = env.browser(WXWORK_UA);
    let mut ids = Vec::new();
    for (_, _, c, s) in &clients {
        ids.push(id_token(&env, &b, c, s, "zhangsan").await);
    }
    let answer = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!((answer.status, answer.answer.as_str()), (200, "success"));
    let detail = row_of(&env, "member_left", "member_deleted").await;
    assert_eq!(
        detail["oidc_logout"],
        json!({
            "grafana": "confirmed",
            "argo": "failed (http_500)",
            "slow": "failed (timeout)",
            "wiki": "no_backchannel_uri",
        }),
        "{detail}"
    );
    let seen = rp.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (i, (_, how, c, _)) in clients.iter().enumerate().take(3) {
        let s = seen.iter().find(|s| s.how == *how).unwrap();
        check_logout_token(&env, s.logout_token.as_ref().unwrap(), c, &ids[i]).await;
    }
    assert!(
        env.state
            .store
            .grants_of_member_sessions("zhangsan")
            .await
            .unwrap()
            .is_empty(),
        "the sessions ended"
    );
}

both_dbs!(a_saml_logout_request_tells_the_oidc_clients, saml_slo(db));
// Rule: a SAML SP's LogoutRequest that ends the session tells the session's OIDC clients too.
async fn saml_slo(db: Db) {
    let env = start(db).await;
    let rp = start_rp().await;
    env.add_app("console", &[]).await;
    let (grafana, gs) = client(&env, &rp, "grafana", "ok").await;
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "console", "zhangsan").await;
    let name_id = Saml::of(&form).name_id();
    let g_id = id_token(&env, &b, &grafana, &gs, "zhangsan").await;
    let now = env.clock.now();
    let instant = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let xml = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_bcl1\" Version=\"2.0\" \
         IssueInstant=\"{}\" NotOnOrAfter=\"{}\" Destination=\"{}/saml/slo\">\
         <saml:Issuer>{}</saml:Issuer>\
         <saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">{name_id}</saml:NameID>\
         </samlp:LogoutRequest>",
        instant(now),
        instant(now + time::Duration::minutes(5)),
        env.base,
        sp_entity("console")
    );
    let url = format!(
        "{}/saml/slo?SAMLRequest={}",
        env.base,
        enc(&deflate_b64(xml.as_bytes()))
    );
    let page = b.get(&url).await;
    assert!(page.status < 400, "{} {}", page.status, page.body);
    let seen = rp.wait_for(1).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    check_logout_token(
        &env,
        seen[0].logout_token.as_ref().unwrap(),
        &grafana,
        &g_id,
    )
    .await;
}

both_dbs!(
    a_hint_from_another_session_does_not_name_this_one,
    other_session(db)
);
// Rule: an id_token_hint whose sid is another session's does not end this browser's session at
// once (the member is asked), even for the same member and client; the hint of this session does.
async fn other_session(db: Db) {
    let env = start(db).await;
    let rp = start_rp().await;
    let (grafana, gs) = client(&env, &rp, "grafana", "ok").await;
    let first = env.browser(WXWORK_UA);
    let second = env.browser(WXWORK_UA);
    let first_id = id_token(&env, &first, &grafana, &gs, "zhangsan").await;
    let second_id = id_token(&env, &second, &grafana, &gs, "zhangsan").await;
    assert_ne!(parts(&first_id).1["sid"], parts(&second_id).1["sid"]);
    let logout = |hint: &str| {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", hint)
            .finish();
        format!("{}/oidc/logout?{q}", env.base)
    };
    let asked = second.get(&logout(&first_id)).await;
    assert!(
        asked.body.contains("id=\"oidc-logout-confirm\""),
        "{} {}",
        asked.status,
        asked.body
    );
    assert!(rp.seen().is_empty());
    let ended = second.get(&logout(&second_id)).await;
    assert!(!ended.body.contains("id=\"oidc-logout-confirm\""));
    let seen = rp.wait_for(1).await;
    assert_eq!(seen.len(), 1);
    check_logout_token(
        &env,
        seen[0].logout_token.as_ref().unwrap(),
        &grafana,
        &second_id,
    )
    .await;
}
