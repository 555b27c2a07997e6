//! The authorization request exactly as the specifications read: `prompt` as a space-separated
//! list (`login consent` both apply, `none` alone, unknown values refused, `select_account` asks
//! nothing more); the code flow answered by its `response_mode` (query by default, fragment,
//! `form_post`), errors after the redirect URI is trusted too, always with `iss`; and ID tokens
//! with their own lifetime.

use crate::harness::{html_unescape, Browser, Env, Page, CHROME_UA, WXWORK_UA};
use crate::oidc::{add_client, authorize_url, follow_to_rp, param, token, CHALLENGE, RP, VERIFIER};
use wecom_idp::oidc::jwt::{self, TokenType};
use wecom_idp::oidc::Client;

/// The error answer of a request sent back in the redirect URI's query.
fn query_error(p: &Page) -> url::Url {
    assert_eq!(p.status, 302, "{}", p.body);
    let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert!(u.as_str().starts_with(RP), "{u}");
    u
}

/// The parameters of an answer in the fragment (303).
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

/// Where a `form_post` page posts, and its hidden fields.
fn posted(p: &Page) -> (String, Vec<(String, String)>) {
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.header("cache-control"), Some("no-store"));
    assert!(p.body.contains("/static/autosubmit.js"), "{}", p.body);
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

/// Follows `url` to the consent page and allows; the answer is a code for the client.
async fn allow(env: &Env, b: &Browser, url: &str) {
    let page = follow_to_rp(b, url).await.expect_err("the consent page");
    let at = page.body.find("name=\"ticket\" value=\"").expect("ticket") + 21;
    let ticket = page.body[at..].split('"').next().unwrap().to_string();
    let r = b
        .post_form(
            &format!("{}/oidc/consent", env.base),
            &[("ticket", ticket.as_str()), ("decision", "allow")],
        )
        .await;
    assert!(r.location.is_some_and(|l| l.contains("code=")));
}

async fn prompt_is_a_space_separated_list(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    // Refused before anything else, in the query with state and iss: none with another value
    // (OIDC Core §3.1.2.1), and values this provider does not know.
    for prompt in [
        "none login",
        "consent none",
        "none select_account",
        "bogus",
        "login bogus",
        "Login",
    ] {
        let u = query_error(
            &b.get(&authorize_url(&env, &client, &[("prompt", prompt)]))
                .await,
        );
        assert_eq!(
            param(&u, "error").as_deref(),
            Some("invalid_request"),
            "{prompt}"
        );
        assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
        assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    }
    env.wecom_client_login(&b, "zhangsan").await;
    allow(&env, &b, &authorize_url(&env, &client, &[])).await;
    // select_account with a session: the session's one member, no question, a code.
    for prompt in ["select_account", " select_account  "] {
        let p = b
            .get(&authorize_url(&env, &client, &[("prompt", prompt)]))
            .await;
        assert!(
            p.location
                .as_deref()
                .is_some_and(|l| l.starts_with(RP) && l.contains("code=")),
            "{prompt}: {:?} {}",
            p.location,
            p.body
        );
    }
    // login consent: a fresh WeCom login, then the consent page although consent was given;
    // login alone after it: the remembered consent, a code.
    for prompt in ["login consent", "consent login select_account"] {
        let url = authorize_url(&env, &client, &[("prompt", prompt)]);
        let first = b.get(&url).await;
        assert!(
            first
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with(&env.sim_base)),
            "{prompt}: a fresh login at WeCom: {:?}",
            first.location
        );
        allow(&env, &b, &url).await;
    }
    let u = follow_to_rp(&b, &authorize_url(&env, &client, &[("prompt", "login")]))
        .await
        .expect("prompt=login alone does not ask for consent again");
    assert!(param(&u, "code").is_some(), "{u}");
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        d["prompt_values_supported"],
        serde_json::json!(["none", "login", "consent", "select_account"])
    );
}
crate::both_dbs!(prompt_list, prompt_is_a_space_separated_list);

const PKCE: [(&str, &str); 2] = [
    ("code_challenge", CHALLENGE),
    ("code_challenge_method", "S256"),
];

fn with_mode<'a>(mode: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = PKCE.to_vec();
    v.push(("response_mode", mode));
    v.extend_from_slice(extra);
    v
}

/// Redeems `code` for `client` (PKCE): the token endpoint's status.
async fn redeem(env: &Env, client: &Client, secret: &str, code: &str) -> u16 {
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ];
    token(env, Some((client.client_id.as_str(), secret)), &fields)
        .await
        .0
}

