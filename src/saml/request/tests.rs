//! Tests of AuthnRequest decoding and verification.

use super::*;
use crate::saml::uris::alg;
use crate::saml::verify::test_support::{cert_for, raw_sign, rsa_key, sign, Spec};
use flate2::write::DeflateEncoder;
use flate2::Compression;
use openssl::pkey::{PKey, Private};
use std::io::Write as _;
use std::sync::OnceLock;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);
const SSO: &str = "https://idp.example/saml/sso";

fn key() -> &'static (PKey<Private>, X509) {
    static K: OnceLock<(PKey<Private>, X509)> = OnceLock::new();
    K.get_or_init(|| {
        let k = rsa_key();
        let c = cert_for(&k);
        (k, c)
    })
}

fn req(id: &str, instant: &str, extra: &str) -> String {
    format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
            r#"ID="{}" Version="2.0" IssueInstant="{}" {}>"#,
            "<saml:Issuer>https://sp.example/</saml:Issuer><!--SIG-->",
            r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>"#,
            "</samlp:AuthnRequest>"
        ),
        id, instant, extra
    )
}

fn basic() -> String {
    req(
        "_r1",
        "2026-01-01T00:01:00Z",
        &format!(
            r#"Destination="{SSO}" AssertionConsumerServiceURL="https://sp.example/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" ForceAuthn="true""#
        ),
    )
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn redirect_query(xml: &str, relay: Option<&str>, signed: bool) -> String {
    let mut q = format!(
        "SAMLRequest={}",
        enc(&b64(&deflate(xml.replace("<!--SIG-->", "").as_bytes())))
    );
    if let Some(r) = relay {
        q.push_str(&format!("&RelayState={}", enc(r)));
    }
    if signed {
        q.push_str(&format!("&SigAlg={}", enc(alg::RSA_SHA256)));
        let sig = raw_sign(&key().0, alg::RSA_SHA256, q.as_bytes());
        q.push_str(&format!("&Signature={}", enc(&b64(&sig))));
    }
    q
}

fn ctx(require_signed: bool) -> VerifyContext<'static> {
    static URLS: OnceLock<Vec<String>> = OnceLock::new();
    VerifyContext {
        certs: std::slice::from_ref(&key().1),
        require_signed,
        allow_sha1: false,
        sso_urls: URLS.get_or_init(|| vec![SSO.to_string()]),
        now: NOW,
        skew: time::Duration::minutes(3),
    }
}

fn limits() -> RequestLimits {
    RequestLimits::default()
}

#[test]
fn signed_redirect_request_verifies() {
    let q = redirect_query(&basic(), Some("state 1"), true);
    let inbound = decode_redirect(&q, &limits()).unwrap();
    assert_eq!(inbound.request().issuer(), Some("https://sp.example/"));
    assert_eq!(inbound.request().id(), Some("_r1"));
    assert_eq!(inbound.relay_state(), Some("state 1"));
    let v = inbound.verify(&ctx(true)).unwrap();
    assert_eq!(v.id, "_r1");
    assert_eq!(v.issuer, "https://sp.example/");
    assert!(v.signed);
    assert!(v.force_authn);
    assert!(!v.is_passive);
    assert_eq!(v.acs_url.as_deref(), Some("https://sp.example/acs"));
    assert_eq!(v.destination.as_deref(), Some(SSO));
    assert_eq!(
        v.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(v.relay_state.as_deref(), Some("state 1"));
    assert_eq!(v.issue_instant, datetime!(2026-01-01 00:01:00 UTC));
}

#[test]
fn unsigned_refused_when_required() {
    let q = redirect_query(&basic(), None, false);
    let v = decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(false))
        .unwrap();
    assert!(!v.signed);
    let e = decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(true))
        .unwrap_err();
    assert_eq!(e, RequestError::Unsigned);
    assert!(e.issuer_known());
    assert_eq!(e.reason(), "signature_required");
}

