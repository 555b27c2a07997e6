//! The OpenID Connect provider's flows against the real server and the WeCom simulator: the
//! authorization endpoint's checks (client and redirect URI before any redirect, PKCE, prompt,
//! max_age), the code through the shared WeCom login and session, and the discovery document.

use crate::harness::{Browser, Env, Page, CHROME_UA, WXWORK_UA};
use wecom_idp::admin::apps::Ctx as AdminCtx;
use wecom_idp::admin::oidc_clients::{self, NewOidcClient};
use wecom_idp::admin::Actor;
use wecom_idp::clock::Clock;
use wecom_idp::oidc::Client;
use wecom_idp::random::OsRng;

pub const RP: &str = "https://rp.example/cb";
/// A PKCE verifier and its S256 challenge (computed independently with Python's hashlib).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFQ5FHss";
pub const CHALLENGE: &str = "5G0ywK4MJ4ZOW74-Aw58Kmu29y1tU5InVnKGM4SCf1g";

/// Registers a client as the shell would; returns it and its secret (confidential clients).
pub async fn add_client(env: &Env, name: &str, sets: &[(&str, &str)]) -> (Client, Option<String>) {
    let ctx = AdminCtx {
        store: &env.state.store,
        now: env.clock.now(),
        actor: &Actor::Shell,
        ip: None,
        fetch: Default::default(),
    };
    let new = NewOidcClient {
        name: name.into(),
        redirect_uris: vec![RP.into(), "http://127.0.0.1:9/cb".into()],
        settings: sets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let made = oidc_clients::create(&ctx, &OsRng, &new).await.unwrap();
    (made.client, made.secret)
}

/// The authorization URL for `client` with extra parameters.
pub fn authorize_url(env: &Env, client: &Client, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", client.client_id.as_str())
        .append_pair("redirect_uri", RP)
        .append_pair("scope", "openid profile email groups")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("{}/oidc/authorize?{}", env.base, q.finish())
}

/// Follows redirects from `url` until one leaves for the relying party (not fetched): its URL.
/// `None` when the chain ends on a page of ours (returned as the `Err`).
pub async fn follow_to_rp(b: &Browser, url: &str) -> Result<url::Url, Page> {
    let mut url = url.to_string();
    for _ in 0..12 {
        if url.starts_with("https://rp.example/") {
            return Ok(url::Url::parse(&url).unwrap());
        }
        let page = b.get(&url).await;
        match (&page.location, page.status) {
            (Some(loc), 301..=303 | 307 | 308) => {
                url = url::Url::parse(&url)
                    .unwrap()
                    .join(loc)
                    .unwrap()
                    .to_string();
            }
            _ => return Err(page),
        }
    }
    panic!("too many redirects");
}

pub fn param(u: &url::Url, name: &str) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn wrong_client_or_redirect_uri_is_a_page_never_a_redirect(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[]).await;
    let b = env.browser(CHROME_UA);
    // A redirect URI that differs only by a trailing slash, by a query, or not registered at all.
    for uri in [
        "https://rp.example/cb/",
        "https://rp.example/cb?x=1",
        "https://evil.example/cb",
    ] {
        let url = authorize_url(&env, &client, &[]).replace(
            &url::form_urlencoded::byte_serialize(RP.as_bytes()).collect::<String>(),
            &url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>(),
        );
        let p = b.get(&url).await;
        assert_eq!(p.status, 400, "{uri}: {}", p.body);
        assert!(p.location.is_none(), "{uri} redirected to {:?}", p.location);
        assert_eq!(p.reason().as_deref(), Some("oidc_bad_redirect_uri"));
        assert!(
            p.body.contains("返回地址"),
            "the catalogue page: {}",
            p.body
        );
    }
    let p = b
        .get(&format!("{}/oidc/authorize?response_type=code&client_id=0123456789abcdef0123456789abcdef&redirect_uri={}", env.base, RP))
        .await;
    assert_eq!(
        (p.status, p.reason().as_deref()),
        (400, Some("oidc_unknown_client"))
    );
    assert!(p.location.is_none());
}
crate::both_dbs!(
    wrong_client_or_redirect_uri,
    wrong_client_or_redirect_uri_is_a_page_never_a_redirect
);

