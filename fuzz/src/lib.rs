//! Fuzz target bodies for wecom-idp, shared by the cargo-fuzz binaries (`fuzz_targets/*.rs`) and
//! the stable-toolchain corpus replay (`src/bin/replay.rs`).
//!
//! Each body takes arbitrary bytes and must never panic; where there is a property to check it is
//! asserted, so a violated property is a crash for libFuzzer and a failure for the replay.
//!
//! | target             | what it drives                                                          |
//! |--------------------|-------------------------------------------------------------------------|
//! | `redirect`         | `request::decode_redirect` on the bytes as a query string, then `verify` |
//! | `authn_post`       | `request::decode_post` (base64 of the bytes; the bytes as the form field) + `verify`, and `dom::parse` + `verify::verify_enveloped` on the raw bytes |
//! | `sp_metadata`      | `sp_metadata::import`, then `signing_x509` and `select_acs`              |
//! | `writer_roundtrip` | any string → `xml::Writer` → `dom::parse` → the same string (`xml_safe`), and exc-c14n of the parsed tree = the writer's bytes |
//!
//! The verification context trusts two certificates: `keys/fuzz-sp-cert.pem` (its throwaway key,
//! `keys/fuzz-sp-key.pem`, signs the generated seeds so the fuzzer starts past the signature
//! check) and the xmlsec1 fixture certificate of the main test suite. "Now" is
//! 2026-01-01T00:00:00Z, the instant the seeds and fixtures carry.

use std::sync::OnceLock;

use base64::Engine as _;
use openssl::x509::X509;
use time::macros::datetime;
use time::OffsetDateTime;
use wecom_idp::saml::dom::{self, Limits};
use wecom_idp::saml::request::{self, RequestLimits, VerifiedAuthnRequest, VerifyContext};
use wecom_idp::saml::sp_metadata::{self, HTTP_POST};
use wecom_idp::saml::{c14n, verify, xml};

/// The instant every body treats as "now".
pub const NOW: OffsetDateTime = datetime!(2026-01-01 00:00:00 UTC);
/// Our SSO endpoint, as the seeds' `Destination` names it.
pub const SSO_URL: &str = "https://idp.example/saml/sso";
/// The fuzz SP's certificate (PEM).
pub const FUZZ_CERT_PEM: &[u8] = include_bytes!("../keys/fuzz-sp-cert.pem");
/// The xmlsec1 fixture certificate of the main test suite (PEM).
pub const XMLSEC1_CERT_PEM: &[u8] =
    include_bytes!("../../tests/fixtures/inbound/xmlsec1-sp-cert.pem");

/// A target body: arbitrary bytes in, a panic on a failed property.
pub type Body = fn(&[u8]);

/// Every target: name and body. The replay runs each over `corpus/<name>/`.
pub const TARGETS: &[(&str, Body)] = &[
    ("redirect", redirect),
    ("authn_post", authn_post),
    ("sp_metadata", sp_metadata),
    ("writer_roundtrip", writer_roundtrip),
];

fn certs() -> &'static [X509] {
    static CERTS: OnceLock<Vec<X509>> = OnceLock::new();
    CERTS.get_or_init(|| {
        [FUZZ_CERT_PEM, XMLSEC1_CERT_PEM]
            .iter()
            .map(|pem| X509::from_pem(pem).expect("committed certificate parses"))
            .collect()
    })
}

fn sso_urls() -> &'static [String] {
    static URLS: OnceLock<Vec<String>> = OnceLock::new();
    URLS.get_or_init(|| vec![SSO_URL.to_string()])
}

/// The fixed verification context (`require_signed` as given).
fn context(require_signed: bool) -> VerifyContext<'static> {
    VerifyContext {
        certs: certs(),
        require_signed,
        allow_sha1: false,
        sso_urls: sso_urls(),
        now: NOW,
        skew: time::Duration::minutes(3),
    }
}

