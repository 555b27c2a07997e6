//! Tests of inbound signature verification: XSW shapes, algorithms, keys, Redirect signatures.

use super::test_support::*;
use super::*;
use crate::saml::dom::{parse, Limits};
use std::sync::OnceLock;

fn key() -> &'static (PKey<openssl::pkey::Private>, X509) {
    static K: OnceLock<(PKey<openssl::pkey::Private>, X509)> = OnceLock::new();
    K.get_or_init(|| {
        let k = rsa_key();
        let c = cert_for(&k);
        (k, c)
    })
}

const REQ: &str = concat!(
    r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_req1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">"#,
    "<saml:Issuer>https://sp.example/</saml:Issuer><!--SIG-->",
    r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/></samlp:AuthnRequest>"#
);

fn check(xml: &str, allow_sha1: bool) -> Result<SignatureStatus, VerifyError> {
    let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
    verify_enveloped(&d, d.root(), std::slice::from_ref(&key().1), allow_sha1)
}

fn signed(spec: &Spec) -> String {
    sign(REQ, &key().0, spec)
}

#[test]
fn good_signature_verifies() {
    assert_eq!(
        check(&signed(&Spec::default()), false),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::RsaSha256
        })
    );
}

#[test]
fn unsigned_is_reported_unsigned() {
    assert_eq!(
        check(&REQ.replace(SLOT, ""), false),
        Ok(SignatureStatus::Unsigned)
    );
}

#[test]
fn tampered_content_fails_digest() {
    let xml = signed(&Spec::default()).replace("https://sp.example/", "https://evil.example/");
    assert_eq!(check(&xml, false), Err(VerifyError::DigestMismatch));
}

#[test]
fn tampered_signed_info_fails_signature() {
    // Same digest, but SignedInfo bytes change (attribute added to Reference).
    let xml = signed(&Spec::default()).replace("<ds:Reference ", "<ds:Reference Type=\"x\" ");
    assert_eq!(check(&xml, false), Err(VerifyError::BadSignature));
}

#[test]
fn foreign_certificate_is_refused_even_if_in_key_info() {
    let other = rsa_key();
    let other_cert = cert_for(&other);
    let der = base64::engine::general_purpose::STANDARD.encode(other_cert.to_der().unwrap());
    let spec = Spec {
        trailer: format!("<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"),
        ..Spec::default()
    };
    let xml = sign(REQ, &other, &spec);
    assert_eq!(check(&xml, false), Err(VerifyError::BadSignature));
    let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
    assert!(verify_enveloped(&d, d.root(), &[other_cert], false).is_ok());
    assert_eq!(
        verify_enveloped(&d, d.root(), &[], false),
        Err(VerifyError::NoCertificates)
    );
}

#[test]
fn two_references_refused() {
    let xml = signed(&Spec {
        two_references: true,
        ..Spec::default()
    });
    assert!(matches!(check(&xml, false), Err(VerifyError::Structure(_))));
}

#[test]
fn reference_to_another_element_refused() {
    let req = REQ.replace(
        "<samlp:NameIDPolicy",
        "<samlp:Extensions><x:Other xmlns:x=\"urn:x\" ID=\"_other\"/></samlp:Extensions><samlp:NameIDPolicy",
    );
    let xml = sign(
        &req,
        &key().0,
        &Spec {
            reference_uri: Some("#_other".into()),
            ..Spec::default()
        },
    );
    assert!(matches!(check(&xml, false), Err(VerifyError::Structure(_))));
    let xml = sign(
        &req,
        &key().0,
        &Spec {
            reference_uri: Some(String::new()),
            ..Spec::default()
        },
    );
    assert!(matches!(check(&xml, false), Err(VerifyError::Structure(_))));
}

#[test]
fn duplicate_ids_refused() {
    // An element deeper in the tree carrying the root's ID: the signature is valid for the root,
    // but a consumer resolving "#_req1" could pick either.
    let req = REQ.replace(
        "<samlp:NameIDPolicy",
        "<samlp:Extensions><x:Other xmlns:x=\"urn:x\" ID=\"_req1\"/></samlp:Extensions><samlp:NameIDPolicy",
    );
    let xml = sign(&req, &key().0, &Spec::default());
    assert_eq!(check(&xml, false), Err(VerifyError::DuplicateId));
    let no_id = sign(
        REQ,
        &key().0,
        &Spec {
            reference_uri: Some("#_req1".into()),
            ..Spec::default()
        },
    )
    .replace(" ID=\"_req1\"", "");
    assert_eq!(check(&no_id, false), Err(VerifyError::MissingId));
}

