//! Tests of the Response builder, checked independently with `xmlsec1`.

//! Independent checks: `xmlsec1` (libxmlsec1 + libxml2, not our code) verifies every signature
//! with the pinned certificate and shows its own exc-c14n of what it digested and signed, which
//! must equal our bytes; quick-xml re-reads the document and every value must round-trip.

use super::*;
use crate::saml::sign::generate_key_and_cert;
use quick_xml::events::Event;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;
use time::macros::datetime;
use time::Duration;

const HOSTILE: &str =
    "a<b>&c\"d'e]]><!--f-->\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\t\n\r\u{FFFE}\u{FFFF}𠀀😀 end";
const INJECTION: &str = "x</saml:AttributeValue><saml:AttributeValue>admin";
const XPATH_RESPONSE_SIG: &str = "/*[local-name()='Response']/*[local-name()='Signature']";
const XPATH_ASSERTION_SIG: &str =
    "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";

struct Fixture {
    key: SigningKey,
    cert_pem: String,
    other_cert_pem: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let now = datetime!(2026-01-01 0:00 UTC);
        let (k, c) = generate_key_and_cert("wecom-idp test", now, &[7]).unwrap();
        let (_, other) = generate_key_and_cert("someone else", now, &[8]).unwrap();
        Fixture {
            key: SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap(),
            cert_pem: c,
            other_cert_pem: other,
        }
    })
}

fn require_xmlsec1() {
    let found = Command::new("xmlsec1")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "xmlsec1 is not on PATH: the independent signature check needs it \
         (apt-get install xmlsec1)"
    );
}

/// Runs `xmlsec1 --verify` on one signature; returns (verified, stdout debug dump).
fn xmlsec_verify(doc: &[u8], cert_pem: &str, xpath: &str) -> (bool, String) {
    require_xmlsec1();
    let dir = tempfile::tempdir().unwrap();
    let doc_path = dir.path().join("doc.xml");
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&doc_path, doc).unwrap();
    std::fs::write(&cert_path, cert_pem).unwrap();
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(&cert_path)
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .args(["--node-xpath", xpath])
        .args(["--store-references", "--store-signatures", "--print-debug"])
        .arg(&doc_path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The text xmlsec1 printed between `== {what} - start buffer:\n` and `\n== {what} - end`.
fn dumped<'a>(debug: &'a str, what: &str) -> &'a str {
    let start_tag = format!("== {what} - start buffer:\n");
    let end_tag = format!("\n== {what} - end buffer");
    let start = debug.find(&start_tag).unwrap() + start_tag.len();
    let end = start + debug[start..].find(&end_tag).unwrap();
    &debug[start..end]
}

/// `element` (a substring of our output) with its first `ds:Signature` removed, and that
/// Signature's SignedInfo written as an apex.
fn split_signature(element: &str) -> (String, String) {
    let s = element.find("<ds:Signature").unwrap();
    let e = element.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &element[s..e];
    let si_s = sig.find("<ds:SignedInfo>").unwrap();
    let si_e = sig.find("</ds:SignedInfo>").unwrap() + "</ds:SignedInfo>".len();
    let apex = sig[si_s..si_e].replacen(
        "<ds:SignedInfo>",
        r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
        1,
    );
    (format!("{}{}", &element[..s], &element[e..]), apex)
}

/// Verifies one signature with xmlsec1, checks that its canonical view of the referenced
/// element and of SignedInfo is byte-identical to ours, and that other keys and any change
/// in the bytes make it fail.
fn check_signature(doc: &str, xpath: &str, element: &str) {
    let f = fixture();
    let (ok, debug) = xmlsec_verify(doc.as_bytes(), &f.cert_pem, xpath);
    assert!(ok, "xmlsec1 rejected {xpath}:\n{debug}\n{doc}");
    let (unsigned, signed_info) = split_signature(element);
    assert_eq!(
        dumped(&debug, "PreDigest data"),
        unsigned,
        "digested bytes differ"
    );
    assert_eq!(
        dumped(&debug, "PreSigned data"),
        signed_info,
        "SignedInfo c14n differs"
    );

    let (ok, _) = xmlsec_verify(doc.as_bytes(), &f.other_cert_pem, xpath);
    assert!(!ok, "xmlsec1 accepted a signature with the wrong key");
    let tampered = doc.replacen("wecom-audience", "wecom-audiencE", 1);
    assert_ne!(tampered, doc);
    let (ok, _) = xmlsec_verify(tampered.as_bytes(), &f.cert_pem, xpath);
    assert!(!ok, "xmlsec1 accepted a tampered document");
}

fn section<'a>(doc: &'a str, start: &str, end: &str) -> &'a str {
    let s = doc.find(start).unwrap();
    let e = doc.find(end).unwrap() + end.len();
    &doc[s..e]
}