async fn request_errors_go_back_with_state_and_iss(env: Env) {
    let (conf, _) = add_client(&env, "grafana", &[]).await;
    let (public, secret) = add_client(&env, "spa", &[("client_type", "public")]).await;
    assert!(secret.is_none());
    let b = env.browser(CHROME_UA);
    type Case<'a> = (&'a Client, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (&public, vec![], "invalid_request"),
        (
            &conf,
            vec![
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            &conf,
            vec![("code_challenge", CHALLENGE)],
            "invalid_request",
        ),
        (&conf, vec![("prompt", "none login")], "invalid_request"),
        (&conf, vec![("max_age", "-1")], "invalid_request"),
    ];
    for (client, extra, want) in cases {
        let p = b.get(&authorize_url(&env, client, &extra)).await;
        assert_eq!(p.status, 302, "{extra:?}: {}", p.body);
        let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
        assert!(u.as_str().starts_with(RP), "{u}");
        assert_eq!(param(&u, "error").as_deref(), Some(want), "{extra:?}");
        assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
        assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
        assert!(param(&u, "code").is_none());
    }
    // response_type other than code, and a scope without openid.
    let url = authorize_url(&env, &conf, &[]).replace("response_type=code", "response_type=token");
    let u = url::Url::parse(b.get(&url).await.location.as_deref().unwrap()).unwrap();
    assert_eq!(
        param(&u, "error").as_deref(),
        Some("unsupported_response_type")
    );
    let url = authorize_url(&env, &conf, &[]).replace("scope=openid+", "scope=");
    let u = url::Url::parse(b.get(&url).await.location.as_deref().unwrap()).unwrap();
    assert_eq!(param(&u, "error").as_deref(), Some("invalid_scope"));
}
crate::both_dbs!(request_errors, request_errors_go_back_with_state_and_iss);

async fn prompt_none_without_a_session_is_login_required(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[]).await;
    let b = env.browser(CHROME_UA);
    let p = b
        .get(&authorize_url(&env, &client, &[("prompt", "none")]))
        .await;
    let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert_eq!(param(&u, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    let rows = env.audit().await;
    assert!(
        rows.iter().any(|r| r.reason == "oidc_login_required"),
        "audited"
    );
}
crate::both_dbs!(prompt_none, prompt_none_without_a_session_is_login_required);

async fn a_wecom_login_answers_with_a_code_and_the_session_is_shared(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let u = follow_to_rp(&b, &authorize_url(&env, &client, &[]))
        .await
        .unwrap();
    assert!(param(&u, "code").is_some_and(|c| c.len() >= 43), "{u}");
    assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    // The IdP session now answers prompt=none at once, and a SAML app too without WeCom.
    let p = b
        .get(&authorize_url(&env, &client, &[("prompt", "none")]))
        .await;
    let u2 = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert!(param(&u2, "code").is_some() && param(&u2, "code") != param(&u, "code"));
    env.add_app("wiki", &[]).await;
    let p = b.get(&format!("{}/apps/wiki/start", env.base)).await;
    assert!(
        p.form().is_some(),
        "the OIDC login's session serves a SAML app: {}",
        p.status
    );
    // prompt=login and a max_age the session is older than go back to WeCom.
    env.clock.advance(time::Duration::seconds(120));
    for extra in [[("prompt", "login")], [("max_age", "60")]] {
        let p = b.get(&authorize_url(&env, &client, &extra)).await;
        let loc = p.location.unwrap_or_default();
        assert!(loc.starts_with(&env.sim_base), "{extra:?} went to {loc}");
    }
}
crate::both_dbs!(
    wecom_login_gives_a_code,
    a_wecom_login_answers_with_a_code_and_the_session_is_shared
);

async fn a_member_the_access_rule_refuses_gets_no_code(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("access", "user:lisi")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let r = follow_to_rp(&b, &authorize_url(&env, &client, &[])).await;
    let page = r.expect_err("no redirect to the RP");
    assert_eq!(page.status, 403, "{}", page.body);
}
crate::both_dbs!(
    access_rules_apply,
    a_member_the_access_rule_refuses_gets_no_code
);
/// A member signed in through WeCom (in-client) for `client`: the code and the callback URL.
pub async fn code_for(env: &Env, b: &Browser, client: &Client, userid: &str) -> String {
    env.wecom_client_login(b, userid).await;
    let u = follow_to_rp(
        b,
        &authorize_url(
            env,
            client,
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        ),
    )
    .await
    .unwrap_or_else(|p| panic!("no redirect to the RP: {} {}", p.status, p.body));
    param(&u, "code").unwrap_or_else(|| panic!("no code in {u}"))
}

/// POSTs a token request (form `fields`, HTTP Basic when `basic` is given): status and JSON.
pub async fn token(
    env: &Env,
    basic: Option<(&str, &str)>,
    fields: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/oidc/token", env.base))
        .form(fields);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or_default(), headers)
}