#[test]
fn signature_not_child_of_root_does_not_sign_root() {
    let req = REQ.replace("<!--SIG-->", "").replace(
        "<samlp:NameIDPolicy",
        "<samlp:Extensions><!--SIG--></samlp:Extensions><samlp:NameIDPolicy",
    );
    let xml = sign(&req, &key().0, &Spec::default());
    assert_eq!(check(&xml, false), Ok(SignatureStatus::Unsigned));
}

#[test]
fn two_signatures_refused() {
    let xml = signed(&Spec::default());
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &xml[start..end];
    let doubled = xml.replacen(sig, &format!("{sig}{sig}"), 1);
    assert!(matches!(
        check(&doubled, false),
        Err(VerifyError::Structure(_))
    ));
}

#[test]
fn transforms_must_be_exactly_enveloped_and_exc_c14n() {
    let xpath = "http://www.w3.org/TR/1999/REC-xpath-19991116";
    for transforms in [
        vec![alg::ENVELOPED, alg::EXC_C14N, xpath],
        vec![alg::EXC_C14N],
        vec![alg::ENVELOPED],
        vec![alg::EXC_C14N, alg::ENVELOPED],
        vec![
            alg::ENVELOPED,
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        ],
    ] {
        let xml = signed(&Spec {
            transforms,
            ..Spec::default()
        });
        assert!(
            matches!(check(&xml, false), Err(VerifyError::Structure(_))),
            "{xml}"
        );
    }
}

#[test]
fn signed_info_c14n_must_be_exclusive() {
    let xml = signed(&Spec {
        c14n_alg: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        ..Spec::default()
    });
    assert!(matches!(check(&xml, false), Err(VerifyError::Structure(_))));
}

#[test]
fn object_in_signature_refused() {
    let xml = signed(&Spec {
        trailer: "<ds:Object>x</ds:Object>".into(),
        ..Spec::default()
    });
    assert!(matches!(check(&xml, false), Err(VerifyError::Structure(_))));
}

#[test]
fn sha1_only_with_opt_in() {
    let xml = signed(&Spec {
        sig_alg: alg::RSA_SHA1,
        ..Spec::default()
    });
    assert_eq!(check(&xml, false), Err(VerifyError::Sha1NotAllowed));
    assert_eq!(
        check(&xml, true),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::RsaSha1
        })
    );
    let xml = signed(&Spec {
        digest_alg: alg::SHA1,
        ..Spec::default()
    });
    assert_eq!(check(&xml, false), Err(VerifyError::Sha1NotAllowed));
    assert!(check(&xml, true).is_ok());
}

#[test]
fn other_algorithms_refused() {
    for bad in [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "",
    ] {
        assert!(matches!(
            SigAlg::from_uri(bad, true),
            Err(VerifyError::Algorithm(_))
        ));
    }
    let xml = signed(&Spec {
        digest_alg: "http://www.w3.org/2001/04/xmldsig-more#md5",
        ..Spec::default()
    });
    assert!(matches!(check(&xml, true), Err(VerifyError::Algorithm(_))));
}

#[test]
fn sha384_sha512_and_ecdsa_verify() {
    let xml = signed(&Spec {
        sig_alg: alg::RSA_SHA512,
        digest_alg: alg::SHA384,
        ..Spec::default()
    });
    assert_eq!(
        check(&xml, false),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::RsaSha512
        })
    );
    let ec = ec_key();
    let ec_cert = cert_for(&ec);
    let xml = sign(
        REQ,
        &ec,
        &Spec {
            sig_alg: alg::ECDSA_SHA256,
            digest_alg: alg::SHA512,
            ..Spec::default()
        },
    );
    let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        verify_enveloped(&d, d.root(), std::slice::from_ref(&ec_cert), false),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::EcdsaSha256
        })
    );
    // ECDSA signature checked against an RSA cert, and vice versa: no.
    assert_eq!(check(&xml, false), Err(VerifyError::BadSignature));
    let rsa_xml = signed(&Spec::default());
    let d = parse(rsa_xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        verify_enveloped(&d, d.root(), &[ec_cert], false),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn weak_rsa_key_refused() {
    let weak = PKey::from_rsa(openssl::rsa::Rsa::generate(1024).unwrap()).unwrap();
    let weak_cert = cert_for(&weak);
    let xml = sign(REQ, &weak, &Spec::default());
    let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        verify_enveloped(&d, d.root(), &[weak_cert], false),
        Err(VerifyError::WeakKey)
    );
}