/// What a real XML parser reads back.
#[derive(Debug, Default)]
struct Parsed {
    /// element local name → count
    counts: BTreeMap<String, usize>,
    /// (element local name, attribute name) → values in document order
    attrs: BTreeMap<(String, String), Vec<String>>,
    /// element local name → text contents in document order
    texts: BTreeMap<String, Vec<String>>,
    /// Attribute/@Name → its AttributeValues
    saml_attrs: Vec<(String, Vec<String>)>,
}

fn parse(doc: &[u8]) -> Parsed {
    let mut r = quick_xml::Reader::from_reader(doc);
    r.config_mut().trim_text(false);
    r.config_mut().check_end_names = true;
    let mut p = Parsed::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                *p.counts.entry(name.clone()).or_default() += 1;
                for a in e.attributes() {
                    let a = a.unwrap();
                    let k = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                    let v = a.unescape_value().unwrap().into_owned();
                    if name == "Attribute" && k == "Name" {
                        p.saml_attrs.push((v.clone(), Vec::new()));
                    }
                    p.attrs.entry((name.clone(), k)).or_default().push(v);
                }
                stack.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.unescape().unwrap()),
            Event::End(_) => {
                let name = stack.pop().unwrap();
                if name == "AttributeValue" {
                    p.saml_attrs.last_mut().unwrap().1.push(text.clone());
                }
                p.texts
                    .entry(name)
                    .or_default()
                    .push(std::mem::take(&mut text));
            }
            Event::Eof => break,
            Event::Empty(_) => panic!("self-closing tag in output"),
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {
                panic!("unexpected markup in output")
            }
            Event::CData(_) => panic!("CDATA in output"),
        }
    }
    assert!(stack.is_empty());
    p
}

fn attr<'a>(p: &'a Parsed, el: &str, name: &str) -> Option<&'a [String]> {
    p.attrs
        .get(&(el.to_string(), name.to_string()))
        .map(Vec::as_slice)
}

struct Case {
    name_id: NameId,
    attributes: Vec<Attribute>,
    in_response_to: Option<String>,
    issuer: String,
    destination: String,
    session_index: String,
}

fn plain_case(in_response_to: Option<&str>) -> Case {
    Case {
        name_id: NameId {
            format: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient".into(),
            value: "zhangsan".into(),
            sp_name_qualifier: Some("wecom-audience".into()),
            name_qualifier: None,
        },
        attributes: vec![
            Attribute {
                name: "https://cloud.tencent.com/SAML/Attributes/Role".into(),
                name_format: Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri".into()),
                friendly_name: None,
                values: vec![
                    "qcs::cam::uin/1:roleName/a,qcs::cam::uin/1:saml-provider/p".into(),
                    "qcs::cam::uin/1:roleName/b,qcs::cam::uin/1:saml-provider/p".into(),
                ],
            },
            Attribute {
                name: "displayName".into(),
                name_format: None,
                friendly_name: Some("Display name".into()),
                values: vec![INJECTION.into()],
            },
        ],
        in_response_to: in_response_to.map(str::to_string),
        issuer: "https://idp.example.com/saml/metadata".into(),
        destination: "https://sp.example.com/acs?a=1&b=2".into(),
        session_index: "_sess1".into(),
    }
}

fn hostile_case() -> Case {
    Case {
        name_id: NameId {
            format: format!("urn:x:{HOSTILE}"),
            value: HOSTILE.into(),
            sp_name_qualifier: Some(HOSTILE.into()),
            name_qualifier: Some(INJECTION.into()),
        },
        attributes: vec![
            Attribute {
                name: HOSTILE.into(),
                name_format: Some(HOSTILE.into()),
                friendly_name: Some(INJECTION.into()),
                values: vec![
                    HOSTILE.into(),
                    INJECTION.into(),
                    String::new(),
                    "]]>".into(),
                ],
            },
            Attribute {
                name: "displayName".into(),
                name_format: None,
                friendly_name: None,
                values: vec![INJECTION.into()],
            },
            Attribute {
                name: "no values".into(),
                name_format: None,
                friendly_name: None,
                values: vec![],
            },
        ],
        in_response_to: Some(format!("_req{HOSTILE}")),
        issuer: format!("https://idp/{HOSTILE}"),
        destination: format!("https://sp/acs?{HOSTILE}"),
        session_index: HOSTILE.into(),
    }
}

fn input(c: &Case, sign_assertion: bool, sign_response: bool) -> AssertionInput<'_> {
    let now = datetime!(2026-03-01 10:00:00.987 UTC);
    AssertionInput {
        response_id: "_r0123456789abcdef",
        assertion_id: "_a0123456789abcdef",
        issue_instant: now,
        issuer: &c.issuer,
        destination: &c.destination,
        in_response_to: c.in_response_to.as_deref(),
        audience: "urn:wecom-audience",
        name_id: &c.name_id,
        not_before: now - Duration::minutes(3),
        not_on_or_after: now + Duration::minutes(5),
        session_index: &c.session_index,
        authn_instant: now - Duration::seconds(10),
        session_not_on_or_after: Some(now + Duration::hours(8)),
        authn_context_class_ref: "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
        attributes: &c.attributes,
        sign_assertion,
        sign_response,
    }
}

