//! The implicit flow with `response_type=id_token` only (cloud consoles' OIDC console sign-in):
//! an ID token in the fragment or a `form_post` page after the same WeCom login as the code flow,
//! the nonce required, the client's `response_types` honoured, `query` and hybrids refused, and
//! every error sent back the way the answer would have been.

use crate::harness::{html_unescape, Env, Page, CHROME_UA, WXWORK_UA};
use crate::oidc::{add_client, follow_to_rp, RP};
use wecom_idp::admin::apps::Ctx as AdminCtx;
use wecom_idp::admin::oidc_clients::{self, NewOidcClient};
use wecom_idp::admin::Actor;
use wecom_idp::clock::Clock;
use wecom_idp::oidc::jwt::{self, TokenType};
use wecom_idp::oidc::Client;
use wecom_idp::random::OsRng;

/// A client allowed `response_types`, with the https redirect URI [`RP`] only.
async fn console_client(env: &Env, response_types: &str) -> Client {
    console_client_with(env, response_types, &[]).await
}

async fn console_client_with(env: &Env, response_types: &str, sets: &[(&str, &str)]) -> Client {
    let ctx = AdminCtx {
        store: &env.state.store,
        now: env.clock.now(),
        actor: &Actor::Shell,
        ip: None,
        fetch: Default::default(),
    };
    let new = NewOidcClient {
        name: "console".into(),
        redirect_uris: vec![RP.into()],
        settings: std::iter::once(("response_types", response_types))
            .chain(sets.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    oidc_clients::create(&ctx, &OsRng, &new)
        .await
        .unwrap()
        .client
}

/// An `id_token` authorization URL; `extra` may replace the defaults (an empty value drops one).
fn url(env: &Env, client: &Client, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("response_type", "id_token"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", RP),
        ("scope", "openid profile groups"),
        ("state", "st-1"),
        ("nonce", "n-1"),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    format!("{}/oidc/authorize?{}", env.base, q.finish())
}

/// The fragment's parameters of an answer sent by 303.
fn fragment(p: &Page) -> Vec<(String, String)> {
    assert_eq!(p.status, 303, "{}", p.body);
    let loc = p.location.as_deref().unwrap();
    let (base, frag) = loc
        .split_once('#')
        .unwrap_or_else(|| panic!("no fragment: {loc}"));
    assert_eq!(base, RP);
    url::form_urlencoded::parse(frag.as_bytes())
        .into_owned()
        .collect()
}

/// The hidden fields of a `form_post` page, and where it posts.
fn posted(p: &Page) -> (String, Vec<(String, String)>) {
    assert_eq!(p.status, 200, "{}", p.body);
    let after = |s: &str, m: &str| -> Option<String> {
        let i = s.find(m)? + m.len();
        Some(s[i..i + s[i..].find('"')?].to_string())
    };
    let action = html_unescape(&after(&p.body, "<form method=\"post\" action=\"").unwrap());
    let mut fields = Vec::new();
    let mut rest = p.body.as_str();
    while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[i..];
        let name = after(rest, "name=\"").unwrap();
        let value = html_unescape(&after(rest, "value=\"").unwrap());
        fields.push((name, value));
        rest = &rest[1..];
    }
    (action, fields)
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks an implicit ID token: ours, for `client`, with the nonce and no `at_hash`.
fn check_id_token(env: &Env, client: &Client, token: &str) {
    let ring = env.state.keys();
    let c = jwt::verify(&ring.jose, token, TokenType::Jwt)
        .unwrap()
        .claims;
    let id = client.client_id.as_str();
    assert_eq!(c["iss"], env.base.as_str());
    assert_eq!((c["aud"].as_str(), c["azp"].as_str()), (Some(id), Some(id)));
    assert_eq!(c["sub"], "zhangsan");
    assert_eq!(c["nonce"], "n-1");
    assert_eq!(c["auth_time"], env.clock.unix());
    assert_eq!(c["name"], "张三", "profile is in scope: {c:?}");
    assert!(c.get("email").is_none(), "email is not in scope: {c:?}");
    assert!(
        c.get("at_hash").is_none(),
        "no access token, no at_hash: {c:?}"
    );
    assert!(c["exp"].as_i64().unwrap() > c["iat"].as_i64().unwrap());
}

async fn form_post_delivers_a_verifiable_id_token(env: Env) {
    let client = console_client(&env, "id_token").await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = follow_to_rp(&b, &url(&env, &client, &[("response_mode", "form_post")]))
        .await
        .expect_err("form_post answers with a page, not a redirect");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.body.contains("/static/autosubmit.js"));
    let (action, fields) = posted(&page);
    assert_eq!(action, RP);
    assert_eq!(get(&fields, "state"), Some("st-1"));
    assert_eq!(get(&fields, "iss"), Some(env.base.as_str()));
    assert!(get(&fields, "code").is_none() && get(&fields, "access_token").is_none());
    check_id_token(&env, &client, get(&fields, "id_token").unwrap());
    let rows = env.audit().await;
    assert!(
        rows.iter()
            .any(|r| r.detail.as_deref() == Some("response_type=id_token")),
        "the ID token is audited like a code"
    );
}
crate::both_dbs!(implicit_form_post, form_post_delivers_a_verifiable_id_token);

async fn fragment_is_the_default_and_carries_the_id_token(env: Env) {
    let client = console_client(&env, "code id_token").await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    for mode in ["", "fragment"] {
        let u = follow_to_rp(&b, &url(&env, &client, &[("response_mode", mode)]))
            .await
            .unwrap_or_else(|p| panic!("{mode}: {} {}", p.status, p.body));
        assert!(u.query().is_none(), "nothing in the query: {u}");
        let f: Vec<(String, String)> =
            url::form_urlencoded::parse(u.fragment().unwrap().as_bytes())
                .into_owned()
                .collect();
        assert_eq!(get(&f, "state"), Some("st-1"));
        assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
        check_id_token(&env, &client, get(&f, "id_token").unwrap());
    }
    // The same client still gets codes in the query: `code id_token` allows both flows.
    let u = follow_to_rp(
        &b,
        &url(&env, &client, &[("response_type", "code"), ("nonce", "")]),
    )
    .await
    .unwrap();
    assert!(crate::oidc::param(&u, "code").is_some(), "{u}");
}
crate::both_dbs!(
    implicit_fragment,
    fragment_is_the_default_and_carries_the_id_token
);

async fn refused_requests_go_back_by_their_response_mode(env: Env) {
    let console = console_client(&env, "id_token").await;
    let (code_only, _) = add_client(&env, "grafana", &[]).await;
    let b = env.browser(CHROME_UA);
    type Case<'a> = (&'a Client, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (&console, vec![("nonce", "")], "invalid_request"),
        (
            &console,
            vec![("response_mode", "query")],
            "invalid_request",
        ),
        (
            &console,
            vec![
                ("code_challenge", crate::oidc::CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            &console,
            vec![("response_type", "code id_token")],
            "unsupported_response_type",
        ),
        (
            &console,
            vec![("response_type", "id_token token")],
            "unsupported_response_type",
        ),
        (
            &console,
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (&code_only, vec![], "unauthorized_client"),
        (&console, vec![("prompt", "none")], "login_required"),
    ];
    for (client, extra, want) in cases {
        let p = b.get(&url(&env, client, &extra)).await;
        let f = if extra.iter().any(|(k, _)| *k == "response_type") {
            // Not an id_token request: the error goes back in the query.
            assert_eq!(p.status, 302, "{extra:?}");
            let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
            assert!(u.fragment().is_none());
            u.query_pairs().into_owned().collect()
        } else {
            fragment(&p)
        };
        assert_eq!(get(&f, "error"), Some(want), "{extra:?}");
        assert_eq!(get(&f, "state"), Some("st-1"), "{extra:?}");
        assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
        assert!(get(&f, "id_token").is_none());
    }
    // By form_post: a page that posts the error.
    for (extra, want) in [
        (vec![("prompt", "none")], "login_required"),
        (vec![("nonce", "")], "invalid_request"),
    ] {
        let mut extra = extra;
        extra.push(("response_mode", "form_post"));
        let (action, f) = posted(&b.get(&url(&env, &console, &extra)).await);
        assert_eq!(action, RP);
        assert_eq!(get(&f, "error"), Some(want), "{extra:?}");
        assert_eq!(get(&f, "state"), Some("st-1"));
    }
    // A code request from a client allowed id_token only is refused too.
    let p = b
        .get(&url(&env, &console, &[("response_type", "code")]))
        .await;
    let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert_eq!(
        crate::oidc::param(&u, "error").as_deref(),
        Some("unauthorized_client")
    );
}
crate::both_dbs!(
    implicit_refusals,
    refused_requests_go_back_by_their_response_mode
);

async fn discovery_offers_id_token_and_its_response_modes(env: Env) {
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        d["response_types_supported"],
        serde_json::json!(["code", "id_token"])
    );
    assert_eq!(
        d["response_modes_supported"],
        serde_json::json!(["query", "fragment", "form_post"])
    );
}
crate::both_dbs!(
    implicit_discovery,
    discovery_offers_id_token_and_its_response_modes
);

async fn consent_answers_by_the_response_mode(env: Env) {
    let client = console_client_with(&env, "id_token", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let ticket = |p: &Page| {
        let at = p
            .body
            .find("name=\"ticket\" value=\"")
            .expect("a consent page")
            + 21;
        p.body[at..].split('"').next().unwrap().to_string()
    };
    let consent = format!("{}/oidc/consent", env.base);
    // Deny: access_denied in the fragment.
    let page = follow_to_rp(&b, &url(&env, &client, &[]))
        .await
        .unwrap_err();
    let p = b
        .post_form(
            &consent,
            &[("ticket", &ticket(&page)), ("decision", "deny")],
        )
        .await;
    let f = fragment(&p);
    assert_eq!(get(&f, "error"), Some("access_denied"));
    assert_eq!(get(&f, "state"), Some("st-1"));
    // Allow: the ID token by form_post.
    let extra = [("response_mode", "form_post")];
    let page = follow_to_rp(&b, &url(&env, &client, &extra))
        .await
        .unwrap_err();
    let p = b
        .post_form(
            &consent,
            &[("ticket", &ticket(&page)), ("decision", "allow")],
        )
        .await;
    let (action, f) = posted(&p);
    assert_eq!(action, RP);
    check_id_token(&env, &client, get(&f, "id_token").unwrap());
}
crate::both_dbs!(implicit_consent, consent_answers_by_the_response_mode);

async fn an_implicit_id_token_names_its_session_at_logout(env: Env) {
    let client = console_client(&env, "id_token").await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let u = follow_to_rp(&b, &url(&env, &client, &[])).await.unwrap();
    let f: Vec<(String, String)> = url::form_urlencoded::parse(u.fragment().unwrap().as_bytes())
        .into_owned()
        .collect();
    let hint = get(&f, "id_token").unwrap();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("id_token_hint", hint)
        .finish();
    let p = b.get(&format!("{}/oidc/logout?{q}", env.base)).await;
    assert!(
        !p.body.contains("oidc-logout-confirm"),
        "the hint is known to the session: no confirmation asked: {}",
        p.body
    );
    let p = b.get(&url(&env, &client, &[("prompt", "none")])).await;
    assert_eq!(get(&fragment(&p), "error"), Some("login_required"));
}
crate::both_dbs!(
    implicit_logout,
    an_implicit_id_token_names_its_session_at_logout
);