async fn the_code_goes_back_by_its_response_mode(env: Env) {
    let (client, secret) = add_client(&env, "grafana", &[]).await;
    let secret = secret.unwrap();
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    // form_post: the auto-submitting page posts the code, state and iss to the redirect URI.
    let page = follow_to_rp(
        &b,
        &authorize_url(&env, &client, &with_mode("form_post", &[])),
    )
    .await
    .expect_err("form_post answers with a page");
    let (action, f) = posted(&page);
    assert_eq!(action, RP);
    assert_eq!(get(&f, "state"), Some("st-1"));
    assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
    assert_eq!(
        redeem(&env, &client, &secret, get(&f, "code").unwrap()).await,
        200
    );
    // fragment: a 303 with the code in the fragment (OAuth Multiple Response Types allows it).
    let p = b
        .get(&authorize_url(&env, &client, &with_mode("fragment", &[])))
        .await;
    let f = fragment(&p);
    assert_eq!(get(&f, "state"), Some("st-1"));
    assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
    assert_eq!(
        redeem(&env, &client, &secret, get(&f, "code").unwrap()).await,
        200
    );
    // query, asked or by default: the query.
    for extra in [with_mode("query", &[]), PKCE.to_vec()] {
        let u = query_error(&b.get(&authorize_url(&env, &client, &extra)).await);
        assert!(u.fragment().is_none());
        assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
        assert_eq!(
            redeem(&env, &client, &secret, &param(&u, "code").unwrap()).await,
            200
        );
    }
    // A mode we do not have: invalid_request, in the query.
    let u = query_error(
        &b.get(&authorize_url(&env, &client, &with_mode("query.jwt", &[])))
            .await,
    );
    assert_eq!(param(&u, "error").as_deref(), Some("invalid_request"));
    assert!(param(&u, "code").is_none());
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
}
crate::both_dbs!(code_response_modes, the_code_goes_back_by_its_response_mode);

async fn code_flow_errors_go_back_by_the_response_mode(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[]).await;
    let b = env.browser(CHROME_UA);
    // No session with prompt=none, a bad max_age (refused while the request is checked) and a
    // bad prompt: each by the asked mode, with state and iss, never a code.
    for extra in [
        ("prompt", "none"),
        ("max_age", "-1"),
        ("prompt", "none login"),
    ] {
        let want = if extra.1 == "none" {
            "login_required"
        } else {
            "invalid_request"
        };
        let (action, f) = posted(
            &b.get(&authorize_url(
                &env,
                &client,
                &with_mode("form_post", &[extra]),
            ))
            .await,
        );
        assert_eq!(action, RP);
        assert_eq!(get(&f, "error"), Some(want), "{extra:?}");
        assert_eq!(get(&f, "state"), Some("st-1"));
        assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
        assert!(get(&f, "code").is_none());
        let f = fragment(
            &b.get(&authorize_url(
                &env,
                &client,
                &with_mode("fragment", &[extra]),
            ))
            .await,
        );
        assert_eq!(get(&f, "error"), Some(want), "{extra:?}");
        assert_eq!(get(&f, "state"), Some("st-1"));
        assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
    }
    // An unknown response type asking for form_post gets its error by form_post too.
    let url = authorize_url(&env, &client, &with_mode("form_post", &[]))
        .replace("response_type=code", "response_type=token");
    let (_, f) = posted(&b.get(&url).await);
    assert_eq!(get(&f, "error"), Some("unsupported_response_type"));
    assert_eq!(get(&f, "iss"), Some(env.base.as_str()));
}
crate::both_dbs!(
    code_error_modes,
    code_flow_errors_go_back_by_the_response_mode
);

/// The ID token of a code for `client` (its `exp - iat`) and the access token's `expires_in`.
async fn code_lifetimes(env: &Env, b: &Browser, client: &Client, secret: &str) -> (i64, i64) {
    let u = follow_to_rp(b, &authorize_url(env, client, &PKCE))
        .await
        .unwrap();
    let code = param(&u, "code").unwrap();
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ];
    let (s, t, _) = token(env, Some((client.client_id.as_str(), secret)), &fields).await;
    assert_eq!(s, 200, "{t}");
    let ring = env.state.keys();
    let c = jwt::verify(&ring.jose, t["id_token"].as_str().unwrap(), TokenType::Jwt)
        .unwrap()
        .claims;
    let id = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
    (id, t["expires_in"].as_i64().unwrap())
}

async fn id_tokens_have_their_own_lifetime(env: Env) {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    // Unset: as long as the access token, as before the setting existed.
    let (plain, s) = add_client(&env, "plain", &[("access_token_lifetime", "900")]).await;
    assert_eq!(
        code_lifetimes(&env, &b, &plain, &s.unwrap()).await,
        (900, 900)
    );
    // Set: the ID token's own; the access token keeps its lifetime.
    let (own, s) = add_client(&env, "own", &[("id_token_lifetime", "3600")]).await;
    assert_eq!(
        code_lifetimes(&env, &b, &own, &s.unwrap()).await,
        (3600, 600)
    );
    // The implicit flow's ID token too.
    let (implicit, _) = add_client(
        &env,
        "console",
        &[
            ("response_types", "id_token"),
            ("redirect_uris", RP),
            ("id_token_lifetime", "1200"),
        ],
    )
    .await;
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "id_token")
        .append_pair("client_id", implicit.client_id.as_str())
        .append_pair("redirect_uri", RP)
        .append_pair("scope", "openid")
        .append_pair("nonce", "n-1");
    let p = b
        .get(&format!("{}/oidc/authorize?{}", env.base, q.finish()))
        .await;
    let f = fragment(&p);
    let ring = env.state.keys();
    let c = jwt::verify(&ring.jose, get(&f, "id_token").unwrap(), TokenType::Jwt)
        .unwrap()
        .claims;
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        1200
    );
}
crate::both_dbs!(id_token_lifetime, id_tokens_have_their_own_lifetime);