/// Builds, verifies every signature independently, re-parses and compares every value.
fn check_response(c: &Case, sign_assertion: bool, sign_response: bool) {
    let inp = input(c, sign_assertion, sign_response);
    let bytes = build_response(&inp, &fixture().key).unwrap();
    let doc = String::from_utf8(bytes.clone()).unwrap();
    assert!(doc.starts_with("<samlp:Response "));

    let sigs = usize::from(sign_assertion) + usize::from(sign_response);
    assert_eq!(doc.matches("<ds:Signature ").count(), sigs);
    if sign_response {
        let (unsigned_response, _) = split_signature(&doc);
        assert!(doc.find("<ds:Signature").unwrap() < doc.find("<samlp:Status>").unwrap());
        check_signature(&doc, XPATH_RESPONSE_SIG, &doc);
        // The Response digest covers the (signed) Assertion.
        assert!(unsigned_response.contains("<saml:Assertion "));
    }
    if sign_assertion {
        let assertion = section(&doc, "<saml:Assertion ", "</saml:Assertion>");
        let issuer_end = assertion.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
        assert!(assertion[issuer_end..].starts_with("<ds:Signature "));
        check_signature(&doc, XPATH_ASSERTION_SIG, assertion);
    }

    let p = parse(&bytes);
    let one = |el: &str| p.counts.get(el).copied().unwrap_or(0);
    assert_eq!(one("Response"), 1);
    assert_eq!(one("Assertion"), 1);
    assert_eq!(one("SubjectConfirmation"), 1);
    assert_eq!(one("Audience"), 1);
    assert_eq!(one("Signature"), sigs);
    assert_eq!(one("AttributeStatement"), 1);
    let safe = crate::saml::xml::xml_safe;
    assert_eq!(
        attr(&p, "Response", "Destination").unwrap(),
        [safe(&c.destination)]
    );
    assert_eq!(
        attr(&p, "SubjectConfirmationData", "Recipient").unwrap(),
        [safe(&c.destination)]
    );
    let irt = c.in_response_to.as_deref().map(safe);
    assert_eq!(
        attr(&p, "Response", "InResponseTo").map(|v| v[0].clone()),
        irt
    );
    assert_eq!(
        attr(&p, "SubjectConfirmationData", "InResponseTo").map(|v| v[0].clone()),
        irt
    );
    if c.in_response_to.is_none() {
        assert!(!doc.contains("InResponseTo"));
    }
    assert_eq!(
        attr(&p, "Response", "IssueInstant").unwrap(),
        ["2026-03-01T10:00:00Z"]
    );
    assert_eq!(
        attr(&p, "Conditions", "NotBefore").unwrap(),
        ["2026-03-01T09:57:00Z"]
    );
    assert_eq!(
        attr(&p, "SubjectConfirmationData", "NotOnOrAfter").unwrap(),
        ["2026-03-01T10:05:00Z"]
    );
    assert_eq!(
        attr(&p, "AuthnStatement", "SessionNotOnOrAfter").unwrap(),
        ["2026-03-01T18:00:00Z"]
    );
    assert_eq!(
        attr(&p, "AuthnStatement", "SessionIndex").unwrap(),
        [safe(&c.session_index)]
    );
    assert_eq!(p.texts["Issuer"], vec![safe(&c.issuer), safe(&c.issuer)]);
    assert_eq!(p.texts["NameID"], vec![safe(&c.name_id.value)]);
    assert_eq!(
        attr(&p, "NameID", "SPNameQualifier").map(|v| v[0].clone()),
        c.name_id.sp_name_qualifier.as_deref().map(safe)
    );
    assert_eq!(p.texts["Audience"], vec!["urn:wecom-audience".to_string()]);
    let expected: Vec<(String, Vec<String>)> = c
        .attributes
        .iter()
        .map(|a| (safe(&a.name), a.values.iter().map(|v| safe(v)).collect()))
        .collect();
    assert_eq!(p.saml_attrs, expected);
    // No control character survived; the injection stayed text.
    assert!(!doc
        .chars()
        .any(|ch| ch.is_control() && !matches!(ch, '\t' | '\n')));
    assert!(!doc.contains("<saml:AttributeValue>admin"));
}

#[test]
fn sp_initiated_assertion_signed() {
    check_response(&plain_case(Some("_req-1")), true, false);
}

#[test]
fn idp_initiated_response_signed() {
    check_response(&plain_case(None), false, true);
}