#[test]
fn huawei_metadata_signature_verifies_with_sha1_opt_in() {
    // A real third-party signature (RSA-SHA256 over SHA-1 digest, made by a Java stack):
    // cross-checks our parser + c14n against another implementation.
    let xml = include_bytes!("../../../tests/fixtures/sp-metadata/huaweicloud-global.xml");
    let d = parse(
        xml,
        &Limits {
            max_bytes: 1 << 20,
            ..Limits::default()
        },
    )
    .unwrap();
    let cert_el = d
        .descendants(d.root())
        .find(|i| d.element(*i).is(ns::DS, "X509Certificate"))
        .unwrap();
    let der = decode_b64(&d.text(cert_el)).unwrap();
    let cert = X509::from_der(&der).unwrap();
    assert_eq!(
        verify_enveloped(&d, d.root(), std::slice::from_ref(&cert), true),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::RsaSha256
        })
    );
    assert_eq!(
        verify_enveloped(&d, d.root(), &[cert], false),
        Err(VerifyError::Sha1NotAllowed)
    );
}

fn xmlsec1_cert() -> X509 {
    X509::from_pem(include_bytes!(
        "../../../tests/fixtures/inbound/xmlsec1-sp-cert.pem"
    ))
    .unwrap()
}

fn check_with(xml: &str, cert: &X509) -> Result<SignatureStatus, VerifyError> {
    let d = parse(xml.as_bytes(), &Limits::default()).unwrap();
    verify_enveloped(&d, d.root(), std::slice::from_ref(cert), false)
}

