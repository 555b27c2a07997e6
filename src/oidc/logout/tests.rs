use super::*;
use crate::oidc::jwt::{Es256Key, JwsAlg};
use crate::saml::sign::{generate_key_and_cert, SigningKey};
use serde_json::json;
use time::macros::datetime;

const ISS: &str = "https://idp.example";

fn keys(kid: &str) -> JoseKeys {
    let (k, c) = generate_key_and_cert("t", datetime!(2026-01-01 0:00 UTC), &[1]).unwrap();
    let rsa = SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap();
    let ec = Es256Key::from_pem(Es256Key::generate_pem().unwrap().as_bytes()).unwrap();
    JoseKeys::new(kid, rsa, Some((format!("{kid}-es256"), ec))).unwrap()
}

fn id_token(keys: &JoseKeys, claims: serde_json::Value) -> String {
    jwt::sign(keys, JwsAlg::Es256, TokenType::Jwt, &claims).unwrap()
}

fn params(pairs: &[(&str, &str)]) -> Result<LogoutParams, LogoutError> {
    LogoutParams::from_pairs(pairs.iter().copied())
}

#[test]
fn parameters_once_each_unknown_ignored() {
    let p = params(&[("client_id", "c1"), ("ui_locales", "zh"), ("state", "")]).unwrap();
    assert_eq!(p.client_id.as_deref(), Some("c1"));
    assert_eq!(p.state, None);
    assert_eq!(
        params(&[("state", "a"), ("state", "b")]),
        Err(LogoutError::Repeated("state"))
    );
}

#[test]
fn the_hint_is_our_id_token_even_expired() {
    let k = keys("k1");
    let claims = json!({"iss": ISS, "aud": "c1", "sub": "s1", "sid": "x", "exp": 1});
    let h = check_hint(&k, ISS, &id_token(&k, claims)).unwrap();
    assert_eq!(
        h,
        Hint {
            client_id: "c1".into(),
            sub: "s1".into(),
            sid: Some("x".into())
        }
    );
    let many = json!({"iss": ISS, "aud": ["c1", "c2"], "azp": "c2", "sub": "s1"});
    assert_eq!(
        check_hint(&k, ISS, &id_token(&k, many)).unwrap().client_id,
        "c2"
    );
    for bad in [
        json!({"iss": "https://evil.example", "aud": "c1", "sub": "s1"}),
        json!({"iss": ISS, "sub": "s1"}),
        json!({"iss": ISS, "aud": "c1"}),
        json!({"iss": ISS, "aud": ["c1", "c2"], "sub": "s1"}),
    ] {
        assert!(
            matches!(
                check_hint(&k, ISS, &id_token(&k, bad.clone())),
                Err(LogoutError::BadHint(_))
            ),
            "{bad}"
        );
    }
    // Another issuer's key with our key's ID, and an access token, are not hints.
    let foreign = id_token(&keys("k1"), json!({"iss": ISS, "aud": "c1", "sub": "s1"}));
    assert!(matches!(
        check_hint(&k, ISS, &foreign),
        Err(LogoutError::BadHint(_))
    ));
    let at = jwt::sign(
        &k,
        JwsAlg::Rs256,
        TokenType::AccessToken,
        &json!({"iss": ISS, "aud": "c1", "sub": "s1"}),
    )
    .unwrap();
    assert!(matches!(
        check_hint(&k, ISS, &at),
        Err(LogoutError::BadHint(_))
    ));
}

fn hint(client: &str) -> Option<Hint> {
    Some(Hint {
        client_id: client.into(),
        sub: "s1".into(),
        sid: None,
    })
}

fn registered(client: &str) -> Option<Vec<&'static str>> {
    (client == "c1").then(|| vec!["https://rp.example/bye", "https://rp.example/out?x=1"])
}

#[test]
fn the_redirect_is_registered_exactly_and_carries_state() {
    let p = params(&[
        ("post_logout_redirect_uri", "https://rp.example/out?x=1"),
        ("state", "s&t"),
    ])
    .unwrap();
    let planned = plan(&p, hint("c1"), registered).unwrap();
    assert!(!planned.confirm);
    assert_eq!(planned.client_id.as_deref(), Some("c1"));
    assert_eq!(
        planned.redirect.unwrap().as_str(),
        "https://rp.example/out?x=1&state=s%26t"
    );
    for uri in [
        "https://rp.example/bye/",
        "https://rp.example/Bye",
        "https://rp.example/bye?state=1",
        "https://evil.example/bye",
    ] {
        let p = params(&[("post_logout_redirect_uri", uri)]).unwrap();
        assert_eq!(
            plan(&p, hint("c1"), registered),
            Err(LogoutError::UnregisteredRedirect),
            "{uri}"
        );
    }
}

#[test]
fn the_client_is_named_consistently() {
    let p = params(&[("client_id", "c2")]).unwrap();
    assert_eq!(
        plan(&p, hint("c1"), registered),
        Err(LogoutError::ClientMismatch)
    );
    let p = params(&[("post_logout_redirect_uri", "https://rp.example/bye")]).unwrap();
    assert_eq!(plan(&p, None, registered), Err(LogoutError::UnknownClient));
    let p = params(&[
        ("post_logout_redirect_uri", "https://rp.example/bye"),
        ("client_id", "nope"),
    ])
    .unwrap();
    assert_eq!(plan(&p, None, registered), Err(LogoutError::UnknownClient));
    // client_id alone may redirect, but the member confirms first.
    let p = params(&[
        ("post_logout_redirect_uri", "https://rp.example/bye"),
        ("client_id", "c1"),
    ])
    .unwrap();
    let planned = plan(&p, None, registered).unwrap();
    assert!(planned.confirm && planned.redirect.is_some());
    // No parameters at all: our own page, after confirmation.
    let bare = plan(&LogoutParams::default(), None, registered).unwrap();
    assert!(bare.confirm && bare.redirect.is_none() && bare.client_id.is_none());
}
