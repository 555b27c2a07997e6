use super::*;
use crate::oidc::jwks::{JoseKeys, PublicJwk};
use crate::saml::sign::{generate_key_and_cert, SigningKey};
use serde_json::json;
use time::macros::datetime;

fn rsa_key() -> SigningKey {
    let (k, c) = generate_key_and_cert("t", datetime!(2026-01-01 0:00 UTC), &[1]).unwrap();
    SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap()
}

fn ec_key() -> Es256Key {
    Es256Key::from_pem(Es256Key::generate_pem().unwrap().as_bytes()).unwrap()
}

fn ring() -> JoseKeys {
    JoseKeys::new("k1", rsa_key(), Some(("k1-es256".into(), ec_key()))).unwrap()
}

fn parts(t: &str) -> Vec<Vec<u8>> {
    t.split('.').map(|p| B64URL.decode(p).unwrap()).collect()
}

fn b64(v: &serde_json::Value) -> String {
    B64URL.encode(serde_json::to_vec(v).unwrap())
}

#[test]
fn both_algorithms_sign_and_verify_with_kid_and_type() {
    let keys = ring();
    let claims = json!({"sub": "zhangsan", "aud": "c1", "n": 1});
    for (alg, kid) in [(JwsAlg::Rs256, "k1"), (JwsAlg::Es256, "k1-es256")] {
        let t = sign(&keys, alg, TokenType::Jwt, &claims).unwrap();
        let p = parts(&t);
        let header: serde_json::Value = serde_json::from_slice(&p[0]).unwrap();
        assert_eq!(
            header,
            json!({"alg": alg.as_str(), "kid": kid, "typ": "JWT"})
        );
        let v = verify(&keys, &t, TokenType::Jwt).unwrap();
        assert_eq!((v.kid.as_str(), v.alg), (kid, alg));
        assert_eq!(serde_json::Value::Object(v.claims), claims);
        // An ID token is not an access token.
        assert!(matches!(
            verify(&keys, &t, TokenType::AccessToken),
            Err(JwtError::WrongType)
        ));
    }
}

#[test]
fn es256_signature_is_jose_r_s_and_verifies_independently() {
    let keys = ring();
    let t = sign(
        &keys,
        JwsAlg::Es256,
        TokenType::AccessToken,
        &json!({"a": 1}),
    )
    .unwrap();
    let sig = parts(&t)[2].clone();
    assert_eq!(sig.len(), 64, "r ‖ s, 32 bytes each, not DER");
    let signed = &t[..t.rfind('.').unwrap()];
    let der = EcdsaSig::from_private_components(
        BigNum::from_slice(&sig[..32]).unwrap(),
        BigNum::from_slice(&sig[32..]).unwrap(),
    )
    .unwrap()
    .to_der()
    .unwrap();
    let public = keys.published[1].key.clone();
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    assert!(v.verify_oneshot(&der, signed.as_bytes()).unwrap());
}

#[test]
fn rs256_verifies_with_the_certificate_key() {
    let keys = ring();
    let t = sign(&keys, JwsAlg::Rs256, TokenType::Jwt, &json!({"a": 1})).unwrap();
    let p = parts(&t);
    let cert = openssl::x509::X509::from_der(keys.rs256.cert_der()).unwrap();
    let public = cert.public_key().unwrap();
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    assert!(v
        .verify_oneshot(&p[2], &t.as_bytes()[..t.rfind('.').unwrap()])
        .unwrap());
}

#[test]
fn tampering_and_foreign_keys_are_refused() {
    let keys = ring();
    let t = sign(&keys, JwsAlg::Rs256, TokenType::Jwt, &json!({"sub": "a"})).unwrap();
    let dots: Vec<&str> = t.split('.').collect();
    let forged = format!("{}.{}.{}", dots[0], b64(&json!({"sub": "b"})), dots[2]);
    assert!(matches!(
        verify(&keys, &forged, TokenType::Jwt),
        Err(JwtError::BadSignature)
    ));
    // Signed by a key of the same ID that is not ours.
    let other = JoseKeys::new("k1", rsa_key(), None).unwrap();
    let foreign = sign(&other, JwsAlg::Rs256, TokenType::Jwt, &json!({"sub": "a"})).unwrap();
    assert!(matches!(
        verify(&keys, &foreign, TokenType::Jwt),
        Err(JwtError::BadSignature)
    ));
    let unknown = JoseKeys::new("k9", rsa_key(), None).unwrap();
    let t9 = sign(&unknown, JwsAlg::Rs256, TokenType::Jwt, &json!({})).unwrap();
    assert!(matches!(
        verify(&keys, &t9, TokenType::Jwt),
        Err(JwtError::UnknownKey(k)) if k == "k9"
    ));
}