/// What `Inbound::verify` promises about anything it returns.
fn check_verified(v: &VerifiedAuthnRequest, require_signed: bool, limits: &RequestLimits) {
    assert!(
        !require_signed || v.signed,
        "unsigned request accepted although signing is required"
    );
    assert!(
        v.id.chars().count() <= 256 && dom::is_ncname(&v.id),
        "bad ID accepted: {:?}",
        v.id
    );
    assert!(!v.issuer.is_empty(), "empty Issuer accepted");
    assert!(
        (v.issue_instant - NOW).abs() <= time::Duration::minutes(3),
        "IssueInstant outside skew accepted"
    );
    match &v.destination {
        Some(d) => assert_eq!(d, SSO_URL, "foreign Destination accepted"),
        None => assert!(!v.signed, "signed request without Destination accepted"),
    }
    assert!(
        !(v.acs_index.is_some() && (v.acs_url.is_some() || v.protocol_binding.is_some())),
        "ACS index together with URL/binding accepted"
    );
    if let Some(rs) = &v.relay_state {
        assert!(
            rs.len() <= limits.max_relay_state,
            "oversized RelayState accepted"
        );
    }
}

/// Target 1: the bytes as a raw Redirect query string → `decode_redirect` → `verify`.
pub fn redirect(data: &[u8]) {
    // A query string reaches us as `&str`; lossy keeps every input useful.
    let query = String::from_utf8_lossy(data);
    let limits = RequestLimits::default();
    for require_signed in [false, true] {
        let Ok(inbound) = request::decode_redirect(&query, &limits) else {
            return;
        };
        if let Some(rs) = inbound.relay_state() {
            assert!(
                rs.len() <= limits.max_relay_state,
                "oversized RelayState decoded"
            );
        }
        let _ = (inbound.request().issuer(), inbound.request().id());
        if let Ok(v) = inbound.verify(&context(require_signed)) {
            check_verified(&v, require_signed, &limits);
        }
    }
}

/// Target 2: the bytes as an AuthnRequest document, three ways: base64-encoded through
/// `decode_post` + `verify`; as the (malformed) form field itself; raw through `dom::parse` +
/// `verify_enveloped`.
pub fn authn_post(data: &[u8]) {
    let limits = RequestLimits::default();
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let field = String::from_utf8_lossy(data);
    for (input, relay_state) in [(b64.as_str(), Some("rs")), (&*field, None)] {
        for require_signed in [false, true] {
            let Ok(inbound) = request::decode_post(input, relay_state, &limits) else {
                break;
            };
            let _ = (inbound.request().issuer(), inbound.request().id());
            if let Ok(v) = inbound.verify(&context(require_signed)) {
                check_verified(&v, require_signed, &limits);
            }
        }
    }

    if let Ok(doc) = dom::parse(data, &Limits::default()) {
        let root = doc.root();
        let _ = verify::verify_enveloped(&doc, root, certs(), false);
        let _ = c14n::exc_c14n(&doc, root, None, &[]);
        // Every element as a signed apex: a signature elsewhere must not count for it.
        for el in doc.descendants(root).take(64) {
            let _ = verify::verify_enveloped(&doc, el, certs(), true);
        }
    }
}

/// Target 3: the bytes as uploaded SP metadata → `import` → certificates and ACS choice.
pub fn sp_metadata(data: &[u8]) {
    let Ok(imported) = sp_metadata::import(data, None, NOW) else {
        return;
    };
    let md = &imported.metadata;
    assert!(!md.entity_id.is_empty(), "empty entityID imported");
    // Every certificate was parsed once at import: parsing again must succeed.
    assert!(
        md.signing_x509().is_ok(),
        "imported signing certificate does not parse"
    );
    if let Ok(ep) = sp_metadata::select_acs(&md.acs, None, None, None) {
        assert_eq!(ep.binding, HTTP_POST, "default ACS is not HTTP-POST");
    }
    for acs in &md.acs {
        match sp_metadata::select_acs(&md.acs, Some(&acs.location), Some(HTTP_POST), None) {
            Ok(ep) => {
                assert_eq!(
                    ep.location, acs.location,
                    "ACS chosen by URL has another URL"
                );
                assert_eq!(ep.binding, HTTP_POST, "ACS chosen by URL is not HTTP-POST");
            }
            Err(_) => assert_ne!(
                acs.binding, HTTP_POST,
                "listed HTTP-POST ACS refused by URL"
            ),
        }
        if let Some(i) = acs.index {
            if let Ok(ep) = sp_metadata::select_acs(&md.acs, None, None, Some(i)) {
                assert_eq!(ep.index, Some(i), "ACS chosen by index has another index");
                assert_eq!(
                    ep.binding, HTTP_POST,
                    "ACS chosen by index is not HTTP-POST"
                );
            }
        }
    }
    // The same document, asking for the entity it found, imports the same entity.
    if let Ok(again) = sp_metadata::import(data, Some(&md.entity_id), NOW) {
        assert_eq!(
            again.metadata.entity_id, md.entity_id,
            "entity chosen by ID differs"
        );
    }
}

