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
/// A PKCE S256 challenge (computed independently with Python's hashlib).
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
        (&conf, vec![("prompt", "consent")], "invalid_request"),
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