#[test]
fn tampered_redirect_refused() {
    let q = redirect_query(&basic(), Some("abc"), true).replace("RelayState=abc", "RelayState=abd");
    let e = decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(false))
        .unwrap_err();
    assert_eq!(e, RequestError::Signature(VerifyError::BadSignature));
    assert_eq!(e.reason(), "signature_invalid");
}

#[test]
fn signed_post_request_verifies_and_tampering_fails() {
    let xml = sign(&basic(), &key().0, &Spec::default());
    // line-wrapped base64 as some SPs send it
    let encoded: String = b64(xml.as_bytes())
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap().to_string() + "\r\n")
        .collect();
    let v = decode_post(&encoded, Some("rs"), &limits())
        .unwrap()
        .verify(&ctx(true))
        .unwrap();
    assert!(v.signed);
    assert_eq!(v.relay_state.as_deref(), Some("rs"));
    let bad = xml.replace("ForceAuthn=\"true\"", "ForceAuthn=\"false\"");
    let e = decode_post(&b64(bad.as_bytes()), None, &limits())
        .unwrap()
        .verify(&ctx(false))
        .unwrap_err();
    assert_eq!(e, RequestError::Signature(VerifyError::DigestMismatch));
    // unsigned POST
    let plain = basic().replace("<!--SIG-->", "");
    let e = decode_post(&b64(plain.as_bytes()), None, &limits())
        .unwrap()
        .verify(&ctx(true))
        .unwrap_err();
    assert_eq!(e, RequestError::Unsigned);
}

#[test]
fn xmlsec1_signed_post_request_verifies() {
    let xml = include_bytes!("../../../tests/fixtures/inbound/xmlsec1-signed-authnrequest.xml");
    let cert = X509::from_pem(include_bytes!(
        "../../../tests/fixtures/inbound/xmlsec1-sp-cert.pem"
    ))
    .unwrap();
    let inbound = decode_post(&b64(xml), None, &limits()).unwrap();
    assert_eq!(
        inbound.request().issuer(),
        Some("https://sp.example/metadata")
    );
    let context = VerifyContext {
        certs: std::slice::from_ref(&cert),
        ..ctx(true)
    };
    let v = inbound.verify(&context).unwrap();
    assert!(v.signed);
    assert_eq!(v.id, "_xmlsec1");
    assert_eq!(v.acs_url.as_deref(), Some("https://sp.example/acs?a=1&b=2"));
    // the same bytes, but the app holds a different certificate
    let e = decode_post(&b64(xml), None, &limits())
        .unwrap()
        .verify(&ctx(true))
        .unwrap_err();
    assert_eq!(e, RequestError::Signature(VerifyError::BadSignature));
}

#[test]
fn embedded_signature_in_redirect_refused() {
    let xml = sign(&basic(), &key().0, &Spec::default());
    let q = format!("SAMLRequest={}", enc(&b64(&deflate(xml.as_bytes()))));
    let e = decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(false))
        .unwrap_err();
    assert_eq!(e, RequestError::EmbeddedSignatureInRedirect);
}

#[test]
fn issue_instant_skew() {
    for (instant, ok) in [
        ("2026-01-01T00:03:00Z", true),
        ("2025-12-31T23:57:00Z", true),
        ("2026-01-01T00:03:01Z", false),
        ("2025-12-31T23:56:59.5Z", false),
        ("2020-01-01T00:00:00Z", false),
    ] {
        let q = redirect_query(&req("_a", instant, ""), None, false);
        let r = decode_redirect(&q, &limits()).unwrap().verify(&ctx(false));
        if ok {
            assert!(r.is_ok(), "{instant}");
        } else {
            assert_eq!(r.unwrap_err(), RequestError::IssueInstantSkew, "{instant}");
        }
    }
    for bad in ["", "yesterday", "2026-01-01 00:00:00"] {
        let q = redirect_query(&req("_a", bad, ""), None, false);
        let r = decode_redirect(&q, &limits()).unwrap().verify(&ctx(false));
        assert_eq!(r.unwrap_err(), RequestError::BadIssueInstant);
    }
}

