//! The envelope both ways: our signed LogoutRequest in a Body verifies with our certificate (the
//! signed element is the Body's child), and each answer an SP may give is read as what it is.

use super::*;
use crate::saml::logout::{
    logout_request_element, logout_response_element, LogoutRequestInput, LogoutResponseInput,
    LogoutStatus, REASON_ADMIN,
};
use crate::saml::response::NameId;
use crate::saml::sign::{generate_key_and_cert, SigningKey};
use std::sync::OnceLock;
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2026-12-06 10:00:00 UTC);
const SP: &str = "https://sp.example/shibboleth";

struct Keys {
    idp: SigningKey,
    idp_cert: X509,
    sp: SigningKey,
    sp_cert: X509,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let (k, c) = generate_key_and_cert("idp", NOW, &[1]).unwrap();
        let (sk, sc) = generate_key_and_cert("sp", NOW, &[2]).unwrap();
        Keys {
            idp: SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap(),
            idp_cert: X509::from_pem(c.as_bytes()).unwrap(),
            sp: SigningKey::from_pem(sk.as_bytes(), sc.as_bytes()).unwrap(),
            sp_cert: X509::from_pem(sc.as_bytes()).unwrap(),
        }
    })
}

fn answer(
    in_response_to: &str,
    issuer: &str,
    status: LogoutStatus,
    key: Option<&SigningKey>,
) -> Vec<u8> {
    let input = LogoutResponseInput {
        id: "_r1",
        issue_instant: NOW,
        issuer,
        destination: "https://idp.example/saml/slo",
        in_response_to,
        status,
    };
    envelope(&logout_response_element(&input, key).unwrap()).unwrap()
}

fn expected(certs: &[X509]) -> Expected<'_> {
    Expected {
        request_id: "_q1",
        sp_entity_id: SP,
        certs,
        allow_sha1: false,
    }
}

#[test]
fn our_request_in_the_body_verifies_with_our_certificate_only() {
    let k = keys();
    let n = NameId {
        format: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient".into(),
        value: "a<&>b".into(),
        sp_name_qualifier: Some(SP.into()),
        name_qualifier: Some("https://idp.example".into()),
    };
    let input = LogoutRequestInput {
        id: "_q1",
        issue_instant: NOW,
        not_on_or_after: NOW + time::Duration::minutes(5),
        issuer: "https://idp.example",
        destination: "https://sp.example/Shibboleth.sso/SLO/SOAP",
        name_id: &n,
        session_indexes: &["_s1"],
        reason: Some(REASON_ADMIN),
    };
    let body = envelope(&logout_request_element(&input, Some(&k.idp)).unwrap()).unwrap();
    let opened = open(&body).unwrap();
    let el = opened.doc.element(opened.message);
    assert!(el.is(ns::SAMLP, "LogoutRequest"));
    assert_eq!(el.attr("Reason"), Some(REASON_ADMIN));
    let ok = verify_enveloped(
        &opened.doc,
        opened.message,
        std::slice::from_ref(&k.idp_cert),
        false,
    );
    assert!(matches!(ok, Ok(SignatureStatus::Verified { .. })), "{ok:?}");
    let other = verify_enveloped(
        &opened.doc,
        opened.message,
        std::slice::from_ref(&k.sp_cert),
        false,
    );
    assert!(other.is_err());
}

#[test]
fn a_signed_success_is_confirmed_and_partial_logout_is_told_apart() {
    let k = keys();
    let certs = [k.sp_cert.clone()];
    let got = read_logout_response(
        &answer("_q1", SP, LogoutStatus::Success, Some(&k.sp)),
        &expected(&certs),
    );
    assert_eq!(
        got,
        Ok(Answer {
            signed: true,
            partial: false
        })
    );
    let got = read_logout_response(
        &answer("_q1", SP, LogoutStatus::PartialLogout, Some(&k.sp)),
        &expected(&certs),
    );
    assert_eq!(
        got,
        Ok(Answer {
            signed: true,
            partial: true
        })
    );
    let got = read_logout_response(
        &answer("_q1", SP, LogoutStatus::Success, None),
        &expected(&certs),
    );
    assert_eq!(
        got,
        Ok(Answer {
            signed: false,
            partial: false
        })
    );
}

#[test]
fn refusals_say_why() {
    let k = keys();
    let certs = [k.sp_cert.clone()];
    let e = |body: Vec<u8>| {
        read_logout_response(&body, &expected(&certs))
            .unwrap_err()
            .reason()
    };
    // Signed by another key (ours), not the SP's metadata certificate.
    assert_eq!(
        e(answer("_q1", SP, LogoutStatus::Success, Some(&k.idp))),
        "bad_signature"
    );
    assert_eq!(
        e(answer("_q2", SP, LogoutStatus::Success, Some(&k.sp))),
        "wrong_in_response_to"
    );
    assert_eq!(
        e(answer(
            "_q1",
            "https://evil.example",
            LogoutStatus::Success,
            Some(&k.sp)
        )),
        "wrong_issuer"
    );
    let fault = b"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>no</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    assert_eq!(
        read_logout_response(fault, &expected(&certs)),
        Err(SoapError::Fault("SOAP-ENV:Server".into()))
    );
    assert_eq!(e(b"<html/>".to_vec()), "not_soap");
    assert_eq!(e(b"not xml".to_vec()), "not_xml");
    let responder = b"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body><samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\" Version=\"2.0\" IssueInstant=\"2026-12-06T10:00:00Z\" InResponseTo=\"_q1\"><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"/></samlp:Status></samlp:LogoutResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    assert_eq!(
        read_logout_response(responder, &expected(&certs)),
        Err(SoapError::Status("Responder".into()))
    );
    // Shibboleth SP's answer when no session matched: both levels are kept for the operator.
    let partly = b"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body><samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\" Version=\"2.0\" IssueInstant=\"2026-12-06T10:00:00Z\" InResponseTo=\"_q1\"><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:PartialLogout\"/></samlp:StatusCode></samlp:Status></samlp:LogoutResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    assert_eq!(
        read_logout_response(partly, &expected(&certs)),
        Err(SoapError::Status("Responder/PartialLogout".into()))
    );
}
