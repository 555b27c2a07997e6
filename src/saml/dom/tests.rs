//! Tests of the strict parser: refusals, limits, namespaces, text, IDs, mutated inputs.

use super::*;

fn p(s: &str) -> Result<Document, XmlError> {
    parse(s.as_bytes(), &Limits::default())
}

#[test]
fn parses_namespaces_attributes_and_text() {
    let d = p(r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">a&amp;b&#x41;&#66;</saml:Issuer></samlp:AuthnRequest>
"#)
    .unwrap();
    let root = d.root();
    let r = d.element(root);
    assert!(r.is(ns::SAMLP, "AuthnRequest"));
    assert_eq!(r.prefix.as_deref(), Some("samlp"));
    assert_eq!(r.attr("ID"), Some("_a"));
    assert_eq!(r.ns_decls.len(), 1);
    let iss = d.find_child(root, ns::SAML, "Issuer").unwrap();
    assert_eq!(d.text(iss), "a&bAB");
    assert_eq!(d.find_by_id("_a"), Ok(root));
    assert_eq!(d.find_by_id("_b"), Err(IdLookupError::NotFound));
    assert_eq!(d.lookup_namespace(iss, Some("samlp")), Some(ns::SAMLP));
    assert_eq!(d.descendants(root).collect::<Vec<_>>(), vec![iss]);
}

#[test]
fn default_namespace_and_undeclaration() {
    let d = p(r#"<a xmlns="urn:x" b="1"><c xmlns=""/><d/></a>"#).unwrap();
    let root = d.root();
    assert_eq!(d.element(root).ns.as_deref(), Some("urn:x"));
    // unprefixed attributes are in no namespace
    assert_eq!(d.element(root).attributes[0].ns, None);
    let kids: Vec<_> = d.child_elements(root).collect();
    assert_eq!(d.element(kids[0]).ns, None);
    assert_eq!(d.element(kids[1]).ns.as_deref(), Some("urn:x"));
}

#[test]
fn text_reads_across_comments_and_cdata() {
    let d = p("<a>ad<!-- x -->min<![CDATA[<&>]]><b>x</b>y</a>").unwrap();
    assert_eq!(d.text(d.root()), "admin<&>xy");
}

#[test]
fn refuses_doctype_and_billion_laughs_fast() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"#;
    let t = std::time::Instant::now();
    assert_eq!(p(laughs).unwrap_err(), XmlError::Doctype);
    assert!(t.elapsed() < std::time::Duration::from_millis(100));
    let xxe = r#"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>"#;
    assert_eq!(p(xxe).unwrap_err(), XmlError::Doctype);
}

#[test]
fn refuses_unknown_entities_and_bad_references() {
    assert_eq!(
        p("<a>&lol;</a>").unwrap_err(),
        XmlError::UnknownEntity("lol".into())
    );
    assert!(p("<a b='&ext;'/>").is_err());
    assert_eq!(p("<a>&#0;</a>").unwrap_err(), XmlError::InvalidChar);
    assert_eq!(p("<a>&#x1;</a>").unwrap_err(), XmlError::InvalidChar);
    assert!(p("<a>&#+65;</a>").is_err());
    assert!(p("<a>a & b</a>").is_err());
    assert_eq!(p("<a>\u{1}</a>").unwrap_err(), XmlError::InvalidChar);
}

#[test]
fn refuses_processing_instructions_and_late_declaration() {
    assert_eq!(
        p("<?xml-stylesheet href='x'?><a/>").unwrap_err(),
        XmlError::ProcessingInstruction
    );
    assert_eq!(
        p("<a><?php x?></a>").unwrap_err(),
        XmlError::ProcessingInstruction
    );
    assert_eq!(
        p(" <?xml version='1.0'?><a/>").unwrap_err(),
        XmlError::ProcessingInstruction
    );
    assert!(p("<?xml version='1.1'?><a/>").is_err());
    assert_eq!(
        p("<?xml version='1.0' encoding='ISO-8859-1'?><a/>").unwrap_err(),
        XmlError::NotUtf8
    );
}

#[test]
fn refuses_non_utf8() {
    assert_eq!(
        parse(b"<a>\xff</a>", &Limits::default()).unwrap_err(),
        XmlError::NotUtf8
    );
    // UTF-16 LE "<a/>" decodes as UTF-8 with NULs: refused as a bad name.
    assert!(parse(b"<\0a\0/\0>\0", &Limits::default()).is_err());
}

#[test]
fn refuses_namespace_errors() {
    assert!(matches!(p("<p:a/>").unwrap_err(), XmlError::Namespace(_)));
    assert!(matches!(
        p("<a p:b='1'/>").unwrap_err(),
        XmlError::Namespace(_)
    ));
    assert!(matches!(
        p("<a xmlns:p=''/>").unwrap_err(),
        XmlError::Namespace(_)
    ));
    assert!(matches!(
        p("<a xmlns:xml='urn:x'/>").unwrap_err(),
        XmlError::Namespace(_)
    ));
    assert!(matches!(
        p("<a xmlns:xmlns='urn:x'/>").unwrap_err(),
        XmlError::Namespace(_)
    ));
    // prefix declared on a sibling is out of scope
    assert!(p("<a><b xmlns:p='urn:p'/><p:c/></a>").is_err());
    // xml prefix is predeclared
    let d = p("<a xml:lang='en'/>").unwrap();
    assert_eq!(d.element(d.root()).attr_ns(ns::XML, "lang"), Some("en"));
    assert!(matches!(
        p("<a:b:c xmlns:a='urn:a'/>").unwrap_err(),
        XmlError::InvalidName(_)
    ));
}

#[test]
fn refuses_duplicate_attributes() {
    assert!(matches!(
        p("<a b='1' b='2'/>").unwrap_err(),
        XmlError::DuplicateAttribute(_)
    ));
    assert!(matches!(
        p("<a xmlns:x='urn:1' xmlns:y='urn:1' x:b='1' y:b='2'/>").unwrap_err(),
        XmlError::DuplicateAttribute(_)
    ));
}

#[test]
fn refuses_content_outside_root() {
    assert_eq!(p("<a/><b/>").unwrap_err(), XmlError::OutsideRoot);
    assert_eq!(p("<a/>text").unwrap_err(), XmlError::OutsideRoot);
    assert_eq!(p("x<a/>").unwrap_err(), XmlError::OutsideRoot);
    assert_eq!(p("<a/><![CDATA[ ]]>").unwrap_err(), XmlError::OutsideRoot);
    assert!(p("\n<!-- c --><a/>\n<!-- d -->\n").is_ok());
    assert!(p("").is_err());
    assert!(p("<a>").is_err());
    assert!(p("<a></b>").is_err());
    assert!(p("</a>").is_err());
}

#[test]
fn limits_are_enforced() {
    let deep = "<a>".repeat(33) + &"</a>".repeat(33);
    assert_eq!(p(&deep).unwrap_err(), XmlError::TooDeep);
    let ok = "<a>".repeat(32) + &"</a>".repeat(32);
    assert!(p(&ok).is_ok());
    let attrs: String = (0..65).map(|i| format!(" a{i}='x'")).collect();
    assert_eq!(
        p(&format!("<a{attrs}/>")).unwrap_err(),
        XmlError::TooManyAttributes
    );
    let many = format!("<a>{}</a>", "<b/>".repeat(10_000));
    assert_eq!(p(&many).unwrap_err(), XmlError::TooManyNodes);
    let big = format!("<a>{}</a>", "x".repeat(256 * 1024));
    assert_eq!(p(&big).unwrap_err(), XmlError::TooLarge);
}

#[test]
fn duplicate_ids_make_lookup_fail() {
    let d = p("<a ID='x'><b ID='x'/><c ID='y'/><d Id='y'/></a>").unwrap();
    assert_eq!(d.find_by_id("x"), Err(IdLookupError::Duplicate));
    assert_eq!(d.find_by_id("y"), Err(IdLookupError::Duplicate));
    let d = p("<a ID='x'><b xml:id='x'/></a>").unwrap();
    assert_eq!(d.find_by_id("x"), Err(IdLookupError::Duplicate));
}

#[test]
fn normalizes_line_ends_and_attribute_whitespace() {
    let d = p("<a b='1\r\n2\t3&#9;4&#10;'>x\r\ny\rz</a>").unwrap();
    let r = d.element(d.root());
    assert_eq!(r.attr("b"), Some("1 2 3\t4\n"));
    assert_eq!(d.text(d.root()), "x\ny\nz");
}

#[test]
fn refuses_malformed_markup() {
    for bad in [
        "<a b=1/>",
        "<a b/>",
        "<a b=\"<\"/>",
        "<a>]]></a>",
        "<a><!-- x -- y --></a>",
        "<1a/>",
        "<a><b></a></b>",
        "<a b='1' b='1'/>",
        "<a>&amp</a>",
        "<a>&#xD800;</a>",
    ] {
        assert!(p(bad).is_err(), "{bad}");
    }
    assert!(p("<a></a >").is_ok());
}

#[test]
fn mutated_inputs_never_panic() {
    // Cheap robustness sweep: every single-byte corruption of real inputs either parses
    // or is refused, and whatever parses also canonicalizes.
    let inputs: [&[u8]; 2] = [
        include_bytes!("../../../tests/fixtures/inbound/xmlsec1-signed-authnrequest.xml"),
        include_bytes!("../../../tests/fixtures/sp-metadata/aliyun-ram-user-sso-sample.xml"),
    ];
    for input in inputs {
        for i in (0..input.len()).step_by(7) {
            for b in [b'<', b'>', b'&', b'"', b':', b'/', 0u8, 0xC3] {
                let mut m = input.to_vec();
                m[i] = b;
                if let Ok(d) = parse(&m, &Limits::default()) {
                    let _ = crate::saml::c14n::exc_c14n(&d, d.root(), None, &[]);
                }
            }
        }
    }
}

#[test]
fn bom_is_accepted() {
    assert!(parse("\u{feff}<a/>".as_bytes(), &Limits::default()).is_ok());
}