#[test]
fn bad_ids_refused() {
    let long = format!("_{}", "a".repeat(256));
    for id in ["1abc", "a b", "", "a:b", long.as_str()] {
        let q = redirect_query(&req(id, "2026-01-01T00:00:00Z", ""), None, false);
        let r = decode_redirect(&q, &limits()).unwrap().verify(&ctx(false));
        assert_eq!(r.unwrap_err(), RequestError::BadId, "{id}");
    }
    let ok = format!("_{}", "a".repeat(255));
    let q = redirect_query(&req(&ok, "2026-01-01T00:00:00Z", ""), None, false);
    assert!(decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(false))
        .is_ok());
}

#[test]
fn destination_rules() {
    let wrong = req(
        "_a",
        "2026-01-01T00:00:00Z",
        r#"Destination="https://evil.example/sso""#,
    );
    let q = redirect_query(&wrong, None, false);
    assert_eq!(
        decode_redirect(&q, &limits())
            .unwrap()
            .verify(&ctx(false))
            .unwrap_err(),
        RequestError::WrongDestination
    );
    // signed without Destination
    let q = redirect_query(&req("_a", "2026-01-01T00:00:00Z", ""), None, true);
    assert_eq!(
        decode_redirect(&q, &limits())
            .unwrap()
            .verify(&ctx(false))
            .unwrap_err(),
        RequestError::MissingDestination
    );
    // unsigned without Destination is fine
    let q = redirect_query(&req("_a", "2026-01-01T00:00:00Z", ""), None, false);
    assert!(decode_redirect(&q, &limits())
        .unwrap()
        .verify(&ctx(false))
        .is_ok());
}

#[test]
fn acs_fields() {
    let r = req(
        "_a",
        "2026-01-01T00:00:00Z",
        r#"AssertionConsumerServiceIndex="2" IsPassive="1""#,
    );
    let v = decode_redirect(&redirect_query(&r, None, false), &limits())
        .unwrap()
        .verify(&ctx(false))
        .unwrap();
    assert_eq!(v.acs_index, Some(2));
    assert!(v.is_passive);
    let r = req(
        "_a",
        "2026-01-01T00:00:00Z",
        r#"AssertionConsumerServiceIndex="2" AssertionConsumerServiceURL="https://sp.example/acs""#,
    );
    assert_eq!(
        decode_redirect(&redirect_query(&r, None, false), &limits())
            .unwrap()
            .verify(&ctx(false))
            .unwrap_err(),
        RequestError::AcsConflict
    );
    for extra in [
        r#"AssertionConsumerServiceIndex="-1""#,
        r#"AssertionConsumerServiceIndex="x""#,
        r#"ForceAuthn="yes""#,
    ] {
        let r = req("_a", "2026-01-01T00:00:00Z", extra);
        assert!(matches!(
            decode_redirect(&redirect_query(&r, None, false), &limits())
                .unwrap()
                .verify(&ctx(false))
                .unwrap_err(),
            RequestError::BadAttribute(_)
        ));
    }
}

#[test]
fn issuer_rules() {
    let no_issuer = basic().replace("<saml:Issuer>https://sp.example/</saml:Issuer>", "");
    let inbound = decode_redirect(&redirect_query(&no_issuer, None, false), &limits()).unwrap();
    assert_eq!(inbound.request().issuer(), None);
    assert_eq!(
        inbound.verify(&ctx(false)).unwrap_err(),
        RequestError::Issuer
    );
    let comment_split = basic().replace(
        "<saml:Issuer>https://sp.example/",
        "<saml:Issuer>https://sp.<!-- x -->example/",
    );
    let inbound = decode_redirect(&redirect_query(&comment_split, None, false), &limits()).unwrap();
    assert_eq!(inbound.request().issuer(), Some("https://sp.example/"));
    let fmt = basic().replace(
        "<saml:Issuer>",
        r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">"#,
    );
    let inbound = decode_redirect(&redirect_query(&fmt, None, false), &limits()).unwrap();
    assert_eq!(inbound.request().issuer(), None);
}