#[test]
fn xmlsec1_signed_fixtures_verify_and_tampered_copies_fail() {
    // Signed by xmlsec1/libxml2: an independent c14n over namespaces, escapes, CDATA, comments
    // and InclusiveNamespaces (see tests/fixtures/inbound/README.md).
    let cert = xmlsec1_cert();
    for xml in [
        include_str!("../../../tests/fixtures/inbound/xmlsec1-signed-authnrequest.xml"),
        include_str!("../../../tests/fixtures/inbound/xmlsec1-signed-inclusive-ns.xml"),
    ] {
        assert_eq!(
            check_with(xml, &cert),
            Ok(SignatureStatus::Verified {
                alg: SigAlg::RsaSha256
            })
        );
        let tampered = xml.replace(">plain<", ">plain!<");
        assert_ne!(tampered, xml);
        assert_eq!(
            check_with(&tampered, &cert),
            Err(VerifyError::DigestMismatch)
        );
        // A comment added inside a signed value changes nothing for c14n without comments,
        // but moving text across one does.
        let moved = xml.replace("/<!-- split -->metadata", "<!-- split -->/metadata");
        assert_eq!(
            check_with(&moved, &cert),
            Ok(SignatureStatus::Verified {
                alg: SigAlg::RsaSha256
            })
        );
        let moved = xml.replace(
            "https://sp.example/<!-- split -->",
            "https://evil.example/<!-- split -->",
        );
        assert_eq!(check_with(&moved, &cert), Err(VerifyError::DigestMismatch));
        let sig_start = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let mut bad_sig = xml.to_string();
        let flipped = if &xml[sig_start..sig_start + 1] == "A" {
            "B"
        } else {
            "A"
        };
        bad_sig.replace_range(sig_start..sig_start + 1, flipped);
        assert_eq!(check_with(&bad_sig, &cert), Err(VerifyError::BadSignature));
        assert_eq!(check_with(xml, &key().1), Err(VerifyError::BadSignature));
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A Redirect query signed over exactly the given pieces.
fn redirect(req: &str, relay: Option<&str>, alg: &str, lowercase: bool) -> String {
    let fix = |s: String| -> String {
        if !lowercase {
            return s;
        }
        // lowercase the hex digits of every escape, as ADFS/.NET does
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            out.push(c);
            if c == '%' {
                out.extend(it.next().map(|c| c.to_ascii_lowercase()));
                out.extend(it.next().map(|c| c.to_ascii_lowercase()));
            }
        }
        out
    };
    let mut signed = format!("SAMLRequest={}", fix(enc(req)));
    if let Some(r) = relay {
        signed.push_str(&format!("&RelayState={}", fix(enc(r))));
    }
    signed.push_str(&format!("&SigAlg={}", fix(enc(alg))));
    let sig = raw_sign(&key().0, alg, signed.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(sig);
    format!("{signed}&Signature={}", fix(enc(&sig)))
}

fn certs() -> &'static [X509] {
    std::slice::from_ref(&key().1)
}

#[test]
fn redirect_signature_verifies_over_raw_lowercase_escapes() {
    let q = redirect("fZBBa+/=xyz", Some("a b/c?d"), alg::RSA_SHA256, true);
    assert!(q.contains("%2f") || q.contains("%2b"));
    assert_eq!(
        verify_redirect(&q, certs(), false),
        Ok(SignatureStatus::Verified {
            alg: SigAlg::RsaSha256
        })
    );
    let q = redirect("fZBBa+/=xyz", None, alg::RSA_SHA256, false);
    assert!(verify_redirect(&q, certs(), false).is_ok());
    // Re-encoding (upper-casing the escapes) changes the signed bytes: must fail.
    let q = redirect("fZBBa+/=xyz", Some("x/y"), alg::RSA_SHA256, true).replace("%2f", "%2F");
    assert_eq!(
        verify_redirect(&q, certs(), false),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn redirect_tampering_and_parameter_rules() {
    let q = redirect("abc=", Some("rs"), alg::RSA_SHA256, false);
    assert_eq!(
        verify_redirect(&q.replace("RelayState=rs", "RelayState=rt"), certs(), false),
        Err(VerifyError::BadSignature)
    );
    // dropping RelayState changes the signed string
    assert_eq!(
        verify_redirect(&q.replace("&RelayState=rs", ""), certs(), false),
        Err(VerifyError::BadSignature)
    );
    assert!(matches!(
        verify_redirect(&format!("{q}&RelayState=x"), certs(), false),
        Err(VerifyError::Query(_))
    ));
    assert!(matches!(
        verify_redirect(&format!("{q}&SAML%52equest=x"), certs(), false),
        Err(VerifyError::Query(_))
    ));
    let no_sig: String = q
        .split('&')
        .filter(|p| !p.starts_with("Signature="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(matches!(
        verify_redirect(&no_sig, certs(), false),
        Err(VerifyError::Query(_))
    ));
    let no_alg: String = q
        .split('&')
        .filter(|p| !p.starts_with("SigAlg="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(matches!(
        verify_redirect(&no_alg, certs(), false),
        Err(VerifyError::Query(_))
    ));
    assert_eq!(
        verify_redirect("SAMLRequest=abc&RelayState=x", certs(), false),
        Ok(SignatureStatus::Unsigned)
    );
    assert!(matches!(
        verify_redirect("RelayState=x", certs(), false),
        Err(VerifyError::Query(_))
    ));
    assert!(matches!(
        percent_decode("%zz", false),
        Err(VerifyError::Query(_))
    ));
    assert!(matches!(
        percent_decode("%4", false),
        Err(VerifyError::Query(_))
    ));
    assert_eq!(percent_decode("a+b%2B", true).unwrap(), b"a b+");
    assert_eq!(percent_decode("a+b", false).unwrap(), b"a+b");
}

#[test]
fn redirect_algorithms() {
    let q = redirect("abc=", None, alg::RSA_SHA1, false);
    assert_eq!(
        verify_redirect(&q, certs(), false),
        Err(VerifyError::Sha1NotAllowed)
    );
    assert!(verify_redirect(&q, certs(), true).is_ok());
    let q = redirect("abc=", None, alg::RSA_SHA512, false);
    assert!(verify_redirect(&q, certs(), false).is_ok());
    let q = q.replace(
        &enc(alg::RSA_SHA512),
        &enc("http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
    );
    assert!(matches!(
        verify_redirect(&q, certs(), false),
        Err(VerifyError::Algorithm(_))
    ));
}