pub async fn userinfo(env: &Env, access_token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(format!("{}/oidc/userinfo", env.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

fn redeem<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", RP),
        ("code_verifier", verifier),
    ]
}

async fn a_code_gives_signed_tokens_and_userinfo(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let secret = secret.unwrap();
    let id = client.client_id.as_str();
    let b = env.browser(WXWORK_UA);
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (status, t, headers) = token(&env, Some((id, &secret)), &redeem(&code, VERIFIER)).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(t["token_type"], "Bearer");
    let ring = env.state.keys();
    let v = wecom_idp::oidc::jwt::verify(
        &ring.jose,
        t["id_token"].as_str().unwrap(),
        wecom_idp::oidc::jwt::TokenType::Jwt,
    )
    .unwrap();
    let c = v.claims;
    assert_eq!(c["iss"], env.base.as_str());
    assert_eq!((c["aud"].as_str(), c["azp"].as_str()), (Some(id), Some(id)));
    assert_eq!(c["sub"], "zhangsan");
    assert_eq!(c["nonce"], "n-1");
    assert_eq!(c["auth_time"], env.clock.unix());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(c["at_hash"], wecom_idp::oidc_flow::token::at_hash(access));
    wecom_idp::oidc::jwt::verify(
        &ring.jose,
        access,
        wecom_idp::oidc::jwt::TokenType::AccessToken,
    )
    .unwrap();
    // Userinfo: the scopes' claims (profile, email, groups asked; phone not).
    let (status, u) = userinfo(&env, access).await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["sub"], "zhangsan");
    assert_eq!(u["name"], "张三");
    assert!(u.get("phone_number").is_none(), "phone not in scope: {u}");
    assert!(u["departments"].is_array());
    // A token of ours that is not an access token, or garbage, is refused.
    let (status, _) = userinfo(&env, t["id_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
    // The access token expires.
    env.clock.advance(time::Duration::seconds(601));
    assert_eq!(userinfo(&env, access).await.0, 401);
}
crate::both_dbs!(code_gives_tokens, a_code_gives_signed_tokens_and_userinfo);

async fn a_reused_code_revokes_what_the_first_use_gave(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let (id, secret) = (client.client_id.as_str().to_string(), secret.unwrap());
    let b = env.browser(WXWORK_UA);
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (s, first, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)).await;
    assert_eq!(s, 200);
    let (s, again, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)).await;
    assert_eq!((s, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(
        userinfo(&env, first["access_token"].as_str().unwrap())
            .await
            .0,
        401
    );
    let refresh = first["refresh_token"].as_str().unwrap();
    let (s, r, _) = token(
        &env,
        Some((&id, &secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!((s, r["error"].as_str()), (400, Some("invalid_grant")));
}
crate::both_dbs!(reused_code, a_reused_code_revokes_what_the_first_use_gave);

async fn pkce_secret_and_binding_are_checked(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let (other, other_secret) = add_client(&env, "other", &[]).await;
    let (id, secret) = (client.client_id.as_str().to_string(), secret.unwrap());
    let b = env.browser(WXWORK_UA);
    let fail = |s: u16, v: &serde_json::Value, want: &str| {
        assert_eq!(
            (s, v["error"].as_str()),
            (if want == "invalid_client" { 401 } else { 400 }, Some(want)),
            "{v}"
        );
    };
    // Wrong verifier, missing verifier: each burns its code.
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let wrong = "x".repeat(43);
    let (s, v, _) = token(&env, Some((&id, &secret)), &redeem(&code, &wrong)).await;
    fail(s, &v, "invalid_grant");
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (s, v, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)[..3]).await;
    fail(s, &v, "invalid_grant");
    // Wrong secret (Basic, then post), and two methods at once.
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (s, v, h) = token(&env, Some((&id, "wrong")), &redeem(&code, VERIFIER)).await;
    fail(s, &v, "invalid_client");
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let mut post = redeem(&code, VERIFIER);
    post.extend([("client_id", id.as_str()), ("client_secret", "wrong")]);
    let (s, v, _) = token(&env, None, &post).await;
    fail(s, &v, "invalid_client");
    let (s, v, _) = token(&env, Some((&id, &secret)), &post).await;
    fail(s, &v, "invalid_request");
    // The code is another client's: refused even with that client's right secret.
    let (s, v, _) = token(
        &env,
        Some((other.client_id.as_str(), &other_secret.unwrap())),
        &redeem(&code, VERIFIER),
    )
    .await;
    fail(s, &v, "invalid_grant");
    // client_secret_post with the right secret, and a wrong redirect URI before it.
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let mut post = redeem(&code, VERIFIER);
    post[2] = ("redirect_uri", "http://127.0.0.1:9/cb");
    post.extend([
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ]);
    let (s, v, _) = token(&env, None, &post).await;
    fail(s, &v, "invalid_grant");
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let mut post = redeem(&code, VERIFIER);
    post.extend([
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ]);
    assert_eq!(token(&env, None, &post).await.0, 200);
    // An expired code.
    let code = code_for(&env, &b, &client, "zhangsan").await;
    env.clock.advance(time::Duration::seconds(61));
    let (s, v, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)).await;
    fail(s, &v, "invalid_grant");
    // A public client: its ID and the verifier, no secret.
    let (public, _) = add_client(&env, "spa", &[("client_type", "public")]).await;
    let code = code_for(&env, &b, &public, "zhangsan").await;
    let mut post = redeem(&code, VERIFIER);
    post.push(("client_id", public.client_id.as_str()));
    assert_eq!(token(&env, None, &post).await.0, 200);
}
crate::both_dbs!(pkce_and_secrets, pkce_secret_and_binding_are_checked);

async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let (id, secret) = (client.client_id.as_str().to_string(), secret.unwrap());
    let b = env.browser(WXWORK_UA);
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (_, first, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let refresh = |t: String| {
        let (env, id, secret) = (&env, id.clone(), secret.clone());
        async move {
            token(
                env,
                Some((&id, &secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", &t)],
            )
            .await
        }
    };
    let (s, second, _) = refresh(r1.clone()).await;
    assert_eq!(s, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2, "rotated");
    assert!(second["id_token"].is_string());
    assert_eq!(
        userinfo(&env, second["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    // The old one again: refused, and the family (r2 and its access token) is revoked.
    let (s, v, _) = refresh(r1).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(refresh(r2).await.0, 400);
    assert_eq!(
        userinfo(&env, second["access_token"].as_str().unwrap())
            .await
            .0,
        401
    );
}
crate::both_dbs!(
    refresh_rotation,
    refresh_tokens_rotate_and_a_reused_one_revokes_its_family
);

async fn discovery_names_the_issuer_and_what_is_supported(env: Env) {
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(d["issuer"], env.base.as_str());
    assert_eq!(
        d["authorization_endpoint"],
        format!("{}/oidc/authorize", env.base)
    );
    assert_eq!(d["token_endpoint"], format!("{}/oidc/token", env.base));
    assert_eq!(d["jwks_uri"], format!("{}/oidc/jwks", env.base));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        d["response_types_supported"],
        serde_json::json!(["code", "id_token"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let jwks = reqwest::get(d["jwks_uri"].as_str().unwrap()).await.unwrap();
    assert_eq!(jwks.status(), 200);
}
crate::both_dbs!(discovery, discovery_names_the_issuer_and_what_is_supported);

async fn userinfo_and_refresh_stop_when_the_member_is_cut_off(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let (id, secret) = (client.client_id.as_str().to_string(), secret.unwrap());
    let b = env.browser(WXWORK_UA);
    let code = code_for(&env, &b, &client, "zhangsan").await;
    let (_, t, _) = token(&env, Some((&id, &secret)), &redeem(&code, VERIFIER)).await;
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&env, access).await.0, 200);
    // The member leaves: the lifecycle ends every IdP session of the userid.
    env.state
        .store
        .delete_sessions_of("zhangsan")
        .await
        .unwrap();
    assert_eq!(
        userinfo(&env, access).await.0,
        401,
        "no claims for a cut-off member"
    );
    let (s, v, _) = token(
        &env,
        Some((&id, &secret)),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")));
}
crate::both_dbs!(
    cut_off_member,
    userinfo_and_refresh_stop_when_the_member_is_cut_off
);