#[test]
fn root_and_version_checked_before_issuer() {
    let resp = basic().replace("samlp:AuthnRequest", "samlp:LogoutRequest");
    let e = decode_redirect(&redirect_query(&resp, None, false), &limits()).unwrap_err();
    assert_eq!(e, RequestError::NotAuthnRequest);
    assert!(!e.issuer_known());
    let v1 = basic().replace("Version=\"2.0\"", "Version=\"1.1\"");
    let e = decode_redirect(&redirect_query(&v1, None, false), &limits()).unwrap_err();
    assert_eq!(e, RequestError::Version);
}

#[test]
fn deflate_bomb_is_capped() {
    // ~50 MB of spaces inside a comment deflates to ~50 KB.
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(b"<a><!--").unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..50 {
        e.write_all(&chunk).unwrap();
    }
    e.write_all(b"--></a>").unwrap();
    let bomb = e.finish().unwrap();
    let q = format!("SAMLRequest={}", enc(&b64(&bomb)));
    let lim = RequestLimits {
        max_encoded: 1 << 20,
        ..limits()
    };
    let t = std::time::Instant::now();
    assert_eq!(
        decode_redirect(&q, &lim).unwrap_err(),
        RequestError::InflatedTooLarge
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    // and with the default cap the encoded size alone stops a bigger one
    let big = format!("SAMLRequest={}", "A".repeat(64 * 1024));
    assert_eq!(
        decode_redirect(&big, &limits()).unwrap_err(),
        RequestError::TooLarge
    );
}

#[test]
fn decode_errors_are_before_issuer() {
    let cases = [
        ("RelayState=x", RequestError::MissingRequest),
        (
            "SAMLRequest=%%%",
            RequestError::Query(VerifyError::Query("bad percent-escape")),
        ),
        ("SAMLRequest=!!!!", RequestError::Base64),
        ("SAMLRequest=AAAA", RequestError::Inflate),
        (
            "SAMLRequest=a&SAMLRequest=b",
            RequestError::Query(VerifyError::Query("duplicated parameter")),
        ),
    ];
    for (q, want) in cases {
        let e = decode_redirect(q, &limits()).unwrap_err();
        assert_eq!(e, want, "{q}");
        assert!(!e.issuer_known());
    }
    let doctype = "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>";
    let q = format!("SAMLRequest={}", enc(&b64(&deflate(doctype.as_bytes()))));
    assert_eq!(
        decode_redirect(&q, &limits()).unwrap_err(),
        RequestError::Xml(XmlError::Doctype)
    );
    assert_eq!(
        decode_post(&b64(doctype.as_bytes()), None, &limits()).unwrap_err(),
        RequestError::Xml(XmlError::Doctype)
    );
}

#[test]
fn relay_state_capped_at_80_bytes() {
    let ok = "r".repeat(80);
    assert!(decode_redirect(&redirect_query(&basic(), Some(&ok), false), &limits()).is_ok());
    let long = "r".repeat(81);
    assert_eq!(
        decode_redirect(&redirect_query(&basic(), Some(&long), false), &limits()).unwrap_err(),
        RequestError::RelayState
    );
    let plain = b64(basic().replace("<!--SIG-->", "").as_bytes());
    assert_eq!(
        decode_post(&plain, Some(&long), &limits()).unwrap_err(),
        RequestError::RelayState
    );
    // 27 three-byte characters = 81 bytes
    let wide = "中".repeat(27);
    assert_eq!(
        decode_redirect(&redirect_query(&basic(), Some(&wide), false), &limits()).unwrap_err(),
        RequestError::RelayState
    );
}
