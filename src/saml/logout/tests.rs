//! Round trips: what we write for each binding is read back by the same decoding and verification
//! that inbound logout messages go through, with our certificate and with another one.

use super::*;
use crate::saml::request::{
    decode_post_logout, decode_redirect_logout, MessageKind, RequestLimits, VerifyContext,
};
use crate::saml::sign::generate_key_and_cert;
use crate::saml::uris::name_id::PERSISTENT;
use openssl::x509::X509;
use std::sync::OnceLock;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-25 10:00:00 UTC);
const SLO: &str = "https://sp.example/slo";

struct Keys {
    key: SigningKey,
    cert: X509,
    other: X509,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let (k, c) = generate_key_and_cert("idp", NOW, &[1]).unwrap();
        let (_, o) = generate_key_and_cert("other", NOW, &[2]).unwrap();
        Keys {
            key: SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap(),
            cert: X509::from_pem(c.as_bytes()).unwrap(),
            other: X509::from_pem(o.as_bytes()).unwrap(),
        }
    })
}

fn name_id() -> NameId {
    NameId {
        format: PERSISTENT.into(),
        value: "zhang<&>san".into(),
        sp_name_qualifier: Some("https://sp.example".into()),
        name_qualifier: None,
    }
}

fn request(key: Option<&SigningKey>) -> Vec<u8> {
    let n = name_id();
    build_logout_request(
        &LogoutRequestInput {
            id: "_lr1",
            issue_instant: NOW,
            not_on_or_after: NOW + time::Duration::minutes(5),
            issuer: "https://idp.example/saml/metadata",
            destination: SLO,
            name_id: &n,
            session_indexes: &["_s1"],
            reason: Some(REASON_USER),
        },
        key,
    )
    .unwrap()
}

fn vctx(cert: &X509) -> VerifyContext<'_> {
    static URLS: OnceLock<Vec<String>> = OnceLock::new();
    VerifyContext {
        certs: std::slice::from_ref(cert),
        require_signed: true,
        allow_sha1: false,
        sso_urls: URLS.get_or_init(|| vec![SLO.to_string()]),
        now: NOW,
        skew: time::Duration::minutes(3),
    }
}

fn query(url: &str) -> &str {
    url.split_once('?').unwrap().1
}

#[test]
fn a_redirect_logout_request_verifies_and_reads_back() {
    let k = keys();
    let url = redirect_url(SLO, Field::Request, &request(None), Some("chain1"), &k.key).unwrap();
    assert!(
        url.starts_with("https://sp.example/slo?SAMLRequest="),
        "{url}"
    );
    let inbound = decode_redirect_logout(query(&url), &RequestLimits::default()).unwrap();
    assert_eq!(inbound.request().kind(), MessageKind::LogoutRequest);
    let (common, doc, rs) = inbound.verify_common(&vctx(&k.cert)).unwrap();
    assert!(common.signed);
    let got = read_logout_request(common, &doc, rs, NOW, time::Duration::minutes(3)).unwrap();
    assert_eq!(got.name_id, name_id());
    assert_eq!(got.session_indexes, ["_s1"]);
    assert_eq!(got.reason.as_deref(), Some(REASON_USER));
    assert_eq!(got.relay_state.as_deref(), Some("chain1"));

    // Another key does not verify it.
    let inbound = decode_redirect_logout(query(&url), &RequestLimits::default()).unwrap();
    assert!(inbound.verify_common(&vctx(&k.other)).is_err());
}

#[test]
fn a_post_logout_request_is_signed_and_expires() {
    let k = keys();
    let xml = request(Some(&k.key));
    let inbound = decode_post_logout(&B64.encode(&xml), None, &RequestLimits::default()).unwrap();
    let (common, doc, rs) = inbound.verify_common(&vctx(&k.cert)).unwrap();
    assert!(common.signed);
    let later = NOW + time::Duration::minutes(9);
    let e = read_logout_request(common, &doc, rs, later, time::Duration::minutes(3)).unwrap_err();
    assert_eq!(e, RequestError::Expired);
    // Unsigned, it is refused where signatures are required.
    let inbound =
        decode_post_logout(&B64.encode(request(None)), None, &RequestLimits::default()).unwrap();
    assert_eq!(
        inbound.verify_common(&vctx(&k.cert)).unwrap_err(),
        RequestError::Unsigned
    );
}

#[test]
fn logout_responses_say_success_or_partial_logout() {
    let k = keys();
    for (status, partial) in [
        (LogoutStatus::Success, false),
        (LogoutStatus::PartialLogout, true),
    ] {
        let input = LogoutResponseInput {
            id: "_resp1",
            issue_instant: NOW,
            issuer: "https://idp.example/saml/metadata",
            destination: SLO,
            in_response_to: "_req9",
            status,
        };
        let xml = build_logout_response(&input, Some(&k.key)).unwrap();
        let text = String::from_utf8(xml.clone()).unwrap();
        assert_eq!(text.contains(STATUS_PARTIAL_LOGOUT), partial, "{text}");
        let inbound =
            decode_post_logout(&B64.encode(&xml), Some("rs"), &RequestLimits::default()).unwrap();
        assert_eq!(inbound.request().kind(), MessageKind::LogoutResponse);
        let (common, doc, rs) = inbound.verify_common(&vctx(&k.cert)).unwrap();
        let got = read_logout_response(common, &doc, rs);
        assert!(got.success);
        assert_eq!(got.in_response_to.as_deref(), Some("_req9"));

        let unsigned = build_logout_response(&input, None).unwrap();
        let url = redirect_url(SLO, Field::Response, &unsigned, None, &k.key).unwrap();
        let inbound = decode_redirect_logout(query(&url), &RequestLimits::default()).unwrap();
        assert!(inbound.verify_common(&vctx(&k.cert)).unwrap().0.signed);
    }
}

#[test]
fn an_authn_request_is_not_taken_at_the_logout_endpoint_nor_the_reverse() {
    let k = keys();
    let inbound = decode_post_logout(
        &B64.encode(request(Some(&k.key))),
        None,
        &RequestLimits::default(),
    )
    .unwrap();
    assert_eq!(
        inbound.verify(&vctx(&k.cert)).unwrap_err(),
        RequestError::NotAuthnRequest
    );
    let e = crate::saml::request::decode_post(
        &B64.encode(request(Some(&k.key))),
        None,
        &RequestLimits::default(),
    )
    .unwrap_err();
    assert_eq!(e, RequestError::NotAuthnRequest);
}