#[test]
fn the_header_cannot_choose_the_algorithm_or_the_key() {
    let keys = ring();
    let t = sign(&keys, JwsAlg::Rs256, TokenType::Jwt, &json!({"sub": "a"})).unwrap();
    let dots: Vec<&str> = t.split('.').collect();
    let with_header = |h: serde_json::Value| format!("{}.{}.{}", b64(&h), dots[1], dots[2]);
    for (h, what) in [
        (json!({"alg": "none", "kid": "k1", "typ": "JWT"}), "none"),
        (json!({"alg": "HS256", "kid": "k1", "typ": "JWT"}), "HMAC"),
        (
            json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}),
            "ES256 named for the RSA key",
        ),
        (
            json!({"alg": "RS256", "kid": "k1-es256", "typ": "JWT"}),
            "RS256 named for the EC key",
        ),
    ] {
        assert!(
            matches!(
                verify(&keys, &with_header(h), TokenType::Jwt),
                Err(JwtError::Algorithm(_))
            ),
            "{what}"
        );
    }
    let extra = json!({"alg": "RS256", "kid": "k1", "typ": "JWT", "jku": "https://evil/"});
    assert!(matches!(
        verify(&keys, &with_header(extra), TokenType::Jwt),
        Err(JwtError::Malformed(_))
    ));
    let dup = format!(
        "{}.{}.{}",
        B64URL.encode(br#"{"alg":"RS256","kid":"k1","typ":"JWT","kid":"k1"}"#),
        dots[1],
        dots[2]
    );
    assert!(matches!(
        verify(&keys, &dup, TokenType::Jwt),
        Err(JwtError::Malformed(_))
    ));
    // An empty signature is no signature.
    let unsigned = format!("{}.{}.", dots[0], dots[1]);
    assert!(matches!(
        verify(&keys, &unsigned, TokenType::Jwt),
        Err(JwtError::BadSignature)
    ));
}

#[test]
fn malformed_tokens_are_refused() {
    let keys = ring();
    for t in ["", "a.b", "a.b.c.d", "!!.e30.e30", "e30.e30.e30="] {
        assert!(
            matches!(
                verify(&keys, t, TokenType::Jwt),
                Err(JwtError::Malformed(_))
            ),
            "{t}"
        );
    }
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    assert!(matches!(
        verify(&keys, &long, TokenType::Jwt),
        Err(JwtError::Malformed(_))
    ));
    assert!(matches!(
        sign(
            &keys,
            JwsAlg::Rs256,
            TokenType::Jwt,
            &json!(["not", "an", "object"])
        ),
        Err(JwtError::Claims(_))
    ));
}

#[test]
fn es256_needs_a_key_and_a_p256_one() {
    let rsa_only = JoseKeys::new("k1", rsa_key(), None).unwrap();
    assert!(!rsa_only.can_sign(JwsAlg::Es256));
    assert!(matches!(
        sign(&rsa_only, JwsAlg::Es256, TokenType::Jwt, &json!({})),
        Err(JwtError::NoKey(JwsAlg::Es256))
    ));
    let group = EcGroup::from_curve_name(Nid::SECP384R1).unwrap();
    let p384 = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    assert!(Es256Key::from_pem(&p384.private_key_to_pem_pkcs8().unwrap()).is_err());
    assert_eq!(JwsAlg::parse("RS256"), Some(JwsAlg::Rs256));
    assert_eq!(JwsAlg::parse("rs256"), None);
    assert_eq!(JwsAlg::parse("none"), None);
}

#[test]
fn published_keys_verify_and_the_jwks_lists_them() {
    let mut keys = ring();
    let previous = JoseKeys::new("k0", rsa_key(), Some(("k0-es256".into(), ec_key()))).unwrap();
    let old = sign(&previous, JwsAlg::Es256, TokenType::Jwt, &json!({"x": 1})).unwrap();
    for k in previous.published {
        keys.publish(k);
    }
    assert_eq!(verify(&keys, &old, TokenType::Jwt).unwrap().kid, "k0-es256");
    let doc: serde_json::Value = serde_json::from_slice(&keys.document().unwrap()).unwrap();
    let kids: Vec<&str> = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["k1", "k1-es256", "k0", "k0-es256"]);
    let rsa = &doc["keys"][0];
    assert_eq!(
        (rsa["kty"].as_str(), rsa["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(rsa["e"], "AQAB");
    assert_eq!(
        B64URL.decode(rsa["n"].as_str().unwrap()).unwrap().len(),
        256
    );
    let ec = &doc["keys"][1];
    assert_eq!(
        (ec["kty"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    for c in ["x", "y"] {
        assert_eq!(B64URL.decode(ec[c].as_str().unwrap()).unwrap().len(), 32);
    }
    assert!(!String::from_utf8(keys.document().unwrap())
        .unwrap()
        .contains("\"d\""));
    let _ = PublicJwk::rsa("x", keys.rs256.cert_der()).unwrap();
}