/// Target 4: any string, as element text, as an attribute value (plain and namespaced) and as
/// text written in two pieces, goes through the escaping `Writer`; parsing the output gives the
/// string back minus what XML 1.0 cannot carry, and exc-c14n of the parsed tree is the writer's
/// bytes exactly (the writer's output is canonical by construction).
pub fn writer_roundtrip(data: &[u8]) {
    if data.len() > 16 * 1024 {
        return;
    }
    let s = String::from_utf8_lossy(data);
    let split = (0..=s.len() / 2)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    let (head, tail) = s.split_at(split);

    let mut w = xml::Writer::new();
    w.start("p", "root", "urn:p")
        .attr("a", &s)
        .attr_ns("x", "v", "urn:x", &s)
        .leaf("p", "t", "urn:p", &s)
        .start("q", "u", "urn:q")
        .text(head)
        .text(tail)
        .end()
        .end();
    let el = w
        .finish()
        .expect("the writer accepts any text and attribute value");
    let bytes = el.as_bytes();

    let doc = match dom::parse(bytes, &Limits::default()) {
        Ok(doc) => doc,
        Err(e) => panic!(
            "writer output does not parse: {e:?}\n{}",
            String::from_utf8_lossy(bytes)
        ),
    };
    let expected = xml::xml_safe(&s);
    let root = doc.root();
    let r = doc.element(root);
    assert_eq!(
        r.attr("a"),
        Some(expected.as_str()),
        "attribute value changed"
    );
    assert_eq!(
        r.attr_ns("urn:x", "v"),
        Some(expected.as_str()),
        "namespaced attribute changed"
    );
    let t = doc
        .find_child(root, "urn:p", "t")
        .expect("leaf element present");
    assert_eq!(doc.text(t), expected, "element text changed");
    let u = doc
        .find_child(root, "urn:q", "u")
        .expect("split-text element present");
    assert_eq!(doc.text(u), expected, "text written in two pieces changed");
    assert_eq!(doc.child_elements(root).count(), 2, "text created elements");

    let canonical = c14n::exc_c14n(&doc, root, None, &[]).expect("c14n of our own output");
    assert!(
        canonical == bytes,
        "exc-c14n differs from the writer's bytes:\nwriter: {}\nc14n:   {}",
        String::from_utf8_lossy(bytes),
        String::from_utf8_lossy(&canonical)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(target: &str, name: &str) -> Vec<u8> {
        let p = format!("{}/corpus/{target}/seed-{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    /// The generated seeds reach past the signature check, so the fuzzer starts deep.
    #[test]
    fn signed_seeds_verify() {
        let limits = RequestLimits::default();
        for name in [
            "signed-rsa-sha256",
            "signed-lowercase-escapes",
            "signed-acs-index",
        ] {
            let q = String::from_utf8(seed("redirect", name)).unwrap();
            let v = request::decode_redirect(&q, &limits)
                .unwrap()
                .verify(&context(true));
            assert!(v.unwrap().signed, "{name}");
        }
        for name in [
            "signed",
            "xmlsec1-signed-authnrequest",
            "xmlsec1-signed-inclusive-ns",
        ] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(seed("authn_post", name));
            let v = request::decode_post(&b64, None, &limits)
                .unwrap()
                .verify(&context(true));
            assert!(v.unwrap().signed, "{name}");
        }
        let v = request::decode_redirect(
            std::str::from_utf8(&seed("redirect", "relaystate-tampered")).unwrap(),
            &limits,
        )
        .unwrap()
        .verify(&context(false));
        assert!(v.is_err());
    }

    #[test]
    fn vendor_metadata_seeds_import() {
        for name in ["aws-global", "huaweicloud-global", "several-acs", "minimal"] {
            assert!(
                sp_metadata::import(&seed("sp_metadata", name), None, NOW).is_ok(),
                "{name}"
            );
        }
    }
}