#[test]
fn sp_initiated_both_signed() {
    check_response(&plain_case(Some("_req-1")), true, true);
}

#[test]
fn idp_initiated_both_signed() {
    check_response(&plain_case(None), true, true);
}

#[test]
fn hostile_values_all_signing_modes() {
    let c = hostile_case();
    check_response(&c, true, false);
    check_response(&c, false, true);
    check_response(&c, true, true);
}

#[test]
fn injection_in_display_name_stays_one_value() {
    let c = plain_case(None);
    let bytes = build_response(&input(&c, true, true), &fixture().key).unwrap();
    let p = parse(&bytes);
    let display = p
        .saml_attrs
        .iter()
        .find(|(n, _)| n == "displayName")
        .unwrap();
    assert_eq!(display.1, vec![INJECTION.to_string()]);
    assert_eq!(p.counts["AttributeValue"], 3);
}

#[test]
fn no_attribute_statement_without_attributes() {
    let mut c = plain_case(None);
    c.attributes.clear();
    let bytes = build_response(&input(&c, true, false), &fixture().key).unwrap();
    let doc = String::from_utf8(bytes).unwrap();
    assert!(!doc.contains("AttributeStatement"));
    let (ok, dbg) = xmlsec_verify(doc.as_bytes(), &fixture().cert_pem, XPATH_ASSERTION_SIG);
    assert!(ok, "{dbg}");
}

fn status_input<'a>(irt: Option<&'a str>, msg: Option<&'a str>) -> StatusInput<'a> {
    StatusInput {
        response_id: "_e1",
        issue_instant: datetime!(2026-03-01 10:00 UTC),
        issuer: "https://idp.example.com/saml/metadata",
        destination: "https://sp.example.com/acs?wecom-audience",
        in_response_to: irt,
        status: StatusCode::Requester,
        sub_status: Some(SubStatusCode::NoPassive),
        message: msg,
    }
}

#[test]
fn status_response_is_signed_and_nested() {
    for (irt, msg) in [
        (Some("_req-9"), Some(HOSTILE)),
        (None, None),
        (Some(INJECTION), Some("denied")),
    ] {
        let inp = status_input(irt, msg);
        let doc = String::from_utf8(build_status_response(&inp, &fixture().key).unwrap()).unwrap();
        check_signature(&doc, XPATH_RESPONSE_SIG, &doc);
        let p = parse(doc.as_bytes());
        assert_eq!(p.counts.get("Assertion"), None);
        assert_eq!(
            attr(&p, "StatusCode", "Value").unwrap(),
            [
                "urn:oasis:names:tc:SAML:2.0:status:Requester",
                "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
            ]
        );
        assert_eq!(
            p.texts.get("StatusMessage").cloned(),
            msg.map(|m| vec![crate::saml::xml::xml_safe(m)])
        );
        assert_eq!(
            attr(&p, "Response", "InResponseTo").map(|v| v[0].clone()),
            irt.map(str::to_string)
        );
    }
    let mut inp = status_input(None, None);
    inp.status = StatusCode::Responder;
    inp.sub_status = None;
    let doc = build_status_response(&inp, &fixture().key).unwrap();
    let (ok, dbg) = xmlsec_verify(&doc, &fixture().cert_pem, XPATH_RESPONSE_SIG);
    assert!(ok, "{dbg}");
    let p = parse(&doc);
    assert_eq!(
        attr(&p, "StatusCode", "Value").unwrap(),
        ["urn:oasis:names:tc:SAML:2.0:status:Responder"]
    );
}

#[test]
fn refuses_bad_inputs() {
    let c = plain_case(None);
    let key = &fixture().key;
    let mut i = input(&c, false, false);
    assert!(build_response(&i, key).is_err());
    i.sign_assertion = true;
    assert!(build_response(&i, key).is_ok());
    let mut j = i.clone();
    j.response_id = "1abc";
    assert!(build_response(&j, key).is_err());
    let mut j = i.clone();
    j.assertion_id = j.response_id;
    assert!(build_response(&j, key).is_err());
    let mut j = i.clone();
    j.assertion_id = "_a b";
    assert!(build_response(&j, key).is_err());
    let mut j = i.clone();
    j.not_before = j.not_on_or_after;
    assert!(build_response(&j, key).is_err());
    let mut j = i.clone();
    j.in_response_to = Some("");
    assert!(build_response(&j, key).is_err());
    let mut j = i.clone();
    j.audience = " ";
    assert!(build_response(&j, key).is_err());
}

#[test]
fn instants_are_utc_seconds() {
    let t = datetime!(2026-03-01 18:30:59.999 +08:00);
    assert_eq!(saml_instant(t).unwrap(), "2026-03-01T10:30:59Z");
    assert!(saml_instant(datetime!(-0001-01-01 0:00 UTC)).is_err());
}
